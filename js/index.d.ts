// Types of the handoff-engine package. The data types are generated from the Rust types
// (tsify); only the entry points below are written by hand.
import type { ErrorCode, ErrorDetails } from "./wasm/handoff_engine.js";

export { Engine } from "./wasm/handoff_engine.js";
export type {
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
  Outcome,
  OwnerSettings,
  Party,
  PartyKind,
  PendingHandoff,
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
