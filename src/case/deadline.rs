//! Deadlines (SPEC §11): when a case's steps are due and its pending handoff escalates, what a
//! tick does when they pass, and late completion. Time comes only from the caller: what is due
//! is decided from the state and a given instant, so the browser and the server agree.

use serde::Serialize;

use super::decide::{Recorder, Scene};
use super::event::Change;
use super::state::CaseState;
use crate::output::ToJson;
use crate::time::{has_passed, Instant};

/// One deadline of a case, for the UI (`engine.deadlines`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    pub step_id: String,
    pub kind: DeadlineKind,
    /// When it falls due: the step's `dueAt`, or the pending handoff's `escalatesAt`.
    pub at: String,
    /// It has passed at the time asked about (one at exactly that time has).
    pub passed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub enum DeadlineKind {
    /// The step's work is due.
    Due,
    /// The step's pending handoff escalates.
    Escalation,
}

/// Every deadline of `state` at `at`, sorted by time, then step id (a step's due time before
/// its escalation): the due time of each step not yet done that has one (overdue ones too), and
/// the pending handoff's escalation if it has one.
pub fn deadlines(state: &CaseState, at: &str) -> Vec<Deadline> {
    let mut list: Vec<(Instant, Deadline)> = Vec::new();
    let mut push = |step_id: &str, kind, time: &str| {
        // A state's times are checked when it is read: one that is not a time sorts first.
        let instant = Instant::parse(time).unwrap_or(Instant { seconds: i64::MIN, nanos: 0 });
        let passed = has_passed(time, at);
        // Put in its place as it comes (a case has few deadlines): a sort would link its own
        // copy of the sorting code into the module.
        let key = (instant, step_id, kind);
        let place = list.iter().position(|(i, d)| (*i, d.step_id.as_str(), d.kind) > key).unwrap_or(list.len());
        list.insert(place, (instant, Deadline { step_id: step_id.to_owned(), kind, at: time.to_owned(), passed }));
    };
    for (step_id, step) in &state.steps {
        if let Some(due_at) = step.due_at.as_ref().filter(|_| !step.status.is_done()) {
            push(step_id, DeadlineKind::Due, due_at);
        }
    }
    if let Some(pending) = &state.pending_handoff {
        if let Some(escalates_at) = &pending.escalates_at {
            push(&pending.step_id, DeadlineKind::Escalation, escalates_at);
        }
    }
    list.into_iter().map(|(_, deadline)| deadline).collect()
}

/// The earliest time at which a tick would do something to `state`, or `None`: the earliest
/// `dueAt` of a step not yet done nor overdue, or the pending handoff's `escalatesAt`. `None`
/// for a closed case, which is never ticked.
pub fn next_deadline(state: &CaseState) -> Option<String> {
    if state.closed {
        return None;
    }
    let steps = state.steps.values().filter(|step| !step.status.is_done() && !step.overdue);
    let escalation = state.pending_handoff.as_ref().and_then(|pending| pending.escalates_at.as_ref());
    steps
        .filter_map(|step| step.due_at.as_ref())
        .chain(escalation)
        .filter_map(|time| Some((Instant::parse(time)?, time)))
        .min_by_key(|(instant, _)| *instant)
        .map(|(_, time)| time.clone())
}

/// A tick at the recorder's time: every deadline passed and not yet acted on, in the order of
/// [`deadlines`]; nothing when nothing is due.
pub(super) fn tick(recorder: &mut Recorder, scene: Scene) {
    for deadline in deadlines(recorder.state, &recorder.ctx.at) {
        if !deadline.passed {
            break;
        }
        let step_id = deadline.step_id;
        match deadline.kind {
            DeadlineKind::Due => {
                if recorder.state.steps.get(&step_id).is_some_and(|step| !step.overdue) {
                    recorder.emit(Change::StepOverdue { step_id, due_at: deadline.at });
                }
            }
            DeadlineKind::Escalation => {
                let step = scene.workflow.step(&step_id).map(|(_, step)| step);
                let target = step.and_then(|step| step.handoff.as_ref()?.escalate.as_ref());
                let pending = recorder.state.pending_handoff.as_ref();
                // A state that fits its workflow has an escalation target wherever it escalates.
                if let (Some(target), Some(pending)) = (target, pending) {
                    let from = pending.to.clone();
                    recorder.emit(Change::HandoffEscalated { step_id, from, to: target.to.clone() });
                }
            }
        }
    }
}

/// Before `stepCompleted`: `stepOverdue` if the step's `dueAt` has passed and no tick said so.
pub(super) fn late(recorder: &mut Recorder, step_id: &str) {
    let step = recorder.state.steps.get(step_id).filter(|step| !step.overdue);
    if let Some(due_at) = step.and_then(|step| step.due_at.clone()) {
        if has_passed(&due_at, &recorder.ctx.at) {
            recorder.emit(Change::StepOverdue { step_id: step_id.to_owned(), due_at });
        }
    }
}
