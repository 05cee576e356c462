//! Running a case (SPEC §4): the case state, commands and events, and the pure functions
//! `decide` (may this happen, and what does it produce) and `apply` (what an event does to a
//! state). Nothing here reads a clock: time comes in through `Ctx::at`.

mod access;
mod allowed;
mod command;
mod deadline;
mod decide;
mod event;
mod fit;
mod migrate;
mod reassign;
mod state;

pub use allowed::AllowedCommand;
pub use command::{Actor, Command, CommandType, Ctx, StartCase};
pub use deadline::{deadlines, next_deadline, Deadline, DeadlineKind};
pub use event::{CaseRoleChange, Change, Event};
pub use reassign::{PlannedCommand, Reassignment, ReassignmentPlan, SkippedReassignment};
pub use state::{shut_out, CaseState, LastHandoff, PendingHandoff, StepState, StepStatus, MAX_VERSION};

pub(crate) use allowed::allowed_commands;
pub(crate) use decide::{decide, decide_in_place, start, vet, Scene};
pub(crate) use fit::check_fit;
pub(crate) use reassign::plan as plan_reassignment;
