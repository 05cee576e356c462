// The Example Law Firm through the JS API, as a frontend would drive it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, HandoffError } from "handoff-engine";
import { firm, ctx, client } from "./helpers.mjs";

await init();

test("a Chapter 7 case runs through both handoffs, a revert, a claim and a transfer to closing", () => {
  const engine = new Engine(firm);
  assert.equal(engine.validateConfig().ok, true);
  const log = [];
  let { state, events } = engine.startCase({ caseId: "smith-2026", workflowId: "chapter-7" }, ctx("dana"));
  log.push(...events);
  assert.deepEqual(events.map((e) => e.type), ["caseStarted", "stepTriggered"]);
  assert.deepEqual(state.owner, { kind: "team", id: "documents" });

  const run = (by, command) => {
    const outcome = engine.execute(state, command, by);
    log.push(...outcome.events);
    state = outcome.state;
    return outcome.events.map((e) => e.type);
  };
  run(ctx("devon"), { type: "completeStep", stepId: "documents" });
  assert.deepEqual(run(ctx("dana"), { type: "claim" }), ["ownershipClaimed"]);
  run(ctx("dana"), { type: "completeStep", stepId: "credit-report" });
  assert.deepEqual(run(client, { type: "completeStep", stepId: "questionnaire" }), [
    "stepCompleted",
    "stepTriggered",
    "handoffRequested",
  ]);
  assert.equal(state.steps["review-call"].status, "awaitingHandoff");
  assert.deepEqual(state.pendingHandoff, {
    stepId: "review-call",
    to: { kind: "role", id: "paralegal" },
    required: true,
    requestedAt: "2026-11-25T09:00:00Z",
    escalatesAt: null,
  });

  // The buttons Dana sees: the handoff, with the paralegals she may choose from.
  const allowed = engine.allowedCommands(state, { kind: "member", id: "dana" });
  assert.deepEqual(allowed[0], { type: "completeHandoff", stepId: "review-call", candidates: ["paula", "pete"] });

  assert.throws(
    () => engine.execute(state, { type: "completeHandoff", stepId: "review-call" }, ctx("dana")),
    (error) => error instanceof HandoffError && error.code === "target-required",
  );
  run(ctx("dana"), { type: "completeHandoff", stepId: "review-call", to: "pete" });
  assert.deepEqual(state.owner, { kind: "member", id: "pete" });
  assert.deepEqual(run(ctx("dana"), { type: "revertHandoff", stepId: "review-call", reason: "Pete is out" }), ["handoffReverted"]);
  assert.deepEqual(state.owner, { kind: "member", id: "dana" });
  run(ctx("dana"), { type: "completeHandoff", stepId: "review-call", to: "paula" });
  run(ctx("paula"), { type: "completeStep", stepId: "review-call" });
  run(ctx("paula"), { type: "completeStep", stepId: "petition" });
  run(ctx("paula"), { type: "completeHandoff", stepId: "final-review", to: "avery" });
  assert.deepEqual(state.owner, { kind: "member", id: "avery" });
  assert.deepEqual(
    run(ctx("morgan"), { type: "transferOwnership", to: { kind: "member", id: "paula" }, reason: "Avery is in court" }),
    ["ownershipTransferred"],
  );
  assert.deepEqual(run(ctx("paula"), { type: "completeStep", stepId: "final-review" }), ["stepCompleted", "caseClosed"]);
  assert.equal(state.closed, true);
  assert.equal(state.version, log.length);
  assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1));
  assert.equal(log.filter((e) => e.type === "handoffCompleted").length, 3);
  assert.ok(log.every((e) => e.at === "2026-11-25T09:00:00Z" && e.actor));
  assert.deepEqual(engine.allowedCommands(state, { kind: "member", id: "morgan" }), []);
});

test("the timeline previews who owns the case at each step", () => {
  const engine = new Engine(firm);
  const { ok, diagnostics, timeline } = engine.validateWorkflow(firm.workflows[0]);
  assert.equal(ok, true);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    timeline.map((t) => [t.stepId, t.owner?.id ?? null, t.handoff, t.clientFacing, t.worker?.id ?? null]),
    [
      ["documents", "documents", false, false, "documents"],
      ["credit-report", "documents", false, false, "documents"],
      ["questionnaire", "documents", false, true, null],
      ["review-call", "paralegal", true, false, "paralegal"],
      ["petition", "paralegal", false, false, "paralegal"],
      ["final-review", "attorney", true, false, "attorney"],
    ],
  );
});
