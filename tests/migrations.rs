//! D10: a database filled at the first schema version and migrated to the newest loses nothing —
//! every row of every old table is still there, byte for byte — and the portal keeps working on
//! it (old sessions validate, old passwords sign in, the new policy table is seeded). On SQLite
//! and on PostgreSQL.

mod common;

use common::*;
use portal::adapters::sqlite::SqliteStore;
use portal::adapters::testing::{postgres_store_at_version, postgres_store_in, run_schema, sqlite_store_at_version};
use portal::core::model::Role;
use portal::core::ports::Storage;
use portal::prelude::*;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every row of every table, each value rendered as text, rows sorted: a snapshot two states
/// of one database can be compared by.
type Dump = BTreeMap<String, Vec<Vec<String>>>;

fn cell(row: &AnyRow, i: usize) -> String {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return format!("{v:?}");
    }
    match row.try_get::<Option<Vec<u8>>, _>(i) {
        Ok(v) => format!("{v:?}"),
        Err(e) => panic!("column {i} cannot be read: {e}"),
    }
}

async fn dump(pool: &AnyPool, tables_sql: &str) -> Dump {
    let tables: Vec<String> = sqlx::query(tables_sql)
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .filter(|t| t != "_sqlx_migrations")
        .collect();
    let mut out = Dump::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {table}")).fetch_all(pool).await.unwrap();
        let mut rows: Vec<Vec<String>> =
            rows.iter().map(|r| (0..r.columns().len()).map(|i| cell(r, i)).collect()).collect();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

const SQLITE_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
const POSTGRES_TABLES: &str = "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()";

/// What the v1 portal left behind, to check after the migration.
struct Filled {
    pid: PortalId,
    session_token: String,
}

/// Fill a v1 database through the portal API: an admin, an active, a pending and a suspended
/// member, an agent by invitation, an open invitation, a reset token, a throttled account,
/// sessions and the audit rows of all of it.
async fn fill(store: Arc<dyn Storage>) -> Filled {
    let h = Harness::with_memory_policy(store).await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Restricted).await;
    let active = h.member(pid, &admin, "active@example.org").await;
    h.register(pid, "pending@example.org", GOOD_PASSWORD).await.unwrap();
    let suspended = h.member(pid, &admin, "suspended@example.org").await;
    h.access().suspend(&admin, suspended.user_id.unwrap()).await.unwrap();
    h.invited(pid, &admin, "agent@example.org", Role::new("agent").unwrap()).await;
    h.access().invite(&admin, "later@example.org", Role::new("customer").unwrap()).await.unwrap();
    h.access().request_password_reset(&Principal::anonymous(pid), "active@example.org").await.unwrap();
    assert!(h.login(pid, "active@example.org", "not the right password at all").await.is_err());
    let token = h.login_token(pid, "active@example.org", GOOD_PASSWORD).await.unwrap();
    assert_eq!(active.portal_id, pid);
    Filled { pid, session_token: token.expose().to_owned() }
}

/// After the migration: the old session validates, old accounts sign in as before, the policy
/// lives in the database now.
async fn still_works(store: Arc<dyn Storage>, filled: &Filled) {
    let h = Harness::with(store.clone(), Default::default()).await;
    let p = h.access().validate_session(filled.pid, &filled.session_token).await.expect("the v1 session validates");
    assert_eq!(p.portal_id, filled.pid);
    assert!(h.login(filled.pid, ADMIN_EMAIL, ADMIN_PASSWORD).await.is_ok());
    assert!(h.login(filled.pid, "agent@example.org", GOOD_PASSWORD).await.is_ok());
    assert!(h.login(filled.pid, "suspended@example.org", GOOD_PASSWORD).await.is_err());
    assert!(h.login(filled.pid, "pending@example.org", GOOD_PASSWORD).await.is_err());
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.list_policy_rules().await.unwrap().is_empty(), "the shipped policy was seeded");
}

fn assert_nothing_lost(before: &Dump, after: &Dump) {
    assert!(before.values().map(Vec::len).sum::<usize>() > 20, "the v1 database was filled: {before:?}");
    for (table, rows) in before {
        assert_eq!(after.get(table), Some(rows), "table {table} changed in the migration");
    }
    assert!(after.contains_key("policy_rules"), "the newest schema has the policy table");
}

#[tokio::test]
async fn d10_sqlite_filled_at_version_1_migrates_to_newest_losing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let old = sqlite_store_at_version(&path, 1).await.unwrap();
    let filled = fill(Arc::new(old.clone())).await;
    let before = dump(old.pool(), SQLITE_TABLES).await;
    assert!(!before.contains_key("policy_rules"), "version 1 has no policy table");
    old.pool().close().await;

    let new = SqliteStore::open(&path).await.unwrap();
    let after = dump(new.pool(), SQLITE_TABLES).await;
    assert_nothing_lost(&before, &after);
    still_works(Arc::new(new), &filled).await;
}

#[tokio::test]
async fn d10_postgres_filled_at_version_1_migrates_to_newest_losing_nothing() {
    let schema = format!("{}_d10", run_schema());
    let Some(old) = postgres_store_at_version(&schema, 1).await else { return };
    let filled = fill(Arc::new(old.clone())).await;
    let before = dump(old.pool(), POSTGRES_TABLES).await;
    assert!(!before.contains_key("policy_rules"), "version 1 has no policy table");
    old.pool().close().await;

    let new = postgres_store_in(&schema).await.unwrap();
    let after = dump(new.pool(), POSTGRES_TABLES).await;
    assert_nothing_lost(&before, &after);
    still_works(Arc::new(new), &filled).await;
}
