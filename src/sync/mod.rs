//! The sync protocol of SPEC §6, shared by the browser client and the reference server: the wire
//! types, the server's rules for a mutation (duplicate, next or gap; decided as the authenticated
//! actor), and the client's replica (pending queue, rebase, confirmation, rejections).
//! Pure: no network, no storage, no clock.

mod replica;
mod rules;
mod wire;

pub use replica::{Pending, RejectedMutation, Replica};
pub use rules::{arrival, decide_mutation, decide_mutation_at, decision_time, Arrival};
pub use wire::{
    ErrorBody, ErrorInfo, Mutation, MutationBody, MutationResult, MutationStatus, PullRequest, PullResponse,
    PushEnvelope, PushItem, PushRequest, PushResponse, Rejection, MAX_MUTATIONS_PER_PUSH, SCHEMA_VERSION,
};
