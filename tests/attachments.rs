//! Files attached to articles through the portal API: upload rules (F1–F3), how downloads are
//! served (F4), and that every download re-checks the article (F5).

mod common;

use common::kb::{form, Kb};
use common::Harness;
use portal::adapters::blobs::ObjectBlobStore;
use portal::core::memory::{MemoryBlobStore, MemoryStore};
use portal::core::model::{Article, Visibility};
use portal::core::ports::{BlobKey, BlobStore};
use portal::core::services::knowledge::AttachmentLimits;
use portal::prelude::{ErrorKind, PortalMode};
use std::sync::Arc;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

/// A knowledge base whose blobs the test can count, with `limits`.
async fn kb_with(limits: AttachmentLimits) -> (Kb, Arc<MemoryBlobStore>) {
    let blobs = Arc::new(MemoryBlobStore::new());
    let builder = portal::Portal::builder().search(common::index()).blobs(blobs.clone()).attachment_limits(limits);
    let h = Harness::with_builder(builder, Arc::new(MemoryStore::new())).await;
    (Kb::on(h).await, blobs)
}

async fn kb() -> (Kb, Arc<MemoryBlobStore>) {
    kb_with(AttachmentLimits::default()).await
}

impl Kb {
    async fn public_article(&self, title: &str) -> Article {
        self.publish_form(form(title)).await
    }

    async fn hide(&self, a: &Article) -> Article {
        let mut f = form(&a.title);
        f.visibility = Visibility::internal();
        self.kb().edit_article(&self.agent, a.id, a.version, f).await.unwrap()
    }
}

#[tokio::test]
async fn f4_a_download_is_the_same_bytes_served_as_an_attachment() {
    let (k, _) = kb().await;
    let a = k.public_article("Invoices").await;
    let added = k.kb().add_attachment(&k.agent, a.id, "2026 請求書.pdf", PDF.to_vec()).await.unwrap();
    assert_eq!((added.file_name.as_str(), added.content_type.as_str()), ("2026 請求書.pdf", "application/pdf"));
    assert_eq!(added.size, PDF.len() as u64);

    for reader in [&k.customer, &k.anonymous] {
        assert_eq!(k.kb().attachments(reader, a.id).await.unwrap(), std::slice::from_ref(&added));
        let d = k.kb().download_attachment(reader, added.id).await.unwrap();
        assert_eq!(d.bytes, PDF);
        let headers = d.headers();
        let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap();
        assert_eq!(header("Content-Type"), "application/pdf");
        assert_eq!(header("X-Content-Type-Options"), "nosniff");
        assert!(header("Content-Security-Policy").contains("sandbox"));
        assert_eq!(
            header("Content-Disposition"),
            "attachment; filename=\"2026 ___.pdf\"; filename*=UTF-8''2026%20%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf"
        );
    }
}

#[tokio::test]
async fn f5_every_download_rechecks_the_article() {
    let (k, _) = kb().await;
    let a = k.public_article("Setup guide").await;
    let file = k.kb().add_attachment(&k.agent, a.id, "guide.pdf", PDF.to_vec()).await.unwrap();
    assert!(k.kb().download_attachment(&k.customer, file.id).await.is_ok());

    // The article turns internal: the same file id stops working for readers at once.
    k.hide(&a).await;
    for reader in [&k.customer, &k.anonymous] {
        assert_eq!(k.kb().download_attachment(reader, file.id).await.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(k.kb().attachments(reader, a.id).await.unwrap_err().kind(), ErrorKind::NotFound);
    }
    assert_eq!(k.kb().download_attachment(&k.agent, file.id).await.unwrap().bytes, PDF);

    // Another portal's principal never reaches it, whatever its role there.
    let (other, other_admin) = k.h.portal_with_admin(PortalMode::Public).await;
    assert_ne!(other, k.pid);
    assert_eq!(k.kb().download_attachment(&other_admin, file.id).await.unwrap_err().kind(), ErrorKind::NotFound);

    // A draft's files are the editors' only.
    let draft = k.kb().create_article(&k.agent, form("Unreleased")).await.unwrap();
    let early = k.kb().add_attachment(&k.agent, draft.id, "early.pdf", PDF.to_vec()).await.unwrap();
    assert_eq!(k.kb().download_attachment(&k.customer, early.id).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(k.kb().download_attachment(&k.admin, early.id).await.is_ok());
}

#[tokio::test]
async fn uploading_and_removing_need_article_write() {
    let (k, blobs) = kb().await;
    let a = k.public_article("Billing").await;
    let e = k.kb().add_attachment(&k.customer, a.id, "x.pdf", PDF.to_vec()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let e = k.kb().add_attachment(&k.anonymous, a.id, "x.pdf", PDF.to_vec()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert!(blobs.is_empty(), "a refused upload stores no bytes");

    let file = k.kb().add_attachment(&k.agent, a.id, "x.pdf", PDF.to_vec()).await.unwrap();
    let e = k.kb().remove_attachment(&k.customer, file.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert_eq!(k.kb().attachments(&k.customer, a.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn removing_an_attachment_removes_record_and_bytes() {
    let (k, blobs) = kb().await;
    let a = k.public_article("Billing").await;
    let file = k.kb().add_attachment(&k.agent, a.id, "x.pdf", PDF.to_vec()).await.unwrap();
    assert_eq!(blobs.len(), 1);
    k.kb().remove_attachment(&k.agent, file.id).await.unwrap();
    assert!(blobs.is_empty());
    assert!(k.kb().attachments(&k.customer, a.id).await.unwrap().is_empty());
    assert_eq!(k.kb().download_attachment(&k.agent, file.id).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(k.kb().remove_attachment(&k.agent, file.id).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn f2_f3_refused_files_leave_nothing_behind_and_names_lose_their_paths() {
    let (k, blobs) = kb().await;
    let a = k.public_article("Uploads").await;
    for (name, bytes) in [
        ("page.html", b"<html></html>".as_slice()),
        ("logo.svg", b"<svg onload=alert(1)></svg>"),
        ("shell.phtml", b"<?php system($_GET['c']); ?>"),
        ("photo.png", b"<html><script>alert(1)</script></html>"),
        ("readme.txt", b"<!doctype html><script>alert(1)</script>"),
        ("../..", PDF),
        ("empty.pdf", b""),
    ] {
        let e = k.kb().add_attachment(&k.agent, a.id, name, bytes.to_vec()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
    }
    assert!(blobs.is_empty());
    assert!(k.kb().attachments(&k.agent, a.id).await.unwrap().is_empty());

    let file = k.kb().add_attachment(&k.agent, a.id, "../../etc/\u{202E}report\0.pdf", PDF.to_vec()).await.unwrap();
    assert_eq!(file.file_name, "report.pdf");
}

#[tokio::test]
async fn f1_file_count_and_portal_quota_are_capped_and_a_refusal_keeps_no_bytes() {
    let limits =
        AttachmentLimits { max_file_bytes: 64, max_files_per_article: 2, max_portal_bytes: 3 * PDF.len() as u64 };
    let (k, blobs) = kb_with(limits).await;
    let (a, b) = (k.public_article("A").await, k.public_article("B").await);
    let big = [PDF, &[b' '; 64]].concat();
    assert_eq!(
        k.kb().add_attachment(&k.agent, a.id, "big.pdf", big).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    for name in ["1.pdf", "2.pdf"] {
        k.kb().add_attachment(&k.agent, a.id, name, PDF.to_vec()).await.unwrap();
    }
    let e = k.kb().add_attachment(&k.agent, a.id, "3.pdf", PDF.to_vec()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "per-article count");
    k.kb().add_attachment(&k.agent, b.id, "3.pdf", PDF.to_vec()).await.unwrap();
    let e = k.kb().add_attachment(&k.agent, b.id, "4.pdf", PDF.to_vec()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "portal quota");
    assert_eq!(blobs.len(), 3, "refused uploads leave no bytes");
    let e = k.kb().add_attachment(&k.agent, portal::core::model::ArticleId::new(), "x.pdf", PDF.to_vec()).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(blobs.len(), 3);
}

#[tokio::test]
async fn bytes_changed_behind_the_portals_back_are_not_handed_out() {
    let (k, blobs) = kb().await;
    let a = k.public_article("Integrity").await;
    let file = k.kb().add_attachment(&k.agent, a.id, "x.pdf", PDF.to_vec()).await.unwrap();
    blobs.put(&BlobKey::attachment(k.pid, file.id), b"%PDF-tampered".to_vec()).await.unwrap();
    assert_eq!(k.kb().download_attachment(&k.customer, file.id).await.unwrap_err().kind(), ErrorKind::Internal);
}

#[tokio::test]
async fn the_embedded_default_keeps_files_in_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let builder = portal::Portal::builder().search(common::index()).blobs(ObjectBlobStore::local(dir.path()).unwrap());
    let k = Kb::on(Harness::with_builder(builder, Arc::new(MemoryStore::new())).await).await;
    let a = k.public_article("On disk").await;
    let file = k.kb().add_attachment(&k.agent, a.id, "x.pdf", PDF.to_vec()).await.unwrap();
    let on_disk = dir.path().join("attachments").join(k.pid.to_string()).join(file.id.to_string());
    assert_eq!(std::fs::read(&on_disk).unwrap(), PDF);
    assert_eq!(k.kb().download_attachment(&k.customer, file.id).await.unwrap().bytes, PDF);
    k.kb().remove_attachment(&k.agent, file.id).await.unwrap();
    assert!(!on_disk.exists());
}

#[tokio::test]
async fn without_a_blob_store_attachments_are_unsupported() {
    let builder = portal::Portal::builder().search(common::index());
    let k = Kb::on(Harness::with_builder(builder, Arc::new(MemoryStore::new())).await).await;
    let a = k.public_article("No files").await;
    let e = k.kb().add_attachment(&k.agent, a.id, "x.pdf", PDF.to_vec()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}
