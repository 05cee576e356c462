// Two tabs of one app (SPEC §8 "Tabs share a queue safely"): two pages of ONE browser context, so
// they share localStorage and Web Locks, each with a CaseStore on the same base URL and namespace,
// in headless Chromium against the real server. No change is lost, doubled or reordered, and a
// tab closed with changes not yet confirmed leaves them to the other, which syncs them.
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

/** A page of the server's origin in `context` where `window.openStore(namespace)` makes the page's
 * store (`window.store`, with `window.rejections`), and `window.serverView()` reads every case
 * afresh from the server as Dana, through a store of its own that keeps nothing. */
async function tab(context) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    const ctx = { actor: { kind: "member", id: "dana" }, at: "2026-11-25T09:00:00Z" };
    const headers = { Authorization: "Bearer dana-token" };
    let pkg;
    let engine;
    window.ctx = ctx;
    window.openStore = async (namespace) => {
      pkg = await import("/pkg/index.js");
      await pkg.init();
      const config = await (await fetch("/sync/config", { headers })).json();
      delete config.configVersion;
      engine = new pkg.Engine(config);
      window.store = new pkg.CaseStore(engine, { baseUrl: "/sync", headers, namespace, storage: "local" });
      window.rejections = [];
      window.store.onRejected((rejection) => window.rejections.push(rejection));
      return window.store.clientId;
    };
    window.serverView = async () => {
      const fresh = new pkg.CaseStore(engine, { baseUrl: "/sync", headers, storage: "memory" });
      await fresh.sync();
      return Object.fromEntries(fresh.list().map((state) => [state.caseId, state]));
    };
  });
  await page.goto(`${server.base}/`);
  return page;
}

const settle = (page) => page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
const act = (page, caseId, command) => page.evaluate(([id, c]) => window.store.dispatch(id, c, window.ctx) && null, [caseId, command]);
const start = (page, caseId) => page.evaluate((id) => window.store.startCase({ caseId: id, workflowId: "chapter-7" }, window.ctx) && null, caseId);
const steps = (state) => Object.fromEntries(Object.entries(state.steps).map(([id, step]) => [id, step.status]));

test("two tabs on one queue: every change of each is applied exactly once, in its order", async () => {
  const context = await browser.newContext();
  const first = await tab(context);
  const second = await tab(context);
  await first.evaluate(() => window.openStore("tabs"));
  await start(first, "tabs-a");
  await act(first, "tabs-a", { type: "claim" });
  await settle(first);
  // The second tab starts from the same saved client id and queue, and changes something at
  // once, before it can know that the first tab is alive.
  const early = await second.evaluate(async () => {
    const startedAs = await window.openStore("tabs");
    window.store.startCase({ caseId: "tabs-b", workflowId: "chapter-7" }, window.ctx);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { startedAs, pending: window.store.pendingCount, clientId: window.store.clientId };
  });
  const firstId = await first.evaluate(() => window.store.clientId);
  assert.equal(early.startedAs, firstId, "both tabs load the same saved client id");
  assert.notEqual(early.clientId, firstId, "each tab is a client of its own");
  assert.equal(early.pending, 1, "the second tab keeps only its own change");
  // Interleaved changes, then both sync at the same time.
  await act(first, "tabs-a", { type: "completeStep", stepId: "documents" });
  await act(second, "tabs-b", { type: "claim" });
  await act(first, "tabs-a", { type: "completeStep", stepId: "credit-report" });
  await act(second, "tabs-b", { type: "completeStep", stepId: "documents" });
  await act(second, "tabs-b", { type: "skipStep", stepId: "credit-report", reason: "pulled last month" });
  const sync = (page) => page.evaluate(async () => ({ result: await window.store.sync(), pending: window.store.pendingCount, rejections: window.rejections }));
  const [a, b] = await Promise.all([sync(first), sync(second)]);
  assert.deepEqual([a.result.applied, a.pending, a.rejections], [4, 0, []]);
  assert.deepEqual([b.result.applied, b.pending, b.rejections], [4, 0, []]);
  const cases = await first.evaluate(() => window.serverView());
  assert.equal(cases["tabs-a"].owner.id, "dana");
  assert.deepEqual(steps(cases["tabs-a"]), { ...steps(cases["tabs-a"]), documents: "completed", "credit-report": "completed" });
  assert.equal(cases["tabs-b"].owner.id, "dana");
  assert.deepEqual(steps(cases["tabs-b"]), { ...steps(cases["tabs-b"]), documents: "completed", "credit-report": "skipped" });
  // Each tab sees the other's changes after its next pull.
  const seen = await second.evaluate(async () => (await window.store.sync(), window.store.get("tabs-a").steps["credit-report"].status));
  assert.equal(seen, "completed");
  await context.close();
});

test("a tab closed with changes not yet confirmed leaves them to the other tab, which syncs them once", async () => {
  const context = await browser.newContext();
  const closing = await tab(context);
  const staying = await tab(context);
  const closingId = await closing.evaluate(() => window.openStore("orphans"));
  await settle(closing);
  await staying.evaluate(() => window.openStore("orphans"));
  await settle(staying);
  // The closing tab's first push reaches the server, but its answer and everything after is
  // lost; it makes one more change, never pushed, and is closed.
  let first = true;
  await closing.route("**/sync/*", (route) => {
    if (first) {
      first = false;
      return route.continue();
    }
    return route.abort();
  });
  await start(closing, "orphan-1");
  await act(closing, "orphan-1", { type: "claim" });
  await closing.evaluate(() => {
    window.store.sync().catch(() => {});
  });
  await settle(closing);
  await act(closing, "orphan-1", { type: "completeStep", stepId: "documents" });
  assert.equal(await closing.evaluate(() => window.store.pendingCount), 3);
  await closing.close();

  const outcome = await staying.evaluate(async (id) => {
    // The browser lets a closed tab's locks go a moment after it closes; until then the tab
    // counts as alive, and its queue is left to it.
    const held = async () => (await navigator.locks.query()).held.some((lock) => lock.name.endsWith(`/${id}`));
    for (let wait = 0; wait < 500 && (await held()); wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const result = await window.store.sync();
    const key = Object.keys(localStorage).find((k) => k.endsWith(`/${id}`));
    return { result, rejections: window.rejections, left: key ?? null, pending: window.store.pendingCount };
  }, closingId);
  assert.deepEqual(outcome.rejections, [], "nothing applied twice (a second startCase would be rejected)");
  assert.equal(outcome.left, null, "the adopted queue is deleted once confirmed");
  assert.equal(outcome.pending, 0);
  // Only the change the server had not seen was applied: the case has the events of the three
  // changes made once each, as a case given the same changes by this tab has. (Counted on the
  // server rather than by this sync's `applied`: the adopted queue may have been pushed by a
  // sync the store ran itself as the closed tab's lock went.)
  await start(staying, "reference-1");
  await act(staying, "reference-1", { type: "claim" });
  await act(staying, "reference-1", { type: "completeStep", stepId: "documents" });
  await staying.evaluate(() => window.store.sync());
  const cases = await staying.evaluate(() => window.serverView());
  assert.ok(outcome.result.applied <= 1, "no change the server had seen was applied again");
  assert.equal(cases["orphan-1"].version, cases["reference-1"].version, "each change applied once");
  assert.equal(cases["orphan-1"].owner.id, "dana");
  assert.equal(cases["orphan-1"].steps.documents.status, "completed");
  assert.equal(await staying.evaluate(() => window.store.get("orphan-1")?.steps.documents.status), "completed");
  await context.close();
});

test("a saved queue that does not read is kept aside and reported, with tabs coordinating too", async () => {
  const context = await browser.newContext();
  const page = await tab(context);
  const key = await page.evaluate(async () => {
    const id = await window.openStore("junk");
    window.store.startCase({ caseId: "junk-1", workflowId: "chapter-7" }, window.ctx);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const key = Object.keys(localStorage).find((k) => k.endsWith(`/${id}`));
    localStorage.setItem(key, localStorage.getItem(key).slice(0, 50));
    return key;
  });
  await page.reload();
  const after = await page.evaluate(async () => {
    await window.openStore("junk");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const error = window.store.storageError;
    return { error, kept: error && localStorage.getItem(error.key), pending: window.store.pendingCount };
  });
  assert.equal(after.error?.code, "queue-unreadable");
  assert.equal(after.kept?.length, 50, "the text is still there, under the reported key");
  assert.ok(after.error.key.startsWith(`${key}/unreadable/`));
  assert.equal(after.pending, 0);
  await context.close();
});
