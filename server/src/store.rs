//! SQLite storage for the sync protocol: clients and their `lastMutationId`, case states, the
//! event log, rejections, which clients each case is for, and a change counter that pull cookies
//! refer to. One writer connection (every mutation in its own `BEGIN IMMEDIATE` transaction,
//! which reads the client's counter too, so commands on a case are serialized and a retry is a
//! duplicate) and one reader (WAL: pulls read a consistent snapshot while pushes commit). One
//! process per file: `lock` refuses a second.
//!
//! I/O only: the core's `sync` rules decide (whose a client id is, duplicate, next or gap, what
//! a cookie means, which cases a pull shows, each mutation), and `retention` says how many
//! rejections are kept. Errors are [`StoreError`]s: only the HTTP layer knows status codes.

use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use handoff_engine::case::{Actor, CaseState};
use handoff_engine::input::from_json;
use handoff_engine::sync::{
    admit, claim_client, cookie, decide_pushed, pull_scope, read_cookie, Admit, ClientRecord, Decided, MutationResult,
    PullRequest, PullResponse, PullScope, PushEnvelope, PushResponse, Refusal, Rejection, StoredCase,
};
use handoff_engine::time::Instant;
use handoff_engine::{Engine, HandoffError};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::retention;

/// Why a store operation failed: the protocol refuses the request, or the storage failed.
#[derive(Debug)]
pub enum StoreError {
    /// The protocol refuses the request: a client id not the caller's, a gap, a cookie the
    /// server did not give.
    Refused(Refusal),
    /// The database failed, or holds what it should not.
    Storage(String),
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        StoreError::Refused(refusal)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Refused(refusal) => fmt::Display::fmt(refusal, f),
            StoreError::Storage(detail) => write!(f, "storage: {detail}"),
        }
    }
}

fn storage(error: impl fmt::Display) -> StoreError {
    StoreError::Storage(error.to_string())
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta (key, value) VALUES ('change', 0);
    CREATE TABLE IF NOT EXISTS clients (
        client_id TEXT PRIMARY KEY, actor TEXT NOT NULL, last_mutation_id INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS cases (
        case_id TEXT PRIMARY KEY, state TEXT NOT NULL, changed INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS cases_by_change ON cases (changed);
    CREATE TABLE IF NOT EXISTS events (
        case_id TEXT NOT NULL, seq INTEGER NOT NULL, client_id TEXT NOT NULL,
        mutation_id INTEGER NOT NULL, change INTEGER NOT NULL, event TEXT NOT NULL,
        PRIMARY KEY (case_id, seq));
    CREATE TABLE IF NOT EXISTS rejections (
        client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL, code TEXT NOT NULL,
        message TEXT NOT NULL, changed INTEGER NOT NULL, PRIMARY KEY (client_id, mutation_id));
";

/// The second release's additions to a first-release file (`PRAGMA user_version` 0 → 2): the
/// client's own time of each event (`clientAt`), each case's last event time (the server's
/// times never run backwards on a case; for a first-release case it is found from its events
/// when first needed), which clients each case is for (scoped pulls), and whose each stored
/// rejection is (bounded per actor).
const UPGRADE_TO_2: &str = "
    ALTER TABLE events ADD COLUMN client_at TEXT;
    ALTER TABLE cases ADD COLUMN last_at TEXT;
    CREATE TABLE case_clients (
        client_id TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (client_id, case_id));
    ALTER TABLE rejections ADD COLUMN actor TEXT;
    CREATE INDEX rejections_by_actor ON rejections (actor);
    PRAGMA user_version = 2;
";

pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL for concurrent readers; FULL so that an acknowledged commit survives a crash.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    Ok(connection)
}

/// A case's state and the time of its last event, if the server has the case.
fn load_case(tx: &rusqlite::Transaction, case_id: &str) -> Result<Option<StoredCase>, StoreError> {
    let row: Option<(String, Option<String>)> = tx
        .query_row("SELECT state, last_at FROM cases WHERE case_id = ?1", [case_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(storage)?;
    let Some((text, last_at)) = row else { return Ok(None) };
    let state = from_json::<CaseState>(&text).map_err(storage)?;
    let last_at = match last_at {
        Some(at) => Instant::parse(&at),
        None => latest_event_time(tx, case_id)?,
    };
    Ok(Some(StoredCase { state, last_at }))
}

/// The latest time among a case's events: for a case stored by the first release, which kept
/// no `last_at` and took its events' times from the clients.
fn latest_event_time(tx: &rusqlite::Transaction, case_id: &str) -> Result<Option<Instant>, StoreError> {
    let mut statement = tx.prepare("SELECT event FROM events WHERE case_id = ?1").map_err(storage)?;
    let rows = statement.query_map([case_id], |row| row.get::<_, String>(0)).map_err(storage)?;
    let mut latest = None;
    for text in rows {
        let event: serde_json::Value = serde_json::from_str(&text.map_err(storage)?).map_err(storage)?;
        let at = event.get("at").and_then(serde_json::Value::as_str).and_then(Instant::parse);
        latest = latest.max(at);
    }
    Ok(latest)
}

/// The client's `lastMutationId`, if the server knows the client, once `sync::claim_client`
/// has found it `actor`'s.
fn client(tx: &rusqlite::Transaction, client_id: &str, actor: &Actor) -> Result<Option<u64>, StoreError> {
    let row: Option<(String, u64)> = tx
        .query_row("SELECT actor, last_mutation_id FROM clients WHERE client_id = ?1", [client_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
        .map_err(storage)?;
    let record = match row {
        Some((owner, last_mutation_id)) => {
            Some(ClientRecord { owner: from_json::<Actor>(&owner).map_err(storage)?, last_mutation_id })
        }
        None => None,
    };
    Ok(claim_client(record, actor)?)
}

/// Stores what an applied mutation did: the case's new state and last event time, its events,
/// and which clients the case is for when the mutation set them.
fn save_applied(tx: &rusqlite::Transaction, client_id: &str, change: i64, decided: &Decided) -> Result<(), StoreError> {
    let Decided { mutation, outcome, at } = decided;
    let state = serde_json::to_string(&outcome.state).map_err(storage)?;
    tx.execute(
        "INSERT INTO cases (case_id, state, changed, last_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (case_id) DO UPDATE
         SET state = excluded.state, changed = excluded.changed, last_at = excluded.last_at",
        params![mutation.case_id, state, change, at],
    )
    .map_err(storage)?;
    for event in &outcome.events {
        tx.execute(
            "INSERT INTO events (case_id, seq, client_id, mutation_id, change, event, client_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                mutation.case_id,
                event.seq,
                client_id,
                mutation.id,
                change,
                serde_json::to_string(event).map_err(storage)?,
                mutation.at,
            ],
        )
        .map_err(storage)?;
    }
    if let Some(clients) = decided.clients_set() {
        tx.execute("DELETE FROM case_clients WHERE case_id = ?1", [&mutation.case_id]).map_err(storage)?;
        for client in clients {
            tx.execute(
                "INSERT INTO case_clients (client_id, case_id) VALUES (?1, ?2)",
                params![client, mutation.case_id],
            )
            .map_err(storage)?;
        }
    }
    Ok(())
}

/// Stores a rejection for the client's next pull, within `retention`'s budget for its actor.
fn save_rejection(
    tx: &rusqlite::Transaction,
    client_id: &str,
    actor_json: &str,
    id: u64,
    change: i64,
    rejection: &HandoffError,
) -> Result<(), StoreError> {
    let stored: u64 = tx
        .query_row("SELECT COUNT(*) FROM rejections WHERE actor = ?1", [actor_json], |r| r.get(0))
        .map_err(storage)?;
    if retention::keeps_another(stored) {
        tx.execute(
            "INSERT INTO rejections (client_id, mutation_id, code, message, changed, actor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                client_id,
                id,
                rejection.code.as_str(),
                retention::stored_message(&rejection.message),
                change,
                actor_json
            ],
        )
        .map_err(storage)?;
    }
    Ok(())
}

/// The cases changed after change `after` that `scope` shows.
fn changed_cases(tx: &rusqlite::Transaction, scope: PullScope, after: i64) -> Result<Vec<CaseState>, StoreError> {
    fn state(row: &rusqlite::Row) -> rusqlite::Result<String> {
        row.get(0)
    }
    let mut statement;
    let rows = match scope {
        PullScope::Every => {
            statement = tx.prepare("SELECT state FROM cases WHERE changed > ?1 ORDER BY case_id").map_err(storage)?;
            statement.query_map(params![after], state)
        }
        PullScope::ClientOf(client) => {
            statement = tx
                .prepare(
                    "SELECT c.state FROM cases c JOIN case_clients k ON k.case_id = c.case_id
                     WHERE c.changed > ?1 AND k.client_id = ?2 ORDER BY c.case_id",
                )
                .map_err(storage)?;
            statement.query_map(params![after, client], state)
        }
        PullScope::Nothing => return Ok(Vec::new()),
    }
    .map_err(storage)?;
    let mut cases = Vec::new();
    for text in rows {
        cases.push(from_json::<CaseState>(&text.map_err(storage)?).map_err(storage)?);
    }
    Ok(cases)
}

/// The server's clock, to the millisecond.
fn now() -> Instant {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Instant { seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX), nanos: since.subsec_millis() * 1_000_000 }
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let writer = open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        writer.execute_batch(SCHEMA).map_err(|e| format!("cannot create the schema: {e}"))?;
        let version: i64 = writer
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| format!("cannot read the schema: {e}"))?;
        if version < 2 {
            writer
                .execute_batch(&format!("BEGIN IMMEDIATE; {UPGRADE_TO_2} COMMIT;"))
                .map_err(|e| format!("cannot upgrade the schema: {e}"))?;
        }
        let reader = open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok(Store { writer: Mutex::new(writer), reader: Mutex::new(reader) })
    }

    /// Handles a push's mutations in order, each in its own transaction, which also reads the
    /// client's `lastMutationId`: a retry racing its original is a duplicate, never a second
    /// application. Each mutation is read from its text once, when it is decided: one that does
    /// not read as a mutation is rejected as `invalid-input` and still advances the counter. Each
    /// is decided at the server's time (never the client's `at`, which is kept as `clientAt`).
    pub fn push(&self, engine: &Engine, actor: &Actor, push: &PushEnvelope) -> Result<PushResponse, StoreError> {
        let client_id = push.client_id.as_str();
        let mut connection = self.writer.lock().map_err(storage)?;
        let actor_json = serde_json::to_string(actor).map_err(storage)?;
        // Refused even with nothing to push: a client id is bound to its first user (each
        // mutation's own transaction checks it again, so this read is only for an empty push).
        let mut last = 0;
        if push.mutations.is_empty() {
            last = client(&connection.transaction().map_err(storage)?, client_id, actor)?.unwrap_or(0);
        }
        let mut results = Vec::with_capacity(push.mutations.len());
        for item in &push.mutations {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let known = client(&tx, client_id, actor)?;
            last = known.unwrap_or(0);
            match admit(client_id, known, item.id)? {
                Admit::Duplicate => {
                    results.push(MutationResult::duplicate(item.id));
                    continue;
                }
                Admit::Next => {}
            }
            let change: i64 = tx
                .query_row("UPDATE meta SET value = value + 1 WHERE key = 'change' RETURNING value", [], |r| r.get(0))
                .map_err(storage)?;
            let result = match decide_pushed(engine, item, actor, now(), |case_id| load_case(&tx, case_id))? {
                Ok(decided) => {
                    save_applied(&tx, client_id, change, &decided)?;
                    MutationResult::applied(item.id)
                }
                Err(rejection) => {
                    save_rejection(&tx, client_id, &actor_json, item.id, change, &rejection)?;
                    MutationResult::rejected(item.id, rejection)
                }
            };
            tx.execute(
                "INSERT INTO clients (client_id, actor, last_mutation_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id",
                params![client_id, actor_json, item.id],
            )
            .map_err(storage)?;
            tx.commit().map_err(storage)?;
            results.push(result);
            last = item.id;
        }
        Ok(PushResponse { last_mutation_id: last, results })
    }

    /// Cases changed since the request's cookie (all when it is null) and this client's
    /// rejections since then, read from one snapshot. Rejections that an earlier pull reported
    /// (the client sends that pull's cookie back) are deleted, so that no client can grow the
    /// database without bound.
    pub fn pull(&self, actor: &Actor, request: &PullRequest, config_version: u64) -> Result<PullResponse, StoreError> {
        let (response, since) = self.read_pull(actor, request, config_version)?;
        if let Some(since) = since {
            let connection = self.writer.lock().map_err(storage)?;
            connection
                .execute(
                    "DELETE FROM rejections WHERE client_id = ?1 AND changed <= ?2",
                    params![request.client_id, since],
                )
                .map_err(storage)?;
        }
        Ok(response)
    }

    /// The pull's answer from one snapshot, and the change its cookie continues after.
    fn read_pull(
        &self,
        actor: &Actor,
        request: &PullRequest,
        config_version: u64,
    ) -> Result<(PullResponse, Option<i64>), StoreError> {
        let client_id = request.client_id.as_str();
        let mut connection = self.reader.lock().map_err(storage)?;
        let tx = connection.transaction().map_err(storage)?;
        let counter: u64 =
            tx.query_row("SELECT value FROM meta WHERE key = 'change'", [], |r| r.get(0)).map_err(storage)?;
        let since = read_cookie(request.cookie.as_deref(), counter)?.map(i64::try_from).transpose().map_err(storage)?;
        let last_mutation_id = client(&tx, client_id, actor)?.unwrap_or(0);
        // Changes count from 1: after -1 is everything.
        let after = since.unwrap_or(-1);
        let cases = changed_cases(&tx, pull_scope(actor), after)?;
        let mut statement = tx
            .prepare("SELECT mutation_id, code, message FROM rejections WHERE client_id = ?1 AND changed > ?2 ORDER BY mutation_id")
            .map_err(storage)?;
        let rejections = statement
            .query_map(params![client_id, after], |row| {
                Ok(Rejection { id: row.get(0)?, code: row.get(1)?, message: row.get(2)? })
            })
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        let response = PullResponse { cookie: cookie(counter), last_mutation_id, config_version, cases, rejections };
        Ok((response, since))
    }
}
