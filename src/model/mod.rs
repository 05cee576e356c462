//! The serde types of SPEC §2: parties, the directory, Workflow Owners settings, workflow
//! definitions and their conditions. Shapes only: what a value means is `validate`'s business,
//! what happens to a case is `case`'s. Unknown fields are rejected everywhere.

mod condition;
mod config;
mod directory;
mod party;
mod workflow;

pub(crate) use condition::check_fact_value;
pub use condition::{node_path, Condition, FactValue, Facts, Node};
pub use config::{EngineConfig, OwnerSettings};
pub use directory::{Directory, Member, Role, Team};
pub use party::{Party, PartyKind};
pub use workflow::{Escalation, Handoff, Step, WorkflowDefinition};
