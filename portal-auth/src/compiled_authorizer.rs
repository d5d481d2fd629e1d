//! `CompiledAuthorizer`: the default [`Authorizer`]. The policy lives in the portal's storage
//! (the same lines, through the same [`StorageAdapter`], as [`crate::CasbinAuthorizer`]) and is
//! answered from a [`PolicyIndex`] compiled from it. A change made through this authorizer is
//! stored, then the index is rebuilt and swapped in before the call returns, so the very next
//! check sees it (S5); changes made elsewhere arrive with [`Authorizer::policy_changed`].

use async_trait::async_trait;
use portal_core::model::{PolicyRule, Principal};
use portal_core::ports::{Authorizer, Item, Probe, Storage};
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
        index.any_allows(roles(principal), principal.portal_id, object, action)
    }
}

/// The decisions one `filter` call needs, each computed once.
struct Batch<'p, 'i> {
    index: &'p PolicyIndex,
    principal: &'p Principal,
    kind: &'p str,
    action: &'p str,
    any: bool,
    own: bool,
    org_shared: bool,
    /// Labels met so far and their decision (few distinct labels per list).
    labels: Vec<(&'i str, bool)>,
}

impl<'p, 'i> Batch<'p, 'i> {
    fn new(index: &'p PolicyIndex, principal: &'p Principal, kind: &'p str, action: &'p str) -> Self {
        let decide =
            |scope: &str| index.any_allows(roles(principal), principal.portal_id, &format!("{kind}:{scope}"), action);
        Batch {
            index,
            principal,
            kind,
            action,
            any: decide("any"),
            own: decide("own"),
            org_shared: decide("org_shared"),
            labels: Vec::new(),
        }
    }

    #[inline]
    fn allows(&mut self, item: &Item<'i>) -> bool {
        match item.label {
            Some(label) => self.label(label),
            None => {
                // Without short-circuits: records of a list mix owners, so branches would
                // mispredict; a few compares cost less.
                let p = self.principal;
                let owns = p.user_id.is_some() & (item.owner == p.user_id);
                let shared =
                    p.organization.is_some() & item.shared_with_organization & (item.organization == p.organization);
                self.any | (self.own & owns) | (self.org_shared & shared)
            }
        }
    }

    fn label(&mut self, label: &'i str) -> bool {
        if let Some((_, allowed)) = self.labels.iter().find(|(known, _)| *known == label) {
            return *allowed;
        }
        let object = format!("{}:{label}", self.kind);
        let allowed = self.index.any_allows(roles(self.principal), self.principal.portal_id, &object, self.action);
        self.labels.push((label, allowed));
        allowed
    }
}

fn roles(principal: &Principal) -> impl Iterator<Item = &str> {
    principal.roles.iter().map(|r| r.as_str())
}

impl CompiledAuthorizer {
    /// [`Authorizer::filter`] without the async wrapper.
    pub fn filter_now(&self, principal: &Principal, kind: &str, action: &str, items: &[Item<'_>]) -> Vec<bool> {
        let index = self.index();
        let mut batch = Batch::new(&index, principal, kind, action);
        items.iter().map(|item| batch.allows(item)).collect()
    }

    /// [`Authorizer::readable_labels`] without the async wrapper.
    pub fn readable_labels_now(&self, principal: &Principal, kind: &str, action: &str) -> Vec<String> {
        let index = self.index();
        let prefix = format!("{kind}:");
        let mut labels: Vec<String> = index
            .objects_with_prefix(&prefix, action)
            .filter(|object| index.any_allows(roles(principal), principal.portal_id, object, action))
            .map(|object| object[prefix.len()..].to_owned())
            .filter(|label| !matches!(label.as_str(), "any" | "own" | "org_shared"))
            .collect();
        labels.sort_unstable();
        labels
    }
}

#[async_trait]
impl Authorizer for CompiledAuthorizer {
    async fn check(&self, principal: &Principal, object: &str, action: &str) -> Result<bool> {
        Ok(self.check_now(principal, object, action))
    }

    async fn filter(&self, principal: &Principal, kind: &str, action: &str, items: &[Item<'_>]) -> Result<Vec<bool>> {
        Ok(self.filter_now(principal, kind, action, items))
    }

    async fn readable_labels(&self, principal: &Principal, kind: &str, action: &str) -> Result<Vec<String>> {
        Ok(self.readable_labels_now(principal, kind, action))
    }

    async fn policy_changed(&self) -> Result<()> {
        self.reload().await
    }

    async fn try_policy(&self, rules: &[PolicyRule], probes: &[Probe<'_>]) -> Result<Vec<bool>> {
        let index = PolicyIndex::compile(rules)?;
        Ok(probes
            .iter()
            .map(|p| index.any_allows(roles(p.principal), p.principal.portal_id, p.object, p.action))
            .collect())
    }
}
