//! Storage for the sync protocol, written once for both backends (`db`): clients and their
//! `lastMutationId`, case states, the event log, rejections, and which clients each case is for;
//! the stored configuration (`config`), the index of open cases that every case write keeps in
//! step (`index`: stuck work, members, versions, next deadlines), the admins' bulk commands
//! (`bulk`) and the scheduler's ticks (`deadlines`).
//!
//! - **A push** handles each mutation in its own write transaction, which locks the client's row
//!   and then the case's before anything is decided: a retry racing its original (on this
//!   process or another) waits, then finds itself a duplicate; two commands racing on one case
//!   take turns, so one wins and the other is decided against the winner's state. A transaction
//!   that lost a race it cannot wait out (PostgreSQL: a deadlock, or two processes starting one
//!   case) is run again, from the start.
//! - **A pull** reads one snapshot: the horizon its cookie becomes, the client's counter, the
//!   cases and rejections numbered at or above the cookie it was sent (`sync::cookie` says why
//!   none is missed), then deletes the rejections that the cookie proves the client has.
//!
//! I/O only: the core's `sync` rules decide (whose a client id is, duplicate, next or gap, what
//! a cookie means, which cases a pull shows, each mutation), and `retention` says how many
//! rejections are kept. Errors are [`StoreError`]s: only the HTTP layer knows status codes.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use handoff_engine::case::{Actor, CaseState, Event};
use handoff_engine::input::from_json;
use handoff_engine::sync::{
    admit, check_actor, claim_client, cookie, decide_pushed, page_limit, pull_scope, read_cookie, Admit, ClientRecord,
    Decided, MutationResult, PullFrom, PullRequest, PullResponse, PullScope, PushEnvelope, PushItem, PushResponse,
    Refusal, Rejection, StoredCase,
};
use handoff_engine::time::Instant;

mod bulk;
mod config;
mod deadlines;
mod index;

pub use bulk::{MigrateResult, ReassignAnswer};
pub use config::{Decision, NewVersion, Published, Recorded};
pub use deadlines::Round;

use config::Configs;

use crate::db::postgres::Postgres;
use crate::db::sqlite::Sqlite;
use crate::db::{insert_rows, Conn, DbError, Param, Row, Statement, Target};
use crate::retention;

/// Why a store operation failed: the protocol refuses the request, or the storage failed.
#[derive(Debug)]
pub enum StoreError {
    /// The protocol refuses the request: a client id not the caller's, a gap, a cookie the
    /// server did not give.
    Refused(Refusal),
    /// The transaction lost a race with another (see `db::DbError::retry`): run it again.
    Raced(String),
    /// The database failed, or holds what it should not.
    Storage(String),
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        StoreError::Refused(refusal)
    }
}

impl From<DbError> for StoreError {
    fn from(error: DbError) -> Self {
        if error.retry {
            StoreError::Raced(error.message)
        } else {
            StoreError::Storage(error.message)
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Refused(refusal) => fmt::Display::fmt(refusal, f),
            StoreError::Raced(detail) => write!(f, "storage: lost a race with another transaction: {detail}"),
            StoreError::Storage(detail) => write!(f, "storage: {detail}"),
        }
    }
}

fn storage(error: impl fmt::Display) -> StoreError {
    StoreError::Storage(error.to_string())
}

tokio::task_local! {
    /// How many case states the store has read in the task counted by [`counting`].
    static STATES_READ: std::cell::Cell<u64>;
}

/// `work`'s output, and how many case states the store read from the database for it (every
/// state goes through [`read_state`]). SQLite's calls block inside the task's own poll, so they
/// are counted too.
pub async fn counting<T>(work: impl Future<Output = T>) -> (T, u64) {
    STATES_READ
        .scope(std::cell::Cell::new(0), async move {
            let output = work.await;
            (output, STATES_READ.with(std::cell::Cell::get))
        })
        .await
}

/// A case's state from its stored text, counted (see [`counting`]).
fn read_state(text: &str) -> Result<CaseState, StoreError> {
    let _ = STATES_READ.try_with(|read| read.set(read.get() + 1));
    from_json::<CaseState>(text).map_err(storage)
}

/// How many times a write transaction that lost a race is run in all.
const ATTEMPTS: u32 = 8;

enum Backend {
    Sqlite(Box<Sqlite>),
    Postgres(Postgres),
}

pub struct Store {
    backend: Backend,
    configs: Configs,
}

/// `body`'s future on a connection of the store: SQLite's `role` connection (`writer` or
/// `reader`), its calls blocking in `block_in_place` and its future ready at once; or one of
/// PostgreSQL's pool, awaited. One operation, written once, runs on either backend.
macro_rules! on_conn {
    ($store:expr, $role:ident, |$conn:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite(db) => tokio::task::block_in_place(|| {
                let mut guard = db.$role()?;
                let $conn = &mut *guard;
                ready($body)
            }),
            Backend::Postgres(db) => {
                let mut connected = db.conn().await?;
                let $conn = &mut connected;
                $body.await
            }
        }
    };
}

/// The output of a future whose every step is ready at once (SQLite's).
fn ready<T>(future: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => Err(StoreError::Storage("a SQLite call did not finish at once".into())),
    }
}

impl Store {
    /// Opens the store, bringing its schema up to date (PostgreSQL with at most `connections`),
    /// and takes its configuration: the one stored, or `seed()`'s stored as version 1 in a
    /// database without one (then the flag is true).
    pub async fn open(
        target: &Target,
        connections: usize,
        seed: &dyn Fn() -> Result<String, String>,
    ) -> Result<(Store, bool), String> {
        let backend = match target {
            Target::Sqlite(path) => Backend::Sqlite(Box::new(Sqlite::open(path).await?)),
            Target::Postgres(url) => Backend::Postgres(Postgres::open(url, &target.describe(), connections).await?),
        };
        let store = Store { backend, configs: Configs::new(Published::none()) };
        let at = now().utc_text();
        let mut attempt = 1;
        loop {
            // Two processes seeding one new database at once: the later finds the earlier's.
            match store.load(seed, &at).await {
                Ok((published, seeded)) => {
                    store.configs.install(std::sync::Arc::new(published));
                    store.build_index().await.map_err(|error| error.to_string())?;
                    return Ok((store, seeded));
                }
                Err(StoreError::Raced(_)) if attempt < ATTEMPTS => attempt += 1,
                Err(error) => return Err(error.to_string()),
            }
        }
    }

    /// Indexes the open cases of a database that has no index yet (`index::build_on`).
    async fn build_index(&self) -> Result<(), StoreError> {
        let mut attempt = 1;
        loop {
            match on_conn!(self, writer, |conn| index::build_on(conn, &self.configs)) {
                Ok(0) => return Ok(()),
                Ok(indexed) => {
                    println!("indexed the {indexed} open cases (stuck work, members, versions, next deadlines)");
                    return Ok(());
                }
                Err(StoreError::Raced(_)) if attempt < ATTEMPTS => attempt += 1,
                Err(error) => return Err(error),
            }
        }
    }

    /// The stuck work of every open case, from the index (SPEC §10), and the `configVersion`
    /// it was found under.
    pub async fn stuck(&self) -> Result<(u64, Vec<serde_json::Value>), StoreError> {
        on_conn!(self, reader, |conn| index::stuck_on(conn))
    }

    /// `POST /reassign` by admin `by` (see `bulk::reassign_on`), run again when it lost a race.
    pub async fn reassign(
        &self,
        by: &str,
        request: &handoff_engine::sync::ReassignRequest,
    ) -> Result<ReassignAnswer, StoreError> {
        let mut attempt = 1;
        loop {
            match on_conn!(self, writer, |conn| bulk::reassign_on(conn, &self.configs, by, request)) {
                Err(StoreError::Raced(_)) if attempt < ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    /// `POST /migrate` by admin `by` (see `bulk::migrate_batch_on`): the open cases of the
    /// version in batches, each in its own transaction (run again when it lost a race).
    pub async fn migrate(
        &self,
        by: &str,
        request: &handoff_engine::sync::MigrateRequest,
        command: &handoff_engine::case::Command,
    ) -> Result<Vec<MigrateResult>, StoreError> {
        let mut results = Vec::new();
        let mut after = String::new();
        loop {
            let mut attempt = 1;
            let batch = loop {
                match on_conn!(self, writer, |conn| bulk::migrate_batch_on(
                    conn,
                    &self.configs,
                    by,
                    request,
                    command,
                    &after
                )) {
                    Err(StoreError::Raced(_)) if attempt < ATTEMPTS => attempt += 1,
                    other => break other?,
                }
            };
            let Some(last) = batch.last_case else { return Ok(results) };
            after = last;
            results.extend(batch.results);
        }
    }

    /// One round of the scheduler (see `deadlines`): every open case whose next deadline has
    /// passed by the clock now, ticked, in batches of `deadlines::TICK_BATCH` cases per write
    /// transaction (each run again when it lost a race). A round with nothing due is one read of
    /// the index, and writes nothing.
    pub async fn tick_due(&self) -> Result<Round, StoreError> {
        let due_by = index::millis(now());
        let mut round = Round::default();
        if !on_conn!(self, reader, |conn| deadlines::any_due_on(conn, due_by))? {
            return Ok(round);
        }
        let mut after = deadlines::start();
        loop {
            let mut attempt = 1;
            let batch = loop {
                match on_conn!(self, writer, |conn| deadlines::tick_batch_on(conn, &self.configs, due_by, &after)) {
                    Err(StoreError::Raced(_)) if attempt < ATTEMPTS => attempt += 1,
                    other => break other?,
                }
            };
            match round.add(batch) {
                Some(next) => after = next,
                None => return Ok(round),
            }
        }
    }

    async fn load(&self, seed: &dyn Fn() -> Result<String, String>, at: &str) -> Result<(Published, bool), StoreError> {
        on_conn!(self, writer, |conn| config::load_on(conn, seed, at))
    }

    /// A case's state and every stored event of it in `seq` order, from one snapshot; `None`
    /// when there is no such case.
    pub async fn case_events(&self, case_id: &str) -> Result<Option<(CaseState, Vec<Event>)>, StoreError> {
        on_conn!(self, reader, |conn| case_events_on(conn, case_id))
    }

    /// The configuration this process decides with now.
    pub fn current(&self) -> std::sync::Arc<Published> {
        self.configs.current()
    }

    /// The configuration in use in the database now, read, and installed if it is newer than
    /// this process's (another process changed it).
    pub async fn fresh(&self) -> Result<std::sync::Arc<Published>, StoreError> {
        on_conn!(self, reader, |conn| config::fresh_on(conn, &self.configs))
    }

    /// Every accepted change, the seed first.
    pub async fn history(&self) -> Result<Vec<Recorded>, StoreError> {
        on_conn!(self, reader, |conn| config::history_on(conn))
    }

    /// Version `version`'s text, if there is one.
    pub async fn config_text(&self, version: u64) -> Result<Option<String>, StoreError> {
        on_conn!(self, reader, |conn| config::text_on(conn, version))
    }

    /// A configuration change by admin `by`, decided by `decide` inside its transaction (see
    /// `config::change_on`): its status and answer.
    pub async fn change_config(
        &self,
        by: &str,
        change_id: Option<&str>,
        decide: &config::Decide<'_>,
    ) -> Result<(u16, String), StoreError> {
        let at = now().utc_text();
        let mut attempt = 1;
        loop {
            match on_conn!(self, writer, |conn| config::change_on(conn, &self.configs, by, change_id, &at, decide)) {
                Err(StoreError::Raced(_)) if attempt < ATTEMPTS => attempt += 1,
                other => return other.map(|(status, answer, _)| (status, answer)),
            }
        }
    }

    /// Handles a push's mutations in order, each in its own transaction (see the module's
    /// comment). Each mutation is read from its text once, when it is decided: one that does not
    /// read as a mutation is rejected as `invalid-input` and still advances the counter. Each is
    /// decided at the server's time (never the client's `at`, which is kept as `clientAt`).
    pub async fn push(&self, actor: &Actor, push: &PushEnvelope<'_>) -> Result<PushResponse, StoreError> {
        on_conn!(self, writer, |conn| push_on(conn, &self.configs, actor, push))
    }

    /// Cases changed since the request's cookie (all when it is null) and this client's
    /// rejections since then, read from one snapshot. Rejections that an earlier pull reported
    /// (the client sends that pull's cookie back) are deleted, so that no client can grow the
    /// database without bound; a pull of named cases (`caseIds`) deletes nothing.
    pub async fn pull(&self, actor: &Actor, request: &PullRequest) -> Result<PullResponse, StoreError> {
        let (response, since) = on_conn!(self, reader, |conn| pull_on(conn, actor, request))?;
        if response.config_version > self.configs.current().version {
            on_conn!(self, reader, |conn| config::published(conn, &self.configs, response.config_version))?;
        }
        if let Some(since) = since {
            on_conn!(self, writer, |conn| prune_rejections(conn, &request.client_id, since))?;
        }
        Ok(response)
    }
}

/// The server's clock, to the millisecond.
fn now() -> Instant {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Instant { seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX), nanos: since.subsec_millis() * 1_000_000 }
}

fn int(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(storage)
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(storage)
}

/// The one integer a statement answered.
fn single(rows: &[Row]) -> Result<i64, StoreError> {
    Ok(rows.first().ok_or_else(|| storage("a statement answered no row"))?.int(0)?)
}

/// The answer of the statement at `index` of a pipeline.
fn answer(answered: &[Vec<Row>], index: usize) -> Result<&[Row], StoreError> {
    answered.get(index).map(Vec::as_slice).ok_or_else(|| storage(format!("a pipeline answered no statement {index}")))
}

/// Runs one statement.
async fn query<C: Conn>(conn: &mut C, sql: &'static str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
    let mut answered = conn.pipeline(&[Statement::new(sql, params.iter().copied())]).await?;
    answered.pop().ok_or_else(|| storage("a pipeline answered nothing"))
}

/// Ends the transaction without keeping anything. A failed rollback leaves a broken
/// connection, which its next use reports.
async fn roll_back<C: Conn>(conn: &mut C) {
    let _ = conn.pipeline(&[Statement::new("ROLLBACK", [])]).await;
}

/// The client's row, inserted with counter 0 when the server has none, and locked until the
/// transaction ends (the upsert locks it on PostgreSQL as `FOR UPDATE` would, also when another
/// process inserts it at the same moment): its actor and `lastMutationId`.
const LOCK_CLIENT: &str = "INSERT INTO clients (client_id, actor, last_mutation_id) VALUES ($1, $2, 0)
     ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = clients.last_mutation_id
     RETURNING actor, last_mutation_id";
const READ_CLIENT: &str = "SELECT actor, last_mutation_id FROM clients WHERE client_id = $1";
const SET_LAST_MUTATION: &str = "UPDATE clients SET last_mutation_id = $1 WHERE client_id = $2";
const LOCK_CASE: &str = "SELECT state, last_at FROM cases WHERE case_id = $1 FOR UPDATE";
const CASE_EVENTS: &str = "SELECT event FROM events WHERE case_id = $1";
/// A new case's row is the dialect's (`Dialect::insert_case`): its `seq` is taken as each
/// backend can take one without two transactions colliding.
const UPDATE_CASE: &str = "UPDATE cases SET state = $1, changed = $2, last_at = $3 WHERE case_id = $4";
const EVENT_COLUMNS: &[&str] = &["case_id", "seq", "client_id", "mutation_id", "change", "event", "client_at"];
/// Events written by one statement at most: a command's events go in as few statements as this
/// allows, each of one of a few shapes (which each connection keeps prepared).
const EVENTS_PER_STATEMENT: usize = 16;
const CLEAR_CASE_CLIENTS: &str = "DELETE FROM case_clients WHERE case_id = $1";
/// A client named twice in a case's `clients` is harmless to the engine, and is one row here.
const INSERT_CASE_CLIENT: &str =
    "INSERT INTO case_clients (client_id, case_id) VALUES ($1, $2) ON CONFLICT (client_id, case_id) DO NOTHING";
/// A rejection, stored only while its actor has fewer than `$7` (`retention`).
const INSERT_REJECTION: &str = "INSERT INTO rejections (client_id, mutation_id, code, message, changed, actor)
     SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM rejections WHERE actor = $6) < $7";
/// A page of a pull: the cases after a place in the order of `(changed, seq)` (`sync::Page`).
const CASES_AFTER: &str = "SELECT state, changed, seq FROM cases WHERE (changed, seq) > ($1, $2)
     ORDER BY changed, seq LIMIT $3";
const CASES_AFTER_OF_CLIENT: &str = "SELECT c.state, c.changed, c.seq FROM cases c
     JOIN case_clients k ON k.case_id = c.case_id WHERE (c.changed, c.seq) > ($1, $2) AND k.client_id = $3
     ORDER BY c.changed, c.seq LIMIT $4";
/// The cases that changed since the last page's snapshot at a place that page had passed.
const CASES_PASSED: &str = "SELECT state FROM cases WHERE changed >= $1 AND (changed, seq) <= ($2, $3)";
const CASES_PASSED_OF_CLIENT: &str = "SELECT c.state FROM cases c JOIN case_clients k ON k.case_id = c.case_id
     WHERE c.changed >= $1 AND (c.changed, c.seq) <= ($2, $3) AND k.client_id = $4";
const CASE_BY_ID: &str = "SELECT state FROM cases WHERE case_id = $1";
const CASE_BY_ID_OF_CLIENT: &str = "SELECT c.state FROM cases c JOIN case_clients k ON k.case_id = c.case_id
     WHERE c.case_id = $1 AND k.client_id = $2";
const CHANGED_REJECTIONS: &str = "SELECT mutation_id, code, message FROM rejections
     WHERE client_id = $1 AND changed >= $2 ORDER BY mutation_id";
const PRUNE_REJECTIONS: &str = "DELETE FROM rejections WHERE client_id = $1 AND changed < $2";

/// Where each answer stands in a mutation's first pipeline (after its `BEGIN`): see [`handle`].
const LOCKED_CLIENT: usize = 1;
const CHANGE_NUMBER: usize = 2;
const CONFIG_VERSION: usize = 3;
const LOCKED_CASE: usize = 4;
/// Where each answer stands in a pull's pipeline (after its `BEGIN`): see [`pull_on`].
const HORIZON: usize = 1;
const CLIENT: usize = 2;
const REJECTIONS: usize = 3;
const PULLED_CONFIG: usize = 4;
/// The page's cases, or the first named case's; then the passed cases of a later page.
const CASES: usize = 5;
const PASSED: usize = 6;

/// The client's record from `rows`, once `sync::claim_client` has found it `actor`'s: its
/// `lastMutationId`, or `None` when the server has no record of it.
fn claim(rows: &[Row], actor: &Actor) -> Result<Option<u64>, StoreError> {
    let record = match rows.first() {
        Some(row) => {
            let owner = from_json::<Actor>(row.text(0)?).map_err(storage)?;
            Some(ClientRecord { owner, last_mutation_id: count(row.int(1)?)? })
        }
        None => None,
    };
    Ok(claim_client(record, actor)?)
}

async fn push_on<C: Conn>(
    conn: &mut C,
    configs: &Configs,
    actor: &Actor,
    push: &PushEnvelope<'_>,
) -> Result<PushResponse, StoreError> {
    let client_id = push.client_id.as_str();
    let actor_json = serde_json::to_string(actor).map_err(storage)?;
    // Refused even with nothing to push: a client id is bound to its first user (each
    // mutation's own transaction checks it again, so this read is only for an empty push).
    let mut last = 0;
    if push.mutations.is_empty() {
        last = claim(&query(conn, READ_CLIENT, &[client_id.into()]).await?, actor)?.unwrap_or(0);
    }
    let mut results = Vec::with_capacity(push.mutations.len());
    let pushed = Pushed { configs, actor, actor_json: &actor_json, client_id };
    for item in &push.mutations {
        let (result, handled) = write(conn, &pushed, item).await?;
        results.push(result);
        last = handled;
    }
    Ok(PushResponse { last_mutation_id: last, results })
}

/// What every mutation of a push shares.
struct Pushed<'a> {
    configs: &'a Configs,
    actor: &'a Actor,
    actor_json: &'a str,
    client_id: &'a str,
}

/// One mutation in its own write transaction, run again (up to [`ATTEMPTS`] in all) when it
/// lost a race: its result and the client's `lastMutationId` after it.
async fn write<C: Conn>(
    conn: &mut C,
    pushed: &Pushed<'_>,
    item: &PushItem<'_>,
) -> Result<(MutationResult, u64), StoreError> {
    let mut attempt = 1;
    loop {
        match handle(conn, pushed, item).await {
            Err(StoreError::Raced(_)) if attempt < ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

/// Decides and stores one mutation in two pipelines (on PostgreSQL, two round trips): the first
/// begins the transaction, locks the client's row, numbers the change and locks the case's row;
/// the second, once the engine has decided, stores what it did, advances the counter and
/// commits. Anything refused or failed rolls back.
async fn handle<C: Conn>(
    conn: &mut C,
    pushed: &Pushed<'_>,
    item: &PushItem<'_>,
) -> Result<(MutationResult, u64), StoreError> {
    let dialect = conn.dialect();
    let Pushed { client_id, actor_json, .. } = *pushed;
    let mutation = item.read();
    let mut first = vec![
        Statement::new(dialect.begin_write, []),
        Statement::new(LOCK_CLIENT, [client_id.into(), actor_json.into()]),
        Statement::new(dialect.change_number, []),
        Statement::new(config::CONFIG_IN_USE, []),
    ];
    if let Ok(mutation) = &mutation {
        first.push(Statement::new(LOCK_CASE, [mutation.case_id.as_str().into()]));
    }
    let answered = match conn.pipeline(&first).await {
        Ok(answered) => answered,
        Err(error) => {
            roll_back(conn).await;
            return Err(error.into());
        }
    };
    match decide_and_store(conn, pushed, item, mutation, &answered).await {
        Ok(Some(done)) => Ok(done),
        Ok(None) => {
            roll_back(conn).await;
            let known = claim(answer(&answered, LOCKED_CLIENT)?, pushed.actor)?;
            Ok((MutationResult::duplicate(item.id), known.unwrap_or(0)))
        }
        Err(error) => {
            roll_back(conn).await;
            Err(error)
        }
    }
}

/// The rest of [`handle`], inside the transaction its first pipeline began: `None` for a
/// duplicate, which changes nothing.
async fn decide_and_store<C: Conn>(
    conn: &mut C,
    pushed: &Pushed<'_>,
    item: &PushItem<'_>,
    mutation: handoff_engine::Result<handoff_engine::sync::Mutation>,
    answered: &[Vec<Row>],
) -> Result<Option<(MutationResult, u64)>, StoreError> {
    let Pushed { configs, actor, actor_json, client_id } = *pushed;
    let locked = answer(answered, LOCKED_CLIENT)?;
    // A row this transaction inserted has counter 0 (a committed one has 1 or more): the
    // server had no record of the client.
    let known = match claim(locked, actor)? {
        Some(0) => None,
        known => known,
    };
    if admit(client_id, known, item.id)? == Admit::Duplicate {
        return Ok(None);
    }
    let change = single(answer(answered, CHANGE_NUMBER)?)?;
    // Decided with the configuration in use as this transaction commits (the row it shares
    // holds a change back until then): a member deactivated a moment ago on another process is
    // refused here too.
    let published = config::published(conn, configs, config::version_in(answer(answered, CONFIG_VERSION)?)?).await?;
    let engine = &*published.engine;
    check_actor(engine, actor)?;
    let mut before = None;
    let decided = match mutation {
        Ok(mutation) => {
            let case = stored_case(conn, answer(answered, LOCKED_CASE)?).await?;
            let decided =
                decide_pushed(engine, mutation, case.as_ref(), actor, now()).map(|decided| (decided, case.is_some()));
            before = case.map(|case| case.state);
            decided
        }
        Err(malformed) => Err(malformed),
    };
    let texts = match &decided {
        Ok((decided, _)) => Texts::of(decided, engine, before.as_ref())?,
        Err(rejection) => Texts { message: retention::stored_message(&rejection.message), ..Texts::default() },
    };
    let id = int(item.id)?;
    let (mut second, result) = match &decided {
        Ok((decided, existed)) => {
            (applied(conn.dialect(), client_id, change, decided, *existed, &texts)?, MutationResult::applied(item.id))
        }
        Err(rejection) => {
            let rejected = Statement::new(
                INSERT_REJECTION,
                [
                    client_id.into(),
                    id.into(),
                    rejection.code.as_str().into(),
                    texts.message.as_str().into(),
                    change.into(),
                    actor_json.into(),
                    int(retention::MAX_STORED_REJECTIONS_PER_ACTOR)?.into(),
                ],
            );
            (vec![rejected], MutationResult::rejected(item.id, rejection.clone()))
        }
    };
    second.push(Statement::new(SET_LAST_MUTATION, [id.into(), client_id.into()]));
    // Clearing a case's clients goes first, on its own: the writes after it may insert the
    // same rows again, and go together (each touching rows none of the others touches).
    let clears = second.iter().take_while(|statement| statement.sql == CLEAR_CASE_CLIENTS).count();
    let writes = second.split_off(clears);
    second.extend(conn.dialect().writes_together(writes));
    second.push(Statement::new("COMMIT", []));
    conn.pipeline(&second).await?;
    Ok(Some((result, item.id)))
}

/// The texts a mutation stores, made before the statements that borrow them: an applied one's
/// state and events as JSON and the case's index entry, a rejected one's message as kept
/// (`retention`).
#[derive(Default)]
struct Texts {
    state: String,
    events: Vec<String>,
    message: String,
    index: Option<index::Entry>,
}

impl Texts {
    /// The texts of `decided`, by `engine`, of the case whose state was `before`.
    fn of(decided: &Decided, engine: &handoff_engine::Engine, before: Option<&CaseState>) -> Result<Texts, StoreError> {
        let state = serde_json::to_string(&decided.outcome.state).map_err(storage)?;
        let events =
            decided.outcome.events.iter().map(serde_json::to_string).collect::<Result<_, _>>().map_err(storage)?;
        let index = Some(index::Entry::of(engine, &decided.outcome.state, before)?);
        Ok(Texts { state, events, message: String::new(), index })
    }
}

/// The case of a locked row `(state, last_at)`, the first of `rows`, if there is one.
async fn stored_case<C: Conn>(conn: &mut C, rows: &[Row]) -> Result<Option<StoredCase>, StoreError> {
    let Some(row) = rows.first() else { return Ok(None) };
    let state = read_state(row.text(0)?)?;
    let last_at = match row.opt_text(1)? {
        Some(at) => Instant::parse(at),
        None => latest_event_time(conn, &state.case_id).await?,
    };
    Ok(Some(StoredCase { state, last_at }))
}

/// The latest time among a case's events: for a case stored by the first release, which kept
/// no `last_at` and took its events' times from the clients.
async fn latest_event_time<C: Conn>(conn: &mut C, case_id: &str) -> Result<Option<Instant>, StoreError> {
    let mut latest = None;
    for row in query(conn, CASE_EVENTS, &[case_id.into()]).await? {
        let event: serde_json::Value = serde_json::from_str(row.text(0)?).map_err(storage)?;
        let at = event.get("at").and_then(serde_json::Value::as_str).and_then(Instant::parse);
        latest = latest.max(at);
    }
    Ok(latest)
}

/// The statements that store what an applied mutation did: the case's new state and last event
/// time, its events, which clients the case is for when the mutation set them, and the case's
/// index entry (`index`). A new case
/// is inserted, never upserted: of two processes starting one case, the second fails on the key
/// and runs again, finding the case there.
fn applied<'a>(
    dialect: &'static crate::db::Dialect,
    client_id: &'a str,
    change: i64,
    decided: &'a Decided,
    existed: bool,
    texts: &'a Texts,
) -> Result<Vec<Statement<'a>>, StoreError> {
    let Decided { mutation, outcome, at } = decided;
    let case_id = mutation.case_id.as_str();
    let state = texts.state.as_str();
    // Clearing the clients of a case that had some comes first (see `decide_and_store`).
    let mut statements = Vec::new();
    if existed && decided.clients_set().is_some() {
        statements.push(Statement::new(CLEAR_CASE_CLIENTS, [case_id.into()]));
    }
    statements.push(if existed {
        Statement::new(UPDATE_CASE, [state.into(), change.into(), at.into(), case_id.into()])
    } else {
        Statement::new(dialect.insert_case, [case_id.into(), state.into(), change.into(), at.into()])
    });
    let mutation_id = int(mutation.id)?;
    let events: Vec<_> = outcome.events.iter().zip(&texts.events).collect();
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let mut params: Vec<Param<'a>> = Vec::with_capacity(chunk.len() * EVENT_COLUMNS.len());
        for (event, text) in chunk {
            let row: [Param<'a>; 7] = [
                case_id.into(),
                int(event.seq)?.into(),
                client_id.into(),
                mutation_id.into(),
                change.into(),
                text.as_str().into(),
                mutation.at.as_str().into(),
            ];
            params.extend(row);
        }
        statements.push(Statement::new(insert_rows("events", EVENT_COLUMNS, chunk.len()), params));
    }
    if let Some(clients) = decided.clients_set() {
        for client in clients {
            statements.push(Statement::new(INSERT_CASE_CLIENT, [client.into(), case_id.into()]));
        }
    }
    statements.extend(texts.index.iter().flat_map(index::Entry::statements));
    Ok(statements)
}

/// The pull's answer from one read transaction's snapshot, in one pipeline, and the number its
/// cookie began at, below which the client holds every rejection (`None` for a first pull, and
/// for a pull of named cases, which deletes nothing: its cookie only comes back). The
/// queries use the cookie's numbers before the horizon has said whether the server gave it; one
/// it did not give is refused after.
///
/// A page (`sync::Page`) is the `limit` cases after the cookie's place, read one more to tell
/// whether more follow, and on a later page the cases that changed at a place already passed. A
/// pull of named cases (`caseIds`) answers those the actor may see, and the cookie it was sent.
async fn pull_on<C: Conn>(
    conn: &mut C,
    actor: &Actor,
    request: &PullRequest,
) -> Result<(PullResponse, Option<i64>), StoreError> {
    let dialect = conn.dialect();
    let client_id = request.client_id.as_str();
    let cookie_given = request.cookie.as_deref();
    // A number past the database's integers is no cookie this server gave.
    let from = read_cookie(cookie_given, u64::try_from(i64::MAX).unwrap_or(0))?;
    let since = int(from.since())?;
    let (after_change, after_seq) = (int(from.after().0)?, int(from.after().1)?);
    let limit = page_limit(request.limit);
    let scope = pull_scope(actor);
    let mut named: Vec<&str> = request.case_ids.iter().flatten().map(String::as_str).collect();
    named.sort_unstable();
    named.dedup();
    let mut statements = vec![
        Statement::new(dialect.begin_read, []),
        // First, so that the snapshot is the horizon's.
        Statement::new(dialect.horizon, []),
        Statement::new(READ_CLIENT, [client_id.into()]),
        Statement::new(CHANGED_REJECTIONS, [client_id.into(), since.into()]),
        Statement::new(config::CONFIG_CURRENT, []),
    ];
    let read_one = int(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))?;
    match (&request.case_ids, scope) {
        (_, PullScope::Nothing) => {}
        (Some(_), PullScope::Every) => {
            statements.extend(named.iter().map(|id| Statement::new(CASE_BY_ID, [(*id).into()])));
        }
        (Some(_), PullScope::ClientOf(client)) => {
            statements
                .extend(named.iter().map(|id| Statement::new(CASE_BY_ID_OF_CLIENT, [(*id).into(), client.into()])));
        }
        (None, PullScope::Every) => {
            statements.push(Statement::new(CASES_AFTER, [after_change.into(), after_seq.into(), read_one.into()]));
        }
        (None, PullScope::ClientOf(client)) => statements.push(Statement::new(
            CASES_AFTER_OF_CLIENT,
            [after_change.into(), after_seq.into(), client.into(), read_one.into()],
        )),
    }
    let passed = match (&request.case_ids, from, scope) {
        (None, PullFrom::Page(page), PullScope::Every) => {
            Some(Statement::new(CASES_PASSED, [int(page.horizon)?.into(), after_change.into(), after_seq.into()]))
        }
        (None, PullFrom::Page(page), PullScope::ClientOf(client)) => Some(Statement::new(
            CASES_PASSED_OF_CLIENT,
            [int(page.horizon)?.into(), after_change.into(), after_seq.into(), client.into()],
        )),
        _ => None,
    };
    let read_passed = passed.is_some();
    statements.extend(passed);
    statements.push(Statement::new("COMMIT", []));
    let answered = match conn.pipeline(&statements).await {
        Ok(answered) => answered,
        Err(error) => {
            roll_back(conn).await;
            return Err(error.into());
        }
    };
    let horizon = count(single(answer(&answered, HORIZON)?)?)?;
    read_cookie(cookie_given, horizon)?;
    let last_mutation_id = claim(answer(&answered, CLIENT)?, actor)?.unwrap_or(0);
    let config_version = config::version_in(answer(&answered, PULLED_CONFIG)?)?;
    let state = |row: &Row| read_state(row.text(0)?);
    let mut cases = Vec::new();
    let mut more = false;
    let mut last = None;
    match (&request.case_ids, scope) {
        (_, PullScope::Nothing) => {}
        (Some(_), _) => {
            for index in 0..named.len() {
                if let Some(row) = answer(&answered, CASES + index)?.first() {
                    cases.push(state(row)?);
                }
            }
        }
        (None, _) => {
            let rows = answer(&answered, CASES)?;
            more = rows.len() > limit;
            for row in rows.iter().take(limit) {
                cases.push(state(row)?);
                last = Some((count(row.int(1)?)?, count(row.int(2)?)?));
            }
            if read_passed {
                for row in answer(&answered, PASSED)? {
                    cases.push(state(row)?);
                }
            }
        }
    }
    let mut rejections = Vec::new();
    if !more {
        for row in answer(&answered, REJECTIONS)? {
            rejections.push(Rejection {
                id: count(row.int(0)?)?,
                code: row.text(1)?.to_owned(),
                message: row.text(2)?.to_owned(),
            });
        }
    }
    let next = match (&request.case_ids, cookie_given) {
        (Some(_), Some(given)) => given.to_owned(),
        (Some(_), None) => cookie(0),
        (None, _) => from.next_cookie(horizon, last, more),
    };
    let response = PullResponse { cookie: next, last_mutation_id, config_version, cases, rejections, more };
    // A pull of named cases is a read beside the client's pulls, which changes nothing.
    let prunes = request.case_ids.is_none() && cookie_given.is_some();
    Ok((response, prunes.then_some(since)))
}

const CASE_STATE: &str = "SELECT state FROM cases WHERE case_id = $1";
const CASE_EVENTS_IN_ORDER: &str = "SELECT event FROM events WHERE case_id = $1 ORDER BY seq";

async fn case_events_on<C: Conn>(conn: &mut C, case_id: &str) -> Result<Option<(CaseState, Vec<Event>)>, StoreError> {
    let dialect = conn.dialect();
    let statements = [
        Statement::new(dialect.begin_read, []),
        Statement::new(CASE_STATE, [case_id.into()]),
        Statement::new(CASE_EVENTS_IN_ORDER, [case_id.into()]),
        Statement::new("COMMIT", []),
    ];
    let answered = match conn.pipeline(&statements).await {
        Ok(answered) => answered,
        Err(error) => {
            roll_back(conn).await;
            return Err(error.into());
        }
    };
    let Some(row) = answer(&answered, 1)?.first() else { return Ok(None) };
    let state = read_state(row.text(0)?)?;
    let events = answer(&answered, 2)?
        .iter()
        .map(|row| serde_json::from_str::<Event>(row.text(0)?).map_err(storage))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((state, events)))
}

/// Deletes the client's rejections numbered below `since`: the cookie it sent proves an earlier
/// pull reported them.
async fn prune_rejections<C: Conn>(conn: &mut C, client_id: &str, since: i64) -> Result<(), StoreError> {
    query(conn, PRUNE_REJECTIONS, &[client_id.into(), since.into()]).await?;
    Ok(())
}
