// CaseStore at a firm's size (SPEC §14), from the packed package in Node against the real
// server: pulls in pages, closed cases left on the server unless kept, `fetchCase`, and a queue
// whose saved text does not grow with the cases and whose failed save refuses the mutation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, CaseStore, HandoffError } from "handoff-engine";
import { ctx, firmWith, startServer } from "./helpers.mjs";

await init();
// A one-step workflow: completing its step closes the case.
const config = firmWith({ id: "tiny", name: "Tiny", version: 1, steps: [{ id: "a", name: "A" }] });
const engine = new Engine(config);
let server;

before(async () => {
  server = await startServer("handoff-scale-", config);
});

after(() => server?.stop());

/** A transport to the real server that pulls pages of `limit` cases and hands each pull's
 * answer to `onPull` before the store sees it. */
function paging(token, limit, onPull = async () => {}) {
  return async (path, body) => {
    const sent = path === "/pull" && !body.caseIds ? { ...body, limit } : body;
    const response = await fetch(`${server.base}${path}`, {
      ...(sent === null ? { method: "GET" } : { method: "POST", body: JSON.stringify(sent) }),
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    });
    const reply = await response.json();
    if (path === "/pull" && response.ok) await onPull(sent, reply);
    return { status: response.status, body: reply };
  };
}

const store = (token, extra = {}) =>
  new CaseStore(engine, { baseUrl: server.base, headers: { Authorization: `Bearer ${token}` }, storage: "memory", ...extra });

const ids = (states) => states.map((state) => state.caseId).sort();

/** Starts `count` cases named `${prefix}1…`, closes the first `closed`, and syncs them. */
async function seed(prefix, count, closed) {
  const dana = store("dana-token");
  for (let n = 1; n <= count; n += 1) {
    dana.startCase({ caseId: `${prefix}${n}`, workflowId: "tiny" }, ctx("dana"));
    if (n <= closed) dana.dispatch(`${prefix}${n}`, { type: "completeStep", stepId: "a" }, ctx("dana"));
  }
  const result = await dana.sync();
  assert.equal(result.applied, count + closed);
  return dana;
}

test("sync pulls page after page; closed cases stay on the server unless kept, and are fetched on demand", async () => {
  const dana = await seed("page-", 7, 3);
  assert.deepEqual(ids(dana.list()), ["page-4", "page-5", "page-6", "page-7"], "once confirmed, closed cases leave the view");

  const pages = [];
  const fresh = store("paula-token", { transport: paging("paula-token", 2, async (_, reply) => pages.push(reply)) });
  const result = await fresh.sync();
  assert.deepEqual(pages.map((page) => [page.cases.length, page.more]), [[2, true], [2, true], [2, true], [1, false]]);
  assert.equal(result.pulled, 7, "every case exactly once");
  assert.deepEqual(ids(fresh.list()), ["page-4", "page-5", "page-6", "page-7"], "closed before the first pull: not kept");
  assert.equal(fresh.get("page-1"), null);

  const closed = await fresh.fetchCase("page-1");
  assert.equal(closed.closed, true);
  assert.deepEqual([closed.caseId, closed.steps.a.status], ["page-1", "completed"], "the server's state");
  assert.equal(fresh.get("page-1"), null, "fetched, not kept");
  assert.equal(await fresh.fetchCase("no-such-case"), null);
  assert.equal(pages.length, 4 + 2, "each fetch is one pull");
  assert.deepEqual(pages.at(-1).cookie, pages.at(-3).cookie, "a fetch leaves the cookie where it was");

  const keeper = store("paula-token", { keepClosed: true, transport: paging("paula-token", 3) });
  await keeper.sync();
  assert.deepEqual(ids(keeper.list()), ["page-1", "page-2", "page-3", "page-4", "page-5", "page-6", "page-7"]);
  // A case that closes later leaves a view without keepClosed, and stays in one with it.
  dana.dispatch("page-4", { type: "completeStep", stepId: "a" }, ctx("dana"));
  assert.equal(dana.get("page-4").closed, true, "seen closed while pending");
  await dana.sync();
  assert.equal(dana.get("page-4"), null);
  await Promise.all([fresh.sync(), keeper.sync()]);
  assert.equal(fresh.get("page-4"), null);
  assert.equal(keeper.get("page-4").closed, true);
});

test("pushes between the pages of a pull all reach the puller by its last page", async () => {
  await seed("mix-", 6, 0);
  const other = store("dana-token");
  await other.sync();
  let page = 0;
  const puller = store("paula-token", {
    keepClosed: true,
    transport: paging("paula-token", 2, async () => {
      page += 1;
      if (page === 1) {
        // Behind the puller (mix-1 is in its first page), ahead of it, and a new case.
        other.dispatch("mix-1", { type: "completeStep", stepId: "a" }, ctx("dana"));
        other.dispatch("mix-6", { type: "completeStep", stepId: "a" }, ctx("dana"));
        other.startCase({ caseId: "mix-7", workflowId: "tiny" }, ctx("dana"));
        await other.sync();
      }
    }),
  });
  await puller.sync();
  assert.ok(page >= 3, `several pages (${page})`);
  const truth = store("morgan-token", { keepClosed: true });
  await truth.sync();
  const mine = (states) => states.filter((state) => state.caseId.startsWith("mix-"));
  assert.deepEqual(mine(puller.list()), mine(truth.list()), "the puller's view is the server's, after its last page");
  assert.equal(puller.get("mix-1").closed, true, "a change behind the puller's place came back to it");
});

/** A localStorage for Node that refuses to hold more than `quota` characters, as a browser's does. */
class QuotaStorage {
  #items = new Map();
  quota = Infinity;
  get length() {
    return this.#items.size;
  }
  get used() {
    let size = 0;
    for (const [key, value] of this.#items) size += key.length + value.length;
    return size;
  }
  key(index) {
    return [...this.#items.keys()][index] ?? null;
  }
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    const grown = this.used - (this.#items.get(key)?.length ?? -key.length) + String(value).length;
    if (grown > this.quota) throw new Error("QuotaExceededError: the quota has been exceeded");
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
}

test("the saved queue is small whatever the cases; a queue that cannot be saved refuses the mutation, and nothing accepted is lost", async () => {
  await seed("quota-", 40, 0);
  const storage = new QuotaStorage();
  globalThis.localStorage = storage;
  try {
    const options = { baseUrl: server.base, headers: { Authorization: "Bearer dana-token" }, storage: "local" };
    const dana = new CaseStore(engine, options);
    await dana.ready;
    const empty = storage.used;
    await dana.sync();
    assert.ok(dana.list().length >= 40);
    assert.equal(storage.used, empty, "the states are not in localStorage: the queue's text does not grow with the cases");

    dana.startCase({ caseId: "quota-kept-1", workflowId: "tiny" }, ctx("dana"));
    const statuses = [];
    dana.subscribe((status) => statuses.push(status));
    storage.quota = storage.used;
    assert.throws(
      () => dana.startCase({ caseId: "quota-refused", workflowId: "tiny" }, ctx("dana")),
      (error) => error instanceof HandoffError && error.code === "storage-full" && /could not be saved/.test(error.message),
    );
    assert.equal(dana.pendingCount, 1, "the refused mutation is not queued");
    assert.equal(dana.get("quota-refused"), null);
    assert.equal(statuses.at(-1).storageError?.code, "storage-full", "listeners are told");
    assert.equal(dana.storageError?.code, "storage-full");

    storage.quota = Infinity;
    dana.startCase({ caseId: "quota-kept-2", workflowId: "tiny" }, ctx("dana"));
    assert.equal(dana.storageError, null, "a save that succeeds clears it");
    const reloaded = new CaseStore(engine, options);
    await reloaded.ready;
    assert.equal(reloaded.pendingCount, 2, "what the store accepted survives a reload");
    const result = await reloaded.sync();
    assert.equal(result.applied, 2);
    assert.equal(reloaded.get("quota-kept-2").caseId, "quota-kept-2");
  } finally {
    delete globalThis.localStorage;
  }
});

test("a configuration change by an admin reaches a store with pending mutations, which the server then decides as usual", async () => {
  const dana = store("dana-token", { configVersion: 1 });
  dana.startCase({ caseId: "follow-1", workflowId: "tiny" }, ctx("dana"));
  dana.startCase({ caseId: "follow-2", workflowId: "tiny" }, ctx("dana"));
  await dana.sync();
  assert.equal(dana.configVersion, 1);
  const first = dana.engine;
  // Pending: Dana completes one step now, and another after Devon is deactivated…
  dana.dispatch("follow-1", { type: "completeStep", stepId: "a" }, ctx("dana"));
  const devon = store("devon-token", { configVersion: 1 });
  await devon.sync();
  devon.dispatch("follow-2", { type: "completeStep", stepId: "a" }, ctx("devon"));
  // …by the admin, through the server.
  const directory = structuredClone(config.directory);
  directory.members.find((m) => m.id === "devon").active = false;
  const response = await fetch(`${server.base}/config/change`, {
    method: "POST",
    headers: { Authorization: "Bearer morgan-token", "Content-Type": "application/json" },
    body: JSON.stringify({ baseConfigVersion: 1, directory, reason: "Devon left" }),
  });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  assert.equal(answer.configVersion, 2);
  const statuses = [];
  dana.subscribe((status) => statuses.push(status));
  const result = await dana.sync();
  assert.equal(result.applied, 1, "Dana's pending change is decided by the server and confirmed");
  assert.equal(dana.pendingCount, 0);
  assert.equal(dana.configVersion, 2, "the store follows the server's configuration");
  assert.notEqual(dana.engine, first, "with a new engine");
  assert.equal(statuses.at(-1).configVersion, 2, "and tells its listeners");
  assert.equal(dana.engine.validateConfig().ok, true);
  // Devon's pending change is refused by the server as Devon is no longer active: final, reported.
  await assert.rejects(devon.sync(), (error) => error instanceof HandoffError && error.code === "invalid-request");
  assert.equal(devon.pendingCount, 1, "a refused request loses nothing");
});
