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

/// `unknown-party`, `inactive-member` and `unstaffed-target` for handoff targets.
pub fn handoff_targets(s: &Subject, out: &mut Findings) {
    for (index, step) in s.def.steps.iter().enumerate() {
        let Some(handoff) = &step.handoff else { continue };
        // Names and paths are written only for a finding: most steps have none.
        let who = || s.roster.describe(&handoff.to);
        let path = || step_path(index, ".handoff.to");
        match problem(s, &handoff.to) {
            Some(Problem::Unknown) => {
                let message = format!("Step {} hands the case to {}, which is not in the directory.", step.name, who());
                out.add(RuleCode::UnknownParty, s, Some(index), path(), message);
            }
            Some(Problem::Inactive) => {
                let message = format!("Handoff to {}, who is deactivated, on step {}.", who(), step.name);
                out.add(RuleCode::InactiveMember, s, Some(index), path(), message);
            }
            None if handoff.to.kind != PartyKind::Member && !s.roster.is_staffed(&handoff.to) => {
                let severity = if handoff.required { Severity::Error } else { Severity::Warning };
                let relation =
                    if handoff.to.kind == PartyKind::Role { "holds that role" } else { "belongs to that team" };
                let message = format!(
                    "Handoff to {} on step {} has nobody to receive it: no active member {relation}.",
                    who(),
                    step.name
                );
                out.add_with(RuleCode::UnstaffedTarget, severity, s, Some(index), path(), message);
            }
            None => {}
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
