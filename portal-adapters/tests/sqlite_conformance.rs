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

/// Processes starting together on a new file: every open succeeds, the schema is created once.
#[test]
fn concurrent_opens_of_a_new_file_all_migrate() {
    portal_core::testkit::run(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh.db");
        let opens: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                tokio::spawn(async move { portal_adapters::sqlite::SqliteStore::open(path).await })
            })
            .collect();
        for open in opens {
            open.await.unwrap().expect("every concurrent open migrates or finds the schema current");
        }
    });
}
