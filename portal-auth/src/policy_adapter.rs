//! `StorageAdapter`: casbin's [`Adapter`] over the portal's [`Storage`] port, so a casbin
//! policy persists the same way on every store (memory, SQLite, PostgreSQL, a vendor's) and sits
//! next to the data it protects. Each call is one transaction; a transaction the store refused
//! with nothing written is repeated a few times.

use async_trait::async_trait;
use casbin::error::AdapterError;
use casbin::{Adapter, Filter, Model};
use portal_core::model::PolicyRule;
use portal_core::ports::{Storage, Transaction};
use portal_core::{Error, ErrorKind, Result};
use std::sync::Arc;

/// How often a refused (nothing written) transaction is tried in all.
const ATTEMPTS: u32 = 6;

/// Evaluate the `async` block `$attempt` until it succeeds, fails having written something, or
/// has been refused [`ATTEMPTS`] times.
macro_rules! retrying {
    ($attempt:expr) => {{
        let mut attempt = 1;
        loop {
            let outcome: Result<_> = $attempt.await;
            match outcome {
                Err(e) if e.nothing_written() && attempt < ATTEMPTS => attempt += 1,
                other => break other,
            }
        }
    }};
}

/// casbin's persistence, answered by a portal [`Storage`].
#[derive(Clone)]
pub struct StorageAdapter {
    storage: Arc<dyn Storage>,
}

/// A change to the stored policy, applied in one transaction.
enum Change<'a> {
    /// Add every line, or none if one is already stored.
    Add(&'a [PolicyRule]),
    /// Remove every line, or none if one is missing.
    Remove(&'a [PolicyRule]),
    /// Remove the lines of `ptype` whose values from `from` on equal `values` ('' = any).
    RemoveMatching { ptype: &'a str, from: usize, values: &'a [String] },
    /// Make the stored policy exactly these lines.
    Replace(&'a [PolicyRule]),
}

impl StorageAdapter {
    /// An adapter reading and writing `storage`'s policy lines.
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        StorageAdapter { storage }
    }

    /// Every stored line, oldest first.
    pub async fn rules(&self) -> Result<Vec<PolicyRule>> {
        retrying!(async {
            let mut tx = self.storage.begin().await?;
            let rules = tx.list_policy_rules().await?;
            tx.commit().await?;
            Ok(rules)
        })
    }

    /// Store `rules` unless the store holds a policy already; returns whether it seeded. Several
    /// processes starting at once seed it once: lines are unique, and the check and the writes
    /// share one transaction.
    pub async fn seed(&self, rules: &[PolicyRule]) -> Result<bool> {
        retrying!(async {
            let mut tx = self.storage.begin().await?;
            if !tx.list_policy_rules().await?.is_empty() {
                return Ok(false);
            }
            for r in rules {
                tx.add_policy_rule(r).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Store `rules`, all or none: none when one of them is stored already. Returns whether
    /// they were added.
    pub async fn add_rules(&self, rules: &[PolicyRule]) -> Result<bool> {
        self.apply(Change::Add(rules)).await
    }

    /// Remove `rules`, all or none: none when one of them is not stored. Returns whether they
    /// were removed.
    pub async fn remove_rules(&self, rules: &[PolicyRule]) -> Result<bool> {
        self.apply(Change::Remove(rules)).await
    }

    async fn apply(&self, change: Change<'_>) -> Result<bool> {
        retrying!(async {
            let mut tx = self.storage.begin().await?;
            let changed = apply_in(tx.as_mut(), &change).await?;
            if changed {
                tx.commit().await?;
            }
            Ok(changed)
        })
    }
}

/// Apply `change` inside `tx`; `false` means it must not be committed (all-or-nothing calls) or
/// changed nothing.
async fn apply_in(tx: &mut dyn Transaction, change: &Change<'_>) -> Result<bool> {
    match change {
        Change::Add(rules) => {
            for r in *rules {
                if !tx.add_policy_rule(r).await? {
                    return Ok(false);
                }
            }
            Ok(!rules.is_empty())
        }
        Change::Remove(rules) => {
            for r in *rules {
                if !tx.remove_policy_rule(r).await? {
                    return Ok(false);
                }
            }
            Ok(!rules.is_empty())
        }
        Change::RemoveMatching { ptype, from, values } => {
            let mut any = false;
            for r in tx.list_policy_rules().await? {
                if r.ptype() == *ptype && matches_from(r.values(), *from, values) {
                    any |= tx.remove_policy_rule(&r).await?;
                }
            }
            Ok(any)
        }
        Change::Replace(rules) => {
            for r in tx.list_policy_rules().await? {
                tx.remove_policy_rule(&r).await?;
            }
            for r in *rules {
                tx.add_policy_rule(r).await?;
            }
            Ok(true)
        }
    }
}

/// casbin's filter rule: `values[i]` must equal `line[from + i]`, an empty value matching anything.
fn matches_from(line: &[String], from: usize, values: &[String]) -> bool {
    values.iter().enumerate().all(|(i, v)| v.is_empty() || line.get(from + i) == Some(v))
}

/// Put `rules` into `model`, refusing lines the model has no place for or whose length does not
/// fit its definition, so a mismatched store fails loudly instead of half-loading.
pub(crate) fn load_into(model: &mut dyn Model, rules: Vec<PolicyRule>) -> Result<()> {
    for rule in &rules {
        fits(model, rule)?;
    }
    for rule in rules {
        let sec = rule.section();
        let (ptype, values) = rule.into_parts();
        model.add_policy(sec, &ptype, values);
    }
    Ok(())
}

pub(crate) fn fits(model: &dyn Model, rule: &PolicyRule) -> Result<()> {
    let misfit =
        |why: &'static str| Err(Error::new(ErrorKind::ConfigInvalid, why).with_context("line", rule.to_string()));
    let Some(assertion) = model.get_model().get(rule.section()).and_then(|m| m.get(rule.ptype())) else {
        return misfit("the casbin model has no definition for this policy type");
    };
    let expected = if rule.section() == "g" { assertion.value.matches('_').count() } else { assertion.tokens.len() };
    if expected != rule.values().len() {
        return misfit("policy line length does not match the casbin model");
    }
    // casbin-rs knows the effects allow and deny; any other word would silently do nothing.
    let effect = assertion.tokens.iter().position(|t| t.ends_with("_eft")).and_then(|i| rule.values().get(i));
    if effect.is_some_and(|e| e != "allow" && e != "deny") {
        return misfit("a policy line's effect is allow or deny");
    }
    Ok(())
}

/// A casbin policy CSV as checked lines. Blank lines and `#` comments are skipped; a line of an
/// unknown type or with values casbin's CSV cannot carry is `ConfigInvalid` with its number.
pub(crate) fn parse_policy(text: &str) -> Result<Vec<PolicyRule>> {
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

/// A casbin policy line as a checked [`PolicyRule`].
pub(crate) fn rule_of(ptype: &str, values: Vec<String>) -> Result<PolicyRule> {
    PolicyRule::new(ptype, values)
}

fn to_casbin(e: Error) -> casbin::Error {
    casbin::Error::AdapterError(AdapterError(Box::new(e)))
}

fn rules_of(ptype: &str, lines: Vec<Vec<String>>) -> casbin::Result<Vec<PolicyRule>> {
    lines.into_iter().map(|v| rule_of(ptype, v).map_err(to_casbin)).collect()
}

#[async_trait]
impl Adapter for StorageAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let rules = self.rules().await.map_err(to_casbin)?;
        load_into(m, rules).map_err(to_casbin)
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, f: Filter<'a>) -> casbin::Result<()> {
        let filter = |r: &PolicyRule| {
            let wanted: Vec<String> =
                if r.section() == "g" { &f.g } else { &f.p }.iter().map(|s| s.to_string()).collect();
            matches_from(r.values(), 0, &wanted)
        };
        let rules = self.rules().await.map_err(to_casbin)?.into_iter().filter(filter).collect();
        load_into(m, rules).map_err(to_casbin)
    }

    async fn save_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let mut rules = Vec::new();
        for sec in ["p", "g"] {
            if let Some(map) = m.get_model().get(sec) {
                for (ptype, assertion) in map {
                    rules.extend(rules_of(ptype, assertion.get_policy().iter().cloned().collect())?);
                }
            }
        }
        self.apply(Change::Replace(&rules)).await.map(|_| ()).map_err(to_casbin)
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        self.apply(Change::Replace(&[])).await.map(|_| ()).map_err(to_casbin)
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, ptype: &str, rule: Vec<String>) -> casbin::Result<bool> {
        let rules = rules_of(ptype, vec![rule])?;
        self.apply(Change::Add(&rules)).await.map_err(to_casbin)
    }

    async fn add_policies(&mut self, _sec: &str, ptype: &str, rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        let rules = rules_of(ptype, rules)?;
        self.apply(Change::Add(&rules)).await.map_err(to_casbin)
    }

    async fn remove_policy(&mut self, _sec: &str, ptype: &str, rule: Vec<String>) -> casbin::Result<bool> {
        let rules = rules_of(ptype, vec![rule])?;
        self.apply(Change::Remove(&rules)).await.map_err(to_casbin)
    }

    async fn remove_policies(&mut self, _sec: &str, ptype: &str, rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        let rules = rules_of(ptype, rules)?;
        self.apply(Change::Remove(&rules)).await.map_err(to_casbin)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        self.apply(Change::RemoveMatching { ptype, from: field_index, values: &field_values }).await.map_err(to_casbin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi};
    use portal_core::memory::MemoryStore;

    const MODEL: &str = crate::DEFAULT_MODEL;

    fn line(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    async fn enforcer(store: Arc<dyn Storage>) -> Enforcer {
        let model = DefaultModel::from_str(MODEL).await.unwrap();
        Enforcer::new(model, StorageAdapter::new(store)).await.unwrap()
    }

    async fn stored(store: &Arc<dyn Storage>) -> Vec<String> {
        StorageAdapter::new(store.clone()).rules().await.unwrap().iter().map(ToString::to_string).collect()
    }

    #[tokio::test]
    async fn casbin_management_calls_write_through_to_the_store() {
        let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
        let mut e = enforcer(store.clone()).await;
        assert!(e.add_policy(line(&["admin", "t1", "member", "list", "allow"])).await.unwrap());
        assert!(e.add_grouping_policy(line(&["alice", "admin", "t1"])).await.unwrap());
        assert!(e.enforce(("alice", "t1", "member", "list")).unwrap());
        assert_eq!(stored(&store).await, ["p, admin, t1, member, list, allow", "g, alice, admin, t1"]);

        // All or nothing: one line already stored means none of the batch is added.
        let batch =
            vec![line(&["agent", "t1", "member", "list", "allow"]), line(&["admin", "t1", "member", "list", "allow"])];
        assert!(!e.add_policies(batch).await.unwrap());
        assert_eq!(stored(&store).await.len(), 2);

        assert!(e.add_policy(line(&["admin", "t2", "member", "list", "allow"])).await.unwrap());
        assert!(e.remove_filtered_policy(1, line(&["t1"])).await.unwrap());
        assert_eq!(stored(&store).await, ["g, alice, admin, t1", "p, admin, t2, member, list, allow"]);
        assert!(!e.enforce(("alice", "t1", "member", "list")).unwrap());
    }

    #[tokio::test]
    async fn save_and_clear_replace_the_stored_policy() {
        let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
        let mut e = enforcer(store.clone()).await;
        e.enable_auto_save(false);
        e.add_policy(line(&["admin", "t1", "member", "list", "allow"])).await.unwrap();
        assert!(stored(&store).await.is_empty(), "auto-save off writes nothing");
        e.save_policy().await.unwrap();
        assert_eq!(stored(&store).await, ["p, admin, t1, member, list, allow"]);
        let mut adapter = StorageAdapter::new(store.clone());
        adapter.clear_policy().await.unwrap();
        assert!(stored(&store).await.is_empty());
    }

    #[tokio::test]
    async fn a_line_casbin_csv_cannot_carry_is_refused_and_not_stored() {
        let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
        let mut e = enforcer(store.clone()).await;
        assert!(e.add_policy(line(&["admin", "t1", "member", "list,approve", "allow"])).await.is_err());
        assert!(stored(&store).await.is_empty());
    }
}
