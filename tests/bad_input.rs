//! Bad input gets a clear `ErrorKind` and writes nothing.

mod common;

use common::*;
use portal::core::model::PortalId;
use portal::prelude::*;

async fn counts(h: &Harness, admin: &Principal) -> (usize, usize) {
    let members = h.access().list_members(admin, MemberQuery { limit: 500, ..Default::default() }).await.unwrap();
    let audit = h.access().audit_log(admin, None, 1000).await.unwrap();
    (members.len(), audit.len())
}

#[tokio::test]
async fn bad_emails_and_passwords_are_invalid_input_and_write_nothing() {
    let h = Harness::memory().await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let before = counts(&h, &admin).await;
    let ten_kb = format!("{}@example.org", "a".repeat(10 * 1024));
    let megabyte = "p".repeat(1 << 20);
    let cases: Vec<(String, String)> = vec![
        (String::new(), GOOD_PASSWORD.into()),
        (ten_kb.clone(), GOOD_PASSWORD.into()),
        ("ann@example.org\r\nBcc: x@y.z".into(), GOOD_PASSWORD.into()),
        ("ann@example.org".into(), megabyte.clone()),
        ("ann@example.org".into(), String::new()),
        // A decomposed sequence that normalizes below the minimum length.
        ("ann@example.org".into(), "e\u{301}".repeat(14)),
    ];
    for (email, pw) in &cases {
        let e = h.register(pid, email, pw).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{:?}", &email.chars().take(30).collect::<String>());
    }
    let anon = Principal::anonymous(pid);
    assert_eq!(
        h.access().login(&anon, login_form("", GOOD_PASSWORD)).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        h.access().login(&anon, login_form(&ten_kb, GOOD_PASSWORD)).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        h.access().login(&anon, login_form(ADMIN_EMAIL, &megabyte)).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        h.access().request_password_reset(&anon, "not-an-email").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(h.access().invite(&admin, &ten_kb, Role::customer()).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(counts(&h, &admin).await, before, "nothing written");
}

#[tokio::test]
async fn unknown_portal_ids_are_not_found() {
    let h = Harness::memory().await;
    let nowhere = Principal::anonymous(PortalId::new());
    let e = h.register(nowhere.portal_id, "ann@example.org", GOOD_PASSWORD).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = h.access().login(&nowhere, login_form("ann@example.org", GOOD_PASSWORD)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = h.access().request_password_reset(&nowhere, "ann@example.org").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(h.access().portal(PortalId::new()).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn z6_another_portals_ids_are_not_found_through_the_service() {
    let h = Harness::memory().await;
    let (pid_a, admin_a) = h.portal_with_admin(PortalMode::Restricted).await;
    let (pid_b, admin_b) = h.portal_with_admin(PortalMode::Restricted).await;
    h.register(pid_a, "ann@example.org", GOOD_PASSWORD).await.unwrap();
    let q = MemberQuery { status: Some(MemberStatus::PendingApproval), ..Default::default() };
    let ann = h.access().list_members(&admin_a, q).await.unwrap()[0].user.id;
    // Admin of B acts on A's member: NotFound, and A's member is untouched.
    for r in [
        h.access().approve(&admin_b, ann).await.err(),
        h.access().reject(&admin_b, ann).await.err(),
        h.access().member(&admin_b, ann).await.err(),
        h.access().revoke_member_sessions(&admin_b, ann).await.err(),
    ] {
        assert_eq!(r.map(|e| e.kind()), Some(ErrorKind::NotFound));
    }
    assert_eq!(h.access().member(&admin_a, ann).await.unwrap().membership.status, MemberStatus::PendingApproval);
    // A's session token means nothing in B.
    let t = h.login_token(pid_a, ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    assert_eq!(h.access().validate_session(pid_b, t.expose()).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    // Creating a portal with a taken slug changes nothing.
    let slug = h.access().portal(pid_a).await.unwrap().slug;
    let e = h
        .access()
        .create_portal(NewPortal {
            slug,
            name: "Dup".into(),
            mode: PortalMode::Public,
            owner_email: "x@example.org".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert_eq!(h.access().portal(pid_a).await.unwrap().mode, PortalMode::Restricted);
}
