//! Rules about the people a workflow names: handoff targets, assignees, the Workflow Owners
//! setting, and client-facing steps that must name nobody.

use super::step_path;
use crate::diagnostic::{RuleCode, Severity};
use crate::model::{Party, PartyKind};
use crate::validate::subject::{Findings, Scope, Subject};

enum Problem {
    Unknown,
    Inactive,
}

fn problem(s: &Subject, party: &Party) -> Option<Problem> {
    if !s.roster.exists(party) {
        return Some(Problem::Unknown);
    }
    let inactive = party.kind == PartyKind::Member && s.roster.active_member(&party.id).is_none();
    inactive.then_some(Problem::Inactive)
}

/// `missing-default-owner`, and `unknown-party` / `inactive-member` for the owner setting.
pub fn owner_setting(s: &Subject, out: &mut Findings) {
    let name = &s.def.name;
    let Some((party, path)) = s.owners.owner_for(&s.def.id) else {
        let message = format!(
            "Workflow Owners names no owner for new {name} cases: set a firm-wide default or one for this workflow."
        );
        out.add(RuleCode::MissingDefaultOwner, s, None, format!("owners.workflows.{}", s.def.id), message);
        return;
    };
    if s.scope == Scope::InConfig && path == "owners.default" {
        return; // reported once, firm-wide
    }
    let who = s.roster.describe(party);
    match problem(s, party) {
        Some(Problem::Unknown) => {
            let message = format!("Workflow Owners gives new {name} cases to {who}, which is not in the directory.");
            out.add(RuleCode::UnknownParty, s, None, path, message);
        }
        Some(Problem::Inactive) => {
            let message = format!("Workflow Owners gives new {name} cases to {who}, who is deactivated.");
            out.add(RuleCode::InactiveMember, s, None, path, message);
        }
        None => {}
    }
}

/// `unknown-party`, `inactive-member` and `unstaffed-target` for handoff targets and their
/// escalation targets (SPEC §11), and `redundant-escalation`.
pub fn handoff_targets(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        let Some(handoff) = &step.handoff else { continue };
        target(s, out, index, &handoff.to, handoff.required, false);
        let Some(escalation) = &handoff.escalate else { continue };
        target(s, out, index, &escalation.to, handoff.required, true);
        if escalation.to == handoff.to {
            let message = format!("The handoff on step {} escalates to its own target.", step.name);
            out.add(RuleCode::RedundantEscalation, s, Some(index), step_path(index, ".handoff.escalate.to"), message);
        }
    }
}

/// The party rules for the handoff target (or escalation target) `party` of step `index`.
fn target(s: &Subject, out: &mut Findings, index: usize, party: &Party, required: bool, escalation: bool) {
    let name = s.step_name(index);
    // Names and paths are written only for a finding: most steps have none.
    let who = || s.roster.describe(party);
    let path = || step_path(index, if escalation { ".handoff.escalate.to" } else { ".handoff.to" });
    let what = if escalation { "Escalation" } else { "Handoff" };
    match problem(s, party) {
        Some(Problem::Unknown) => {
            let verb = if escalation { "escalates its handoff" } else { "hands the case" };
            let message = format!("Step {name} {verb} to {}, which is not in the directory.", who());
            out.add(RuleCode::UnknownParty, s, Some(index), path(), message);
        }
        Some(Problem::Inactive) => {
            let message = format!("{what} to {}, who is deactivated, on step {name}.", who());
            out.add(RuleCode::InactiveMember, s, Some(index), path(), message);
        }
        None if party.kind != PartyKind::Member && !s.roster.is_staffed(party) => {
            let severity = if required { Severity::Error } else { Severity::Warning };
            let relation = if party.kind == PartyKind::Role { "holds that role" } else { "belongs to that team" };
            let message =
                format!("{what} to {} on step {name} has nobody to receive it: no active member {relation}.", who());
            out.add_with(RuleCode::UnstaffedTarget, severity, s, Some(index), path(), message);
        }
        None => {}
    }
}

/// `invalid-duration`: a step's `due` or a handoff's `escalate.after` that is not a duration of
/// days, hours and minutes (SPEC §11, §13).
pub fn durations(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        let escalation = step.handoff.as_ref().and_then(|handoff| handoff.escalate.as_ref());
        let durations = [
            (step.due.as_deref(), ".due", "is due"),
            (escalation.map(|e| e.after.as_str()), ".handoff.escalate.after", "escalates its handoff"),
        ];
        for (text, rest, what) in durations {
            let Some(text) = text.filter(|text| crate::time::duration(text).is_none()) else { continue };
            let message = format!(
                "Step {} {what} after \"{text}\": a duration is days, hours and minutes, like P2D or PT4H.",
                step.name
            );
            out.add(RuleCode::InvalidDuration, s, Some(index), step_path(index, rest), message);
        }
    }
}

/// `unknown-party` and `inactive-member` for assignees.
pub fn assignees(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        let Some(assignee) = &step.assignee else { continue };
        let who = || s.roster.describe(assignee);
        let path = || step_path(index, ".assignee");
        match problem(s, assignee) {
            Some(Problem::Unknown) => {
                let message = format!("Step {} is assigned to {}, which is not in the directory.", step.name, who());
                out.add(RuleCode::UnknownParty, s, Some(index), path(), message);
            }
            Some(Problem::Inactive) => {
                let message = format!("Step {} is assigned to {}, who is deactivated.", step.name, who());
                out.add(RuleCode::InactiveMember, s, Some(index), path(), message);
            }
            None => {}
        }
    }
}

/// `handoff-on-client-step`: the client never owns a case, so a client step hands off nothing.
pub fn handoffs_on_client_steps(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        if step.client_facing && step.handoff.is_some() {
            let message = format!(
                "Step {} is client-facing, so it cannot hand the case off: ownership does not change while the client works.",
                step.name
            );
            out.add(RuleCode::HandoffOnClientStep, s, Some(index), step_path(index, ".handoff"), message);
        }
    }
}

/// `assignee-on-client-step`: the client does the work of a client-facing step.
pub fn assignees_on_client_steps(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        if step.client_facing && step.assignee.is_some() {
            let message = format!("Step {} is client-facing, so it cannot be assigned to a team member.", step.name);
            out.add(RuleCode::AssigneeOnClientStep, s, Some(index), step_path(index, ".assignee"), message);
        }
    }
}
