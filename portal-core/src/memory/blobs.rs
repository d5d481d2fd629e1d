//! Blobs in memory, for tests and the in-memory portal.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::error::Result;
use crate::ports::{BlobKey, BlobStore};

/// A [`BlobStore`] in a map; everything is lost when it is dropped.
#[derive(Default)]
pub struct MemoryBlobStore {
    blobs: Mutex<HashMap<BlobKey, Vec<u8>>>,
}

impl MemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many blobs it holds.
    pub fn len(&self) -> usize {
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<()> {
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner).insert(key.clone(), bytes);
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        Ok(self.blobs.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned())
    }

    async fn delete(&self, key: &BlobKey) -> Result<()> {
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
        Ok(())
    }
}
