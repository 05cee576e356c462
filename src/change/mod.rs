//! Changing the configuration while cases run (SPEC §9, §13): the `ConfigChange` an admin's
//! editor sends, and `check_config_change`, which builds the candidate configuration and says
//! whether the change may be applied: `validateConfig`'s blocking errors (`ConfigVerdict`), the
//! rules that need the current configuration and the open cases besides the candidate (one
//! function each, in `rules`), and the open cases' stuck work under the candidate.
//!
//! Pure, like the rest of the core: the server brings the current configuration, the open cases
//! and the ids removed by earlier changes from its database, and applies what is accepted.

mod rules;

use serde::Serialize;

use crate::case::CaseState;
use crate::input::{check_id, check_text, At, FromJson, IntoOwned, MAX_WORKFLOWS};
use crate::model::{Directory, EngineConfig, OwnerSettings, Party, WorkflowDefinition};
use crate::output::ToJson;
use crate::stuck::StuckWork;
use crate::validate::{ConfigDiagnostic, ConfigVerdict};
use crate::Engine;

/// SPEC §9 `ConfigChange`: what an admin's editor sends. Only the parts given change.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, IntoOwned, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
#[json(expected = "a configuration change")]
pub struct ConfigChange<'a> {
    /// The `configVersion` the editor started from.
    #[json(check = check_config_version)]
    pub base_config_version: u64,
    /// New workflow versions to add (published versions never change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[json(max = MAX_WORKFLOWS)]
    pub publish: Option<Vec<WorkflowDefinition<'a>>>,
    /// Replaces the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<Directory>,
    /// Replaces Workflow Owners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<OwnerSettings>,
    /// Validate and report only; nothing changes.
    #[serde(default)]
    pub dry_run: bool,
    /// Shown in the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[json(check = check_text)]
    pub reason: Option<String>,
    /// Idempotency: a retry with the same id gets the first answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[json(check = check_id)]
    pub change_id: Option<String>,
}

fn check_config_version(version: &u64, at: &At) -> crate::Result<()> {
    if *version > crate::case::MAX_VERSION {
        return Err(at.error("is above 2^53 - 1"));
    }
    Ok(())
}

/// SPEC §9 `ConfigChangeResult`: the answer to a change, applied or not.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct ConfigChangeResult {
    pub applied: bool,
    pub config_version: u64,
    /// Every finding, the blocking errors first, each as `validateConfig` gives it.
    pub diagnostics: Vec<ConfigDiagnostic>,
    /// The open cases' stuck work under the configuration after the change.
    pub stuck: Vec<StuckWork>,
}

/// What `check_config_change` finds.
#[derive(Debug)]
pub struct ConfigCheck {
    /// The candidate configuration, compiled: the one to apply when the change is accepted.
    pub candidate: Engine,
    /// Every finding, the blocking ones first (`blocking`, `reported`).
    pub diagnostics: Vec<ConfigDiagnostic>,
    /// How many of `diagnostics` block.
    blocking: usize,
    /// The open cases' stuck work under the candidate.
    pub stuck: Vec<StuckWork>,
}

impl ConfigCheck {
    /// Why the change is refused (`config-invalid`), if it is: the change rules' errors, then
    /// `validateConfig`'s errors of latest versions and firm-wide ones.
    pub fn blocking(&self) -> &[ConfigDiagnostic] {
        self.diagnostics.get(..self.blocking).unwrap_or_default()
    }

    /// What does not block: warnings and info of latest versions, and every finding of older
    /// versions with its own severity.
    pub fn reported(&self) -> &[ConfigDiagnostic] {
        self.diagnostics.get(self.blocking..).unwrap_or_default()
    }

    /// Whether the change may be applied: nothing blocks it.
    pub fn accepted(&self) -> bool {
        self.blocking == 0
    }

    /// The answer to give, and the candidate (to apply when the change is accepted).
    pub fn into_result(self, applied: bool, config_version: u64) -> (ConfigChangeResult, Engine) {
        let result = ConfigChangeResult { applied, config_version, diagnostics: self.diagnostics, stuck: self.stuck };
        (result, self.candidate)
    }
}

/// The members, roles and teams that an earlier version (`history`, every stored configuration)
/// had and `current` lacks: removed, so their ids are never given again (`id-retired`).
pub fn retired(history: &[EngineConfig], current: &EngineConfig) -> Vec<Party> {
    use std::collections::BTreeSet;
    fn ids(config: &EngineConfig) -> BTreeSet<(crate::model::PartyKind, String)> {
        use crate::model::PartyKind;
        let directory = &config.directory;
        let members = directory.members.iter().map(|m| (PartyKind::Member, m.id.to_string()));
        let roles = directory.roles.iter().map(|r| (PartyKind::Role, r.id.to_string()));
        let teams = directory.teams.iter().map(|t| (PartyKind::Team, t.id.to_string()));
        members.chain(roles).chain(teams).collect()
    }
    let now = ids(current);
    let mut retired = BTreeSet::new();
    for config in history {
        retired.extend(ids(config).difference(&now).cloned());
    }
    retired.into_iter().map(|(kind, id)| Party { kind, id }).collect()
}

/// Checks `change` against the configuration of `current` (SPEC §9): builds the candidate (the
/// current configuration with the directory and Workflow Owners replaced when given and the
/// published versions added), validates it, runs the change rules, and finds the stuck work of
/// `open_cases` under it. `retired` holds the members, roles and teams removed by earlier
/// changes, whose ids are never given again. Closed cases among `open_cases` are passed over.
pub fn check_config_change(
    current: &Engine,
    change: ConfigChange,
    open_cases: &[CaseState],
    retired: &[Party],
) -> ConfigCheck {
    check_config_change_from(current, current.config().clone(), change, open_cases, retired)
}

/// `check_config_change`, given a copy of `current`'s configuration that the candidate is built
/// from, moving the change's parts into it (the package reads its own copy from the text the
/// engine was made from, so that the module holds no code to copy a configuration).
pub fn check_config_change_from<'a>(
    current: &Engine,
    mut base: EngineConfig<'a>,
    change: ConfigChange<'a>,
    open_cases: &[CaseState],
    retired: &[Party],
) -> ConfigCheck {
    let published_from = base.workflows.len();
    let directory_given = change.directory.is_some();
    base.workflows.extend(change.publish.into_iter().flatten());
    if let Some(directory) = change.directory {
        base.directory = directory;
    }
    if let Some(owners) = change.owners {
        base.owners = owners;
    }
    let candidate = Engine::new(base);
    let ConfigVerdict { blocking: invalid, reported } = candidate.config_verdict();
    let subject =
        rules::Subject { current, candidate: &candidate, published_from, directory_given, open_cases, retired };
    let mut diagnostics = Vec::new();
    rules::run_all(&subject, &mut diagnostics);
    diagnostics.extend(invalid);
    let blocking = diagnostics.len();
    diagnostics.extend(reported);
    for finding in &mut diagnostics {
        in_publish(&mut finding.diagnostic.path, published_from);
    }
    ConfigCheck { stuck: candidate.find_stuck_work(open_cases), candidate, diagnostics, blocking }
}

/// A path into a published version, `workflows[k]…` of the candidate, as the editor wrote it:
/// `publish[k - published_from]…`. Paths into versions already there stay as they are.
fn in_publish(path: &mut String, published_from: usize) {
    let Some(rest) = path.strip_prefix("workflows[") else { return };
    // By hand: `str::parse` and `split_once` would link integer parsing and memchr for this.
    let mut k: usize = 0;
    let mut digits = 0;
    for byte in rest.bytes().take_while(u8::is_ascii_digit) {
        k = k.saturating_mul(10).saturating_add(usize::from(byte - b'0'));
        digits += 1;
    }
    let (Some(index), Some(tail)) = (k.checked_sub(published_from), rest.get(digits..)) else { return };
    let mut moved = String::with_capacity(path.len());
    moved.push_str("publish[");
    crate::digits::push(&mut moved, index);
    moved.push_str(tail);
    *path = moved;
}
