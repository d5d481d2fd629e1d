//! Sign-up in the three portal modes, approval, rejection, suspension (A9, S5).

mod common;

use common::*;
use portal::core::services::access::AccessConfig;
use portal::prelude::*;
use std::sync::Arc;

#[tokio::test]
async fn public_signup_is_active_at_once() {
    let h = Harness::memory().await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let me = h.login(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    assert!(me.has_role(Role::CUSTOMER));
}

#[tokio::test]
async fn a9_pending_restricted_member_gets_no_session_until_approved() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Restricted).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let e = h.login(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    let pending = h
        .access()
        .list_members(&admin, MemberQuery { status: Some(MemberStatus::PendingApproval), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    h.access().approve(&admin, pending[0].user.id).await.unwrap();
    assert!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.is_ok());
}

#[tokio::test]
async fn a9_rejected_member_never_signs_in_and_cannot_be_approved_later() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Restricted).await;
    h.register(pid, "bob@example.org", GOOD_PASSWORD).await.unwrap();
    let q = MemberQuery { status: Some(MemberStatus::PendingApproval), ..Default::default() };
    let bob = h.access().list_members(&admin, q).await.unwrap()[0].user.id;
    h.access().reject(&admin, bob).await.unwrap();
    assert_eq!(h.login(pid, "bob@example.org", GOOD_PASSWORD).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    assert_eq!(h.access().approve(&admin, bob).await.unwrap_err().kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a9_private_portal_refuses_self_signup_and_writes_nothing() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Private).await;
    let e = h.register(pid, "eve@example.org", GOOD_PASSWORD).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let members = h.access().list_members(&admin, MemberQuery::default()).await.unwrap();
    assert_eq!(members.len(), 1, "only the owner");
    // Invitations still admit.
    let m = h.invited(pid, &admin, "eve@example.org", Role::customer()).await;
    assert!(m.has_role(Role::CUSTOMER));
}

#[tokio::test]
async fn a9_a_privileged_signup_role_is_refused() {
    let mut config = AccessConfig::default();
    config.signup_role = Role::admin();
    let h = Harness::with(Arc::new(portal::core::memory::MemoryStore::new()), config).await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let e = h.register(pid, "mallory@example.org", GOOD_PASSWORD).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
    assert_eq!(h.access().list_members(&admin, MemberQuery::default()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn s5_suspension_kills_sessions_and_reactivation_needs_a_new_login() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let token = h.login_token(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let ann = h.access().validate_session(pid, token.expose()).await.unwrap();
    h.access().suspend(&admin, ann.user_id.unwrap()).await.unwrap();
    assert_eq!(h.access().validate_session(pid, token.expose()).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    assert_eq!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    h.access().reactivate(&admin, ann.user_id.unwrap()).await.unwrap();
    assert_eq!(h.access().validate_session(pid, token.expose()).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    assert!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.is_ok());
}

#[tokio::test]
async fn s5_admin_rights_end_on_the_next_call_after_suspension() {
    let h = Harness::memory().await;
    let (pid, owner) = h.portal_with_admin(PortalMode::Public).await;
    h.invited(pid, &owner, "second@acme.example", Role::admin()).await;
    let token = h.login_token(pid, "second@acme.example", GOOD_PASSWORD).await.unwrap();
    let second = h.access().validate_session(pid, token.expose()).await.unwrap();
    assert!(h.access().list_members(&second, MemberQuery::default()).await.is_ok());
    h.access().suspend(&owner, second.user_id.unwrap()).await.unwrap();
    // The host validates the token on every request: the very next one fails.
    assert!(h.access().validate_session(pid, token.expose()).await.is_err());
}

#[tokio::test]
async fn admins_cannot_suspend_themselves() {
    let h = Harness::memory().await;
    let (_, admin) = h.portal_with_admin(PortalMode::Public).await;
    let e = h.access().suspend(&admin, admin.user_id.unwrap()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}
