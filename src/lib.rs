//! handoff-engine: workflow handoffs and case ownership for legal practice software.
//!
//! A pure core (no clock, no I/O, no threads) that runs the same natively and in WebAssembly:
//! - [`model`]: the JSON shapes of workflows, the directory and Workflow Owners;
//! - [`validate`]: rule-by-rule validation of workflow edits and the ownership timeline;
//! - [`case`]: running a case, `decide` and `apply`;
//! - [`stuck`]: what in open cases waits on someone who cannot act (`Engine::find_stuck_work`);
//! - [`Engine`]: a compiled configuration and the operations of the JS API;
//! - [`change`]: checking a change of the configuration while cases run (`check_config_change`).
//!
//! Input from outside is read with [`input::from_json`], which bounds size and nesting and
//! names the first bad field.
//!
//! ```
//! use handoff_engine::case::{Command, Ctx, StartCase};
//! use handoff_engine::{input::from_json, Engine, ErrorCode};
//!
//! let engine = Engine::from_json(include_str!("../config/example-firm.json"))?;
//! assert!(engine.validate_config().ok);
//!
//! let ctx: Ctx = from_json(r#"{ "actor": { "kind": "member", "id": "dana" }, "at": "2026-11-25T09:00:00Z" }"#)?;
//! let input: StartCase = from_json(r#"{ "caseId": "smith-2026", "workflowId": "chapter-7" }"#)?;
//! let started = engine.start_case(&input, &ctx)?;            // owned by the Documents Team
//! let claim = Command::from_json(r#"{ "type": "claim" }"#)?;
//! let claimed = engine.execute(&started.state, &claim, &ctx)?; // now Dana's
//! assert_eq!(claimed.state.owner.id, "dana");
//!
//! // A rejection is an error with a stable code, never a panic.
//! let late = Command::from_json(r#"{ "type": "completeStep", "stepId": "petition" }"#)?;
//! let error = engine.check(&claimed.state, &late, &ctx).unwrap_err();
//! assert_eq!(error.code, ErrorCode::StepNotActive);
//! # Ok::<(), handoff_engine::HandoffError>(())
//! ```

pub mod case;
pub mod change;
mod compiled;
mod diagnostic;
mod digits;
mod engine;
mod error;
mod graph;
mod host;
pub mod input;
pub mod model;
pub mod output;
mod roster;
pub mod stuck;
pub mod sync;
pub mod time;
pub mod validate;
/// The JavaScript facade (wasm32 only): the `Engine` class of the npm package.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use engine::{CompiledWorkflow, Engine, KeptCase, Outcome};
pub use error::{ErrorCode, ErrorDetails, ErrorParts, HandoffError, MigrationProblem, Result};
pub use roster::Roster;
pub use validate::{Diagnostic, RuleCode, Severity, TimelineEntry, Validation};
