//! The stored configuration (SPEC §9), on both backends: every version with who made it, when
//! and why; the one in use (`config_current`, one row); and each change's answer by its
//! `changeId`. The configuration a process decides with is cached whole ([`Configs`]) and
//! replaced whole, never edited: a decision sees one version or the next, never a mix.
//!
//! - **A change** is one write transaction that locks `config_current` for update first. Every
//!   mutation locks it to share in its own first pipeline, so a change waits for the mutations
//!   under way and the mutations after it wait for the change: each is decided with the
//!   configuration current when it commits, on whichever process (one that finds a newer version
//!   there reads it before deciding).
//! - **The seed**: `--config` goes into an empty database as version 1; a database that has a
//!   configuration keeps it.

use std::sync::{Arc, PoisonError, RwLock};

use handoff_engine::case::CaseState;
use handoff_engine::Engine;

use super::{answer, count, int, query, read_state, roll_back, single, storage, StoreError};
use crate::db::{Conn, Statement};

/// One version of the configuration, compiled.
pub struct Published {
    pub version: u64,
    pub engine: Arc<Engine>,
    /// The configuration's JSON text, as stored.
    pub text: String,
}

impl Published {
    /// No configuration: what a store holds until it has read its own (every version is newer).
    pub fn none() -> Published {
        Published { version: 0, engine: Arc::new(Engine::new(Default::default())), text: String::new() }
    }

    /// Version `version` from its stored text.
    pub fn from_text(version: u64, text: String) -> Result<Published, StoreError> {
        let engine = Engine::from_json(&text).map_err(|e| storage(format!("stored configuration {version}: {e}")))?;
        Ok(Published { version, engine: Arc::new(engine), text })
    }
}

/// The configuration this process decides with: swapped whole for a newer one, never older.
pub struct Configs {
    current: RwLock<Arc<Published>>,
}

impl Configs {
    pub fn new(published: Published) -> Configs {
        Configs { current: RwLock::new(Arc::new(published)) }
    }

    pub fn current(&self) -> Arc<Published> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Uses `published` from now on, unless a newer version is already in use.
    pub fn install(&self, published: Arc<Published>) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if published.version > current.version {
            *current = published;
        }
    }
}

/// One accepted change, as `GET /config/history` lists it.
pub struct Recorded {
    pub version: u64,
    pub at: String,
    pub by: Option<String>,
    pub reason: Option<String>,
    /// The published versions, as JSON: `[{ "workflowId", "version" }]`.
    pub published: String,
    pub directory: bool,
    pub owners: bool,
}

/// A change to store: the new configuration's text, what the history says of it, and the open
/// cases' stuck work under it (the index keeps it, `store::index`).
pub struct NewVersion {
    pub text: String,
    pub stuck: Vec<handoff_engine::stuck::StuckWork>,
    pub reason: Option<String>,
    pub published: String,
    pub directory: bool,
    pub owners: bool,
}

/// How a change is decided inside its transaction: given the configuration in use, the open
/// cases and every stored version's text.
pub type Decide<'a> = dyn Fn(&Published, &[CaseState], &[String]) -> Result<Decision, StoreError> + Sync + 'a;

/// What a change's decision says to do: answer `status` with `answer` (JSON), store `version`
/// when it is accepted for real, and keep the answer for retries of its `changeId` when it is
/// not a dry run (`remember`).
pub struct Decision {
    pub status: u16,
    pub answer: String,
    pub version: Option<NewVersion>,
    pub remember: bool,
}

pub(super) const CONFIG_IN_USE: &str = "SELECT version FROM config_current WHERE id = 1 FOR SHARE";
pub(super) const CONFIG_CURRENT: &str = "SELECT version FROM config_current WHERE id = 1";
pub(super) const LOCK_CONFIG: &str = "SELECT version FROM config_current WHERE id = 1 FOR UPDATE";
const CONFIG_TEXT: &str = "SELECT config FROM configs WHERE version = $1";
const INSERT_CONFIG: &str = "INSERT INTO configs
     (version, config, at, by_member, reason, published, directory_changed, owners_changed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const SET_CURRENT: &str =
    "INSERT INTO config_current (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = $1";
const HISTORY: &str = "SELECT version, at, by_member, reason, published, directory_changed, owners_changed
     FROM configs ORDER BY version";
const ALL_CONFIGS: &str = "SELECT config FROM configs ORDER BY version";
/// The states of the open cases in the order of their ids (through the index: closed ones are
/// not read), so that a change answers its stuck work in the order `/stuck` does.
const OPEN_CASES: &str = "SELECT state FROM cases WHERE case_id IN (SELECT case_id FROM open_cases) ORDER BY case_id";
const CHANGE_ANSWER: &str = "SELECT by_member, status, answer FROM config_changes WHERE change_id = $1";
const INSERT_CHANGE: &str = "INSERT INTO config_changes (change_id, by_member, status, answer) VALUES ($1, $2, $3, $4)";

/// The version in use, from a transaction's answer to [`CONFIG_IN_USE`] (or [`CONFIG_CURRENT`]).
pub(super) fn version_in(rows: &[crate::db::Row]) -> Result<u64, StoreError> {
    count(single(rows)?)
}

/// Version `version`, from `configs`' cache when it is the one in use there, else read (in the
/// transaction under way, if any) and installed.
pub(super) async fn published<C: Conn>(
    conn: &mut C,
    configs: &Configs,
    version: u64,
) -> Result<Arc<Published>, StoreError> {
    let current = configs.current();
    if current.version == version {
        return Ok(current);
    }
    let rows = query(conn, CONFIG_TEXT, &[int(version)?.into()]).await?;
    let text = rows.first().ok_or_else(|| storage(format!("configuration {version} is missing")))?.text(0)?;
    let read = Arc::new(Published::from_text(version, text.to_owned())?);
    configs.install(read.clone());
    Ok(read)
}

/// The version in use now (a read of its own), installed if this process had an older one.
pub(super) async fn fresh_on<C: Conn>(conn: &mut C, configs: &Configs) -> Result<Arc<Published>, StoreError> {
    let version = version_in(&query(conn, CONFIG_CURRENT, &[]).await?)?;
    published(conn, configs, version).await
}

/// The configuration in use, or `seed()` stored as version 1 in a database without one; and
/// whether it was seeded. `seed` refuses (with its message) a configuration that may not be used.
pub(super) async fn load_on<C: Conn>(
    conn: &mut C,
    seed: &dyn Fn() -> Result<String, String>,
    at: &str,
) -> Result<(Published, bool), StoreError> {
    let dialect = conn.dialect();
    let answered = conn.pipeline(&[Statement::new(dialect.begin_write, []), Statement::new(LOCK_CONFIG, [])]).await;
    let answered = match answered {
        Ok(answered) => answered,
        Err(error) => {
            roll_back(conn).await;
            return Err(error.into());
        }
    };
    let loaded = async {
        if let Some(row) = answer(&answered, 1)?.first() {
            let version = count(row.int(0)?)?;
            let text = query(conn, CONFIG_TEXT, &[int(version)?.into()]).await?;
            let text = text.first().ok_or_else(|| storage(format!("configuration {version} is missing")))?.text(0)?;
            return Ok((Published::from_text(version, text.to_owned())?, false));
        }
        let text = seed().map_err(StoreError::Storage)?;
        let seeded = Published::from_text(1, text)?;
        let statements = [
            Statement::new(
                INSERT_CONFIG,
                [
                    1.into(),
                    seeded.text.as_str().into(),
                    at.into(),
                    None::<&str>.into(),
                    None::<&str>.into(),
                    "[]".into(),
                    1.into(),
                    1.into(),
                ],
            ),
            Statement::new(SET_CURRENT, [1.into()]),
            Statement::new("COMMIT", []),
        ];
        conn.pipeline(&statements).await?;
        Ok((seeded, true))
    }
    .await;
    if loaded.as_ref().map_or(true, |(_, seeded)| !seeded) {
        roll_back(conn).await;
    }
    loaded
}

/// Every stored version's text, oldest first: what ids the directory ever had.
pub(super) async fn all_on<C: Conn>(conn: &mut C) -> Result<Vec<String>, StoreError> {
    let rows = query(conn, ALL_CONFIGS, &[]).await?;
    rows.iter().map(|row| row.text(0).map(str::to_owned).map_err(StoreError::from)).collect()
}

pub(super) async fn history_on<C: Conn>(conn: &mut C) -> Result<Vec<Recorded>, StoreError> {
    let rows = query(conn, HISTORY, &[]).await?;
    rows.iter()
        .map(|row| {
            Ok(Recorded {
                version: count(row.int(0)?)?,
                at: row.text(1)?.to_owned(),
                by: row.opt_text(2)?.map(str::to_owned),
                reason: row.opt_text(3)?.map(str::to_owned),
                published: row.text(4)?.to_owned(),
                directory: row.int(5)? != 0,
                owners: row.int(6)? != 0,
            })
        })
        .collect()
}

pub(super) async fn text_on<C: Conn>(conn: &mut C, version: u64) -> Result<Option<String>, StoreError> {
    let rows = query(conn, CONFIG_TEXT, &[int(version)?.into()]).await?;
    Ok(rows.first().map(|row| row.text(0).map(str::to_owned)).transpose()?)
}

/// A change in one write transaction: the configuration row locked first; a `changeId` already
/// answered gets that answer again; else `decide` is given the configuration in use, the open
/// cases and every version's text, and what it decides is stored (with the answer, under the
/// `changeId`) and committed, or nothing is. The answer, and the new version if one was stored.
#[allow(clippy::too_many_arguments)]
pub(super) async fn change_on<C: Conn>(
    conn: &mut C,
    configs: &Configs,
    by: &str,
    change_id: Option<&str>,
    at: &str,
    decide: &Decide<'_>,
) -> Result<(u16, String, Option<Arc<Published>>), StoreError> {
    let dialect = conn.dialect();
    let answered =
        match conn.pipeline(&[Statement::new(dialect.begin_write, []), Statement::new(LOCK_CONFIG, [])]).await {
            Ok(answered) => answered,
            Err(error) => {
                roll_back(conn).await;
                return Err(error.into());
            }
        };
    let changed = async {
        let version = version_in(answer(&answered, 1)?)?;
        if let Some(id) = change_id {
            if let Some(row) = query(conn, CHANGE_ANSWER, &[id.into()]).await?.first() {
                // The first answer again, to its author; another admin's reuse of the id is a
                // conflict, never someone else's answer.
                // Nothing is stored: the transaction ends here.
                let answer = if row.text(0)? == by {
                    (u16::try_from(row.int(1)?).unwrap_or(500), row.text(2)?.to_owned())
                } else {
                    let body = handoff_engine::sync::ErrorBody::new(
                        "config-conflict",
                        "Another admin's change used this changeId; send yours with an id of its own.",
                    );
                    (409, serde_json::to_string(&body).map_err(storage)?)
                };
                roll_back(conn).await;
                return Ok((answer.0, answer.1, None));
            }
        }
        let current = published(conn, configs, version).await?;
        let mut open = Vec::new();
        for row in query(conn, OPEN_CASES, &[]).await? {
            let state = read_state(row.text(0)?)?;
            if !state.closed {
                open.push(state);
            }
        }
        let history = all_on(conn).await?;
        let decision = decide(&current, &open, &history)?;
        let mut statements = Vec::new();
        let mut stored = None;
        let restuck = match &decision.version {
            Some(new) => super::index::restuck(&query(conn, super::index::STUCK_ROWS, &[]).await?, &new.stuck)?,
            None => Vec::new(),
        };
        if let Some(new) = &decision.version {
            let next = version + 1;
            // The open cases whose stuck work the change alters, rewritten with it.
            statements.extend(super::index::restuck_statements(&restuck));
            statements.push(Statement::new(
                INSERT_CONFIG,
                [
                    int(next)?.into(),
                    new.text.as_str().into(),
                    at.into(),
                    by.into(),
                    new.reason.as_deref().into(),
                    new.published.as_str().into(),
                    i64::from(new.directory).into(),
                    i64::from(new.owners).into(),
                ],
            ));
            statements.push(Statement::new(SET_CURRENT, [int(next)?.into()]));
            stored = Some(Arc::new(Published::from_text(next, new.text.clone())?));
        }
        let status = i64::from(decision.status);
        if let (Some(id), true) = (change_id, decision.remember) {
            statements.push(Statement::new(
                INSERT_CHANGE,
                [id.into(), by.into(), status.into(), decision.answer.as_str().into()],
            ));
        }
        statements.push(Statement::new("COMMIT", []));
        conn.pipeline(&statements).await?;
        Ok((decision.status, decision.answer, stored))
    }
    .await;
    match changed {
        Ok((status, answer, Some(stored))) => {
            configs.install(stored.clone());
            Ok((status, answer, Some(stored)))
        }
        Ok(done) => Ok(done),
        Err(error) => {
            roll_back(conn).await;
            Err(error)
        }
    }
}
