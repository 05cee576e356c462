//! The PostgreSQL backend: `tokio-postgres` with a `deadpool-postgres` pool. Several server
//! processes may share one database. A write transaction is READ COMMITTED with row locks
//! (`FOR UPDATE` on the client's row, then the case's), so two processes racing on one client or
//! one case take turns, and one that lost a race it could not wait out (a deadlock, a unique key
//! another transaction took first) is run again by the store. A read transaction is REPEATABLE
//! READ: a pull reads one snapshot. Changes are numbered by their transaction's id, and a pull's
//! horizon is its snapshot's `xmin` (see `sync::cookie`).

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::NoTls;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use super::{Answered, Conn, DbError, Dialect, Param, Row, Statement, Value};

pub const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN",
    begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    change_number: "SELECT pg_current_xact_id()::text::bigint",
    horizon: "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
    // Any fixed key: held until the migration transaction ends.
    migration_lock: "SELECT pg_advisory_xact_lock(724366350)",
    combines_writes: true,
    insert_case:
        "INSERT INTO cases (case_id, state, changed, last_at, seq) VALUES ($1, $2, $3, $4, nextval('cases_seq'))",
    migrations: &[(
        3,
        "CREATE SEQUENCE cases_seq;
         SELECT setval('cases_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM cases), false);",
    )],
};

/// How long a request waits for a connection to the database, new or from the pool.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connections to one database, at most `size` at once.
pub struct Postgres {
    pool: Pool,
}

fn failed(error: tokio_postgres::Error) -> DbError {
    let retry = error.code().is_some_and(|code| {
        *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    });
    DbError { message: describe(&error), retry }
}

/// The server's own words (`db error` alone says nothing), or the error and its causes
/// (`error connecting to server: Connection refused`).
fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{}: {}", db.code().code(), db.message());
    }
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        message.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    message
}

impl Postgres {
    /// Connects to `url` and brings its schema up to date.
    pub async fn open(url: &str, described: &str, size: usize) -> Result<Postgres, String> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| format!("{described} is not a PostgreSQL URL: {e}"))?;
        // A transaction left open by a connection that went quiet (a process stopped, a network
        // gone) lets go of its locks and of the pulls' horizon within a minute.
        let options =
            format!("{} -c idle_in_transaction_session_timeout=60s", config.get_options().unwrap_or_default());
        config.options(options.trim());
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        // A database that does not answer fails the request (500, which the client retries)
        // rather than holding it.
        let pool = Pool::builder(manager)
            .max_size(size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| e.to_string())?;
        let store = Postgres { pool };
        let mut conn = store.conn().await.map_err(|e| format!("cannot connect to {described}: {e}"))?;
        super::migrate(&mut conn).await.map_err(|e| format!("cannot upgrade the schema of {described}: {e}"))?;
        Ok(store)
    }

    /// A connection of the pool, for one request.
    pub async fn conn(&self) -> Result<Connected, DbError> {
        let client = self.pool.get().await.map_err(|error| match error {
            deadpool_postgres::PoolError::Backend(error) => failed(error),
            other => DbError::fatal(format!("no database connection: {other}")),
        })?;
        Ok(Connected { client: Some(client), unsettled: false })
    }
}

/// A connection of the pool, for one request.
pub struct Connected {
    /// `None` only once dropped.
    client: Option<Object>,
    /// A transaction may be open on it, or a pipeline was stopped half-way: dropped so, the
    /// connection is closed rather than handed out again (PostgreSQL then rolls the
    /// transaction back and lets go of its locks).
    unsettled: bool,
}

impl Drop for Connected {
    fn drop(&mut self) {
        if self.unsettled {
            if let Some(object) = self.client.take() {
                drop(Object::take(object));
            }
        }
    }
}

/// Whether a transaction is open after statements of these texts ran, when one was open before
/// as `open`.
fn open_after<'a>(open: bool, texts: impl IntoIterator<Item = &'a str>) -> bool {
    texts.into_iter().flat_map(|text| text.split(';')).fold(open, |open, sql| match sql.split_whitespace().next() {
        Some("BEGIN") => true,
        Some("COMMIT" | "ROLLBACK") => false,
        _ => open,
    })
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Int(value) => value.to_sql(ty, out),
            Param::Text(value) => value.to_sql(ty, out),
            Param::Null => Ok(IsNull::Yes),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty) || <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

fn value(row: &tokio_postgres::Row, index: usize) -> Result<Value, DbError> {
    let column = row.columns().get(index).ok_or_else(|| DbError::fatal("no such column"))?;
    let ty = column.type_();
    let read = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(index).map(|v| v.map(Value::Int))
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(index).map(|v| v.map(|v| Value::Int(v.into())))
    } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
        row.try_get::<_, Option<String>>(index).map(|v| v.map(Value::Text))
    } else {
        return Err(DbError::fatal(format!(
            "column {} has the type {ty}, which the store does not read",
            column.name()
        )));
    };
    Ok(read.map_err(failed)?.unwrap_or(Value::Null))
}

fn bound<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn rows(answered: Vec<tokio_postgres::Row>) -> Result<Vec<Row>, DbError> {
    answered
        .iter()
        .map(|row| (0..row.len()).map(|index| value(row, index)).collect::<Result<Vec<_>, _>>().map(Row))
        .collect()
}

/// Polls `futures` in their order, each time, until all are done. tokio-postgres sends a query
/// when its future is first polled, so they go out in this order, together, and the server
/// runs them in this order.
async fn in_order<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(done) => *output = Some(done),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

impl Connected {
    fn client(&self) -> Result<&Object, DbError> {
        self.client.as_ref().ok_or_else(|| DbError::fatal("the connection is closed"))
    }

    /// Sends `statements` together and reads their answers.
    async fn send(&self, statements: &[Statement<'_>]) -> Answered {
        let client = self.client()?;
        // Prepared first, one by one (a statement this connection has run before is cached and
        // costs nothing): a query still waiting for its preparation would go out after the
        // ones behind it.
        let mut prepared = Vec::with_capacity(statements.len());
        for statement in statements {
            let ready = client.prepare_cached(&statement.sql).await.map_err(failed)?;
            // A query that fails before it is sent (a wrong number of parameters) would let the
            // ones behind it, a COMMIT among them, go out all the same: none goes.
            if ready.params().len() != statement.params.len() {
                return Err(DbError::fatal(format!(
                    "{} parameters given for {}",
                    statement.params.len(),
                    statement.sql
                )));
            }
            prepared.push(ready);
        }
        let params: Vec<_> = statements.iter().map(|statement| bound(&statement.params)).collect();
        let client: &tokio_postgres::Client = client;
        let queries = prepared.iter().zip(&params).map(|(statement, params)| client.query(statement, params)).collect();
        // A statement after a failed one fails too (the transaction is aborted): the first
        // error is the one that says why.
        in_order(queries).await.into_iter().map(|answered| rows(answered.map_err(failed)?)).collect()
    }
}

impl Conn for Connected {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    async fn pipeline(&mut self, statements: &[Statement<'_>]) -> Answered {
        let was_open = self.unsettled;
        // Unsettled until the pipeline has answered: a future dropped before that closes the
        // connection (see `Connected`).
        self.unsettled = true;
        let answered = self.send(statements).await;
        self.unsettled = match &answered {
            Ok(_) => open_after(was_open, statements.iter().map(|statement| &*statement.sql)),
            // Settled only by a ROLLBACK that answers.
            Err(_) => true,
        };
        answered
    }

    async fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        let was_open = self.unsettled;
        self.unsettled = true;
        let done = match self.client() {
            Ok(client) => client.batch_execute(sql).await.map_err(failed),
            Err(closed) => Err(closed),
        };
        self.unsettled = done.is_err() || open_after(was_open, [sql]);
        done
    }

    async fn schema_version(&mut self) -> Result<i64, DbError> {
        let client = self.client()?;
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await
            .map_err(failed)?;
        let row = client.query_opt("SELECT max(version) FROM schema_version", &[]).await.map_err(failed)?;
        Ok(row.and_then(|row| row.try_get::<_, Option<i64>>(0).ok().flatten()).unwrap_or(0))
    }

    async fn set_schema_version(&mut self, version: i64) -> Result<(), DbError> {
        let client = self.client()?;
        client.execute("DELETE FROM schema_version", &[]).await.map_err(failed)?;
        client.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&version]).await.map_err(failed)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_settled_only_once_its_transaction_ended() {
        assert!(open_after(false, ["BEGIN", "SELECT 1"]));
        assert!(!open_after(false, ["BEGIN", "SELECT 1", "COMMIT"]));
        assert!(!open_after(true, ["ROLLBACK"]));
        assert!(open_after(true, ["INSERT INTO t VALUES (1)"]));
        assert!(!open_after(false, ["BEGIN; CREATE TABLE t (a BIGINT); COMMIT"]));
        assert!(open_after(false, [DIALECT.begin_read, DIALECT.horizon]));
    }
}
