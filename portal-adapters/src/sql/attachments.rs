//! What the portal knows of article attachments, on SQL (the bytes are in a blob store).

use async_trait::async_trait;
use portal_core::model::{ArticleId, Attachment, AttachmentId, AttachmentUsage, PortalId};
use portal_core::ports::AttachmentStore;
use portal_core::{Error, Result};
use sqlx::any::AnyRow;

use super::rows::{count, dt, get, id, ts};
use super::tx::SqlTx;

fn attachment(row: &AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        article_id: id(row, "article_id")?,
        file_name: get(row, "file_name")?,
        content_type: get(row, "content_type")?,
        size: u64::try_from(get::<i64>(row, "size")?).map_err(|_| Error::internal("negative attachment size"))?,
        sha256: get(row, "sha256")?,
        uploaded_by: get::<Option<String>>(row, "uploaded_by")?.map(|u| u.parse()).transpose()?,
        created_at: dt(get(row, "created_at")?)?,
    })
}

#[async_trait]
impl AttachmentStore for SqlTx {
    async fn insert_attachment(&mut self, a: &Attachment) -> Result<()> {
        let size = i64::try_from(a.size).map_err(|_| Error::invalid_input("the file is too large"))?;
        let q = sqlx::query(
            "INSERT INTO kb_attachments
                (portal_id, id, article_id, file_name, content_type, size, sha256, uploaded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(a.portal_id.to_string())
        .bind(a.id.to_string())
        .bind(a.article_id.to_string())
        .bind(a.file_name.clone())
        .bind(a.content_type.clone())
        .bind(size)
        .bind(a.sha256.clone())
        .bind(a.uploaded_by.map(|u| u.to_string()))
        .bind(ts(a.created_at));
        self.exec(q).await.map(|_| ())
    }

    async fn get_attachment(&mut self, portal: PortalId, id: AttachmentId) -> Result<Option<Attachment>> {
        let q = sqlx::query("SELECT * FROM kb_attachments WHERE portal_id = $1 AND id = $2")
            .bind(portal.to_string())
            .bind(id.to_string());
        self.one(q, attachment).await
    }

    async fn list_attachments(&mut self, portal: PortalId, article: ArticleId) -> Result<Vec<Attachment>> {
        let q = sqlx::query("SELECT * FROM kb_attachments WHERE portal_id = $1 AND article_id = $2 ORDER BY id")
            .bind(portal.to_string())
            .bind(article.to_string());
        self.all(q, attachment).await
    }

    async fn delete_attachment(&mut self, portal: PortalId, id: AttachmentId) -> Result<bool> {
        let q = sqlx::query("DELETE FROM kb_attachments WHERE portal_id = $1 AND id = $2")
            .bind(portal.to_string())
            .bind(id.to_string());
        Ok(self.exec(q).await? > 0)
    }

    async fn attachment_usage(&mut self, portal: PortalId) -> Result<AttachmentUsage> {
        let q = sqlx::query(
            "SELECT COUNT(*) AS files, CAST(SUM(size) AS BIGINT) AS bytes FROM kb_attachments WHERE portal_id = $1",
        )
        .bind(portal.to_string());
        let usage = self.one(q, |row| Ok(AttachmentUsage { files: count(row, "files")?, bytes: count(row, "bytes")? }));
        Ok(usage.await?.unwrap_or_default())
    }
}
