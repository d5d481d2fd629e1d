//! Shared test wiring: a portal on a chosen store with a manual clock, a fast stand-in hasher,
//! and a hasher wrapper that counts verifications.
#![allow(dead_code)]

pub mod authorizers;
pub mod kb;
pub mod races;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use portal::core::memory::{MemoryBlobStore, MemoryStore};
use portal::core::model::{PortalId, Principal, Role};
use portal::core::ports::{Clock, ManualClock, PasswordHasher, Storage, Verification};
use portal::core::secret::{Password, SecretToken};
use portal::core::services::access::{
    AcceptInvitation, AccessConfig, AccessService, LoginRequest, NewPortal, Registration,
};
use portal::core::Result;
use portal::prelude::PortalMode;
use portal::Portal;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub const ADMIN_EMAIL: &str = "owner@acme.example";
pub const ADMIN_PASSWORD: &str = "orchid lantern quietly hums";
pub const GOOD_PASSWORD: &str = "paper kites over the harbour";

/// A fast salted SHA-256 stand-in for argon2, so behaviour tests run in milliseconds. Only for
/// tests: the real hasher is covered by portal-auth's own tests and the A5/A6 tests.
#[derive(Default)]
pub struct FastHasher;

#[async_trait]
impl PasswordHasher for FastHasher {
    async fn hash(&self, password: &Password) -> Result<String> {
        let salt = SecretToken::generate()?.expose()[..16].to_owned();
        let digest = Sha256::digest(format!("{salt}:{}", password.expose()));
        Ok(format!("$fast$v=1${salt}${}", hex(&digest)))
    }

    async fn verify(&self, password: &Password, phc: &str) -> Result<Verification> {
        let parts: Vec<&str> = phc.split('$').collect();
        let [_, "fast", "v=1", salt, hash] = parts.as_slice() else {
            return Err(portal::core::Error::internal("not a fast hash"));
        };
        let digest = Sha256::digest(format!("{salt}:{}", password.expose()));
        Ok(Verification { matches: hex(&digest) == *hash, needs_rehash: false })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts `verify` calls of the hasher it wraps.
pub struct CountingHasher<H> {
    pub inner: H,
    pub verifies: Arc<AtomicUsize>,
}

#[async_trait]
impl<H: PasswordHasher> PasswordHasher for CountingHasher<H> {
    async fn hash(&self, password: &Password) -> Result<String> {
        self.inner.hash(password).await
    }

    async fn verify(&self, password: &Password, phc: &str) -> Result<Verification> {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, phc).await
    }
}

/// A portal engine under test.
pub struct Harness {
    pub portal: Portal,
    pub clock: Arc<ManualClock>,
    pub verifies: Arc<AtomicUsize>,
}

impl Harness {
    pub async fn memory() -> Self {
        Self::with(Arc::new(MemoryStore::new()), AccessConfig::default()).await
    }

    pub async fn with(store: Arc<dyn Storage>, config: AccessConfig) -> Self {
        Self::build(Portal::builder().search(index()).blobs(MemoryBlobStore::new()), store, config).await
    }

    /// A portal assembled from `builder` (plus the harness's clock and hasher) on `store`.
    pub async fn with_builder(builder: portal::PortalBuilder, store: Arc<dyn Storage>) -> Self {
        Self::build(builder, store, AccessConfig::default()).await
    }

    /// A portal on `store` searching with `index` (say, a `TantivySearch` in a directory).
    pub async fn with_index(store: Arc<dyn Storage>, index: impl portal::core::ports::SearchIndex) -> Self {
        Self::build(Portal::builder().search(index), store, AccessConfig::default()).await
    }

    /// A portal whose casbin policy is held in memory, not in `store`, and without a search
    /// index (for a database whose schema predates the policy and knowledge-base tables).
    pub async fn with_memory_policy(store: Arc<dyn Storage>) -> Self {
        let authorizer = portal::auth::CasbinAuthorizer::with_default_policy().await.unwrap();
        Self::build(Portal::builder().authorizer(authorizer), store, AccessConfig::default()).await
    }

    /// A portal answered by casbin-rs (`CasbinAuthorizer`) over the policy in `store`, instead
    /// of the default compiled index.
    pub async fn with_casbin(store: Arc<dyn Storage>) -> Self {
        let authorizer = portal::auth::CasbinAuthorizer::with_storage(
            portal::auth::DEFAULT_MODEL,
            store.clone(),
            portal::auth::DEFAULT_POLICY,
        )
        .await
        .unwrap();
        let builder = Portal::builder().authorizer(authorizer).search(index()).blobs(MemoryBlobStore::new());
        Self::build(builder, store, AccessConfig::default()).await
    }

    async fn build(builder: portal::PortalBuilder, store: Arc<dyn Storage>, config: AccessConfig) -> Self {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()));
        let verifies = Arc::new(AtomicUsize::new(0));
        let portal = builder
            .storage_arc(store)
            .hasher(CountingHasher { inner: FastHasher, verifies: verifies.clone() })
            .clock_arc(clock.clone() as Arc<dyn Clock>)
            .access_config(config)
            .build()
            .await
            .expect("portal builds");
        Harness { portal, clock, verifies }
    }

    pub fn access(&self) -> &AccessService {
        self.portal.access()
    }

    /// The injected clock's current time.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }

    pub fn verifies(&self) -> usize {
        self.verifies.load(Ordering::SeqCst)
    }

    /// A portal in `mode` whose owner has accepted the invitation; returns it and the admin.
    pub async fn portal_with_admin(&self, mode: PortalMode) -> (PortalId, Principal) {
        let slug =
            format!("p{}", &SecretToken::generate().unwrap().expose()[..10].to_lowercase().replace(['-', '_'], "x"));
        let created = self
            .access()
            .create_portal(NewPortal { slug, name: "Acme Help".into(), mode, owner_email: ADMIN_EMAIL.into() })
            .await
            .expect("portal created");
        let pid = created.portal.id;
        let anon = Principal::anonymous(pid);
        self.access()
            .accept_invitation(
                &anon,
                AcceptInvitation {
                    token: created.owner_invitation.token.expose().into(),
                    password: ADMIN_PASSWORD.into(),
                    display_name: "Owner".into(),
                },
            )
            .await
            .expect("owner accepts");
        let admin = self.login(pid, ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("owner signs in");
        (pid, admin)
    }

    pub async fn login(&self, pid: PortalId, email: &str, password: &str) -> Result<Principal> {
        let s = self.access().login(&Principal::anonymous(pid), login_form(email, password)).await?;
        self.access().validate_session(pid, s.token.expose()).await
    }

    pub async fn login_token(&self, pid: PortalId, email: &str, password: &str) -> Result<SecretToken> {
        Ok(self.access().login(&Principal::anonymous(pid), login_form(email, password)).await?.token)
    }

    pub async fn register(&self, pid: PortalId, email: &str, password: &str) -> Result<()> {
        self.access()
            .register(
                &Principal::anonymous(pid),
                Registration { email: email.into(), password: password.into(), display_name: String::new() },
            )
            .await
            .map(|_| ())
    }

    /// Register and (if needed) approve; returns the member's principal after signing in.
    pub async fn member(&self, pid: PortalId, admin: &Principal, email: &str) -> Principal {
        self.register(pid, email, GOOD_PASSWORD).await.expect("register");
        let list = self
            .access()
            .list_members(
                admin,
                portal::prelude::MemberQuery {
                    status: Some(portal::prelude::MemberStatus::PendingApproval),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        if let Some(m) = list.iter().find(|m| m.user.email == email) {
            self.access().approve(admin, m.user.id).await.unwrap();
        }
        self.login(pid, email, GOOD_PASSWORD).await.expect("member signs in")
    }

    /// Invite `email` as `role` and accept it; returns the new member signed in.
    pub async fn invited(&self, pid: PortalId, admin: &Principal, email: &str, role: Role) -> Principal {
        let inv = self.access().invite(admin, email, role).await.expect("invite");
        self.access()
            .accept_invitation(
                &Principal::anonymous(pid),
                AcceptInvitation {
                    token: inv.token.expose().into(),
                    password: GOOD_PASSWORD.into(),
                    display_name: String::new(),
                },
            )
            .await
            .expect("accept");
        self.login(pid, email, GOOD_PASSWORD).await.expect("sign in")
    }
}

/// A search index in memory.
pub fn index() -> portal::search::TantivySearch {
    portal::search::TantivySearch::in_memory().expect("an index in memory")
}

pub fn login_form(email: &str, password: &str) -> LoginRequest {
    LoginRequest { email: email.into(), password: password.into(), replaces: None }
}
