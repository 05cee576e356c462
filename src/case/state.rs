use std::collections::BTreeMap;

use serde::Serialize;

use crate::input::{check_count, check_id, check_text, check_timestamp, At, FromJson, MAX_LIST, MAX_STEPS};
use crate::model::{check_fact_value, Facts, Party, PartyKind, WorkflowDefinition};
use crate::output::ToJson;

/// SPEC §4 `CaseState`. Comes from outside on every call, so it is checked against its
/// workflow version before anything is decided (`fit`). Its ids are checked strictly.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct CaseState {
    #[json(check = check_id)]
    pub case_id: String,
    #[json(check = check_id)]
    pub workflow_id: String,
    pub workflow_version: u32,
    /// Who is responsible for the case. Changed only by handoffs, claims and transfers.
    #[json(check = check_party)]
    pub owner: Party,
    /// The case's holder of each role (role id to member id).
    #[json(check = check_roles)]
    pub case_roles: BTreeMap<String, String>,
    #[json(check = check_facts)]
    pub facts: Facts,
    #[json(max = MAX_STEPS, keys = check_id)]
    pub steps: BTreeMap<String, StepState>,
    #[json(default)]
    pub pending_handoff: Option<PendingHandoff>,
    #[json(default)]
    pub last_handoff: Option<LastHandoff>,
    pub closed: bool,
    /// The number of events applied so far; at most [`MAX_VERSION`].
    #[json(check = check_version)]
    pub version: u64,
    /// The client ids of the people this case is for (SPEC §8); `[]` when absent.
    #[json(default, check = check_clients)]
    pub clients: Vec<String>,
}

/// The highest `version` (and event `seq`) a case reaches: JS's largest exact integer, so that
/// every state survives a round trip through JavaScript numbers.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// At most this many clients on one case (joint filers are two).
pub const MAX_CLIENTS: usize = 16;

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct StepState {
    pub status: StepStatus,
    /// Who does the step's work; `None` means the case owner. Not ownership.
    #[json(default, check = check_party)]
    pub assignee: Option<Party>,
    /// When the step's work is due: its trigger time plus the step's `due` (SPEC §11), kept
    /// after it is done; `None` for a step without one or not yet triggered.
    #[json(default, check = check_timestamp)]
    pub due_at: Option<String>,
    /// The step's `dueAt` passed before it was done (a tick, or its late completion, said so).
    #[json(default)]
    pub overdue: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Pending,
    AwaitingHandoff,
    Active,
    Completed,
    Skipped,
}

impl StepState {
    /// A step not yet triggered, with its assignee.
    pub fn pending(assignee: Option<Party>) -> Self {
        StepState { status: StepStatus::Pending, assignee, due_at: None, overdue: false }
    }
}

impl StepStatus {
    /// Completed or skipped: dependants may trigger.
    pub fn is_done(self) -> bool {
        matches!(self, StepStatus::Completed | StepStatus::Skipped)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PendingHandoff {
    #[json(check = check_id)]
    pub step_id: String,
    #[json(check = check_party)]
    pub to: Party,
    pub required: bool,
    /// When it was requested of `to` (SPEC §11): the time of its `handoffRequested`, or of
    /// the escalation, redirect or revert that last gave it a target. A state stored before
    /// the second release has none: it reads as `""`, and its handoff never escalates. (Shown,
    /// never computed with: read as a text.)
    #[json(default, check = check_text)]
    pub requested_at: String,
    /// When it escalates, if its step's handoff escalates and it has not escalated yet.
    #[json(default, check = check_timestamp)]
    pub escalates_at: Option<String>,
}

/// What a revert restores.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct LastHandoff {
    #[json(check = check_id)]
    pub step_id: String,
    /// The member who completed the handoff.
    #[json(check = check_id)]
    pub by: String,
    #[json(check = check_party)]
    pub from: Party,
    #[json(check = check_party)]
    pub to: Party,
    #[json(check = check_roles)]
    pub case_roles_before: BTreeMap<String, String>,
}

impl CaseState {
    /// A case of `def` before its `caseStarted` event: every step pending with its default
    /// assignee. `owner` is set by `caseStarted`.
    pub fn blank(case_id: &str, def: &WorkflowDefinition, owner: Party) -> Self {
        let mut state = CaseState {
            case_id: case_id.to_owned(),
            workflow_id: def.id.to_string(),
            workflow_version: def.version,
            owner,
            case_roles: BTreeMap::new(),
            facts: Facts::default(),
            steps: BTreeMap::new(),
            pending_handoff: None,
            last_handoff: None,
            closed: false,
            version: 0,
            clients: Vec::new(),
        };
        for step in &def.steps {
            let assignee = if step.client_facing { None } else { step.assignee.clone() };
            state.steps.insert(step.id.to_string(), StepState::pending(assignee));
        }
        state
    }

    /// Every member, role and team the state names, each as its kind and id (one may come more
    /// than once): the owner, each case role and its holder, the steps' assignees, the pending
    /// handoff's target, and the last handoff's member, parties and case roles. What the fit
    /// check looks up in the directory, so a change that keeps all of them keeps the case fitting.
    pub fn each_party<'s>(&'s self, mut f: impl FnMut(PartyKind, &'s str)) {
        fn roles<'s>(roles: &'s BTreeMap<String, String>, f: &mut impl FnMut(PartyKind, &'s str)) {
            for (role, member) in roles {
                f(PartyKind::Role, role);
                f(PartyKind::Member, member);
            }
        }
        f(self.owner.kind, &self.owner.id);
        roles(&self.case_roles, &mut f);
        for assignee in self.steps.values().filter_map(|step| step.assignee.as_ref()) {
            f(assignee.kind, &assignee.id);
        }
        if let Some(pending) = &self.pending_handoff {
            f(pending.to.kind, &pending.to.id);
        }
        if let Some(last) = &self.last_handoff {
            f(PartyKind::Member, &last.by);
            f(last.from.kind, &last.from.id);
            f(last.to.kind, &last.to.id);
            roles(&last.case_roles_before, &mut f);
        }
    }

    pub fn status(&self, step_id: &str) -> Option<StepStatus> {
        self.steps.get(step_id).map(|s| s.status)
    }

    /// Whether `actor` is a client with an id that this case is not for: such a client may do
    /// nothing on it, and learns nothing about it (SPEC §8, §13): [`shut_out`] is its answer.
    pub fn shuts_out(&self, actor: &crate::case::Actor) -> bool {
        matches!(actor.client_id(), Some(Some(id)) if !self.clients.iter().any(|c| c == id))
    }
}

/// The one answer to a client about a case that is not theirs, or that does not exist: the
/// same words whatever else would apply, so that nothing about the case is learnt from it.
pub fn shut_out() -> crate::HandoffError {
    crate::HandoffError::new(crate::ErrorCode::NotPermitted, "This client may not act on this case.")
}

/// A case's clients: ids, at most [`MAX_CLIENTS`]. (One named twice is harmless: it is the
/// same client, and is kept as given.)
pub(crate) fn check_clients(clients: &[String], at: &At) -> crate::Result<()> {
    check_count(clients.len(), MAX_CLIENTS, at)?;
    for (index, id) in clients.iter().enumerate() {
        check_id(id, &at.index(index))?;
    }
    Ok(())
}

pub(crate) fn check_party(party: &Party, at: &At) -> crate::Result<()> {
    check_id(&party.id, &at.key("id"))
}

pub(crate) fn check_roles(roles: &BTreeMap<String, String>, at: &At) -> crate::Result<()> {
    check_count(roles.len(), MAX_LIST, at)?;
    for (role, member) in roles {
        check_id(role, at)?;
        check_id(member, &at.key(role))?;
    }
    Ok(())
}

pub(crate) fn check_facts(facts: &Facts, at: &At) -> crate::Result<()> {
    check_count(facts.len(), MAX_LIST, at)?;
    for (name, value) in facts.iter() {
        check_id(name, at)?;
        check_fact_value(value, &at.key(name))?;
    }
    Ok(())
}

fn check_version(version: &u64, at: &At) -> crate::Result<()> {
    if *version > MAX_VERSION {
        return Err(at.error("is above 2^53 - 1"));
    }
    Ok(())
}
