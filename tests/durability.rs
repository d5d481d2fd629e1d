//! D7: SQLite runs in WAL mode with `synchronous = FULL`, and a write acknowledged by the portal
//! API survives `kill -9` of the process that made it, whole (user, membership, credential and
//! audit row together).
//!
//! The test re-runs its own binary as the writer: with `PORTAL_D7_CHILD` set, the same test
//! function registers members in a loop and prints `ack <n>` after each commit.

mod common;

use common::*;
use portal::adapters::sqlite::SqliteStore;
use portal::core::model::PortalId;
use portal::core::ports::Storage;
use portal::core::services::access::AccessConfig;
use portal::prelude::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

const ROUNDS: usize = 10;

#[tokio::test]
async fn d7_acknowledged_signups_survive_kill_9_whole() {
    if let Ok(spec) = std::env::var("PORTAL_D7_CHILD") {
        return child(&spec).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d7.db");
    let store = SqliteStore::open(&db).await.unwrap();
    let (mode, sync): (String, i64) =
        sqlx::query_as("SELECT * FROM pragma_journal_mode, pragma_synchronous").fetch_one(store.pool()).await.unwrap();
    assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL with synchronous=FULL");
    let h = Harness::with(Arc::new(store.clone()), AccessConfig::default()).await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    drop(h);
    store.pool().close().await;

    let mut acked: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let stop_after = 1 + (round * 7) % 13;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["d7_acknowledged_signups_survive_kill_9_whole", "--exact", "--nocapture", "--test-threads=1"])
            .env("PORTAL_D7_CHILD", format!("{}|{}|{}", db.display(), pid, round))
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
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, no clean close.
        child.wait().unwrap();
    }

    let store = SqliteStore::open(&db).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for email in &acked {
        let user = tx.find_user_by_email(pid, email).await.unwrap().unwrap_or_else(|| panic!("{email} lost"));
        assert!(tx.get_membership(pid, user.id).await.unwrap().is_some(), "{email}: membership missing");
        assert!(tx.get_password(pid, user.id).await.unwrap().is_some(), "{email}: credential missing");
    }
    // Nothing half-written: every member row has its user, credential and audit row.
    let members = tx.list_memberships(pid, None, None, 10_000).await.unwrap();
    let audit = tx.list_audit(pid, None, 100_000).await.unwrap();
    drop(tx);
    for m in &members {
        let registered = audit.iter().any(|e| e.action == "member.register" && e.target == Some(m.user_id.to_string()));
        let invited = audit.iter().any(|e| e.action == "invitation.accept" && e.actor == Some(m.user_id));
        assert!(registered || invited, "member {} has no audit row", m.user_id);
    }
    assert!(members.len() > acked.len(), "owner plus every acknowledged sign-up");
}

async fn child(spec: &str) {
    let mut parts = spec.split('|');
    let (db, pid, round) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let pid: PortalId = pid.parse().unwrap();
    let store = SqliteStore::open(db).await.unwrap();
    let h = Harness::with(Arc::new(store), AccessConfig::default()).await;
    for i in 0.. {
        let email = format!("r{round}-u{i}@example.org");
        h.register(pid, &email, GOOD_PASSWORD).await.unwrap();
        println!("ack {email}");
    }
}
