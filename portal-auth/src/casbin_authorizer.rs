//! `CasbinAuthorizer`: the [`Authorizer`] port answered by casbin-rs with an RBAC-with-domains
//! model, the portal id being the domain. casbin's model and CSV policy formats are the source
//! of truth; the default files ship in `portal-auth/casbin/` for hosts to copy and edit.

use async_trait::async_trait;
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use portal_core::model::Principal;
use portal_core::ports::Authorizer;
use portal_core::{Error, ErrorKind, Result};
use std::path::Path;
use tokio::sync::RwLock;

/// The default casbin model (RBAC with domains, `*` = every portal).
pub const DEFAULT_MODEL: &str = include_str!("../casbin/model.conf");
/// The default policy: what admins and agents may do in every portal.
pub const DEFAULT_POLICY: &str = include_str!("../casbin/policy.csv");

/// Answers authorization questions with casbin-rs `enforce`.
pub struct CasbinAuthorizer {
    enforcer: RwLock<Enforcer>,
}

fn casbin_error(what: &'static str, e: casbin::Error) -> Error {
    Error::new(ErrorKind::ConfigInvalid, what).with_source(e.to_string())
}

impl CasbinAuthorizer {
    /// The shipped model and policy.
    pub async fn with_default_policy() -> Result<Self> {
        Self::from_strings(DEFAULT_MODEL, DEFAULT_POLICY).await
    }

    /// A model and a policy given as text (casbin `.conf` and `.csv` formats).
    pub async fn from_strings(model: &str, policy: &str) -> Result<Self> {
        let model = DefaultModel::from_str(model).await.map_err(|e| casbin_error("invalid casbin model", e))?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
            .await
            .map_err(|e| casbin_error("invalid casbin model", e))?;
        let (rules, groupings) = parse_policy(policy)?;
        for (ptype, rules) in rules {
            enforcer.add_named_policies(&ptype, rules).await.map_err(|e| casbin_error("invalid casbin policy", e))?;
        }
        for (gtype, rules) in groupings {
            enforcer
                .add_named_grouping_policies(&gtype, rules)
                .await
                .map_err(|e| casbin_error("invalid casbin policy", e))?;
        }
        // A model whose matcher cannot be evaluated fails here, at start-up, not on a request.
        enforcer
            .enforce(("anonymous", "-", "-", "-"))
            .map_err(|e| casbin_error("casbin model cannot evaluate a request", e))?;
        Ok(CasbinAuthorizer { enforcer: RwLock::new(enforcer) })
    }

    /// A model file and a policy CSV file.
    pub async fn from_files(model: impl AsRef<Path>, policy: impl AsRef<Path>) -> Result<Self> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| {
                Error::new(ErrorKind::ConfigInvalid, "cannot read casbin file")
                    .with_context("path", p.display())
                    .with_source(e)
            })
        };
        Self::from_strings(&read(model.as_ref())?, &read(policy.as_ref())?).await
    }

    /// Add a policy line (`p, sub, dom, obj, act` without the `p`). Returns whether it was new.
    pub async fn add_policy(&self, rule: [&str; 4]) -> Result<bool> {
        let rule = rule.iter().map(|s| s.to_string()).collect();
        self.enforcer.write().await.add_policy(rule).await.map_err(|e| casbin_error("cannot add policy", e))
    }

    /// Remove a policy line. Returns whether it existed.
    pub async fn remove_policy(&self, rule: [&str; 4]) -> Result<bool> {
        let rule = rule.iter().map(|s| s.to_string()).collect();
        self.enforcer.write().await.remove_policy(rule).await.map_err(|e| casbin_error("cannot remove policy", e))
    }

    /// Ask casbin about one role: may `role` do `action` on `object` in `domain`?
    pub async fn enforce(&self, role: &str, domain: &str, object: &str, action: &str) -> Result<bool> {
        self.enforcer
            .read()
            .await
            .enforce((role, domain, object, action))
            .map_err(|e| Error::internal("casbin enforce failed").with_source(e.to_string()))
    }
}

type Rules = Vec<(String, Vec<Vec<String>>)>;

/// Split a casbin policy CSV into policy rules (`p`, `p2`, …) and grouping rules (`g`, `g2`, …),
/// grouped by type. Blank lines and `#` comments are skipped.
fn parse_policy(text: &str) -> Result<(Rules, Rules)> {
    let mut rules: Rules = Vec::new();
    let mut groupings: Rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split(',').map(|f| f.trim().to_owned());
        let kind = fields.next().unwrap_or_default();
        let values: Vec<String> = fields.collect();
        let target = if kind.starts_with('p') {
            &mut rules
        } else if kind.starts_with('g') {
            &mut groupings
        } else {
            return Err(Error::new(ErrorKind::ConfigInvalid, "casbin policy line must start with p or g")
                .with_context("line", n + 1));
        };
        match target.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, v)) => v.push(values),
            None => target.push((kind, vec![values])),
        }
    }
    Ok((rules, groupings))
}

#[async_trait]
impl Authorizer for CasbinAuthorizer {
    async fn check(&self, principal: &Principal, object: &str, action: &str) -> Result<bool> {
        let domain = principal.portal_id.to_string();
        let enforcer = self.enforcer.read().await;
        for role in &principal.roles {
            let allowed = enforcer
                .enforce((role.as_str(), domain.as_str(), object, action))
                .map_err(|e| Error::internal("casbin enforce failed").with_source(e.to_string()))?;
            if allowed {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_core::model::{PortalId, Role, UserId};

    fn principal(portal: PortalId, roles: &[&str]) -> Principal {
        Principal {
            user_id: Some(UserId::new()),
            roles: roles.iter().map(|r| Role::new(*r).unwrap()).collect(),
            ..Principal::anonymous(portal)
        }
    }

    #[tokio::test]
    async fn default_policy_lets_admins_administer_and_nobody_else() {
        let a = CasbinAuthorizer::with_default_policy().await.unwrap();
        let p = PortalId::new();
        assert!(a.check(&principal(p, &["admin"]), "member", "approve").await.unwrap());
        assert!(!a.check(&principal(p, &["agent"]), "member", "approve").await.unwrap());
        assert!(!a.check(&principal(p, &["customer"]), "member", "approve").await.unwrap());
        assert!(!a.check(&Principal::anonymous(p), "member", "list").await.unwrap());
        // Agents may invite customers but never grant staff roles.
        assert!(a.check(&principal(p, &["agent"]), "role:customer", "grant").await.unwrap());
        assert!(!a.check(&principal(p, &["agent"]), "role:admin", "grant").await.unwrap());
        // Any one role suffices.
        assert!(a.check(&principal(p, &["customer", "admin"]), "audit", "read").await.unwrap());
    }

    #[tokio::test]
    async fn z10_a_role_granted_in_one_portal_is_denied_in_another() {
        let a = CasbinAuthorizer::with_default_policy().await.unwrap();
        let p1 = PortalId::new();
        let p2 = PortalId::new();
        a.add_policy(["moderator", &p1.to_string(), "member", "suspend"]).await.unwrap();
        assert!(a.check(&principal(p1, &["moderator"]), "member", "suspend").await.unwrap());
        assert!(!a.check(&principal(p2, &["moderator"]), "member", "suspend").await.unwrap());
    }

    #[tokio::test]
    async fn z10_domains_match_exactly_not_by_prefix_or_pattern() {
        let a = CasbinAuthorizer::from_strings(
            DEFAULT_MODEL,
            "p, admin, tenant1, member, list\np, admin, acme.com, member, list",
        )
        .await
        .unwrap();
        assert!(a.enforce("admin", "tenant1", "member", "list").await.unwrap());
        assert!(!a.enforce("admin", "tenant10", "member", "list").await.unwrap());
        assert!(a.enforce("admin", "acme.com", "member", "list").await.unwrap());
        assert!(!a.enforce("admin", "acmexcom", "member", "list").await.unwrap());
    }

    #[tokio::test]
    async fn s5_a_removed_policy_line_is_refused_on_the_next_check() {
        let a = CasbinAuthorizer::with_default_policy().await.unwrap();
        let p = principal(PortalId::new(), &["agent"]);
        assert!(a.check(&p, "member", "list").await.unwrap());
        assert!(a.remove_policy(["agent", "*", "member", "list"]).await.unwrap());
        assert!(!a.check(&p, "member", "list").await.unwrap());
    }

    #[tokio::test]
    async fn an_invalid_model_is_a_config_error_not_a_panic() {
        let broken_matcher = DEFAULT_MODEL.replace("r.act == p.act", "r.act == ");
        let e = CasbinAuthorizer::from_strings(&broken_matcher, DEFAULT_POLICY).await.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
        let e = CasbinAuthorizer::from_strings(DEFAULT_MODEL, "x, admin, *, member, list").await.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
    }
}
