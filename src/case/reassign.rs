//! Planning the reassignment of a person's work (SPEC §10): for every open case, the ordinary
//! commands that move to `to` what `from` holds. Pure: the plan is made from the states given,
//! and each of its commands is decided later like any other.

use serde::Serialize;

use super::command::Command;
use super::state::CaseState;
use crate::error::{ErrorCode, HandoffError, Result};
use crate::input::{check_id, check_reason, FromJson};
use crate::model::Party;
use crate::output::ToJson;
use crate::roster::Roster;

/// `planReassignment`'s request: move what member `from` holds to member `to`.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[json(expected = "a reassignment")]
pub struct Reassignment {
    #[json(check = check_id)]
    pub from: String,
    /// An active member other than `from`.
    #[json(check = check_id)]
    pub to: String,
    /// Given to the commands that take one (`transferOwnership`, `redirectHandoff`).
    #[json(check = check_reason)]
    pub reason: String,
}

/// The commands that move the work, each for its case, in the order to decide them.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct ReassignmentPlan {
    pub commands: Vec<PlannedCommand>,
    /// What cannot move, and why.
    pub skipped: Vec<SkippedReassignment>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PlannedCommand {
    pub case_id: String,
    pub command: Command,
}

/// A case role `to` cannot hold (`target-ineligible`), or a case whose state does not fit its
/// workflow version (that error's code).
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SkippedReassignment {
    pub case_id: String,
    pub code: ErrorCode,
    pub message: String,
}

/// The plan for `cases`; `fits` checks a state against its workflow version, as deciding does.
pub(crate) fn plan(
    roster: &Roster,
    cases: &[CaseState],
    request: &Reassignment,
    fits: impl Fn(&CaseState) -> Result<()>,
) -> Result<ReassignmentPlan> {
    let Some(leaving) = roster.member(&request.from) else {
        return Err(HandoffError::invalid_input(
            "from",
            format!("from names \"{}\", who is not in the directory.", request.from),
        ));
    };
    let receiving = roster.active_member(&request.to).filter(|m| m.id != leaving.id).ok_or_else(|| {
        HandoffError::invalid_input(
            "to",
            format!("to must name an active member other than {}; \"{}\" does not.", leaving.name, request.to),
        )
    })?;
    let (from, to) = (Party::member(&leaving.id), Party::member(&receiving.id));
    let reason = &request.reason;
    let mut commands = Vec::new();
    let mut skipped = Vec::new();
    for case in cases.iter().filter(|case| !case.closed) {
        let mut order = |command| commands.push(PlannedCommand { case_id: case.case_id.clone(), command });
        let mut skip =
            |code, message| skipped.push(SkippedReassignment { case_id: case.case_id.clone(), code, message });
        if let Err(error) = fits(case) {
            let error = error.into_parts();
            skip(error.code, error.message);
            continue;
        }
        if case.owner == from {
            order(Command::TransferOwnership { to: to.clone(), reason: reason.clone() });
        }
        for (role_id, _) in case.case_roles.iter().filter(|(_, holder)| **holder == leaving.id) {
            // The role exists: the state fits.
            if receiving.roles.contains(role_id) {
                order(Command::SetCaseRole { role_id: role_id.clone(), member_id: receiving.id.clone() });
            } else {
                let role = roster.describe(&Party::role(role_id));
                skip(
                    ErrorCode::TargetIneligible,
                    format!("{} does not hold {role}: {} keeps it.", receiving.name, leaving.name),
                );
            }
        }
        for (step_id, step) in &case.steps {
            if !step.status.is_done() && step.assignee.as_ref() == Some(&from) {
                order(Command::AssignStep { step_id: step_id.clone(), to: Some(to.clone()) });
            }
        }
        if let Some(pending) = case.pending_handoff.as_ref().filter(|p| p.to == from) {
            let step_id = pending.step_id.clone();
            order(Command::RedirectHandoff { step_id, to: to.clone(), reason: reason.clone() });
        }
    }
    Ok(ReassignmentPlan { commands, skipped })
}
