//! The one error type every entry point returns: a stable `code`, a sentence a person can act on,
//! and details (the path of the bad field, or the diagnostics that made a workflow invalid).
//! The wasm shell turns it into the JS `HandoffError`; the server into an HTTP error body.

use serde::Serialize;

use crate::diagnostic::Diagnostic;

/// Stable error codes (SPEC §2–§4). Never rename one: callers match on the string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    InvalidInput,
    UnknownCaseWorkflow,
    WorkflowInvalid,
    UnknownStep,
    StepNotActive,
    HandoffPending,
    NoPendingHandoff,
    NotPermitted,
    TargetRequired,
    TargetIneligible,
    RevertNotAllowed,
    CaseClosed,
    /// Sync: a `startCase` mutation for a case id that already exists.
    CaseExists,
    /// Sync: a command mutation for a case the server does not have.
    UnknownCase,
    /// Raised by the package's CaseStore: the server refused the token (401).
    Unauthenticated,
    /// Raised by the package's CaseStore: the server refused the request (400, 403, 413).
    InvalidRequest,
    /// Raised by the package's CaseStore: no answer, 5xx or 429, after the retries.
    NetworkError,
    /// Sync: the server's answer contradicts what the client sent or knows (a counter past the
    /// mutations it numbered, a cookie that is not an id, a body not of the protocol); nothing
    /// of it is taken.
    ProtocolError,
    /// Raised by the package's CaseStore: the server speaks another wire version (426); reload.
    UnsupportedSchemaVersion,
    /// Raised by the package's CaseStore: the pending queue could not be saved (SPEC §14), so
    /// the mutation was not accepted.
    StorageFull,
    /// Raised by the package's `init()` and its Node entry: what was loaded is not the engine's
    /// WebAssembly (a bundler's HTML fallback page, a missing file); the message names where it
    /// looked and the likely fix.
    WasmLoadFailed,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid-input",
            ErrorCode::UnknownCaseWorkflow => "unknown-case-workflow",
            ErrorCode::WorkflowInvalid => "workflow-invalid",
            ErrorCode::UnknownStep => "unknown-step",
            ErrorCode::StepNotActive => "step-not-active",
            ErrorCode::HandoffPending => "handoff-pending",
            ErrorCode::NoPendingHandoff => "no-pending-handoff",
            ErrorCode::NotPermitted => "not-permitted",
            ErrorCode::TargetRequired => "target-required",
            ErrorCode::TargetIneligible => "target-ineligible",
            ErrorCode::RevertNotAllowed => "revert-not-allowed",
            ErrorCode::CaseClosed => "case-closed",
            ErrorCode::CaseExists => "case-exists",
            ErrorCode::UnknownCase => "unknown-case",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidRequest => "invalid-request",
            ErrorCode::NetworkError => "network-error",
            ErrorCode::ProtocolError => "protocol-error",
            ErrorCode::UnsupportedSchemaVersion => "unsupported-schema-version",
            ErrorCode::StorageFull => "storage-full",
            ErrorCode::WasmLoadFailed => "wasm-load-failed",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What else a caller may need to act on an error.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    /// For `invalid-input`: where the first bad field is, e.g. `steps[3].handoff.to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The step the rejection concerns, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// For `workflow-invalid`: the error diagnostics of the workflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Vec<Diagnostic>>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct HandoffError {
    pub code: ErrorCode,
    pub message: String,
    pub details: ErrorDetails,
}

impl HandoffError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HandoffError { code, message: message.into(), details: ErrorDetails::default() }
    }

    /// An `invalid-input` error about the field at `path`.
    pub fn invalid_input(path: impl Into<String>, message: impl Into<String>) -> Self {
        let mut error = HandoffError::new(ErrorCode::InvalidInput, message);
        error.details.path = Some(path.into());
        error
    }

    pub fn with_step(mut self, step_id: &str) -> Self {
        self.details.step_id = Some(step_id.to_owned());
        self
    }
}

pub type Result<T, E = HandoffError> = std::result::Result<T, E>;
