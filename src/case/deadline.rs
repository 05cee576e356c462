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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub enum DeadlineKind {
    /// The step's work is due.
    Due,
    /// The step's pending handoff escalates.
    Escalation,
}

/// Every deadline of `state` at `at`, sorted by time, then step id (a step's due time before
/// its escalation at the same instant): the due time of each step not yet done that has one
/// (overdue ones too), and the pending handoff's escalation if it has one.
pub fn deadlines(state: &CaseState, at: &str) -> Vec<Deadline> {
    let passed = |time: &str| has_passed(time, at);
    each(state)
        .into_iter()
        .map(|d| Deadline { step_id: d.1.to_owned(), kind: d.2, at: d.3.to_owned(), passed: passed(d.3) })
        .collect()
}

/// The earliest time at which a tick would do something to `state`, or `None`: the earliest
/// deadline not yet acted on (a step's due time is acted on once, when it becomes overdue; an
/// escalation's is gone once it escalates). `None` for a closed case, which is never ticked.
pub fn next_deadline(state: &CaseState) -> Option<String> {
    let first = each(state).into_iter().find(|d| !d.4)?;
    (!state.closed).then(|| first.3.to_owned())
}

/// A deadline as the state holds it: its instant, step, kind, time and whether it was acted on.
type Entry<'s> = (Instant, &'s str, DeadlineKind, &'s str, bool);

/// The deadlines of `state` in [`deadlines`]' order: one walk for the list, the next deadline
/// and the tick.
fn each(state: &CaseState) -> Vec<Entry<'_>> {
    let steps = state.steps.iter().filter(|(_, step)| !step.status.is_done());
    let due =
        steps.filter_map(|(id, step)| Some((id.as_str(), DeadlineKind::Due, step.due_at.as_deref()?, step.overdue)));
    let pending = state.pending_handoff.as_ref();
    let escalation =
        pending.and_then(|p| Some((p.step_id.as_str(), DeadlineKind::Escalation, p.escalates_at.as_deref()?, false)));
    let mut list: Vec<Entry> = Vec::new();
    for (step_id, kind, time, acted) in due.chain(escalation) {
        // A state's times are checked when it is read: one that is not a time sorts first.
        let instant = Instant::parse(time).unwrap_or(Instant { seconds: i64::MIN, nanos: 0 });
        // Put in its place as it comes (a case has few deadlines): a sort would link its own
        // copy of the sorting code into the module.
        let place =
            list.iter().position(|e| (e.0, e.1, e.2 as u8) > (instant, step_id, kind as u8)).unwrap_or(list.len());
        list.insert(place, (instant, step_id, kind, time, acted));
    }
    list
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
