//! Property test over random sequences of register / invite / accept / approve / reject /
//! suspend / reactivate / login across two portals in random modes. After every step:
//! - a private portal never gains a self-registered member;
//! - no pending, rejected or suspended member holds a valid session;
//! - an accepted invitation grants exactly the role it names;
//! - a session of portal A is never valid in portal B.

mod common;

use common::*;
use portal::prelude::*;
use proptest::prelude::*;

const EMAILS: [&str; 4] = ["a@example.org", "b@example.org", "c@example.org", "d@example.org"];

#[derive(Debug, Clone)]
enum Op {
    Register { portal: usize, email: usize },
    Invite { portal: usize, email: usize, role: usize },
    Accept { invitation: usize },
    Approve { portal: usize, email: usize },
    Reject { portal: usize, email: usize },
    Suspend { portal: usize, email: usize },
    Reactivate { portal: usize, email: usize },
    Login { portal: usize, email: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..2usize;
    let e = 0..EMAILS.len();
    prop_oneof![
        (p.clone(), e.clone()).prop_map(|(portal, email)| Op::Register { portal, email }),
        (p.clone(), e.clone(), 0..3usize).prop_map(|(portal, email, role)| Op::Invite { portal, email, role }),
        (0..8usize).prop_map(|invitation| Op::Accept { invitation }),
        (p.clone(), e.clone()).prop_map(|(portal, email)| Op::Approve { portal, email }),
        (p.clone(), e.clone()).prop_map(|(portal, email)| Op::Reject { portal, email }),
        (p.clone(), e.clone()).prop_map(|(portal, email)| Op::Suspend { portal, email }),
        (p.clone(), e.clone()).prop_map(|(portal, email)| Op::Reactivate { portal, email }),
        (p, e).prop_map(|(portal, email)| Op::Login { portal, email }),
    ]
}

fn mode() -> impl Strategy<Value = PortalMode> {
    prop_oneof![Just(PortalMode::Public), Just(PortalMode::Restricted), Just(PortalMode::Private)]
}

async fn member_id(h: &Harness, admin: &Principal, email: &str) -> Option<(UserId, MemberStatus, Vec<Role>)> {
    let all = h.access().list_members(admin, MemberQuery { limit: 500, ..Default::default() }).await.unwrap();
    all.into_iter()
        .find(|m| m.user.email == email)
        .map(|m| (m.user.id, m.membership.status, m.membership.roles.to_vec()))
}

async fn run(modes: [PortalMode; 2], ops: Vec<Op>) {
    let h = Harness::memory().await;
    let mut portals = Vec::new();
    for m in modes {
        portals.push(h.portal_with_admin(m).await);
    }
    let roles = [Role::customer(), Role::agent(), Role::admin()];
    let mut invitations: Vec<(usize, String, Role, String)> = Vec::new(); // portal, email, role, token
    let mut sessions: Vec<(usize, String)> = Vec::new(); // portal, token
    for op in ops {
        match op {
            Op::Register { portal, email } => {
                let (pid, ref admin) = portals[portal];
                let before = member_id(&h, admin, EMAILS[email]).await;
                let r = h.register(pid, EMAILS[email], GOOD_PASSWORD).await;
                if modes[portal] == PortalMode::Private {
                    assert_eq!(r.unwrap_err().kind(), ErrorKind::PermissionDenied);
                    assert_eq!(member_id(&h, admin, EMAILS[email]).await, before, "private portal gained a sign-up");
                }
            }
            Op::Invite { portal, email, role } => {
                let (_, ref admin) = portals[portal];
                if let Ok(inv) = h.access().invite(admin, EMAILS[email], roles[role].clone()).await {
                    invitations.push((portal, EMAILS[email].into(), roles[role].clone(), inv.token.expose().into()));
                }
            }
            Op::Accept { invitation } => {
                if let Some((portal, email, role, token)) = invitations.get(invitation).cloned() {
                    let (pid, ref admin) = portals[portal];
                    let form = AcceptInvitation { token, password: GOOD_PASSWORD.into(), display_name: String::new() };
                    if h.access().accept_invitation(&Principal::anonymous(pid), form).await.is_ok() {
                        let (_, status, granted) = member_id(&h, admin, &email).await.unwrap();
                        assert_eq!((status, granted), (MemberStatus::Active, vec![role]));
                    }
                }
            }
            Op::Approve { portal, email }
            | Op::Reject { portal, email }
            | Op::Suspend { portal, email }
            | Op::Reactivate { portal, email } => {
                let (_, ref admin) = portals[portal];
                if let Some((id, _, _)) = member_id(&h, admin, EMAILS[email]).await {
                    let _ = match op {
                        Op::Approve { .. } => h.access().approve(admin, id).await,
                        Op::Reject { .. } => h.access().reject(admin, id).await,
                        Op::Suspend { .. } => h.access().suspend(admin, id).await,
                        _ => h.access().reactivate(admin, id).await,
                    };
                }
            }
            Op::Login { portal, email } => {
                let (pid, _) = portals[portal];
                if let Ok(t) = h.login_token(pid, EMAILS[email], GOOD_PASSWORD).await {
                    sessions.push((portal, t.expose().into()));
                }
            }
        }
        for (portal, token) in &sessions {
            let (pid, ref admin) = portals[*portal];
            if let Ok(p) = h.access().validate_session(pid, token).await {
                let m = h.access().member(admin, p.user_id.unwrap()).await.unwrap();
                assert_eq!(m.membership.status, MemberStatus::Active, "inactive member holds a valid session");
            }
            let (other, _) = portals[1 - *portal];
            assert!(h.access().validate_session(other, token).await.is_err(), "session valid in another portal");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn access_mode_invariants_hold_for_any_sequence(a in mode(), b in mode(), ops in prop::collection::vec(op(), 1..24)) {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run([a, b], ops));
    }
}
