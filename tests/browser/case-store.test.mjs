// CaseStore in headless Chromium against the real server, from the page's own origin: optimistic
// state, a rejection surfaced, and pending mutations that survive a page reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, startServer } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** A page of the server's origin where `window.setup()` loads the package and an engine. */
async function open() {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.setup = async () => {
      const pkg = await import("/pkg/index.js");
      await pkg.init();
      const config = await (await fetch("/sync/config", { headers: { Authorization: "Bearer dana-token" } })).json();
      delete config.configVersion;
      const engine = new pkg.Engine(config);
      const ctx = (id) => ({ actor: { kind: "member", id }, at: "2026-11-25T09:00:00Z" });
      const store = (token, namespace) =>
        new pkg.CaseStore(engine, { baseUrl: "/sync", headers: { Authorization: `Bearer ${token}` }, namespace });
      return { ctx, store };
    };
  });
  await page.goto(`${server.base}/`);
  return page;
}

test("changes made before the tab owns its queue survive a reload at once", async () => {
  const page = await open();
  const before = await page.evaluate(async () => {
    // A lock manager slow to answer, as on a busy machine: the reload comes before the grant.
    const request = navigator.locks.request.bind(navigator.locks);
    navigator.locks.request = (name, options, callback) =>
      new Promise((resolve) => setTimeout(resolve, 5000)).then(() => request(name, options, callback));
    const { ctx, store } = await window.setup();
    const dana = store("dana-token", "early");
    dana.startCase({ caseId: "early-1", workflowId: "chapter-7" }, ctx("dana"));
    dana.dispatch("early-1", { type: "claim" }, ctx("dana"));
    return { pending: dana.pendingCount, clientId: dana.clientId };
  });
  assert.equal(before.pending, 2);
  await page.reload();
  const after = await page.evaluate(async () => {
    const { store } = await window.setup();
    const dana = store("dana-token", "early");
    const restored = { pending: dana.pendingCount, owner: dana.get("early-1")?.owner.id, clientId: dana.clientId };
    const result = await dana.sync();
    return { restored, applied: result.applied };
  });
  assert.deepEqual(after.restored, { pending: 2, owner: "dana", clientId: before.clientId });
  assert.equal(after.applied, 2);
  await page.close();
});

test("pending mutations survive a page reload and then sync", async () => {
  const page = await open();
  const before = await page.evaluate(async () => {
    const { ctx, store } = await window.setup();
    const dana = store("dana-token", "reload");
    dana.startCase({ caseId: "reload-1", workflowId: "chapter-7" }, ctx("dana"));
    dana.dispatch("reload-1", { type: "claim" }, ctx("dana"));
    return { pending: dana.pendingCount, owner: dana.get("reload-1").owner.id, clientId: dana.clientId };
  });
  assert.deepEqual({ pending: before.pending, owner: before.owner }, { pending: 2, owner: "dana" });
  await page.reload();
  const after = await page.evaluate(async () => {
    const { store } = await window.setup();
    const dana = store("dana-token", "reload");
    const restored = { pending: dana.pendingCount, owner: dana.get("reload-1")?.owner.id, clientId: dana.clientId };
    const result = await dana.sync();
    return { restored, result, pending: dana.pendingCount };
  });
  assert.deepEqual(after.restored, { pending: 2, owner: "dana", clientId: before.clientId });
  assert.equal(after.result.applied, 2);
  assert.equal(after.pending, 0);
  await page.close();
});

test("the optimistic state shows at once, and a server rejection reaches onRejected", async () => {
  const page = await open();
  const outcome = await page.evaluate(async () => {
    const { ctx, store } = await window.setup();
    const dana = store("dana-token", "race-dana");
    const morgan = store("morgan-token", "race-morgan");
    dana.startCase({ caseId: "race-2", workflowId: "chapter-7" }, ctx("dana"));
    await dana.sync();
    await morgan.sync();
    // Dana claims and completes the first step; Morgan, an admin, skips that step meanwhile.
    dana.dispatch("race-2", { type: "claim" }, ctx("dana"));
    const optimistic = dana.get("race-2").owner.id;
    morgan.dispatch("race-2", { type: "skipStep", stepId: "documents", reason: "scanned already" }, ctx("morgan"));
    await morgan.sync();
    const rejections = [];
    dana.onRejected((rejection) => rejections.push(rejection));
    dana.dispatch("race-2", { type: "completeStep", stepId: "documents" }, ctx("dana"));
    const result = await dana.sync();
    return { optimistic, result, rejections, status: dana.get("race-2").steps.documents.status, pending: dana.pendingCount };
  });
  assert.equal(outcome.optimistic, "dana");
  assert.equal(outcome.rejections.length, 1);
  assert.equal(outcome.rejections[0].code, "step-not-active");
  assert.equal(outcome.rejections[0].mutation.command.stepId, "documents");
  assert.equal(outcome.status, "skipped", "the view is the server's");
  assert.equal(outcome.pending, 0);
  await page.close();
});
