// Deciding is pure: the same state, command and context give the same result, every time and in
// every engine; time comes only from ctx.at.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine } from "handoff-engine";
import { firm, ctx, client } from "./helpers.mjs";

await init();

const script = [
  [ctx("dana"), { type: "claim" }],
  [ctx("dana"), { type: "completeStep", stepId: "documents" }],
  [ctx("dana"), { type: "assignStep", stepId: "petition", to: { kind: "member", id: "pete" } }],
  [ctx("dana"), { type: "completeStep", stepId: "credit-report" }],
  [client, { type: "completeStep", stepId: "questionnaire" }],
  [ctx("dana"), { type: "completeHandoff", stepId: "review-call", to: "paula" }],
  [ctx("paula"), { type: "setCaseRole", roleId: "attorney", memberId: "avery" }],
  [ctx("paula"), { type: "completeStep", stepId: "review-call" }],
];

function play(engine, at) {
  const results = [];
  let { state, events } = engine.startCase({ caseId: "c", workflowId: "chapter-7", facts: { chapter: 7 } }, { ...ctx("dana"), at });
  results.push(events);
  for (const [by, command] of script) {
    const outcome = engine.execute(state, command, { ...by, at });
    results.push(outcome.events);
    state = outcome.state;
  }
  return { state, results };
}

test("the same inputs give the same outputs, in one engine and in another", () => {
  const a = play(new Engine(firm), "2026-11-25T09:00:00Z");
  const b = play(new Engine(firm), "2026-11-25T09:00:00Z");
  const c = play(new Engine(structuredClone(firm)), "2026-11-25T09:00:00Z");
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  assert.equal(JSON.stringify(a), JSON.stringify(b), "even key order is stable");
});

test("time comes from ctx.at only", () => {
  const later = play(new Engine(firm), "2030-01-01T00:00:00+02:00");
  assert.ok(later.results.flat().every((e) => e.at === "2030-01-01T00:00:00+02:00"));
});

test("a state that went through JSON decides exactly as before", () => {
  const engine = new Engine(firm);
  const { state } = play(engine, "2026-11-25T09:00:00Z");
  const copy = JSON.parse(JSON.stringify(state));
  const command = { type: "completeStep", stepId: "petition" };
  assert.deepEqual(engine.execute(copy, command, ctx("pete")), engine.execute(state, command, ctx("pete")));
});
