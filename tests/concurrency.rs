//! Concurrency on the embedded SQLite store (D8).

mod common;

use common::*;
use portal::core::services::access::AccessConfig;
use portal::prelude::*;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d8_fifty_concurrent_signups_with_one_email_make_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(portal::adapters::sqlite::SqliteStore::open(dir.path().join("d8.db")).await.unwrap());
    let h = Arc::new(Harness::with(store, AccessConfig::default()).await);
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            h.register(pid, "  Same@Example.org ", &format!("racer number {i} wants this account")).await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every sign-up gets the same answer");
    }
    let members = h.access().list_members(&admin, MemberQuery { limit: 500, ..Default::default() }).await.unwrap();
    let same: Vec<_> = members.iter().filter(|m| m.user.email == "same@example.org").collect();
    assert_eq!(same.len(), 1);
    // Exactly one of the 50 passwords works.
    let mut working = 0;
    for i in 0..50 {
        // Step past the throttle's longest delay so every probe is really evaluated.
        h.clock.advance(chrono::Duration::seconds(901));
        if h.login(pid, "same@example.org", &format!("racer number {i} wants this account")).await.is_ok() {
            working += 1;
        }
    }
    assert_eq!(working, 1);
}
