//! SQLite storage for the sync protocol: clients and their `lastMutationId`, case states, the
//! event log, rejections, and a change counter that pull cookies refer to. One writer connection
//! (every mutation in its own `BEGIN IMMEDIATE` transaction, so commands on a case are serialized)
//! and one reader (WAL: pulls read a consistent snapshot while pushes commit).
//!
//! Holds no business rule: `sync::arrival` and `sync::decide_mutation` decide.

use std::path::Path;
use std::sync::Mutex;

use handoff_engine::case::{Actor, CaseState};
use handoff_engine::input::from_json;
use handoff_engine::sync::{
    arrival, decide_mutation, Arrival, Mutation, MutationResult, MutationStatus, PullResponse, PushResponse, Rejection,
};
use handoff_engine::Engine;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use crate::api::ApiError;

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

fn load_case(tx: &rusqlite::Transaction, case_id: &str) -> Result<Option<CaseState>, ApiError> {
    let text: Option<String> = tx
        .query_row("SELECT state FROM cases WHERE case_id = ?1", [case_id], |r| r.get(0))
        .optional()
        .map_err(storage)?;
    text.map(|text| from_json::<CaseState>(&text).map_err(storage)).transpose()
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let writer = open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        writer.execute_batch(SCHEMA).map_err(|e| format!("cannot create the schema: {e}"))?;
        let reader = open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok(Store { writer: Mutex::new(writer), reader: Mutex::new(reader) })
    }

    /// Handles a push's mutations in order, each in its own transaction. `mutations` are the raw
    /// values of the request (each with a numeric `id`): one that does not read as a mutation
    /// is rejected as `invalid-input` and still advances the counter.
    pub fn push(
        &self,
        engine: &Engine,
        client_id: &str,
        actor: &Actor,
        mutations: &[(u64, Value)],
    ) -> Result<PushResponse, ApiError> {
        let mut connection = self.writer.lock().map_err(storage)?;
        let actor_json = serde_json::to_string(actor).map_err(storage)?;
        let client: Option<(String, u64)> = connection
            .query_row("SELECT actor, last_mutation_id FROM clients WHERE client_id = ?1", [client_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(storage)?;
        if client.as_ref().is_some_and(|(owner, _)| *owner != actor_json) {
            return Err(ApiError::not_permitted("This client id belongs to another user."));
        }
        let mut last = client.as_ref().map_or(0, |(_, last)| *last);
        let mut known = client.is_some();
        let mut results = Vec::with_capacity(mutations.len());
        for (id, raw) in mutations {
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
                Arrival::Gap if !known => {
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
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
            let change: i64 = tx
                .query_row("UPDATE meta SET value = value + 1 WHERE key = 'change' RETURNING value", [], |r| r.get(0))
                .map_err(storage)?;
            let decided = match from_json::<Mutation>(&raw.to_string()) {
                Err(malformed) => Err(malformed),
                Ok(mutation) => {
                    let current = load_case(&tx, &mutation.case_id)?;
                    decide_mutation(engine, &mutation, current.as_ref(), actor).map(|outcome| (mutation, outcome))
                }
            };
            let result = match decided {
                Ok((mutation, outcome)) => {
                    let state = serde_json::to_string(&outcome.state).map_err(storage)?;
                    tx.execute(
                        "INSERT INTO cases (case_id, state, changed) VALUES (?1, ?2, ?3)
                         ON CONFLICT (case_id) DO UPDATE SET state = excluded.state, changed = excluded.changed",
                        params![mutation.case_id, state, change],
                    )
                    .map_err(storage)?;
                    for event in &outcome.events {
                        tx.execute(
                            "INSERT INTO events (case_id, seq, client_id, mutation_id, change, event)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![
                                mutation.case_id,
                                event.seq,
                                client_id,
                                id,
                                change,
                                serde_json::to_string(event).map_err(storage)?
                            ],
                        )
                        .map_err(storage)?;
                    }
                    MutationResult { id: *id, status: MutationStatus::Applied, code: None, message: None }
                }
                Err(rejection) => {
                    tx.execute(
                        "INSERT INTO rejections (client_id, mutation_id, code, message, changed) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![client_id, id, rejection.code.as_str(), rejection.message, change],
                    )
                    .map_err(storage)?;
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
            known = true;
        }
        Ok(PushResponse { last_mutation_id: last, results })
    }

    /// Cases changed since `cookie` (all when `None`) and this client's rejections since then,
    /// read from one snapshot.
    pub fn pull(
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
        let since: i64 = match cookie {
            None => -1,
            Some(text) => {
                let since: u64 =
                    text.parse().map_err(|_| ApiError::invalid_request("The cookie is not one this server gave."))?;
                if since > current {
                    return Err(ApiError::client_state_not_found(
                        "The cookie is newer than this server's state; start over with a new client id.",
                    ));
                }
                i64::try_from(since).map_err(storage)?
            }
        };
        let client: Option<(String, u64)> = tx
            .query_row("SELECT actor, last_mutation_id FROM clients WHERE client_id = ?1", [client_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(storage)?;
        let actor_json = serde_json::to_string(actor).map_err(storage)?;
        if client.as_ref().is_some_and(|(owner, _)| *owner != actor_json) {
            return Err(ApiError::not_permitted("This client id belongs to another user."));
        }
        let mut cases = Vec::new();
        let mut statement =
            tx.prepare("SELECT state FROM cases WHERE changed > ?1 ORDER BY case_id").map_err(storage)?;
        let rows = statement.query_map([since], |row| row.get::<_, String>(0)).map_err(storage)?;
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
        Ok(PullResponse {
            cookie: current.to_string(),
            last_mutation_id: client.map_or(0, |(_, last)| last),
            config_version,
            cases,
            rejections,
        })
    }
}
