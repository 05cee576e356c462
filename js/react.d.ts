// Types of handoff-engine/react. React itself is an optional peer dependency: these hooks take
// the store or engine as an argument and need no React types.
import type { CaseState, CaseStore, Engine, HandoffError, StorageError, SyncError, Validation, WorkflowDefinition } from "./index.js";

/** What `useCaseStore` returns: the same object until the store changes. */
export interface CaseStoreView {
  /** `store.list()`: the server's states plus what is pending. */
  readonly cases: CaseState[];
  readonly pendingCount: number;
  readonly online: boolean;
  /** The configuration version the store decides with, or null before the first pull. */
  readonly configVersion: number | null;
  readonly storageError: StorageError | null;
  readonly syncError: SyncError | null;
}

/** What `useValidation` returns: a validation, or the error of a draft whose shape is wrong. */
export type ValidationView =
  | { validation: Validation; error: null }
  | { validation: null; error: HandoffError }
  | { validation: null; error: null };

/** The store's cases and status, through `useSyncExternalStore` over `store.subscribe`. */
export declare function useCaseStore(store: CaseStore): CaseStoreView;

/** One case (`store.get(caseId)`), or null; re-rendered when the store changes. */
export declare function useCase(store: CaseStore, caseId: string): CaseState | null;

/** Validates `draft` (a definition or its JSON text) with `engine`, once per change of either;
 * both null while there is no engine yet. */
export declare function useValidation(
  engine: Engine | null | undefined,
  draft: WorkflowDefinition | string,
): ValidationView;
