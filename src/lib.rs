#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use std::path::Path;
use std::sync::Arc;

pub use portal_adapters as adapters;
pub use portal_auth as auth;
pub use portal_core as core;
pub use portal_search as search;

use portal_adapters::blobs::ObjectBlobStore;
use portal_adapters::postgres::PostgresStore;
use portal_adapters::sqlite::SqliteStore;
use portal_auth::{Argon2Hasher, CompiledAuthorizer, ZxcvbnBlocklist, DEFAULT_POLICY};
use portal_core::memory::{MemoryBlobStore, MemoryStore};
use portal_core::ports::{
    Authorizer, BlobStore, Clock, PasswordBlocklist, PasswordHasher, SearchIndex, Storage, SystemClock,
};
use portal_core::services::access::{AccessConfig, AccessPorts, AccessService};
use portal_core::services::knowledge::{AttachmentLimits, FeedbackLimits, KnowledgePorts, KnowledgeService};
use portal_core::{Error, ErrorKind, Result};
use portal_search::TantivySearch;

/// The names most host code needs.
pub mod prelude {
    pub use crate::{Portal, PortalBuilder};
    pub use portal_core::model::{MemberStatus, PortalId, PortalMode, Principal, Role, UserId};
    pub use portal_core::services::access::{
        AcceptInvitation, AccessConfig, LoginRequest, MemberQuery, NewPortal, Registration,
    };
    pub use portal_core::{Error, ErrorKind, Result};
}

/// An assembled portal engine. Cheap to clone (one `Arc` inside), so it can be a web
/// framework's shared state as it is.
#[derive(Clone)]
pub struct Portal {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Arc<dyn Storage>,
    access: AccessService,
    knowledge: KnowledgeService,
}

impl Portal {
    /// Start assembling a portal from ports.
    pub fn builder() -> PortalBuilder {
        PortalBuilder::default()
    }

    /// Everything in memory (nothing survives the process): for tests, examples and trials.
    pub async fn in_memory() -> Result<Portal> {
        Portal::builder()
            .storage(MemoryStore::new())
            .search(TantivySearch::in_memory()?)
            .blobs(MemoryBlobStore::new())
            .build()
            .await
    }

    /// The embedded default: a SQLite database at `dir/portal.db` (created with `dir` if
    /// missing), the search index in `dir/index`, attachments in `dir/files`, argon2id hashing,
    /// the zxcvbn block list and the default casbin policy.
    pub async fn embedded(dir: impl AsRef<Path>) -> Result<Portal> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::new(ErrorKind::Unavailable, "cannot create the data directory")
                .with_context("dir", dir.display())
                .with_source(e)
        })?;
        let store = SqliteStore::open(dir.join("portal.db")).await?;
        let index = TantivySearch::open(dir.join("index"))?;
        let files = ObjectBlobStore::local(dir.join("files"))?;
        Portal::builder().storage(store).search(index).blobs(files).build().await
    }

    /// PostgreSQL at `url` (`postgres://user:password@host/database`) with the default pool,
    /// schema and policies; the tables are created or migrated on connect. For a schema or pool
    /// size of your own, pass a [`PostgresStore`] from [`PostgresStore::connect_with`] to
    /// [`Portal::builder`].
    pub async fn postgres(url: &str) -> Result<Portal> {
        let store = PostgresStore::connect(url).await?;
        Portal::builder().storage(store).build().await
    }

    /// Portals, membership, sign-in, sessions, passwords.
    pub fn access(&self) -> &AccessService {
        &self.inner.access
    }

    /// The storage every service works on (for hosts that read the change feed or keep their
    /// own records in the same transactions).
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// The knowledge base: categories, articles, their history, and what each principal may
    /// read of them.
    pub fn knowledge(&self) -> &KnowledgeService {
        &self.inner.knowledge
    }
}

/// Assembles a [`Portal`]. Storage is required; every other port has a default.
#[derive(Default)]
pub struct PortalBuilder {
    storage: Option<Arc<dyn Storage>>,
    hasher: Option<Arc<dyn PasswordHasher>>,
    authorizer: Option<Arc<dyn Authorizer>>,
    clock: Option<Arc<dyn Clock>>,
    blocklist: Option<Arc<dyn PasswordBlocklist>>,
    search: Option<Arc<dyn SearchIndex>>,
    blobs: Option<Arc<dyn BlobStore>>,
    attachment_limits: AttachmentLimits,
    feedback_limits: FeedbackLimits,
    access: AccessConfig,
}

impl PortalBuilder {
    /// Where everything is stored (required).
    pub fn storage(mut self, storage: impl Storage) -> Self {
        self.storage = Some(Arc::new(storage));
        self
    }

    /// Storage already behind an `Arc` (to share one store between portals or with tests).
    pub fn storage_arc(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Password hashing (default: [`Argon2Hasher`] with OWASP minimum parameters).
    pub fn hasher(mut self, hasher: impl PasswordHasher) -> Self {
        self.hasher = Some(Arc::new(hasher));
        self
    }

    /// Authorization (default: [`CompiledAuthorizer`] — the shipped casbin model, its policy
    /// kept in the storage, seeded with the shipped policy on first start, answered from a
    /// compiled index; [`portal_auth::CasbinAuthorizer`] answers with casbin-rs itself).
    pub fn authorizer(mut self, authorizer: impl Authorizer) -> Self {
        self.authorizer = Some(Arc::new(authorizer));
        self
    }

    /// Time (default: the system clock).
    pub fn clock_arc(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Common-password block list (default: [`ZxcvbnBlocklist`]).
    pub fn blocklist(mut self, blocklist: impl PasswordBlocklist) -> Self {
        self.blocklist = Some(Arc::new(blocklist));
        self
    }

    /// The full-text index (default: none, and search is `Unsupported`; [`Portal::embedded`]
    /// and [`Portal::in_memory`] set one). At build it catches up with the stored knowledge base.
    pub fn search(mut self, index: impl SearchIndex) -> Self {
        self.search = Some(Arc::new(index));
        self
    }

    /// Where attachments' bytes are kept (default: none, and attachments are `Unsupported`;
    /// [`Portal::embedded`] keeps them in a directory, [`Portal::in_memory`] in memory). Any
    /// `object_store` backend fits through [`ObjectBlobStore::new`].
    pub fn blobs(mut self, blobs: impl BlobStore) -> Self {
        self.blobs = Some(Arc::new(blobs));
        self
    }

    /// Caps on attachments: file size, files per article, bytes per portal (F1).
    pub fn attachment_limits(mut self, limits: AttachmentLimits) -> Self {
        self.attachment_limits = limits;
        self
    }

    /// Caps on visitors' "was this helpful?" answers, per article and per portal each hour
    /// (R5).
    pub fn feedback_limits(mut self, limits: FeedbackLimits) -> Self {
        self.feedback_limits = limits;
        self
    }

    /// Access settings (password policy, throttling, timeouts, sign-up role).
    pub fn access_config(mut self, config: AccessConfig) -> Self {
        self.access = config;
        self
    }

    /// Build the portal. `ConfigInvalid` if storage is missing or a setting is unsafe.
    pub async fn build(self) -> Result<Portal> {
        let storage = self.storage.ok_or_else(|| Error::new(ErrorKind::ConfigInvalid, "no storage configured"))?;
        let authorizer = match self.authorizer {
            Some(a) => a,
            None => Arc::new(CompiledAuthorizer::with_storage(storage.clone(), DEFAULT_POLICY).await?),
        };
        let ports = AccessPorts {
            storage,
            hasher: self.hasher.unwrap_or_else(|| Arc::new(Argon2Hasher::default())),
            authorizer,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            blocklist: self.blocklist.unwrap_or_else(|| Arc::new(ZxcvbnBlocklist)),
        };
        let knowledge_has_index = self.search.is_some();
        let knowledge = KnowledgeService::new(
            KnowledgePorts {
                storage: ports.storage.clone(),
                authorizer: ports.authorizer.clone(),
                clock: ports.clock.clone(),
                search: self.search,
                blobs: self.blobs,
            },
            self.access.transaction_attempts,
        )
        .with_attachment_limits(self.attachment_limits)
        .with_feedback_limits(self.feedback_limits);
        if knowledge_has_index {
            knowledge.sync_index().await?;
        }
        let storage = ports.storage.clone();
        let access = AccessService::new(ports, self.access)?;
        Ok(Portal { inner: Arc::new(Inner { storage, access, knowledge }) })
    }
}
