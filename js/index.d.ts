// Types of the handoff-engine package. The data types are generated from the Rust types
// (tsify); only the entry points below are written by hand.
import type {
  CaseState,
  Command,
  Ctx,
  Engine,
  ErrorCode,
  ErrorDetails,
  Outcome,
  PullRequest,
  PushRequest,
  RejectedMutation,
  StartCase,
} from "./wasm/handoff_engine.js";

export { Engine } from "./wasm/handoff_engine.js";
export type {
  CaseHandle,
  Actor,
  AllowedCommand,
  CaseRoleChange,
  CaseState,
  Change,
  Command,
  CommandType,
  Condition,
  ConfigChange,
  ConfigChangeResult,
  ConfigDiagnostic,
  ConfigValidation,
  Ctx,
  Diagnostic,
  Directory,
  EngineConfig,
  ErrorCode,
  ErrorDetails,
  Event,
  FactValue,
  Facts,
  Handoff,
  LastHandoff,
  Member,
  MigrationProblem,
  Mutation,
  Outcome,
  OwnerSettings,
  Party,
  PartyKind,
  PendingHandoff,
  PlannedCommand,
  PullRequest,
  PushRequest,
  Reassignment,
  ReassignmentPlan,
  RejectedMutation,
  Role,
  RuleCode,
  Severity,
  SkippedReassignment,
  StartCase,
  Step,
  StepState,
  StepStatus,
  StuckCode,
  StuckWork,
  Team,
  TimelineEntry,
  Validation,
  WorkflowDefinition,
} from "./wasm/handoff_engine.js";

/** What `init` accepts: where to load the `.wasm` from, its bytes, or a compiled module. */
export type InitInput = URL | string | Request | Response | BufferSource | WebAssembly.Module;

/** Loads the WebAssembly module; idempotent. Needed in browsers, harmless in Node. */
export declare function init(input?: InitInput | Promise<InitInput>): Promise<void>;

/** Every error the engine throws. */
export declare class HandoffError extends Error {
  readonly name: "HandoffError";
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(code: ErrorCode, message: string, details?: ErrorDetails);
}

/** What `Engine.check` returns. */
export type CheckResult = { ok: true } | { ok: false; code: ErrorCode; message: string; details: ErrorDetails };

/**
 * Sends one request of the sync protocol; resolves to the HTTP status and the parsed JSON body.
 * `("/config", null)` is `GET {baseUrl}/config`, when the server's configuration changed.
 * With a 429, `retryAfter` is the `Retry-After` header in seconds: the store waits that long (at
 * most 60 s) and tries again. An answer slower than `timeoutMs` counts as a network failure.
 */
export type Transport = (
  path: "/push" | "/pull" | "/config",
  body: PushRequest | PullRequest | null,
) => Promise<{ status: number; body: unknown; retryAfter?: number }>;

export interface CaseStoreOptions {
  /** The sync endpoint, like `https://host/sync`. */
  baseUrl: string;
  /** This client's id; by default one is made and kept in storage. */
  clientId?: string;
  /** Extra headers for every request, such as `Authorization`. */
  headers?: Record<string, string>;
  /** Replaces the default transport (fetch), for hosts with their own API client. */
  transport?: Transport;
  /** "local" (the default where localStorage exists): pending mutations survive a reload. */
  storage?: "local" | "memory";
  /** Separates several stores on one origin. */
  namespace?: string;
  /** How long a request may take before it counts as a network failure (retried, `online`
   * false); default 30,000. */
  timeoutMs?: number;
  /** Keep closed cases locally (default false): without it, cases closed before the first pull
   * are not kept, and a case that closes leaves the view once no pending mutation names it;
   * `fetchCase` reads one on demand. */
  keepClosed?: boolean;
  /** The configuration version `engine` was made from (SPEC §9); without it the store fetches
   * the configuration at its first pull. */
  configVersion?: number;
}

export interface SyncResult {
  /** Mutations sent. */
  pushed: number;
  /** Of those, applied by the server. */
  applied: number;
  /** Rejections reported during this sync. */
  rejected: number;
  /** Cases received from the server. */
  pulled: number;
}

export interface SyncStatus {
  pendingCount: number;
  /** False after the server could not be reached, until it can again. */
  online: boolean;
  /** A storage write that failed, or a saved queue that could not be read, or null. */
  storageError: StorageError | null;
  /** Why the last sync failed for good, or null once a sync succeeds. */
  syncError: SyncError | null;
  /** The configuration version the store decides with, or null before the first pull. */
  configVersion: number | null;
}

/**
 * What went wrong with the browser's storage.
 * - `storage-full`: a write failed (quota, private mode). For the pending queue, the mutation
 *   was refused (`dispatch` threw `storage-full`), and the error stays until a save succeeds;
 *   for the server's states (IndexedDB), they are no longer kept by this store, and are pulled
 *   again after a reload.
 * - `states-unreadable`: the cases kept in IndexedDB could not be read back (another version's,
 *   say): they were deleted and are pulled again.
 * - `queue-unreadable`: a saved queue whose text could not be read: kept under `key` (never
 *   overwritten), and the store went on as a new client. Its mutations were never lost silently:
 *   they are in that text.
 */
export type StorageError =
  | { code: "storage-full"; message: string }
  | { code: "states-unreadable"; message: string }
  | {
      code: "queue-unreadable";
      message: string;
      /** The storage key that now holds the unreadable text. */
      key: string;
    };

/**
 * The error a sync was rejected with: `protocol-error` (the server's answer contradicted what was
 * sent; nothing of it was taken and the queue is kept), `unsupported-schema-version` (the server
 * speaks another wire version: reload the app), `unauthenticated`, `invalid-request`, or
 * `network-error` after the retries.
 */
export interface SyncError {
  code: ErrorCode;
  message: string;
}

/** Offline-tolerant, exactly-once sync of cases with the host's backend (SPEC §6). */
export declare class CaseStore {
  constructor(engine: Engine, options: CaseStoreOptions);
  /** Starts a case optimistically and queues it; throws HandoffError if the engine refuses. */
  startCase(input: StartCase, ctx: Ctx): Outcome;
  /** Executes a command optimistically and queues it; throws HandoffError if the engine refuses,
   * or `storage-full` when the queue cannot be saved (then nothing is queued). */
  dispatch(caseId: string, command: Command, ctx: Ctx): Outcome;
  /** Reads one case's state from the server (a closed one the store does not keep, say): the
   * server's, without this client's pending mutations (`get` shows those), or null when the
   * server has none this user may see; not kept. */
  fetchCase(caseId: string): Promise<CaseState | null>;
  /** Resolves once the store owns its client id and has taken back the states kept before a
   * reload (IndexedDB); until then `get` and `list` see only what is pending. */
  readonly ready: Promise<void>;
  /** The case as the user should see it (the server's state plus what is pending), or null. */
  get(caseId: string): CaseState | null;
  list(): CaseState[];
  readonly pendingCount: number;
  readonly online: boolean;
  readonly clientId: string;
  /** The engine the store decides with now: a new one when the server's configuration changes
   * (the one given stays the caller's). */
  readonly engine: Engine;
  /** The configuration version of `engine`, or null before the first pull says it. */
  readonly configVersion: number | null;
  /** A storage write that failed, or a saved queue that could not be read at load (listeners
   * subscribe too late to see that). */
  readonly storageError: StorageError | null;
  /** Why the last sync failed for good, or null. */
  readonly syncError: SyncError | null;
  /** Pushes what is pending, then pulls, page after page until the server has no more; retries
   * network failures and 429 with backoff. */
  sync(): Promise<SyncResult>;
  subscribe(listener: (status: SyncStatus) => void): () => void;
  /** A rejection by the server is final: reported here once, dropped from the queue. */
  onRejected(listener: (rejection: RejectedMutation) => void): () => void;
  startAutoSync(options?: { intervalMs?: number }): void;
  stopAutoSync(): void;
}
