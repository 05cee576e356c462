// CaseStore at a firm's size (SPEC §14) in headless Chromium against the real server holding
// 20,000 cases seeded through the protocol: the states kept in IndexedDB and pulled again only
// where they changed, pending mutations that survive a reload, and storage that fills up on
// purpose, reported and never losing what the store accepted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, startServer } from "./harness.mjs";

const CASES = 20_000;
const PER_PUSH = 500;
const at = "2026-11-25T09:00:00Z";
let server;
let browser;

/** Starts `CASES` cases through POST /sync/push, as one client of Dana's, 500 a push. */
async function seed() {
  const started = Date.now();
  for (let first = 1; first <= CASES; first += PER_PUSH) {
    const mutations = [];
    for (let id = first; id < first + PER_PUSH && id <= CASES; id += 1) {
      mutations.push({ id, caseId: `firm-${id}`, kind: "startCase", input: { caseId: `firm-${id}`, workflowId: "chapter-7" }, at });
    }
    const response = await fetch(`${server.base}/sync/push`, {
      method: "POST",
      headers: { Authorization: "Bearer dana-token", "Content-Type": "application/json" },
      body: JSON.stringify({ schemaVersion: 2, clientId: "seed-1", mutations }),
    });
    assert.equal(response.status, 200, await response.text());
  }
  console.log(`seeded ${CASES} cases through the protocol in ${Date.now() - started} ms`);
}

before(async () => {
  server = await startServer();
  browser = await launch();
  await seed();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** A page of the server's origin where `window.setup()` loads the package and an engine. */
async function open(context) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.setup = async () => {
      const pkg = await import("/pkg/index.js");
      await pkg.init();
      const config = await (await fetch("/sync/config", { headers: { Authorization: "Bearer dana-token" } })).json();
      delete config.configVersion;
      const engine = new pkg.Engine(config);
      const ctx = (id) => ({ actor: { kind: "member", id }, at: "2026-11-26T09:00:00Z" });
      const pulls = [];
      // The default transport's requests, counted: how many cases each pull brought.
      const store = (namespace) =>
        new pkg.CaseStore(engine, {
          baseUrl: "/sync",
          headers: { Authorization: "Bearer dana-token" },
          namespace,
          transport: async (path, body) => {
            // `("/config", null)` is the GET of the configuration, when the store follows it.
            const response = await fetch(`/sync${path}`, {
              ...(body === null ? { method: "GET" } : { method: "POST", body: JSON.stringify(body) }),
              headers: { Authorization: "Bearer dana-token", "Content-Type": "application/json" },
            });
            const reply = await response.json();
            if (path === "/pull") pulls.push(reply.cases.length);
            return { status: response.status, body: reply };
          },
        });
      return { ctx, store, pulls, HandoffError: pkg.HandoffError };
    };
  });
  await page.goto(`${server.base}/`);
  return page;
}

test("20,000 cases: kept in IndexedDB, changes made offline survive a reload, and the next sync pulls only what changed", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const first = await page.evaluate(async () => {
    const { ctx, store, pulls } = await window.setup();
    const dana = store("reload");
    await dana.ready;
    const started = performance.now();
    const result = await dana.sync();
    window.dana = dana;
    window.ctx = ctx;
    return { pulled: result.pulled, pages: pulls.length, listed: dana.list().length, ms: performance.now() - started };
  });
  console.log(`first sync of ${CASES} cases: ${first.ms.toFixed(0)} ms, ${first.pages} pages`);
  assert.equal(first.pulled, CASES);
  assert.equal(first.pages, CASES / 1000, "pages of the server's 1,000");
  assert.equal(first.listed, CASES);

  // Offline: five changes, never pushed.
  await context.setOffline(true);
  const offline = await page.evaluate(async () => {
    const { dana, ctx } = window;
    const times = [];
    for (let n = 1; n <= 5; n += 1) {
      const started = performance.now();
      dana.dispatch(`firm-${n}`, { type: "claim" }, ctx("dana"));
      times.push(performance.now() - started);
    }
    return { pending: dana.pendingCount, listed: dana.list().length, slowest: Math.max(...times) };
  });
  assert.equal(offline.pending, 5);
  assert.equal(offline.listed, CASES);
  assert.ok(offline.slowest < 50, `a dispatch among 20,000 cases took ${offline.slowest} ms`);
  await context.setOffline(false);

  await page.reload();
  const after = await page.evaluate(async () => {
    const { store, pulls } = await window.setup();
    const dana = store("reload");
    await dana.ready;
    const restored = { pending: dana.pendingCount, owner: dana.get("firm-3")?.owner.id, listed: dana.list().length };
    const result = await dana.sync();
    return { restored, applied: result.applied, pulled: result.pulled, pulls, pending: dana.pendingCount, owner: dana.get("firm-3").owner.id };
  });
  assert.deepEqual(after.restored, { pending: 5, owner: "dana", listed: CASES }, "the states came back from IndexedDB, before any pull");
  assert.equal(after.applied, 5, "the changes made offline reach the server once");
  assert.ok(after.pulled <= 10, `the next pull brings what changed, not the firm (${after.pulled} cases)`);
  assert.deepEqual([after.pending, after.owner], [0, "dana"]);
  await context.close();
});

test("storage exhausted on purpose is reported through the status and dispatch, and nothing accepted is lost", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const cdp = await context.newCDPSession(page);
  const origin = new URL(server.base).origin;

  // IndexedDB with no room: the states cannot be kept; the store says so and works on.
  await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: 64 * 1024 });
  const noRoom = await page.evaluate(async () => {
    const { ctx, store } = await window.setup();
    const dana = store("quota");
    await dana.ready;
    const statuses = [];
    dana.subscribe((status) => statuses.push(status));
    const result = await dana.sync();
    window.dana = dana;
    window.ctx = ctx;
    return { pulled: result.pulled, listed: dana.list().length, error: dana.storageError, told: statuses.some((s) => s.storageError?.code === "storage-full") };
  });
  assert.equal(noRoom.pulled, CASES);
  assert.equal(noRoom.listed, CASES, "the view is whole all the same");
  assert.equal(noRoom.error?.code, "storage-full", JSON.stringify(noRoom.error));
  assert.match(noRoom.error.message, /IndexedDB/);
  assert.ok(noRoom.told, "listeners are told");
  await cdp.send("Storage.overrideQuotaForOrigin", { origin });

  // localStorage full: the queue cannot be saved, so dispatch refuses; what it accepted stays.
  const full = await page.evaluate(async () => {
    const { HandoffError } = await window.setup();
    const { dana, ctx } = window;
    dana.dispatch("firm-10", { type: "claim" }, ctx("dana"));
    dana.dispatch("firm-11", { type: "claim" }, ctx("dana"));
    // Fill what is left of localStorage with junk.
    let chunk = "x".repeat(1 << 20);
    for (let n = 0; chunk.length > 0; ) {
      try {
        localStorage.setItem(`junk-${n}`, chunk);
        n += 1;
      } catch {
        chunk = chunk.slice(0, chunk.length >> 1);
      }
    }
    let refused = null;
    try {
      dana.dispatch("firm-12", { type: "claim" }, ctx("dana"));
    } catch (error) {
      refused = { handoff: error instanceof HandoffError, code: error.code, message: error.message };
    }
    const during = { pending: dana.pendingCount, owner: dana.get("firm-12").owner.kind, status: dana.storageError?.code };
    for (const key of Object.keys(localStorage)) if (key.startsWith("junk-")) localStorage.removeItem(key);
    dana.dispatch("firm-13", { type: "claim" }, ctx("dana"));
    return { refused, during, cleared: dana.storageError, pending: dana.pendingCount };
  });
  assert.deepEqual(full.refused && [full.refused.handoff, full.refused.code], [true, "storage-full"], JSON.stringify(full));
  assert.deepEqual(full.during, { pending: 2, owner: "team", status: "storage-full" }, "the refused change is not queued nor shown");
  assert.match(full.cleared?.message ?? "", /IndexedDB/, "a save that succeeds clears the queue's error; the states' stays");
  assert.equal(full.pending, 3);

  await page.reload();
  const after = await page.evaluate(async () => {
    const { store, pulls } = await window.setup();
    const dana = store("quota");
    await dana.ready;
    const pending = dana.pendingCount;
    const result = await dana.sync();
    return { pending, applied: result.applied, pulls: pulls.length, owners: ["firm-10", "firm-11", "firm-12", "firm-13"].map((id) => dana.get(id).owner.kind) };
  });
  assert.equal(after.pending, 3, "every mutation the store accepted survived the reload");
  assert.equal(after.applied, 3);
  assert.ok(after.pulls >= CASES / 1000, "the states were not kept, so the pull is whole again");
  assert.deepEqual(after.owners, ["member", "member", "team", "member"]);
  await context.close();
});
