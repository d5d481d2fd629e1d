//! casbin policies persist through the storage port: one adapter (`StorageAdapter`) for every
//! store, the same scenarios on memory, SQLite and PostgreSQL. Each scenario gets a database of
//! its own, since the policy is shared by everything on one database.

use portal::adapters::sqlite::SqliteStore;
use portal::adapters::testing::{postgres_store_in, run_schema};
use portal::auth::{CasbinAuthorizer, DEFAULT_MODEL, DEFAULT_POLICY};
use portal::core::memory::MemoryStore;
use portal::core::model::{PolicyRule, PortalId, Principal, Role, UserId};
use portal::core::ports::{Authorizer, Storage};
use portal::core::ErrorKind;
use std::sync::Arc;

fn member(portal: PortalId, role: &str) -> Principal {
    Principal { user_id: Some(UserId::new()), roles: [Role::new(role).unwrap()].into(), ..Principal::anonymous(portal) }
}

async fn authorizer(store: &Arc<dyn Storage>) -> CasbinAuthorizer {
    CasbinAuthorizer::with_storage(DEFAULT_MODEL, store.clone(), DEFAULT_POLICY).await.expect("authorizer")
}

async fn stored(store: &Arc<dyn Storage>) -> Vec<PolicyRule> {
    let mut tx = store.begin().await.unwrap();
    let rules = tx.list_policy_rules().await.unwrap();
    tx.commit().await.unwrap();
    rules
}

/// A fresh store seeded on first start holds exactly the shipped policy, and a line added
/// through one authorizer is enforced by a new authorizer on the same store (a restart).
async fn a_policy_line_outlives_the_authorizer_that_added_it(store: Arc<dyn Storage>) {
    let first = authorizer(&store).await;
    let shipped = stored(&store).await;
    assert_eq!(shipped.len(), DEFAULT_POLICY.lines().filter(|l| l.starts_with("p,")).count());
    let p = PortalId::new();
    let moderator = member(p, "moderator");
    assert!(!first.check(&moderator, "member", "suspend").await.unwrap());
    assert!(first.add_policy(["moderator", &p.to_string(), "member", "suspend"]).await.unwrap());
    assert!(first.check(&moderator, "member", "suspend").await.unwrap());
    drop(first);

    let restarted = authorizer(&store).await;
    assert!(restarted.check(&moderator, "member", "suspend").await.unwrap());
    assert!(!restarted.check(&member(PortalId::new(), "moderator"), "member", "suspend").await.unwrap());
    assert_eq!(stored(&store).await.len(), shipped.len() + 1, "not seeded twice");
}

/// A store that already holds a policy keeps it: a shipped line the operator removed stays
/// removed after a restart (S5 across restarts).
async fn s5_a_removed_shipped_line_stays_removed_after_restart(store: Arc<dyn Storage>) {
    let a = authorizer(&store).await;
    let agent = member(PortalId::new(), "agent");
    assert!(a.check(&agent, "member", "list").await.unwrap());
    assert!(a.remove_policy(["agent", "*", "member", "list"]).await.unwrap());
    assert!(!a.check(&agent, "member", "list").await.unwrap());
    drop(a);
    let restarted = authorizer(&store).await;
    assert!(!restarted.check(&agent, "member", "list").await.unwrap());
    assert!(restarted.check(&agent, "member", "invite").await.unwrap(), "the other lines are still there");
}

/// Two authorizers on one store (two processes): a change one makes reaches the other on
/// `reload`.
async fn reload_picks_up_a_change_made_by_another_instance(store: Arc<dyn Storage>) {
    let here = authorizer(&store).await;
    let there = authorizer(&store).await;
    let p = PortalId::new();
    let editor = member(p, "editor");
    assert!(there.add_policy(["editor", &p.to_string(), "audit", "read"]).await.unwrap());
    assert!(!here.check(&editor, "audit", "read").await.unwrap(), "not yet reloaded");
    here.reload().await.unwrap();
    assert!(here.check(&editor, "audit", "read").await.unwrap());
    assert!(there.remove_policy(["editor", &p.to_string(), "audit", "read"]).await.unwrap());
    here.reload().await.unwrap();
    assert!(!here.check(&editor, "audit", "read").await.unwrap());
}

/// A seed policy the model cannot hold is `ConfigInvalid` and stores nothing; so is a stored
/// line that does not fit the model (found at start-up, not on a request).
async fn a_policy_that_does_not_fit_the_model_is_config_invalid(store: Arc<dyn Storage>) {
    let short = "p, admin, *, member";
    let e = CasbinAuthorizer::with_storage(DEFAULT_MODEL, store.clone(), short).await.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
    let unknown_type = "p2, admin, *, member, list";
    let e = CasbinAuthorizer::with_storage(DEFAULT_MODEL, store.clone(), unknown_type).await.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
    assert!(stored(&store).await.is_empty());

    let mut tx = store.begin().await.unwrap();
    tx.add_policy_rule(&PolicyRule::new("g", ["only-two", "values"]).unwrap()).await.unwrap();
    tx.commit().await.unwrap();
    let e = CasbinAuthorizer::with_storage(DEFAULT_MODEL, store.clone(), DEFAULT_POLICY).await.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
}

/// Run each scenario on a fresh memory store, a fresh SQLite file and a fresh PostgreSQL schema
/// (when `PORTAL_TEST_POSTGRES_URL` is set).
macro_rules! on_every_store {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            use super::*;

            #[tokio::test]
            async fn memory() {
                super::$scenario(Arc::new(MemoryStore::new())).await;
            }

            #[tokio::test]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let store = SqliteStore::open(dir.path().join("portal.db")).await.unwrap();
                super::$scenario(Arc::new(store)).await;
            }

            #[tokio::test]
            async fn postgres() {
                let schema = format!("{}_{}", run_schema(), stringify!($scenario).chars().take(20).collect::<String>());
                let Some(store) = postgres_store_in(&schema).await else { return };
                super::$scenario(Arc::new(store)).await;
            }
        }
    )+};
}

on_every_store!(
    a_policy_line_outlives_the_authorizer_that_added_it,
    s5_a_removed_shipped_line_stays_removed_after_restart,
    reload_picks_up_a_change_made_by_another_instance,
    a_policy_that_does_not_fit_the_model_is_config_invalid,
);
