// A value may be passed as its JSON text: the same result, without a JSON.parse on the way in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, Engine, HandoffError } from "handoff-engine";
import { firm, ctx } from "./helpers.mjs";

await init();

test("JSON text gives the same engine, validation and decisions as the value", () => {
  const fromText = new Engine(JSON.stringify(firm));
  const fromValue = new Engine(firm);
  assert.deepEqual(fromText.validateConfig(), fromValue.validateConfig());
  const def = { ...firm.workflows[0], steps: firm.workflows[0].steps.slice(0, 4) };
  assert.deepEqual(fromText.validateWorkflow(JSON.stringify(def)), fromValue.validateWorkflow(def));
  const { state } = fromValue.startCase({ caseId: "c", workflowId: "chapter-7" }, ctx("dana"));
  const command = { type: "completeStep", stepId: "documents" };
  assert.deepEqual(
    fromText.execute(JSON.stringify(state), JSON.stringify(command), JSON.stringify(ctx("devon"))),
    fromValue.execute(state, command, ctx("devon")),
  );
});

test("text that is not JSON, or not the right shape, is invalid-input with a path", () => {
  const engine = new Engine(firm);
  for (const [text, path] of [
    ["{", ""],
    ["not json", ""],
    ['{"id":"w","name":"W","version":1,"steps":[{"id":"a","name":"A","handof":null}]}', "steps[0].handof"],
  ]) {
    assert.throws(
      () => engine.validateWorkflow(text),
      (e) => e instanceof HandoffError && e.code === "invalid-input" && e.details.path === path,
      text,
    );
  }
});
