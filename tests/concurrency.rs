//! Concurrency on the embedded stores (D8, D4, R5); the same scenarios run on PostgreSQL in
//! `tests/postgres.rs`.

mod common;

use common::races;
use portal::adapters::sqlite::SqliteStore;
use portal::core::memory::MemoryStore;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d8_fifty_concurrent_signups_with_one_email_make_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("d8.db")).await.unwrap());
    races::d8_fifty_signups_one_email_make_one_account(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d4_concurrent_edits_of_one_version_have_one_winner_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("d4.db")).await.unwrap());
    races::d4_concurrent_edits_of_one_version_have_one_winner(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d4_concurrent_edits_of_one_version_have_one_winner_in_memory() {
    races::d4_concurrent_edits_of_one_version_have_one_winner(Arc::new(MemoryStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_parallel_visitor_answers_never_pass_the_cap_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("r5.db")).await.unwrap());
    races::r5_parallel_visitor_answers_never_pass_the_cap(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_parallel_visitor_answers_never_pass_the_cap_in_memory() {
    races::r5_parallel_visitor_answers_never_pass_the_cap(Arc::new(MemoryStore::new())).await;
}
