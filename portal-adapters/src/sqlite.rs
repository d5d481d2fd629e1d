//! `SqliteStore`: every storage port on one SQLite file (or an in-memory database for tests).
//!
//! - WAL journal with `synchronous = FULL`: a committed transaction survives a process kill and a
//!   power loss (D7). `NORMAL` would be faster but may lose the last commits on power loss.
//! - Every transaction starts with `BEGIN IMMEDIATE`, taking SQLite's single write lock up front,
//!   so a read-then-write transaction can never lose a concurrent update (serializable).
//! - One pooled connection: since every transaction holds the write lock anyway, more
//!   connections would only busy-wait on it; the pool's queue orders waiters fairly instead.
//!   Other processes on the same file wait up to `busy_timeout`.
//! - Migrations run under an advisory lock on `<file>.migrate-lock` (kept next to the database),
//!   so processes starting together on a new file create the schema once.
//!
//! The statements themselves are shared with PostgreSQL (see the `sql` module).

use portal_core::{Error, ErrorKind, Result};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crate::sql::{self, map_err, Dialect, SqlStore};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Set on every new connection: durability, lock waiting and integrity checks.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                       PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";

/// The SQLite storage adapter. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    inner: SqlStore,
}

impl SqliteStore {
    /// Open (creating if needed) the database file at `path` and bring its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_at_version(path.as_ref(), None).await
    }

    /// [`SqliteStore::open`], migrating only up to schema `version` (for migration tests).
    pub(crate) async fn open_at_version(path: &Path, version: Option<i64>) -> Result<Self> {
        sql::install_drivers();
        let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
        let any = AnyConnectOptions::from_url(&options.to_url_lossy()).map_err(map_err)?;
        // SQLite has no migration lock of its own: without this, two processes opening a new
        // file at once would both try to create the same tables.
        let _migrating = migration_lock(path).await?;
        Self::connect(any, PRAGMAS, &sql::migrations_up_to(&MIGRATOR, version)).await
    }

    /// A private in-memory database, gone when the store is dropped; for tests.
    pub async fn open_in_memory() -> Result<Self> {
        sql::install_drivers();
        let options = AnyConnectOptions::from_str("sqlite::memory:").map_err(map_err)?;
        Self::connect(options, "PRAGMA foreign_keys = ON;", &MIGRATOR).await
    }

    async fn connect(any: AnyConnectOptions, pragmas: &'static str, migrator: &Migrator) -> Result<Self> {
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // An in-memory database lives as long as its connection: never recycle it.
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute(pragmas).await?;
                    Ok(())
                })
            })
            .connect_with(any)
            .await
            .map_err(map_err)?;
        Ok(SqliteStore { inner: SqlStore::migrated(pool, Dialect::Sqlite, migrator).await? })
    }
}

sql::front_end!(SqliteStore);

/// An exclusive advisory lock (`flock`) on `<database>.migrate-lock`, held while the schema is
/// brought up to date; released when the returned file is dropped.
async fn migration_lock(database: &Path) -> Result<std::fs::File> {
    let mut name = database.as_os_str().to_owned();
    name.push(".migrate-lock");
    let lock_path = std::path::PathBuf::from(name);
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| Error::internal("migration lock task failed").with_source(e))?;
    locked.map_err(|e| {
        Error::new(ErrorKind::Unavailable, "cannot lock the database for migration")
            .with_context("path", database.display())
            .with_source(e)
    })
}
