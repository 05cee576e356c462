// React bindings (`handoff-engine/react`): hooks over a CaseStore and an Engine. They hold no
// rule: what a hook returns is what the store or the engine says, read through
// `useSyncExternalStore`, so that a render never tears between two states of the store.
import { useMemo, useSyncExternalStore } from "react";

/** One view per store: a listener of its own, registered once, marks the snapshots stale. */
const views = new WeakMap();

function viewOf(store) {
  let view = views.get(store);
  if (!view) {
    view = { status: null, cases: new Map(), listeners: new Set() };
    store.subscribe(() => {
      view.status = null;
      view.cases = new Map();
      for (const listener of view.listeners) listener();
    });
    views.set(store, view);
  }
  return view;
}

function subscribeTo(view) {
  return (listener) => {
    view.listeners.add(listener);
    return () => view.listeners.delete(listener);
  };
}

/**
 * The store as a component shows it: its cases (the server's states plus what is pending),
 * `pendingCount`, `online`, `configVersion`, `storageError` and `syncError`. The value is the
 * same object until the store changes.
 */
export function useCaseStore(store) {
  const view = viewOf(store);
  const subscribe = useMemo(() => subscribeTo(view), [view]);
  const read = () =>
    (view.status ??= {
      cases: store.list(),
      pendingCount: store.pendingCount,
      online: store.online,
      configVersion: store.configVersion,
      storageError: store.storageError,
      syncError: store.syncError,
    });
  return useSyncExternalStore(subscribe, read, read);
}

/** One case as the user should see it (`store.get`), or null; re-rendered when the store changes. */
export function useCase(store, caseId) {
  const view = viewOf(store);
  const subscribe = useMemo(() => subscribeTo(view), [view]);
  const read = () => {
    if (!view.cases.has(caseId)) view.cases.set(caseId, store.get(caseId));
    return view.cases.get(caseId);
  };
  return useSyncExternalStore(subscribe, read, read);
}

/**
 * Validates a workflow edit as the user types: `{ validation, error }`, recomputed when `engine`
 * or `draft` changes. `draft` is a WorkflowDefinition or its JSON text. A draft whose shape is
 * wrong is not a diagnostic but `error` (a HandoffError "invalid-input" with `details.path`).
 * With no engine yet (before `init()` resolves), both are null.
 */
export function useValidation(engine, draft) {
  return useMemo(() => {
    if (!engine) return { validation: null, error: null };
    try {
      return { validation: engine.validateWorkflow(draft), error: null };
    } catch (error) {
      if (error?.name !== "HandoffError") throw error;
      return { validation: null, error };
    }
  }, [engine, draft]);
}
