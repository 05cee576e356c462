// handoff-engine/react with React's own test renderer, in Node: the hooks follow the store and
// the engine, and hand back the same value until something changes. Run by
// scripts/test-examples.sh inside the Next.js example's install, which has React.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createElement } from "react";
import { act, create } from "react-test-renderer";
import { init, Engine, CaseStore } from "handoff-engine";
import { useCase, useCaseStore, useValidation } from "handoff-engine/react";
import firm from "handoff-engine/example-firm";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
await init();
const ctx = { actor: { kind: "member", id: "dana" }, at: "2026-11-25T09:00:00Z" };

/** Renders a component that calls `hook(props)`; returns every value it returned, in order. */
function renderHook(hook, props = {}) {
  const seen = [];
  const Probe = (p) => {
    seen.push(hook(p));
    return null;
  };
  let root;
  act(() => {
    root = create(createElement(Probe, props));
  });
  return { seen, rerender: (next) => act(() => root.update(createElement(Probe, next))), unmount: () => act(() => root.unmount()) };
}

const newStore = () => new CaseStore(new Engine(firm), { baseUrl: "/sync", storage: "memory", transport: async () => ({ status: 503, body: null }) });

test("useCaseStore follows the store's cases and pending count, and is stable between changes", async () => {
  const store = newStore();
  await store.ready;
  const { seen, rerender, unmount } = renderHook(() => useCaseStore(store));
  assert.deepEqual(seen.at(-1).cases, []);
  assert.equal(seen.at(-1).pendingCount, 0);
  assert.equal(seen.at(-1).online, true);
  assert.equal(seen.at(-1).configVersion, null);
  const before = seen.at(-1);
  rerender({});
  assert.equal(seen.at(-1), before, "a render without a change of the store gets the same object");
  act(() => {
    store.startCase({ caseId: "smith-2026", workflowId: "chapter-7" }, ctx);
  });
  assert.deepEqual(seen.at(-1).cases.map((c) => c.caseId), ["smith-2026"]);
  assert.equal(seen.at(-1).pendingCount, 1);
  unmount();
});

test("useCase re-renders one case when a command changes it", async () => {
  const store = newStore();
  await store.ready;
  const { seen } = renderHook(() => useCase(store, "smith-2026"));
  assert.equal(seen.at(-1), null);
  act(() => {
    store.startCase({ caseId: "smith-2026", workflowId: "chapter-7" }, ctx);
  });
  assert.equal(seen.at(-1).owner.id, "documents");
  act(() => {
    store.dispatch("smith-2026", { type: "claim" }, ctx);
  });
  assert.deepEqual(seen.at(-1).owner, { kind: "member", id: "dana" });
});

test("useValidation validates a draft once per change, and reports a draft of the wrong shape", () => {
  const engine = new Engine(firm);
  const draft = firm.workflows[0];
  const { seen, rerender } = renderHook(({ engine: e, draft: d }) => useValidation(e, d), { engine: null, draft });
  assert.deepEqual(seen.at(-1), { validation: null, error: null });
  rerender({ engine, draft });
  assert.equal(seen.at(-1).validation.ok, true);
  const valid = seen.at(-1);
  rerender({ engine, draft });
  assert.equal(seen.at(-1), valid, "the same draft is not validated again");
  rerender({ engine, draft: JSON.stringify({ ...draft, steps: [{ id: "a", name: "A", handoff: { to: { kind: "tem", id: "x" } } }] }) });
  assert.equal(seen.at(-1).validation, null);
  assert.equal(seen.at(-1).error.code, "invalid-input");
  assert.equal(seen.at(-1).error.details.path, "steps[0].handoff.to.kind");
});
