// CaseHandle: a case kept inside the engine must decide exactly as the by-value API does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, HandoffError } from "handoff-engine";
import { firm, ctx, client } from "./helpers.mjs";

await init();

const script = [
  [ctx("devon"), { type: "completeStep", stepId: "documents" }],
  [ctx("dana"), { type: "claim" }],
  [ctx("dana"), { type: "completeStep", stepId: "credit-report" }],
  [client, { type: "completeStep", stepId: "questionnaire" }],
  [ctx("dana"), { type: "completeHandoff", stepId: "review-call" }], // rejected: no `to`
  [ctx("dana"), { type: "completeHandoff", stepId: "review-call", to: "paula" }],
  [ctx("paula"), { type: "assignStep", stepId: "review-call", to: { kind: "member", id: "pete" } }],
  [ctx("dana"), { type: "revertHandoff", stepId: "review-call", reason: "Wrong paralegal" }],
];

test("a kept case gives the same events, states, checks and buttons as execute by value", () => {
  const engine = new Engine(firm);
  let { state } = engine.startCase({ caseId: "smith-2026", workflowId: "chapter-7" }, ctx("dana"));
  const handle = engine.openCase(state);
  assert.deepEqual(handle.state, state);
  let rejected = 0;
  for (const [by, command] of script) {
    assert.deepEqual(handle.check(command, by), engine.check(state, command, by));
    assert.deepEqual(handle.allowedCommands(by.actor), engine.allowedCommands(state, by.actor));
    let expected;
    try {
      expected = engine.execute(state, command, by);
    } catch (error) {
      rejected++;
      assert.throws(() => handle.execute(command, by), (thrown) => thrown instanceof HandoffError && thrown.code === error.code);
      assert.deepEqual(handle.state, state, "a rejection leaves the kept state as it was");
      continue;
    }
    // Events cross packed (src/wasm/pack.rs): the same objects, keys in the same order.
    assert.equal(JSON.stringify(handle.execute(command, by)), JSON.stringify(expected.events));
    state = expected.state;
    assert.deepEqual(handle.state, state);
  }
  assert.equal(rejected, 1);
  handle.free();
});

test("openCase refuses a state that does not fit, and junk never breaks the handle", () => {
  const engine = new Engine(firm);
  const { state } = engine.startCase({ caseId: "c", workflowId: "chapter-7" }, ctx("dana"));
  for (const bad of [undefined, null, 7, "state", { ...state, version: 0 }, { ...state, workflowVersion: 9 }]) {
    assert.throws(() => engine.openCase(bad), HandoffError);
  }
  const handle = engine.openCase(state);
  for (const junk of [undefined, null, 10n, Symbol("x"), () => 1, [], {}, { type: "launch" }]) {
    assert.throws(() => handle.execute(junk, ctx("dana")), (e) => e instanceof HandoffError && e.code === "invalid-input");
    assert.throws(() => handle.execute({ type: "claim" }, junk), (e) => e instanceof HandoffError && e.code === "invalid-input");
    assert.equal(handle.check(junk, ctx("dana")).ok, false);
    assert.throws(() => handle.allowedCommands(junk), HandoffError);
  }
  assert.deepEqual(handle.state, state);
  assert.deepEqual(handle.execute({ type: "claim" }, ctx("dana")).map((e) => e.type), ["ownershipClaimed"]);
});
