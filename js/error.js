/** The one error the engine throws: a stable `code`, a readable `message`, and `details`. */
export class HandoffError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = "HandoffError";
    this.code = code;
    this.details = details;
  }
}

// Failures to load the WebAssembly, as HandoffError("wasm-load-failed") with a message that says
// what was fetched or read and what usually fixes it: bundlers that move the package's JS without
// its `.wasm` are the common cause, and their symptom (an HTML page where the module should be, a
// missing file) says nothing about it by itself. Here rather than in a file of their own because
// the build copies a fixed list of files.

const GUIDE = "See the package README, section Bundlers.";

/** `init()` fetched `url` and got `response`, which is not WebAssembly (or not found). */
export function notWasm(url, response, cause) {
  const type = response?.headers?.get("content-type")?.split(";")[0] || "no content type";
  const got = response && !response.ok ? `HTTP ${response.status}` : `${type}, not WebAssembly`;
  return new HandoffError(
    "wasm-load-failed",
    `init() fetched ${url} and got ${got}${cause ? ` (${cause.message})` : ""}. ${fixFor(String(url))} ${GUIDE}`,
  );
}

function fixFor(url) {
  if (url.includes("/.vite/deps/")) {
    return 'Vite\'s dev server pre-bundled the package away from its .wasm: add optimizeDeps: { exclude: ["handoff-engine"] } to vite.config.';
  }
  return 'Serve handoff_engine_bg.wasm and pass its URL to init() (with Vite: import wasmUrl from "handoff-engine/handoff_engine_bg.wasm?url"; init(wasmUrl)), or let the bundler emit it (the package loads it with new URL("./wasm/handoff_engine_bg.wasm", import.meta.url)).';
}

/** The bytes or module given to `init()` are not the engine's WebAssembly. */
export function badModule(cause) {
  return new HandoffError(
    "wasm-load-failed",
    `init() was given something that is not the engine's WebAssembly (${cause.message}). Pass the URL, bytes, Response or WebAssembly.Module of handoff_engine_bg.wasm. ${GUIDE}`,
  );
}

/** The browser entry: an Engine made before `init()` has loaded the module. */
export function notLoaded() {
  return new HandoffError(
    "wasm-load-failed",
    "The engine's WebAssembly is not loaded yet: await init() before new Engine(…) (the Node entry loads it on import).",
  );
}

/** Node: the `.wasm` is not at `where`. */
export function missingFile(where, cause) {
  return new HandoffError(
    "wasm-load-failed",
    `handoff-engine could not read its WebAssembly at ${where} (${cause.code ?? cause.message}). A bundler moved the package's JS without its .wasm: keep handoff-engine external (esbuild --external:handoff-engine or --packages=external, Next.js serverExternalPackages: ["handoff-engine"], webpack externals), or copy node_modules/handoff-engine/pkg/wasm/handoff_engine_bg.wasm to that path. ${GUIDE}`,
  );
}
