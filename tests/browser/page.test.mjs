// The page `npm start` serves, in headless Chromium against the real server: the package's
// browser entry loads its .wasm over HTTP under the server's Content-Security-Policy, validates
// the firm's workflows, and throws real HandoffErrors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, repo, startServer } from "./harness.mjs";

let server;
let base;
let browser;

before(async () => {
  server = await startServer();
  base = server.base;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the demo loads under the CSP, validates the firm's workflow and draws its timeline", async () => {
  const page = await browser.newPage();
  const problems = [];
  // Chromium warns when a preloaded resource goes unused (the page's preload of the .wasm must
  // be the response init() compiles).
  page.on("console", (message) => ["error", "warning"].includes(message.type()) && problems.push(message.text()));
  page.on("pageerror", (error) => problems.push(error.message));
  const wasmRequests = [];
  page.on("request", (request) => request.url().endsWith(".wasm") && wasmRequests.push(request.url()));
  await page.goto(`${base}/`);
  await page.waitForSelector("body[data-ready]", { timeout: 10_000 });
  assert.deepEqual(wasmRequests, [`${base}/pkg/wasm/handoff_engine_bg.wasm`]);
  assert.match(await page.textContent("#summary"), /No errors or warnings/);
  const steps = await page.locator("#timeline svg g[data-step]").count();
  assert.equal(steps, 6);
  const lanes = await page.locator("#timeline svg text").allTextContents();
  for (const owner of ["Documents Team", "Paralegal (role)", "Attorney (role)"]) assert.ok(lanes.includes(owner), lanes.join(" | "));
  await page.selectOption("#who", "morgan-token");
  await page.waitForSelector("text=All changes synced");
  mkdirSync(join(repo, "test-results"), { recursive: true });
  await page.screenshot({ path: join(repo, "test-results/page.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("the browser entry: init is idempotent, errors are HandoffErrors, the instance survives junk", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  const result = await page.evaluate(async () => {
    const engine = await import("/pkg/index.js");
    const first = engine.init();
    const same = engine.init() === first;
    await first;
    const config = await (await fetch("/sync/config", { headers: { Authorization: "Bearer dana-token" } })).json();
    delete config.configVersion;
    const instance = new engine.Engine(config);
    const codes = [];
    for (const junk of [undefined, 10n, "x".repeat(1 << 20), { ...config, extra: 1 }]) {
      try {
        new engine.Engine(junk);
      } catch (error) {
        codes.push([error instanceof engine.HandoffError, error instanceof Error, error.name, error.code]);
      }
    }
    return { same, codes, ok: instance.validateConfig().ok };
  });
  assert.equal(result.same, true);
  assert.equal(result.ok, true);
  assert.deepEqual(result.codes, Array(4).fill([true, true, "HandoffError", "invalid-input"]));
  await page.close();
});
