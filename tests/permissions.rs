//! Policy administration through the portal API: granting and revoking roles, and a portal's own
//! policy lines. Every scenario runs on the default compiled index and on casbin-rs, each over
//! the policy stored in the portal's own database.

mod common;

use common::{Harness, GOOD_PASSWORD};
use portal::core::memory::MemoryStore;
use portal::core::model::{AuditOutcome, PolicyRule, Principal, Role};
use portal::core::ports::Storage;
use portal::prelude::{ErrorKind, MemberQuery, PortalMode};
use std::sync::Arc;

fn p_line(values: [&str; 5]) -> PolicyRule {
    PolicyRule::new("p", values).unwrap()
}

fn g_line(values: [&str; 3]) -> PolicyRule {
    PolicyRule::new("g", values).unwrap()
}

/// The portal's audit actions with their outcome, oldest first.
async fn audit(h: &Harness, admin: &Principal) -> Vec<(String, AuditOutcome)> {
    let mut events = h.access().audit_log(admin, None, 1000).await.unwrap();
    events.reverse();
    events.into_iter().map(|e| (e.action, e.outcome)).collect()
}

async fn s5_a_granted_role_counts_from_the_next_request_and_a_revoked_one_is_gone(h: Harness) {
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let member = h.member(pid, &admin, "dana@example.org").await;
    let user = member.user_id.unwrap();
    let token = h.login_token(pid, "dana@example.org", GOOD_PASSWORD).await.unwrap();
    let list = |who: Principal| {
        let h = &h;
        async move { h.access().list_members(&who, MemberQuery::default()).await.map(|_| ()) }
    };
    assert_eq!(list(member.clone()).await.unwrap_err().kind(), ErrorKind::PermissionDenied);

    let m = h.access().grant_role(&admin, user, Role::agent()).await.unwrap();
    assert!(m.roles.contains(&Role::agent()));
    let again = h.access().validate_session(pid, token.expose()).await.unwrap();
    assert!(again.has_role(Role::AGENT), "the same session carries the new role");
    list(again).await.expect("an agent lists members");
    // Granting what the member has changes nothing and writes no second event.
    h.access().grant_role(&admin, user, Role::agent()).await.unwrap();

    h.access().revoke_role(&admin, user, Role::agent()).await.unwrap();
    let after = h.access().validate_session(pid, token.expose()).await.unwrap();
    assert!(!after.has_role(Role::AGENT));
    assert_eq!(list(after).await.unwrap_err().kind(), ErrorKind::PermissionDenied);

    let log = audit(&h, &admin).await;
    let granted = log.iter().filter(|(a, o)| a == "member.role_granted" && *o == AuditOutcome::Success).count();
    assert_eq!(granted, 1);
    assert!(log.iter().any(|(a, o)| a == "member.role_revoked" && *o == AuditOutcome::Success));
}

async fn the_last_active_admin_keeps_the_admin_role(h: Harness) {
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let me = admin.user_id.unwrap();
    let e = h.access().revoke_role(&admin, me, Role::admin()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    let still = h.access().member(&admin, me).await.unwrap();
    assert!(still.membership.roles.contains(&Role::admin()), "nothing was written");

    // With a second admin, the first may step down.
    let other = h.member(pid, &admin, "second@example.org").await;
    h.access().grant_role(&admin, other.user_id.unwrap(), Role::admin()).await.unwrap();
    h.access().revoke_role(&admin, me, Role::admin()).await.unwrap();
    let second = h.login(pid, "second@example.org", GOOD_PASSWORD).await.unwrap();
    let e = h.access().revoke_role(&second, other.user_id.unwrap(), Role::admin()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "now the second one is the last");
}

async fn an_agent_grants_customer_but_never_staff_roles(h: Harness) {
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let agent = h.invited(pid, &admin, "agent@example.org", Role::agent()).await;
    let member = h.member(pid, &admin, "erin@example.org").await;
    let user = member.user_id.unwrap();
    for role in [Role::agent(), Role::admin()] {
        let e = h.access().grant_role(&agent, user, role).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    }
    // Nor may an agent promote itself.
    let e = h.access().grant_role(&agent, agent.user_id.unwrap(), Role::admin()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let m = h.access().member(&admin, user).await.unwrap();
    assert_eq!(m.membership.roles.iter().map(Role::as_str).collect::<Vec<_>>(), ["customer"]);
    let denied =
        audit(&h, &admin).await.into_iter().filter(|(a, o)| a == "role:admin.grant" && *o == AuditOutcome::Denied);
    assert_eq!(denied.count(), 2, "every refusal is audited");
}

async fn a_portal_line_is_listed_applied_and_removed_with_audit(h: Harness) {
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let here = pid.to_string();
    let member = h.member(pid, &admin, "fay@example.org").await;
    let user = member.user_id.unwrap();
    // A custom role of this portal: a supervisor is an agent who also reads the audit log.
    let lines = [
        g_line(["supervisor", "agent", &here]),
        p_line(["supervisor", &here, "audit", "read", "allow"]),
        p_line(["admin", &here, "role:supervisor", "grant", "allow"]),
    ];
    for line in &lines {
        assert!(h.access().add_policy_line(&admin, line.clone()).await.unwrap(), "{line} is new");
    }
    assert!(!h.access().add_policy_line(&admin, lines[0].clone()).await.unwrap(), "adding twice is a no-op");
    let listed = h.access().list_policy(&admin).await.unwrap();
    for line in &lines {
        assert!(listed.contains(line), "{line} listed");
    }
    assert!(listed.iter().any(|l| l.to_string() == "p, admin, *, policy, manage, allow"), "shared lines too");

    let supervisor = Role::new("supervisor").unwrap();
    h.access().grant_role(&admin, user, supervisor).await.unwrap();
    let who = h.login(pid, "fay@example.org", GOOD_PASSWORD).await.unwrap();
    h.access().audit_log(&who, None, 10).await.expect("a supervisor reads the audit log");
    h.access().list_members(&who, MemberQuery::default()).await.expect("and inherits what agents may");

    assert!(h.access().remove_policy_line(&admin, lines[1].clone()).await.unwrap());
    assert!(!h.access().remove_policy_line(&admin, lines[1].clone()).await.unwrap(), "already gone");
    let e = h.access().audit_log(&who, None, 10).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "the very next check refuses (S5)");

    let log = audit(&h, &admin).await;
    assert_eq!(log.iter().filter(|(a, _)| a == "policy.line_added").count(), 3);
    assert_eq!(log.iter().filter(|(a, _)| a == "policy.line_removed").count(), 1);
}

async fn z10_lines_for_another_portal_or_every_portal_are_refused(h: Harness) {
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let (other, _) = h.portal_with_admin(PortalMode::Public).await;
    let before = h.access().list_policy(&admin).await.unwrap();
    let here = pid.to_string();
    let refused = [
        p_line(["customer", &other.to_string(), "audit", "read", "allow"]),
        p_line(["customer", "*", "audit", "read", "allow"]),
        g_line(["customer", "admin", "*"]),
        g_line(["customer", "admin", &other.to_string()]),
        // The same portal spelt another way is another domain to casbin: refused, not guessed.
        p_line(["customer", &here.to_uppercase(), "audit", "read", "allow"]),
        // A look-alike of this portal's id (a prefix of it, as `tenant1` is of `tenant10`).
        p_line(["customer", &here[..here.len() - 1], "audit", "read", "allow"]),
    ];
    for line in refused {
        let e = h.access().add_policy_line(&admin, line.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{line}");
        let e = h.access().remove_policy_line(&admin, line.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{line}");
    }
    // The shared lines cannot be removed from one portal either.
    let shared = p_line(["admin", "*", "policy", "manage", "allow"]);
    assert_eq!(h.access().remove_policy_line(&admin, shared).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    assert_eq!(h.access().list_policy(&admin).await.unwrap(), before, "nothing was written");
    let denied =
        audit(&h, &admin).await.into_iter().filter(|(a, o)| a == "policy.manage" && *o == AuditOutcome::Denied);
    assert_eq!(denied.count(), 13);
    // And the other portal's admin sees none of this portal's lines.
    let (_, third_admin) = h.portal_with_admin(PortalMode::Public).await;
    h.access().add_policy_line(&admin, p_line(["customer", &here, "audit", "read", "allow"])).await.unwrap();
    let theirs = h.access().list_policy(&third_admin).await.unwrap();
    assert!(theirs.iter().all(|l| !l.to_string().contains(&here)));
}

async fn a_line_the_model_cannot_hold_is_invalid_input_and_nothing_is_written(h: Harness) {
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let here = pid.to_string();
    let before = h.access().list_policy(&admin).await.unwrap();
    let bad = [
        // The effect is allow or deny; anything else would silently do nothing in casbin-rs.
        p_line(["customer", &here, "audit", "read", "maybe"]),
        // Too short and too long for `p = sub, dom, obj, act, eft` / `g = _, _, _`.
        PolicyRule::new("p", ["customer", &here, "audit", "read"]).unwrap(),
        PolicyRule::new("g", ["customer", "agent", &here, "extra"]).unwrap(),
        // A policy type the model does not define.
        PolicyRule::new("p2", ["customer", &here, "audit", "read", "allow"]).unwrap(),
    ];
    for line in bad {
        let e = h.access().add_policy_line(&admin, line.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{line}: {e:?}");
    }
    assert_eq!(h.access().list_policy(&admin).await.unwrap(), before, "nothing was written");
    // The portal still works: the admin still manages it.
    h.access().list_members(&admin, MemberQuery::default()).await.unwrap();
}

async fn a_change_that_would_lock_the_admins_out_is_a_conflict(h: Harness) {
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let here = pid.to_string();
    let before = h.access().list_policy(&admin).await.unwrap();
    // Denied to admin directly, or to a role admin inherits (a deny wins over any allow).
    for role in ["admin", "agent", "customer", "anonymous"] {
        let line = p_line([role, &here, "policy", "manage", "deny"]);
        let e = h.access().add_policy_line(&admin, line).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{role}");
    }
    assert_eq!(h.access().list_policy(&admin).await.unwrap(), before, "nothing was written");
    // Keeping a custom role out of policy administration is fine, as is admins giving up
    // something else.
    let supervisors = p_line(["supervisor", &here, "policy", "manage", "deny"]);
    assert!(h.access().add_policy_line(&admin, supervisors).await.unwrap());
    assert!(h.access().add_policy_line(&admin, p_line(["admin", &here, "audit", "read", "deny"])).await.unwrap());
    assert_eq!(h.access().audit_log(&admin, None, 1).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    h.access().list_policy(&admin).await.expect("the admins still manage the policy");
}

async fn compiled() -> Harness {
    Harness::memory().await
}

async fn casbin() -> Harness {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    Harness::with_casbin(store).await
}

macro_rules! on_both_authorizers {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn compiled() {
                super::$scenario(super::compiled().await).await;
            }

            #[tokio::test]
            async fn casbin() {
                super::$scenario(super::casbin().await).await;
            }
        }
    )*};
}

on_both_authorizers!(
    s5_a_granted_role_counts_from_the_next_request_and_a_revoked_one_is_gone,
    the_last_active_admin_keeps_the_admin_role,
    an_agent_grants_customer_but_never_staff_roles,
    a_portal_line_is_listed_applied_and_removed_with_audit,
    z10_lines_for_another_portal_or_every_portal_are_refused,
    a_line_the_model_cannot_hold_is_invalid_input_and_nothing_is_written,
    a_change_that_would_lock_the_admins_out_is_a_conflict,
);
