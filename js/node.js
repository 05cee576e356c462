// Entry for Node.js: the module is compiled synchronously at import, so `init()` is harmless.
// This file has a side effect (package.json's "sideEffects" names it): a bundler that dropped it
// would leave the glue without its instance.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initSync, Engine, __registerErrorClass } from "./wasm/handoff_engine.js";
import { HandoffError, missingFile } from "./error.js";

initSync({ module: readWasm() });
__registerErrorClass(HandoffError);

/**
 * The `.wasm` beside this file, where a bundler may have moved it along with the JS; else the
 * one of the package as installed in the application (a bundler that made the URL a browser
 * asset's, as Next.js does for its server bundle): the copy the bundle was made from, as long as
 * node_modules has not changed since.
 */
function readWasm() {
  let where;
  try {
    // Written so that bundlers see it (webpack emits the file and rewrites the URL); what they
    // rewrite it to need not be Node's URL class, so only its text is used.
    where = new URL("./wasm/handoff_engine_bg.wasm", import.meta.url).href;
    if (where.startsWith("file:")) where = fileURLToPath(where);
    return readFileSync(where);
  } catch (error) {
    const installed = installedWasm();
    if (installed) return installed;
    // No import.meta.url (a CommonJS bundle) throws before `where` is set.
    throw missingFile(where ?? "./wasm/handoff_engine_bg.wasm (no import.meta.url here)", error);
  }
}

/** The package's `.wasm` in the node_modules that Node would look in from the working directory
 * (searched by hand: bundlers rewrite `require.resolve`), or null. */
function installedWasm() {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    try {
      return readFileSync(join(dir, "node_modules/handoff-engine/pkg/wasm/handoff_engine_bg.wasm"));
    } catch {
      if (dirname(dir) === dir) return null;
    }
  }
}

const ready = Promise.resolve();

/** Already done in Node; kept so that the same code runs in browsers and in Node. */
export function init() {
  return ready;
}

/** Returns the configuration as given: typed, so that a config written in TypeScript is checked
 * where it is written and keeps its literal types. */
export function defineConfig(config) {
  return config;
}

export { Engine, HandoffError };
export { CaseStore } from "./case-store.js";
