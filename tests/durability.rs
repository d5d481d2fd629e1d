//! D7 (SQLite) and the PostgreSQL crash test: a write acknowledged by the portal API survives
//! `kill -9` of the process that made it, whole (user, membership, credential and audit row
//! together), and nothing is ever half-written.
//!
//! Each test re-runs its own binary as the writer: with `PORTAL_CRASH_CHILD` set, the same test
//! function registers members in a loop and prints `ack <email>` after each commit. The parent
//! kills it with SIGKILL at a random point — after a random number of acknowledgements plus a
//! random pause, so the kill often lands inside a transaction — then checks the database.

mod common;

use common::*;
use portal::adapters::sqlite::SqliteStore;
use portal::core::model::PortalId;
use portal::core::ports::Storage;
use portal::core::services::access::AccessConfig;
use portal::prelude::*;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const CHILD: &str = "PORTAL_CRASH_CHILD";

/// Where the writer writes: `sqlite:<file>` or `postgres:<schema>`.
async fn open(target: &str) -> Arc<dyn Storage> {
    match target.split_once(':') {
        Some(("sqlite", file)) => Arc::new(SqliteStore::open(file).await.unwrap()),
        Some(("postgres", schema)) => {
            Arc::new(portal::adapters::testing::postgres_store_in(schema).await.expect("PostgreSQL configured"))
        }
        _ => panic!("bad target {target}"),
    }
}

fn random_below(n: u64) -> u64 {
    RandomState::new().build_hasher().finish() % n
}

#[tokio::test]
async fn d7_acknowledged_signups_survive_kill_9_whole() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d7.db");
    let store = SqliteStore::open(&db).await.unwrap();
    let (mode, sync): (String, i64) =
        sqlx::query_as("SELECT * FROM pragma_journal_mode, pragma_synchronous").fetch_one(store.pool()).await.unwrap();
    assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL with synchronous=FULL");
    store.pool().close().await;
    crash_rounds("d7_acknowledged_signups_survive_kill_9_whole", &format!("sqlite:{}", db.display()), 10).await;
}

#[tokio::test]
async fn postgres_acknowledged_signups_survive_kill_9_a_hundred_times() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    if portal::adapters::testing::postgres_url().is_none() {
        return;
    }
    let schema = format!("{}_crash", portal::adapters::testing::run_schema());
    crash_rounds("postgres_acknowledged_signups_survive_kill_9_a_hundred_times", &format!("postgres:{schema}"), 100)
        .await;
}

/// Set up a portal on `target`, run `rounds` writer processes killed at random points, then
/// check every acknowledged write and that no member is half-written.
async fn crash_rounds(test_name: &str, target: &str, rounds: usize) {
    let store = open(target).await;
    let h = Harness::with(store, AccessConfig::default()).await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    drop(h);

    let mut acked: Vec<String> = Vec::new();
    for round in 0..rounds {
        let stop_after = 1 + random_below(8) as usize;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, format!("{target}|{pid}|{round}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut this_round = 0;
        while this_round < stop_after {
            let line = lines.next().expect("child output").unwrap();
            if let Some(email) = line.strip_prefix("ack ") {
                acked.push(email.to_owned());
                this_round += 1;
            }
        }
        // Land the kill anywhere in the next write: before, inside or after its transaction.
        std::thread::sleep(Duration::from_micros(random_below(3_000)));
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, no clean close.
        child.wait().unwrap();
    }

    let store = open(target).await;
    let mut tx = store.begin().await.unwrap();
    for email in &acked {
        let user = tx.find_user_by_email(pid, email).await.unwrap().unwrap_or_else(|| panic!("{email} lost"));
        assert!(tx.get_membership(pid, user.id).await.unwrap().is_some(), "{email}: membership missing");
        assert!(tx.get_password(pid, user.id).await.unwrap().is_some(), "{email}: credential missing");
    }
    // Nothing half-written: every member row has its credential and audit row.
    let members = tx.list_memberships(pid, None, None, 100_000).await.unwrap();
    let audit = tx.list_audit(pid, None, 1_000_000).await.unwrap();
    for m in &members {
        let registered = audit.iter().any(|e| e.action == "member.register" && e.target == Some(m.user_id.to_string()));
        let invited = audit.iter().any(|e| e.action == "invitation.accept" && e.actor == Some(m.user_id));
        assert!(registered || invited, "member {} has no audit row", m.user_id);
        assert!(tx.get_password(pid, m.user_id).await.unwrap().is_some(), "member {} has no credential", m.user_id);
    }
    drop(tx);
    assert!(members.len() > acked.len(), "owner plus every acknowledged sign-up");
}

async fn child(spec: &str) {
    let mut parts = spec.split('|');
    let (target, pid, round) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let pid: PortalId = pid.parse().unwrap();
    let h = Harness::with(open(target).await, AccessConfig::default()).await;
    for i in 0.. {
        let email = format!("r{round}-u{i}@example.org");
        h.register(pid, &email, GOOD_PASSWORD).await.unwrap();
        println!("ack {email}");
    }
}
