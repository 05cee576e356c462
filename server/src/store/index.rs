//! The index of open cases (SPEC §10, §11): what `/stuck`, `/reassign`, `/migrate` and the
//! scheduler look up instead of reading every case's state. Two tables (migrations 5 and 6):
//!
//! - `open_cases`: a row per open case, with its workflow and version (which cases a migration
//!   moves), its stuck work as the core finds it (`stuck`, the case's findings as JSON, `NULL`
//!   when it has none; a partial index holds the stuck ones, so `/stuck` reads only those), and
//!   its next deadline (`next_deadline`, `Engine::next_deadline` in milliseconds since 1970,
//!   rounded up, `NULL` when none; on a partial index, so the scheduler reads only the due ones).
//! - `case_members`: which members each open case names anywhere in its state
//!   (`CaseState::each_party`: owner, case roles, assignees, the pending and the last handoff),
//!   so that a reassignment reads only the cases of the member it moves work away from. A
//!   superset of what the planner moves; the planner decides.
//!
//! Both are rewritten in the transaction of every case write (a push, a reassignment, a
//! migration, a tick), from the new state and with the configuration that decided it; a configuration
//! change recomputes the stuck work of every open case it read and rewrites the rows that
//! differ. A closed case has no rows: closed cases are never stuck. A database from before the
//! index (or a seeded one) is indexed once at start ([`build_on`]).
//!
//! I/O and bookkeeping only: what is stuck is `Engine::find_stuck_work`'s answer, and what is
//! next due `Engine::next_deadline`'s.

use std::collections::{BTreeMap, BTreeSet};

use handoff_engine::case::CaseState;
use handoff_engine::model::PartyKind;
use handoff_engine::stuck::StuckWork;
use handoff_engine::time::Instant;
use handoff_engine::Engine;

use super::config::{self, Configs};
use super::{answer, query, read_state, roll_back, single, storage, StoreError};
use crate::db::{Conn, Statement};

const UPSERT_OPEN: &str = "INSERT INTO open_cases (case_id, workflow_id, workflow_version, stuck, next_deadline)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO UPDATE SET workflow_id = excluded.workflow_id,
     workflow_version = excluded.workflow_version, stuck = excluded.stuck, next_deadline = excluded.next_deadline";
const DELETE_OPEN: &str = "DELETE FROM open_cases WHERE case_id = $1";
const DELETE_MEMBER: &str = "DELETE FROM case_members WHERE case_id = $1 AND member_id = $2";
const INSERT_MEMBER: &str =
    "INSERT INTO case_members (member_id, case_id) VALUES ($1, $2) ON CONFLICT (member_id, case_id) DO NOTHING";
/// Every stuck case's findings, in the order of their case ids (on the partial index).
pub(super) const STUCK_ROWS: &str = "SELECT case_id, stuck FROM open_cases WHERE stuck IS NOT NULL ORDER BY case_id";
const SET_STUCK: &str = "UPDATE open_cases SET stuck = $1 WHERE case_id = $2";
/// The open cases that name a member, locked in the order of their ids (every bulk operation
/// locks cases in that order, so two never wait on each other in a circle).
pub(super) const LOCK_CASES_NAMING: &str = "SELECT state, last_at FROM cases
     WHERE case_id IN (SELECT case_id FROM case_members WHERE member_id = $1) ORDER BY case_id FOR UPDATE";
/// The next open cases of a workflow version after a case id, at most `$4`, locked in order.
pub(super) const LOCK_CASES_ON_VERSION: &str = "SELECT state, last_at FROM cases WHERE case_id IN
     (SELECT case_id FROM open_cases WHERE workflow_id = $1 AND workflow_version = $2 AND case_id > $3
      ORDER BY case_id LIMIT $4) ORDER BY case_id FOR UPDATE";
/// The open cases whose next deadline is at or before `$1`, after the place `($2, $3)` in the
/// order of `(next_deadline, case_id)`, at most `$4`, locked: `(state, last_at, next_deadline,
/// case_id)`. A case whose row another transaction holds (PostgreSQL: a command under way, or
/// another process's scheduler) is skipped, not waited for: its holder rewrites its entry, and
/// a deadline still passed after it is found by the next round.
pub(super) const LOCK_DUE: &str = "SELECT c.state, c.last_at, o.next_deadline, o.case_id
     FROM open_cases o JOIN cases c ON c.case_id = o.case_id
     WHERE o.next_deadline <= $1 AND (o.next_deadline, o.case_id) > ($2, $3)
     ORDER BY o.next_deadline, o.case_id LIMIT $4 FOR UPDATE OF c SKIP LOCKED";
/// Whether any open case is due at `$1`: a read that lets a round with nothing due write nothing.
pub(super) const ANY_DUE: &str = "SELECT COUNT(*) FROM
     (SELECT 1 FROM open_cases WHERE next_deadline <= $1 LIMIT 1) AS due";
const INDEXED: &str = "SELECT value FROM meta WHERE key = 'case_index'";
const SET_INDEXED: &str = "UPDATE meta SET value = 1 WHERE key = 'case_index'";

/// The members a state names (`CaseState::each_party`), each once.
fn members(state: &CaseState) -> BTreeSet<&str> {
    let mut named = BTreeSet::new();
    state.each_party(|kind, id| {
        if kind == PartyKind::Member {
            named.insert(id);
        }
    });
    named
}

/// A case's next deadline as the index keeps it (`Engine::next_deadline`): milliseconds since
/// 1970, rounded up, so that a case whose entry is at or before the clock's milliseconds has
/// passed its deadline (a tick is late, never early).
fn deadline_millis(engine: &Engine, state: &CaseState) -> Option<i64> {
    let at = Instant::parse(&engine.next_deadline(state)?)?;
    let millis = at.seconds.checked_mul(1_000)?.checked_add(i64::from(at.nanos.div_ceil(1_000_000)))?;
    Some(millis)
}

/// An instant as the index compares it with deadlines: milliseconds since 1970, rounded down.
pub(super) fn millis(at: Instant) -> i64 {
    at.seconds.saturating_mul(1_000).saturating_add(i64::from(at.nanos / 1_000_000))
}

/// A case's stuck findings as stored: `None` when it has none.
fn findings_text(findings: &[&StuckWork]) -> Result<Option<String>, StoreError> {
    if findings.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(findings).map(Some).map_err(storage)
}

/// What the index holds of one case after a write, made before the statements that borrow it.
pub(super) struct Entry {
    case_id: String,
    /// `None` for a closed case.
    open: Option<Open>,
    /// The members the case names now and did not before, and those it no longer names: each
    /// write touches rows no other one touches, so a dialect may run them as one statement.
    added: Vec<String>,
    removed: Vec<String>,
}

struct Open {
    workflow_id: String,
    version: i64,
    stuck: Option<String>,
    next_deadline: Option<i64>,
}

impl Entry {
    /// The entry of `state`, just decided by `engine`; `before` is the state it replaces
    /// (`None` for a new case, or one the index does not hold yet).
    pub(super) fn of(engine: &Engine, state: &CaseState, before: Option<&CaseState>) -> Result<Entry, StoreError> {
        let case_id = state.case_id.clone();
        let was = before.map(members).unwrap_or_default();
        let (open, now) = if state.closed {
            (None, BTreeSet::new())
        } else {
            let found = engine.find_stuck_work(std::slice::from_ref(state));
            let stuck = findings_text(&found.iter().collect::<Vec<_>>())?;
            let version = i64::from(state.workflow_version);
            let next_deadline = deadline_millis(engine, state);
            (Some(Open { workflow_id: state.workflow_id.clone(), version, stuck, next_deadline }), members(state))
        };
        let added = now.difference(&was).map(|id| (*id).to_owned()).collect();
        let removed = was.difference(&now).map(|id| (*id).to_owned()).collect();
        Ok(Entry { case_id, open, added, removed })
    }

    /// The case's next deadline as the index keeps it (`None` for a closed case too).
    pub(super) fn next_deadline(&self) -> Option<i64> {
        self.open.as_ref().and_then(|open| open.next_deadline)
    }

    /// The statements that keep the index in step, each touching rows no other one touches.
    pub(super) fn statements(&self) -> Vec<Statement<'_>> {
        let case_id = self.case_id.as_str();
        let mut writes = Vec::new();
        for member in &self.removed {
            writes.push(Statement::new(DELETE_MEMBER, [case_id.into(), member.as_str().into()]));
        }
        for member in &self.added {
            writes.push(Statement::new(INSERT_MEMBER, [member.as_str().into(), case_id.into()]));
        }
        writes.push(match &self.open {
            Some(open) => Statement::new(
                UPSERT_OPEN,
                [
                    case_id.into(),
                    open.workflow_id.as_str().into(),
                    open.version.into(),
                    open.stuck.as_deref().into(),
                    open.next_deadline.into(),
                ],
            ),
            None => Statement::new(DELETE_OPEN, [case_id.into()]),
        });
        writes
    }
}

/// The stuck work of every open case from the index, with the `configVersion` it was found
/// under, read from one snapshot: exactly `Engine::find_stuck_work` of the open cases in the
/// order of their ids, without reading a case's state.
pub(super) async fn stuck_on<C: Conn>(conn: &mut C) -> Result<(u64, Vec<serde_json::Value>), StoreError> {
    let statements = [
        Statement::new(conn.dialect().begin_read, []),
        Statement::new(config::CONFIG_CURRENT, []),
        Statement::new(STUCK_ROWS, []),
        Statement::new("COMMIT", []),
    ];
    let answered = match conn.pipeline(&statements).await {
        Ok(answered) => answered,
        Err(error) => {
            roll_back(conn).await;
            return Err(error.into());
        }
    };
    let version = config::version_in(answer(&answered, 1)?)?;
    let mut stuck = Vec::new();
    for row in answer(&answered, 2)? {
        match serde_json::from_str(row.text(1)?).map_err(storage)? {
            serde_json::Value::Array(findings) => stuck.extend(findings),
            other => return Err(storage(format!("the stuck work of {} is {other}", row.text(0)?))),
        }
    }
    Ok((version, stuck))
}

/// The statements that bring the stored stuck work to `stuck` (the open cases' findings under
/// a new configuration, as `check_config_change` found them), writing only the cases whose
/// findings differ from those stored (`stored`: the rows of [`STUCK_ROWS`]).
pub(super) fn restuck(
    stored: &[crate::db::Row],
    stuck: &[StuckWork],
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let mut by_case: BTreeMap<&str, Vec<&StuckWork>> = BTreeMap::new();
    for finding in stuck {
        by_case.entry(finding.case_id.as_str()).or_default().push(finding);
    }
    let mut was: BTreeMap<String, String> = BTreeMap::new();
    for row in stored {
        was.insert(row.text(0)?.to_owned(), row.text(1)?.to_owned());
    }
    let mut changes = Vec::new();
    for (case_id, findings) in &by_case {
        let text = findings_text(findings)?;
        if was.remove(*case_id) != text {
            changes.push(((*case_id).to_owned(), text));
        }
    }
    changes.extend(was.into_keys().map(|case_id| (case_id, None)));
    Ok(changes)
}

/// The statements of [`restuck`]'s changes.
pub(super) fn restuck_statements(changes: &[(String, Option<String>)]) -> Vec<Statement<'_>> {
    changes
        .iter()
        .map(|(case_id, text)| Statement::new(SET_STUCK, [text.as_deref().into(), case_id.as_str().into()]))
        .collect()
}

/// Indexes every open case, once: for a database from before the index, or one seeded
/// straight into its tables (`meta.case_index` is 0 until then). In one write transaction
/// holding the configuration's row, so that of several processes starting at once one builds
/// it and the others find it built, and no case or configuration changes meanwhile.
pub(super) async fn build_on<C: Conn>(conn: &mut C, configs: &Configs) -> Result<usize, StoreError> {
    let dialect = conn.dialect();
    let first =
        [Statement::new(dialect.begin_write, []), Statement::new(config::LOCK_CONFIG, []), Statement::new(INDEXED, [])];
    let answered = match conn.pipeline(&first).await {
        Ok(answered) => answered,
        Err(error) => {
            roll_back(conn).await;
            return Err(error.into());
        }
    };
    let built = async {
        if single(answer(&answered, 2)?)? != 0 {
            return Ok(None);
        }
        let version = config::version_in(answer(&answered, 1)?)?;
        let published = config::published(conn, configs, version).await?;
        let mut entries = Vec::new();
        for row in query(conn, "SELECT state FROM cases", &[]).await? {
            let state = read_state(row.text(0)?)?;
            if !state.closed {
                entries.push(Entry::of(&published.engine, &state, None)?);
            }
        }
        let mut statements =
            vec![Statement::new("DELETE FROM open_cases", []), Statement::new("DELETE FROM case_members", [])];
        for entry in &entries {
            statements.extend(entry.statements());
        }
        statements.push(Statement::new(SET_INDEXED, []));
        statements.push(Statement::new("COMMIT", []));
        conn.pipeline(&statements).await?;
        Ok(Some(entries.len()))
    }
    .await;
    match built {
        Ok(Some(indexed)) => Ok(indexed),
        Ok(None) => {
            roll_back(conn).await;
            Ok(0)
        }
        Err(error) => {
            roll_back(conn).await;
            Err(error)
        }
    }
}
