// Running cases through change (SPEC §10) through the package: redirecting a pending handoff,
// planning a reassignment and executing it, migrating a case with check as its dry run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, HandoffError } from "handoff-engine";
import { firm, ctx, client } from "./helpers.mjs";

await init();

const paula = { kind: "member", id: "paula" };
const pete = { kind: "member", id: "pete" };

// Chapter 7 at the paralegal handoff, owned by Dana, with Paula as the case's paralegal.
function atHandoff(engine) {
  let { state } = engine.startCase({ caseId: "smith-2026", workflowId: "chapter-7", caseRoles: { paralegal: "paula" } }, ctx("dana"));
  for (const command of [{ type: "claim" }, { type: "completeStep", stepId: "documents" }, { type: "completeStep", stepId: "credit-report" }]) {
    state = engine.execute(state, command, ctx("dana")).state;
  }
  return engine.execute(state, { type: "completeStep", stepId: "questionnaire" }, client).state;
}

function rejects(fn, code) {
  assert.throws(fn, (error) => error instanceof HandoffError && error.code === code);
}

test("an admin redirects a pending handoff; the owner may not", () => {
  const engine = new Engine(firm);
  const state = atHandoff(engine);
  const redirect = { type: "redirectHandoff", stepId: "review-call", to: pete, reason: "Paula is away" };
  assert.ok(engine.allowedCommands(state, ctx("morgan").actor).some((a) => a.type === "redirectHandoff" && a.stepId === "review-call"));
  assert.ok(!engine.allowedCommands(state, ctx("dana").actor).some((a) => a.type === "redirectHandoff"));
  rejects(() => engine.execute(state, redirect, ctx("dana")), "not-permitted");
  rejects(() => engine.execute(state, { ...redirect, stepId: "petition" }, ctx("morgan")), "no-pending-handoff");
  rejects(() => engine.execute(state, { ...redirect, to: { kind: "member", id: "ivan" } }, ctx("morgan")), "target-ineligible");
  const { state: redirected, events } = engine.execute(state, redirect, ctx("morgan"));
  assert.deepEqual(
    events.map(({ type, stepId, from, to, reason }) => ({ type, stepId, from, to, reason })),
    [{ type: "handoffRedirected", stepId: "review-call", from: { kind: "role", id: "paralegal" }, to: pete, reason: "Paula is away" }],
  );
  assert.deepEqual(redirected.pendingHandoff, { stepId: "review-call", to: pete, required: true, requestedAt: "2026-11-25T09:00:00Z", escalatesAt: null });
});

test("a reassignment plan, executed as an admin, leaves the person holding nothing", () => {
  const engine = new Engine(firm);
  const cases = [atHandoff(engine), engine.startCase({ caseId: "jones-2026", workflowId: "chapter-7" }, ctx("dana")).state];
  cases[1] = engine.execute(cases[1], { type: "assignStep", stepId: "petition", to: paula }, ctx("dana")).state;
  const plan = engine.planReassignment(cases, { from: "paula", to: "pete", reason: "Paula left the firm" });
  assert.deepEqual(plan, {
    commands: [
      { caseId: "smith-2026", command: { type: "setCaseRole", roleId: "paralegal", memberId: "pete" } },
      { caseId: "jones-2026", command: { type: "assignStep", stepId: "petition", to: pete } },
    ],
    skipped: [],
  });
  const after = cases.map((state) =>
    plan.commands.filter((p) => p.caseId === state.caseId).reduce((s, p) => engine.execute(s, p.command, ctx("morgan")).state, state),
  );
  assert.deepEqual(engine.planReassignment(after, { from: "paula", to: "pete", reason: "again" }), { commands: [], skipped: [] });
  // Avery is no paralegal: the case role stays, reported as skipped.
  const { skipped } = engine.planReassignment(cases, { from: "paula", to: "avery", reason: "Paula left the firm" });
  assert.deepEqual(skipped.map(({ caseId, code }) => ({ caseId, code })), [{ caseId: "smith-2026", code: "target-ineligible" }]);
  assert.throws(
    () => engine.planReassignment(cases, { from: "paula", to: "paula", reason: "r" }),
    (error) => error instanceof HandoffError && error.code === "invalid-input" && error.details.path === "to",
  );
});

test("check is a migration's dry run, with every problem; execute migrates", () => {
  const next = structuredClone(firm.workflows[0]);
  next.version = 2;
  next.steps.splice(4, 1, { id: "petition-draft", name: "Petition preparation" });
  const engine = new Engine({ ...firm, workflows: [firm.workflows[0], next] });
  const state = atHandoff(new Engine(firm));
  const migrate = { type: "migrateCase", toVersion: 2, mapping: { petition: "petiton-draft", zzz: "documents" }, reason: "Version 2" };
  const verdict = engine.check(state, migrate, ctx("morgan"));
  assert.equal(verdict.ok, false);
  assert.equal(verdict.code, "migration-invalid");
  assert.deepEqual(verdict.details.problems.map((p) => p.stepId), ["zzz", "petition"]);
  rejects(() => engine.execute(state, migrate, ctx("morgan")), "migration-invalid");
  rejects(() => engine.execute(state, { ...migrate, toVersion: 3 }, ctx("morgan")), "unknown-case-workflow");
  rejects(() => engine.execute(state, migrate, ctx("dana")), "not-permitted");
  const fixed = { ...migrate, mapping: { petition: "petition-draft" } };
  assert.deepEqual(engine.check(state, fixed, ctx("morgan")), { ok: true });
  assert.ok(engine.allowedCommands(state, ctx("morgan").actor).some((a) => a.type === "migrateCase"));
  const { state: migrated, events } = engine.execute(state, fixed, ctx("morgan"));
  assert.deepEqual(events.map((e) => e.type), ["caseMigrated"]);
  const { fromVersion, toVersion, mapping, dropped, added } = events[0];
  assert.deepEqual({ fromVersion, toVersion, mapping, dropped, added }, { fromVersion: 1, toVersion: 2, mapping: { petition: "petition-draft" }, dropped: [], added: [] });
  assert.equal(migrated.workflowVersion, 2);
  assert.equal(migrated.steps["petition-draft"].status, "pending");
  assert.deepEqual(migrated.pendingHandoff, state.pendingHandoff);
});
