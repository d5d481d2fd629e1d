//! Password policy on every path, reset and change, invitations (A1, A3, A6, A8, S4, T1, T2, T3,
//! T5, M4).

mod common;

use chrono::Duration;
use common::*;
use portal::core::secret::SecretToken;
use portal::prelude::*;
use std::sync::Arc;

const COMMON_LONG: [&str; 3] = ["passwordpassword", "qwertyuiopasdfghjkl", "123456789012345678"];

#[tokio::test]
async fn a1_short_passwords_are_refused_and_long_ones_accepted() {
    let h = Harness::memory().await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    let e = h.register(pid, "a@example.org", "only 14 chars!").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let long: String = "a sentence that keeps on going and going ".repeat(3); // 123 characters
    h.register(pid, "b@example.org", &long).await.unwrap();
    assert!(h.login(pid, "b@example.org", &long).await.is_ok());
}

#[tokio::test]
async fn a3_common_and_context_passwords_are_refused_on_register_change_and_reset() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let anon = Principal::anonymous(pid);
    for bad in COMMON_LONG.iter().copied().chain(["acme help is where I work", "my email is zoe@example.org!"]) {
        let e = h.register(pid, "zoe@example.org", bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "register {bad}");
    }
    let zoe = h.member(pid, &admin, "zoe@example.org").await;
    for bad in COMMON_LONG {
        let e = h.access().change_password(&zoe, GOOD_PASSWORD, bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "change {bad}");
    }
    let token = h.access().request_password_reset(&anon, "zoe@example.org").await.unwrap().delivery.unwrap().token;
    for bad in COMMON_LONG {
        let e = h.access().reset_password(&anon, token.expose(), bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "reset {bad}");
    }
    // A refused password did not burn the token.
    h.access().reset_password(&anon, token.expose(), "violet tractor under rain").await.unwrap();
}

#[tokio::test]
async fn a6_the_stored_hash_used_as_the_password_fails_with_real_argon2() {
    let store = Arc::new(portal::core::memory::MemoryStore::new());
    let portal = Portal::builder().storage_arc(store.clone()).build().await.unwrap();
    let created = portal
        .access()
        .create_portal(NewPortal {
            slug: "a6".into(),
            name: "A6".into(),
            mode: PortalMode::Public,
            owner_email: "o@example.org".into(),
        })
        .await
        .unwrap();
    let pid = created.portal.id;
    let anon = Principal::anonymous(pid);
    portal
        .access()
        .register(
            &anon,
            Registration { email: "u@example.org".into(), password: GOOD_PASSWORD.into(), display_name: String::new() },
        )
        .await
        .unwrap();
    let phc = {
        use portal::core::ports::Storage;
        let mut tx = store.begin().await.unwrap();
        let u = tx.find_user_by_email(pid, "u@example.org").await.unwrap().unwrap();
        tx.get_password(pid, u.id).await.unwrap().unwrap().phc
    };
    assert!(phc.starts_with("$argon2id$"));
    let e = portal.access().login(&anon, login_form("u@example.org", &phc)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert!(portal.access().login(&anon, login_form("u@example.org", GOOD_PASSWORD)).await.is_ok());
}

#[tokio::test]
async fn a8_password_change_needs_the_current_password() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let ann = h.member(pid, &admin, "ann@example.org").await;
    let e = h.access().change_password(&ann, "not my password at all", "violet tractor under rain").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.is_ok(), "unchanged");
    let anon = Principal::anonymous(pid);
    let e = h.access().change_password(&anon, GOOD_PASSWORD, "violet tractor under rain").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    h.access().change_password(&ann, GOOD_PASSWORD, "violet tractor under rain").await.unwrap();
    assert!(h.login(pid, "ann@example.org", "violet tractor under rain").await.is_ok());
}

#[tokio::test]
async fn s4_password_change_keeps_this_session_and_ends_the_others() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let ann = h.member(pid, &admin, "ann@example.org").await;
    let other = h.login_token(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    h.access().change_password(&ann, GOOD_PASSWORD, "violet tractor under rain").await.unwrap();
    assert!(h.access().validate_session(pid, other.expose()).await.is_err());
    assert_eq!(h.access().list_sessions(&ann).await.unwrap().len(), 1);
}

#[tokio::test]
async fn s4_m4_reset_ends_every_session_and_does_not_sign_in() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let ann = h.member(pid, &admin, "ann@example.org").await;
    let anon = Principal::anonymous(pid);
    let t = h.access().request_password_reset(&anon, "ann@example.org").await.unwrap().delivery.unwrap().token;
    h.access().reset_password(&anon, t.expose(), "violet tractor under rain").await.unwrap();
    assert!(h.access().list_sessions(&ann).await.unwrap().is_empty());
    assert!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.is_err());
    assert!(h.login(pid, "ann@example.org", "violet tractor under rain").await.is_ok());
}

#[tokio::test]
async fn t1_reset_tokens_are_random_bound_to_portal_and_expire() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let (other_pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.member(pid, &admin, "ann@example.org").await;
    let anon = Principal::anonymous(pid);
    let a = h.access().request_password_reset(&anon, "ann@example.org").await.unwrap().delivery.unwrap();
    assert_eq!(a.token.expose().len(), 43);
    assert!(a.expires_at - h.now() <= Duration::minutes(30));
    // Another portal does not know the token.
    let e = h
        .access()
        .reset_password(&Principal::anonymous(other_pid), a.token.expose(), "violet tractor under rain")
        .await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Unauthenticated);
    // Expired after 30 minutes.
    h.clock.advance(Duration::minutes(31));
    let e = h.access().reset_password(&anon, a.token.expose(), "violet tractor under rain").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
}

#[tokio::test]
async fn a7_reset_request_answers_the_same_for_known_and_unknown_emails() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    h.member(pid, &admin, "ann@example.org").await;
    let anon = Principal::anonymous(pid);
    let known = h.access().request_password_reset(&anon, "ann@example.org").await;
    let unknown = h.access().request_password_reset(&anon, "nobody@example.org").await;
    // Both succeed; only the host-side delivery differs (the client is answered identically).
    assert!(known.unwrap().delivery.is_some());
    assert!(unknown.unwrap().delivery.is_none());
}

#[tokio::test]
async fn t2_a_newer_reset_token_or_a_password_change_kills_older_tokens() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let ann = h.member(pid, &admin, "ann@example.org").await;
    let anon = Principal::anonymous(pid);
    let old = h.access().request_password_reset(&anon, "ann@example.org").await.unwrap().delivery.unwrap().token;
    let new = h.access().request_password_reset(&anon, "ann@example.org").await.unwrap().delivery.unwrap().token;
    assert!(h.access().reset_password(&anon, old.expose(), "violet tractor under rain").await.is_err());
    h.access().change_password(&ann, GOOD_PASSWORD, "lemon quartz after dusk").await.unwrap();
    assert!(h.access().reset_password(&anon, new.expose(), "violet tractor under rain").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t2_concurrent_redemptions_of_one_reset_token_succeed_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(portal::adapters::sqlite::SqliteStore::open(dir.path().join("t2.db")).await.unwrap());
    races::t2_fifty_redemptions_of_one_token_succeed_once(store).await;
}

#[tokio::test]
async fn t3_set_password_is_unreachable_without_a_valid_token() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    h.member(pid, &admin, "ann@example.org").await;
    let anon = Principal::anonymous(pid);
    for bad in ["", "x", SecretToken::generate().unwrap().expose(), &"A".repeat(43)] {
        let e = h.access().reset_password(&anon, bad, "violet tractor under rain").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    }
    assert!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.is_ok());
}

#[tokio::test]
async fn t5_an_invitation_is_bound_to_email_portal_and_role_and_expires() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Private).await;
    let (other, _) = h.portal_with_admin(PortalMode::Private).await;
    let inv = h.access().invite(&admin, "agent@acme.example", Role::agent()).await.unwrap();
    let form =
        |tok: &str| AcceptInvitation { token: tok.into(), password: GOOD_PASSWORD.into(), display_name: String::new() };
    // Not in another portal.
    let e = h.access().accept_invitation(&Principal::anonymous(other), form(inv.token.expose())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    // Accepting grants exactly the named role, for exactly the invited email.
    h.access().accept_invitation(&Principal::anonymous(pid), form(inv.token.expose())).await.unwrap();
    let agent = h.login(pid, "agent@acme.example", GOOD_PASSWORD).await.unwrap();
    assert_eq!(agent.roles, vec![Role::agent()]);
    // Single use.
    let e = h.access().accept_invitation(&Principal::anonymous(pid), form(inv.token.expose())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    // Expiry.
    let late = h.access().invite(&admin, "late@acme.example", Role::customer()).await.unwrap();
    h.clock.advance(Duration::days(8));
    let e = h.access().accept_invitation(&Principal::anonymous(pid), form(late.token.expose())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
}

#[tokio::test]
async fn t5_a_revoked_invitation_cannot_be_accepted() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Private).await;
    let inv = h.access().invite(&admin, "x@acme.example", Role::customer()).await.unwrap();
    assert_eq!(h.access().list_invitations(&admin).await.unwrap().len(), 1);
    h.access().revoke_invitation(&admin, inv.invitation.id).await.unwrap();
    let form = AcceptInvitation {
        token: inv.token.expose().into(),
        password: GOOD_PASSWORD.into(),
        display_name: String::new(),
    };
    let e = h.access().accept_invitation(&Principal::anonymous(pid), form).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert!(h.access().list_invitations(&admin).await.unwrap().is_empty());
}

#[tokio::test]
async fn t5_invitations_cannot_escalate_beyond_the_inviters_rights() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Private).await;
    let agent = h.invited(pid, &admin, "agent@acme.example", Role::agent()).await;
    // Agents may invite customers...
    assert!(h.access().invite(&agent, "c@example.org", Role::customer()).await.is_ok());
    // ...but never staff.
    for role in [Role::agent(), Role::admin()] {
        let e = h.access().invite(&agent, "boss@example.org", role).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    }
}

#[tokio::test]
async fn an_old_invitation_never_revives_a_suspended_member() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Private).await;
    let ann = h.invited(pid, &admin, "ann@example.org", Role::customer()).await;
    h.access().suspend(&admin, ann.user_id.unwrap()).await.unwrap();
    let e = h.access().invite(&admin, "ann@example.org", Role::customer()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
}
