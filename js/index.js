// Entry for browsers and bundlers. The wasm file sits next to the glue and is fetched from
// `new URL(..., import.meta.url)`, which bundlers such as Vite understand.
import initWasm, { Engine, __registerErrorClass } from "./wasm/handoff_engine.js";
import { HandoffError } from "./error.js";

let ready;

/**
 * Loads the WebAssembly module. Idempotent: every call returns the same promise (a failed
 * load may be retried). `input` may be a URL, bytes, a Response or a `WebAssembly.Module`.
 */
export function init(input) {
  ready ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(
    () => __registerErrorClass(HandoffError),
    (error) => {
      ready = undefined;
      throw error;
    },
  );
  return ready;
}

export { Engine, HandoffError };
export { CaseStore } from "./case-store.js";
