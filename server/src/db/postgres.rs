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

use super::{Conn, DbError, Dialect, Param, Row, Value};

pub const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN",
    begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    change_number: "SELECT pg_current_xact_id()::text::bigint",
    horizon: "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
    // Any fixed key: held until the migration transaction ends.
    migration_lock: "SELECT pg_advisory_xact_lock(724366350)",
};

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
    // The server's own words (`db error` alone says nothing).
    let message = match error.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => error.to_string(),
    };
    DbError { message, retry }
}

impl Postgres {
    /// Connects to `url` and brings its schema up to date.
    pub async fn open(url: &str, described: &str, size: usize) -> Result<Postgres, String> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| format!("{described} is not a PostgreSQL URL: {e}"))?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).max_size(size).build().map_err(|e| e.to_string())?;
        let store = Postgres { pool };
        let mut conn = store.conn().await.map_err(|e| format!("cannot connect to {described}: {e}"))?;
        super::migrate(&mut conn).await.map_err(|e| format!("cannot upgrade the schema of {described}: {e}"))?;
        Ok(store)
    }

    /// A connection of the pool, for one request.
    pub async fn conn(&self) -> Result<Connected, DbError> {
        let client = self.pool.get().await.map_err(|e| DbError::fatal(format!("no database connection: {e}")))?;
        Ok(Connected { client })
    }
}

pub struct Connected {
    client: Object,
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

impl Connected {
    async fn statement(&self, sql: &str) -> Result<tokio_postgres::Statement, DbError> {
        self.client.prepare_cached(sql).await.map_err(failed)
    }
}

fn bound<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Conn for Connected {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    async fn execute(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<u64, DbError> {
        let statement = self.statement(sql).await?;
        self.client.execute(&statement, &bound(params)).await.map_err(failed)
    }

    async fn query(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        let statement = self.statement(sql).await?;
        let rows = self.client.query(&statement, &bound(params)).await.map_err(failed)?;
        rows.iter()
            .map(|row| (0..row.len()).map(|index| value(row, index)).collect::<Result<Vec<_>, _>>().map(Row))
            .collect()
    }

    async fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.client.batch_execute(sql).await.map_err(failed)
    }

    async fn schema_version(&mut self) -> Result<i64, DbError> {
        self.client
            .batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await
            .map_err(failed)?;
        let row = self.client.query_opt("SELECT max(version) FROM schema_version", &[]).await.map_err(failed)?;
        Ok(row.and_then(|row| row.try_get::<_, Option<i64>>(0).ok().flatten()).unwrap_or(0))
    }

    async fn set_schema_version(&mut self, version: i64) -> Result<(), DbError> {
        self.client.execute("DELETE FROM schema_version", &[]).await.map_err(failed)?;
        self.client.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&version]).await.map_err(failed)?;
        Ok(())
    }
}
