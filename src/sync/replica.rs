//! The client's side of sync, without I/O: mutations are applied optimistically and queued,
//! pushed in order, and dropped once a pull shows the server has handled them. What the user sees
//! is always the server's last state plus a replay of what is still pending (a rebase); a pending
//! mutation that no longer applies locally stays queued until the server decides it. An answer
//! that contradicts what the client sent or numbered is refused whole (`protocol-error`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::rules::decide_mutation;
use super::wire::{
    Mutation, MutationBody, MutationStatus, PullRequest, PullResponse, PushRequest, PushResponse, Rejection,
    MAX_MUTATIONS_PER_PUSH, SCHEMA_VERSION,
};
use crate::case::{Actor, CaseState, Command, Ctx, StartCase};
use crate::input::{id_problem, FromJson};
use crate::{Engine, ErrorCode, HandoffError, Outcome, Result};

/// A mutation not yet confirmed, with who made it, for replaying it locally (the server decides
/// as the authenticated member instead).
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a pending mutation")]
pub struct Pending {
    pub mutation: Mutation,
    pub actor: Actor,
}

/// A rejection as the client reports it: the server's verdict and the mutation it concerns.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct RejectedMutation {
    pub id: u64,
    pub code: String,
    pub message: String,
    pub case_id: String,
    pub mutation: Mutation,
}

/// Everything a client keeps, and persists across reloads.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[serde(rename_all = "camelCase")]
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
        }
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
        PullRequest { schema_version: SCHEMA_VERSION, client_id: self.client_id.clone(), cookie: self.cookie.clone() }
    }

    /// Takes a pull response: the server's states replace the confirmed ones, handled mutations
    /// leave the queue. Returns the rejections to report now. A response confirming mutations
    /// this client never numbered, or with a cookie that is not an id (SPEC §2), changes nothing.
    pub fn apply_pull(&mut self, response: PullResponse) -> Result<Vec<RejectedMutation>> {
        if response.last_mutation_id > self.last_assigned {
            return Err(contradiction("The pull response confirms mutations this client never made."));
        }
        if id_problem(&response.cookie).is_some() {
            return Err(contradiction("The pull response's cookie is not an id."));
        }
        for case in response.cases {
            self.confirmed.insert(case.case_id.clone(), case);
        }
        self.cookie = Some(response.cookie);
        let newly = self.report(response.rejections);
        self.last_mutation_id = self.last_mutation_id.max(response.last_mutation_id);
        let handled = self.last_mutation_id;
        self.drop_through(handled);
        self.reported.retain(|&id| id > handled);
        Ok(newly)
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
