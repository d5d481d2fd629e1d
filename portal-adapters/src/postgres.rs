//! `PostgresStore`: every storage port on PostgreSQL, for portals that outgrow one machine.
//!
//! - A connection pool (default 10 connections); every transaction is `SERIALIZABLE`, so the
//!   port's rule "a read-then-write never loses a concurrent update" holds across processes.
//!   When PostgreSQL refuses a transaction to keep that promise (serialization failure,
//!   deadlock), or the pool has no connection in time, the error is `Unavailable`: nothing was
//!   written and the call may be repeated; the portal's services repeat it for you.
//! - Embedded migrations run on connect, under PostgreSQL's advisory lock, so several instances
//!   may start at once.
//! - An optional schema keeps the portal's tables apart from the host's (and test runs apart
//!   from each other); it is created if missing.
//!
//! ```no_run
//! # async fn demo() -> portal_core::Result<()> {
//! use portal_adapters::postgres::{PostgresOptions, PostgresStore};
//! let store = PostgresStore::connect_with(
//!     PostgresOptions::new("postgres://portal@db.internal/portal").schema("portal").max_connections(20),
//! )
//! .await?;
//! # let _ = store; Ok(()) }
//! ```

use portal_core::{Error, ErrorKind, Result};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyConnection;
use sqlx::{Connection, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::sql::{self, map_err, Dialect, SqlStore};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How to reach PostgreSQL.
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    url: String,
    schema: Option<String>,
    max_connections: u32,
    acquire_timeout: Duration,
}

impl PostgresOptions {
    /// Connect to `url` (`postgres://user:password@host:port/database`), default schema,
    /// 10 connections, 10 s to wait for a free one.
    pub fn new(url: impl Into<String>) -> Self {
        PostgresOptions { url: url.into(), schema: None, max_connections: 10, acquire_timeout: Duration::from_secs(10) }
    }

    /// Keep every table in `schema` (1–63 characters of `a-z`, `0-9`, `_`, not starting with a
    /// digit); it is created if missing.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Size of the pool.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n;
        self
    }

    /// How long a call waits for a free connection before failing with `Unavailable`.
    pub fn acquire_timeout(mut self, d: Duration) -> Self {
        self.acquire_timeout = d;
        self
    }
}

fn check_schema_name(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::ConfigInvalid, "a schema name is 1-63 characters of a-z, 0-9 and '_'"))
    }
}

/// The PostgreSQL storage adapter. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct PostgresStore {
    inner: SqlStore,
}

impl PostgresStore {
    /// Connect with default options and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PostgresOptions::new(url)).await
    }

    /// Connect, create the schema if asked for one, and bring its tables up to date.
    pub async fn connect_with(options: PostgresOptions) -> Result<Self> {
        Self::connect_at_version(options, None).await
    }

    /// [`PostgresStore::connect_with`], migrating only up to schema `version` (for migration
    /// tests).
    pub(crate) async fn connect_at_version(options: PostgresOptions, version: Option<i64>) -> Result<Self> {
        sql::install_drivers();
        if options.max_connections == 0 {
            return Err(Error::new(ErrorKind::ConfigInvalid, "max_connections must be at least 1"));
        }
        let connect = AnyConnectOptions::from_str(&options.url)
            .map_err(|e| Error::new(ErrorKind::ConfigInvalid, "not a PostgreSQL URL").with_source(e))?;
        if !options.url.starts_with("postgres://") && !options.url.starts_with("postgresql://") {
            return Err(Error::new(ErrorKind::ConfigInvalid, "a PostgreSQL URL starts with postgres://"));
        }
        let search_path: Option<Arc<str>> = match &options.schema {
            Some(schema) => {
                check_schema_name(schema)?;
                create_schema(&connect, schema).await?;
                Some(format!("SET search_path TO \"{schema}\"").into())
            }
            None => None,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |conn, _| {
                let set = search_path.clone();
                Box::pin(async move {
                    if let Some(set) = set {
                        conn.execute(&*set).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(map_err)?;
        Ok(PostgresStore {
            inner: SqlStore::migrated(pool, Dialect::Postgres, &sql::migrations_up_to(&MIGRATOR, version)).await?,
        })
    }
}

sql::front_end!(PostgresStore);

/// `CREATE SCHEMA IF NOT EXISTS` may still race with itself; losing that race is success.
async fn create_schema(connect: &AnyConnectOptions, schema: &str) -> Result<()> {
    let mut conn = AnyConnection::connect_with(connect).await.map_err(map_err)?;
    let created = conn.execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str()).await;
    let _ = conn.close().await;
    match created {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(db)) if matches!(db.code().as_deref(), Some("42P06" | "23505")) => Ok(()),
        Err(e) => Err(map_err(e)),
    }
}
