// Entry for Node.js: the module is compiled synchronously at import, so `init()` is harmless.
import { readFileSync } from "node:fs";
import { initSync, Engine, __registerErrorClass } from "./wasm/handoff_engine.js";
import { HandoffError } from "./error.js";

initSync({ module: readFileSync(new URL("./wasm/handoff_engine_bg.wasm", import.meta.url)) });
__registerErrorClass(HandoffError);

const ready = Promise.resolve();

/** Already done in Node; kept so that the same code runs in browsers and in Node. */
export function init() {
  return ready;
}

export { Engine, HandoffError };
export { CaseStore } from "./case-store.js";
