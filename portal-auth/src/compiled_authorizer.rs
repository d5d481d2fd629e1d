//! `CompiledAuthorizer`: the default [`Authorizer`]. The policy lives in the portal's storage
//! (the same lines, through the same [`StorageAdapter`], as [`crate::CasbinAuthorizer`]) and is
//! answered from a [`PolicyIndex`] compiled from it. A change made through this authorizer is
//! stored, then the index is rebuilt and swapped in before the call returns, so the very next
//! check sees it (S5); changes made elsewhere arrive with [`Authorizer::policy_changed`].

use async_trait::async_trait;
use portal_core::model::{PolicyRule, Principal};
use portal_core::ports::{Authorizer, Storage};
use portal_core::Result;
use std::sync::{Arc, PoisonError, RwLock};

use crate::compiled::PolicyIndex;
use crate::policy_adapter::{parse_policy, StorageAdapter};

/// Authorization from a compiled index of the shipped casbin model's policy.
pub struct CompiledAuthorizer {
    adapter: StorageAdapter,
    index: RwLock<Arc<PolicyIndex>>,
}

impl CompiledAuthorizer {
    /// The policy stored in `storage`; a store holding no policy yet is seeded with `seed`
    /// (casbin CSV, usually [`crate::DEFAULT_POLICY`]). Lines the shipped model cannot hold are
    /// `ConfigInvalid`, before anything is stored.
    pub async fn with_storage(storage: Arc<dyn Storage>, seed: &str) -> Result<Self> {
        let seed = parse_policy(seed)?;
        PolicyIndex::compile(&seed)?;
        let adapter = StorageAdapter::new(storage);
        adapter.seed(&seed).await?;
        let authorizer = CompiledAuthorizer { adapter, index: RwLock::new(Arc::new(PolicyIndex::default())) };
        authorizer.reload().await?;
        Ok(authorizer)
    }

    /// The shipped policy in a private in-memory store (tools and tests).
    pub async fn with_default_policy() -> Result<Self> {
        Self::with_storage(Arc::new(portal_core::memory::MemoryStore::new()), crate::DEFAULT_POLICY).await
    }

    /// Re-read the stored policy and swap in a new index. If reading or compiling fails, every
    /// check is refused until a reload succeeds (a policy-store error means deny), and the error
    /// is returned.
    pub async fn reload(&self) -> Result<()> {
        let compiled = match self.adapter.rules().await {
            Ok(rules) => PolicyIndex::compile(&rules),
            Err(e) => Err(e),
        };
        let (next, outcome) = match compiled {
            Ok(index) => (index, Ok(())),
            Err(e) => (PolicyIndex::default(), Err(e)),
        };
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        outcome
    }

    /// Store a policy line (unless an equal one is stored) and rebuild; returns whether it was
    /// new. A line that would not compile is refused and nothing is stored.
    pub async fn add_rule(&self, rule: &PolicyRule) -> Result<bool> {
        let mut rules = self.adapter.rules().await?;
        rules.push(rule.clone());
        PolicyIndex::compile(&rules)?;
        let added = self.adapter.add_rules(std::slice::from_ref(rule)).await?;
        self.reload().await?;
        Ok(added)
    }

    /// Remove a stored policy line and rebuild; returns whether it was stored.
    pub async fn remove_rule(&self, rule: &PolicyRule) -> Result<bool> {
        let removed = self.adapter.remove_rules(std::slice::from_ref(rule)).await?;
        self.reload().await?;
        Ok(removed)
    }

    /// The index checks are answered from now.
    pub fn index(&self) -> Arc<PolicyIndex> {
        self.index.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// [`Authorizer::check`] without the async wrapper.
    pub fn check_now(&self, principal: &Principal, object: &str, action: &str) -> bool {
        let index = self.index.read().unwrap_or_else(PoisonError::into_inner);
        index.any_allows(principal.roles.iter().map(|r| r.as_str()), principal.portal_id, object, action)
    }
}

#[async_trait]
impl Authorizer for CompiledAuthorizer {
    async fn check(&self, principal: &Principal, object: &str, action: &str) -> Result<bool> {
        Ok(self.check_now(principal, object, action))
    }

    async fn policy_changed(&self) -> Result<()> {
        self.reload().await
    }
}
