//! The service layer re-runs a use case the database refused with nothing written, and never
//! one whose outcome is unknown.

mod common;

use async_trait::async_trait;
use common::*;
use portal::core::memory::MemoryStore;
use portal::core::ports::{Storage, Transaction};
use portal::core::services::access::AccessConfig;
use portal::core::{Error, ErrorKind, Result};
use portal::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A memory store whose next `fail` transactions are refused with `error`.
struct Refusing {
    inner: MemoryStore,
    fail: AtomicUsize,
    aborted: bool,
    begun: AtomicUsize,
}

#[async_trait]
impl Storage for Refusing {
    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        self.begun.fetch_add(1, Ordering::SeqCst);
        let refuse = self.fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        match (refuse, self.aborted) {
            (true, true) => Err(Error::transaction_aborted("serialization failure")),
            (true, false) => Err(Error::new(ErrorKind::Unavailable, "connection lost during commit")),
            (false, _) => self.inner.begin().await,
        }
    }
}

async fn setup(aborted: bool) -> (Arc<Refusing>, Harness, PortalId) {
    let store = Arc::new(Refusing {
        inner: MemoryStore::new(),
        fail: AtomicUsize::new(0),
        aborted,
        begun: AtomicUsize::new(0),
    });
    let h = Harness::with(store.clone(), AccessConfig::default()).await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    (store, h, pid)
}

#[tokio::test]
async fn a_refused_transaction_is_run_again_until_it_commits() {
    let (store, h, pid) = setup(true).await;
    store.fail.store(3, Ordering::SeqCst);
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.expect("the fourth attempt commits");
    assert_eq!(store.fail.load(Ordering::SeqCst), 0);
    assert!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.is_ok());
}

#[tokio::test]
async fn retries_stop_after_the_configured_attempts() {
    let (store, h, pid) = setup(true).await;
    store.fail.store(100, Ordering::SeqCst);
    let before = store.begun.load(Ordering::SeqCst);
    let e = h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(e.is_retryable());
    assert_eq!(store.begun.load(Ordering::SeqCst) - before, AccessConfig::default().transaction_attempts as usize);
}

#[tokio::test]
async fn an_error_of_unknown_outcome_is_not_run_again() {
    let (store, h, pid) = setup(false).await;
    store.fail.store(1, Ordering::SeqCst);
    let before = store.begun.load(Ordering::SeqCst);
    let e = h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(store.begun.load(Ordering::SeqCst) - before, 1, "the caller decides, not the service");
}
