use serde::{Deserialize, Serialize};

use super::{Condition, Party};
use crate::error::HandoffError;
use crate::input::{check_count, check_text, join_path, CheckInput, MAX_STEPS};

/// One version of a workflow: its ordered steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkflowDefinition {
    pub id: String,
    pub name: String,
    /// An integer >= 1. Several versions of one id may coexist; new cases take the highest.
    pub version: u32,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub name: String,
    /// The client does this step: no handoff, no assignee, ownership unchanged.
    #[serde(default)]
    pub client_facing: bool,
    /// Who does the work; `None` means the case owner at that point. Never changes ownership.
    #[serde(default)]
    pub assignee: Option<Party>,
    /// `None` is "No Handoff"; otherwise ownership passes to `to` when the step triggers.
    #[serde(default)]
    pub handoff: Option<Handoff>,
    /// `None` means the previous step in `steps` (nothing for the first).
    #[serde(default)]
    pub after: Option<Vec<String>>,
    /// The step is skipped when this is false.
    #[serde(default)]
    pub when: Option<Condition>,
}

/// "Handoff the case to…": an ownership transfer that must be completed before the step proceeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Handoff {
    pub to: Party,
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

impl CheckInput for WorkflowDefinition {
    fn check_limits(&self, path: &str) -> crate::Result<()> {
        check_text(&self.id, &join_path(path, "id"))?;
        check_text(&self.name, &join_path(path, "name"))?;
        if self.version == 0 {
            return Err(HandoffError::invalid_input(
                join_path(path, "version"),
                "A workflow version is an integer of at least 1.",
            ));
        }
        let steps = join_path(path, "steps");
        check_count(self.steps.len(), MAX_STEPS, &steps)?;
        for (index, step) in self.steps.iter().enumerate() {
            step.check_limits(&format!("{steps}[{index}]"))?;
        }
        Ok(())
    }
}

impl Step {
    fn check_limits(&self, at: &str) -> crate::Result<()> {
        check_text(&self.id, &join_path(at, "id"))?;
        check_text(&self.name, &join_path(at, "name"))?;
        if let Some(assignee) = &self.assignee {
            assignee.check_limits(&join_path(at, "assignee"))?;
        }
        if let Some(handoff) = &self.handoff {
            handoff.to.check_limits(&join_path(at, "handoff.to"))?;
        }
        if let Some(after) = &self.after {
            let after_path = join_path(at, "after");
            check_count(after.len(), MAX_STEPS, &after_path)?;
            for (i, id) in after.iter().enumerate() {
                check_text(id, &format!("{after_path}[{i}]"))?;
            }
        }
        if let Some(when) = &self.when {
            when.check_limits(&join_path(at, "when"))?;
        }
        Ok(())
    }
}
