// CaseStore from the packed package, in Node, against the real reference server on loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, CaseStore, HandoffError } from "handoff-engine";
import { firm, ctx, client, startServer } from "./helpers.mjs";

await init();
let server;
let base;
const engine = new Engine(firm);

before(async () => {
  server = await startServer("handoff-store-");
  base = server.base;
});

after(() => server?.stop());

const store = (token, extra = {}) =>
  new CaseStore(engine, { baseUrl: base, headers: { Authorization: `Bearer ${token}` }, storage: "memory", ...extra });

/** Forwards to the server with fetch, like the default transport, counting the calls. */
function counting(token, fail = () => false) {
  const calls = [];
  const transport = async (path, body) => {
    calls.push(path);
    if (fail(calls.length)) throw new Error("the network is down");
    const response = await fetch(`${base}${path}`, {
      ...(body === null ? { method: "GET" } : { method: "POST", body: JSON.stringify(body) }),
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    });
    return { status: response.status, body: await response.json() };
  };
  return { calls, transport };
}

test("dispatch is optimistic and queued; sync pushes, pulls and empties the queue", async () => {
  const dana = store("dana-token");
  const statuses = [];
  dana.subscribe((status) => statuses.push(status));
  dana.startCase({ caseId: "opt-1", workflowId: "chapter-7" }, ctx("dana"));
  dana.dispatch("opt-1", { type: "claim" }, ctx("dana"));
  assert.equal(dana.pendingCount, 2);
  assert.deepEqual(dana.get("opt-1").owner, { kind: "member", id: "dana" }, "seen before the server knows");
  const result = await dana.sync();
  assert.deepEqual({ ...result, pulled: result.pulled > 0 }, { pushed: 2, applied: 2, rejected: 0, pulled: true });
  assert.equal(dana.pendingCount, 0);
  assert.deepEqual(statuses.at(-1), { pendingCount: 0, online: true, storageError: null, syncError: null, configVersion: 1 });
  const paula = store("paula-token");
  await paula.sync();
  assert.deepEqual(paula.get("opt-1"), dana.get("opt-1"), "another user converges on the same state");
});

test("a rejection by the server is reported once, dropped, and the view converges", async () => {
  const dana = store("dana-token");
  const devon = store("devon-token");
  const theClient = store("client-token"); // the demo tokens' client, Smith
  dana.startCase({ caseId: "race-1", workflowId: "chapter-7", clients: ["smith"] }, ctx("dana"));
  dana.dispatch("race-1", { type: "completeStep", stepId: "documents" }, ctx("dana"));
  dana.dispatch("race-1", { type: "completeStep", stepId: "credit-report" }, ctx("dana"));
  await dana.sync();
  await theClient.sync();
  theClient.dispatch("race-1", { type: "completeStep", stepId: "questionnaire" }, { ...client, actor: { kind: "client", id: "smith" } });
  await theClient.sync();
  await devon.sync();
  await dana.sync();
  // Both members of the Documents Team hand the case off while the other is not looking.
  dana.dispatch("race-1", { type: "completeHandoff", stepId: "review-call", to: "paula" }, ctx("dana"));
  devon.dispatch("race-1", { type: "completeHandoff", stepId: "review-call", to: "pete" }, ctx("devon"));
  const rejections = [];
  devon.onRejected((rejection) => rejections.push(rejection));
  await dana.sync();
  const result = await devon.sync();
  assert.equal(result.rejected, 1);
  assert.equal(rejections.length, 1);
  assert.equal(rejections[0].code, "no-pending-handoff");
  assert.equal(rejections[0].caseId, "race-1");
  assert.equal(rejections[0].mutation.command.to, "pete");
  assert.equal(devon.pendingCount, 0);
  assert.deepEqual(devon.get("race-1").owner, { kind: "member", id: "paula" }, "Dana's handoff won");
  await devon.sync();
  assert.equal(rejections.length, 1, "reported once");
});

test("network failures are retried with backoff until the server answers", async () => {
  const { calls, transport } = counting("dana-token", (n) => n <= 2);
  const dana = store("dana-token", { transport, headers: {} });
  dana.startCase({ caseId: "retry-1", workflowId: "chapter-7" }, ctx("dana"));
  const offline = [];
  dana.subscribe((status) => offline.push(status.online));
  const result = await dana.sync();
  assert.equal(result.applied, 1);
  // A store told nothing of its engine's configuration fetches it at its first pull.
  assert.deepEqual(calls, ["/push", "/push", "/push", "/pull", "/config"]);
  assert.ok(offline.includes(false) && offline.at(-1) === true, "offline, then back online");
});

test("a refusal of the request itself is final and not retried", async () => {
  const { calls, transport } = counting("stolen-token");
  const intruder = store("stolen-token", { transport, headers: {} });
  intruder.startCase({ caseId: "nope-1", workflowId: "chapter-7" }, ctx("dana"));
  await assert.rejects(intruder.sync(), (e) => e instanceof HandoffError && e.code === "unauthenticated");
  assert.deepEqual(calls, ["/push"]);
  assert.equal(intruder.pendingCount, 1, "nothing is lost: the mutation stays queued");
});

test("when the server has lost the client's history, the store starts over as a new client", async () => {
  let first = true;
  const { transport: forward } = counting("dana-token");
  const transport = async (path, body) => {
    if (first) {
      first = false;
      return { status: 410, body: { error: { code: "client-state-not-found", message: "gone" } } };
    }
    return forward(path, body);
  };
  const dana = store("dana-token", { transport, headers: {}, clientId: "old-client" });
  dana.startCase({ caseId: "reset-1", workflowId: "chapter-7" }, ctx("dana"));
  const result = await dana.sync();
  assert.notEqual(dana.clientId, "old-client");
  assert.equal(result.applied, 1);
  assert.equal(dana.pendingCount, 0);
});

test("bad options are HandoffError invalid-input naming the option", () => {
  const path = (fn) => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof HandoffError && error.code === "invalid-input");
      return error.details.path;
    }
    assert.fail("accepted");
  };
  assert.equal(path(() => new CaseStore(engine, { baseUrl: "" })), "baseUrl");
  assert.equal(path(() => new CaseStore(engine, { baseUrl: base, transport: "fetch" })), "transport");
  assert.equal(path(() => new CaseStore(engine, { baseUrl: base, storage: "cookie" })), "storage");
  assert.equal(path(() => new CaseStore(engine, { baseUrl: base, retry: 3 })), "retry");
  assert.equal(path(() => new CaseStore({}, { baseUrl: base })), "engine");
  assert.equal(path(() => store("dana-token").dispatch("x", { type: "claim", actor: {} }, ctx("dana"))), "command.actor");
  assert.equal(path(() => new CaseStore(engine, { baseUrl: base, keepClosed: "yes" })), "keepClosed");
});

test("fetchCase refuses what is not a case id, and the store keeps working", async () => {
  const dana = store("dana-token");
  for (const junk of [undefined, null, 42, {}, ["a"]]) {
    await assert.rejects(dana.fetchCase(junk), (error) => error instanceof HandoffError && error.code === "invalid-input");
  }
  // A string that is no id is the server's to refuse (ids are checked in one place, the core).
  for (const id of ["", "x".repeat(200)]) {
    await assert.rejects(dana.fetchCase(id), (error) => error instanceof HandoffError && error.code === "invalid-request" && /caseIds\[0\]/.test(error.message));
  }
  dana.startCase({ caseId: "fetch-1", workflowId: "chapter-7" }, ctx("dana"));
  await dana.sync();
  assert.equal((await dana.fetchCase("fetch-1")).caseId, "fetch-1");
});

test("auto-sync drains the queue on its own until stopped", async () => {
  const dana = store("dana-token");
  dana.startCase({ caseId: "auto-1", workflowId: "chapter-7" }, ctx("dana"));
  const drained = new Promise((resolve) => {
    const stop = dana.subscribe((status) => {
      if (status.pendingCount === 0) {
        stop();
        resolve();
      }
    });
  });
  dana.startAutoSync({ intervalMs: 50 });
  await drained;
  dana.stopAutoSync();
  dana.dispatch("auto-1", { type: "claim" }, ctx("dana"));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(dana.pendingCount, 1, "stopped: nothing is sent any more");
});
