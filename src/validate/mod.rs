//! Validation of workflow edits (SPEC §3): one small function per rule code, each reporting
//! diagnostics with a path and a sentence that names steps and people; and the ownership
//! timeline, the preview of who owns the case at every step.
//!
//! Validation reports, it never throws: only a wrong JSON shape is an error, and that is
//! caught when the definition is read (`input`).

mod flow;
mod rules;
mod subject;

use crate::output::ToJson;
use serde::Serialize;

pub use crate::diagnostic::{Diagnostic, RuleCode, Severity};
use crate::graph::StepGraph;
use crate::model::{EngineConfig, OwnerSettings, WorkflowDefinition};
use crate::roster::Roster;
pub(crate) use flow::EntryRef;
pub(crate) use flow::OwnerFlow;
pub use flow::TimelineEntry;
pub(crate) use subject::{Findings, Scope, Subject};

#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Validation {
    pub ok: bool,
    pub diagnostics: Vec<Diagnostic>,
    pub timeline: Vec<TimelineEntry>,
}

/// A `validateConfig` finding: a diagnostic and the workflow it concerns (`None` for
/// firm-wide findings).
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct ConfigDiagnostic {
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
    pub workflow_id: Option<String>,
    pub workflow_version: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct ConfigValidation {
    pub ok: bool,
    pub diagnostics: Vec<ConfigDiagnostic>,
}

/// `validateConfig`'s findings split by whether they refuse a configuration (SPEC §7 as amended
/// by §9): what a server refuses to start on, and a change is refused for, and what is only
/// reported. The one rule for both, so that a configuration a change could reach always starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigVerdict {
    /// Errors in the latest version of a workflow, and firm-wide errors.
    pub blocking: Vec<ConfigDiagnostic>,
    /// Everything else: the warnings and info of the latest versions, and every finding of an
    /// older version, whatever its severity (older versions only keep their running cases).
    pub reported: Vec<ConfigDiagnostic>,
}

impl ConfigVerdict {
    /// Splits the findings of a configuration's `validate_config`; `is_latest(id, version)`
    /// says whether that is the highest version of workflow `id` there.
    pub fn of(validation: ConfigValidation, is_latest: impl Fn(&str, u32) -> bool) -> Self {
        let mut verdict = ConfigVerdict::default();
        for finding in validation.diagnostics {
            let of_latest = match (&finding.workflow_id, finding.workflow_version) {
                (Some(id), Some(version)) => is_latest(id, version),
                _ => true,
            };
            if of_latest && finding.diagnostic.severity == Severity::Error {
                verdict.blocking.push(finding);
            } else {
                verdict.reported.push(finding);
            }
        }
        verdict
    }
}

pub(crate) fn validate_workflow(
    def: &WorkflowDefinition,
    graph: &StepGraph,
    roster: &Roster,
    owners: &OwnerSettings,
    scope: Scope,
) -> Validation {
    let (diagnostics, flow) = findings_and_flow(def, graph, roster, owners, scope);
    Validation { ok: no_errors(diagnostics.iter()), diagnostics, timeline: flow.timeline(def, graph) }
}

/// SPEC §3: a result is ok when no diagnostic is an error.
pub(crate) fn no_errors<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> bool {
    diagnostics.into_iter().all(|d| d.severity != Severity::Error)
}

/// The diagnostics, in the order of the result, and the ownership flow the timeline is read from.
pub(crate) fn findings_and_flow(
    def: &WorkflowDefinition,
    graph: &StepGraph,
    roster: &Roster,
    owners: &OwnerSettings,
    scope: Scope,
) -> (Vec<Diagnostic>, OwnerFlow) {
    let initial_owner = owners.owner_for(&def.id).map(|(party, _)| party.clone());
    let flow = OwnerFlow::new(def, graph, initial_owner);
    let subject = Subject { def, graph, roster, owners, flow: &flow, scope };
    let mut findings = Findings::default();
    rules::run_all(&subject, &mut findings);
    (findings.into_sorted(def.steps.len()), flow)
}

pub(crate) fn validate_config(config: &EngineConfig, graphs: &[StepGraph], roster: &Roster) -> ConfigValidation {
    let mut diagnostics: Vec<ConfigDiagnostic> = rules::firm_wide(config, roster)
        .into_iter()
        .map(|diagnostic| ConfigDiagnostic { diagnostic, workflow_id: None, workflow_version: None })
        .collect();
    let mut seen = rustc_hash::FxHashSet::default();
    for (index, (def, graph)) in config.workflows.iter().zip(graphs).enumerate() {
        let tag = |diagnostic| ConfigDiagnostic {
            diagnostic,
            workflow_id: Some(def.id.to_string()),
            workflow_version: Some(def.version),
        };
        if !seen.insert((def.id.as_ref(), def.version)) {
            diagnostics.push(tag(Diagnostic {
                code: RuleCode::DuplicateWorkflow,
                severity: Severity::Error,
                message: format!("Workflow {} version {} is defined more than once.", def.name, def.version),
                step_id: None,
                path: format!("workflows[{index}]"),
            }));
        }
        let validation = validate_workflow(def, graph, roster, &config.owners, Scope::InConfig);
        diagnostics.extend(validation.diagnostics.into_iter().map(|mut diagnostic| {
            if !diagnostic.path.starts_with("owners.") {
                diagnostic.path = crate::input::path::join_path(&format!("workflows[{index}]"), &diagnostic.path);
            }
            tag(diagnostic)
        }));
    }
    ConfigValidation { ok: no_errors(diagnostics.iter().map(|d| &d.diagnostic)), diagnostics }
}
