//! The blob-store conformance suite on `ObjectBlobStore` over a local directory.

fn dir() -> std::path::PathBuf {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Kept for the test process's life: each test writes its own keys.
    dir.keep()
}

portal_core::blob_store_conformance!(portal_adapters::blobs::ObjectBlobStore::local(dir()).unwrap());
