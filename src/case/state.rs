use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::input::{check_count, check_id, check_text, CheckInput, MAX_LIST, MAX_STEPS};
use crate::model::{FactValue, Facts, Party, WorkflowDefinition};

/// SPEC §4 `CaseState`. Comes from outside on every call, so it is checked against its
/// workflow version before anything is decided (`fit`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    /// The number of events applied so far.
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepState {
    pub status: StepStatus,
    /// Who does the step's work; `None` means the case owner. Not ownership.
    pub assignee: Option<Party>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Pending,
    AwaitingHandoff,
    Active,
    Completed,
    Skipped,
}

impl StepStatus {
    /// Completed or skipped: dependants may trigger.
    pub fn is_done(self) -> bool {
        matches!(self, StepStatus::Completed | StepStatus::Skipped)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PendingHandoff {
    pub step_id: String,
    pub to: Party,
    pub required: bool,
}

/// What a revert restores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LastHandoff {
    pub step_id: String,
    /// The member who completed the handoff.
    pub by: String,
    pub from: Party,
    pub to: Party,
    pub case_roles_before: BTreeMap<String, String>,
}

impl CaseState {
    /// A case of `def` before its `caseStarted` event: every step pending with its default
    /// assignee. `owner` is set by `caseStarted`.
    pub fn blank(case_id: &str, def: &WorkflowDefinition, owner: Party) -> Self {
        CaseState {
            case_id: case_id.to_owned(),
            workflow_id: def.id.clone(),
            workflow_version: def.version,
            owner,
            case_roles: BTreeMap::new(),
            facts: Facts::new(),
            steps: def
                .steps
                .iter()
                .map(|step| {
                    let assignee = if step.client_facing { None } else { step.assignee.clone() };
                    (step.id.clone(), StepState { status: StepStatus::Pending, assignee })
                })
                .collect(),
            pending_handoff: None,
            last_handoff: None,
            closed: false,
            version: 0,
        }
    }

    pub fn status(&self, step_id: &str) -> Option<StepStatus> {
        self.steps.get(step_id).map(|s| s.status)
    }
}

pub(crate) fn check_party(party: &Party, path: &str) -> crate::Result<()> {
    check_id(&party.id, &format!("{path}.id"))
}

pub(crate) fn check_roles(roles: &BTreeMap<String, String>, path: &str) -> crate::Result<()> {
    check_count(roles.len(), MAX_LIST, path)?;
    for (role, member) in roles {
        check_id(role, path)?;
        check_id(member, &format!("{path}.{role}"))?;
    }
    Ok(())
}

pub(crate) fn check_facts(facts: &Facts, path: &str) -> crate::Result<()> {
    check_count(facts.len(), MAX_LIST, path)?;
    for (name, value) in facts {
        check_id(name, path)?;
        if let FactValue::Text(text) = value {
            check_text(text, &format!("{path}.{name}"))?;
        }
    }
    Ok(())
}

impl CheckInput for CaseState {
    fn check_limits(&self, _path: &str) -> crate::Result<()> {
        check_id(&self.case_id, "caseId")?;
        check_id(&self.workflow_id, "workflowId")?;
        check_party(&self.owner, "owner")?;
        check_roles(&self.case_roles, "caseRoles")?;
        check_facts(&self.facts, "facts")?;
        check_count(self.steps.len(), MAX_STEPS, "steps")?;
        for (id, step) in &self.steps {
            check_id(id, "steps")?;
            if let Some(assignee) = &step.assignee {
                check_party(assignee, &format!("steps.{id}.assignee"))?;
            }
        }
        if let Some(pending) = &self.pending_handoff {
            check_id(&pending.step_id, "pendingHandoff.stepId")?;
            check_party(&pending.to, "pendingHandoff.to")?;
        }
        if let Some(last) = &self.last_handoff {
            check_id(&last.step_id, "lastHandoff.stepId")?;
            check_id(&last.by, "lastHandoff.by")?;
            check_party(&last.from, "lastHandoff.from")?;
            check_party(&last.to, "lastHandoff.to")?;
            check_roles(&last.case_roles_before, "lastHandoff.caseRolesBefore")?;
        }
        Ok(())
    }
}
