// Types of the handoff-engine package. The data types are generated from the Rust types
// (tsify); only the entry points below are written by hand, and a few types that TypeScript can
// say more precisely than the Rust type does (`AllowedCommand`, `RejectedMutation`). Nothing here
// needs the DOM lib: a Node project on `lib: ["es2022"]` compiles against it.
import type {
  Actor,
  CaseHandle as KeptCase,
  CaseState,
  Command,
  CommandType,
  Ctx,
  EngineConfig,
  ErrorCode,
  ErrorDetails,
  Outcome,
  PullRequest,
  PushRequest,
  RejectedMutation as WireRejectedMutation,
  StartCase,
} from "./wasm/handoff_engine.js";
import { Engine as WasmEngine } from "./wasm/handoff_engine.js";

export type {
  Actor,
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
  Deadline,
  DeadlineKind,
  Diagnostic,
  Directory,
  EngineConfig,
  ErrorCode,
  ErrorDetails,
  Escalation,
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

/**
 * A global's instance type when the project's libs declare it (the DOM lib, @types/node), else
 * `never`: so that `InitInput` names `URL`, `Response`, `WebAssembly.Module` where they exist
 * and a project without them still compiles.
 */
type Global<Name extends string> = typeof globalThis extends { [K in Name]: { prototype: infer T } } ? T : never;
type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer T } } } ? T : never;

/** What `init` accepts: where to load the `.wasm` from (a URL, its text, a `Request`), a
 * `Response`, its bytes, or a compiled `WebAssembly.Module`. */
export type InitInput =
  | string
  | Global<"URL">
  | Global<"Request">
  | Global<"Response">
  | ArrayBuffer
  | ArrayBufferView
  | WasmModule;

/** Loads the WebAssembly module; idempotent. Needed in browsers, harmless in Node. What turns out
 * not to be WebAssembly (a dev server's HTML page, a 404) is a `HandoffError` with code
 * `"wasm-load-failed"` whose message names the URL and the likely fix. */
export declare function init(input?: InitInput | Promise<InitInput>): Promise<void>;

/**
 * Returns `config` as given, typed: a configuration written in TypeScript is checked where it is
 * written (a typo in a `kind` is an error there, not at `new Engine`), and keeps its literal types.
 */
export declare function defineConfig<const C extends EngineConfig>(config: C): C;

/**
 * An entry of `allowedCommands`: what an actor may do now, one variant per command type, so that
 * a `switch` on `type` narrows it. Each carries what the command needs from the case (`stepId`)
 * and, for a handoff or a claim, who may become owner (`candidates`); complete it into a
 * `Command` with what the person chooses (`CommandOf`).
 */
export type AllowedCommand =
  | { type: "completeHandoff"; stepId: string; candidates: string[] }
  | { type: "revertHandoff"; stepId: string }
  | { type: "claim"; candidates: string[] }
  | { type: "completeStep"; stepId: string }
  | { type: "skipStep"; stepId: string }
  | { type: "assignStep"; stepId: string }
  | { type: "transferOwnership" }
  | { type: "setCaseRole" }
  | { type: "setClients" }
  | { type: "redirectHandoff"; stepId: string }
  | { type: "migrateCase" }
  | { type: "tick" }
  | { type: "extendDeadline"; stepId: string };

/** The command of one type: `CommandOf<"skipStep">` is `{ type: "skipStep"; stepId; reason }`. */
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

/** A compiled configuration: validates workflow edits and runs cases. */
export declare class Engine extends WasmEngine {
  allowedCommands(state: CaseState, actor: Actor): AllowedCommand[];
  /** The earliest time at which a tick would do something to `state` (SPEC §11), or `null`:
   * for a closed case, or one with nothing ahead. */
  nextDeadline(state: CaseState | string): string | null;
  openCase(state: CaseState): CaseHandle;
}

/** A case whose state the engine keeps (`engine.openCase(state)`). */
export interface CaseHandle extends Omit<KeptCase, "allowedCommands"> {
  /** What `actor` may do now. */
  allowedCommands(actor: Actor): AllowedCommand[];
}

/** A rejection by the server, as `onRejected` reports it: final, never retried. */
export interface RejectedMutation extends Omit<WireRejectedMutation, "code"> {
  code: ErrorCode;
}

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
