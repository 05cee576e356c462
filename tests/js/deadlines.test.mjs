// Deadlines and escalation (SPEC §11, §13) through the package: due dates and escalations in a
// workflow, what the browser predicts with `deadlines(state, now)` and `nextDeadline(state)`,
// and the tick that confirms them, on an engine and on a kept case.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, HandoffError } from "handoff-engine";
import { firmWith, ctx } from "./helpers.mjs";

await init();

const morgan = { kind: "member", id: "morgan" };
const workflow = {
  id: "w",
  name: "Deadlines",
  version: 1,
  steps: [
    { id: "documents", name: "Documents", due: "PT1H" },
    { id: "review", name: "Review", due: "P1D", handoff: { to: { kind: "role", id: "paralegal" }, escalate: { after: "PT30M", to: morgan } } },
  ],
};
const system = (at) => ({ actor: { kind: "system" }, at });

test("validation reads durations exactly and names the field", () => {
  const engine = new Engine(firmWith(workflow));
  const bad = structuredClone(workflow);
  bad.steps[0].due = "P1M";
  bad.steps[1].handoff.escalate.after = "2 days";
  for (const def of [bad, JSON.stringify(bad)]) {
    const result = engine.validateWorkflow(def);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.diagnostics.filter((d) => d.code === "invalid-duration").map((d) => d.path),
      ["steps[0].due", "steps[1].handoff.escalate.after"],
    );
  }
  const timeline = engine.validateWorkflow(workflow).timeline;
  assert.deepEqual(timeline.map((e) => [e.stepId, e.due, e.escalatesTo]), [["documents", "PT1H", null], ["review", "P1D", morgan]]);
  const redundant = structuredClone(workflow);
  redundant.steps[1].handoff.escalate.to = { kind: "role", id: "paralegal" };
  assert.deepEqual(engine.validateWorkflow(redundant).diagnostics.map((d) => [d.code, d.severity]), [["redundant-escalation", "warning"]]);
});

test("the browser predicts what is due with deadlines(state, now), and a tick confirms it", () => {
  const engine = new Engine(firmWith(workflow));
  const { state } = engine.startCase({ caseId: "c", workflowId: "w" }, ctx("dana"));
  assert.deepEqual(state.steps.documents, { status: "active", assignee: null, dueAt: "2026-11-25T10:00:00Z", overdue: false });
  assert.equal(engine.nextDeadline(state), "2026-11-25T10:00:00Z");
  assert.equal(engine.nextDeadline(JSON.stringify(state)), "2026-11-25T10:00:00Z", "the state as its JSON text");
  assert.deepEqual(engine.deadlines(state, "2026-11-25T10:00:00Z"), [
    { stepId: "documents", kind: "due", at: "2026-11-25T10:00:00Z", passed: true },
  ]);
  const early = engine.execute(state, { type: "tick" }, system("2026-11-25T09:59:00Z"));
  assert.deepEqual(early.events, []);
  const { state: overdue, events } = engine.execute(state, { type: "tick" }, system("2026-11-25T10:00:00Z"));
  assert.deepEqual(events.map((e) => [e.type, e.stepId, e.dueAt]), [["stepOverdue", "documents", "2026-11-25T10:00:00Z"]]);
  assert.equal(overdue.steps.documents.overdue, true);
  assert.equal(engine.nextDeadline(overdue), null);
  assert.ok(engine.allowedCommands(overdue, ctx("dana").actor).some((a) => a.type === "extendDeadline" && a.stepId === "documents"));
  const extend = { type: "extendDeadline", stepId: "documents", dueAt: "2026-11-25T12:00:00+01:00", reason: "Bank late" };
  const extended = engine.execute(overdue, extend, { ...ctx("dana"), at: "2026-11-25T10:05:00Z" });
  assert.deepEqual(extended.events.map((e) => [e.type, e.from, e.to]), [["deadlineExtended", "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z"]]);
  assert.equal(extended.state.steps.documents.overdue, false);
  assert.throws(() => engine.deadlines(state, "soon"), (e) => e instanceof HandoffError && e.code === "invalid-input" && e.details.path === "at");
  assert.throws(() => engine.deadlines(state, 1764064800000), (e) => e instanceof HandoffError && e.code === "invalid-input");
});

test("a kept case escalates its handoff on a tick, once", () => {
  const engine = new Engine(firmWith(workflow));
  const { state } = engine.startCase({ caseId: "c", workflowId: "w" }, ctx("dana"));
  const handle = engine.openCase(state);
  handle.execute({ type: "completeStep", stepId: "documents" }, { ...ctx("dana"), at: "2026-11-25T09:10:00Z" });
  assert.deepEqual(handle.state.pendingHandoff, {
    stepId: "review",
    to: { kind: "role", id: "paralegal" },
    required: true,
    requestedAt: "2026-11-25T09:10:00Z",
    escalatesAt: "2026-11-25T09:40:00Z",
  });
  assert.deepEqual(handle.allowedCommands(ctx("morgan").actor).filter((a) => a.type === "tick"), [{ type: "tick" }]);
  const escalated = handle.execute({ type: "tick" }, system("2026-11-25T09:40:00Z"));
  assert.deepEqual(escalated.map((e) => [e.type, e.from, e.to]), [["handoffEscalated", { kind: "role", id: "paralegal" }, morgan]]);
  assert.deepEqual(handle.execute({ type: "tick" }, system("2026-11-25T23:00:00Z")), []);
  assert.equal(handle.state.pendingHandoff.escalatesAt, null);
  handle.free();
});
