//! The conformance suite of [`BlobStore`]: one function per behavior, run on every
//! implementation by [`crate::blob_store_conformance!`].

use std::sync::Arc;

use crate::model::{AttachmentId, PortalId};
use crate::ports::{BlobKey, BlobStore};

/// A blob store under test.
pub type Blobs = Arc<dyn BlobStore>;

fn key() -> BlobKey {
    BlobKey::attachment(PortalId::new(), AttachmentId::new())
}

/// An unknown key reads as `None`.
pub async fn blob_get_unknown_is_none(blobs: Blobs) {
    assert_eq!(blobs.get(&key()).await.unwrap(), None);
}

/// What is put is read back byte for byte (empty, binary and a few MiB); a second put replaces it.
pub async fn blob_put_then_get_round_trips_and_replaces(blobs: Blobs) {
    let k = key();
    for bytes in [Vec::new(), (0..=255u8).collect::<Vec<u8>>(), vec![0xA5; 3 * 1024 * 1024 + 7]] {
        blobs.put(&k, bytes.clone()).await.unwrap();
        assert_eq!(blobs.get(&k).await.unwrap(), Some(bytes));
    }
}

/// Deleting removes only that blob, and deleting twice (or an unknown key) succeeds.
pub async fn blob_delete_removes_only_that_blob(blobs: Blobs) {
    let (a, b) = (key(), key());
    blobs.put(&a, b"a".to_vec()).await.unwrap();
    blobs.put(&b, b"b".to_vec()).await.unwrap();
    blobs.delete(&a).await.unwrap();
    blobs.delete(&a).await.unwrap();
    blobs.delete(&key()).await.unwrap();
    assert_eq!(blobs.get(&a).await.unwrap(), None);
    assert_eq!(blobs.get(&b).await.unwrap(), Some(b"b".to_vec()));
}

/// Generate the blob-store conformance suite: one `#[test]` per behavior. `$make` is an
/// expression (it may `.await`) evaluating to a value implementing [`BlobStore`].
#[macro_export]
macro_rules! blob_store_conformance {
    ($make:expr) => {
        $crate::__blob_store_conformance_tests!($make;
            blob_get_unknown_is_none,
            blob_put_then_get_round_trips_and_replaces,
            blob_delete_removes_only_that_blob,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __blob_store_conformance_tests {
    ($make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::testkit::run(async {
                    let blobs = $make;
                    $crate::testkit::blobs::$name(::std::sync::Arc::new(blobs)).await;
                });
            }
        )+
    };
}
