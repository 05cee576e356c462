// Entry for browsers and bundlers. The wasm file sits next to the glue and is fetched from
// `new URL(..., import.meta.url)`, which bundlers such as Vite and webpack understand: they emit
// the file and rewrite the URL.
import initWasm, { Engine as WasmEngine, __registerErrorClass } from "./wasm/handoff_engine.js";
import { HandoffError, badModule, notLoaded, notWasm } from "./error.js";

let ready;
let loaded = false;

/**
 * Loads the WebAssembly module. Idempotent: every call returns the same promise (a failed
 * load may be retried). `input` may be a URL, bytes, a Response or a `WebAssembly.Module`.
 * Anything that turns out not to be WebAssembly is a HandoffError("wasm-load-failed") that says
 * what was fetched.
 */
export function init(input) {
  ready ??= load(input).then(
    () => {
      __registerErrorClass(HandoffError);
      loaded = true;
    },
    (error) => {
      ready = undefined;
      throw error;
    },
  );
  return ready;
}

async function load(input) {
  let source = (await input) ?? new URL("./wasm/handoff_engine_bg.wasm", import.meta.url);
  let response = typeof Response === "function" && source instanceof Response ? source : undefined;
  let fetching = false;
  if (response) checkResponse(response);
  // Fetched here rather than by the glue, so that a page that is not the module (a dev server's
  // HTML fallback, a 404) is reported with its URL; the glue still compiles the Response as it
  // streams. The same request as the glue's, so a `<link rel="preload">` of it is reused, and
  // handed over unawaited, as the glue's own, so that the glue sets up its imports meanwhile.
  if (typeof source === "string" || source instanceof URL || (typeof Request === "function" && source instanceof Request)) {
    fetching = true;
    source = fetch(source).then((fetched) => {
      response = fetched;
      checkResponse(fetched);
      return fetched;
    });
  }
  try {
    await initWasm({ module_or_path: source });
  } catch (error) {
    // Ours (checkResponse), or the request itself failing (no response to name): as they are.
    if (error instanceof HandoffError || (fetching && response === undefined)) throw error;
    if (!(error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError || error instanceof TypeError)) throw error;
    throw response ? notWasm(response.url, response, error) : badModule(error);
  }
}

/** A response that cannot be the module: not found, or a page. */
function checkResponse(response) {
  if (!response.ok || response.headers.get("content-type")?.startsWith("text/html")) throw notWasm(response.url, response);
}

/** Returns the configuration as given: typed, so that a config written in TypeScript is checked
 * where it is written and keeps its literal types. */
export function defineConfig(config) {
  return config;
}

/** The glue's Engine, which says what to do when it is made before `init()` has loaded the
 * module (the glue alone fails with "Cannot read properties of undefined"). A proxy rather than a
 * subclass, so that the engines CaseStore makes from the glue are `instanceof Engine` too. */
export const Engine = new Proxy(WasmEngine, {
  construct(target, args, newTarget) {
    if (!loaded) throw notLoaded();
    return Reflect.construct(target, args, newTarget);
  },
});

export { HandoffError };
export { CaseStore } from "./case-store.js";
