//! The client's side of sync, without I/O: mutations are applied optimistically and queued,
//! pushed in order, and dropped once a pull shows the server has handled them. What the user sees
//! is always the server's last state plus a replay of what is still pending (a rebase); a pending
//! mutation that no longer applies locally stays queued until the server decides it. An answer
//! that contradicts what the client sent or numbered is refused whole (`protocol-error`).
//!
//! At a firm's size (SPEC §14) pulls come in pages, and pending mutations are confirmed only by
//! a page with `more: false`, whose snapshot the client then holds whole. What is saved on every
//! change is the queue ([`Replica::save`]: its size is that of the pending mutations, never of the
//! cases); the server's states are kept by the caller apart, page by page ([`Replica::stage_pull`]
//! says which to keep and which to forget, before [`Replica::apply_staged`] takes the page), and
//! handed back with their cookie after a reload ([`Replica::restore_cases`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::rules::decide_mutation;
use super::wire::{
    Mutation, MutationBody, MutationStatus, PullRequest, PullResponse, PushRequest, PushResponse, Rejection,
    MAX_MUTATIONS_PER_PUSH, SCHEMA_VERSION,
};
use crate::case::{Actor, CaseState, Command, Ctx, StartCase};
use crate::input::{id_problem, FromJson};
use crate::output::ToJson;
use crate::{Engine, ErrorCode, HandoffError, Outcome, Result};

/// A mutation not yet confirmed, with who made it, for replaying it locally (the server decides
/// as the authenticated member instead).
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[json(expected = "a pending mutation")]
pub struct Pending {
    pub mutation: Mutation,
    pub actor: Actor,
}

/// A rejection as the client reports it: the server's verdict and the mutation it concerns.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct RejectedMutation {
    pub id: u64,
    pub code: String,
    pub message: String,
    pub case_id: String,
    pub mutation: Mutation,
}

/// Everything a client keeps: the queue, which persists across reloads as [`Replica::save`]'s
/// text, and the server's states as of its cookie, which its caller keeps apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    pub client_id: String,
    /// The last mutation id handed out.
    pub last_assigned: u64,
    /// The server's `lastMutationId` for this client as of the last pull.
    pub last_mutation_id: u64,
    pub cookie: Option<String>,
    /// The server's case states as of the last pull.
    pub confirmed: BTreeMap<String, CaseState>,
    pub pending: Vec<Pending>,
    /// Ids of pending mutations whose rejection has been reported, so it is reported once.
    pub reported: Vec<u64>,
    /// Whether closed cases are kept (SPEC §14 `keepClosed`): when not, a closed case is
    /// forgotten once no pending mutation names it. Not saved: the store's option.
    pub keep_closed: bool,
    /// A pull page read by [`Replica::stage_pull`] and not yet applied, and what it will do.
    staged: Option<(PullResponse, Staged)>,
}

/// The queue as saved: what [`Replica::save`] writes, and what [`Replica::restore`] reads. A text
/// of the first release also held the server's states and their cookie: the caller leaves those
/// out before restoring (the package's CaseStore does), and the first pull is whole. (Reading
/// them here, only to drop them, was 0.9 KB of module.)
#[derive(FromJson)]
#[json(rename_all = "camelCase", expected = "a saved queue")]
struct Saved {
    client_id: String,
    last_assigned: u64,
    last_mutation_id: u64,
    pending: Vec<Pending>,
    reported: Vec<u64>,
}

#[derive(Serialize, ToJson)]
#[serde(rename_all = "camelCase")]
struct SavedRef<'a> {
    client_id: &'a str,
    last_assigned: u64,
    last_mutation_id: u64,
    pending: &'a [Pending],
    reported: &'a [u64],
}

/// What a staged pull page will do to the cases the client keeps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToJson)]
pub struct Staged {
    /// The page's states to keep, by their place in its `cases`, in order.
    pub keep: Vec<usize>,
    /// Cases the client holds and keeps no more: closed, and no pending mutation names them
    /// (without `keepClosed`). A closed case the client never held is neither kept nor listed.
    pub forget: Vec<String>,
}

impl Replica {
    pub fn new(client_id: impl Into<String>) -> Self {
        Replica {
            client_id: client_id.into(),
            last_assigned: 0,
            last_mutation_id: 0,
            cookie: None,
            confirmed: BTreeMap::new(),
            pending: Vec::new(),
            reported: Vec::new(),
            keep_closed: false,
            staged: None,
        }
    }

    /// The replica saved as `text` by [`Replica::save`]; `invalid-input` when it is not one.
    /// The server's states come back apart, as pages ([`Replica::stage_pull`]) of what the
    /// caller kept.
    pub fn restore(text: &str) -> Result<Self> {
        let saved = crate::input::from_json::<Saved>(text)?;
        let mut replica = Replica::new(saved.client_id);
        replica.last_assigned = saved.last_assigned;
        replica.last_mutation_id = saved.last_mutation_id;
        replica.pending = saved.pending;
        replica.reported = saved.reported;
        Ok(replica)
    }

    /// The queue as text, for storage: the counters, the client id, the pending mutations and
    /// which rejections were reported. Its size does not grow with the number of cases; the
    /// server's states and their cookie are kept apart.
    pub fn save(&self) -> String {
        let saved = SavedRef {
            client_id: &self.client_id,
            last_assigned: self.last_assigned,
            last_mutation_id: self.last_mutation_id,
            pending: &self.pending,
            reported: &self.reported,
        };
        crate::output::to_json(&saved)
    }

    /// Takes back mutation `id` when it is the last one queued (its queue could not be saved, so
    /// the store refuses it): true when it was.
    pub fn retract(&mut self, id: u64) -> bool {
        if self.pending.last().is_some_and(|p| p.mutation.id == id) {
            self.pending.pop();
            self.last_assigned = id.saturating_sub(1);
            return true;
        }
        false
    }

    /// The case as the user should see it: the server's state plus every pending mutation of
    /// the case that still applies.
    pub fn view(&self, engine: &Engine, case_id: &str) -> Option<CaseState> {
        let mut state = self.confirmed.get(case_id).cloned();
        for pending in self.pending.iter().filter(|p| p.mutation.case_id == case_id) {
            if let Ok(outcome) = decide_mutation(engine, &pending.mutation, state.as_ref(), &pending.actor) {
                state = Some(outcome.state);
            }
        }
        state
    }

    /// Every case the client knows, as the user should see it: the server's cases by id, then
    /// cases started here and not yet confirmed, in the order they were started.
    pub fn views(&self, engine: &Engine) -> Vec<CaseState> {
        let mut ids: Vec<&str> = self.confirmed.keys().map(String::as_str).collect();
        for pending in &self.pending {
            if !ids.contains(&pending.mutation.case_id.as_str()) {
                ids.push(&pending.mutation.case_id);
            }
        }
        ids.into_iter().filter_map(|id| self.view(engine, id)).collect()
    }

    /// Starts a case optimistically; a local rejection is returned and nothing is queued.
    pub fn start_case(&mut self, engine: &Engine, input: StartCase, ctx: &Ctx) -> Result<Outcome> {
        let case_id = input.case_id.clone();
        self.enqueue(engine, case_id, MutationBody::StartCase(input), ctx)
    }

    /// Executes a command optimistically on the case's current view and queues it.
    pub fn dispatch(&mut self, engine: &Engine, case_id: &str, command: Command, ctx: &Ctx) -> Result<Outcome> {
        self.enqueue(engine, case_id.to_owned(), MutationBody::Command(command), ctx)
    }

    fn enqueue(&mut self, engine: &Engine, case_id: String, body: MutationBody, ctx: &Ctx) -> Result<Outcome> {
        let mutation = Mutation { id: self.last_assigned + 1, case_id, body, at: ctx.at.to_string() };
        let current = self.view(engine, &mutation.case_id);
        let outcome = decide_mutation(engine, &mutation, current.as_ref(), &ctx.actor)?;
        self.last_assigned = mutation.id;
        self.pending.push(Pending { mutation, actor: ctx.actor.clone() });
        Ok(outcome)
    }

    /// The next push: the oldest pending mutations, in order; `None` when nothing is pending.
    pub fn push_request(&self) -> Option<PushRequest> {
        if self.pending.is_empty() {
            return None;
        }
        Some(PushRequest {
            schema_version: SCHEMA_VERSION,
            client_id: self.client_id.clone(),
            mutations: self.pending.iter().take(MAX_MUTATIONS_PER_PUSH).map(|p| p.mutation.clone()).collect(),
        })
    }

    /// Takes the response to a push whose last mutation was `last_sent`; returns the rejections
    /// to report now. Mutations stay pending (and in the view) until a pull brings the server's
    /// state that includes them.
    pub fn apply_push(&mut self, response: &PushResponse, last_sent: u64) -> Result<Vec<RejectedMutation>> {
        if response.last_mutation_id > last_sent || response.results.iter().any(|r| r.id > last_sent) {
            return Err(contradiction("The push response names a mutation not sent."));
        }
        let rejected = response.results.iter().filter(|r| r.status == MutationStatus::Rejected).map(|r| Rejection {
            id: r.id,
            code: r.code.clone().unwrap_or_default(),
            message: r.message.clone().unwrap_or_default(),
        });
        Ok(self.report(rejected.collect()))
    }

    pub fn pull_request(&self) -> PullRequest {
        PullRequest {
            schema_version: SCHEMA_VERSION,
            client_id: self.client_id.clone(),
            cookie: self.cookie.clone(),
            limit: None,
            case_ids: None,
        }
    }

    /// A pull of these cases only, which leaves the cookie where it is (`fetchCase`): its answer
    /// is the server's states of them, read on demand and kept nowhere.
    pub fn fetch_request(&self, case_ids: Vec<String>) -> PullRequest {
        PullRequest { case_ids: Some(case_ids), ..self.pull_request() }
    }

    /// Takes a pull response: [`Replica::stage_pull`], then [`Replica::apply_staged`].
    pub fn apply_pull(&mut self, response: PullResponse) -> Result<Vec<RejectedMutation>> {
        self.stage_pull(response)?;
        Ok(self.apply_staged())
    }

    /// Reads a pull page without applying it, and says which of its states to keep and which
    /// cases to forget, so that the caller can store them before [`Replica::apply_staged`] (the
    /// states first, so that no saved queue has dropped a mutation whose effect is not stored).
    /// A response confirming mutations this client never numbered, or with a cookie that is not
    /// an id (SPEC §2), is refused and changes nothing.
    pub fn stage_pull(&mut self, response: PullResponse) -> Result<Staged> {
        if response.last_mutation_id > self.last_assigned {
            return Err(contradiction("The pull response confirms mutations this client never made."));
        }
        if id_problem(&response.cookie).is_some() {
            return Err(contradiction("The pull response's cookie is not an id."));
        }
        if response.more && response.cases.is_empty() {
            return Err(contradiction("The pull response says more cases follow, but carries none."));
        }
        let mut staged = Staged::default();
        let handled = self.handled_by(&response);
        let named = self.named_after(handled);
        for (index, state) in response.cases.iter().enumerate() {
            if !self.forgets(state, &named) {
                staged.keep.push(index);
            } else if self.confirmed.contains_key(&state.case_id) {
                staged.forget.push(state.case_id.clone());
            }
        }
        // Cases kept only while a mutation this page confirms named them.
        for pending in self.pending.iter().filter(|p| p.mutation.id <= handled) {
            let id = &pending.mutation.case_id;
            let arriving = response.cases.iter().any(|state| state.case_id == *id);
            if !arriving
                && !staged.forget.contains(id)
                && self.confirmed.get(id).is_some_and(|s| self.forgets(s, &named))
            {
                staged.forget.push(id.clone());
            }
        }
        self.staged = Some((response, staged.clone()));
        Ok(staged)
    }

    /// Applies the page [`Replica::stage_pull`] read, as it said: the states it keeps replace the
    /// confirmed ones, the cases it forgets go, and on a page with `more: false` the mutations it
    /// confirms leave the queue. Returns the rejections to report now.
    pub fn apply_staged(&mut self) -> Vec<RejectedMutation> {
        let Some((response, staged)) = self.staged.take() else { return Vec::new() };
        let handled = self.handled_by(&response);
        let mut keep = staged.keep.iter().peekable();
        for (index, state) in response.cases.into_iter().enumerate() {
            if keep.next_if_eq(&&index).is_some() {
                self.confirmed.insert(state.case_id.clone(), state);
            }
        }
        self.forget(&staged.forget);
        self.cookie = Some(response.cookie);
        if response.more {
            return Vec::new();
        }
        let newly = self.report(response.rejections);
        self.last_mutation_id = handled;
        self.drop_through(handled);
        self.reported.retain(|&id| id > handled);
        newly
    }

    /// Drops the confirmed cases `ids` names. Rare (a case the client holds closes), so the map
    /// is rebuilt without them rather than removed from: `BTreeMap::remove`'s rebalancing is 4 KB
    /// of module, a rebuild one loop over code the module has anyway.
    fn forget(&mut self, ids: &[String]) {
        if ids.iter().any(|id| self.confirmed.contains_key(id)) {
            for (id, state) in std::mem::take(&mut self.confirmed) {
                if !ids.contains(&id) {
                    self.confirmed.insert(id, state);
                }
            }
        }
    }

    /// Whether `state` is not kept: closed, without `keepClosed`, and named by no mutation still
    /// pending (`named`).
    fn forgets(&self, state: &CaseState, named: &[String]) -> bool {
        !self.keep_closed && state.closed && !named.contains(&state.case_id)
    }

    /// The `lastMutationId` a page confirms through: none but the ones already confirmed unless
    /// it is a pull's last page.
    fn handled_by(&self, response: &PullResponse) -> u64 {
        if response.more {
            self.last_mutation_id
        } else {
            self.last_mutation_id.max(response.last_mutation_id)
        }
    }

    /// The cases the pending mutations after `handled` name.
    fn named_after(&self, handled: u64) -> Vec<String> {
        self.pending.iter().filter(|p| p.mutation.id > handled).map(|p| p.mutation.case_id.clone()).collect()
    }

    /// Rejections of mutations still pending and not yet reported; marks them reported.
    fn report(&mut self, rejections: Vec<Rejection>) -> Vec<RejectedMutation> {
        let mut newly = Vec::new();
        for rejection in rejections {
            let Some(pending) = self.pending.iter().find(|p| p.mutation.id == rejection.id) else { continue };
            if !self.reported.contains(&rejection.id) {
                self.reported.push(rejection.id);
                newly.push(RejectedMutation {
                    id: rejection.id,
                    code: rejection.code,
                    message: rejection.message,
                    case_id: pending.mutation.case_id.clone(),
                    mutation: pending.mutation.clone(),
                });
            }
        }
        newly
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// After `client-state-not-found` or `mutation-gap` the server no longer knows this client's
    /// history: start over as a new client, forgetting the server's state and keeping the
    /// unconfirmed mutations, numbered afresh from 1.
    pub fn reset(&mut self, client_id: impl Into<String>) {
        self.confirmed.clear();
        self.fork(client_id, 0);
    }

    /// Another live tab owns this client id: leaves it the mutations numbered up to `theirs` and
    /// goes on as a new client with the later ones (made here, never pushed: pushing waits for
    /// ownership), numbered afresh from 1. The server's states are kept; the next pull is whole.
    pub fn fork(&mut self, client_id: impl Into<String>, theirs: u64) {
        self.drop_through(theirs);
        self.staged = None;
        self.client_id = client_id.into();
        self.cookie = None;
        self.last_mutation_id = 0;
        self.reported.clear();
        for (index, pending) in self.pending.iter_mut().enumerate() {
            pending.mutation.id = index as u64 + 1;
        }
        self.last_assigned = self.pending.len() as u64;
    }

    /// Removes the pending mutations numbered up to `id`.
    fn drop_through(&mut self, id: u64) {
        self.pending.retain(|p| p.mutation.id > id);
    }
}

fn contradiction(message: &str) -> HandoffError {
    HandoffError::new(ErrorCode::ProtocolError, message)
}
