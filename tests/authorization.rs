//! The shipped policy's decisions, the same on casbin-rs (`CasbinAuthorizer`) and on the
//! compiled index (`CompiledAuthorizer`): every test runs on both.

mod common;

use common::authorizers::Stored;
use portal::auth::{CasbinAuthorizer, CompiledAuthorizer, DEFAULT_POLICY};
use portal::core::memory::MemoryStore;
use portal::core::model::{OrganizationId, PolicyRule, PortalId, Principal, Role, UserId};
use portal::core::ports::{Item, Storage};
use std::sync::Arc;

fn principal(portal: PortalId, roles: &[&str]) -> Principal {
    Principal {
        user_id: Some(UserId::new()),
        roles: roles.iter().map(|r| Role::new(*r).unwrap()).collect(),
        ..Principal::anonymous(portal)
    }
}

fn line(values: [&str; 5]) -> PolicyRule {
    PolicyRule::new("p", values).unwrap()
}

async fn open<A: Stored>(seed: &str) -> A {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    A::open(&store, seed).await.expect("authorizer")
}

async fn default_policy_lets_admins_administer_and_nobody_else<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = PortalId::new();
    assert!(a.check(&principal(p, &["admin"]), "member", "approve").await.unwrap());
    assert!(!a.check(&principal(p, &["agent"]), "member", "approve").await.unwrap());
    assert!(!a.check(&principal(p, &["customer"]), "member", "approve").await.unwrap());
    assert!(!a.check(&Principal::anonymous(p), "member", "list").await.unwrap());
    // Agents may invite customers but never grant staff roles; admins inherit what agents may.
    assert!(a.check(&principal(p, &["agent"]), "role:customer", "grant").await.unwrap());
    assert!(!a.check(&principal(p, &["agent"]), "role:admin", "grant").await.unwrap());
    assert!(a.check(&principal(p, &["admin"]), "member", "list").await.unwrap());
    // Any one role suffices.
    assert!(a.check(&principal(p, &["customer", "admin"]), "audit", "read").await.unwrap());
}

async fn visibility_labels_follow_the_role_hierarchy<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = PortalId::new();
    let reads = |roles: &'static [&'static str], label: &'static str| {
        let who = if roles.is_empty() { Principal::anonymous(p) } else { principal(p, roles) };
        let a = &a;
        async move { a.check(&who, &format!("article:{label}"), "read").await.unwrap() }
    };
    assert!(reads(&[], "public").await);
    assert!(!reads(&[], "customers").await);
    assert!(reads(&["customer"], "public").await);
    assert!(reads(&["customer"], "customers").await);
    assert!(!reads(&["customer"], "internal").await);
    assert!(reads(&["agent"], "internal").await);
    assert!(reads(&["admin"], "public").await);
}

async fn z10_a_role_granted_in_one_portal_is_denied_in_another<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let (p1, p2) = (PortalId::new(), PortalId::new());
    a.add(&line(["moderator", &p1.to_string(), "member", "suspend", "allow"])).await.unwrap();
    assert!(a.check(&principal(p1, &["moderator"]), "member", "suspend").await.unwrap());
    assert!(!a.check(&principal(p2, &["moderator"]), "member", "suspend").await.unwrap());
}

async fn z11_a_deny_line_overrides_inherited_allows<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = PortalId::new();
    let agent = principal(p, &["agent"]);
    assert!(a.check(&agent, "article:internal", "read").await.unwrap());
    a.add(&line(["customer", &p.to_string(), "article:internal", "read", "deny"])).await.unwrap();
    assert!(!a.check(&agent, "article:internal", "read").await.unwrap(), "the agent is a customer too");
    assert!(a.check(&principal(PortalId::new(), &["agent"]), "article:internal", "read").await.unwrap());
}

async fn s5_a_removed_policy_line_is_refused_on_the_next_check<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = principal(PortalId::new(), &["agent"]);
    assert!(a.check(&p, "member", "list").await.unwrap());
    assert!(a.remove(&line(["agent", "*", "member", "list", "allow"])).await.unwrap());
    assert!(!a.check(&p, "member", "list").await.unwrap());
}

async fn s5_a_removed_role_link_is_refused_on_the_next_check<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = principal(PortalId::new(), &["admin"]);
    assert!(a.check(&p, "article:internal", "read").await.unwrap());
    assert!(a.remove(&PolicyRule::new("g", ["admin", "agent", "*"]).unwrap()).await.unwrap());
    assert!(!a.check(&p, "article:internal", "read").await.unwrap());
}

/// A customer reads their own tickets and their organisation's shared ones; an agent reads all.
async fn z2_z4_tickets_are_filtered_by_owner_and_shared_organisation<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = PortalId::new();
    let acme = OrganizationId::new();
    let mut ann = principal(p, &["customer"]);
    ann.organization = Some(acme);
    let bob = UserId::new();
    let tickets = [
        Item::owned(ann.user_id.unwrap(), Some(acme), false), // Ann's own
        Item::owned(bob, Some(acme), true),                   // a colleague's, shared
        Item::owned(bob, Some(acme), false),                  // Z4: same organisation, not shared
        Item::owned(bob, Some(OrganizationId::new()), true),  // another organisation's, shared there
        Item::owned(bob, None, true),                         // shared, but with no organisation
    ];
    assert_eq!(a.filter(&ann, "ticket", "read", &tickets).await.unwrap(), [true, true, false, false, false]);
    let mut loner = principal(p, &["customer"]);
    loner.organization = None;
    assert_eq!(a.filter(&loner, "ticket", "read", &tickets).await.unwrap(), [false, false, false, false, false]);
    let agent = principal(p, &["agent"]);
    assert_eq!(a.filter(&agent, "ticket", "read", &tickets).await.unwrap(), [true; 5]);
    assert_eq!(a.filter(&Principal::anonymous(p), "ticket", "read", &tickets).await.unwrap(), [false; 5]);
}

/// `filter` gives, item by item, what `check` gives on the item's objects.
async fn filter_agrees_with_check_item_by_item<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = PortalId::new();
    let labels = ["public", "customers", "internal", "secret"];
    let items: Vec<Item> = labels.iter().map(|l| Item::labeled(l)).collect();
    for roles in [&[][..], &["customer"], &["agent"], &["customer", "agent"]] {
        let who = if roles.is_empty() { Principal::anonymous(p) } else { principal(p, roles) };
        let filtered = a.filter(&who, "article", "read", &items).await.unwrap();
        for (label, allowed) in labels.iter().zip(filtered) {
            assert_eq!(allowed, a.check(&who, &format!("article:{label}"), "read").await.unwrap(), "{roles:?} {label}");
        }
    }
}

/// The labels a principal may read are what a search index filters on.
async fn readable_labels_list_what_each_role_may_read<A: Stored>() {
    let a: A = open(DEFAULT_POLICY).await;
    let p = PortalId::new();
    assert_eq!(a.readable_labels(&Principal::anonymous(p), "article", "read").await.unwrap(), ["public"]);
    assert_eq!(
        a.readable_labels(&principal(p, &["customer"]), "article", "read").await.unwrap(),
        ["customers", "public"]
    );
    assert_eq!(
        a.readable_labels(&principal(p, &["agent"]), "article", "read").await.unwrap(),
        ["customers", "internal", "public"]
    );
    assert!(a.readable_labels(&principal(p, &["agent"]), "article", "delete").await.unwrap().is_empty());
    // A label granted in one portal is readable there only.
    a.add(&line(["customer", &p.to_string(), "article:role-vip", "read", "allow"])).await.unwrap();
    assert!(a
        .readable_labels(&principal(p, &["customer"]), "article", "read")
        .await
        .unwrap()
        .contains(&"role-vip".to_owned()));
    let elsewhere = a.readable_labels(&principal(PortalId::new(), &["customer"]), "article", "read").await.unwrap();
    assert!(!elsewhere.contains(&"role-vip".to_owned()));
}

macro_rules! on_both {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            use super::*;

            #[tokio::test]
            async fn casbin() {
                super::$scenario::<CasbinAuthorizer>().await;
            }

            #[tokio::test]
            async fn compiled() {
                super::$scenario::<CompiledAuthorizer>().await;
            }
        }
    )+};
}

on_both!(
    default_policy_lets_admins_administer_and_nobody_else,
    visibility_labels_follow_the_role_hierarchy,
    z10_a_role_granted_in_one_portal_is_denied_in_another,
    z11_a_deny_line_overrides_inherited_allows,
    s5_a_removed_policy_line_is_refused_on_the_next_check,
    s5_a_removed_role_link_is_refused_on_the_next_check,
    z2_z4_tickets_are_filtered_by_owner_and_shared_organisation,
    filter_agrees_with_check_item_by_item,
    readable_labels_list_what_each_role_may_read,
);
