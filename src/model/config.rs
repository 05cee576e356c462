use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Directory, Party, WorkflowDefinition};
use crate::input::{check_count, join_path, CheckInput, MAX_WORKFLOWS};

/// "Workflow Owners": who owns a new case. Choosing the first owner is not a handoff.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerSettings {
    /// The firm-wide default owner of new cases.
    #[serde(default, rename = "default", skip_serializing_if = "Option::is_none")]
    pub default_owner: Option<Party>,
    /// Per-workflow overrides, by workflow id.
    #[serde(default)]
    pub workflows: BTreeMap<String, Party>,
}

impl OwnerSettings {
    /// The owner of a new case of `workflow_id`, and the path of the setting that chose it.
    pub fn owner_for(&self, workflow_id: &str) -> Option<(&Party, String)> {
        match self.workflows.get(workflow_id) {
            Some(party) => Some((party, format!("owners.workflows.{workflow_id}"))),
            None => self.default_owner.as_ref().map(|party| (party, "owners.default".to_owned())),
        }
    }
}

/// Everything an engine needs: SPEC §2 `EngineConfig`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngineConfig {
    pub directory: Directory,
    pub owners: OwnerSettings,
    pub workflows: Vec<WorkflowDefinition>,
}

impl CheckInput for EngineConfig {
    fn check_limits(&self, path: &str) -> crate::Result<()> {
        self.directory.check_limits(&join_path(path, "directory"))?;
        let owners = join_path(path, "owners");
        if let Some(party) = &self.owners.default_owner {
            party.check_limits(&join_path(&owners, "default"))?;
        }
        check_count(self.owners.workflows.len(), MAX_WORKFLOWS, &join_path(&owners, "workflows"))?;
        for (id, party) in &self.owners.workflows {
            crate::input::check_text(id, &join_path(&owners, "workflows"))?;
            party.check_limits(&format!("{owners}.workflows.{id}"))?;
        }
        let workflows = join_path(path, "workflows");
        check_count(self.workflows.len(), MAX_WORKFLOWS, &workflows)?;
        for (index, workflow) in self.workflows.iter().enumerate() {
            workflow.check_limits(&format!("{workflows}[{index}]"))?;
        }
        Ok(())
    }
}
