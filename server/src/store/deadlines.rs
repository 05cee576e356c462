//! The scheduler's ticks (SPEC §11, §13): the open cases whose next deadline has passed, found
//! through the index (`index::LOCK_DUE`, never by reading every case), each given `{ type:
//! "tick" }` as the system actor at the server's time, and stored like any command.
//!
//! - **A batch** is one write transaction, like a bulk command's (`bulk::begin`): the
//!   configuration's row to share, the change's number, and the next [`TICK_BATCH`] due cases
//!   locked. Each case is decided on its own (`sync::decide_pushed`, at the later of the clock
//!   and the case's last event time); the ticks that had events are stored with them and the
//!   case's index entry, numbered like any change, and commit together. A round goes through
//!   the due cases in batches, in the order of `(next_deadline, case_id)`.
//! - **Once each**: a case is decided on its state as locked, so a tick that another process (or
//!   a command) acted on a moment before finds nothing due and has no events. On PostgreSQL the
//!   due cases are locked `SKIP LOCKED`: several processes ticking at once take different cases.
//! - **A tick with no events writes nothing**, but an index entry that no longer says what the
//!   state does (its deadline changed under a command another process was writing as the round
//!   read the index) is rewritten, so the next round does not find the case again.
//! - A tick the core refuses (a state that does not fit its workflow version) is reported to the
//!   log and left: the next round tries again, as the configuration may have been fixed.
//!
//! Tick events are stored with the client id [`SCHEDULER_CLIENT`] and `mutation_id` 0: no
//! client's mutation is numbered 0, so they are never taken for one. Their actor is the
//! event's own, `{ "kind": "system" }`.

use handoff_engine::case::{Actor, Command};

use super::bulk::{self, Stored, Working, CHANGE_NUMBER, CONFIG_VERSION, LOCKED_CASES};
use super::config::{self, Configs};
use super::index::{self, Entry};
use super::{answer, int, query, roll_back, single, stored_case, StoreError};
use crate::db::{Conn, Statement};

/// The client id the scheduler's tick events are stored with.
pub const SCHEDULER_CLIENT: &str = "server:scheduler";

/// Due cases one transaction ticks at most: a round over many due cases holds the database's
/// writers back for one batch at a time.
pub const TICK_BATCH: usize = 100;

/// Where a round has got to in the order of `(next_deadline, case_id)`.
pub type Place = (i64, String);

/// The place before every case.
pub fn start() -> Place {
    (i64::MIN, String::new())
}

/// What one batch did.
#[derive(Debug, Default)]
pub struct Batch {
    /// Due cases it locked and read.
    pub due: usize,
    /// Of those, the ones whose tick had events, stored.
    pub ticked: usize,
    /// The last case it locked, where the next batch begins; `None`: none was left.
    pub last: Option<Place>,
    /// Ticks the core refused, with their reasons (`case id: message`).
    pub refused: Vec<String>,
}

/// What one round did, over its batches.
#[derive(Debug, Default)]
pub struct Round {
    pub due: usize,
    pub ticked: usize,
    pub refused: Vec<String>,
}

impl Round {
    /// Adds a batch's counts; the place the next batch begins at, if one is to follow (this
    /// one was full).
    pub fn add(&mut self, batch: Batch) -> Option<Place> {
        self.due += batch.due;
        self.ticked += batch.ticked;
        self.refused.extend(batch.refused);
        batch.last.filter(|_| batch.due == TICK_BATCH)
    }
}

/// Whether any open case is due at `due_by` (milliseconds since 1970), by a read of the index.
pub(super) async fn any_due_on<C: Conn>(conn: &mut C, due_by: i64) -> Result<bool, StoreError> {
    Ok(single(&query(conn, index::ANY_DUE, &[due_by.into()]).await?)? > 0)
}

/// One batch: the next [`TICK_BATCH`] cases due at `due_by` after `after`, each ticked, in one
/// write transaction (see the module's comment).
pub(super) async fn tick_batch_on<C: Conn>(
    conn: &mut C,
    configs: &Configs,
    due_by: i64,
    after: &Place,
) -> Result<Batch, StoreError> {
    let lock = Statement::new(
        index::LOCK_DUE,
        [due_by.into(), after.0.into(), after.1.as_str().into(), int(TICK_BATCH as u64)?.into()],
    );
    let answered = bulk::begin(conn, lock).await?;
    let done = async {
        let published =
            config::published(conn, configs, config::version_in(answer(&answered, CONFIG_VERSION)?)?).await?;
        let engine = &*published.engine;
        let change = single(answer(&answered, CHANGE_NUMBER)?)?;
        let rows = answer(&answered, LOCKED_CASES)?;
        let mut batch = Batch { due: rows.len(), ..Batch::default() };
        let mut stored = Vec::new();
        let mut entries = Vec::new();
        for row in rows {
            batch.last = Some((row.int(2)?, row.text(3)?.to_owned()));
            let Some(case) = stored_case(conn, std::slice::from_ref(row)).await? else { continue };
            let indexed = row.int(2)?;
            // Closed since the index was read: never ticked; its entry goes.
            if case.state.closed {
                entries.push(Entry::of(engine, &case.state, Some(&case.state))?);
                continue;
            }
            let mut working = Working::new(case);
            match working.decide(engine, &Actor::System, &Command::Tick) {
                Ok([]) => {
                    let entry = Entry::of(engine, &working.case.state, Some(&working.before))?;
                    if entry.next_deadline() != Some(indexed) {
                        entries.push(entry);
                    }
                }
                Ok(_) => {
                    stored.extend(Stored::of(engine, &working, SCHEDULER_CLIENT)?);
                    batch.ticked += 1;
                }
                Err(refused) => batch.refused.push(format!("{}: {}", working.case.state.case_id, refused.message)),
            }
        }
        let mut writes: Vec<Statement<'_>> = stored.iter().flat_map(|s| s.statements(change)).collect();
        writes.extend(entries.iter().flat_map(Entry::statements));
        if writes.is_empty() {
            roll_back(conn).await;
            return Ok(batch);
        }
        let mut statements = conn.dialect().writes_together(writes);
        statements.push(Statement::new("COMMIT", []));
        conn.pipeline(&statements).await?;
        Ok(batch)
    }
    .await;
    if done.is_err() {
        roll_back(conn).await;
    }
    done
}
