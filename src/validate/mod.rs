//! Validation of workflow edits (SPEC §3): one small function per rule code, each reporting
//! diagnostics with a path and a sentence that names steps and people; and the ownership
//! timeline, the preview of who owns the case at every step.
//!
//! Validation reports, it never throws: only a wrong JSON shape is an error, and that is
//! caught when the definition is read (`input`).

mod flow;
mod rules;

use serde::Serialize;

use crate::graph::StepGraph;
use crate::model::{EngineConfig, OwnerSettings, Party, WorkflowDefinition};
use crate::roster::Roster;

#[cfg(target_arch = "wasm32")]
pub(crate) use flow::EntryRef;
pub(crate) use flow::OwnerFlow;

/// The stable rule codes of SPEC §3, plus the extensions listed in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "kebab-case")]
pub enum RuleCode {
    EmptyWorkflow,
    InvalidId,
    DuplicateStepId,
    UnknownStep,
    DependencyCycle,
    UnknownParty,
    InactiveMember,
    UnstaffedTarget,
    HandoffOnClientStep,
    AssigneeOnClientStep,
    MissingDefaultOwner,
    ConcurrentHandoffs,
    InvalidCondition,
    RedundantHandoff,
    HandoffAtStart,
    AmbiguousOwner,
    AssigneeNotOwner,
    DuplicateWorkflow,
    /// Extension: two members, roles or teams share an id (`validateConfig`).
    DuplicatePartyId,
    /// Extension: Workflow Owners names a workflow that does not exist (`validateConfig`).
    UnknownWorkflow,
}

impl RuleCode {
    /// Every code, in declaration order (the package's packed validation result names codes by
    /// their place here; one left out would only make its results cross as JSON).
    pub const ALL: [RuleCode; 20] = [
        RuleCode::EmptyWorkflow,
        RuleCode::InvalidId,
        RuleCode::DuplicateStepId,
        RuleCode::UnknownStep,
        RuleCode::DependencyCycle,
        RuleCode::UnknownParty,
        RuleCode::InactiveMember,
        RuleCode::UnstaffedTarget,
        RuleCode::HandoffOnClientStep,
        RuleCode::AssigneeOnClientStep,
        RuleCode::MissingDefaultOwner,
        RuleCode::ConcurrentHandoffs,
        RuleCode::InvalidCondition,
        RuleCode::RedundantHandoff,
        RuleCode::HandoffAtStart,
        RuleCode::AmbiguousOwner,
        RuleCode::AssigneeNotOwner,
        RuleCode::DuplicateWorkflow,
        RuleCode::DuplicatePartyId,
        RuleCode::UnknownWorkflow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::EmptyWorkflow => "empty-workflow",
            RuleCode::InvalidId => "invalid-id",
            RuleCode::DuplicateStepId => "duplicate-step-id",
            RuleCode::UnknownStep => "unknown-step",
            RuleCode::DependencyCycle => "dependency-cycle",
            RuleCode::UnknownParty => "unknown-party",
            RuleCode::InactiveMember => "inactive-member",
            RuleCode::UnstaffedTarget => "unstaffed-target",
            RuleCode::HandoffOnClientStep => "handoff-on-client-step",
            RuleCode::AssigneeOnClientStep => "assignee-on-client-step",
            RuleCode::MissingDefaultOwner => "missing-default-owner",
            RuleCode::ConcurrentHandoffs => "concurrent-handoffs",
            RuleCode::InvalidCondition => "invalid-condition",
            RuleCode::RedundantHandoff => "redundant-handoff",
            RuleCode::HandoffAtStart => "handoff-at-start",
            RuleCode::AmbiguousOwner => "ambiguous-owner",
            RuleCode::AssigneeNotOwner => "assignee-not-owner",
            RuleCode::DuplicateWorkflow => "duplicate-workflow",
            RuleCode::DuplicatePartyId => "duplicate-party-id",
            RuleCode::UnknownWorkflow => "unknown-workflow",
        }
    }

    /// The severity a finding of this rule has, unless the rule says otherwise.
    pub fn severity(self) -> Severity {
        match self {
            RuleCode::RedundantHandoff | RuleCode::HandoffAtStart | RuleCode::UnknownWorkflow => Severity::Warning,
            RuleCode::AmbiguousOwner | RuleCode::AssigneeNotOwner => Severity::Info,
            _ => Severity::Error,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub code: RuleCode,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    pub path: String,
}

/// Who owns the case while a step's work is done.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub step_id: String,
    /// `None` when it depends on conditions or on whether an optional handoff is taken.
    pub owner: Option<Party>,
    pub possible_owners: Vec<Party>,
    pub handoff: bool,
    pub client_facing: bool,
    /// Who does the work: the assignee, else the owner; `None` on client-facing steps.
    pub worker: Option<Party>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Validation {
    pub ok: bool,
    pub diagnostics: Vec<Diagnostic>,
    pub timeline: Vec<TimelineEntry>,
}

/// A `validateConfig` finding: a diagnostic and the workflow it concerns (`None` for
/// firm-wide findings).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct ConfigDiagnostic {
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
    pub workflow_id: Option<String>,
    pub workflow_version: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct ConfigValidation {
    pub ok: bool,
    pub diagnostics: Vec<ConfigDiagnostic>,
}

/// Whether the Workflow Owners default is checked with the workflow (a lone `validateWorkflow`)
/// or once, firm-wide (`validateConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Alone,
    InConfig,
}

/// What every rule looks at.
pub(crate) struct Subject<'a> {
    pub def: &'a WorkflowDefinition<'a>,
    pub graph: &'a StepGraph,
    pub roster: &'a Roster,
    pub owners: &'a OwnerSettings,
    pub flow: &'a OwnerFlow,
    pub scope: Scope,
}

impl Subject<'_> {
    /// A step's name for a sentence.
    pub fn step_name(&self, step: usize) -> &str {
        self.def.steps.get(step).map_or("?", |s| s.name.as_ref())
    }
}

/// Diagnostics as the rules find them, kept with the position of their step so that the
/// result reads in the order of the workflow.
#[derive(Default)]
pub(crate) struct Findings {
    found: Vec<(Option<usize>, Diagnostic)>,
}

impl Findings {
    pub fn add(&mut self, code: RuleCode, subject: &Subject, step: Option<usize>, path: String, message: String) {
        self.add_with(code, code.severity(), subject, step, path, message);
    }

    pub fn add_with(
        &mut self,
        code: RuleCode,
        severity: Severity,
        subject: &Subject,
        step: Option<usize>,
        path: String,
        message: String,
    ) {
        let step_id = step.and_then(|s| subject.def.steps.get(s)).map(|s| s.id.to_string());
        self.found.push((step, Diagnostic { code, severity, message, step_id, path }));
    }

    /// Workflow-level findings first, then by step position; within a step, in rule order.
    /// A counting sort on the step, stable, in three allocations (a large workflow has a
    /// finding at most steps).
    fn into_sorted(self, steps: usize) -> Vec<Diagnostic> {
        let bucket = |step: Option<usize>| step.map_or(0, |s| s + 1).min(steps);
        let mut starts = vec![0usize; steps + 2];
        for (step, _) in &self.found {
            if let Some(count) = starts.get_mut(bucket(*step) + 1) {
                *count += 1;
            }
        }
        for i in 1..starts.len() {
            let before = starts.get(i - 1).copied().unwrap_or(0);
            if let Some(start) = starts.get_mut(i) {
                *start += before;
            }
        }
        let mut slots: Vec<Option<Diagnostic>> = Vec::new();
        slots.resize_with(self.found.len(), || None);
        for (step, diagnostic) in self.found {
            if let Some(next) = starts.get_mut(bucket(step)) {
                if let Some(slot) = slots.get_mut(*next) {
                    *slot = Some(diagnostic);
                }
                *next += 1;
            }
        }
        slots.into_iter().flatten().collect()
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
                diagnostic.path = crate::input::join_path(&format!("workflows[{index}]"), &diagnostic.path);
            }
            tag(diagnostic)
        }));
    }
    ConfigValidation { ok: no_errors(diagnostics.iter().map(|d| &d.diagnostic)), diagnostics }
}
