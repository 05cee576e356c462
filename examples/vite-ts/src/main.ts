// Validates the example firm's workflow, shows its ownership timeline, starts a case and lists
// what Dana may do now, each entry completed into a command.
import { init, Engine, type AllowedCommand, type Command, type Ctx } from "handoff-engine";
import firm from "handoff-engine/example-firm";

await init();
const engine = new Engine(firm);
const workflow = firm.workflows[0]!;
const { ok, diagnostics, timeline } = engine.validateWorkflow(workflow);
document.querySelector("#verdict")!.textContent = ok ? `valid (${diagnostics.length} notes)` : "has errors";
for (const entry of timeline) {
  const item = document.createElement("li");
  item.textContent = `${entry.stepId}: ${entry.owner ? `${entry.owner.kind} ${entry.owner.id}` : "depends"}`;
  document.querySelector("#timeline")!.append(item);
}

const ctx: Ctx = { actor: { kind: "member", id: "dana" }, at: new Date().toISOString() };
const { state } = engine.startCase({ caseId: "smith-2026", workflowId: workflow.id }, ctx);

/** What a button sends: the entry completed with what the person would choose. */
function commandFor(allowed: AllowedCommand): Command | null {
  switch (allowed.type) {
    case "claim":
      return { type: "claim" };
    case "completeStep":
      return { type: "completeStep", stepId: allowed.stepId };
    case "skipStep":
      return { type: "skipStep", stepId: allowed.stepId, reason: "Not needed for this client" };
    default:
      return null;
  }
}
for (const allowed of engine.allowedCommands(state, ctx.actor)) {
  const command = commandFor(allowed);
  const item = document.createElement("li");
  item.textContent = `${allowed.type}${"stepId" in allowed ? ` ${allowed.stepId}` : ""}: ${command ? engine.check(state, command, ctx).ok : "needs a choice"}`;
  document.querySelector("#buttons")!.append(item);
}
