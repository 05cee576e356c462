use std::collections::BTreeMap;

use serde::Serialize;

use super::{Directory, Party, WorkflowDefinition};
use crate::input::{check_text, FromJson, IntoOwned, MAX_WORKFLOWS};
use crate::output::ToJson;

/// "Workflow Owners": who owns a new case. Choosing the first owner is not a handoff.
#[derive(Clone, Debug, Default, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
#[json(expected = "Workflow Owners settings")]
pub struct OwnerSettings {
    /// The firm-wide default owner of new cases.
    #[serde(default, rename = "default", skip_serializing_if = "Option::is_none")]
    pub default_owner: Option<Party>,
    /// Per-workflow overrides, by workflow id.
    #[serde(default)]
    #[json(max = MAX_WORKFLOWS, keys = check_text)]
    pub workflows: BTreeMap<String, Party>,
}

crate::input::owned!(OwnerSettings);

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
#[derive(Clone, Debug, Default, PartialEq, Serialize, FromJson, IntoOwned, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct EngineConfig<'a> {
    pub directory: Directory,
    pub owners: OwnerSettings,
    #[json(max = MAX_WORKFLOWS)]
    pub workflows: Vec<WorkflowDefinition<'a>>,
}
