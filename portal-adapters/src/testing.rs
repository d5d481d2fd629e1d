//! Test support (feature `testkit`): how this workspace's tests, and a vendor's, reach the
//! PostgreSQL they run against.
//!
//! Tests read the server's URL from [`POSTGRES_URL_VAR`]. Without it [`postgres_store`] returns
//! `None` and says so once on stderr; with it, an unreachable server is a failure, never a
//! skip. Each test process works in its own schema (`portal_test_<unix time>_<pid>`), so runs on
//! one database never collide; schemas left by runs more than an hour old are dropped.

use sqlx::{Connection, Executor, Row};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::postgres::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
use crate::sqlite::SqliteStore;

/// The environment variable holding the test server's URL.
pub const POSTGRES_URL_VAR: &str = "PORTAL_TEST_POSTGRES_URL";

/// The test server's URL, or `None` (reported once per process) when the variable is unset.
pub fn postgres_url() -> Option<String> {
    static NOTICE: OnceLock<()> = OnceLock::new();
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            NOTICE.get_or_init(|| {
                // Straight to stderr, past the test harness's capture: this is for the reader.
                let _ = writeln!(
                    std::io::stderr(),
                    "note: {POSTGRES_URL_VAR} is not set; the PostgreSQL tests were not run"
                );
            });
            None
        }
    }
}

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// This process's schema.
pub fn run_schema() -> &'static str {
    static SCHEMA: OnceLock<String> = OnceLock::new();
    SCHEMA.get_or_init(|| format!("portal_test_{}_{}", unix_secs(), std::process::id()))
}

/// A store on the test server in this process's schema, or `None` without a configured server.
///
/// # Panics
/// When the variable is set but the server cannot be reached or migrated: a configured
/// PostgreSQL suite must fail, not skip.
pub async fn postgres_store() -> Option<PostgresStore> {
    postgres_store_in(run_schema()).await
}

/// A store in a schema of its own (this run's schema plus a counter), or `None` without a
/// configured server. PostgreSQL's serializable isolation tracks reads per table: tests sharing
/// tables refuse each other's transactions now and then (a retryable refusal the services
/// re-run, but a conformance test checks one transaction at a time), so each gets its own.
pub async fn postgres_store_isolated() -> Option<PostgresStore> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    postgres_store_in(&format!("{}_{n}", run_schema())).await
}

/// Like [`postgres_store`], in a schema of the caller's choosing (a child process of a test
/// passes its parent's [`run_schema`] here to share its data).
///
/// # Panics
/// As [`postgres_store`].
pub async fn postgres_store_in(schema: &str) -> Option<PostgresStore> {
    let url = postgres_url()?;
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if !SWEPT.swap(true, Ordering::SeqCst) {
        drop_stale_schemas(&url).await;
    }
    let options = PostgresOptions::new(url).schema(schema).max_connections(8);
    match PostgresStore::connect_with(options).await {
        Ok(store) => Some(store),
        Err(e) => panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is not usable: {e:?}"),
    }
}

/// [`postgres_store_in`] with the schema migrated only up to `version`, to fill a database as
/// an older release left it; [`postgres_store_in`] on the same schema then migrates it to the
/// newest (D10).
///
/// # Panics
/// As [`postgres_store`].
pub async fn postgres_store_at_version(schema: &str, version: i64) -> Option<PostgresStore> {
    let url = postgres_url()?;
    let options = PostgresOptions::new(url).schema(schema).max_connections(8);
    match PostgresStore::connect_at_version(options, Some(version)).await {
        Ok(store) => Some(store),
        Err(e) => panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is not usable: {e:?}"),
    }
}

/// A SQLite file migrated only up to schema `version`; [`SqliteStore::open`] on the same path
/// migrates it to the newest (D10).
#[cfg(feature = "sqlite")]
pub async fn sqlite_store_at_version(path: &std::path::Path, version: i64) -> portal_core::Result<SqliteStore> {
    SqliteStore::open_at_version(path, Some(version)).await
}

/// Drop `portal_test_*` schemas whose run started more than an hour ago.
async fn drop_stale_schemas(url: &str) {
    crate::sql::install_drivers();
    let Ok(mut conn) = sqlx::AnyConnection::connect(url).await else { return };
    let names = match conn.fetch_all("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'portal\\_test\\_%'").await {
        Ok(rows) => rows.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect::<Vec<_>>(),
        Err(_) => Vec::new(),
    };
    let cutoff = unix_secs().saturating_sub(3600);
    for name in names {
        let started = name.split('_').nth(2).and_then(|s| s.parse::<u64>().ok());
        let safe = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if safe && started.is_some_and(|t| t < cutoff) {
            let _ = conn.execute(format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE").as_str()).await;
        }
    }
    let _ = conn.close().await;
}
