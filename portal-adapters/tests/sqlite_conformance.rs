//! The storage conformance suite on SQLite: once on a private in-memory database per test, once
//! on one shared database file used by every test at the same time.

mod in_memory {
    portal_core::storage_conformance!(portal_adapters::sqlite::SqliteStore::open_in_memory().await.unwrap());
}

mod shared_file {
    use portal_adapters::sqlite::SqliteStore;
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    static DIR: OnceLock<PathBuf> = OnceLock::new();

    /// The shared file's directory, made on first use and removed when the test process exits
    /// (a `static` is never dropped: a `TempDir` kept in one stayed behind after every run).
    fn path() -> &'static Path {
        DIR.get_or_init(|| {
            extern "C" fn remove() {
                if let Some(dir) = DIR.get() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            let dir = tempfile::tempdir().unwrap().keep();
            // SAFETY: `remove` is a plain function of no arguments; it reads a static that is
            // set before it is registered, and removes files.
            unsafe { libc::atexit(remove) };
            dir
        })
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
