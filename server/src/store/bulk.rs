//! Commands an admin runs over many cases (SPEC §10, §13): `POST /reassign` and `POST /migrate`.
//! The core plans and decides (`Engine::plan_reassignment`, `migrateCase` through
//! `sync::decide_pushed`, as the admin, at the server's time); this file finds the cases through
//! the index (`index`: never by reading every case), locks them, and stores each applied
//! command's state, events and index entry like any command's, so that pulls deliver them and
//! the audit trail shows them.
//!
//! - **A reassignment** is one write transaction: the configuration's row to share, the cases
//!   that name `from` locked in the order of their ids, the plan made from them, each command
//!   decided on its own (on its case's state after the commands before it), the applied ones
//!   committed together.
//! - **A migration** goes through the version's open cases in batches of [`MIGRATE_BATCH`],
//!   each one write transaction like a reassignment's, each case decided on its own: a long
//!   migration does not hold every other writer back until it ends.
//! - **A dry run** decides the same and rolls back: it answers `planned` where a real run would
//!   apply, and changes nothing.
//!
//! Their events are stored with no client: `client_id` empty and `mutation_id` 0 (no client id
//! is empty and no mutation is numbered 0), and no `client_at`. The scheduler's ticks
//! (`deadlines`) are worked and stored by the same parts.

use std::collections::BTreeMap;

use handoff_engine::case::{Actor, CaseState, Change, Command, Event, SkippedReassignment};
use handoff_engine::sync::{
    check_actor, decide_pushed, MigrateRequest, Mutation, MutationBody, ReassignRequest, StoredCase,
};
use handoff_engine::time::Instant;
use handoff_engine::{Engine, HandoffError, MigrationProblem};
use serde::Serialize;

use super::config::{self, Configs};
use super::index::{self, Entry};
use super::{
    answer, int, now, roll_back, single, storage, stored_case, StoreError, EVENTS_PER_STATEMENT, EVENT_COLUMNS,
    UPDATE_CASE,
};
use crate::db::{insert_rows, Conn, Param, Row, Statement};

/// The client id of a bulk command's events: none.
const NO_CLIENT: &str = "";

/// Cases one transaction of a migration moves at most.
pub const MIGRATE_BATCH: usize = 200;

/// What became of one command (or, for a migration, one case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Rejected,
    /// A dry run's answer where a real run would apply.
    Planned,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReassignResult {
    pub case_id: String,
    pub command: Command,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /reassign`'s answer.
#[derive(Debug, Serialize)]
pub struct ReassignAnswer {
    pub results: Vec<ReassignResult>,
    pub skipped: Vec<SkippedReassignment>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrateResult {
    pub case_id: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For `migration-invalid`: every reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<MigrationProblem>>,
    /// The steps the migration drops and adds (its `caseMigrated` event's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<Vec<String>>,
}

/// One batch of a migration: its cases' results, and the last case id it locked (`None`: no
/// case was left after the one the batch began after).
pub struct Batch {
    pub results: Vec<MigrateResult>,
    pub last_case: Option<String>,
}

/// A case being worked on in a bulk transaction: its state as stored, and as the commands
/// applied so far left it, with their events.
pub(super) struct Working {
    pub(super) before: CaseState,
    pub(super) case: StoredCase,
    events: Vec<Event>,
    /// The time of the last applied command that had events (the case's new last event time);
    /// `None` while nothing changed the case.
    at: Option<String>,
}

impl Working {
    pub(super) fn new(case: StoredCase) -> Working {
        Working { before: case.state.clone(), case, events: Vec::new(), at: None }
    }

    /// Decides `command` as `actor` on the case as it is now, and on success takes its outcome.
    pub(super) fn decide(
        &mut self,
        engine: &Engine,
        actor: &Actor,
        command: &Command,
    ) -> Result<&[Event], HandoffError> {
        let at = now();
        let mutation = Mutation {
            id: 0,
            case_id: self.case.state.case_id.clone(),
            body: MutationBody::Command(command.clone()),
            at: at.utc_text(),
        };
        let decided = decide_pushed(engine, mutation, Some(&self.case), actor, at)?;
        let from = self.events.len();
        // A command with no events (a tick with nothing due) leaves the case as it was.
        if !decided.outcome.events.is_empty() {
            self.case.state = decided.outcome.state;
            self.case.last_at = Instant::parse(&decided.at);
            self.events.extend(decided.outcome.events);
            self.at = Some(decided.at);
        }
        Ok(self.events.get(from..).unwrap_or_default())
    }
}

/// What a worked case stores, made before the statements that borrow it.
pub(super) struct Stored {
    /// The client id its events are stored with (`mutation_id` 0).
    client_id: &'static str,
    case_id: String,
    state: String,
    at: String,
    events: Vec<(i64, String)>,
    entry: Entry,
}

impl Stored {
    /// `None` for a case that no command changed. Its events go in as `client_id`'s.
    pub(super) fn of(
        engine: &Engine,
        working: &Working,
        client_id: &'static str,
    ) -> Result<Option<Stored>, StoreError> {
        let Some(at) = &working.at else { return Ok(None) };
        let state = &working.case.state;
        let events = working
            .events
            .iter()
            .map(|event| Ok((int(event.seq)?, serde_json::to_string(event).map_err(storage)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(Stored {
            client_id,
            case_id: state.case_id.clone(),
            state: serde_json::to_string(state).map_err(storage)?,
            at: at.clone(),
            events,
            entry: Entry::of(engine, state, Some(&working.before))?,
        }))
    }

    /// The case's new state, its events and its index entry (each touching rows of this case
    /// only), numbered `change`.
    pub(super) fn statements(&self, change: i64) -> Vec<Statement<'_>> {
        let case_id = self.case_id.as_str();
        let mut statements = vec![Statement::new(
            UPDATE_CASE,
            [self.state.as_str().into(), change.into(), self.at.as_str().into(), case_id.into()],
        )];
        for chunk in self.events.chunks(EVENTS_PER_STATEMENT) {
            let mut params: Vec<Param<'_>> = Vec::with_capacity(chunk.len() * EVENT_COLUMNS.len());
            for (seq, text) in chunk {
                params.extend([
                    case_id.into(),
                    (*seq).into(),
                    self.client_id.into(),
                    0.into(),
                    change.into(),
                    text.as_str().into(),
                    Param::Null,
                ]);
            }
            statements.push(Statement::new(insert_rows("events", EVENT_COLUMNS, chunk.len()), params));
        }
        statements.extend(self.entry.statements());
        statements
    }
}

/// Where each answer stands in a bulk transaction's first pipeline (after its `BEGIN`).
pub(super) const CONFIG_VERSION: usize = 1;
pub(super) const CHANGE_NUMBER: usize = 2;
pub(super) const LOCKED_CASES: usize = 3;

/// Begins a bulk write transaction: the configuration's row to share, the change's number and
/// the cases `lock` locks. Rolled back when it fails.
pub(super) async fn begin<C: Conn>(conn: &mut C, lock: Statement<'_>) -> Result<Vec<Vec<Row>>, StoreError> {
    let dialect = conn.dialect();
    let first = [
        Statement::new(dialect.begin_write, []),
        Statement::new(config::CONFIG_IN_USE, []),
        Statement::new(dialect.change_number, []),
        lock,
    ];
    match conn.pipeline(&first).await {
        Ok(answered) => Ok(answered),
        Err(error) => {
            roll_back(conn).await;
            Err(error.into())
        }
    }
}

/// Stores what the worked cases did and commits; or, for a dry run or when nothing was
/// applied, rolls back.
async fn finish<C: Conn>(
    conn: &mut C,
    engine: &Engine,
    change: i64,
    worked: &[&Working],
    dry_run: bool,
) -> Result<(), StoreError> {
    let stored = worked.iter().map(|w| Stored::of(engine, w, NO_CLIENT)).collect::<Result<Vec<_>, _>>()?;
    let stored: Vec<Stored> = stored.into_iter().flatten().collect();
    if dry_run || stored.is_empty() {
        roll_back(conn).await;
        return Ok(());
    }
    let writes: Vec<Statement<'_>> = stored.iter().flat_map(|s| s.statements(change)).collect();
    let mut statements = conn.dialect().writes_together(writes);
    statements.push(Statement::new("COMMIT", []));
    conn.pipeline(&statements).await?;
    Ok(())
}

/// The engine in use as the transaction commits, and the admin as its actor, still allowed in.
async fn decider<C: Conn>(
    conn: &mut C,
    configs: &Configs,
    by: &str,
    answered: &[Vec<Row>],
) -> Result<(std::sync::Arc<config::Published>, Actor, i64), StoreError> {
    let published = config::published(conn, configs, config::version_in(answer(answered, CONFIG_VERSION)?)?).await?;
    let actor = Actor::Member { id: by.into() };
    check_actor(&published.engine, &actor)?;
    Ok((published, actor, single(answer(answered, CHANGE_NUMBER)?)?))
}

/// The locked cases, as stored.
async fn locked<C: Conn>(conn: &mut C, rows: &[Row]) -> Result<Vec<StoredCase>, StoreError> {
    let mut cases = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(case) = stored_case(conn, std::slice::from_ref(row)).await? {
            cases.push(case);
        }
    }
    Ok(cases)
}

/// `POST /reassign` in one write transaction (see the module's comment). A request the core's
/// planner refuses (`to` not an active member other than `from`, `from` unknown) is refused
/// whole, as a malformed request.
pub(super) async fn reassign_on<C: Conn>(
    conn: &mut C,
    configs: &Configs,
    by: &str,
    request: &ReassignRequest,
) -> Result<ReassignAnswer, StoreError> {
    let answered = begin(conn, Statement::new(index::LOCK_CASES_NAMING, [request.from.as_str().into()])).await?;
    let done = async {
        let (published, actor, change) = decider(conn, configs, by, &answered).await?;
        let engine = &*published.engine;
        let mut cases = locked(conn, answer(&answered, LOCKED_CASES)?).await?;
        if let Some(only) = &request.case_ids {
            cases.retain(|case| only.contains(&case.state.case_id));
        }
        let states: Vec<CaseState> = cases.iter().map(|case| case.state.clone()).collect();
        let plan = engine.plan_reassignment(&states, &request.reassignment()).map_err(|error| {
            StoreError::Refused(handoff_engine::sync::Refusal::Malformed { message: error.into_parts().message })
        })?;
        let mut working: BTreeMap<String, Working> =
            cases.into_iter().map(|case| (case.state.case_id.clone(), Working::new(case))).collect();
        let mut results = Vec::with_capacity(plan.commands.len());
        for planned in plan.commands {
            let Some(case) = working.get_mut(&planned.case_id) else {
                return Err(storage(format!("the plan names case {}, which it was not given", planned.case_id)));
            };
            let decided = case.decide(engine, &actor, &planned.command).map(|_| ());
            results.push(ReassignResult {
                status: status(&decided, request.dry_run),
                code: decided.as_ref().err().map(|e| e.code.as_str().to_owned()),
                message: decided.err().map(|e| e.into_parts().message),
                case_id: planned.case_id,
                command: planned.command,
            });
        }
        let worked: Vec<&Working> = working.values().collect();
        finish(conn, engine, change, &worked, request.dry_run).await?;
        Ok(ReassignAnswer { results, skipped: plan.skipped })
    }
    .await;
    if done.is_err() {
        roll_back(conn).await;
    }
    done
}

fn status<T>(decided: &Result<T, HandoffError>, dry_run: bool) -> Status {
    match (decided, dry_run) {
        (Err(_), _) => Status::Rejected,
        (Ok(_), true) => Status::Planned,
        (Ok(_), false) => Status::Applied,
    }
}

/// One batch of `POST /migrate`: the next [`MIGRATE_BATCH`] open cases of the version after
/// case id `after`, each given `command` (`migrateCase`) on its own, in one write transaction.
pub(super) async fn migrate_batch_on<C: Conn>(
    conn: &mut C,
    configs: &Configs,
    by: &str,
    request: &MigrateRequest,
    command: &Command,
    after: &str,
) -> Result<Batch, StoreError> {
    let lock = Statement::new(
        index::LOCK_CASES_ON_VERSION,
        [
            request.workflow_id.as_str().into(),
            i64::from(request.from_version).into(),
            after.into(),
            int(MIGRATE_BATCH as u64)?.into(),
        ],
    );
    let answered = begin(conn, lock).await?;
    let done = async {
        let (published, actor, change) = decider(conn, configs, by, &answered).await?;
        let engine = &*published.engine;
        let cases = locked(conn, answer(&answered, LOCKED_CASES)?).await?;
        let last_case = cases.last().map(|case| case.state.case_id.clone());
        let mut results = Vec::with_capacity(cases.len());
        let mut worked = Vec::with_capacity(cases.len());
        for case in cases {
            let state = &case.state;
            // Changed since the index was read (on another process): no longer the version's.
            if state.closed
                || state.workflow_id != request.workflow_id
                || state.workflow_version != request.from_version
            {
                continue;
            }
            let mut working = Working::new(case);
            let decided = working.decide(engine, &actor, command).map(|events| {
                events.iter().find_map(|event| match &event.change {
                    Change::CaseMigrated { dropped, added, .. } => Some((dropped.clone(), added.clone())),
                    _ => None,
                })
            });
            let (dropped, added) = match &decided {
                Ok(Some((dropped, added))) => (Some(dropped.clone()), Some(added.clone())),
                _ => (None, None),
            };
            results.push(MigrateResult {
                case_id: working.case.state.case_id.clone(),
                status: status(&decided, request.dry_run),
                code: decided.as_ref().err().map(|e| e.code.as_str().to_owned()),
                problems: decided.as_ref().err().and_then(|e| e.details.problems.clone()),
                message: decided.err().map(|e| e.into_parts().message),
                dropped,
                added,
            });
            worked.push(working);
        }
        let worked: Vec<&Working> = worked.iter().collect();
        finish(conn, engine, change, &worked, request.dry_run).await?;
        Ok(Batch { results, last_case })
    }
    .await;
    if done.is_err() {
        roll_back(conn).await;
    }
    done
}
