//! SQLite storage for the sync protocol: clients and their `lastMutationId`, case states, the
//! event log, rejections, which clients each case is for, and a change counter that pull cookies
//! refer to. One writer connection (every mutation in its own `BEGIN IMMEDIATE` transaction,
//! which reads the client's counter too, so commands on a case are serialized and a retry is a
//! duplicate) and one reader (WAL: pulls read a consistent snapshot while pushes commit). One
//! process per file: `lock` refuses a second.
//!
//! Holds no business rule: `sync::arrival` and `sync::decide_mutation` decide, and `retention`
//! says how many rejections are kept.

use std::path::Path;
use std::sync::Mutex;

use handoff_engine::case::{Actor, CaseState, Change};
use handoff_engine::input::from_json;
use handoff_engine::sync::{
    arrival, decide_mutation_at, decision_time, Arrival, Mutation, MutationResult, MutationStatus, PullResponse,
    PushResponse, Rejection,
};
use handoff_engine::time::Instant;
use handoff_engine::Engine;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::api::ApiError;
use crate::retention;

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

fn storage(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("storage: {error}"))
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
fn load_case(tx: &rusqlite::Transaction, case_id: &str) -> Result<Option<(CaseState, Option<Instant>)>, ApiError> {
    let row: Option<(String, Option<String>)> = tx
        .query_row("SELECT state, last_at FROM cases WHERE case_id = ?1", [case_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(storage)?;
    let Some((text, last_at)) = row else { return Ok(None) };
    let state = from_json::<CaseState>(&text).map_err(storage)?;
    let last = match last_at {
        Some(at) => Instant::parse(&at),
        None => latest_event_time(tx, case_id)?,
    };
    Ok(Some((state, last)))
}

/// The latest time among a case's events: for a case stored by the first release, which kept
/// no `last_at` and took its events' times from the clients.
fn latest_event_time(tx: &rusqlite::Transaction, case_id: &str) -> Result<Option<Instant>, ApiError> {
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

/// The client's owner and `lastMutationId`, if the server knows the client; refused when the
/// client id belongs to someone else.
fn client(tx: &rusqlite::Transaction, client_id: &str, actor_json: &str) -> Result<Option<u64>, ApiError> {
    let client: Option<(String, u64)> = tx
        .query_row("SELECT actor, last_mutation_id FROM clients WHERE client_id = ?1", [client_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
        .map_err(storage)?;
    match client {
        Some((owner, _)) if owner != actor_json => {
            Err(ApiError::not_permitted("This client id belongs to another user."))
        }
        Some((_, last)) => Ok(Some(last)),
        None => Ok(None),
    }
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
    /// application. `mutations` are each mutation's id and text: one that does not read as a
    /// mutation is rejected as `invalid-input` and still advances the counter. Each is decided
    /// at the server's time (never the client's `at`, which is kept as `clientAt`).
    pub fn push(
        &self,
        engine: &Engine,
        client_id: &str,
        actor: &Actor,
        mutations: &[(u64, String)],
    ) -> Result<PushResponse, ApiError> {
        let mut connection = self.writer.lock().map_err(storage)?;
        let actor_json = serde_json::to_string(actor).map_err(storage)?;
        // Refused even with nothing to push: a client id is bound to its first user (each
        // mutation's own transaction checks it again, so this read is only for an empty push).
        let mut last = 0;
        if mutations.is_empty() {
            last = client(&connection.transaction().map_err(storage)?, client_id, &actor_json)?.unwrap_or(0);
        }
        let mut results = Vec::with_capacity(mutations.len());
        for (id, text) in mutations {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let known = client(&tx, client_id, &actor_json)?;
            last = known.unwrap_or(0);
            match arrival(last, *id) {
                Arrival::Duplicate => {
                    results.push(MutationResult {
                        id: *id,
                        status: MutationStatus::Duplicate,
                        code: None,
                        message: None,
                    });
                    continue;
                }
                Arrival::Gap if known.is_none() => {
                    return Err(ApiError::client_state_not_found(format!(
                        "This server has no record of client {client_id}; start over with a new client id."
                    )));
                }
                Arrival::Gap => {
                    return Err(ApiError::mutation_gap(format!(
                        "Mutation {id} arrived, but the last one handled was {last}."
                    )));
                }
                Arrival::Next => {}
            }
            let change: i64 = tx
                .query_row("UPDATE meta SET value = value + 1 WHERE key = 'change' RETURNING value", [], |r| r.get(0))
                .map_err(storage)?;
            let decided = match from_json::<Mutation>(text) {
                Err(malformed) => Err(malformed),
                Ok(mutation) => {
                    let current = load_case(&tx, &mutation.case_id)?;
                    let (state, last_at) = current.map_or((None, None), |(state, at)| (Some(state), at));
                    let at = decision_time(now(), last_at).utc_text();
                    decide_mutation_at(engine, &mutation, state.as_ref(), actor, &at)
                        .map(|outcome| (mutation, outcome, at))
                }
            };
            let result = match decided {
                Ok((mutation, outcome, at)) => {
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
                                id,
                                change,
                                serde_json::to_string(event).map_err(storage)?,
                                mutation.at,
                            ],
                        )
                        .map_err(storage)?;
                    }
                    let clients_changed = outcome
                        .events
                        .iter()
                        .any(|e| matches!(e.change, Change::CaseStarted { .. } | Change::ClientsSet { .. }));
                    if clients_changed {
                        tx.execute("DELETE FROM case_clients WHERE case_id = ?1", [&mutation.case_id])
                            .map_err(storage)?;
                        for client in &outcome.state.clients {
                            tx.execute(
                                "INSERT INTO case_clients (client_id, case_id) VALUES (?1, ?2)",
                                params![client, mutation.case_id],
                            )
                            .map_err(storage)?;
                        }
                    }
                    MutationResult { id: *id, status: MutationStatus::Applied, code: None, message: None }
                }
                Err(rejection) => {
                    let stored: u64 = tx
                        .query_row("SELECT COUNT(*) FROM rejections WHERE actor = ?1", [&actor_json], |r| r.get(0))
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
                    MutationResult {
                        id: *id,
                        status: MutationStatus::Rejected,
                        code: Some(rejection.code.as_str().to_owned()),
                        message: Some(rejection.message),
                    }
                }
            };
            tx.execute(
                "INSERT INTO clients (client_id, actor, last_mutation_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id",
                params![client_id, actor_json, id],
            )
            .map_err(storage)?;
            tx.commit().map_err(storage)?;
            results.push(result);
            last = *id;
        }
        Ok(PushResponse { last_mutation_id: last, results })
    }

    /// Cases changed since `cookie` (all when `None`) and this client's rejections since then,
    /// read from one snapshot. A client actor gets only the cases it is a client of. A cookie
    /// this server did not give is 410: the client starts over rather than failing for good.
    /// Rejections that an earlier pull reported (the client sends that pull's cookie back) are
    /// deleted, so that no client can grow the database without bound.
    pub fn pull(
        &self,
        client_id: &str,
        actor: &Actor,
        cookie: Option<&str>,
        config_version: u64,
    ) -> Result<PullResponse, ApiError> {
        let response = self.read_pull(client_id, actor, cookie, config_version)?;
        if let Some(since) = cookie.and_then(|c| c.parse::<i64>().ok()) {
            let connection = self.writer.lock().map_err(storage)?;
            connection
                .execute("DELETE FROM rejections WHERE client_id = ?1 AND changed <= ?2", params![client_id, since])
                .map_err(storage)?;
        }
        Ok(response)
    }

    fn read_pull(
        &self,
        client_id: &str,
        actor: &Actor,
        cookie: Option<&str>,
        config_version: u64,
    ) -> Result<PullResponse, ApiError> {
        let mut connection = self.reader.lock().map_err(storage)?;
        let tx = connection.transaction().map_err(storage)?;
        let current: u64 =
            tx.query_row("SELECT value FROM meta WHERE key = 'change'", [], |r| r.get(0)).map_err(storage)?;
        let unknown = || {
            ApiError::client_state_not_found("This server did not give that cookie; start over with a new client id.")
        };
        let since: i64 = match cookie {
            None => -1,
            Some(text) => {
                let since = text.parse::<u64>().map_err(|_| unknown())?;
                if since > current || text != since.to_string() {
                    return Err(unknown());
                }
                i64::try_from(since).map_err(storage)?
            }
        };
        let actor_json = serde_json::to_string(actor).map_err(storage)?;
        let last_mutation_id = client(&tx, client_id, &actor_json)?.unwrap_or(0);
        let mut cases = Vec::new();
        let (query, scope) = match actor.client_id() {
            Some(id) => (
                "SELECT c.state FROM cases c JOIN case_clients k ON k.case_id = c.case_id
                 WHERE c.changed > ?1 AND k.client_id = ?2 ORDER BY c.case_id",
                id.unwrap_or_default(),
            ),
            None => ("SELECT state FROM cases WHERE changed > ?1 AND ?2 = '' ORDER BY case_id", ""),
        };
        let mut statement = tx.prepare(query).map_err(storage)?;
        let rows = statement.query_map(params![since, scope], |row| row.get::<_, String>(0)).map_err(storage)?;
        for text in rows {
            cases.push(from_json::<CaseState>(&text.map_err(storage)?).map_err(storage)?);
        }
        let mut statement = tx
            .prepare("SELECT mutation_id, code, message FROM rejections WHERE client_id = ?1 AND changed > ?2 ORDER BY mutation_id")
            .map_err(storage)?;
        let rejections = statement
            .query_map(params![client_id, since], |row| {
                Ok(Rejection { id: row.get(0)?, code: row.get(1)?, message: row.get(2)? })
            })
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        Ok(PullResponse { cookie: current.to_string(), last_mutation_id, config_version, cases, rejections })
    }
}
