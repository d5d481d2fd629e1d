//! The storage conformance suite on SQLite: once on a private in-memory database per test, once
//! on one shared database file used by every test at the same time.

mod in_memory {
    portal_core::storage_conformance!(portal_adapters::sqlite::SqliteStore::open_in_memory().await.unwrap());
}

mod shared_file {
    use portal_adapters::sqlite::SqliteStore;
    use std::sync::OnceLock;

    fn path() -> &'static std::path::Path {
        static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
        DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
    }

    portal_core::storage_conformance!(SqliteStore::open(path().join("conformance.db")).await.unwrap());
}
