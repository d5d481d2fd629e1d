//! The blob-storage port: the bytes of uploaded files, under names the portal generates.

use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;

use crate::error::Result;
use crate::model::{AttachmentId, PortalId};

/// The name of a blob. Built only by the portal from ids (F3: no name a user typed ever reaches
/// the store, so there is nothing to traverse with), and always `<kind>/<portal>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// Where an attachment's bytes are kept.
    pub fn attachment(portal: PortalId, id: AttachmentId) -> Self {
        BlobKey(format!("attachments/{portal}/{id}"))
    }

    /// The name, for adapters: ASCII letters, digits, `-` and `/` only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the bytes of files live: a local directory by default (`portal-adapters`' object
/// store adapter), any object store in production. Not transactional: the portal writes a blob
/// before the record that points to it, and removes the record before the blob, so a failure
/// can leave an unreferenced blob but never a record without its bytes. The `# Behavior` items
/// are checked by `portal_core::testkit::blobs`.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Store `bytes` under `key`, replacing what was there.
    ///
    /// # Behavior
    /// - `get` afterwards returns exactly `bytes`; a second `put` replaces them.
    async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<()>;

    /// # Behavior
    /// - an unknown key returns `Ok(None)`.
    async fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>>;

    /// Remove the blob; removing an unknown key succeeds.
    ///
    /// # Behavior
    /// - after `delete`, `get` returns `Ok(None)`; other keys are untouched; deleting twice is
    ///   fine.
    async fn delete(&self, key: &BlobKey) -> Result<()>;
}

/// A shared store is a store (so a host or a test can keep a handle on the one it gives the
/// portal).
#[async_trait]
impl<T: BlobStore + ?Sized> BlobStore for Arc<T> {
    async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<()> {
        (**self).put(key, bytes).await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        (**self).get(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<()> {
        (**self).delete(key).await
    }
}
