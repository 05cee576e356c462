// Every validation rule code and every rejection code of the SPEC, through the JS API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, HandoffError } from "handoff-engine";
import { firm, firmWith, workflow, ctx, client } from "./helpers.mjs";

await init();

const role = (id) => ({ kind: "role", id });
const team = (id) => ({ kind: "team", id });
const member = (id) => ({ kind: "member", id });

const rules = [
  ["empty-workflow", [], "error", "steps"],
  ["invalid-id", [{ id: "", name: "Intake" }], "error", "steps[0].id"],
  ["duplicate-step-id", [{ id: "a", name: "A" }, { id: "a", name: "B" }], "error", "steps[1].id"],
  ["unknown-step", [{ id: "a", name: "A", after: ["zzz"] }], "error", "steps[0].after[0]"],
  ["dependency-cycle", [{ id: "a", name: "A", after: ["b"] }, { id: "b", name: "B", after: ["a"] }], "error", "steps[0].after"],
  ["unknown-party", [{ id: "a", name: "A" }, { id: "b", name: "B", handoff: { to: team("ghosts") } }], "error", "steps[1].handoff.to"],
  ["inactive-member", [{ id: "a", name: "A" }, { id: "b", name: "B", handoff: { to: member("ivan") } }], "error", "steps[1].handoff.to"],
  ["handoff-on-client-step", [{ id: "a", name: "A" }, { id: "q", name: "Q", clientFacing: true, handoff: { to: role("paralegal") } }], "error", "steps[1].handoff"],
  ["assignee-on-client-step", [{ id: "q", name: "Q", clientFacing: true, assignee: member("paula") }], "error", "steps[0].assignee"],
  [
    "concurrent-handoffs",
    [{ id: "a", name: "A" }, { id: "b", name: "B", after: ["a"], handoff: { to: role("paralegal") } }, { id: "c", name: "C", after: ["a"], handoff: { to: role("attorney") } }],
    "error",
    "steps[2].handoff",
  ],
  ["invalid-condition", [{ id: "a", name: "A", when: { any: [] } }], "error", "steps[0].when.any"],
  ["redundant-handoff", [{ id: "a", name: "A" }, { id: "b", name: "B", handoff: { to: team("documents") } }], "warning", "steps[1].handoff"],
  ["handoff-at-start", [{ id: "a", name: "A", handoff: { to: role("paralegal") } }], "warning", "steps[0].handoff"],
  ["ambiguous-owner", [{ id: "a", name: "A" }, { id: "b", name: "B", handoff: { to: role("paralegal"), required: false } }], "info", "steps[1]"],
  ["assignee-not-owner", [{ id: "a", name: "A", assignee: member("paula") }], "info", "steps[0].assignee"],
];

for (const [code, steps, severity, path] of rules) {
  test(`validation rule ${code}`, () => {
    const result = new Engine(firm).validateWorkflow(workflow(steps));
    const found = result.diagnostics.filter((d) => d.code === code);
    assert.equal(found.length, 1, JSON.stringify(result.diagnostics));
    assert.equal(found[0].severity, severity);
    assert.equal(found[0].path, path);
    assert.match(found[0].message, /^[A-Z].*\.$/);
    assert.equal(result.ok, !result.diagnostics.some((d) => d.severity === "error"));
  });
}

test("validation rule unstaffed-target", () => {
  const config = { ...firm, directory: { ...firm.directory, roles: [...firm.directory.roles, { id: "trustee", name: "Trustee" }] } };
  const result = new Engine(config).validateWorkflow(workflow([{ id: "a", name: "A" }, { id: "b", name: "B", handoff: { to: role("trustee") } }]));
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity]), [["unstaffed-target", "error"]]);
});

test("validation rule missing-default-owner", () => {
  const result = new Engine({ ...firm, owners: {} }).validateWorkflow(workflow([{ id: "a", name: "A" }]));
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.path]), [["missing-default-owner", "owners.workflows.chapter-7"]]);
});

test("validateConfig rule duplicate-workflow, with workflowId and workflowVersion", () => {
  const report = new Engine({ ...firm, workflows: [firm.workflows[0], firm.workflows[0]] }).validateConfig();
  const found = report.diagnostics.find((d) => d.code === "duplicate-workflow");
  assert.equal(report.ok, false);
  assert.equal(found.workflowId, "chapter-7");
  assert.equal(found.workflowVersion, 1);
});

test("messages name people and steps by name", () => {
  const result = new Engine(firm).validateWorkflow(
    workflow([{ id: "a", name: "Intake" }, { id: "b", name: "Client review call", handoff: { to: member("ivan") } }]),
  );
  assert.equal(result.diagnostics[0].message, "Handoff to Ivan Gone, who is deactivated, on step Client review call.");
});

// A case at the paralegal handoff, owned by Dana.
function atHandoff(engine) {
  let { state } = engine.startCase({ caseId: "c", workflowId: "chapter-7" }, ctx("dana"));
  for (const command of [{ type: "claim" }, { type: "completeStep", stepId: "documents" }, { type: "completeStep", stepId: "credit-report" }]) {
    state = engine.execute(state, command, ctx("dana")).state;
  }
  return engine.execute(state, { type: "completeStep", stepId: "questionnaire" }, client).state;
}

function rejects(fn, code) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof HandoffError, `${error}`);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "HandoffError");
    assert.equal(error.code, code, error.message);
    assert.equal(typeof error.details, "object");
    return true;
  });
}

test("every rejection code", () => {
  const engine = new Engine(firm);
  const state = atHandoff(engine);
  const closedEngine = new Engine(firmWith({ id: "tiny", name: "Tiny", version: 1, steps: [{ id: "a", name: "A" }] }));
  let tiny = closedEngine.startCase({ caseId: "t", workflowId: "tiny" }, ctx("dana")).state;
  tiny = closedEngine.execute(tiny, { type: "completeStep", stepId: "a" }, ctx("dana")).state;
  const broken = new Engine(firmWith({ id: "broken", name: "Broken", version: 1, steps: [] }));
  const cases = [
    ["invalid-input", () => engine.execute(state, { type: "completeStep" }, ctx("dana"))],
    ["unknown-case-workflow", () => engine.startCase({ caseId: "c", workflowId: "chapter-11" }, ctx("dana"))],
    ["unknown-case-workflow", () => engine.execute({ ...state, workflowVersion: 9 }, { type: "claim" }, ctx("dana"))],
    ["workflow-invalid", () => broken.startCase({ caseId: "c", workflowId: "broken" }, ctx("dana"))],
    ["case-closed", () => closedEngine.execute(tiny, { type: "claim" }, ctx("dana"))],
    ["unknown-step", () => engine.execute(state, { type: "completeStep", stepId: "nope" }, ctx("dana"))],
    ["step-not-active", () => engine.execute(state, { type: "completeStep", stepId: "petition" }, ctx("dana"))],
    ["handoff-pending", () => engine.execute(state, { type: "completeStep", stepId: "review-call" }, ctx("dana"))],
    ["no-pending-handoff", () => engine.execute(state, { type: "completeHandoff", stepId: "petition" }, ctx("dana"))],
    ["not-permitted", () => engine.execute(state, { type: "completeHandoff", stepId: "review-call", to: "paula" }, ctx("paula"))],
    ["target-required", () => engine.execute(state, { type: "completeHandoff", stepId: "review-call" }, ctx("dana"))],
    ["target-ineligible", () => engine.execute(state, { type: "completeHandoff", stepId: "review-call", to: "ivan" }, ctx("dana"))],
    ["revert-not-allowed", () => engine.execute(state, { type: "revertHandoff", stepId: "review-call" }, ctx("dana"))],
    ["migration-invalid", () => engine.execute(state, { type: "migrateCase", toVersion: 1, reason: "r" }, ctx("morgan"))],
  ];
  for (const [code, fn] of cases) rejects(fn, code);
  // check() reports the same codes without throwing.
  assert.deepEqual(engine.check(state, { type: "completeStep", stepId: "petition" }, ctx("dana")).code, "step-not-active");
  assert.deepEqual(engine.check(state, { type: "completeHandoff", stepId: "review-call", to: "paula" }, ctx("dana")), { ok: true });
});

test("invalid-input names the first bad field with the argument it is in", () => {
  const engine = new Engine(firm);
  const state = atHandoff(engine);
  const path = (fn) => {
    try {
      fn();
    } catch (error) {
      return error.details.path;
    }
    assert.fail("no error");
  };
  assert.equal(path(() => engine.validateWorkflow(workflow([{ id: "a", name: "A", handof: null }]))), "steps[0].handof");
  assert.equal(path(() => engine.execute(state, { type: "claim", actor: { kind: "member", id: "morgan" } }, ctx("dana"))), "command.actor");
  assert.equal(path(() => engine.execute(state, { type: "claim" }, { actor: { kind: "member", id: "dana" }, at: 5 })), "ctx.at");
  assert.equal(path(() => engine.execute({ ...state, extra: 1 }, { type: "claim" }, ctx("dana"))), "state.extra");
  assert.equal(path(() => new Engine({ ...firm, owners: { default: { kind: "robot", id: "x" } } })), "owners.default.kind");
});

/** The example firm with these members deactivated, and optionally a version 2 of its workflow. */
function firmWithout(ids, { newVersion = false } = {}) {
  const members = firm.directory.members.map((m) => (ids.includes(m.id) ? { ...m, active: false } : m));
  const workflows = newVersion ? [...firm.workflows, { ...firm.workflows[0], version: 2 }] : firm.workflows;
  return { ...firm, directory: { ...firm.directory, members }, workflows };
}

test("every stuck-work code", () => {
  const engine = new Engine(firm);
  const fresh = engine.startCase({ caseId: "fresh", workflowId: "chapter-7" }, ctx("dana")).state;
  const handoff = atHandoff(engine);
  const withPete = engine.execute(handoff, { type: "setCaseRole", roleId: "paralegal", memberId: "pete" }, ctx("dana")).state;
  const assigned = engine.execute(fresh, { type: "assignStep", stepId: "petition", to: member("avery") }, ctx("morgan")).state;
  const rows = [
    ["owner-inactive", "error", ["dana"], handoff, "Case c is owned by Dana Whitfield, who is no longer active."],
    ["owner-unstaffed", "error", ["dana", "devon"], fresh, "Case fresh is owned by the Documents Team, and no active member belongs to that team."],
    ["handoff-target-inactive", "error", ["pete"], withPete, /^The handoff of case c at step Client review call goes to the Paralegal role, whose holder on this case, Pete Alvarez, is no longer active/],
    ["handoff-target-unstaffed", "error", ["paula", "pete"], handoff, "The handoff of case c at step Client review call goes to the Paralegal role, and no active member holds that role."],
    ["case-role-inactive", "warning", ["pete"], withPete, "On case c, the Paralegal role is held by Pete Alvarez, who is no longer active."],
    ["assignee-inactive", "warning", ["avery"], assigned, "Step Petition preparation of case fresh is assigned to Avery Stone, who is no longer active."],
  ];
  for (const [code, severity, gone, state, message] of rows) {
    const found = new Engine(firmWithout(gone)).findStuckWork([state]).filter((w) => w.code === code);
    assert.equal(found.length, 1, code);
    assert.equal(found[0].severity, severity, code);
    assert.equal(found[0].caseId, state.caseId, code);
    if (typeof message === "string") assert.equal(found[0].message, message);
    else assert.match(found[0].message, message);
  }
  const newer = new Engine(firmWithout([], { newVersion: true })).findStuckWork(JSON.stringify([fresh]));
  assert.deepEqual(newer, [{ caseId: "fresh", code: "newer-version", severity: "info", message: "Case fresh runs on version 1 of Chapter 7 case preparation; version 2 is the latest." }]);
  // A state that does not fit is a finding too, and the cases after it are still examined.
  const unfit = new Engine(firmWithout(["dana"])).findStuckWork([{ ...handoff, caseId: "odd", workflowVersion: 9 }, handoff]);
  assert.deepEqual(unfit.map((w) => [w.caseId, w.code, w.severity]), [["odd", "case-unfit", "error"], ["c", "owner-inactive", "error"]]);
  // Closed cases are never stuck.
  assert.deepEqual(new Engine(firmWithout(["dana", "devon"])).findStuckWork([{ ...fresh, closed: true }]), []);
});

test("every rule of a configuration change, and what does not block", () => {
  const engine = new Engine(firm);
  const claimed = engine.execute(engine.startCase({ caseId: "smith", workflowId: "chapter-7" }, ctx("dana")).state, { type: "claim" }, ctx("dana")).state;
  const without = (...ids) => ({ ...firm.directory, members: firm.directory.members.filter((m) => !ids.includes(m.id)) });
  const hired = { ...firm.directory, members: [...firm.directory.members, { id: "gina", name: "Gina Ortiz" }] };
  const rows = [
    ["version-exists", { publish: [firm.workflows[0]] }, [], undefined, "publish[0]"],
    ["party-in-use", { directory: without("dana") }, [claimed], undefined, "directory.members"],
    ["no-admin", { directory: without("morgan") }, [], undefined, "directory.members"],
    ["id-retired", { directory: hired }, [], [member("gina")], "directory.members[7]"],
  ];
  for (const [code, change, cases, retired, path] of rows) {
    const result = engine.checkConfigChange({ baseConfigVersion: 3, ...change }, cases, retired);
    const found = result.diagnostics.filter((d) => d.code === code);
    assert.equal(found.length, 1, `${code}: ${JSON.stringify(result.diagnostics)}`);
    assert.equal(found[0].severity, "error");
    assert.equal(found[0].path, path);
    assert.match(found[0].message, /^[A-Z].*\.$/);
    assert.equal(result.applied, false);
    assert.equal(result.configVersion, 3);
  }
  // Deactivating instead is accepted: nothing blocks, and the open case shows as stuck.
  const members = firm.directory.members.map((m) => (m.id === "dana" ? { ...m, active: false } : m));
  const result = engine.checkConfigChange(JSON.stringify({ baseConfigVersion: 3, directory: { ...firm.directory, members } }), JSON.stringify([claimed]));
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.stuck.map((w) => [w.caseId, w.code]), [["smith", "owner-inactive"]]);
  // A published version's findings name their place in the change.
  const broken = { ...firm.workflows[0], version: 2, steps: [...firm.workflows[0].steps, { id: "x", name: "X", handoff: { to: member("ivan") } }] };
  const published = engine.checkConfigChange({ baseConfigVersion: 3, publish: [broken] }, [claimed]);
  assert.deepEqual(published.diagnostics.map((d) => [d.code, d.severity, d.path, d.workflowVersion]), [["inactive-member", "error", "publish[0].steps[6].handoff.to", 2]]);
  assert.deepEqual(published.stuck.map((w) => w.code), ["newer-version"]);
});
