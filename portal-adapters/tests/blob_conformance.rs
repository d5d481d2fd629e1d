//! The blob-store conformance suite on `ObjectBlobStore` over a local directory.

use async_trait::async_trait;
use portal_adapters::blobs::ObjectBlobStore;
use portal_core::ports::{BlobKey, BlobStore};
use portal_core::Result;

/// A local store in a temporary directory of its own, removed when the test drops the store.
struct TemporaryBlobs {
    store: ObjectBlobStore,
    _dir: tempfile::TempDir,
}

impl TemporaryBlobs {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        TemporaryBlobs { store: ObjectBlobStore::local(dir.path()).expect("a local store"), _dir: dir }
    }
}

#[async_trait]
impl BlobStore for TemporaryBlobs {
    async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<()> {
        self.store.put(key, bytes).await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        self.store.get(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<()> {
        self.store.delete(key).await
    }
}

portal_core::blob_store_conformance!(TemporaryBlobs::new());
