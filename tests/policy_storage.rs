//! casbin policies persist through the storage port: one adapter (`StorageAdapter`) for every
//! store, the same scenarios on memory, SQLite and PostgreSQL, for both authorizers (casbin-rs
//! itself and the compiled index). Each scenario gets a database of its own, since the policy
//! is shared by everything on one database.

use async_trait::async_trait;
use portal::adapters::sqlite::SqliteStore;
use portal::adapters::testing::{postgres_store_in, run_schema};
mod common;

use common::authorizers::Stored;
use portal::auth::{CasbinAuthorizer, CompiledAuthorizer, DEFAULT_POLICY};
use portal::core::memory::MemoryStore;
use portal::core::model::{PolicyRule, PortalId, Principal, Role, UserId};
use portal::core::ports::{Storage, Transaction};
use portal::core::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn member(portal: PortalId, role: &str) -> Principal {
    Principal { user_id: Some(UserId::new()), roles: [Role::new(role).unwrap()].into(), ..Principal::anonymous(portal) }
}

async fn authorizer<A: Stored>(store: &Arc<dyn Storage>) -> A {
    A::open(store, DEFAULT_POLICY).await.expect("authorizer")
}

fn allow(role: &str, portal: &str, object: &str, action: &str) -> PolicyRule {
    PolicyRule::new("p", [role, portal, object, action, "allow"]).unwrap()
}

async fn stored(store: &Arc<dyn Storage>) -> Vec<PolicyRule> {
    let mut tx = store.begin().await.unwrap();
    let rules = tx.list_policy_rules().await.unwrap();
    tx.commit().await.unwrap();
    rules
}

/// A fresh store seeded on first start holds exactly the shipped policy, and a line added
/// through one authorizer is enforced by a new authorizer on the same store (a restart).
async fn a_policy_line_outlives_the_authorizer_that_added_it<A: Stored>(store: Arc<dyn Storage>) {
    let first: A = authorizer(&store).await;
    let shipped = stored(&store).await;
    let lines = DEFAULT_POLICY.lines().filter(|l| l.starts_with("p,") || l.starts_with("g,")).count();
    assert_eq!(shipped.len(), lines);
    let p = PortalId::new();
    let moderator = member(p, "moderator");
    assert!(!first.check(&moderator, "member", "suspend").await.unwrap());
    assert!(first.add(&allow("moderator", &p.to_string(), "member", "suspend")).await.unwrap());
    assert!(first.check(&moderator, "member", "suspend").await.unwrap());
    drop(first);

    let restarted: A = authorizer(&store).await;
    assert!(restarted.check(&moderator, "member", "suspend").await.unwrap());
    assert!(!restarted.check(&member(PortalId::new(), "moderator"), "member", "suspend").await.unwrap());
    assert_eq!(stored(&store).await.len(), shipped.len() + 1, "not seeded twice");
}

/// A store that already holds a policy keeps it: a shipped line the operator removed stays
/// removed after a restart (S5 across restarts).
async fn s5_a_removed_shipped_line_stays_removed_after_restart<A: Stored>(store: Arc<dyn Storage>) {
    let a: A = authorizer(&store).await;
    let agent = member(PortalId::new(), "agent");
    assert!(a.check(&agent, "member", "list").await.unwrap());
    assert!(a.remove(&allow("agent", "*", "member", "list")).await.unwrap());
    assert!(!a.check(&agent, "member", "list").await.unwrap());
    drop(a);
    let restarted: A = authorizer(&store).await;
    assert!(!restarted.check(&agent, "member", "list").await.unwrap());
    assert!(restarted.check(&agent, "member", "invite").await.unwrap(), "the other lines are still there");
}

/// Z12: two authorizers on one store (two processes). Decisions the first one has answered —
/// and cached: casbin-rs answers through its `CachedEnforcer`, the compiled index is a cache of
/// the whole policy — are not reused once it is told the policy changed.
async fn z12_a_change_made_elsewhere_replaces_cached_decisions_on_reload<A: Stored>(store: Arc<dyn Storage>) {
    let here: A = authorizer(&store).await;
    let there: A = authorizer(&store).await;
    let p = PortalId::new();
    let editor = member(p, "editor");
    let agent = member(p, "agent");
    for _ in 0..3 {
        assert!(!here.check(&editor, "audit", "read").await.unwrap(), "not yet reloaded");
        assert!(here.check(&agent, "member", "list").await.unwrap());
    }
    assert!(there.add(&allow("editor", &p.to_string(), "audit", "read")).await.unwrap());
    assert!(there.remove(&allow("agent", "*", "member", "list")).await.unwrap());
    here.policy_changed().await.unwrap();
    assert!(here.check(&editor, "audit", "read").await.unwrap(), "a cached deny is not reused");
    assert!(!here.check(&agent, "member", "list").await.unwrap(), "a cached allow is not reused");
    assert!(there.remove(&allow("editor", &p.to_string(), "audit", "read")).await.unwrap());
    here.policy_changed().await.unwrap();
    assert!(!here.check(&editor, "audit", "read").await.unwrap());
}

/// A store that can be switched to refuse every transaction, over any other store.
struct Flaky {
    inner: Arc<dyn Storage>,
    down: AtomicBool,
}

#[async_trait]
impl Storage for Flaky {
    async fn begin(&self) -> portal::core::Result<Box<dyn Transaction>> {
        if self.down.load(Ordering::SeqCst) {
            return Err(portal::core::Error::new(ErrorKind::Unavailable, "database unreachable"));
        }
        self.inner.begin().await
    }
}

/// Z12: when the policy cannot be read, everything is refused — also the decisions answered
/// (and cached) just before — until a reload succeeds.
async fn z12_a_policy_store_error_means_deny_even_for_cached_decisions<A: Stored>(store: Arc<dyn Storage>) {
    let flaky = Arc::new(Flaky { inner: store, down: AtomicBool::new(false) });
    let a: A = authorizer(&(flaky.clone() as Arc<dyn Storage>)).await;
    let admin = member(PortalId::new(), "admin");
    for _ in 0..3 {
        assert!(a.check(&admin, "member", "approve").await.unwrap());
    }
    flaky.down.store(true, Ordering::SeqCst);
    assert_eq!(a.policy_changed().await.unwrap_err().kind(), ErrorKind::Unavailable);
    assert!(!a.check(&admin, "member", "approve").await.unwrap(), "denied while the policy is unknown");
    assert!(!a.check(&admin, "article:public", "read").await.unwrap(), "everything is");
    flaky.down.store(false, Ordering::SeqCst);
    a.policy_changed().await.unwrap();
    assert!(a.check(&admin, "member", "approve").await.unwrap());
}

/// A seed policy the model cannot hold is `ConfigInvalid` and stores nothing; so is a stored
/// line that does not fit the model (found at start-up, not on a request).
async fn a_policy_that_does_not_fit_the_model_is_config_invalid<A: Stored>(store: Arc<dyn Storage>) {
    for bad in ["p, admin, *, member, list", "p2, admin, *, member, list, allow", "p, a, *, o, read, perhaps"] {
        let e = A::open(&store, bad).await.err().expect("refused");
        assert_eq!(e.kind(), ErrorKind::ConfigInvalid, "{bad}");
    }
    assert!(stored(&store).await.is_empty());

    let mut tx = store.begin().await.unwrap();
    tx.add_policy_rule(&PolicyRule::new("g", ["only-two", "values"]).unwrap()).await.unwrap();
    tx.commit().await.unwrap();
    let e = A::open(&store, DEFAULT_POLICY).await.err().expect("refused");
    assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
}

/// Run each scenario, with each authorizer, on a fresh memory store, a fresh SQLite file and a
/// fresh PostgreSQL schema (when `PORTAL_TEST_POSTGRES_URL` is set).
macro_rules! on_every_store {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            use super::*;

            async fn on_each_authorizer(store: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Arc<dyn Storage>>>>>) {
                let Some(s) = store().await else { return };
                super::$scenario::<CasbinAuthorizer>(s).await;
                let Some(s) = store().await else { return };
                super::$scenario::<CompiledAuthorizer>(s).await;
            }

            #[tokio::test]
            async fn memory() {
                on_each_authorizer(|| Box::pin(async { Some(Arc::new(MemoryStore::new()) as Arc<dyn Storage>) })).await;
            }

            #[tokio::test]
            async fn sqlite() {
                let dir = Arc::new(tempfile::tempdir().unwrap());
                let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                on_each_authorizer(move || {
                    let path = dir.path().join(format!("portal{}.db", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
                    Box::pin(async move { Some(Arc::new(SqliteStore::open(path).await.unwrap()) as Arc<dyn Storage>) })
                })
                .await;
            }

            #[tokio::test]
            async fn postgres() {
                let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                on_each_authorizer(move || {
                    let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let name: String = stringify!($scenario).chars().take(18).collect();
                    let schema = format!("{}_{name}{i}", run_schema());
                    Box::pin(async move { postgres_store_in(&schema).await.map(|s| Arc::new(s) as Arc<dyn Storage>) })
                })
                .await;
            }
        }
    )+};
}

on_every_store!(
    a_policy_line_outlives_the_authorizer_that_added_it,
    s5_a_removed_shipped_line_stays_removed_after_restart,
    z12_a_change_made_elsewhere_replaces_cached_decisions_on_reload,
    z12_a_policy_store_error_means_deny_even_for_cached_decisions,
    a_policy_that_does_not_fit_the_model_is_config_invalid,
);
