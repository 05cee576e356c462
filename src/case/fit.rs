//! A case state comes from outside and is not trusted: before deciding anything, it must fit
//! its workflow version and the directory (SPEC §4). What does not fit is `invalid-input`
//! with the path of the first misfit, never a panic further down.

use super::state::{CaseState, StepState, StepStatus};
use crate::compiled::CompiledWorkflow;
use crate::error::{HandoffError, Result};
use crate::model::Party;
use crate::roster::Roster;

fn misfit(path: impl Into<String>, message: impl Into<String>) -> HandoffError {
    HandoffError::invalid_input(path, message)
}

impl CompiledWorkflow {
    /// Fills `out` with the states of a case's steps by step position, if the case has
    /// exactly this workflow's steps; false if not. `out` is the caller's, so that a scan of many
    /// cases reuses one buffer.
    pub fn step_states<'s>(&self, state: &'s CaseState, out: &mut Vec<&'s StepState>) -> bool {
        out.clear();
        if state.steps.len() != self.by_id.len() {
            return false;
        }
        let Some(first) = state.steps.values().next() else { return true };
        // Every place is written below: `by_id` holds each position once.
        out.resize(self.by_id.len(), first);
        for ((id, step_state), &position) in state.steps.iter().zip(&self.by_id) {
            if self.def.steps.get(position).map(|s| s.id.as_ref()) != Some(id.as_str()) {
                return false;
            }
            match out.get_mut(position) {
                Some(slot) => *slot = step_state,
                None => return false,
            }
        }
        true
    }
}

/// Whether `state` fits `workflow`; on success `step_states` holds its steps' states by step
/// position (what the stuck-work rules read).
pub(crate) fn check_fit<'s>(
    workflow: &CompiledWorkflow,
    roster: &Roster,
    state: &'s CaseState,
    step_states: &mut Vec<&'s StepState>,
) -> Result<()> {
    let def = &workflow.def;
    // The path is written only for a misfit: this check runs before every command.
    let known = |party: &Party, path: &dyn Fn() -> String| {
        if roster.exists(party) {
            return Ok(());
        }
        let path = path();
        let message = format!("{path} names {}, which is not in the directory.", roster.describe(party));
        Err(misfit(path, message))
    };
    known(&state.owner, &|| "owner".to_owned())?;
    for (role, member) in &state.case_roles {
        if !roster.has_role(role) || roster.member(member).is_none() {
            return Err(misfit(
                format!("caseRoles.{role}"),
                "caseRoles names a role or member that is not in the directory.",
            ));
        }
    }
    if !workflow.step_states(state, step_states) {
        return Err(misfit(
            "steps",
            format!("The case's steps do not match workflow {} version {}.", def.name, def.version),
        ));
    }
    let step_states: &[&StepState] = step_states;
    for (index, (step, step_state)) in def.steps.iter().zip(step_states.iter()).enumerate() {
        let path = |field: &str| format!("steps.{}.{field}", step.id);
        if let Some(assignee) = &step_state.assignee {
            known(assignee, &|| path("assignee"))?;
            if step.client_facing {
                return Err(misfit(path("assignee"), "A client-facing step has no assignee."));
            }
        }
        let preds_done =
            workflow.graph.preds_of(index).iter().all(|&p| step_states.get(p).is_some_and(|s| s.status.is_done()));
        let triggered = step_state.status != StepStatus::Pending;
        if triggered != preds_done {
            let message = if triggered {
                format!("Step {} cannot have started before the steps it comes after.", step.name)
            } else {
                format!("Step {} should have started: every step it comes after is done.", step.name)
            };
            return Err(misfit(path("status"), message));
        }
        let awaited = state.pending_handoff.as_ref().is_some_and(|p| p.step_id == step.id && p.required);
        if (step_state.status == StepStatus::AwaitingHandoff) != awaited {
            return Err(misfit(
                path("status"),
                "A step awaits a handoff exactly when pendingHandoff names it as required.",
            ));
        }
    }
    if let Some(pending) = &state.pending_handoff {
        let handoff =
            workflow.step(&pending.step_id).and_then(|(_, s)| s.handoff.as_ref().filter(|_| !s.client_facing));
        let status = state.status(&pending.step_id);
        // Its target may differ from the step's: a redirect gives it another.
        let fits = handoff.is_some_and(|h| h.required == pending.required)
            && matches!(status, Some(StepStatus::AwaitingHandoff | StepStatus::Active));
        if !fits {
            return Err(misfit("pendingHandoff", "pendingHandoff does not match a step awaiting that handoff."));
        }
        known(&pending.to, &|| "pendingHandoff.to".to_owned())?;
    }
    if let Some(last) = &state.last_handoff {
        let has_handoff = workflow.step(&last.step_id).is_some_and(|(_, s)| s.handoff.is_some());
        if !has_handoff {
            return Err(misfit("lastHandoff.stepId", "lastHandoff names a step without a handoff."));
        }
        if roster.member(&last.by).is_none() {
            return Err(misfit("lastHandoff.by", "lastHandoff.by names a member who is not in the directory."));
        }
        known(&last.from, &|| "lastHandoff.from".to_owned())?;
        known(&last.to, &|| "lastHandoff.to".to_owned())?;
        for (role, member) in &last.case_roles_before {
            if !roster.has_role(role) || roster.member(member).is_none() {
                return Err(misfit(
                    format!("lastHandoff.caseRolesBefore.{role}"),
                    "lastHandoff names a role or member that is not in the directory.",
                ));
            }
        }
    }
    let all_done = step_states.iter().all(|s| s.status.is_done());
    if state.closed != all_done {
        return Err(misfit("closed", "A case is closed exactly when every step is completed or skipped."));
    }
    if state.version == 0 {
        return Err(misfit("version", "A started case has applied at least one event."));
    }
    Ok(())
}
