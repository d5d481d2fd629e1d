//! Files attached to knowledge-base articles. The bytes live in a [`crate::ports::BlobStore`]
//! under a name the portal generates; this is what the portal knows about them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ArticleId, AttachmentId, PortalId, UserId};

/// A file attached to an article, readable by whoever may read the article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Its id (also its name in the blob store, with the portal's).
    pub id: AttachmentId,
    /// The portal.
    pub portal_id: PortalId,
    /// The article it belongs to; every download re-checks that the reader may read it.
    pub article_id: ArticleId,
    /// The name shown and offered on download: the uploaded name without any path, control
    /// characters or leading dots, at most 200 characters.
    pub file_name: String,
    /// The media type, decided by the portal from the extension and checked against the content.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex (checked on every download).
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How much a portal stores in attachments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentUsage {
    /// Number of files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}
