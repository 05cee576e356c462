use std::collections::BTreeMap;

use serde::Serialize;

use super::{Directory, Party, WorkflowDefinition};
use crate::input::{check_count, check_text, At, CheckInput, MAX_WORKFLOWS};
use crate::read::read_object;

/// "Workflow Owners": who owns a new case. Choosing the first owner is not a handoff.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct OwnerSettings {
    /// The firm-wide default owner of new cases.
    #[serde(default, rename = "default", skip_serializing_if = "Option::is_none")]
    pub default_owner: Option<Party>,
    /// Per-workflow overrides, by workflow id.
    #[serde(default)]
    pub workflows: BTreeMap<String, Party>,
}

read_object!(OwnerSettings "Workflow Owners settings { default?, workflows? }" { default_owner: "default" = None, workflows: "workflows" = BTreeMap::new() });

impl OwnerSettings {
    /// The owner of a new case of `workflow_id`, and the path of the setting that chose it.
    pub fn owner_for(&self, workflow_id: &str) -> Option<(&Party, String)> {
        match self.workflows.get(workflow_id) {
            Some(party) => Some((party, format!("owners.workflows.{workflow_id}"))),
            None => self.default_owner.as_ref().map(|party| (party, "owners.default".to_owned())),
        }
    }
}

/// Everything an engine needs: SPEC §2 `EngineConfig`. Its workflows borrow from the text it
/// was read from; an engine keeps an owned copy.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct EngineConfig<'a> {
    pub directory: Directory,
    pub owners: OwnerSettings,
    pub workflows: Vec<WorkflowDefinition<'a>>,
}

impl EngineConfig<'_> {
    /// The same configuration, owning its strings.
    pub fn into_owned(self) -> EngineConfig<'static> {
        EngineConfig {
            directory: self.directory,
            owners: self.owners,
            workflows: self.workflows.into_iter().map(WorkflowDefinition::into_owned).collect(),
        }
    }
}

read_object!(EngineConfig<'a> "an engine config { directory, owners, workflows }" { directory: "directory", owners: "owners", workflows: "workflows" });

impl CheckInput for EngineConfig<'_> {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        self.directory.check_limits(&at.key("directory"))?;
        let owners = at.key("owners");
        if let Some(party) = &self.owners.default_owner {
            party.check_limits(&owners.key("default"))?;
        }
        let by_workflow = owners.key("workflows");
        check_count(self.owners.workflows.len(), MAX_WORKFLOWS, &by_workflow)?;
        for (id, party) in &self.owners.workflows {
            check_text(id, &by_workflow)?;
            party.check_limits(&by_workflow.key(id))?;
        }
        let workflows = at.key("workflows");
        check_count(self.workflows.len(), MAX_WORKFLOWS, &workflows)?;
        for (index, workflow) in self.workflows.iter().enumerate() {
            workflow.check_limits(&workflows.index(index))?;
        }
        Ok(())
    }
}
