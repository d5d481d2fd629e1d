//! The storage conformance suite on the in-memory reference store.

portal_core::storage_conformance!(portal_core::memory::MemoryStore::new());

mod blobs {
    portal_core::blob_store_conformance!(portal_core::memory::MemoryBlobStore::new());
}
