//! Migrating a running case onto another version of its workflow (SPEC §10, §13): every reason
//! a migration cannot be made, the `caseMigrated` change when it can, and what follows it. The
//! problems found here are exactly what would keep the result from fitting the target version,
//! so an accepted migration needs no second check (the property tests hold it to that).

use std::collections::BTreeMap;

use super::decide::{reject, trigger, Recorder, Scene};
use super::event::Change;
use super::state::{CaseState, StepStatus};
use crate::compiled::CompiledWorkflow;
use crate::error::{ErrorCode, MigrationProblem, Result};
use crate::model::{Party, Step};

/// Checks a migration of `state` to `to_version` with `mapping`, for an admin.
pub(super) fn vet(
    scene: Scene,
    state: &CaseState,
    to_version: u64,
    mapping: &BTreeMap<String, String>,
) -> Result<Change> {
    let (current, name) = (scene.workflow, &scene.workflow.def.name);
    let Some(target) = scene.version(to_version) else {
        return Err(reject(ErrorCode::UnknownCaseWorkflow, format!("Workflow {name} has no such version.")));
    };
    let to_version = target.def.version;
    let mut problems = Vec::new();
    if to_version <= state.workflow_version {
        problems.push(whole("The case runs on that version or a later one: it can only move to a later one."));
    } else if !target.validation.ok {
        problems.push(whole("That version has errors, so no case can move to it; validate it to see them."));
    }
    let source = match problems.is_empty() {
        true => meet(current, target, state, mapping, &mut problems).0,
        false => Vec::new(),
    };
    if let Some(first) = problems.first() {
        let message =
            format!("Case {} cannot move to version {to_version} of {name}: {}", state.case_id, first.message);
        let mut error = reject(ErrorCode::MigrationInvalid, message);
        error.details.problems = Some(problems);
        return Err(error);
    }

    let mut kept = vec![false; current.def.steps.len()];
    for &old in source.iter().flatten() {
        if let Some(slot) = kept.get_mut(old) {
            *slot = true;
        }
    }
    // In id order, as the case's steps are: `apply` looks them up by halves.
    let dropped =
        state.steps.keys().filter(|id| find(current, id).is_some_and(|old| !kept.get(old).copied().unwrap_or(true)));
    let (mut added, mut assignees) = (Vec::new(), Vec::new());
    for (step, _) in target.def.steps.iter().zip(&source).filter(|(_, old)| old.is_none()) {
        added.push(step.id.to_string());
        assignees.push(step.assignee.clone().filter(|_| !step.client_facing));
    }
    // A pending handoff stays when its step's handoff is the same in both versions.
    let handoff_ended = state.pending_handoff.as_ref().is_some_and(|pending| {
        let new = mapping.get(&pending.step_id).unwrap_or(&pending.step_id);
        let (old, new) = (current.step(&pending.step_id), target.step(new));
        old.map(|(_, s)| handoff(s)) != new.map(|(_, s)| handoff(s))
    });
    Ok(Change::CaseMigrated {
        from_version: state.workflow_version,
        to_version,
        mapping: mapping.clone(),
        dropped: dropped.cloned().collect(),
        added,
        assignees,
        handoff_ended,
    })
}

/// How the case's steps meet those of `target`: for each of the target's steps (by position), the
/// case's step it comes from, and a step that comes after it (directly or not) and has started,
/// if there is one. Every problem that keeps them from meeting is pushed onto `problems`.
#[inline(never)]
fn meet(
    current: &CompiledWorkflow,
    target: &CompiledWorkflow,
    state: &CaseState,
    mapping: &BTreeMap<String, String>,
    problems: &mut Vec<MigrationProblem>,
) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    for old in mapping.keys().filter(|old| find(current, old).is_none()) {
        let message = format!("The mapping names \"{old}\", which is not a step of this case.");
        problems.push(MigrationProblem { step_id: Some(old.clone()), message });
    }
    let mut source: Vec<Option<usize>> = vec![None; target.def.steps.len()];
    for (old, step) in current.def.steps.iter().enumerate() {
        let (status, assignee) = step_state(state, &step.id);
        let renamed = mapping.get(step.id.as_ref());
        let new = find(target, renamed.map_or(step.id.as_ref(), String::as_str));
        let why = match new.map(|new| (target.def.steps.get(new), source.get_mut(new))) {
            Some((_, Some(Some(_)))) => "would become the same step as another: map one of them elsewhere.",
            Some((new_step, Some(slot))) => {
                *slot = Some(old);
                if assignee.is_none() || !new_step.is_some_and(|s| s.client_facing) {
                    continue;
                }
                "is assigned, but the client does it in that version: unassign it first."
            }
            _ if renamed.is_some() => "is mapped to a step that version lacks.",
            _ if status != StepStatus::Pending && !status.is_done() => {
                "is under way, and that version has no step for it: map it to one."
            }
            _ => continue,
        };
        problems.push(problem(step, why));
    }
    let started = |new: usize| {
        let old = source.get(new).copied().flatten().and_then(|old| current.def.steps.get(old));
        old.is_some_and(|step| step_state(state, &step.id).0 != StepStatus::Pending)
    };
    let mut later: Vec<Option<usize>> = vec![None; target.def.steps.len()];
    // Dependants first: each step's answer is known before those of the steps it comes after.
    for &step in target.graph.order.iter().rev() {
        let found = target.graph.succs_of(step).iter().find_map(|&next| {
            if started(next) {
                Some(next)
            } else {
                later.get(next).copied().flatten()
            }
        });
        if let Some(slot) = later.get_mut(step) {
            *slot = found;
        }
    }
    for (old, after) in source.iter().zip(&later) {
        let Some(step) = old.and_then(|old| current.def.steps.get(old)).filter(|_| after.is_some()) else { continue };
        if !step_state(state, &step.id).0.is_done() {
            problems.push(problem(step, "is not done, but in that version a step that comes after it has started."));
        }
    }
    (source, later)
}

/// A problem with the target version as a whole.
fn whole(message: &str) -> MigrationProblem {
    MigrationProblem { step_id: None, message: message.to_owned() }
}

/// A problem with one of the case's steps: `why` follows its name.
#[inline(never)]
fn problem(step: &Step, why: &str) -> MigrationProblem {
    MigrationProblem { step_id: Some(step.id.to_string()), message: format!("Step {} {why}", step.name) }
}

/// Records a vetted `caseMigrated` and what follows it: the target version's handoff requested
/// where it changed, the new steps that a started step comes after skipped, then triggering and
/// closing as after any command.
pub(super) fn record(recorder: &mut Recorder, scene: Scene, change: Change) {
    let Change::CaseMigrated { to_version, mapping, handoff_ended, .. } = &change else { return };
    let Some(target) = scene.version(u64::from(*to_version)) else { return recorder.emit(change) };
    let to_version = *to_version;
    let (source, later) = meet(scene.workflow, target, recorder.state, mapping, &mut Vec::new());
    let pending = recorder.state.pending_handoff.as_ref().filter(|_| *handoff_ended);
    let again = pending.and_then(|pending| target.step(mapping.get(&pending.step_id).unwrap_or(&pending.step_id)));
    recorder.emit(change);
    if let Some((_, step)) = again {
        recorder.request(step);
    }
    for ((step, old), after) in target.def.steps.iter().zip(&source).zip(&later) {
        if old.is_none() && after.is_some() {
            let reason = format!("added in version {to_version} after this point");
            recorder.emit(Change::StepSkipped { step_id: step.id.to_string(), reason: Some(reason) });
        }
    }
    trigger(recorder, target, &target.graph.order);
}

/// The position of step `id` in `workflow`. (Out of line: a migration looks up many steps.)
#[inline(never)]
fn find(workflow: &CompiledWorkflow, id: &str) -> Option<usize> {
    workflow.graph.position(&workflow.def.steps, id)
}

/// A case's step's status and assignee (pending and none for a step it lacks).
#[inline(never)]
fn step_state<'s>(state: &'s CaseState, id: &str) -> (StepStatus, Option<&'s Party>) {
    state.steps.get(id).map_or((StepStatus::Pending, None), |s| (s.status, s.assignee.as_ref()))
}

/// A step's handoff as cases see it: none on a client-facing step.
fn handoff<'a>(step: &'a Step) -> Option<(&'a Party, bool)> {
    step.handoff.as_ref().filter(|_| !step.client_facing).map(|h| (&h.to, h.required))
}
