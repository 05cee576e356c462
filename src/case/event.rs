//! Events: the audit trail of a case (who, what, when, from whom, to whom), and `apply`, the
//! one place where a state changes. `decide` applies its own events through here too, so a
//! replay of the events always reproduces the state.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::command::Actor;
use super::state::{CaseState, LastHandoff, PendingHandoff, StepState, StepStatus};
use crate::model::{Facts, Party};
use crate::output::ToJson;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToJson)]
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(type = "{ seq: number; at: string; actor: Actor } & Change")
)]
pub struct Event {
    /// 1 for `caseStarted`, then one more per event: the state's version after applying it.
    pub seq: u64,
    /// The context's time.
    pub at: Arc<str>,
    pub actor: Actor,
    #[serde(flatten)]
    pub change: Change,
}

/// A role given to a member as part of a handoff or a claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct CaseRoleChange {
    pub role_id: String,
    pub member_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Change {
    CaseStarted {
        case_id: String,
        workflow_id: String,
        workflow_version: u32,
        owner: Party,
        case_roles: BTreeMap<String, String>,
        facts: Facts,
        /// Absent in events stored by the first release.
        #[serde(default)]
        clients: Vec<String>,
    },
    /// `due_at`: when the step's work is due, for a step with a `due` (SPEC §11).
    StepTriggered {
        step_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due_at: Option<String>,
    },
    /// `reason` is `None` when the step's `when` condition was false.
    StepSkipped {
        step_id: String,
        reason: Option<String>,
    },
    /// `escalates_at`: when it escalates, for a handoff with `escalate` (SPEC §11).
    HandoffRequested {
        step_id: String,
        to: Party,
        required: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        escalates_at: Option<String>,
    },
    /// Ownership passes from `from` to `to`; `target` is the step's handoff target (a role or
    /// team target resolves to `to`).
    HandoffCompleted {
        step_id: String,
        target: Party,
        from: Party,
        to: Party,
        case_role: Option<CaseRoleChange>,
    },
    /// The handoff is taken back: ownership returns to `to`, roles to `case_roles`.
    HandoffReverted {
        step_id: String,
        from: Party,
        to: Party,
        case_roles: BTreeMap<String, String>,
        target: Party,
        required: bool,
        reason: Option<String>,
    },
    OwnershipClaimed {
        from: Party,
        to: Party,
        case_role: Option<CaseRoleChange>,
    },
    StepCompleted {
        step_id: String,
    },
    /// Assignment: who does a step's work. Never ownership.
    StepAssigned {
        step_id: String,
        from: Option<Party>,
        to: Option<Party>,
    },
    OwnershipTransferred {
        from: Party,
        to: Party,
        reason: String,
    },
    CaseRoleSet {
        role_id: String,
        member_id: String,
        previous: Option<String>,
    },
    /// Who the case is for changed (a joint filer added, a former client's access ended).
    ClientsSet {
        from: Vec<String>,
        to: Vec<String>,
        reason: String,
    },
    /// The pending handoff of `step_id` goes to `to` instead of `from` (SPEC §10).
    HandoffRedirected {
        step_id: String,
        from: Party,
        to: Party,
        reason: String,
    },
    /// The case moved onto version `to_version` (SPEC §10, §13). Steps keep their ids unless
    /// `mapping` renames them; `dropped` (in id order) left with the old version; `added` (in
    /// the new version's order) arrived pending, each with its assignee in the new version at
    /// the same place of `assignees`. `handoff_ended`: the pending handoff's step has another
    /// handoff now, or none, so the handoff ends (a step awaiting it becomes active); one of the
    /// new version follows as `handoffRequested`. What the migration triggers follows too.
    CaseMigrated {
        from_version: u32,
        to_version: u32,
        mapping: BTreeMap<String, String>,
        dropped: Vec<String>,
        added: Vec<String>,
        assignees: Vec<Option<Party>>,
        handoff_ended: bool,
    },
    /// Nobody took the pending handoff of `step_id` in time: it goes to its escalation target
    /// `to` instead of `from` (SPEC §11), requested afresh and escalating no further.
    HandoffEscalated {
        step_id: String,
        from: Party,
        to: Party,
    },
    /// The step's `due_at` passed before it was done: by a tick, or as it was completed late.
    StepOverdue {
        step_id: String,
        due_at: String,
    },
    /// The step is due later (SPEC §13): at `to` instead of `from`.
    DeadlineExtended {
        step_id: String,
        from: String,
        to: String,
        reason: String,
    },
    CaseClosed,
}

impl Change {
    /// The step the change is about, if it is about one.
    pub fn step_id(&self) -> Option<&str> {
        match self {
            Change::StepTriggered { step_id, .. }
            | Change::StepSkipped { step_id, .. }
            | Change::HandoffRequested { step_id, .. }
            | Change::HandoffCompleted { step_id, .. }
            | Change::HandoffReverted { step_id, .. }
            | Change::StepCompleted { step_id }
            | Change::StepAssigned { step_id, .. }
            | Change::HandoffRedirected { step_id, .. }
            | Change::HandoffEscalated { step_id, .. }
            | Change::StepOverdue { step_id, .. }
            | Change::DeadlineExtended { step_id, .. } => Some(step_id),
            _ => None,
        }
    }
}

impl CaseState {
    /// Applies one event. Total: an event that names a step this case lacks changes nothing
    /// but the version.
    pub fn apply(&mut self, event: &Event) {
        self.version = self.version.saturating_add(1);
        match &event.change {
            Change::CaseStarted { case_id, workflow_id, workflow_version, owner, case_roles, facts, clients } => {
                self.clients.clone_from(clients);
                self.case_id.clone_from(case_id);
                self.workflow_id.clone_from(workflow_id);
                self.workflow_version = *workflow_version;
                self.owner.clone_from(owner);
                self.case_roles.clone_from(case_roles);
                self.facts.clone_from(facts);
            }
            Change::StepTriggered { step_id, due_at } => {
                if let Some(step) = self.steps.get_mut(step_id) {
                    step.status = StepStatus::Active;
                    step.due_at.clone_from(due_at);
                }
            }
            Change::HandoffRequested { step_id, to, required, escalates_at } => {
                if *required {
                    self.set_status(step_id, StepStatus::AwaitingHandoff);
                }
                self.request(step_id, to, *required, &event.at, escalates_at);
            }
            Change::HandoffCompleted { step_id, from, to, case_role, .. } => {
                let case_roles_before = self.case_roles.clone();
                if let Some(role) = case_role {
                    self.case_roles.insert(role.role_id.clone(), role.member_id.clone());
                }
                self.last_handoff = Some(LastHandoff {
                    step_id: step_id.clone(),
                    by: event.actor.member_id().unwrap_or_default().to_owned(),
                    from: from.clone(),
                    to: to.clone(),
                    case_roles_before,
                });
                self.owner.clone_from(to);
                self.pending_handoff = None;
                if self.status(step_id) == Some(StepStatus::AwaitingHandoff) {
                    self.set_status(step_id, StepStatus::Active);
                }
            }
            // Requested again afresh, escalating no further (as after a redirect).
            Change::HandoffReverted { step_id, to, case_roles, target, required, .. } => {
                self.owner.clone_from(to);
                self.case_roles.clone_from(case_roles);
                self.request(step_id, target, *required, &event.at, &None);
                if *required {
                    self.set_status(step_id, StepStatus::AwaitingHandoff);
                }
                self.last_handoff = None;
            }
            Change::OwnershipClaimed { to, case_role, .. } => {
                if let Some(role) = case_role {
                    self.case_roles.insert(role.role_id.clone(), role.member_id.clone());
                }
                self.owner.clone_from(to);
                self.last_handoff = None;
            }
            Change::StepCompleted { step_id } => self.finish(step_id, StepStatus::Completed),
            Change::StepSkipped { step_id, .. } => self.finish(step_id, StepStatus::Skipped),
            Change::StepAssigned { step_id, to, .. } => {
                if let Some(step) = self.steps.get_mut(step_id) {
                    step.assignee.clone_from(to);
                }
            }
            Change::OwnershipTransferred { to, .. } => {
                self.owner.clone_from(to);
                self.last_handoff = None;
            }
            Change::CaseRoleSet { role_id, member_id, .. } => {
                self.case_roles.insert(role_id.clone(), member_id.clone());
            }
            Change::ClientsSet { to, .. } => self.clients.clone_from(to),
            // A redirect and an escalation alike: requested afresh, escalating no further.
            Change::HandoffRedirected { step_id, to, .. } | Change::HandoffEscalated { step_id, to, .. } => {
                if let Some(pending) = self.pending_handoff.as_mut().filter(|p| p.step_id == *step_id) {
                    pending.to.clone_from(to);
                    pending.requested_at = event.at.to_string();
                    pending.escalates_at = None;
                }
                self.last_handoff = None;
            }
            Change::StepOverdue { step_id, .. } => {
                if let Some(step) = self.steps.get_mut(step_id) {
                    step.overdue = true;
                }
            }
            Change::DeadlineExtended { step_id, to, .. } => {
                if let Some(step) = self.steps.get_mut(step_id) {
                    // Overdue no longer when the new time is still ahead.
                    step.overdue &= !crate::time::is_after(to, &event.at);
                    step.due_at = Some(to.clone());
                }
            }
            Change::CaseMigrated { to_version, mapping, dropped, added, assignees, handoff_ended, .. } => {
                self.migrate(*to_version, mapping, dropped, added, assignees, *handoff_ended);
            }
            Change::CaseClosed => self.closed = true,
        }
    }

    /// `caseMigrated`: the steps renamed, dropped and added; nothing left to revert.
    fn migrate(
        &mut self,
        to_version: u32,
        mapping: &BTreeMap<String, String>,
        dropped: &[String],
        added: &[String],
        assignees: &[Option<Party>],
        handoff_ended: bool,
    ) {
        let renamed = |id: &String| mapping.get(id).unwrap_or(id).clone();
        self.workflow_version = to_version;
        // Rebuilt rather than edited in place (removing from a map would link its rebalancing),
        // by copies: a map taken apart would link its own iterator.
        for (id, step) in &std::mem::take(&mut self.steps) {
            if dropped.binary_search(id).is_ok() {
                continue;
            }
            let mut step = step.clone();
            // Only the pending handoff's step awaits one.
            if handoff_ended && step.status == StepStatus::AwaitingHandoff {
                step.status = StepStatus::Active;
            }
            self.steps.insert(renamed(id), step);
        }
        for (index, id) in added.iter().enumerate() {
            let assignee = assignees.get(index).cloned().flatten();
            self.steps.insert(id.clone(), StepState::pending(assignee));
        }
        match &mut self.pending_handoff {
            Some(_) if handoff_ended => self.pending_handoff = None,
            Some(pending) => pending.step_id = renamed(&pending.step_id),
            None => {}
        }
        self.last_handoff = None;
    }

    fn request(&mut self, step_id: &str, to: &Party, required: bool, at: &str, escalates_at: &Option<String>) {
        self.pending_handoff = Some(PendingHandoff {
            step_id: step_id.to_owned(),
            to: to.clone(),
            required,
            requested_at: at.to_owned(),
            escalates_at: escalates_at.clone(),
        });
    }

    fn set_status(&mut self, step_id: &str, status: StepStatus) {
        if let Some(step) = self.steps.get_mut(step_id) {
            step.status = status;
        }
    }

    /// Completing or skipping a step withdraws its handoff if still pending, and ends the
    /// window in which the last handoff could be reverted.
    fn finish(&mut self, step_id: &str, status: StepStatus) {
        self.set_status(step_id, status);
        if self.pending_handoff.as_ref().is_some_and(|p| p.step_id == step_id) {
            self.pending_handoff = None;
        }
        self.last_handoff = None;
    }
}
