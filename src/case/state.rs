use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::input::{check_count, check_id, At, CheckInput, MAX_LIST, MAX_STEPS};
use crate::model::{check_fact_value, Facts, Party, WorkflowDefinition};
use crate::read::read_object;

/// SPEC §4 `CaseState`. Comes from outside on every call, so it is checked against its
/// workflow version before anything is decided (`fit`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct CaseState {
    pub case_id: String,
    pub workflow_id: String,
    pub workflow_version: u32,
    /// Who is responsible for the case. Changed only by handoffs, claims and transfers.
    pub owner: Party,
    /// The case's holder of each role (role id to member id).
    pub case_roles: BTreeMap<String, String>,
    pub facts: Facts,
    pub steps: BTreeMap<String, StepState>,
    pub pending_handoff: Option<PendingHandoff>,
    pub last_handoff: Option<LastHandoff>,
    pub closed: bool,
    /// The number of events applied so far; at most [`MAX_VERSION`].
    pub version: u64,
    /// The client ids of the people this case is for (SPEC §8); `[]` when absent.
    pub clients: Vec<String>,
}

read_object!(CaseState "a case state" { case_id: "caseId", workflow_id: "workflowId", workflow_version: "workflowVersion", owner: "owner", case_roles: "caseRoles", facts: "facts", steps: "steps", pending_handoff: "pendingHandoff" = None, last_handoff: "lastHandoff" = None, closed: "closed", version: "version", clients: "clients" = Vec::new() });

/// The highest `version` (and event `seq`) a case reaches: JS's largest exact integer, so that
/// every state survives a round trip through JavaScript numbers.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// At most this many clients on one case (joint filers are two).
pub const MAX_CLIENTS: usize = 16;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct StepState {
    pub status: StepStatus,
    /// Who does the step's work; `None` means the case owner. Not ownership.
    pub assignee: Option<Party>,
}

read_object!(StepState "a step state { status, assignee }" { status: "status", assignee: "assignee" = None });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Pending,
    AwaitingHandoff,
    Active,
    Completed,
    Skipped,
}

impl<'de> crate::read::FromJson<'de> for StepStatus {
    fn read(reader: &mut crate::json::Reader<'de>, at: &At) -> crate::Result<Self> {
        crate::read::variant(
            reader,
            at,
            &[
                ("pending", StepStatus::Pending),
                ("awaitingHandoff", StepStatus::AwaitingHandoff),
                ("active", StepStatus::Active),
                ("completed", StepStatus::Completed),
                ("skipped", StepStatus::Skipped),
            ],
        )
    }
}

impl StepStatus {
    /// Completed or skipped: dependants may trigger.
    pub fn is_done(self) -> bool {
        matches!(self, StepStatus::Completed | StepStatus::Skipped)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PendingHandoff {
    pub step_id: String,
    pub to: Party,
    pub required: bool,
}

read_object!(PendingHandoff "a pending handoff { stepId, to, required }" { step_id: "stepId", to: "to", required: "required" });

/// What a revert restores.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct LastHandoff {
    pub step_id: String,
    /// The member who completed the handoff.
    pub by: String,
    pub from: Party,
    pub to: Party,
    pub case_roles_before: BTreeMap<String, String>,
}

read_object!(LastHandoff "a last handoff { stepId, by, from, to, caseRolesBefore }" { step_id: "stepId", by: "by", from: "from", to: "to", case_roles_before: "caseRolesBefore" });

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
            state.steps.insert(step.id.to_string(), StepState { status: StepStatus::Pending, assignee });
        }
        state
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

impl CheckInput for CaseState {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        check_id(&self.case_id, &at.key("caseId"))?;
        check_id(&self.workflow_id, &at.key("workflowId"))?;
        check_party(&self.owner, &at.key("owner"))?;
        check_roles(&self.case_roles, &at.key("caseRoles"))?;
        check_facts(&self.facts, &at.key("facts"))?;
        check_clients(&self.clients, &at.key("clients"))?;
        if self.version > MAX_VERSION {
            return Err(at.key("version").error("is above 2^53 - 1"));
        }
        let steps = at.key("steps");
        check_count(self.steps.len(), MAX_STEPS, &steps)?;
        for (id, step) in &self.steps {
            check_id(id, &steps)?;
            if let Some(assignee) = &step.assignee {
                check_party(assignee, &steps.key(id).key("assignee"))?;
            }
        }
        if let Some(pending) = &self.pending_handoff {
            let here = at.key("pendingHandoff");
            check_id(&pending.step_id, &here.key("stepId"))?;
            check_party(&pending.to, &here.key("to"))?;
        }
        if let Some(last) = &self.last_handoff {
            let here = at.key("lastHandoff");
            check_id(&last.step_id, &here.key("stepId"))?;
            check_id(&last.by, &here.key("by"))?;
            check_party(&last.from, &here.key("from"))?;
            check_party(&last.to, &here.key("to"))?;
            check_roles(&last.case_roles_before, &here.key("caseRolesBefore"))?;
        }
        Ok(())
    }
}
