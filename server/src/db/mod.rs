//! The storage layer under the store: two backends, SQLite (the embedded default) and
//! PostgreSQL (several server processes on one database), behind one small interface, so that
//! the store's tables, queries and transactions are written once for both.
//!
//! - SQL is written once, in PostgreSQL's dialect: `$1, $2, …` parameters, `ON CONFLICT`,
//!   `RETURNING`, `FOR UPDATE`. The SQLite backend runs the same text with `FOR UPDATE` dropped
//!   (its write transactions take turns: `BEGIN IMMEDIATE` holds the database's one write lock),
//!   and checks that each statement numbers its parameters in order.
//! - What cannot be written once is a [`Dialect`]: how a write and a read transaction begin, how
//!   a change is numbered and what a pull's horizon is (the cookie, `sync::cookie`), and where
//!   the schema's version is kept.
//! - Values are [`Param`]s in and [`Value`]s out: 64-bit integers and text (BIGINT and TEXT).
//!
//! A later table is a migration in [`MIGRATIONS`] and its queries in the store; both backends run
//! them, and the server tests run on both.

pub mod postgres;
pub mod sqlite;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;

/// A value bound to a statement's parameter.
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(value)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Param::Text(value)
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Param::Null, Into::into)
    }
}

/// A value read from a column.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// One row of a query's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn column(&self, index: usize) -> Result<&Value, DbError> {
        self.0.get(index).ok_or_else(|| DbError::fatal(format!("the row has no column {index}")))
    }

    pub fn int(&self, index: usize) -> Result<i64, DbError> {
        match self.column(index)? {
            Value::Int(value) => Ok(*value),
            other => Err(DbError::fatal(format!("column {index} is {other:?}, not an integer"))),
        }
    }

    pub fn text(&self, index: usize) -> Result<&str, DbError> {
        match self.column(index)? {
            Value::Text(value) => Ok(value),
            other => Err(DbError::fatal(format!("column {index} is {other:?}, not text"))),
        }
    }

    pub fn opt_text(&self, index: usize) -> Result<Option<&str>, DbError> {
        match self.column(index)? {
            Value::Null => Ok(None),
            _ => self.text(index).map(Some),
        }
    }
}

/// A database error, and whether running the transaction again can succeed: it lost a race with
/// another process (PostgreSQL's serialization failures and deadlocks, and a unique key another
/// transaction took first, such as two processes starting one case).
#[derive(Debug)]
pub struct DbError {
    pub message: String,
    pub retry: bool,
}

impl DbError {
    pub fn fatal(message: impl Into<String>) -> Self {
        DbError { message: message.into(), retry: false }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The SQL that differs between the backends.
pub struct Dialect {
    /// Begins a transaction that writes: serialized with every other writer of the same rows.
    pub begin_write: &'static str,
    /// Begins a transaction that only reads, from one snapshot.
    pub begin_read: &'static str,
    /// The number of the change this write transaction commits (one row, one integer).
    pub change_number: &'static str,
    /// The horizon of this read transaction's snapshot: every change numbered below it had
    /// finished when the snapshot was taken (one row, one integer).
    pub horizon: &'static str,
    /// Takes the lock that lets one process at a time upgrade the schema, in a write transaction.
    pub migration_lock: &'static str,
    /// Whether writes that return nothing and touch rows none of the others touches are run as
    /// one statement ([`writes_together`]): on PostgreSQL each statement costs the server about
    /// as much as a small write, so fewer statements are a faster mutation; SQLite, in-process,
    /// gains nothing.
    pub combines_writes: bool,
    /// A new case's row `(case_id, state, changed, last_at)` = `($1, $2, $3, $4)`, with the next
    /// `seq`: under SQLite's one writer the largest plus one; on PostgreSQL, whose writers run
    /// at once, from a sequence (two transactions reading the same largest would collide).
    pub insert_case: &'static str,
    /// What a migration of this dialect adds to the shared one of the same number.
    pub migrations: &'static [(i64, &'static str)],
}

impl Dialect {
    /// `writes` (statements that return no rows, none of which touches a row another one
    /// touches) as this dialect runs them best: one statement (PostgreSQL's data-modifying
    /// `WITH`, whose parts run on one snapshot and all to completion) or as they are.
    pub fn writes_together<'a>(&self, writes: Vec<Statement<'a>>) -> Vec<Statement<'a>> {
        if !self.combines_writes {
            return writes;
        }
        // Groups of writes, each within the parameters one statement may carry.
        let mut groups: Vec<Vec<Statement<'a>>> = Vec::new();
        let mut carried = 0;
        for write in writes {
            match groups.last_mut() {
                Some(group) if carried + write.params.len() <= PARAMS_PER_STATEMENT => {
                    carried += write.params.len();
                    group.push(write);
                }
                _ => {
                    carried = write.params.len();
                    groups.push(vec![write]);
                }
            }
        }
        groups.into_iter().map(together).collect()
    }
}

/// Parameters one combined statement carries at most (PostgreSQL's limit is 65,535).
const PARAMS_PER_STATEMENT: usize = 4_096;

/// `writes` as one statement: a data-modifying `WITH` of them all.
fn together(mut writes: Vec<Statement<'_>>) -> Statement<'_> {
    if writes.len() == 1 {
        if let Some(only) = writes.pop() {
            return only;
        }
    }
    let mut sql = String::from("WITH ");
    let mut params = Vec::new();
    for (index, write) in writes.iter().enumerate() {
        if index > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("w{index} AS ({})", renumber(&write.sql, params.len())));
        params.extend(write.params.iter().copied());
    }
    sql.push_str(" SELECT 1");
    Statement::new(sql, params)
}

/// `sql` with each parameter `$n` renumbered `$(n + offset)`. (The store's SQL has no `$` in
/// its literals.)
fn renumber(sql: &str, offset: usize) -> String {
    let mut renumbered = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        renumbered.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(digit) = chars.next_if(char::is_ascii_digit) {
            digits.push(digit);
        }
        match digits.parse::<usize>() {
            Ok(number) => renumbered.push_str(&(number + offset).to_string()),
            Err(_) => renumbered.push_str(&digits),
        }
    }
    renumbered
}

/// One statement and its parameters. Its text is usually a constant; one made for the number of
/// rows it writes (`VALUES (…), (…)`), or several writes made one (`Dialect::writes_together`),
/// is made at run time. Each connection keeps each text it runs prepared, so the shapes are kept
/// few: events go in 16 at a time at most, and a command's shape depends only on how many events
/// and clients it writes.
#[derive(Clone, Debug)]
pub struct Statement<'a> {
    pub sql: Cow<'static, str>,
    pub params: Vec<Param<'a>>,
}

impl<'a> Statement<'a> {
    pub fn new(sql: impl Into<Cow<'static, str>>, params: impl IntoIterator<Item = Param<'a>>) -> Self {
        Statement { sql: sql.into(), params: params.into_iter().collect() }
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows of `columns.len()` parameters
/// each, numbered in order.
pub fn insert_rows(table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut number = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        let values: Vec<String> = columns
            .iter()
            .map(|_| {
                number += 1;
                format!("${number}")
            })
            .collect();
        sql.push_str(&format!("({})", values.join(", ")));
    }
    sql
}

/// What a pipeline answered: each statement's rows, in order, or the first error. A statement's
/// rows are empty when it answers none (`INSERT`, `UPDATE` without `RETURNING`).
pub type Answered = Result<Vec<Vec<Row>>, DbError>;

/// A connection. Its unit is a **pipeline**: statements sent together and run in order, which
/// stops at the first that fails (PostgreSQL: one round trip for all of them; a transaction
/// that failed is over, and a `COMMIT` later in it rolls back; SQLite: the rest are not run).
/// Transactions are begun and ended by statements, so one pipeline can begin, write and commit.
/// The futures are `Send` so that PostgreSQL's run on the server's runtime; SQLite's are ready
/// at once (its calls block, inside `tokio::task::block_in_place`).
pub trait Conn {
    fn dialect(&self) -> &'static Dialect;
    /// Runs `statements` in order, sent together.
    fn pipeline(&mut self, statements: &[Statement<'_>]) -> impl Future<Output = Answered> + Send;
    /// Runs SQL text without parameters, one or more statements (migrations).
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<(), DbError>> + Send;
    /// The schema version this database is at (0: none yet), inside the migration transaction.
    fn schema_version(&mut self) -> impl Future<Output = Result<i64, DbError>> + Send;
    /// Records the schema version, inside the migration transaction.
    fn set_schema_version(&mut self, version: i64) -> impl Future<Output = Result<(), DbError>> + Send;
}

/// The schema, as versioned migrations run in order at start, each once. Both backends run the
/// same text. Version 1 is the first release's schema (`IF NOT EXISTS`: a first-release SQLite
/// file has it already, at version 0); version 2 the second release's additions: the client's
/// own time of each event (`clientAt`), each case's last event time (the server's times never
/// run backwards on a case; a first-release case's is found from its events when first needed),
/// which clients each case is for (scoped pulls), and whose each stored rejection is (bounded
/// per actor).
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
         INSERT INTO meta (key, value) VALUES ('change', 0) ON CONFLICT (key) DO NOTHING;
         CREATE TABLE IF NOT EXISTS clients (
             client_id TEXT PRIMARY KEY, actor TEXT NOT NULL, last_mutation_id BIGINT NOT NULL);
         CREATE TABLE IF NOT EXISTS cases (
             case_id TEXT PRIMARY KEY, state TEXT NOT NULL, changed BIGINT NOT NULL);
         CREATE INDEX IF NOT EXISTS cases_by_change ON cases (changed);
         CREATE TABLE IF NOT EXISTS events (
             case_id TEXT NOT NULL, seq BIGINT NOT NULL, client_id TEXT NOT NULL,
             mutation_id BIGINT NOT NULL, change BIGINT NOT NULL, event TEXT NOT NULL,
             PRIMARY KEY (case_id, seq));
         CREATE TABLE IF NOT EXISTS rejections (
             client_id TEXT NOT NULL, mutation_id BIGINT NOT NULL, code TEXT NOT NULL,
             message TEXT NOT NULL, changed BIGINT NOT NULL, PRIMARY KEY (client_id, mutation_id));",
    ),
    (
        2,
        "ALTER TABLE events ADD COLUMN client_at TEXT;
         ALTER TABLE cases ADD COLUMN last_at TEXT;
         CREATE TABLE case_clients (
             client_id TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (client_id, case_id));
         ALTER TABLE rejections ADD COLUMN actor TEXT;
         CREATE INDEX rejections_by_actor ON rejections (actor);",
    ),
    (
        // Paged pulls (SPEC §14) go through the cases in the order of (changed, seq): `seq`
        // numbers each case once, when it is first stored, and the existing ones by id.
        3,
        "ALTER TABLE cases ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
         UPDATE cases SET seq = numbered.n
             FROM (SELECT case_id, ROW_NUMBER() OVER (ORDER BY case_id) AS n FROM cases) AS numbered
             WHERE numbered.case_id = cases.case_id;
         CREATE UNIQUE INDEX cases_by_seq ON cases (seq);
         CREATE INDEX cases_by_change_seq ON cases (changed, seq);
         DROP INDEX cases_by_change;",
    ),
    (
        // The stored configuration (SPEC §9): every version, who made it and why, and the one in
        // use, a row that a change locks to update and every mutation locks to share, so that a
        // mutation is decided with the configuration current when it commits.
        4,
        "CREATE TABLE configs (
             version BIGINT PRIMARY KEY, config TEXT NOT NULL, at TEXT NOT NULL, by_member TEXT,
             reason TEXT, published TEXT NOT NULL, directory_changed BIGINT NOT NULL,
             owners_changed BIGINT NOT NULL);
         CREATE TABLE config_current (id BIGINT PRIMARY KEY, version BIGINT NOT NULL);
         CREATE TABLE config_changes (
             change_id TEXT PRIMARY KEY, by_member TEXT NOT NULL, status BIGINT NOT NULL, answer TEXT NOT NULL);",
    ),
    (
        // The index of open cases (SPEC §10; `store::index`): each open case's workflow version
        // and stuck work (the stuck ones on a partial index), and the members each names. The
        // server fills it from the cases at its next start (`case_index` 0 until then): its
        // contents are the engine's to find, not SQL's.
        5,
        "CREATE TABLE open_cases (
             case_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, workflow_version BIGINT NOT NULL, stuck TEXT);
         CREATE INDEX open_cases_by_version ON open_cases (workflow_id, workflow_version, case_id);
         CREATE INDEX open_cases_stuck ON open_cases (case_id) WHERE stuck IS NOT NULL;
         CREATE TABLE case_members (
             member_id TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (member_id, case_id));
         CREATE INDEX case_members_by_case ON case_members (case_id);
         INSERT INTO meta (key, value) VALUES ('case_index', 0);",
    ),
    (
        // The next deadline of each open case (SPEC §11; `store::index`, `store::deadlines`): the
        // earliest time a tick would do something, in milliseconds since 1970 (UTC), rounded up,
        // `NULL` when none; the scheduler finds the due cases on its partial index. The cases
        // already open are indexed again at the next start, which fills it.
        6,
        "ALTER TABLE open_cases ADD COLUMN next_deadline BIGINT;
         CREATE INDEX open_cases_by_deadline ON open_cases (next_deadline, case_id) WHERE next_deadline IS NOT NULL;
         UPDATE meta SET value = 0 WHERE key = 'case_index';",
    ),
];

/// Brings the schema to the latest version: in one write transaction holding the migration lock,
/// so that of several processes starting at once one upgrades and the others find it done.
pub async fn migrate<C: Conn>(conn: &mut C) -> Result<i64, DbError> {
    let dialect = conn.dialect();
    conn.batch(dialect.begin_write).await?;
    let upgraded = async {
        conn.batch(dialect.migration_lock).await?;
        let mut version = conn.schema_version().await?;
        for (number, sql) in MIGRATIONS {
            if *number > version {
                let own = dialect.migrations.iter().filter(|(n, _)| n == number).map(|(_, sql)| *sql);
                for sql in std::iter::once(*sql).chain(own) {
                    conn.batch(sql).await.map_err(|e| DbError::fatal(format!("migration {number}: {e}")))?;
                }
                version = *number;
            }
        }
        conn.set_schema_version(version).await?;
        Ok(version)
    }
    .await;
    match upgraded {
        Ok(version) => {
            conn.batch("COMMIT").await?;
            Ok(version)
        }
        Err(error) => {
            let _ = conn.batch("ROLLBACK").await;
            Err(error)
        }
    }
}

/// Where the server keeps its data: `--db` (or `DATABASE_URL`), a PostgreSQL URL or a SQLite path.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Target {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else a SQLite file (SPEC §12).
    pub fn parse(value: &str) -> Target {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Target::Postgres(value.to_owned())
        } else {
            Target::Sqlite(value.into())
        }
    }

    /// How to name it in a message: a URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite(path) => path.display().to_string(),
            Target::Postgres(url) => redact(url),
        }
    }
}

/// `url` with its password replaced by `***`: the user info's (up to the last `@` before the
/// query, so a password holding a `/` is hidden too) and a `password=` parameter's.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (main, query) = match rest.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (rest, None),
    };
    let main = match main.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => main.to_owned(),
        },
        None => main.to_owned(),
    };
    let Some(query) = query else { return format!("{scheme}://{main}") };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{scheme}://{main}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_postgres_and_anything_else_a_sqlite_file() {
        assert!(matches!(Target::parse("postgres://u@h/db"), Target::Postgres(_)));
        assert!(matches!(Target::parse("postgresql://u@h/db"), Target::Postgres(_)));
        assert_eq!(Target::parse("data/h.sqlite"), Target::Sqlite("data/h.sqlite".into()));
        assert_eq!(Target::parse("postgres.sqlite"), Target::Sqlite("postgres.sqlite".into()));
    }

    #[test]
    fn a_message_never_shows_the_password() {
        assert_eq!(Target::parse("postgres://app:s3cret@db:5432/h").describe(), "postgres://app:***@db:5432/h");
        assert_eq!(Target::parse("postgres://app@db/h").describe(), "postgres://app@db/h");
        assert_eq!(Target::parse("postgres://a:b:c@db/h?x=@").describe(), "postgres://a:***@db/h?x=@");
        assert_eq!(Target::parse("postgres://app:top/secret@db/h").describe(), "postgres://app:***@db/h");
        assert_eq!(
            Target::parse("postgres://app@db/h?sslmode=disable&password=s3cret").describe(),
            "postgres://app@db/h?sslmode=disable&password=***"
        );
    }

    #[test]
    fn rows_are_inserted_with_their_parameters_numbered_in_order() {
        assert_eq!(insert_rows("t", &["a", "b"], 1), "INSERT INTO t (a, b) VALUES ($1, $2)");
        assert_eq!(insert_rows("t", &["a", "b"], 2), "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }

    #[test]
    fn writes_go_together_as_one_statement_with_their_parameters_renumbered() {
        const TOGETHER: Dialect = Dialect {
            begin_write: "",
            begin_read: "",
            change_number: "",
            horizon: "",
            migration_lock: "",
            combines_writes: true,
            insert_case: "",
            migrations: &[],
        };
        let writes = vec![
            Statement::new("UPDATE a SET x = $1 WHERE k = $2", [Param::Int(1), Param::Text("k")]),
            Statement::new("INSERT INTO b (y) VALUES ($1)", [Param::Int(2)]),
        ];
        let together = TOGETHER.writes_together(writes.clone());
        let [statement] = together.as_slice() else { panic!("{together:?}") };
        assert_eq!(
            statement.sql,
            "WITH w0 AS (UPDATE a SET x = $1 WHERE k = $2), w1 AS (INSERT INTO b (y) VALUES ($3)) SELECT 1"
        );
        assert_eq!(statement.params.len(), 3);
        let apart = Dialect { combines_writes: false, ..TOGETHER };
        assert_eq!(apart.writes_together(writes).len(), 2);
        let many: Vec<_> =
            (0..3_000).map(|_| Statement::new("INSERT INTO b (y) VALUES ($1)", [Param::Int(1)])).collect();
        let groups = TOGETHER.writes_together(many);
        assert_eq!(groups.len(), 1);
        let many: Vec<_> =
            (0..5_000).map(|_| Statement::new("INSERT INTO b (y) VALUES ($1)", [Param::Int(1)])).collect();
        let groups = TOGETHER.writes_together(many);
        assert_eq!(groups.iter().map(|g| g.params.len()).collect::<Vec<_>>(), vec![4_096, 904]);
        assert_eq!(renumber("$1, $10, $", 9), "$10, $19, $");
    }

    #[test]
    fn migrations_are_numbered_from_one_in_order() {
        for (index, (number, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*number, i64::try_from(index).unwrap_or(0) + 1);
        }
    }
}
