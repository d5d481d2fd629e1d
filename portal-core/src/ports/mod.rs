//! Ports: the traits an adapter implements. Small, object-safe, held as `Arc<dyn …>`, and
//! written only in portal domain types.

mod authorizer;
mod blobs;
mod clock;
mod hasher;
mod knowledge;
mod password_list;
mod search;
mod storage;

pub use authorizer::{ops, Authorizer, Item, Probe};
pub use blobs::{BlobKey, BlobStore};
pub use clock::{Clock, ManualClock, SystemClock};
pub use hasher::{PasswordHasher, Verification};
pub use knowledge::{ArticleFeedbackStore, AttachmentStore, KnowledgeStore, SearchLog};
pub use password_list::{NoBlocklist, PasswordBlocklist};
pub use search::{
    Facets, IndexChange, SearchDocument, SearchHit, SearchIndex, SearchRequest, SearchResults, SearchScope, Suggestion,
    Total,
};
pub use storage::{
    AuditLog, CredentialStore, InvitationStore, MembershipStore, PolicyStore, PortalStore, SessionRecord, SessionStore,
    Storage, ThrottleStore, TokenStore, Transaction, UserStore,
};
