//! `SqliteStore`: every storage port on one SQLite file (or an in-memory database for tests).
//!
//! - WAL journal with `synchronous = FULL`: a committed transaction survives a process kill and a
//!   power loss (D7). `NORMAL` would be faster but may lose the last commits on power loss.
//! - Every transaction starts with `BEGIN IMMEDIATE`, taking SQLite's single write lock up front,
//!   so a read-then-write transaction can never lose a concurrent update (serializable).
//! - One pooled connection: since every transaction holds the write lock anyway, more
//!   connections would only busy-wait on it; the pool's queue orders waiters fairly instead.
//!   Other processes on the same file wait up to `busy_timeout`.

mod error;
mod rows;
mod tx;

use async_trait::async_trait;
use portal_core::model::PortalId;
use portal_core::ports::{SessionRecord, Storage, Transaction};
use portal_core::secret::TokenHash;
use portal_core::{Error, ErrorKind, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub(crate) use error::map_err;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite storage adapter. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Open (creating if needed) the database file at `path` and bring its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        Self::connect(options).await
    }

    /// A private in-memory database, gone when the store is dropped; for tests.
    pub async fn open_in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(map_err)?.foreign_keys(true);
        Self::connect(options).await
    }

    async fn connect(options: SqliteConnectOptions) -> Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // An in-memory database lives as long as its connection: never recycle it.
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(map_err)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| Error::new(ErrorKind::Unavailable, "sqlite migration failed").with_source(e.to_string()))?;
        Ok(SqliteStore { pool })
    }

    /// The underlying pool, for hosts that keep their own tables next to the portal's.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Storage for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        Ok(Box::new(tx::SqliteTx { tx }))
    }

    /// One statement in autocommit mode: a consistent snapshot that takes no write lock, so
    /// with WAL it never waits for another process's writer.
    async fn find_session_record(&self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(rows::SESSION_RECORD_SQL)
            .bind(portal.to_string())
            .bind(token_hash.as_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::session_record).transpose()
    }
}
