//! `CasbinAuthorizer`: the [`Authorizer`] port answered by casbin-rs with an RBAC-with-domains
//! model, the portal id being the domain. casbin's model and CSV policy formats are the source
//! of truth; the default files ship in `portal-auth/casbin/` for hosts to copy and edit. The
//! policy lives in the portal's storage (through [`StorageAdapter`]), so it survives restarts and
//! every process on one database shares it.

use async_trait::async_trait;
use casbin::{CachedApi, CachedEnforcer, CoreApi, DefaultModel, MgmtApi};
use portal_core::memory::MemoryStore;
use portal_core::model::{PolicyRule, Principal};
use portal_core::ports::{Authorizer, Probe, Storage};
use portal_core::{Error, ErrorKind, Result};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::RwLock;

use crate::policy_adapter::{self, parse_policy, StorageAdapter};

/// The default casbin model (RBAC with domains, `*` = every portal).
pub const DEFAULT_MODEL: &str = include_str!("../casbin/model.conf");
/// The default policy: what admins and agents may do in every portal.
pub const DEFAULT_POLICY: &str = include_str!("../casbin/policy.csv");

/// Answers authorization questions with casbin-rs `enforce`, through its `CachedEnforcer`:
/// repeated questions are answered from casbin's decision cache, which every policy change and
/// every reload empties (Z12).
pub struct CasbinAuthorizer {
    enforcer: RwLock<CachedEnforcer>,
    /// The model alone, to check proposed lines against without the enforcer's lock.
    shape: DefaultModel,
    /// The model's text, to try a proposed policy on a scratch enforcer.
    model_text: String,
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
        let enforcer =
            CachedEnforcer::new(model, adapter).await.map_err(|e| casbin_error("cannot load casbin policy", e))?;
        // A model whose matcher cannot be evaluated fails here, at start-up, not on a request.
        enforcer
            .enforce(("anonymous", "-", "-", "-"))
            .map_err(|e| casbin_error("casbin model cannot evaluate a request", e))?;
        Ok(CasbinAuthorizer {
            enforcer: RwLock::new(enforcer),
            shape: parse_model(model_text).await?,
            model_text: model_text.to_owned(),
        })
    }

    /// Read the policy from storage again, picking up changes other processes made. If reading
    /// fails, the error is returned and every check is refused until a reload succeeds (a
    /// policy-store error means deny).
    pub async fn reload(&self) -> Result<()> {
        let mut enforcer = self.enforcer.write().await;
        let loaded = enforcer.load_policy().await;
        // casbin-rs 2.20's CachedEnforcer keeps its cached decisions across `load_policy`
        // (only its own management calls empty the cache): without this, a line removed by
        // another process — or every line, when the store failed — would still be allowed
        // from the cache.
        enforcer.get_mut_cache().clear();
        loaded.map_err(|e| casbin_error("cannot load casbin policy", e))
    }

    /// Store a policy line in the enforcer and the store; returns whether it was new.
    pub async fn add_rule(&self, rule: &PolicyRule) -> Result<bool> {
        let (ptype, values) = rule.clone().into_parts();
        let mut enforcer = self.enforcer.write().await;
        let added = if rule.section() == "g" {
            enforcer.add_named_grouping_policy(&ptype, values).await
        } else {
            enforcer.add_named_policy(&ptype, values).await
        };
        added.map_err(|e| casbin_error("cannot add policy", e))
    }

    /// Remove a policy line from the enforcer and the store; returns whether it existed.
    pub async fn remove_rule(&self, rule: &PolicyRule) -> Result<bool> {
        let (ptype, values) = rule.clone().into_parts();
        let mut enforcer = self.enforcer.write().await;
        let removed = if rule.section() == "g" {
            enforcer.remove_named_grouping_policy(&ptype, values).await
        } else {
            enforcer.remove_named_policy(&ptype, values).await
        };
        removed.map_err(|e| casbin_error("cannot remove policy", e))
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

async fn parse_model(text: &str) -> Result<DefaultModel> {
    DefaultModel::from_str(text).await.map_err(|e| casbin_error("invalid casbin model", e))
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

    async fn policy_changed(&self) -> Result<()> {
        self.reload().await
    }

    async fn try_policy(&self, rules: &[PolicyRule], probes: &[Probe<'_>]) -> Result<Vec<bool>> {
        rules.iter().try_for_each(|rule| policy_adapter::fits(&self.shape, rule))?;
        let adapter = StorageAdapter::new(Arc::new(MemoryStore::new()));
        adapter.seed(rules).await?;
        let model = parse_model(&self.model_text).await?;
        let scratch =
            casbin::Enforcer::new(model, adapter).await.map_err(|e| casbin_error("cannot load casbin policy", e))?;
        let mut answers = Vec::with_capacity(probes.len());
        for probe in probes {
            let domain = probe.principal.portal_id.to_string();
            let mut allowed = false;
            for role in &probe.principal.roles {
                allowed |= scratch
                    .enforce((role.as_str(), domain.as_str(), probe.object, probe.action))
                    .map_err(|e| Error::internal("casbin enforce failed").with_source(e.to_string()))?;
            }
            answers.push(allowed);
        }
        Ok(answers)
    }

    async fn readable_labels(&self, principal: &Principal, kind: &str, action: &str) -> Result<Vec<String>> {
        let prefix = format!("{kind}:");
        let objects: Vec<String> = {
            let enforcer = self.enforcer.read().await;
            // The object's position in a `p` line, as the model defines it.
            let model = enforcer.get_model().get_model();
            let at = model.get("p").and_then(|m| m.get("p")).and_then(|a| a.tokens.iter().position(|t| t == "p_obj"));
            match at {
                Some(at) => enforcer.get_policy().into_iter().filter_map(|line| line.get(at).cloned()).collect(),
                None => Vec::new(),
            }
        };
        let mut labels = Vec::new();
        for object in objects {
            let Some(label) = object.strip_prefix(&prefix) else { continue };
            if matches!(label, "any" | "own" | "org_shared") || labels.iter().any(|l| l == label) {
                continue;
            }
            if self.check(principal, &object, action).await? {
                labels.push(label.to_owned());
            }
        }
        labels.sort_unstable();
        Ok(labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_invalid_model_is_a_config_error_not_a_panic() {
        let broken_matcher = DEFAULT_MODEL.replace("r.act == p.act", "r.act == ");
        let e = CasbinAuthorizer::from_strings(&broken_matcher, DEFAULT_POLICY).await.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
        let e = CasbinAuthorizer::from_strings(DEFAULT_MODEL, "x, admin, *, member, list, allow").await.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::ConfigInvalid);
    }
}
