//! The knowledge base: a category tree per portal, articles and FAQ entries (ja / en, linked
//! translations), Markdown bodies rendered to sanitized HTML, draft → published → archived with
//! scheduled publishing, a revision for every change with restore, review dates — and one
//! [`ReadScope`] deciding what a principal may read on every read surface.
//!
//! Editing needs `article` / `write` (agents in the shipped policy), the category tree
//! `category` / `manage` (admins); reading needs `article:<label>` / `read` for the article's
//! label and every category above it. Files attached to an article are read with it and
//! written by its editors; their bytes live in a [`BlobStore`]. Every change is written with its revision, its audit
//! event and its change-feed entry (what the search index follows) in one transaction.

mod analytics;
mod articles;
mod attachments;
mod categories;
mod feedback;
mod forms;
mod render;
mod scope;
mod search;
mod uploads;

pub use analytics::normalize_query;
pub use articles::ArticlePage;
pub use feedback::{FeedbackLimits, MAX_COMMENT_CHARS};
pub use forms::{ArticleForm, ArticleQuery, CategoryForm};
pub use render::{escape_html, escape_html_into, render_markdown};
pub use scope::ReadScope;
pub use search::article_key;
pub use uploads::{content_disposition, sanitize_file_name, AttachmentLimits, Download};

use std::sync::Arc;

use crate::error::Result;
use crate::model::{ArticleId, AuditEvent, KbEntity, Principal};
use crate::ports::{ops, Authorizer, BlobStore, Clock, SearchIndex, Storage, Transaction};
use crate::services::guard::Guard;
use std::future::Future;
use std::pin::Pin;

/// The ports the knowledge service works through.
#[derive(Clone)]
pub struct KnowledgePorts {
    /// Where everything is stored.
    pub storage: Arc<dyn Storage>,
    /// Who may do what.
    pub authorizer: Arc<dyn Authorizer>,
    /// Time (scheduled publishing, review dates).
    pub clock: Arc<dyn Clock>,
    /// The full-text index, if the portal searches (without one, search is `Unsupported`).
    pub search: Option<Arc<dyn SearchIndex>>,
    /// Where attachments' bytes go (without one, attachments are `Unsupported`).
    pub blobs: Option<Arc<dyn BlobStore>>,
}

/// Categories and articles of every portal. Cheap to clone.
#[derive(Clone)]
pub struct KnowledgeService {
    guard: Guard,
    search: Option<Arc<dyn SearchIndex>>,
    /// One index catch-up at a time, so positions only move forward.
    index_turn: Arc<tokio::sync::Mutex<()>>,
    blobs: Option<Arc<dyn BlobStore>>,
    attachment_limits: AttachmentLimits,
    feedback_limits: FeedbackLimits,
}

impl KnowledgeService {
    /// Assemble the service; `transaction_attempts` as in the access settings (at least 1).
    pub fn new(ports: KnowledgePorts, transaction_attempts: u32) -> Self {
        KnowledgeService {
            guard: Guard {
                storage: ports.storage,
                authorizer: ports.authorizer,
                clock: ports.clock,
                attempts: transaction_attempts.max(1),
            },
            search: ports.search,
            index_turn: Arc::new(tokio::sync::Mutex::new(())),
            blobs: ports.blobs,
            attachment_limits: AttachmentLimits::default(),
            feedback_limits: FeedbackLimits::default(),
        }
    }

    /// The same service with other caps on attachments (F1).
    pub fn with_attachment_limits(mut self, limits: AttachmentLimits) -> Self {
        self.attachment_limits = limits;
        self
    }

    /// The same service with other caps on visitors' "was this helpful?" answers (R5).
    pub fn with_feedback_limits(mut self, limits: FeedbackLimits) -> Self {
        self.feedback_limits = limits;
        self
    }

    /// What `who` may read of its portal's knowledge base right now. An authorizer error
    /// counts as "nothing" (deny).
    pub async fn read_scope(&self, who: &Principal) -> Result<ReadScope> {
        Ok(self.scope_and_categories(who).await?.0)
    }

    /// The principal's scope, and every category of its portal (the scope is decided from them).
    async fn scope_and_categories(&self, who: &Principal) -> Result<(ReadScope, Vec<crate::model::Category>)> {
        let labels = match self.guard.authorizer.readable_labels(who, "article", "read").await {
            Ok(labels) => labels,
            Err(e) => {
                tracing::warn!(portal = %who.portal_id, error = %e, "authorizer failed; reading nothing");
                Vec::new()
            }
        };
        let editor = self.guard.allows(who, ops::ARTICLE_WRITE).await;
        let categories = self.guard.once(move |tx| tx.list_categories(who.portal_id)).await?;
        Ok((ReadScope::new(who.portal_id, self.guard.now(), labels, editor, &categories), categories))
    }

    /// For editors (`article` / `write`): `read` in a transaction, on an article of `who`'s
    /// portal that exists (else `NotFound`).
    async fn editor_read<T, F>(&self, who: &Principal, id: ArticleId, read: F) -> Result<T>
    where
        F: for<'t> Fn(&'t mut dyn Transaction) -> Pin<Box<dyn Future<Output = Result<T>> + Send + 't>> + Send + Sync,
    {
        self.guard
            .retrying(|| async {
                self.guard.authorize(who, ops::ARTICLE_WRITE).await?;
                let mut tx = self.guard.begin().await?;
                if tx.get_article(who.portal_id, id).await?.is_none() {
                    return Err(crate::error::Error::not_found("no such article"));
                }
                let out = read(tx.as_mut()).await?;
                tx.commit().await?;
                Ok(out)
            })
            .await
    }

    /// Write `event` and a change-feed entry for `entity`, then commit `tx`.
    async fn finish(
        &self,
        mut tx: Box<dyn Transaction>,
        who: &Principal,
        event: AuditEvent,
        entity: KbEntity,
    ) -> Result<()> {
        tx.append_audit(&event).await?;
        tx.append_kb_change(who.portal_id, entity).await?;
        tx.commit().await?;
        self.after_change().await;
        Ok(())
    }
}
