// webpack 5 with no configuration: it follows the package's new URL(…, import.meta.url), emits
// the .wasm beside the bundle, and init() fetches it from there.
import { init, Engine } from "handoff-engine";
import firm from "handoff-engine/example-firm";

await init();
const engine = new Engine(firm);
const { ok, timeline } = engine.validateWorkflow(firm.workflows[0]);
document.querySelector("#verdict").textContent = ok ? "valid" : "has errors";
document.querySelector("#timeline").textContent = timeline.map((entry) => `${entry.stepId}: ${entry.owner?.id ?? "depends"}`).join(", ");
