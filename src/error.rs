//! The one error type every entry point returns: a stable `code`, a sentence a person can act on,
//! and details (the path of the bad field, or the diagnostics that made a workflow invalid).
//! The wasm shell turns it into the JS `HandoffError`; the server into an HTTP error body.

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::output::ToJson;

/// Stable error codes (SPEC §2–§4). Never rename one: callers match on the string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(hashmap_as_object, missing_as_null),
    serde(rename_all = "kebab-case")
)]
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
    /// A `migrateCase` that cannot be made (SPEC §10): `details.problems` says every reason.
    MigrationInvalid,
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
            ErrorCode::MigrationInvalid => "migration-invalid",
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

/// Written as its `as_str` (the names tsify declares from the attribute above), so that the
/// names are stated once in the module.
impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl ToJson for ErrorCode {
    fn write_json(&self, out: &mut String) {
        crate::output::write_str(out, self.as_str());
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What else a caller may need to act on an error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToJson)]
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
    /// For `migration-invalid`: every reason the migration cannot be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<MigrationProblem>>,
}

/// One reason a migration cannot be made.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct MigrationProblem {
    /// The case's step (its id in the version it runs on) the problem is about; `null` for one
    /// about the target version as a whole.
    pub step_id: Option<String>,
    pub message: String,
}

/// What a [`HandoffError`] says; read through the error (`error.code`, `error.message`,
/// `error.details`).
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
pub struct ErrorParts {
    pub code: ErrorCode,
    pub message: String,
    pub details: ErrorDetails,
}

/// The error of every entry point: its parts behind one pointer, so that a `Result` carrying it
/// is hardly larger than its `Ok` value. Every function of the decide returns one, and a
/// 64-byte error copied through each of them was a good part of the module's size.
#[derive(Clone, Debug, PartialEq)]
pub struct HandoffError(Box<ErrorParts>);

impl std::ops::Deref for HandoffError {
    type Target = ErrorParts;
    fn deref(&self) -> &ErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for HandoffError {
    fn deref_mut(&mut self) -> &mut ErrorParts {
        &mut self.0
    }
}

impl std::fmt::Display for HandoffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandoffError {}

/// Written as its parts: `{ code, message, details }`.
impl Serialize for HandoffError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl ToJson for HandoffError {
    fn write_json(&self, out: &mut String) {
        self.0.write_json(out);
    }
}

impl HandoffError {
    /// Its parts, taken out of the error.
    pub fn into_parts(self) -> ErrorParts {
        *self.0
    }

    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HandoffError(Box::new(ErrorParts { code, message: message.into(), details: ErrorDetails::default() }))
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

#[cfg(test)]
mod tests {
    use super::ErrorCode::{self, *};

    /// Every code, by a match that fails to compile when one is added and not listed here.
    fn every_code() -> Vec<ErrorCode> {
        let all = [
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
            MigrationInvalid,
            CaseExists,
            UnknownCase,
            Unauthenticated,
            InvalidRequest,
            NetworkError,
            ProtocolError,
            UnsupportedSchemaVersion,
            StorageFull,
            WasmLoadFailed,
        ];
        for code in all {
            match code {
                InvalidInput
                | UnknownCaseWorkflow
                | WorkflowInvalid
                | UnknownStep
                | StepNotActive
                | HandoffPending
                | NoPendingHandoff
                | NotPermitted
                | TargetRequired
                | TargetIneligible
                | RevertNotAllowed
                | CaseClosed
                | MigrationInvalid
                | CaseExists
                | UnknownCase
                | Unauthenticated
                | InvalidRequest
                | NetworkError
                | ProtocolError
                | UnsupportedSchemaVersion
                | StorageFull
                | WasmLoadFailed => {}
            }
        }
        all.to_vec()
    }

    /// The TypeScript declaration names each code as its variant in kebab case (tsify, from the
    /// serde attribute); the module writes `as_str`: the two must agree.
    #[test]
    fn each_code_is_written_as_its_variant_in_kebab_case() {
        for code in every_code() {
            let mut kebab = String::new();
            for c in format!("{code:?}").chars() {
                if c.is_uppercase() && !kebab.is_empty() {
                    kebab.push('-');
                }
                kebab.extend(c.to_lowercase());
            }
            assert_eq!(code.as_str(), kebab);
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::Value::from(kebab)));
        }
    }
}
