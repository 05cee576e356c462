//! The SQLite backend: one file in WAL mode with `synchronous = FULL` (an acknowledged commit
//! survives a crash), one writer connection and one reader (pulls read a snapshot while pushes
//! commit). One process per file: `lock` refuses a second. Its calls block; the store makes them
//! inside `tokio::task::block_in_place`, so its futures are ready at once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::{Answered, Conn, DbError, Dialect, Param, Row, Statement, Value};

pub const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN IMMEDIATE",
    begin_read: "BEGIN",
    change_number: "UPDATE meta SET value = value + 1 WHERE key = 'change' RETURNING value",
    // Writers take turns, so every change counted so far has finished.
    horizon: "SELECT value + 1 FROM meta WHERE key = 'change'",
    // BEGIN IMMEDIATE already holds the one write lock.
    migration_lock: "SELECT 1",
    combines_writes: false,
    insert_case: "INSERT INTO cases (case_id, state, changed, last_at, seq)
         VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM cases))",
    migrations: &[],
};

/// A connection and the SQLite text of each statement run on it.
pub struct Connected {
    connection: Connection,
    translated: HashMap<String, String>,
}

pub struct Sqlite {
    writer: Mutex<Connected>,
    reader: Mutex<Connected>,
}

fn open(path: &Path) -> Result<Connected, String> {
    let fail = |e: rusqlite::Error| format!("cannot open {}: {e}", path.display());
    let connection = Connection::open(path).map_err(fail)?;
    connection.busy_timeout(std::time::Duration::from_secs(10)).map_err(fail)?;
    // WAL for concurrent readers; FULL so that an acknowledged commit survives a crash.
    connection.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
    connection.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(Connected { connection, translated: HashMap::new() })
}

impl Sqlite {
    /// Opens (creating when missing) the file, and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Sqlite, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut writer = open(path)?;
        super::migrate(&mut writer)
            .await
            .map_err(|e| format!("cannot upgrade the schema of {}: {e}", path.display()))?;
        let reader = open(path)?;
        Ok(Sqlite { writer: Mutex::new(writer), reader: Mutex::new(reader) })
    }

    pub fn writer(&self) -> Result<MutexGuard<'_, Connected>, DbError> {
        self.writer.lock().map_err(|_| DbError::fatal("the writer connection was poisoned"))
    }

    pub fn reader(&self) -> Result<MutexGuard<'_, Connected>, DbError> {
        self.reader.lock().map_err(|_| DbError::fatal("the reader connection was poisoned"))
    }
}

fn failed(error: rusqlite::Error) -> DbError {
    DbError::fatal(error.to_string())
}

/// `sql` as SQLite runs it: its locking clause (`FOR UPDATE`, `FOR SHARE`, with `OF` and `SKIP
/// LOCKED`), which ends a statement of the store's, dropped (SQLite's writers take turns).
fn translate(sql: &str) -> String {
    let clause = [" FOR UPDATE", " FOR SHARE"].iter().filter_map(|lock| sql.find(lock)).min();
    sql.get(..clause.unwrap_or(sql.len())).unwrap_or(sql).to_owned()
}

impl Connected {
    /// The statement for `sql`, prepared once per connection, with `params` bound.
    fn statement(&mut self, sql: &str, params: &[Param<'_>]) -> Result<rusqlite::CachedStatement<'_>, DbError> {
        if !self.translated.contains_key(sql) {
            self.translated.insert(sql.to_owned(), translate(sql));
        }
        let text = self.translated.get(sql).map_or(sql, String::as_str);
        let mut statement = self.connection.prepare_cached(text).map_err(failed)?;
        if statement.parameter_count() != params.len() {
            return Err(DbError::fatal(format!("{} parameters given for {sql}", params.len())));
        }
        for (index, param) in params.iter().enumerate() {
            let position = index + 1;
            // `$n` is a named parameter to SQLite, numbered by first appearance: the store's SQL
            // must name them in order, so that `$n` is the n-th.
            if statement.parameter_name(position) != Some(format!("${position}").as_str()) {
                return Err(DbError::fatal(format!("parameters must appear in order as $1, $2, …: {sql}")));
            }
            let bound = match param {
                Param::Int(value) => statement.raw_bind_parameter(position, value),
                Param::Text(value) => statement.raw_bind_parameter(position, value),
                Param::Null => statement.raw_bind_parameter(position, rusqlite::types::Null),
            };
            bound.map_err(failed)?;
        }
        Ok(statement)
    }

    /// Runs one statement; the rows it answered (none for most writes).
    fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        let mut statement = self.statement(sql, params)?;
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        let mut answered = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut values = Vec::with_capacity(columns);
            for index in 0..columns {
                values.push(match row.get_ref(index).map_err(failed)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(value) => Value::Int(value),
                    ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
                    other => return Err(DbError::fatal(format!("column {index} holds {:?}", other.data_type()))),
                });
            }
            answered.push(Row(values));
        }
        Ok(answered)
    }

    /// Each statement in turn, stopping at the first that fails: the rest, a `COMMIT` among
    /// them, are not run.
    fn run_all(&mut self, statements: &[Statement<'_>]) -> Answered {
        statements.iter().map(|statement| self.rows(&statement.sql, &statement.params)).collect()
    }
}

impl Conn for Connected {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    fn pipeline(&mut self, statements: &[Statement<'_>]) -> impl std::future::Future<Output = Answered> + Send {
        std::future::ready(self.run_all(statements))
    }

    fn batch(&mut self, sql: &str) -> impl std::future::Future<Output = Result<(), DbError>> + Send {
        std::future::ready(self.connection.execute_batch(sql).map_err(failed))
    }

    fn schema_version(&mut self) -> impl std::future::Future<Output = Result<i64, DbError>> + Send {
        std::future::ready(self.connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(failed))
    }

    fn set_schema_version(&mut self, version: i64) -> impl std::future::Future<Output = Result<(), DbError>> + Send {
        std::future::ready(self.connection.execute_batch(&format!("PRAGMA user_version = {version}")).map_err(failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locking_clause_is_dropped_and_nothing_else_changes() {
        assert_eq!(
            translate("SELECT a FROM t WHERE k = $1 FOR UPDATE"),
            "SELECT a FROM t WHERE k = $1",
            "SQLite's writers take turns"
        );
        assert_eq!(translate("SELECT '$1' FROM t"), "SELECT '$1' FROM t");
        assert_eq!(
            translate("SELECT a FROM t JOIN u ON u.k = t.k LIMIT $1 FOR UPDATE OF t SKIP LOCKED"),
            "SELECT a FROM t JOIN u ON u.k = t.k LIMIT $1"
        );
        assert_eq!(translate("SELECT v FROM c WHERE id = 1 FOR SHARE"), "SELECT v FROM c WHERE id = 1");
    }

    /// A connection to a database in memory with `schema`.
    fn in_memory(schema: &str) -> Connected {
        let connection = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        connection.execute_batch(schema).unwrap_or_else(|e| panic!("{e}"));
        Connected { connection, translated: HashMap::new() }
    }

    #[test]
    fn parameters_out_of_order_are_refused_rather_than_bound_to_the_wrong_column() {
        let mut connected = in_memory("CREATE TABLE t (a BIGINT, b TEXT)");
        let error = connected.rows("INSERT INTO t (b, a) VALUES ($2, $1)", &[Param::Int(1), Param::Text("x")]).err();
        assert!(error.is_some_and(|e| e.message.contains("in order")));
        assert!(connected.rows("INSERT INTO t (a, b) VALUES ($1, $2)", &[Param::Int(1), Param::Text("x")]).is_ok());
        let rows = connected.rows("SELECT a, b, NULL FROM t WHERE a = $1", &[Param::Int(1)]).unwrap_or_default();
        assert_eq!(rows, vec![Row(vec![Value::Int(1), Value::Text("x".into()), Value::Null])]);
    }

    #[test]
    fn a_pipeline_stops_at_its_first_failure_so_a_commit_after_it_never_runs() {
        let mut connected = in_memory("CREATE TABLE t (a BIGINT PRIMARY KEY)");
        let answered = connected.run_all(&[
            Statement::new("BEGIN", []),
            Statement::new("INSERT INTO t (a) VALUES ($1)", [Param::Int(1)]),
            Statement::new("INSERT INTO t (a) VALUES ($1)", [Param::Int(1)]),
            Statement::new("COMMIT", []),
        ]);
        assert!(answered.is_err(), "the second insert breaks the key");
        assert!(!connected.connection.is_autocommit(), "the transaction is still open: COMMIT did not run");
        connected.connection.execute_batch("ROLLBACK").unwrap_or_else(|e| panic!("{e}"));
        let count: i64 = connected.connection.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap_or(-1);
        assert_eq!(count, 0);
    }
}
