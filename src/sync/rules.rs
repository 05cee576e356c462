//! The server's side of the sync protocol (SPEC §6, §8, §13) as pure rules that a store calls
//! around its own I/O, so that every store (SQLite today, PostgreSQL next) applies the same ones:
//! what a request's envelope must be, who may sync, whose a client id is, whether a mutation is
//! a duplicate, the next one or after a gap, what a pull cookie means, which cases a pull shows,
//! and what the server decides for a mutation: as the authenticated actor (never one named by
//! the client), at its own time.
//!
//! A request refused whole is a [`Refusal`], with the sentence the client is told; the server
//! gives each its HTTP status and code in one place. Nothing here knows HTTP or storage.

use super::wire::{Mutation, MutationBody, MutationResult, MutationStatus, PullRequest, PushEnvelope, PushItem};
use super::wire::{MAX_MUTATIONS_PER_PUSH, MAX_PULL_LIMIT, SCHEMA_VERSION};
use crate::case::{Actor, CaseState, Change, Ctx};
use crate::error::{ErrorCode, HandoffError};
use crate::input::from_json;
use crate::time::Instant;
use crate::{Engine, Outcome};

/// Why the server answers a whole request with an error rather than with results, and what it
/// tells the client (the `Display`). The wire code of each is SPEC §6's, named below.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body is not a request of the protocol (`invalid-request`). A malformed mutation inside
    /// a good envelope is not this: it is that mutation's rejection.
    #[error("{message}")]
    Malformed { message: String },
    /// Another wire version, such as a first-release client's: it reloads rather than misreading
    /// a state (`unsupported-schema-version`).
    #[error("Schema version {version} is not supported; this server speaks {SCHEMA_VERSION}. Reload the app.")]
    SchemaVersion { version: u32 },
    /// More mutations than one push may carry (`too-large`).
    #[error("A push may carry at most {MAX_MUTATIONS_PER_PUSH} mutations.")]
    TooManyMutations,
    /// A member the directory lacks, or one who is deactivated (`not-permitted`).
    #[error("Member {id} is not an active member of this firm.")]
    InactiveMember { id: String },
    /// The client id was first used by another actor (`not-permitted`).
    #[error("This client id belongs to another user.")]
    NotYours,
    /// A gap from a client the server has no record of: whatever it knew of the client is gone,
    /// and the client starts over (`client-state-not-found`).
    #[error("This server has no record of client {client_id}; start over with a new client id.")]
    UnknownClient { client_id: String },
    /// A mutation before `id` is missing; `last` is the last one handled (`mutation-gap`).
    #[error("Mutation {id} arrived, but the last one handled was {last}.")]
    Gap { id: u64, last: u64 },
    /// A pull cookie this server did not give: the client starts over rather than failing for
    /// good (`client-state-not-found`).
    #[error("This server did not give that cookie; start over with a new client id.")]
    UnknownCookie,
}

impl Refusal {
    /// A body that does not read as the request it should be.
    fn malformed(error: HandoffError) -> Self {
        Refusal::Malformed { message: error.into_parts().message }
    }
}

/// The one wire version this server speaks (SPEC §13).
fn check_schema_version(version: u32) -> Result<(), Refusal> {
    if version == SCHEMA_VERSION {
        Ok(())
    } else {
        Err(Refusal::SchemaVersion { version })
    }
}

impl<'a> PushEnvelope<'a> {
    /// Reads a push's body, refused whole when the envelope is malformed, of another wire version
    /// or carries too many mutations (in that order). Its mutations stay text, each read once
    /// when it is decided ([`PushItem::read`]), so that a malformed one is only its own rejection.
    pub fn from_body(text: &'a str) -> Result<Self, Refusal> {
        let envelope = from_json::<PushEnvelope>(text).map_err(Refusal::malformed)?;
        check_schema_version(envelope.schema_version)?;
        if envelope.mutations.len() > MAX_MUTATIONS_PER_PUSH {
            return Err(Refusal::TooManyMutations);
        }
        Ok(envelope)
    }
}

impl PullRequest {
    /// Reads a pull's body, refused whole when it is malformed or of another wire version.
    pub fn from_body(text: &str) -> Result<Self, Refusal> {
        let request = from_json::<PullRequest>(text).map_err(Refusal::malformed)?;
        check_schema_version(request.schema_version)?;
        Ok(request)
    }
}

/// Who may use the server at all (SPEC §8): a member the directory lacks, or one who is
/// deactivated, is refused every request, reads included. A client or the system is who its
/// token says.
pub fn check_actor(engine: &Engine, actor: &Actor) -> Result<(), Refusal> {
    match actor.member_id() {
        Some(id) if engine.roster().active_member(id).is_none() => Err(Refusal::InactiveMember { id: id.to_owned() }),
        _ => Ok(()),
    }
}

/// What the server keeps of a client id: the actor that first used it, and its
/// `lastMutationId`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientRecord {
    pub owner: Actor,
    pub last_mutation_id: u64,
}

/// A client id belongs to the actor that first used it: anyone else is refused, whether they
/// push (even nothing) or pull. Answers the client's `lastMutationId`, or `None` when the server
/// has no record of the client.
pub fn claim_client(record: Option<ClientRecord>, actor: &Actor) -> Result<Option<u64>, Refusal> {
    match record {
        Some(record) if record.owner != *actor => Err(Refusal::NotYours),
        Some(record) => Ok(Some(record.last_mutation_id)),
        None => Ok(None),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Already handled (`id <= lastMutationId`): skip it.
    Duplicate,
    /// Exactly `lastMutationId + 1`: handle it.
    Next,
    /// A mutation before it is missing: stop the batch (see [`admit`]).
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

/// What the server does with a pushed mutation that does not stop the push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Already handled: answered `duplicate`, and nothing changes.
    Duplicate,
    /// Handled now, and the client's counter moves to it.
    Next,
}

/// Mutation `id` of the client `client_id`, whose `lastMutationId` is `last` (`None`: a client
/// the server has no record of), by [`arrival`]. A gap stops the push: from a client the server
/// knows, a mutation is missing; from one it does not, the client's state is gone (a database
/// restored from a backup, say), and only starting over helps.
pub fn admit(client_id: &str, last: Option<u64>, id: u64) -> Result<Admit, Refusal> {
    match (arrival(last.unwrap_or(0), id), last) {
        (Arrival::Duplicate, _) => Ok(Admit::Duplicate),
        (Arrival::Next, _) => Ok(Admit::Next),
        (Arrival::Gap, None) => Err(Refusal::UnknownClient { client_id: client_id.to_owned() }),
        (Arrival::Gap, Some(last)) => Err(Refusal::Gap { id, last }),
    }
}

/// The cookie of a pull whose snapshot had `horizon`: the horizon in decimal, which the next
/// pull sends back.
///
/// A store numbers each change (a case's new state, a rejection) it commits, and a pull reads one
/// snapshot in which it also finds a horizon: a number such that every change numbered below it
/// had finished (committed or rolled back) when the snapshot was taken. A pull with cookie `h`
/// answers every change numbered `h` or above that its snapshot holds, and the horizon of its own
/// snapshot as the next cookie. So a pull never misses a committed change, even when changes
/// commit out of their numbers' order: a change numbered below the new horizon had finished
/// before this snapshot, so this pull (if numbered at or above `h`) or an earlier one (by the
/// same argument, if below `h`) answered it; one at or above it is answered again by the next
/// pull, if this one had it already (a case's state is replaced whole, so twice is harmless).
/// SQLite, whose writers take turns, counts changes and its horizon is the count plus one;
/// PostgreSQL numbers a change by its transaction's id and its horizon is the snapshot's `xmin`,
/// the oldest transaction still running.
pub fn cookie(horizon: u64) -> String {
    horizon.to_string()
}

/// Where a pull continues from: what its cookie says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullFrom {
    /// Every change numbered `since` or above (0, for a first pull: everything).
    Since(u64),
    /// The next page of a pull that began at `since` (SPEC §14).
    Page(Page),
}

/// Where a paged pull stands after a page with `more: true`.
///
/// A paged pull answers the cases numbered `since` or above in the order of `(changed, seq)`
/// (their change number, then the number the store gave the case when it was first stored),
/// `limit` at a time, each page from a snapshot of its own. The next page answers the cases after
/// the last one answered (`after`), and also every case numbered at or above the last page's
/// `horizon` that is not after it: the cases that changed since that page's snapshot, whose place
/// the client has passed. By induction, once a page has answered, the client holds that page's
/// snapshot of every case up to its last one; so after the last page (`more: false`) it holds
/// that snapshot of every case, as an unpaged pull would, and the last page's horizon is an
/// ordinary cookie ([`cookie`]), and its `lastMutationId` may confirm what the client pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub since: u64,
    pub horizon: u64,
    pub after: (u64, u64),
}

impl PullFrom {
    /// The number the pull began at: the client holds every change below it (its rejections
    /// included, which may therefore be deleted).
    pub fn since(&self) -> u64 {
        match self {
            PullFrom::Since(since) => *since,
            PullFrom::Page(page) => page.since,
        }
    }

    /// The last place answered, in `(changed, seq)` order: none yet (`(since, 0)`; the store
    /// numbers cases from 1) or a page's last case.
    pub fn after(&self) -> (u64, u64) {
        match self {
            PullFrom::Since(since) => (*since, 0),
            PullFrom::Page(page) => page.after,
        }
    }

    /// The cookie after a page read in a snapshot with `horizon`, whose last case stood at
    /// `last` (in `(changed, seq)` order), when `more` cases follow; else the horizon's.
    pub fn next_cookie(&self, horizon: u64, last: Option<(u64, u64)>, more: bool) -> String {
        match (more, last) {
            (true, Some(after)) => {
                let page = Page { since: self.since(), horizon, after };
                format!("{}.{}.{}.{}", page.since, page.horizon, after.0, after.1)
            }
            _ => cookie(horizon),
        }
    }
}

/// The page size of a pull that asked for `limit` cases: the server's cap when it asked for
/// more, or for none.
pub fn page_limit(limit: Option<u64>) -> usize {
    limit.map_or(MAX_PULL_LIMIT, |limit| usize::try_from(limit).unwrap_or(usize::MAX).min(MAX_PULL_LIMIT))
}

/// Where a pull continues from (a first pull, `None`, gets everything), given the store's horizon
/// now. A cookie this server did not give is refused: anything but the canonical decimal of a
/// horizon it has reached (horizons never go back), or a page's four such numbers
/// (`since.horizon.changed.seq`, with `since <= horizon <=` now and `since <= changed`).
pub fn read_cookie(cookie: Option<&str>, horizon: u64) -> Result<PullFrom, Refusal> {
    let Some(text) = cookie else { return Ok(PullFrom::Since(0)) };
    let mut numbers = [0_u64; 4];
    let mut count = 0;
    for part in text.split('.') {
        let number = part.parse::<u64>().ok().filter(|n| part == n.to_string()).ok_or(Refusal::UnknownCookie)?;
        *numbers.get_mut(count).ok_or(Refusal::UnknownCookie)? = number;
        count += 1;
    }
    match (count, numbers) {
        (1, [since, ..]) if since <= horizon => Ok(PullFrom::Since(since)),
        (4, [since, page, changed, seq]) if since <= page && page <= horizon && since <= changed => {
            Ok(PullFrom::Page(Page { since, horizon: page, after: (changed, seq) }))
        }
        _ => Err(Refusal::UnknownCookie),
    }
}

/// Which cases a pull shows (SPEC §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullScope<'a> {
    /// A member's, or the system's: every case.
    Every,
    /// A client's: only the cases whose `clients` hold its id.
    ClientOf(&'a str),
    /// A client without an id stands for "the client of this case", which no pull, spanning
    /// cases, can tell: none.
    Nothing,
}

pub fn pull_scope(actor: &Actor) -> PullScope<'_> {
    match actor.client_id() {
        None => PullScope::Every,
        Some(Some(id)) => PullScope::ClientOf(id),
        Some(None) => PullScope::Nothing,
    }
}

/// The audit trail of a case as `actor` may read it (SPEC §9, §13): every event for a member or
/// the system; for a client of the case (its id in `clients`), the events that name a
/// client-facing step of the case's workflow version, and `caseClosed`; for anyone else's client,
/// nothing, as if the case did not exist (`None`).
pub fn audit_trail(
    engine: &Engine,
    actor: &Actor,
    state: &CaseState,
    events: Vec<crate::case::Event>,
) -> Option<Vec<crate::case::Event>> {
    match actor.client_id() {
        None => return Some(events),
        Some(Some(id)) if state.clients.iter().any(|c| c == id) => {}
        Some(_) => return None,
    }
    let workflow = engine.workflow(&state.workflow_id, state.workflow_version);
    let client_facing =
        |step_id: &str| workflow.and_then(|w| w.step(step_id)).is_some_and(|(_, step)| step.client_facing);
    Some(
        events
            .into_iter()
            .filter(|event| match &event.change {
                crate::case::Change::CaseClosed => true,
                change => change.step_id().is_some_and(client_facing),
            })
            .collect(),
    )
}

/// Decides `mutation` as `actor` against the current state of its case (`None` when the server
/// has no such case yet), at the time the mutation says: what the client predicts.
pub fn decide_mutation(
    engine: &Engine,
    mutation: &Mutation,
    current: Option<&CaseState>,
    actor: &Actor,
) -> crate::Result<Outcome> {
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
fn decide_mutation_at(
    engine: &Engine,
    mutation: &Mutation,
    current: Option<&CaseState>,
    actor: &Actor,
    at: &str,
) -> crate::Result<Outcome> {
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
fn decision_time(now: Instant, case_last: Option<Instant>) -> Instant {
    case_last.map_or(now, |last| last.max(now))
}

/// A case as the server keeps it: its state, and the time of its last event (`None` when the
/// store cannot tell).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCase {
    pub state: CaseState,
    pub last_at: Option<Instant>,
}

/// A pushed mutation the server applies: the mutation as read, what it did, and the server's
/// time it was decided at (the case's new last event time; the client's own is `mutation.at`).
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    pub mutation: Mutation,
    pub outcome: Outcome,
    pub at: String,
}

impl Decided {
    /// The case's clients, when this mutation set them (it started the case, or changed who the
    /// case is for): what a store keeps to answer a client's pull with only its cases.
    pub fn clients_set(&self) -> Option<&[String]> {
        let sets = self
            .outcome
            .events
            .iter()
            .any(|e| matches!(e.change, Change::CaseStarted { .. } | Change::ClientsSet { .. }));
        sets.then_some(self.outcome.state.clients.as_slice())
    }
}

impl PushItem<'_> {
    /// The mutation this item carries, read from its text: one that does not read as a mutation
    /// is rejected `invalid-input` (and still counts, so that a client can never wedge its own
    /// queue). A store loads the case it names only once it reads.
    pub fn read(&self) -> crate::Result<Mutation> {
        from_json::<Mutation>(self.text)
    }
}

/// Decides a pushed mutation as the server does: as `actor`, at the server's time, `now`, or
/// the case's last event time when the clock is behind it. `case` is the store's case of the
/// mutation's id, if it has one. The error is the mutation's rejection.
pub fn decide_pushed(
    engine: &Engine,
    mutation: Mutation,
    case: Option<&StoredCase>,
    actor: &Actor,
    now: Instant,
) -> crate::Result<Decided> {
    let at = decision_time(now, case.and_then(|case| case.last_at)).utc_text();
    let state = case.map(|case| &case.state);
    decide_mutation_at(engine, &mutation, state, actor, &at).map(|outcome| Decided { mutation, outcome, at })
}

impl MutationResult {
    /// A mutation already handled.
    pub fn duplicate(id: u64) -> Self {
        MutationResult { id, status: MutationStatus::Duplicate, code: None, message: None }
    }

    pub fn applied(id: u64) -> Self {
        MutationResult { id, status: MutationStatus::Applied, code: None, message: None }
    }

    /// A mutation the server refused, with the rejection's code and whole message.
    pub fn rejected(id: u64, rejection: HandoffError) -> Self {
        MutationResult {
            id,
            status: MutationStatus::Rejected,
            code: Some(rejection.code.as_str().to_owned()),
            message: Some(rejection.into_parts().message),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn engine() -> Engine {
        Engine::from_json(include_str!("../../config/example-firm.json")).unwrap()
    }

    fn member(id: &str) -> Actor {
        Actor::Member { id: id.into() }
    }

    fn push(version: u32, mutations: &[String]) -> String {
        format!(r#"{{"schemaVersion":{version},"clientId":"c1","mutations":[{}]}}"#, mutations.join(","))
    }

    fn ids(count: u64) -> Vec<String> {
        (1..=count).map(|id| format!(r#"{{"id":{id}}}"#)).collect()
    }

    const START: &str = r#"{"id":1,"caseId":"k1","kind":"startCase",
        "input":{"caseId":"k1","workflowId":"chapter-7","clients":["smith"]},"at":"2020-01-01T00:00:00Z"}"#;
    const CLAIM: &str =
        r#"{"id":2,"caseId":"k1","kind":"command","command":{"type":"claim"},"at":"2020-01-01T00:00:00Z"}"#;

    fn at(text: &str) -> Instant {
        Instant::parse(text).unwrap()
    }

    /// Decides the one mutation of `text` as dana at `now`, against `case`.
    fn decide(text: &str, now: &str, case: Option<StoredCase>) -> crate::Result<Decided> {
        let body = push(SCHEMA_VERSION, &[text.to_owned()]);
        let envelope = PushEnvelope::from_body(&body).unwrap();
        let mutation = envelope.mutations.first().unwrap().read().unwrap();
        decide_pushed(&engine(), mutation, case.as_ref(), &member("dana"), at(now))
    }

    #[test]
    fn a_push_of_another_wire_version_is_refused_whatever_it_carries() {
        let refusal = PushEnvelope::from_body(&push(1, &ids(501))).err();
        assert_eq!(refusal, Some(Refusal::SchemaVersion { version: 1 }));
        assert_eq!(
            refusal.unwrap().to_string(),
            "Schema version 1 is not supported; this server speaks 2. Reload the app."
        );
        let pull = PullRequest::from_body(r#"{"schemaVersion":1,"clientId":"c1","cookie":null}"#);
        assert_eq!(pull.err(), Some(Refusal::SchemaVersion { version: 1 }));
    }

    #[test]
    fn a_push_carries_at_most_500_mutations() {
        assert!(PushEnvelope::from_body(&push(SCHEMA_VERSION, &ids(500))).is_ok());
        let refusal = PushEnvelope::from_body(&push(SCHEMA_VERSION, &ids(501))).err();
        assert_eq!(refusal, Some(Refusal::TooManyMutations));
        assert_eq!(refusal.unwrap().to_string(), "A push may carry at most 500 mutations.");
    }

    #[test]
    fn a_malformed_envelope_is_refused_whole_but_a_malformed_mutation_only_when_it_is_decided() {
        let missing = PushEnvelope::from_body(r#"{"schemaVersion":2,"clientId":"c1"}"#).err();
        assert!(matches!(missing, Some(Refusal::Malformed { message }) if message.contains("mutations")));
        let envelope =
            PushEnvelope::from_body(r#"{"schemaVersion":2,"clientId":"c1","mutations":[{"id":1,"kind":"x"}]}"#);
        assert_eq!(envelope.unwrap().mutations.len(), 1);
        let pull = PullRequest::from_body(r#"{"schemaVersion":2,"clientId":"c1"}"#).err();
        assert!(matches!(pull, Some(Refusal::Malformed { .. })));
    }

    #[test]
    fn a_member_the_firm_lacks_or_has_deactivated_may_not_sync() {
        let engine = engine();
        assert_eq!(check_actor(&engine, &member("dana")), Ok(()));
        let refusal = check_actor(&engine, &member("ivan")).err();
        assert_eq!(refusal, Some(Refusal::InactiveMember { id: "ivan".into() }));
        assert_eq!(refusal.unwrap().to_string(), "Member ivan is not an active member of this firm.");
        assert!(check_actor(&engine, &member("ghost")).is_err());
        assert_eq!(check_actor(&engine, &Actor::Client { id: Some("smith".into()) }), Ok(()));
        assert_eq!(check_actor(&engine, &Actor::System), Ok(()));
    }

    #[test]
    fn a_client_id_belongs_to_the_actor_that_first_used_it() {
        let record = || Some(ClientRecord { owner: member("dana"), last_mutation_id: 4 });
        assert_eq!(claim_client(record(), &member("dana")), Ok(Some(4)));
        assert_eq!(claim_client(None, &member("paula")), Ok(None), "a new client id is anyone's to take");
        let refusal = claim_client(record(), &member("paula")).err();
        assert_eq!(refusal, Some(Refusal::NotYours));
        assert_eq!(refusal.unwrap().to_string(), "This client id belongs to another user.");
        let client = Actor::Client { id: Some("dana".into()) };
        assert_eq!(claim_client(record(), &client), Err(Refusal::NotYours), "a client named like a member is not her");
    }

    #[test]
    fn a_mutation_is_a_duplicate_the_next_one_or_after_a_gap() {
        assert_eq!(admit("c1", Some(4), 3), Ok(Admit::Duplicate));
        assert_eq!(admit("c1", Some(4), 4), Ok(Admit::Duplicate));
        assert_eq!(admit("c1", Some(4), 5), Ok(Admit::Next));
        assert_eq!(admit("c1", None, 1), Ok(Admit::Next), "a new client starts at 1");
        let gap = admit("c1", Some(4), 9).err();
        assert_eq!(gap, Some(Refusal::Gap { id: 9, last: 4 }));
        assert_eq!(gap.unwrap().to_string(), "Mutation 9 arrived, but the last one handled was 4.");
    }

    #[test]
    fn a_gap_from_a_client_the_server_has_no_record_of_means_starting_over() {
        let refusal = admit("fresh", None, 7).err();
        assert_eq!(refusal, Some(Refusal::UnknownClient { client_id: "fresh".into() }));
        assert_eq!(
            refusal.unwrap().to_string(),
            "This server has no record of client fresh; start over with a new client id."
        );
        assert_eq!(admit("known", Some(0), 7), Err(Refusal::Gap { id: 7, last: 0 }), "known, though nothing handled");
    }

    #[test]
    fn a_cookie_is_a_horizon_and_one_the_server_did_not_give_is_unknown() {
        assert_eq!(read_cookie(None, 7), Ok(PullFrom::Since(0)), "a first pull gets everything");
        assert_eq!(read_cookie(Some(&cookie(7)), 7), Ok(PullFrom::Since(7)));
        assert_eq!(read_cookie(Some(&cookie(3)), 7), Ok(PullFrom::Since(3)));
        assert_eq!(read_cookie(Some(&cookie(0)), 7), Ok(PullFrom::Since(0)));
        for junk in ["8", "007", "-5", "+1", " 1", "", "abc", "1.0", "18446744073709551616"] {
            assert_eq!(read_cookie(Some(junk), 7), Err(Refusal::UnknownCookie), "{junk:?}");
        }
        assert_eq!(
            Refusal::UnknownCookie.to_string(),
            "This server did not give that cookie; start over with a new client id."
        );
    }

    #[test]
    fn a_page_cookie_continues_after_its_last_case_and_is_checked_like_a_horizon() {
        let page = Page { since: 3, horizon: 6, after: (5, 12) };
        let text = PullFrom::Since(3).next_cookie(6, Some((5, 12)), true);
        assert_eq!(text, "3.6.5.12");
        assert_eq!(read_cookie(Some(&text), 7), Ok(PullFrom::Page(page)));
        assert_eq!(PullFrom::Page(page).since(), 3, "rejections below the first page's cookie are the client's");
        assert_eq!(PullFrom::Page(page).after(), (5, 12));
        assert_eq!(PullFrom::Since(3).after(), (3, 0), "a first page starts before every case numbered 3");
        let next = PullFrom::Page(page).next_cookie(7, Some((7, 2)), true);
        assert_eq!(next, "3.7.7.2", "a later page keeps where the pull began");
        assert_eq!(PullFrom::Page(page).next_cookie(7, Some((7, 2)), false), cookie(7), "the last page's is a horizon");
        assert_eq!(PullFrom::Page(page).next_cookie(7, None, true), cookie(7));
        for junk in ["3.6.5", "3.6.5.12.1", "3.8.5.12", "7.6.7.1", "3.6.2.12", "3.6.05.12", "3..5.12", "3.6.5.-1"] {
            assert_eq!(read_cookie(Some(junk), 7), Err(Refusal::UnknownCookie), "{junk:?}");
        }
    }

    #[test]
    fn a_page_is_the_servers_cap_unless_the_client_asks_for_fewer() {
        assert_eq!(page_limit(None), MAX_PULL_LIMIT);
        assert_eq!(page_limit(Some(10)), 10);
        assert_eq!(page_limit(Some(u64::MAX)), MAX_PULL_LIMIT);
    }

    #[test]
    fn a_client_pulls_only_its_own_cases() {
        assert_eq!(pull_scope(&member("dana")), PullScope::Every);
        assert_eq!(pull_scope(&Actor::System), PullScope::Every);
        assert_eq!(pull_scope(&Actor::Client { id: Some("smith".into()) }), PullScope::ClientOf("smith"));
        assert_eq!(pull_scope(&Actor::Client { id: None }), PullScope::Nothing);
    }

    #[test]
    fn a_pushed_mutation_that_does_not_read_is_its_own_rejection() {
        let body =
            push(SCHEMA_VERSION, &[r#"{"id":1,"caseId":"k1","kind":"command","at":"2020-01-01T00:00:00Z"}"#.into()]);
        let envelope = PushEnvelope::from_body(&body).unwrap();
        let rejection = envelope.mutations.first().unwrap().read().unwrap_err();
        assert_eq!(rejection.code, ErrorCode::InvalidInput);
        let result = MutationResult::rejected(1, rejection.clone());
        assert_eq!((result.status, result.code.as_deref()), (MutationStatus::Rejected, Some("invalid-input")));
        assert_eq!(result.message, Some(rejection.into_parts().message));
    }

    #[test]
    fn a_pushed_mutation_is_decided_at_the_server_time_and_never_before_the_case_last_event() {
        let started = decide(START, "2026-11-25T09:00:00Z", None).unwrap();
        assert_eq!(started.at, "2026-11-25T09:00:00Z", "the server's clock, not the client's 2020");
        assert!(started.outcome.events.iter().all(|e| &*e.at == "2026-11-25T09:00:00Z"));
        assert_eq!(started.mutation.at, "2020-01-01T00:00:00Z", "the client's time is kept apart");
        let case = StoredCase { state: started.outcome.state, last_at: Some(at("2026-11-25T09:00:00Z")) };
        let claimed = decide(CLAIM, "2026-11-25T08:00:00Z", Some(case)).unwrap();
        assert_eq!(claimed.at, "2026-11-25T09:00:00Z", "a clock behind the case's last event waits for it");
    }

    #[test]
    fn starting_a_case_or_setting_its_clients_says_whom_it_is_for() {
        let started = decide(START, "2026-11-25T09:00:00Z", None).unwrap();
        assert_eq!(started.clients_set(), Some(["smith".to_owned()].as_slice()));
        let case = StoredCase { state: started.outcome.state, last_at: None };
        let claimed = decide(CLAIM, "2026-11-25T09:00:00Z", Some(case)).unwrap();
        assert_eq!(claimed.clients_set(), None, "a claim leaves whom the case is for alone");
    }
}
