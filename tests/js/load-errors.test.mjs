// The browser entry's init() when what it loads is not the engine's WebAssembly: a dev server's
// HTML fallback page, a 404, the wrong bytes. In a file of its own: importing the Node entry would
// set up the glue this file's init() must find empty.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const dir = createRequire(import.meta.url).resolve("handoff-engine/package.json").replace(/package\.json$/, "");

// The browser entry, loaded in Node (which has fetch and Response): each test gets a fresh copy
// of the module, since init() caches its promise.
let copies = 0;
async function browserEntry() {
  copies += 1;
  return import(`${pathToFileURL(`${dir}pkg/index.js`)}?copy=${copies}`);
}

function expectLoadFailure(pattern) {
  return (error) => {
    assert.equal(error.name, "HandoffError");
    assert.equal(error.code, "wasm-load-failed");
    assert.match(error.message, pattern);
    return true;
  };
}

test("init() that fetches an HTML page names the URL and, for Vite's dev server, the fix", async () => {
  const server = createServer((_, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<!doctype html><html></html>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/node_modules/.vite/deps/wasm/handoff_engine_bg.wasm`;
  try {
    const { init } = await browserEntry();
    await assert.rejects(init(url), expectLoadFailure(new RegExp(`fetched ${url.replaceAll(".", "\\.")} and got text/html, not WebAssembly.*optimizeDeps: \\{ exclude: \\["handoff-engine"\\] \\}`)));
    const again = await browserEntry();
    await assert.rejects(again.init(url.replace("/.vite/deps", "")), expectLoadFailure(/and got text\/html.*handoff_engine_bg\.wasm\?url/));
  } finally {
    server.close();
  }
});

test("init() given a 404, or bytes that are not WebAssembly, says so", async () => {
  const { init } = await browserEntry();
  const missing = new Response("not here", { status: 404, headers: { "content-type": "text/plain" } });
  await assert.rejects(init(missing), expectLoadFailure(/got HTTP 404/));
  await assert.rejects(init(new Uint8Array([60, 33, 100, 111])), expectLoadFailure(/not the engine's WebAssembly/));
  const mislabelled = new Response("<!doctype html>", { headers: { "content-type": "application/wasm" } });
  await assert.rejects(init(mislabelled), expectLoadFailure(/not WebAssembly/));
  // A failed load may be retried: the real module loads after all that.
  await init(readFileSync(`${dir}pkg/wasm/handoff_engine_bg.wasm`));
});


test("an Engine made before init() says to await init(), and works once it has", async () => {
  const { Engine, init } = await browserEntry();
  const config = readFileSync(new URL("./example-firm.json", import.meta.url), "utf8");
  assert.throws(() => new Engine(config), expectLoadFailure(/not loaded yet: await init\(\) before new Engine/));
  await init(readFileSync(`${dir}pkg/wasm/handoff_engine_bg.wasm`));
  const engine = new Engine(config);
  assert.ok(engine instanceof Engine);
  // The engines the store makes from the glue are Engines too.
  const { Engine: glueEngine } = await import(`${pathToFileURL(`${dir}pkg/wasm/handoff_engine.js`)}`);
  assert.ok(new glueEngine(config) instanceof Engine);
  assert.equal(engine.validateConfig().ok, true);
});
