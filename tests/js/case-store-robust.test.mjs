// CaseStore against a server that misbehaves: a saved queue that does not read, answers that
// contradict what was sent, a server that never answers, 429 and 426. From the packed package, in
// Node, against the real reference server (HANDOFF_SERVER) behind a custom transport or a small
// node:http proxy that lies, hangs or asks to wait.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { init, Engine, CaseStore, HandoffError } from "handoff-engine";
import { firm, ctx, startServer } from "./helpers.mjs";

await init();
let server;
let base;
const engine = new Engine(firm);

before(async () => {
  server = await startServer("handoff-robust-");
  base = server.base;
});

after(() => server?.stop());

async function forward(path, body, token = "dana-token") {
  const response = await fetch(`${base}${path}`, {
    // `("/config", null)` is the GET of the configuration (SPEC §13); the rest are POSTs.
    ...(body === null ? { method: "GET" } : { method: "POST", body: JSON.stringify(body) }),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  });
  return { status: response.status, body: await response.json() };
}

/** A transport to the real server whose answers `lie` may rewrite: (path, request, answer) => answer. */
function lying(lie) {
  const requests = [];
  const transport = async (path, body) => {
    requests.push({ path, body: structuredClone(body) });
    return lie(path, body, await forward(path, body));
  };
  return { requests, transport };
}

const store = (extra) => new CaseStore(engine, { baseUrl: base, storage: "memory", ...extra });

/** Every status the store reports, from now on. */
function watch(target) {
  const statuses = [];
  target.subscribe((status) => statuses.push(status));
  return statuses;
}

const isCode = (code) => (error) => {
  assert.ok(error instanceof HandoffError, String(error));
  assert.equal(error.code, code, error.message);
  return true;
};

/** A localStorage for Node: what a browser keeps between page loads. */
class MemoryStorage {
  #items = new Map();
  get length() {
    return this.#items.size;
  }
  key(index) {
    return [...this.#items.keys()][index] ?? null;
  }
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
}

test("a saved queue that does not read is kept aside under its own key and reported, never wiped", () => {
  const storage = new MemoryStorage();
  globalThis.localStorage = storage;
  try {
    const options = { baseUrl: "https://firm.example/sync", storage: "local" };
    const first = new CaseStore(engine, options);
    first.startCase({ caseId: "junk-1", workflowId: "chapter-7" }, ctx("dana"));
    first.dispatch("junk-1", { type: "claim" }, ctx("dana"));
    const key = `handoff-engine/default/https://firm.example/sync/${first.clientId}`;
    const saved = storage.getItem(key);
    assert.equal(JSON.parse(saved).pending.length, 2);
    // The saved text is cut short (a crash mid-write, an older version's format, a browser bug).
    const junk = saved.slice(0, saved.length - 40);
    storage.setItem(key, junk);

    const reloaded = new CaseStore(engine, options);
    assert.equal(reloaded.storageError?.code, "queue-unreadable");
    assert.equal(storage.getItem(reloaded.storageError.key), junk, "the text is still there, under the reported key");
    assert.notEqual(reloaded.storageError.key, key);
    assert.match(reloaded.storageError.message, /could not be read/);
    assert.notEqual(reloaded.clientId, first.clientId, "a new client: the old numbering is unknown");
    assert.equal(reloaded.pendingCount, 0);
    const statuses = watch(reloaded);
    reloaded.startCase({ caseId: "junk-2", workflowId: "chapter-7" }, ctx("dana"));
    assert.deepEqual(statuses.at(-1).storageError, reloaded.storageError, "listeners are told too");

    // Another unreadable save later never overwrites the first one kept aside.
    const secondKey = `handoff-engine/default/https://firm.example/sync/${reloaded.clientId}`;
    storage.setItem(secondKey, "{ not json");
    const again = new CaseStore(engine, options);
    assert.notEqual(again.storageError.key, reloaded.storageError.key);
    assert.equal(storage.getItem(reloaded.storageError.key), junk);
    assert.equal(storage.getItem(again.storageError.key), "{ not json");
    assert.equal(new CaseStore(engine, options).storageError, null, "a store that read its queue reports nothing");
    // A readable queue, but another client's, under the current client's key is not taken either.
    const pointer = "handoff-engine/default/https://firm.example/sync";
    const other = storage.getItem(`${pointer}/${again.clientId}`);
    storage.setItem(pointer, "someone-else");
    storage.setItem(`${pointer}/someone-else`, other);
    const misfiled = new CaseStore(engine, options);
    assert.equal(misfiled.storageError?.code, "queue-unreadable");
    assert.equal(storage.getItem(misfiled.storageError.key), other);
    assert.notEqual(misfiled.clientId, again.clientId);
  } finally {
    delete globalThis.localStorage;
  }
});

test("a pull confirming mutations never sent is a protocol-error: nothing taken, the queue kept", async () => {
  let lie = true;
  const { transport } = lying((path, body, answer) =>
    lie && path === "/pull" ? { ...answer, body: { ...answer.body, lastMutationId: 1000 } } : answer,
  );
  const dana = store({ transport });
  const statuses = watch(dana);
  const rejections = [];
  dana.onRejected((rejection) => rejections.push(rejection));
  dana.startCase({ caseId: "lie-1", workflowId: "chapter-7" }, ctx("dana"));
  dana.dispatch("lie-1", { type: "claim" }, ctx("dana"));
  await assert.rejects(dana.sync(), isCode("protocol-error"));
  assert.equal(dana.pendingCount, 2, "the queue is kept");
  assert.equal(dana.syncError.code, "protocol-error");
  assert.equal(statuses.at(-1).syncError.code, "protocol-error", "the status says so");
  assert.equal(dana.get("lie-1").owner.id, "dana", "the view still shows the change");
  lie = false;
  const result = await dana.sync();
  assert.equal(dana.pendingCount, 0);
  assert.equal(dana.syncError, null);
  assert.equal(statuses.at(-1).syncError, null);
  assert.deepEqual(rejections, []);
  assert.ok(result.pulled > 0);
});

test("a push response naming mutations not sent is a protocol-error, and reports nothing", async () => {
  const rejections = [];
  let dana;
  const { transport } = lying((path, body, answer) => {
    if (path !== "/push") return answer;
    // The user dispatches while the push is on its way; the server claims to have rejected it.
    dana.dispatch("lie-2", { type: "completeStep", stepId: "documents" }, ctx("dana"));
    return { status: 200, body: { lastMutationId: 1, results: [{ id: 2, status: "rejected", code: "not-permitted", message: "No." }] } };
  });
  dana = store({ transport });
  dana.onRejected((rejection) => rejections.push(rejection));
  dana.startCase({ caseId: "lie-2", workflowId: "chapter-7" }, ctx("dana"));
  await assert.rejects(dana.sync(), isCode("protocol-error"));
  assert.deepEqual(rejections, [], "mutation 2 was never sent: no rejection of it is believed");
  assert.equal(dana.pendingCount, 2);

  const counter = store({ transport: lying((path, body, answer) => (path === "/push" ? { ...answer, body: { ...answer.body, lastMutationId: 7 } } : answer)).transport });
  counter.startCase({ caseId: "lie-3", workflowId: "chapter-7" }, ctx("dana"));
  await assert.rejects(counter.sync(), isCode("protocol-error"));
  assert.equal(counter.pendingCount, 1);
});

test("a cookie that is not an id (SPEC §2) is a protocol-error and never stored", async () => {
  for (const cookie of ["", "x".repeat(129), "7\u0000", 7, null]) {
    let lie = true;
    const { requests, transport } = lying((path, body, answer) => (lie && path === "/pull" ? { ...answer, body: { ...answer.body, cookie } } : answer));
    const dana = store({ transport });
    await assert.rejects(dana.sync(), isCode("protocol-error"), JSON.stringify(cookie));
    lie = false;
    await dana.sync();
    await dana.sync();
    const cookies = requests.filter((r) => r.path === "/pull").map((r) => r.body.cookie);
    assert.equal(cookies[1], null, `${JSON.stringify(cookie)} was not kept`);
    assert.match(cookies[2], /^\d+$/, "the server's own cookie is");
  }
});

/** A proxy in front of the real server: `plan(n, path)` says what the n-th request (from 1) gets:
 * "hang" (never answered), { status, retryAfter } (answered so), or undefined (forwarded). */
async function proxy(plan) {
  let count = 0;
  const times = [];
  const http = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    count += 1;
    times.push(Date.now());
    const path = request.url.replace(/^\/sync/, "");
    const what = plan(count, path);
    if (what === "hang") return;
    if (what) {
      response.writeHead(what.status, { "Content-Type": "application/json", ...(what.retryAfter === undefined ? {} : { "Retry-After": what.retryAfter }) });
      response.end(JSON.stringify({ error: { code: what.code ?? "too-many-requests", message: "Slow down." } }));
      return;
    }
    const answer = await forward(path, request.method === "GET" ? null : JSON.parse(Buffer.concat(chunks).toString()));
    response.writeHead(answer.status, { "Content-Type": "application/json" });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${http.address().port}/sync`,
    times,
    close: () => {
      http.closeAllConnections();
      http.close();
    },
  };
}

test("a server that accepts the connection and never answers times out: offline, retried, then synced", async () => {
  const hanging = await proxy((n) => (n === 1 ? "hang" : undefined));
  try {
    const dana = new CaseStore(engine, { baseUrl: hanging.baseUrl, headers: { Authorization: "Bearer dana-token" }, storage: "memory", timeoutMs: 300 });
    const statuses = watch(dana);
    dana.startCase({ caseId: "hang-1", workflowId: "chapter-7" }, ctx("dana"));
    const result = await dana.sync();
    assert.ok(statuses.some((s) => s.online === false), "offline after the timeout");
    assert.equal(result.applied, 1);
    assert.equal(dana.pendingCount, 0);
    assert.equal(dana.online, true);
  } finally {
    hanging.close();
  }
});

test("a custom transport that never settles times out the same way", async () => {
  let calls = 0;
  const transport = (path, body) => (++calls === 1 ? new Promise(() => {}) : forward(path, body));
  const dana = store({ transport, timeoutMs: 200 });
  const statuses = watch(dana);
  dana.startCase({ caseId: "hang-2", workflowId: "chapter-7" }, ctx("dana"));
  const started = Date.now();
  await dana.sync();
  assert.ok(Date.now() - started >= 200);
  assert.ok(statuses.some((s) => s.online === false));
  assert.equal(dana.pendingCount, 0);
  // Every attempt times out: the sync ends as a network failure, the mutation still queued.
  const silent = store({ transport: () => new Promise(() => {}), timeoutMs: 20 });
  silent.startCase({ caseId: "hang-3", workflowId: "chapter-7" }, ctx("dana"));
  await assert.rejects(silent.sync(), isCode("network-error"));
  assert.equal(silent.online, false);
  assert.equal(silent.pendingCount, 1);
  assert.equal(silent.syncError.code, "network-error");
});

test("429 with Retry-After is a retry after that long, not a rejection and not offline", async () => {
  const limited = await proxy((n) => (n === 1 ? { status: 429, retryAfter: "1" } : undefined));
  try {
    const dana = new CaseStore(engine, { baseUrl: limited.baseUrl, headers: { Authorization: "Bearer dana-token" }, storage: "memory" });
    const statuses = watch(dana);
    dana.startCase({ caseId: "busy-1", workflowId: "chapter-7" }, ctx("dana"));
    const result = await dana.sync();
    assert.equal(result.applied, 1);
    assert.ok(limited.times[1] - limited.times[0] >= 950, `waited ${limited.times[1] - limited.times[0]} ms`);
    assert.ok(statuses.every((s) => s.online), "a 429 is an answer: still online");
  } finally {
    limited.close();
  }
  // A transport passes the header on as retryAfter (seconds).
  let calls = 0;
  const transport = (path, body) => (++calls === 1 ? { status: 429, body: null, retryAfter: 0.3 } : forward(path, body));
  const paula = store({ transport, headers: {} });
  paula.startCase({ caseId: "busy-2", workflowId: "chapter-7" }, ctx("dana"));
  const started = Date.now();
  assert.equal((await paula.sync()).applied, 1);
  assert.ok(Date.now() - started >= 280);
});

test("426 unsupported-schema-version is its own code: the app should reload", async () => {
  const old = store({
    transport: async () => ({ status: 426, body: { error: { code: "unsupported-schema-version", message: "Reload the page." } } }),
  });
  old.startCase({ caseId: "old-1", workflowId: "chapter-7" }, ctx("dana"));
  await assert.rejects(old.sync(), isCode("unsupported-schema-version"));
  assert.equal(old.syncError.code, "unsupported-schema-version");
  assert.equal(old.pendingCount, 1);
});

test("a first-release saved queue, states and cookie inside, resumes its pending mutations and pulls whole", async () => {
  const storage = new MemoryStorage();
  globalThis.localStorage = storage;
  try {
    const options = { baseUrl: base, headers: { Authorization: "Bearer dana-token" }, storage: "local" };
    const first = new CaseStore(engine, options);
    first.startCase({ caseId: "legacy-1", workflowId: "chapter-7" }, ctx("dana"));
    const key = `handoff-engine/default/${base}/${first.clientId}`;
    // What the first release saved: the queue, and the server's states with their cookie.
    const queue = JSON.parse(storage.getItem(key));
    const { clientId, ...rest } = queue;
    storage.setItem(key, JSON.stringify({ clientId, ...rest, cookie: "3", confirmed: { other: { caseId: "other" } } }));
    const reloaded = new CaseStore(engine, options);
    assert.equal(reloaded.storageError, null);
    assert.equal(reloaded.clientId, first.clientId);
    assert.equal(reloaded.pendingCount, 1, "the pending mutation is still there");
    assert.equal(reloaded.get("other"), null, "the old states are left");
    const result = await reloaded.sync();
    assert.equal(result.applied, 1);
    assert.ok(result.pulled >= 1, "a whole pull");
  } finally {
    delete globalThis.localStorage;
  }
});
