// Garbage of every JS kind is a HandoffError("invalid-input"), and the instance keeps working.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, HandoffError } from "handoff-engine";
import { firm, ctx } from "./helpers.mjs";

await init();

function junk() {
  let deep = [];
  for (let i = 0; i < 5_000; i++) deep = [deep];
  let deeper = [];
  for (let i = 0; i < 200_000; i++) deeper = [deeper];
  let condition = { fact: "x", equals: 1 };
  for (let i = 0; i < 100_000; i++) condition = { not: condition };
  const cyclic = {};
  cyclic.self = cyclic;
  return [
    ["undefined", undefined],
    ["null", null],
    ["NaN", NaN],
    ["a number", 42],
    ["a BigInt", 10n],
    ["a symbol", Symbol("x")],
    ["a function", () => 1],
    ["a Map", new Map([["directory", {}]])],
    ["a 1 MiB string", "x".repeat(1 << 20)],
    ["arrays 5,000 deep", deep],
    ["arrays 200,000 deep", deeper],
    ["a condition 100,000 deep", { id: "w", name: "W", version: 1, steps: [{ id: "a", name: "A", when: condition }] }],
    ["a cyclic object", cyclic],
    ["an object with an extra field", { ...firm, extra: true }],
    ["a 1 MiB id", { id: "x".repeat(1 << 20), name: "W", version: 1, steps: [] }],
  ];
}

const invalid = (error) => error instanceof HandoffError && error.code === "invalid-input" && error.message.length > 0;

test("every entry point refuses junk with HandoffError invalid-input", () => {
  const engine = new Engine(firm);
  const { state } = engine.startCase({ caseId: "c", workflowId: "chapter-7" }, ctx("dana"));
  for (const [what, value] of junk()) {
    assert.throws(() => new Engine(value), invalid, `new Engine(${what})`);
    assert.throws(() => engine.validateWorkflow(value), invalid, `validateWorkflow(${what})`);
    assert.throws(() => engine.startCase(value, ctx("dana")), invalid, `startCase(${what})`);
    assert.throws(() => engine.startCase({ caseId: "c", workflowId: "chapter-7" }, value), invalid, `startCase ctx ${what}`);
    assert.throws(() => engine.execute(value, { type: "claim" }, ctx("dana")), invalid, `execute state ${what}`);
    assert.throws(() => engine.execute(state, value, ctx("dana")), invalid, `execute command ${what}`);
    assert.throws(() => engine.allowedCommands(state, value), invalid, `allowedCommands ${what}`);
    assert.throws(() => engine.findStuckWork(value), invalid, `findStuckWork ${what}`);
    assert.throws(() => engine.findStuckWork([state, value]), invalid, `findStuckWork [state, ${what}]`);
    assert.throws(() => engine.checkConfigChange(value, [state]), invalid, `checkConfigChange change ${what}`);
    assert.throws(() => engine.checkConfigChange({ baseConfigVersion: 1 }, value), invalid, `checkConfigChange openCases ${what}`);
    if (value !== undefined) {
      assert.throws(() => engine.checkConfigChange({ baseConfigVersion: 1 }, [state], value), invalid, `checkConfigChange retired ${what}`);
    }
    const request = { from: "paula", to: "pete", reason: "Paula left" };
    assert.throws(() => engine.planReassignment(value, request), invalid, `planReassignment cases ${what}`);
    assert.throws(() => engine.planReassignment([state], value), invalid, `planReassignment request ${what}`);
    assert.throws(() => engine.deadlines(value, "2026-11-25T09:00:00Z"), invalid, `deadlines state ${what}`);
    assert.throws(() => engine.deadlines(state, value), invalid, `deadlines at ${what}`);
    assert.throws(() => engine.nextDeadline(value), invalid, `nextDeadline ${what}`);
    const verdict = engine.check(state, value, ctx("dana"));
    assert.equal(verdict.ok, false, what);
    assert.equal(verdict.code, "invalid-input");
  }
  // The instance is intact.
  assert.equal(engine.validateConfig().ok, true);
  assert.deepEqual(engine.checkConfigChange({ baseConfigVersion: 1 }, [state]), { applied: false, configVersion: 1, diagnostics: [], stuck: [] });
  assert.deepEqual(engine.check(state, { type: "claim" }, ctx("dana")), { ok: true });
});

test("init is idempotent and harmless in Node", async () => {
  const first = init();
  assert.equal(init(), first);
  await first;
});

test("the browser entry loads from bytes or a compiled module, once", async () => {
  const { readFile } = await import("node:fs/promises");
  const { createRequire } = await import("node:module");
  const dir = createRequire(import.meta.url).resolve("handoff-engine/package.json").replace(/package\.json$/, "");
  const browser = await import(`${dir}pkg/index.js`);
  const bytes = await readFile(`${dir}pkg/wasm/handoff_engine_bg.wasm`);
  const loading = browser.init(await WebAssembly.compile(bytes));
  assert.equal(browser.init(bytes), loading, "a second init returns the first promise");
  await loading;
  const engine = new browser.Engine(firm);
  assert.equal(engine.validateConfig().ok, true);
  assert.throws(() => new browser.Engine(null), (e) => e instanceof browser.HandoffError && e.code === "invalid-input");
});
