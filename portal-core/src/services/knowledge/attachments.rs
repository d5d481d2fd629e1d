//! Files attached to articles: uploaded by editors, downloaded by whoever may read the article
//! (F5: every download re-checks the article), bytes in the [`BlobStore`].

use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::uploads::{check_upload, Download};
use super::KnowledgeService;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ArticleId, Attachment, AttachmentId, AuditEvent, AuditOutcome, Principal};
use crate::ports::{ops, BlobKey, BlobStore};

impl KnowledgeService {
    fn blobs(&self) -> Result<&Arc<dyn BlobStore>> {
        self.blobs.as_ref().ok_or_else(|| Error::new(ErrorKind::Unsupported, "no blob store is configured"))
    }

    /// Attach a file to an article (needs `article` / `write`). The file must pass the upload
    /// rules (F1 size, F2 type and content, F3 name: `InvalidInput` otherwise); a full article or
    /// portal quota is `Conflict`. The bytes are stored before the record, so a failure leaves
    /// nothing a reader can reach.
    pub async fn add_attachment(
        &self,
        who: &Principal,
        article: ArticleId,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<Attachment> {
        let blobs = self.blobs()?;
        self.guard.authorize(who, ops::ARTICLE_WRITE).await?;
        let (file_name, content_type) = check_upload(file_name, &bytes, &self.attachment_limits)?;
        let attachment = Attachment {
            id: AttachmentId::new(),
            portal_id: who.portal_id,
            article_id: article,
            file_name,
            content_type: content_type.to_owned(),
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
            uploaded_by: who.user_id,
            created_at: self.guard.now(),
        };
        let limits = self.attachment_limits;
        let key = BlobKey::attachment(who.portal_id, attachment.id);
        blobs.put(&key, bytes).await?;
        let recorded = self
            .guard
            .retrying(|| async {
                let mut tx = self.guard.begin().await?;
                if tx.get_article(who.portal_id, article).await?.is_none() {
                    return Err(Error::not_found("no such article"));
                }
                if tx.list_attachments(who.portal_id, article).await?.len() >= limits.max_files_per_article as usize {
                    return Err(Error::conflict("the article has as many files as it may")
                        .with_context("max_files", limits.max_files_per_article));
                }
                let usage = tx.attachment_usage(who.portal_id).await?;
                if usage.bytes.saturating_add(attachment.size) > limits.max_portal_bytes {
                    return Err(Error::conflict("the portal's file quota is full")
                        .with_context("max_bytes", limits.max_portal_bytes));
                }
                tx.insert_attachment(&attachment).await?;
                let event = AuditEvent::new(who, attachment.created_at, "kb.attachment_added", AuditOutcome::Success)
                    .target(article)
                    .detail("attachment", attachment.id)
                    .detail("size", attachment.size);
                tx.append_audit(&event).await?;
                tx.commit().await
            })
            .await;
        if let Err(e) = recorded {
            self.drop_blob(blobs, &key).await;
            return Err(e);
        }
        Ok(attachment)
    }

    /// The files of an article `who` may read (else `NotFound`), oldest first.
    pub async fn attachments(&self, who: &Principal, article: ArticleId) -> Result<Vec<Attachment>> {
        self.article(who, article).await?;
        self.guard.once(move |tx| tx.list_attachments(who.portal_id, article)).await
    }

    /// A file with its bytes, if `who` may read its article right now (F5; else `NotFound`,
    /// as for a file that does not exist). Bytes that no longer match the recorded SHA-256 are
    /// never handed out (`Internal`).
    pub async fn download_attachment(&self, who: &Principal, id: AttachmentId) -> Result<Download> {
        let blobs = self.blobs()?;
        let attachment = self.attachment_record(who, id).await?;
        self.article(who, attachment.article_id).await?;
        let key = BlobKey::attachment(who.portal_id, id);
        let bytes = blobs.get(&key).await?.ok_or_else(|| {
            Error::internal("an attachment's bytes are missing from the blob store").with_context("key", &key)
        })?;
        if sha256_hex(&bytes) != attachment.sha256 {
            return Err(Error::internal("an attachment's bytes do not match their checksum").with_context("key", &key));
        }
        Ok(Download { attachment, bytes })
    }

    /// Remove a file from its article (needs `article` / `write`): the record goes first (so no
    /// reader reaches the file any more), then the bytes.
    pub async fn remove_attachment(&self, who: &Principal, id: AttachmentId) -> Result<()> {
        let blobs = self.blobs()?;
        self.guard
            .retrying(|| async {
                self.guard.authorize(who, ops::ARTICLE_WRITE).await?;
                let mut tx = self.guard.begin().await?;
                let Some(attachment) = tx.get_attachment(who.portal_id, id).await? else {
                    return Err(Error::not_found("no such attachment"));
                };
                tx.delete_attachment(who.portal_id, id).await?;
                let event = AuditEvent::new(who, self.guard.now(), "kb.attachment_removed", AuditOutcome::Success)
                    .target(attachment.article_id)
                    .detail("attachment", id);
                tx.append_audit(&event).await?;
                tx.commit().await
            })
            .await?;
        self.drop_blob(blobs, &BlobKey::attachment(who.portal_id, id)).await;
        Ok(())
    }

    async fn attachment_record(&self, who: &Principal, id: AttachmentId) -> Result<Attachment> {
        let found = self.guard.once(move |tx| tx.get_attachment(who.portal_id, id)).await?;
        found.ok_or_else(|| Error::not_found("no such attachment"))
    }

    /// Remove bytes no record points to; a failure leaves an unreachable blob, logged.
    async fn drop_blob(&self, blobs: &Arc<dyn BlobStore>, key: &BlobKey) {
        if let Err(e) = blobs.delete(key).await {
            tracing::warn!(key = %key, error = %e, "an unreferenced blob could not be removed");
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
