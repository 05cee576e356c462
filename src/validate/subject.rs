//! What every rule looks at (`Subject`) and where rules put what they find (`Findings`).

use super::flow::OwnerFlow;
use crate::diagnostic::{Diagnostic, RuleCode, Severity};
use crate::graph::StepGraph;
use crate::model::{OwnerSettings, WorkflowDefinition};
use crate::roster::Roster;

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
    pub(super) fn into_sorted(self, steps: usize) -> Vec<Diagnostic> {
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
