//! The sync protocol of SPEC §6, shared by the browser client and the reference server: the wire
//! types, the server's rules (the envelope, whose a client id is, duplicate, next or gap, pull
//! cookies and scopes, and each mutation decided as the authenticated actor at the server's
//! time), and the client's replica (pending queue, rebase, confirmation, rejections).
//! Pure: no network, no storage, no clock.

mod replica;
mod rules;
mod wire;

pub use replica::{Pending, RejectedMutation, Replica};
pub use rules::{
    admit, arrival, audit_trail, check_actor, claim_client, cookie, decide_mutation, decide_pushed, page_limit,
    pull_scope, read_cookie, Admit, Arrival, ClientRecord, Decided, Page, PullFrom, PullScope, Refusal, StoredCase,
};
pub use wire::{
    ErrorBody, ErrorInfo, MigrateRequest, Mutation, MutationBody, MutationResult, MutationStatus, PullRequest,
    PullResponse, PushEnvelope, PushItem, PushRequest, PushResponse, ReassignRequest, Rejection,
    MAX_MUTATIONS_PER_PUSH, MAX_PULL_LIMIT, MAX_REASSIGN_CASE_IDS, SCHEMA_VERSION,
};
