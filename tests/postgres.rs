//! The portal on a real PostgreSQL (`PORTAL_TEST_POSTGRES_URL`): the concurrency scenarios D8,
//! T2, D4 and R5, and two portal instances in two processes sharing one database. Without the
//! variable every test returns at once (and the run says so once).

mod common;

use common::*;
use portal::adapters::testing::{postgres_store, postgres_store_in, run_schema};
use portal::core::model::PortalId;
use portal::core::services::access::AccessConfig;
use portal::prelude::*;
use std::process::Command;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d8_postgres_fifty_concurrent_signups_with_one_email_make_one_account() {
    let Some(store) = postgres_store().await else { return };
    races::d8_fifty_signups_one_email_make_one_account(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t2_postgres_fifty_concurrent_redemptions_of_one_token_succeed_once() {
    let Some(store) = postgres_store().await else { return };
    races::t2_fifty_redemptions_of_one_token_succeed_once(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d4_postgres_concurrent_edits_of_one_version_have_one_winner() {
    let Some(store) = postgres_store().await else { return };
    races::d4_concurrent_edits_of_one_version_have_one_winner(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_postgres_parallel_visitor_answers_never_pass_the_cap() {
    let Some(store) = postgres_store().await else { return };
    races::r5_parallel_visitor_answers_never_pass_the_cap(Arc::new(store)).await;
}

const PEER: &str = "PORTAL_PG_PEER";

/// Two `Portal` instances in two processes on one database: the peer process signs in with an
/// account this process created, and this process sees the account the peer registered.
#[tokio::test]
async fn two_portal_processes_on_one_postgres_see_each_others_writes() {
    if let Ok(spec) = std::env::var(PEER) {
        return peer(&spec).await;
    }
    let Some(store) = postgres_store().await else { return };
    let h = Harness::with(Arc::new(store), AccessConfig::default()).await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    h.member(pid, &admin, "here@example.org").await;
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["two_portal_processes_on_one_postgres_see_each_others_writes", "--exact", "--nocapture"])
        .env(PEER, format!("{}|{}", run_schema(), pid))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "peer failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("peer signed in as here@example.org"), "{stdout}");
    let theirs = h.login(pid, "there@example.org", GOOD_PASSWORD).await.expect("the peer's member signs in here");
    assert_eq!(theirs.portal_id, pid);
}

async fn peer(spec: &str) {
    let (schema, pid) = spec.split_once('|').unwrap();
    let pid: PortalId = pid.parse().unwrap();
    let store = postgres_store_in(schema).await.expect("PostgreSQL configured");
    let h = Harness::with(Arc::new(store), AccessConfig::default()).await;
    h.login(pid, "here@example.org", GOOD_PASSWORD).await.expect("the first process's member signs in here");
    println!("peer signed in as here@example.org");
    h.register(pid, "there@example.org", GOOD_PASSWORD).await.unwrap();
}
