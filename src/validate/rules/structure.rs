//! Rules about the shape of the step list: empty, ids, duplicates, `after` links, cycles.

use super::{list_names, step_path};
use crate::diagnostic::RuleCode;
use crate::input::id_problem;
use crate::validate::subject::{Findings, Subject};

/// `empty-workflow`: a workflow with no steps.
pub fn empty_workflow(s: &Subject, out: &mut Findings) {
    if s.def.steps.is_empty() {
        let message = format!("Workflow {} has no steps: add at least one.", s.def.name);
        out.add(RuleCode::EmptyWorkflow, s, None, "steps".into(), message);
    }
}

/// `invalid-id`: the workflow's or a step's id is empty, too long or has control characters.
pub fn invalid_ids(s: &Subject, out: &mut Findings) {
    if let Some(problem) = id_problem(&s.def.id) {
        let message = format!("The id of workflow {} {problem}.", s.def.name);
        out.add(RuleCode::InvalidId, s, None, "id".into(), message);
    }
    for (index, step) in s.def.steps.iter().enumerate() {
        if let Some(problem) = id_problem(&step.id) {
            let message = format!("The id of step {} {problem}.", step.name);
            out.add(RuleCode::InvalidId, s, Some(index), step_path(index, ".id"), message);
        }
    }
}

/// `duplicate-step-id`: reported on every step after the first that uses an id.
pub fn duplicate_step_ids(s: &Subject, out: &mut Findings) {
    // The graph maps each id to its first step.
    for (index, step) in s.def.steps.iter().enumerate() {
        if let Some(earlier) = s.graph.position(&s.def.steps, &step.id).filter(|&first| first != index) {
            let message = format!(
                "Steps {} and {} share the id \"{}\"; every step needs its own.",
                s.step_name(earlier),
                step.name,
                step.id
            );
            out.add(RuleCode::DuplicateStepId, s, Some(index), step_path(index, ".id"), message);
        }
    }
}

/// `unknown-step`: an `after` entry names no step.
pub fn unknown_steps(s: &Subject, out: &mut Findings) {
    for unknown in &s.graph.unknown {
        let message =
            format!("Step {} comes after \"{}\", but no step has that id.", s.step_name(unknown.step), unknown.id);
        let path = format!("steps[{}].after[{}]", unknown.step, unknown.position);
        out.add(RuleCode::UnknownStep, s, Some(unknown.step), path, message);
    }
}

/// `dependency-cycle`: steps that wait on each other, reported once per cycle on its first step.
pub fn dependency_cycles(s: &Subject, out: &mut Findings) {
    for cycle in &s.graph.cycles {
        let Some(&first) = cycle.first() else { continue };
        let names: Vec<&str> = cycle.iter().map(|&step| s.step_name(step)).collect();
        let message = if let [only] = names.as_slice() {
            format!("Step {only} comes after itself, so it can never start.")
        } else {
            format!(
                "Steps {} wait on each other in a cycle, so none of them can ever start.",
                list_names(&names, "and")
            )
        };
        out.add(RuleCode::DependencyCycle, s, Some(first), step_path(first, ".after"), message);
    }
}
