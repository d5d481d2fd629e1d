//! Sign-in, throttling and sessions (A7, A2, R1, R2, S1, S2, S3, S8).

mod common;

use chrono::Duration;
use common::*;
use portal::core::ports::{Clock, Storage};
use portal::core::secret::SecretToken;
use portal::core::services::access::{AccessConfig, LoginRequest};
use portal::prelude::*;
use std::sync::Arc;

#[tokio::test]
async fn a7_unknown_wrong_pending_and_suspended_get_the_same_error_after_one_hash_check() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Restricted).await;
    h.register(pid, "pending@example.org", GOOD_PASSWORD).await.unwrap();
    let sus = h.invited(pid, &admin, "suspended@example.org", Role::customer()).await;
    h.access().suspend(&admin, sus.user_id.unwrap()).await.unwrap();
    let cases = [
        ("unknown@example.org", GOOD_PASSWORD),
        (ADMIN_EMAIL, "a wrong password for sure"),
        ("pending@example.org", GOOD_PASSWORD),
        ("suspended@example.org", GOOD_PASSWORD),
    ];
    let mut answers = Vec::new();
    for (email, pw) in cases {
        let before = h.verifies();
        let e = h.access().login(&Principal::anonymous(pid), login_form(email, pw)).await.unwrap_err();
        assert_eq!(h.verifies() - before, 1, "{email}: exactly one password hash check");
        answers.push((e.kind(), e.message().to_owned()));
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, ErrorKind::Unauthenticated);
}

#[tokio::test]
async fn a2_a_password_typed_in_full_width_form_signs_in() {
    let h = Harness::memory().await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", "ｐａｐｅｒ ｋｉｔｅｓ ｏｖｅｒ ｔｈｅ ｈａｒｂｏｕｒ").await.unwrap();
    assert!(h.login(pid, "ann@example.org", GOOD_PASSWORD).await.is_ok());
    // ...but case is never folded.
    assert!(h.login(pid, "ann@example.org", &GOOD_PASSWORD.to_uppercase()).await.is_err());
}

#[tokio::test]
async fn r1_failures_escalate_delay_and_cap_at_100_then_reset_unlocks() {
    let h = Harness::memory().await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let anon = Principal::anonymous(pid);
    for _ in 0..5 {
        let e = h.access().login(&anon, login_form("ann@example.org", "wrong wrong wrong")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    }
    // Blocked now, even with the right password.
    let e = h.access().login(&anon, login_form("ann@example.org", GOOD_PASSWORD)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    h.clock.advance(Duration::seconds(1));
    assert_eq!(
        h.access().login(&anon, login_form("ann@example.org", "wrong wrong wrong")).await.unwrap_err().kind(),
        ErrorKind::Unauthenticated
    );
    // The delay doubled: 1 s is no longer enough.
    h.clock.advance(Duration::seconds(1));
    assert_eq!(
        h.access().login(&anon, login_form("ann@example.org", GOOD_PASSWORD)).await.unwrap_err().kind(),
        ErrorKind::RateLimited
    );
    // Keep failing, each time after the delay, up to the cap of 100.
    for _ in 6..100 {
        h.clock.advance(Duration::seconds(901));
        let _ = h.access().login(&anon, login_form("ann@example.org", "wrong wrong wrong")).await;
    }
    h.clock.advance(Duration::days(30));
    assert_eq!(
        h.access().login(&anon, login_form("ann@example.org", GOOD_PASSWORD)).await.unwrap_err().kind(),
        ErrorKind::RateLimited,
        "after 100 consecutive failures only a reset helps"
    );
    let reset = h.access().request_password_reset(&anon, "ann@example.org").await.unwrap();
    let token = reset.delivery.unwrap().token;
    h.access().reset_password(&anon, token.expose(), "brand new kites over the bay").await.unwrap();
    assert!(h.login(pid, "ann@example.org", "brand new kites over the bay").await.is_ok());
}

#[tokio::test]
async fn r1_throttle_state_is_kept_in_storage_across_engine_instances() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Storage> =
        Arc::new(portal::adapters::sqlite::SqliteStore::open(dir.path().join("p.db")).await.unwrap());
    let h1 = Harness::with(store.clone(), AccessConfig::default()).await;
    let (pid, _) = h1.portal_with_admin(PortalMode::Public).await;
    h1.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    for _ in 0..5 {
        let _ = h1.access().login(&Principal::anonymous(pid), login_form("ann@example.org", "wrong wrong wrong")).await;
    }
    // A second engine (think: another process, or a restart) on the same database.
    let h2 = Harness::with(store, AccessConfig::default()).await;
    h2.clock.set(h1.clock.now());
    let e = h2.access().login(&Principal::anonymous(pid), login_form("ann@example.org", GOOD_PASSWORD)).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::RateLimited);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r2_fifty_parallel_wrong_passwords_evaluate_at_most_the_free_attempts() {
    let h = Arc::new(Harness::memory().await);
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let before = h.verifies();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            h.access()
                .login(&Principal::anonymous(pid), login_form("ann@example.org", &format!("wrong guess number {i}")))
                .await
                .unwrap_err()
                .kind()
        }));
    }
    let mut limited = 0;
    for t in tasks {
        if t.await.unwrap() == ErrorKind::RateLimited {
            limited += 1;
        }
    }
    let evaluated = h.verifies() - before;
    let free = AccessConfig::default().throttle.free_attempts as usize;
    assert!(evaluated <= free, "{evaluated} passwords evaluated, limit {free}");
    assert_eq!(limited, 50 - evaluated);
}

#[tokio::test]
async fn s1_session_tokens_are_random_256_bit_and_stored_only_hashed() {
    let h = Harness::memory().await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let a = h.access().login(&Principal::anonymous(pid), login_form("ann@example.org", GOOD_PASSWORD)).await.unwrap();
    let b = h.access().login(&Principal::anonymous(pid), login_form("ann@example.org", GOOD_PASSWORD)).await.unwrap();
    assert_ne!(a.token, b.token);
    assert_eq!(a.token.expose().len(), 43);
    // The session record carries the SHA-256 of the token, never the token.
    assert!(!format!("{:?}", a.session).contains(a.token.expose()));
    assert!(!format!("{:?}", a).contains(a.token.expose()), "Debug of the result redacts the token");
}

#[tokio::test]
async fn s2_login_rotates_and_a_planted_token_is_rejected() {
    let h = Harness::memory().await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    // An attacker plants a token of their choosing: it is not a session, before or after login.
    let planted = SecretToken::generate().unwrap();
    assert!(h.access().validate_session(pid, planted.expose()).await.is_err());
    let first = h.login_token(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let form = LoginRequest {
        email: "ann@example.org".into(),
        password: GOOD_PASSWORD.into(),
        replaces: Some(first.expose().to_owned()),
    };
    let second = h.access().login(&Principal::anonymous(pid), form).await.unwrap();
    assert_ne!(second.token, first);
    assert!(h.access().validate_session(pid, first.expose()).await.is_err(), "old session revoked at login");
    assert!(h.access().validate_session(pid, second.token.expose()).await.is_ok());
    assert!(h.access().validate_session(pid, planted.expose()).await.is_err());
}

#[tokio::test]
async fn s3_logout_and_idle_and_absolute_timeouts_end_sessions() {
    let h = Harness::memory().await;
    let (pid, _) = h.portal_with_admin(PortalMode::Public).await;
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let cfg = AccessConfig::default();

    let t = h.login_token(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let me = h.access().validate_session(pid, t.expose()).await.unwrap();
    h.access().logout(&me).await.unwrap();
    assert_eq!(h.access().validate_session(pid, t.expose()).await.unwrap_err().kind(), ErrorKind::Unauthenticated);

    let idle = h.login_token(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    h.clock.advance(Duration::seconds(i64::from(cfg.session_idle_timeout_secs) - 1));
    assert!(h.access().validate_session(pid, idle.expose()).await.is_ok(), "use keeps it alive");
    h.clock.advance(Duration::seconds(i64::from(cfg.session_idle_timeout_secs)));
    assert!(h.access().validate_session(pid, idle.expose()).await.is_err(), "idle too long");

    let busy = h.login_token(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let step = Duration::seconds(i64::from(cfg.session_idle_timeout_secs) / 2);
    let mut elapsed = Duration::zero();
    while elapsed + step < Duration::seconds(i64::from(cfg.session_absolute_timeout_secs)) {
        h.clock.advance(step);
        elapsed += step;
        assert!(h.access().validate_session(pid, busy.expose()).await.is_ok());
    }
    h.clock.advance(step);
    assert!(h.access().validate_session(pid, busy.expose()).await.is_err(), "absolute timeout despite activity");
}

#[tokio::test]
async fn s8_users_list_and_revoke_their_own_sessions_only() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let ann = h.member(pid, &admin, "ann@example.org").await;
    let other = h.login_token(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let sessions = h.access().list_sessions(&ann).await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    // Someone else's session id is NotFound, not revoked.
    let admin_session = admin.session_id.unwrap();
    assert_eq!(h.access().revoke_session(&ann, admin_session).await.unwrap_err().kind(), ErrorKind::NotFound);
    let not_current = sessions.iter().find(|s| !s.current).unwrap().id;
    h.access().revoke_session(&ann, not_current).await.unwrap();
    assert!(h.access().validate_session(pid, other.expose()).await.is_err());
    // Admins revoke anyone's.
    assert_eq!(h.access().revoke_member_sessions(&admin, ann.user_id.unwrap()).await.unwrap(), 1);
}
