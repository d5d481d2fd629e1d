//! Both authorizers whose policy lives in storage, behind one trait, so every authorization
//! scenario runs on casbin-rs itself and on the compiled index.

use async_trait::async_trait;
use portal::auth::{CasbinAuthorizer, CompiledAuthorizer, DEFAULT_MODEL};
use portal::core::model::PolicyRule;
use portal::core::ports::{Authorizer, Storage};
use portal::core::Result;
use std::sync::Arc;

/// What the scenarios need of an authorizer whose policy lives in storage.
#[async_trait]
pub trait Stored: Authorizer + Sized {
    async fn open(store: &Arc<dyn Storage>, seed: &str) -> Result<Self>;
    async fn add(&self, rule: &PolicyRule) -> Result<bool>;
    async fn remove(&self, rule: &PolicyRule) -> Result<bool>;
}

#[async_trait]
impl Stored for CasbinAuthorizer {
    async fn open(store: &Arc<dyn Storage>, seed: &str) -> Result<Self> {
        CasbinAuthorizer::with_storage(DEFAULT_MODEL, store.clone(), seed).await
    }
    async fn add(&self, rule: &PolicyRule) -> Result<bool> {
        self.add_rule(rule).await
    }
    async fn remove(&self, rule: &PolicyRule) -> Result<bool> {
        self.remove_rule(rule).await
    }
}

#[async_trait]
impl Stored for CompiledAuthorizer {
    async fn open(store: &Arc<dyn Storage>, seed: &str) -> Result<Self> {
        CompiledAuthorizer::with_storage(store.clone(), seed).await
    }
    async fn add(&self, rule: &PolicyRule) -> Result<bool> {
        self.add_rule(rule).await
    }
    async fn remove(&self, rule: &PolicyRule) -> Result<bool> {
        self.remove_rule(rule).await
    }
}
