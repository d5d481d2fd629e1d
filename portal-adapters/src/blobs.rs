//! The blob-storage port on `object_store`: a local directory by default, any object store
//! (S3, GCS, Azure, …) a host builds with that crate's own features.

use async_trait::async_trait;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use portal_core::ports::{BlobKey, BlobStore};
use portal_core::{Error, ErrorKind, Result};
use std::path::Path;
use std::sync::Arc;

/// A [`BlobStore`] on an [`ObjectStore`]. Writes are whole-object puts (a local directory
/// writes a temporary file and renames it), so a reader never sees half a file.
#[derive(Clone, Debug)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
}

impl ObjectBlobStore {
    /// Blobs in `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        ObjectBlobStore { store }
    }

    /// Blobs as files under `dir`, created when missing.
    pub fn local(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let unavailable = |e: &dyn std::fmt::Display| {
            Error::new(ErrorKind::Unavailable, "cannot open the blob directory")
                .with_context("dir", dir.display())
                .with_source(e.to_string())
        };
        std::fs::create_dir_all(dir).map_err(|e| unavailable(&e))?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| unavailable(&e))?;
        Ok(ObjectBlobStore { store: Arc::new(store) })
    }
}

fn path(key: &BlobKey) -> Result<ObjectPath> {
    ObjectPath::parse(key.as_str()).map_err(|e| Error::internal("a blob key is not an object path").with_source(e))
}

fn failed<'k>(what: &'static str, key: &'k BlobKey) -> impl FnOnce(object_store::Error) -> Error + 'k {
    move |e| Error::new(ErrorKind::Unavailable, what).with_context("key", key).with_source(e)
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<()> {
        self.store.put(&path(key)?, PutPayload::from(bytes)).await.map_err(failed("cannot store a blob", key))?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        let found = match self.store.get(&path(key)?).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(failed("cannot read a blob", key)(e)),
        };
        let bytes = found.bytes().await.map_err(failed("cannot read a blob", key))?;
        Ok(Some(bytes.to_vec()))
    }

    async fn delete(&self, key: &BlobKey) -> Result<()> {
        match self.store.delete(&path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed("cannot delete a blob", key)(e)),
        }
    }
}
