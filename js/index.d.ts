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
  Mutation,
  Outcome,
  OwnerSettings,
  Party,
  PartyKind,
  PendingHandoff,
  PullRequest,
  PushRequest,
  RejectedMutation,
  Role,
  RuleCode,
  Severity,
  StartCase,
  Step,
  StepState,
  StepStatus,
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
export type CheckResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** Sends one request of the sync protocol; resolves to the HTTP status and the parsed JSON body. */
export type Transport = (path: "/push" | "/pull", body: PushRequest | PullRequest) => Promise<{ status: number; body: unknown }>;

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
}

/** Offline-tolerant, exactly-once sync of cases with the host's backend (SPEC §6). */
export declare class CaseStore {
  constructor(engine: Engine, options: CaseStoreOptions);
  /** Starts a case optimistically and queues it; throws HandoffError if the engine refuses. */
  startCase(input: StartCase, ctx: Ctx): Outcome;
  /** Executes a command optimistically and queues it; throws HandoffError if the engine refuses. */
  dispatch(caseId: string, command: Command, ctx: Ctx): Outcome;
  /** The case as the user should see it (the server's state plus what is pending), or null. */
  get(caseId: string): CaseState | null;
  list(): CaseState[];
  readonly pendingCount: number;
  readonly online: boolean;
  readonly clientId: string;
  /** Pushes what is pending, then pulls; retries network failures with backoff. */
  sync(): Promise<SyncResult>;
  subscribe(listener: (status: SyncStatus) => void): () => void;
  /** A rejection by the server is final: reported here once, dropped from the queue. */
  onRejected(listener: (rejection: RejectedMutation) => void): () => void;
  startAutoSync(options?: { intervalMs?: number }): void;
  stopAutoSync(): void;
}
