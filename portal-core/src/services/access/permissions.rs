//! Who may do what: granting and revoking members' roles, and the portal's own policy lines.
//!
//! Every change is written with its audit event in one transaction, then the authorizer is told
//! the policy changed before the call returns, so the next check already sees it (S5). A
//! portal's administrators edit only lines of their own portal: the `*` lines every portal
//! shares belong to the operator.

use super::AccessService;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{AuditEvent, AuditOutcome, MemberStatus, Membership, PolicyRule, Principal, Role, Roles, UserId};
use crate::ports::{ops, Probe};

/// Where the portal (casbin domain) sits in a line of the shipped model: `p, role, portal, …`
/// and `g, role, role, portal`.
fn portal_of(rule: &PolicyRule) -> Option<&str> {
    let at = if rule.section() == "g" { 2 } else { 1 };
    rule.values().get(at).map(String::as_str)
}

impl AccessService {
    /// Give a member a role in the portal (needs `role:<name>` / `grant`). Granting a role the
    /// member has is a no-op that still answers with the membership.
    pub async fn grant_role(&self, who: &Principal, user: UserId, role: Role) -> Result<Membership> {
        self.retrying(|| self.change_role(who, user, role.clone(), true)).await
    }

    /// Take a role from a member (needs `role:<name>` / `grant`); it no longer counts from the
    /// member's next request (S5). The last active admin keeps `admin`: `Conflict`.
    pub async fn revoke_role(&self, who: &Principal, user: UserId, role: Role) -> Result<Membership> {
        self.retrying(|| self.change_role(who, user, role.clone(), false)).await
    }

    async fn change_role(&self, who: &Principal, user: UserId, role: Role, grant: bool) -> Result<Membership> {
        self.authorize(who, (&ops::role_object(role.as_str()), ops::GRANT)).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut m = tx.get_membership(who.portal_id, user).await?.ok_or_else(|| Error::not_found("no such member"))?;
        if m.roles.contains(&role) == grant {
            return Ok(m);
        }
        if !grant && role.as_str() == Role::ADMIN && m.status == MemberStatus::Active {
            let mut after = None;
            let mut others = false;
            while !others {
                let page = tx.list_memberships(who.portal_id, Some(MemberStatus::Active), after, 500).await?;
                others = page.iter().any(|o| o.user_id != user && o.roles.contains(&role));
                match page.last() {
                    Some(last) if page.len() == 500 => after = Some(last.user_id),
                    _ => break,
                }
            }
            if !others {
                return Err(Error::conflict("the portal's last active admin keeps the admin role"));
            }
        }
        m.roles = if grant {
            m.roles.iter().cloned().chain([role.clone()]).collect()
        } else {
            m.roles.iter().filter(|r| **r != role).cloned().collect::<Roles>()
        };
        m.updated_at = now;
        m.version = tx.update_membership(&m).await?;
        let action = if grant { "member.role_granted" } else { "member.role_revoked" };
        tx.append_audit(
            &AuditEvent::new(who, now, action, AuditOutcome::Success).target(user).detail("role", role.as_str()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(portal = %who.portal_id, user = %user, role = %role, action, "role changed");
        Ok(m)
    }

    /// The policy lines that apply in the principal's portal: its own and the shared `*` ones
    /// (needs `policy` / `manage`).
    pub async fn list_policy(&self, who: &Principal) -> Result<Vec<PolicyRule>> {
        self.retrying(|| self.list_policy_once(who)).await
    }

    async fn list_policy_once(&self, who: &Principal) -> Result<Vec<PolicyRule>> {
        self.authorize(who, ops::POLICY_MANAGE).await?;
        let portal = who.portal_id.to_string();
        let mut tx = self.begin().await?;
        let rules = tx.list_policy_rules().await?;
        tx.commit().await?;
        Ok(rules.into_iter().filter(|r| matches!(portal_of(r), Some(p) if p == portal || p == "*")).collect())
    }

    /// Add a policy line for the principal's portal (needs `policy` / `manage`). A line for
    /// another portal or for every portal (`*`) is `PermissionDenied`; one the authorizer's
    /// model cannot hold is `InvalidInput`; nothing is written either way. Returns whether the
    /// line was new.
    pub async fn add_policy_line(&self, who: &Principal, rule: PolicyRule) -> Result<bool> {
        self.change_policy(who, &rule, true).await
    }

    /// Remove one of the portal's own policy lines (needs `policy` / `manage`). Returns whether
    /// it was stored.
    pub async fn remove_policy_line(&self, who: &Principal, rule: PolicyRule) -> Result<bool> {
        self.change_policy(who, &rule, false).await
    }

    async fn change_policy(&self, who: &Principal, rule: &PolicyRule, add: bool) -> Result<bool> {
        self.authorize(who, ops::POLICY_MANAGE).await?;
        if portal_of(rule) != Some(who.portal_id.to_string().as_str()) {
            let event = AuditEvent::new(who, self.now(), "policy.manage", AuditOutcome::Denied)
                .detail("line", rule.to_string())
                .detail("reason", "not this portal's line");
            self.audit_alone(event).await;
            return Err(Error::permission_denied("a portal's admins edit only lines of their own portal"));
        }
        let changed = self.retrying(|| self.change_policy_once(who, rule, add)).await?;
        // The policy is stored; until the authorizer has it, it refuses everything (deny).
        self.ports.authorizer.policy_changed().await?;
        Ok(changed)
    }

    async fn change_policy_once(&self, who: &Principal, rule: &PolicyRule, add: bool) -> Result<bool> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut next = tx.list_policy_rules().await?;
        if add {
            next.push(rule.clone());
        } else {
            next.retain(|r| r != rule);
        }
        self.try_next_policy(who, &next).await?;
        let changed = if add { tx.add_policy_rule(rule).await? } else { tx.remove_policy_rule(rule).await? };
        if changed {
            let action = if add { "policy.line_added" } else { "policy.line_removed" };
            tx.append_audit(&AuditEvent::new(who, now, action, AuditOutcome::Success).detail("line", rule.to_string()))
                .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Refuse a policy the model cannot hold (`InvalidInput`), or one under which the portal's
    /// admins could no longer manage its policy (`Conflict`: a portal cannot lock itself out).
    /// An authorizer that cannot try policies is trusted with the change as it is.
    async fn try_next_policy(&self, who: &Principal, next: &[PolicyRule]) -> Result<()> {
        let admin = Principal {
            user_id: who.user_id,
            roles: [Role::admin()].into(),
            organization: None,
            ..Principal::anonymous(who.portal_id)
        };
        let (object, action) = ops::POLICY_MANAGE;
        let probes = [Probe { principal: &admin, object, action }];
        match self.ports.authorizer.try_policy(next, &probes).await {
            Ok(answers) if answers.first() == Some(&true) => Ok(()),
            Ok(_) => Err(Error::conflict("after this change the portal's admins could not manage its policy")),
            Err(e) if e.kind() == ErrorKind::Unsupported => Ok(()),
            Err(e) if e.kind() == ErrorKind::ConfigInvalid => {
                Err(Error::invalid_input("the policy model cannot hold this line").with_source(e))
            }
            Err(e) => Err(e),
        }
    }
}
