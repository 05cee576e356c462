//! One function per stuck-work code of SPEC §10, each reading a fitting open case (`Subject`)
//! and adding what it finds. Names and sentences are written only for a finding: most cases
//! have none.

use super::{StuckCode, StuckWork, Subject};
use crate::model::{Party, PartyKind};

/// "no active member holds that role" / "belongs to that team", for a role or team.
fn nobody_active(party: &Party) -> &'static str {
    match party.kind {
        PartyKind::Role => "no active member holds that role",
        PartyKind::Team | PartyKind::Member => "no active member belongs to that team",
    }
}

/// `owner-inactive`: the case is owned by a deactivated member.
pub fn owner_inactive(s: &Subject, out: &mut Vec<StuckWork>) {
    let owner = &s.case.owner;
    if s.is_inactive_member(owner) {
        let message =
            format!("Case {} is owned by {}, who is no longer active.", s.case.case_id, s.roster.describe(owner));
        out.push(s.finding(StuckCode::OwnerInactive, message, None, Some(owner)));
    }
}

/// `owner-unstaffed`: the case is owned by a role or team with no active member.
pub fn owner_unstaffed(s: &Subject, out: &mut Vec<StuckWork>) {
    let owner = &s.case.owner;
    if owner.kind != PartyKind::Member && !s.roster.is_staffed(owner) {
        let message =
            format!("Case {} is owned by {}, and {}.", s.case.case_id, s.roster.describe(owner), nobody_active(owner));
        out.push(s.finding(StuckCode::OwnerUnstaffed, message, None, Some(owner)));
    }
}

/// `handoff-target-inactive`: the pending handoff goes to a deactivated member, or to a role
/// whose holder on this case is deactivated while someone else active holds the role (with
/// nobody active at all, it is `handoff-target-unstaffed`).
pub fn handoff_target_inactive(s: &Subject, out: &mut Vec<StuckWork>) {
    let Some(pending) = &s.case.pending_handoff else { return };
    let to = &pending.to;
    let step = s.step_name(&pending.step_id);
    let case = &s.case.case_id;
    if s.is_inactive_member(to) {
        let message = format!(
            "The handoff of case {case} at step {step} goes to {}, who is no longer active.",
            s.roster.describe(to)
        );
        out.push(s.finding(StuckCode::HandoffTargetInactive, message, Some(&pending.step_id), Some(to)));
        return;
    }
    if to.kind != PartyKind::Role {
        return;
    }
    let Some(holder) = s.case.case_roles.get(&to.id).filter(|holder| s.is_inactive(holder)) else { return };
    if s.roster.is_staffed(to) {
        let holder = Party::member(holder);
        let message = format!(
            "The handoff of case {case} at step {step} goes to {}, whose holder on this case, {}, is no longer active: name another with the handoff.",
            s.roster.describe(to),
            s.roster.describe(&holder)
        );
        out.push(s.finding(StuckCode::HandoffTargetInactive, message, Some(&pending.step_id), Some(&holder)));
    }
}

/// `handoff-target-unstaffed`: the pending handoff goes to a role or team with no active member.
pub fn handoff_target_unstaffed(s: &Subject, out: &mut Vec<StuckWork>) {
    let Some(pending) = &s.case.pending_handoff else { return };
    let to = &pending.to;
    if to.kind != PartyKind::Member && !s.roster.is_staffed(to) {
        let message = format!(
            "The handoff of case {} at step {} goes to {}, and {}.",
            s.case.case_id,
            s.step_name(&pending.step_id),
            s.roster.describe(to),
            nobody_active(to)
        );
        out.push(s.finding(StuckCode::HandoffTargetUnstaffed, message, Some(&pending.step_id), Some(to)));
    }
}

/// `case-role-inactive`: `caseRoles` names a deactivated member, once per role they hold.
pub fn case_roles_inactive(s: &Subject, out: &mut Vec<StuckWork>) {
    for (role, member) in &s.case.case_roles {
        if s.is_inactive(member) {
            let member = Party::member(member);
            let message = format!(
                "On case {}, {} is held by {}, who is no longer active.",
                s.case.case_id,
                s.roster.describe(&Party::role(role)),
                s.roster.describe(&member)
            );
            out.push(s.finding(StuckCode::CaseRoleInactive, message, None, Some(&member)));
        }
    }
}

/// `assignee-inactive`: a step not yet done is assigned to a deactivated member, in the order of
/// the workflow's steps.
pub fn assignees_inactive(s: &Subject, out: &mut Vec<StuckWork>) {
    for (step, state) in s.workflow.def.steps.iter().zip(s.steps) {
        let Some(assignee) = state.assignee.as_ref().filter(|_| !state.status.is_done()) else { continue };
        if s.is_inactive_member(assignee) {
            let message = format!(
                "Step {} of case {} is assigned to {}, who is no longer active.",
                step.name,
                s.case.case_id,
                s.roster.describe(assignee)
            );
            out.push(s.finding(StuckCode::AssigneeInactive, message, Some(&step.id), Some(assignee)));
        }
    }
}

/// `newer-version`: the case runs on a version older than its workflow's latest.
pub fn newer_version(s: &Subject, out: &mut Vec<StuckWork>) {
    let (version, latest) = (s.workflow.def.version, s.latest.def.version);
    if latest > version {
        let message = format!(
            "Case {} runs on version {version} of {}; version {latest} is the latest.",
            s.case.case_id, s.workflow.def.name
        );
        out.push(s.finding(StuckCode::NewerVersion, message, None, None));
    }
}
