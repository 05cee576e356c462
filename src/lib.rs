//! handoff-engine: workflow handoffs and case ownership for legal practice software.
//!
//! A pure core (no clock, no I/O, no threads) that runs the same natively and in WebAssembly:
//! - [`model`]: the JSON shapes of workflows, the directory and Workflow Owners;
//! - [`validate`]: rule-by-rule validation of workflow edits and the ownership timeline;
//! - [`case`]: running a case, `decide` and `apply`;
//! - [`Engine`]: a compiled configuration and the operations of the JS API.
//!
//! Input from outside is read with [`input::from_json`], which bounds size and nesting and
//! names the first bad field.

pub mod case;
mod engine;
mod error;
mod graph;
pub mod input;
mod json;
pub mod model;
mod object;
mod roster;
pub mod sync;
pub mod validate;
/// The JavaScript facade (wasm32 only): the `Engine` class of the npm package.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use engine::{CompiledWorkflow, Engine, Outcome};
pub use error::{ErrorCode, ErrorDetails, HandoffError, Result};
pub use roster::Roster;
pub use validate::{Diagnostic, RuleCode, Severity, TimelineEntry, Validation};
