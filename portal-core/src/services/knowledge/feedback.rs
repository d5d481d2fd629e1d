//! How articles are used: views and "was this helpful?" answers from readers, read back by
//! editors.

use super::KnowledgeService;
use crate::error::{Error, Result};
use crate::model::{ArticleFeedback, ArticleId, ArticleStats, Principal};

/// Longest feedback comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

impl KnowledgeService {
    /// Count a view of an article `who` may read (else `NotFound`). The host calls it when it
    /// shows the article's page.
    pub async fn record_view(&self, who: &Principal, id: ArticleId) -> Result<()> {
        self.article(who, id).await?;
        self.guard
            .retrying(|| async {
                let mut tx = self.guard.begin().await?;
                tx.record_article_view(who.portal_id, id).await?;
                tx.commit().await
            })
            .await
    }

    /// `who`'s answer to "was this helpful?" on an article it may read (else `NotFound`), with
    /// an optional comment (at most 2,000 characters). A member's later answer replaces the
    /// earlier one.
    pub async fn give_feedback(&self, who: &Principal, id: ArticleId, helpful: bool, comment: &str) -> Result<()> {
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT_CHARS
            || comment.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(Error::invalid_input("a comment is at most 2,000 characters, without control characters"));
        }
        self.article(who, id).await?;
        let answer = ArticleFeedback {
            portal_id: who.portal_id,
            article_id: id,
            user_id: who.user_id,
            helpful,
            comment: comment.to_owned(),
            at: self.guard.now(),
        };
        self.guard
            .retrying(|| async {
                let mut tx = self.guard.begin().await?;
                tx.put_article_feedback(&answer).await?;
                tx.commit().await
            })
            .await
    }

    /// Views and answers of an article (needs `article` / `write`).
    pub async fn article_stats(&self, who: &Principal, id: ArticleId) -> Result<ArticleStats> {
        let portal = who.portal_id;
        self.editor_read(who, id, move |tx| tx.article_stats(portal, id)).await
    }

    /// The latest answers on an article, newest first (needs `article` / `write`).
    pub async fn article_feedback(&self, who: &Principal, id: ArticleId, limit: u32) -> Result<Vec<ArticleFeedback>> {
        let (portal, limit) = (who.portal_id, limit.clamp(1, 500));
        self.editor_read(who, id, move |tx| tx.list_article_feedback(portal, id, limit)).await
    }
}
