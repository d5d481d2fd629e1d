//! Audit trail (L1, L2, L4). L2 captures every log line of this test process, so it lives in a
//! file of its own with a global subscriber.

mod common;

use common::*;
use portal::core::model::AuditOutcome;
use portal::prelude::*;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        captured
    })
}

#[tokio::test]
async fn l1_l4_every_change_and_denial_is_audited_with_utc_actor_portal_and_request_id() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Restricted).await;
    let admin = admin.with_request_id("req-42");
    let anon = Principal::anonymous(pid).with_request_id("req-anon");
    h.register(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let _ = h.access().login(&anon, login_form("ann@example.org", "wrong password here")).await;
    let q = MemberQuery { status: Some(MemberStatus::PendingApproval), ..Default::default() };
    let ann = h.access().list_members(&admin, q).await.unwrap()[0].user.id;
    h.access().approve(&admin, ann).await.unwrap();
    let customer = h.login(pid, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let _ = h.access().audit_log(&customer, None, 10).await; // denied
    let reset = h.access().request_password_reset(&anon, "ann@example.org").await.unwrap();
    h.access()
        .reset_password(&anon, reset.delivery.unwrap().token.expose(), "violet tractor under rain")
        .await
        .unwrap();
    h.access().suspend(&admin, ann).await.unwrap();

    let log = h.access().audit_log(&admin, None, 1000).await.unwrap();
    let has = |action: &str, outcome: AuditOutcome| log.iter().any(|e| e.action == action && e.outcome == outcome);
    for (action, outcome) in [
        ("portal.create", AuditOutcome::Success),
        ("member.invite", AuditOutcome::Success),
        ("invitation.accept", AuditOutcome::Success),
        ("member.register", AuditOutcome::Success),
        ("session.login", AuditOutcome::Failure),
        ("session.login", AuditOutcome::Success),
        ("member.approve", AuditOutcome::Success),
        ("audit.read", AuditOutcome::Denied),
        ("password.reset_request", AuditOutcome::Success),
        ("password.reset", AuditOutcome::Success),
        ("member.suspend", AuditOutcome::Success),
    ] {
        assert!(has(action, outcome), "missing {action} {outcome:?}");
    }
    let approve = log.iter().find(|e| e.action == "member.approve").unwrap();
    assert_eq!(approve.actor, admin.user_id);
    assert_eq!(approve.portal_id, pid);
    assert_eq!(approve.request_id.as_deref(), Some("req-42"));
    assert_eq!(approve.target.as_deref(), Some(ann.to_string().as_str()));
    assert_eq!(approve.at, h.now(), "stamped with the injected UTC clock");
    let denied = log.iter().find(|e| e.action == "audit.read").unwrap();
    assert_eq!(denied.actor, customer.user_id);
}

#[tokio::test]
async fn l2_a_sentinel_password_never_appears_in_audit_rows_or_logs() {
    let logs = logs();
    const SENTINEL: &str = "SENTINEL-7f3a9c-never-log-me";
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let anon = Principal::anonymous(pid);
    h.register(pid, "ann@example.org", SENTINEL).await.unwrap();
    let _ = h.access().login(&anon, login_form("ann@example.org", &format!("{SENTINEL}-wrong"))).await;
    let t = h.login_token(pid, "ann@example.org", SENTINEL).await.unwrap();
    let ann = h.access().validate_session(pid, t.expose()).await.unwrap();
    h.access().change_password(&ann, SENTINEL, &format!("{SENTINEL}-2")).await.unwrap();
    let reset = h.access().request_password_reset(&anon, "ann@example.org").await.unwrap().delivery.unwrap();
    h.access().reset_password(&anon, reset.token.expose(), &format!("{SENTINEL}-3")).await.unwrap();
    let _ = h
        .access()
        .register(
            &anon,
            Registration {
                email: "bob@example.org".into(),
                password: format!("{SENTINEL}-short"),
                display_name: String::new(),
            },
        )
        .await;

    let audit = format!("{:?}", h.access().audit_log(&admin, None, 1000).await.unwrap());
    let captured = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(!captured.is_empty(), "the capture works");
    for (name, text) in [("audit", &audit), ("logs", &captured)] {
        assert!(!text.contains("SENTINEL"), "password leaked into {name}");
        assert!(!text.contains(t.expose()), "session token leaked into {name}");
        assert!(!text.contains(reset.token.expose()), "reset token leaked into {name}");
    }
}
