//! `CasbinAuthorizer`: the [`Authorizer`] port answered by casbin-rs with an RBAC-with-domains
//! model, the portal id being the domain. casbin's model and CSV policy formats are the source
//! of truth; the default files ship in `portal-auth/casbin/` for hosts to copy and edit. The
//! policy lives in the portal's storage (through [`StorageAdapter`]), so it survives restarts and
//! every process on one database shares it.

use async_trait::async_trait;
use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi};
use portal_core::memory::MemoryStore;
use portal_core::model::{PolicyRule, Principal};
use portal_core::ports::{Authorizer, Storage};
use portal_core::{Error, ErrorKind, Result};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::RwLock;

use crate::policy_adapter::{self, StorageAdapter};

/// The default casbin model (RBAC with domains, `*` = every portal).
pub const DEFAULT_MODEL: &str = include_str!("../casbin/model.conf");
/// The default policy: what admins and agents may do in every portal.
pub const DEFAULT_POLICY: &str = include_str!("../casbin/policy.csv");

/// Answers authorization questions with casbin-rs `enforce`.
pub struct CasbinAuthorizer {
    enforcer: RwLock<Enforcer>,
}

/// A casbin error as a portal error: the store's own error when the adapter failed, else
/// `ConfigInvalid` (a model or policy casbin cannot use).
fn casbin_error(what: &'static str, e: casbin::Error) -> Error {
    match e {
        casbin::Error::AdapterError(casbin::error::AdapterError(inner)) => match inner.downcast::<Error>() {
            Ok(portal) => *portal,
            Err(other) => Error::new(ErrorKind::Unavailable, what).with_source(other.to_string()),
        },
        other => Error::new(ErrorKind::ConfigInvalid, what).with_source(other.to_string()),
    }
}

impl CasbinAuthorizer {
    /// The shipped model and policy, held in memory only (for tools and tests; a portal built
    /// with [`CasbinAuthorizer::with_storage`] keeps its policy in its database).
    pub async fn with_default_policy() -> Result<Self> {
        Self::from_strings(DEFAULT_MODEL, DEFAULT_POLICY).await
    }

    /// A model and a policy given as text (casbin `.conf` and `.csv` formats), in memory only.
    pub async fn from_strings(model: &str, policy: &str) -> Result<Self> {
        Self::with_storage(model, Arc::new(MemoryStore::new()), policy).await
    }

    /// A model file and a policy CSV file, in memory only.
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

    /// The policy stored in `storage`, under `model`. A store holding no policy yet is seeded
    /// with `seed` (casbin CSV, usually [`DEFAULT_POLICY`]); one that holds any keeps its own.
    /// Lines the model cannot hold are `ConfigInvalid`, at start-up rather than on a request.
    pub async fn with_storage(model_text: &str, storage: Arc<dyn Storage>, seed: &str) -> Result<Self> {
        let seed = parse_policy(seed)?;
        // Check the seed against a scratch copy of the model before anything is stored.
        policy_adapter::load_into(&mut parse_model(model_text).await?, seed.clone())?;
        let model = parse_model(model_text).await?;
        let adapter = StorageAdapter::new(storage);
        adapter.seed(&seed).await?;
        let enforcer = Enforcer::new(model, adapter).await.map_err(|e| casbin_error("cannot load casbin policy", e))?;
        // A model whose matcher cannot be evaluated fails here, at start-up, not on a request.
        enforcer
            .enforce(("anonymous", "-", "-", "-"))
            .map_err(|e| casbin_error("casbin model cannot evaluate a request", e))?;
        Ok(CasbinAuthorizer { enforcer: RwLock::new(enforcer) })
    }

    /// Read the policy from storage again, picking up changes other processes made. If reading
    /// fails, the error is returned and every check is refused until a reload succeeds (a
    /// policy-store error means deny).
    pub async fn reload(&self) -> Result<()> {
        let mut enforcer = self.enforcer.write().await;
        enforcer.load_policy().await.map_err(|e| casbin_error("cannot load casbin policy", e))
    }

    /// Add a policy line (`p, sub, dom, obj, act` without the `p`) and store it. Returns whether
    /// it was new.
    pub async fn add_policy(&self, rule: [&str; 4]) -> Result<bool> {
        let rule = checked_line("p", &rule)?;
        self.enforcer.write().await.add_policy(rule).await.map_err(|e| casbin_error("cannot add policy", e))
    }

    /// Remove a policy line from the enforcer and the store. Returns whether it existed.
    pub async fn remove_policy(&self, rule: [&str; 4]) -> Result<bool> {
        let rule = checked_line("p", &rule)?;
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

/// The values of a line, checked as a stored [`PolicyRule`] would be.
fn checked_line(ptype: &str, values: &[&str]) -> Result<Vec<String>> {
    Ok(PolicyRule::new(ptype, values.iter().copied())?.into_parts().1)
}

async fn parse_model(text: &str) -> Result<DefaultModel> {
    DefaultModel::from_str(text).await.map_err(|e| casbin_error("invalid casbin model", e))
}

/// A casbin policy CSV as checked lines. Blank lines and `#` comments are skipped; a line of an
/// unknown type or with values casbin's CSV cannot carry is `ConfigInvalid` with its number.
fn parse_policy(text: &str) -> Result<Vec<PolicyRule>> {
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split(',').map(str::trim);
        let ptype = fields.next().unwrap_or_default();
        let rule = PolicyRule::new(ptype, fields).map_err(|e| {
            Error::new(ErrorKind::ConfigInvalid, "invalid casbin policy line")
                .with_context("line", n + 1)
                .with_source(e)
        })?;
        rules.push(rule);
    }
    Ok(rules)
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
