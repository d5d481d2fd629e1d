//! How articles are used: views and "was this helpful?" answers from readers, read back by
//! editors.

use chrono::Duration;

use super::KnowledgeService;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ArticleFeedback, ArticleId, ArticleStats, Principal};

/// Longest feedback comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Caps on anonymous "was this helpful?" answers (R5, per target). A visitor without an
/// account can answer again and again, and each answer is kept: without a cap, a script could
/// fill the store and sway an article's stats. So the answers visitors may give within an hour
/// are capped per article and per portal; an answer past a cap is `RateLimited` and nothing is
/// stored. Members are not capped: a member's later answer replaces the earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedbackLimits {
    /// Most anonymous answers on one article within an hour (default 30; 0: visitors cannot
    /// answer).
    pub anonymous_per_article_per_hour: u32,
    /// Most anonymous answers in one portal within an hour (default 300).
    pub anonymous_per_portal_per_hour: u32,
}

impl Default for FeedbackLimits {
    fn default() -> Self {
        FeedbackLimits { anonymous_per_article_per_hour: 30, anonymous_per_portal_per_hour: 300 }
    }
}

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
    /// earlier one; a visitor's answer past the [`FeedbackLimits`] is `RateLimited`.
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
        let limits = self.feedback_limits;
        self.guard
            .retrying(|| async {
                let mut tx = self.guard.begin().await?;
                // Counted in the answer's own (serializable) transaction: visitors answering
                // at once cannot together pass a cap.
                if answer.user_id.is_none() {
                    let since = answer.at - Duration::hours(1);
                    let caps = [
                        (Some(id), limits.anonymous_per_article_per_hour, "this article"),
                        (None, limits.anonymous_per_portal_per_hour, "this portal"),
                    ];
                    for (article, cap, target) in caps {
                        if tx.count_anonymous_feedback(answer.portal_id, article, since).await? >= u64::from(cap) {
                            return Err(Error::new(
                                ErrorKind::RateLimited,
                                "too many answers from visitors; sign in or try again later",
                            )
                            .with_context("target", target));
                        }
                    }
                }
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
