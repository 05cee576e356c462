//! What the server does with one mutation: is it a duplicate, the next one, or after a gap; and
//! what does it decide, as the authenticated actor (never one named by the client).

use super::wire::{Mutation, MutationBody};
use crate::case::{Actor, CaseState, Ctx};
use crate::error::{ErrorCode, HandoffError, Result};
use crate::time::Instant;
use crate::{Engine, Outcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Already handled (`id <= lastMutationId`): skip it.
    Duplicate,
    /// Exactly `lastMutationId + 1`: handle it.
    Next,
    /// A mutation before it is missing: stop the batch (409 `mutation-gap`).
    Gap,
}

pub fn arrival(last_mutation_id: u64, id: u64) -> Arrival {
    if id <= last_mutation_id {
        Arrival::Duplicate
    } else if id == last_mutation_id.saturating_add(1) {
        Arrival::Next
    } else {
        Arrival::Gap
    }
}

/// Decides `mutation` as `actor` against the current state of its case (`None` when the server
/// has no such case yet), at the time the mutation says: what the client predicts.
pub fn decide_mutation(
    engine: &Engine,
    mutation: &Mutation,
    current: Option<&CaseState>,
    actor: &Actor,
) -> Result<Outcome> {
    let ctx = Ctx { actor: actor.clone(), at: mutation.at.as_str().into() };
    match (&mutation.body, current) {
        (MutationBody::StartCase(input), _) if input.case_id != mutation.case_id => {
            Err(HandoffError::invalid_input("input.caseId", "A startCase mutation's input.caseId must be its caseId."))
        }
        (MutationBody::StartCase(_), Some(_)) => {
            Err(HandoffError::new(ErrorCode::CaseExists, format!("Case {} already exists.", mutation.case_id)))
        }
        (MutationBody::StartCase(input), None) => engine.start_case(input, &ctx),
        (MutationBody::Command(command), Some(state)) => engine.execute(state, command, &ctx),
        (MutationBody::Command(_), None) => {
            Err(HandoffError::new(ErrorCode::UnknownCase, format!("There is no case {}.", mutation.case_id)))
        }
    }
}

/// What the server decides: `mutation` at `at`, the server's time (see [`decision_time`]),
/// never the client's. (A copy of the mutation with that time: `decide_mutation` stays the one
/// decision, and the module, which links only that, keeps it inlined where the replica calls it.)
pub fn decide_mutation_at(
    engine: &Engine,
    mutation: &Mutation,
    current: Option<&CaseState>,
    actor: &Actor,
    at: &str,
) -> Result<Outcome> {
    // A client learns nothing about which cases exist: a case that is not theirs, one that does
    // not exist and one they try to start all get the same answer.
    let shut_out = match (&mutation.body, current) {
        (MutationBody::StartCase(_), _) | (MutationBody::Command(_), None) => actor.client_id().is_some(),
        (MutationBody::Command(_), Some(state)) => state.shuts_out(actor),
    };
    if shut_out {
        return Err(crate::case::shut_out());
    }
    let at_server = Mutation { at: at.to_owned(), ..mutation.clone() };
    decide_mutation(engine, &at_server, current, actor)
}

/// The time the server decides a mutation at: its clock, or the case's last event time when the
/// clock is behind it, so that a case's times never run backwards (SPEC §13).
pub fn decision_time(now: Instant, case_last: Option<Instant>) -> Instant {
    case_last.map_or(now, |last| last.max(now))
}
