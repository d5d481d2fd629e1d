//! The knowledge-base storage port: categories, articles, their revisions, and the change feed
//! the search indexer follows. Part of every [`super::Transaction`], so an article, its revision,
//! its audit event and its change-feed entry are committed together.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{Article, ArticleId, ArticleRevision, Category, CategoryId, KbChange, KbEntity, PortalId};

/// Categories, articles, revisions and the knowledge-base change feed.
#[async_trait]
pub trait KnowledgeStore: Send {
    /// # Behavior
    /// - a category inserted can be read back unchanged by `get_category` and is listed.
    /// - a second category with the same slug in the portal fails with `AlreadyExists`.
    async fn insert_category(&mut self, category: &Category) -> Result<()>;

    /// # Behavior
    /// - an unknown id, or another portal's category, returns `Ok(None)`.
    async fn get_category(&mut self, portal: PortalId, id: CategoryId) -> Result<Option<Category>>;

    /// Write if the stored version equals `category.version`; returns the new version.
    ///
    /// # Behavior
    /// - a stale `version` fails with `Conflict`; nothing is written.
    /// - an unknown category fails with `NotFound`.
    /// - a slug another category of the portal has fails with `AlreadyExists`.
    async fn update_category(&mut self, category: &Category) -> Result<u64>;

    /// Every category of the portal, by `position` then name.
    ///
    /// # Behavior
    /// - lists only this portal's categories, ordered by position, then name.
    async fn list_categories(&mut self, portal: PortalId) -> Result<Vec<Category>>;

    /// # Behavior
    /// - an article inserted can be read back unchanged by `get_article` and is listed.
    /// - a second article with the same id fails with `AlreadyExists`.
    async fn insert_article(&mut self, article: &Article) -> Result<()>;

    /// # Behavior
    /// - an unknown id, or another portal's article, returns `Ok(None)`.
    async fn get_article(&mut self, portal: PortalId, id: ArticleId) -> Result<Option<Article>>;

    /// Write if the stored version equals `article.version`; returns the new version.
    ///
    /// # Behavior
    /// - a stale `version` fails with `Conflict`; nothing is written.
    /// - an unknown article fails with `NotFound`.
    async fn update_article(&mut self, article: &Article) -> Result<u64>;

    /// The portal's articles in id order (oldest first), after `after`, at most `limit`.
    ///
    /// # Behavior
    /// - returns at most `limit` articles, ascending by id, all with `id > after`, only this
    ///   portal's.
    async fn list_articles(&mut self, portal: PortalId, after: Option<ArticleId>, limit: u32) -> Result<Vec<Article>>;

    /// # Behavior
    /// - a revision inserted is listed by `list_article_revisions`, unchanged.
    /// - a second revision of the same article and version fails with `AlreadyExists`.
    async fn insert_article_revision(&mut self, revision: &ArticleRevision) -> Result<()>;

    /// An article's revisions, oldest first.
    ///
    /// # Behavior
    /// - lists the article's revisions by ascending version; another portal's article has none.
    async fn list_article_revisions(&mut self, portal: PortalId, article: ArticleId) -> Result<Vec<ArticleRevision>>;

    /// Append to the change feed; returns the entry's position.
    ///
    /// # Behavior
    /// - positions grow by one with every committed entry, in commit order (concurrent writers
    ///   are serialized), and a rolled-back entry leaves no gap.
    async fn append_kb_change(&mut self, portal: PortalId, entity: KbEntity) -> Result<u64>;

    /// The position of the last committed change-feed entry (0 when there is none).
    ///
    /// # Behavior
    /// - equals the `seq` of the last entry `list_kb_changes` returns, or 0 for an empty feed.
    async fn last_kb_change(&mut self) -> Result<u64>;

    /// Change-feed entries of every portal after position `after`, ascending, at most `limit`.
    ///
    /// # Behavior
    /// - returns the committed entries with `seq > after`, ascending, at most `limit`.
    async fn list_kb_changes(&mut self, after: u64, limit: u32) -> Result<Vec<KbChange>>;
}

/// Recorded searches (search analytics).
#[async_trait]
pub trait SearchLog: Send {
    /// # Behavior
    /// - a recorded search is counted by `search_report`.
    async fn record_search(&mut self, event: &crate::model::SearchEvent) -> Result<()>;

    /// Note that a result was opened from the search `id`; only the first click counts.
    /// Returns whether the search exists in the portal.
    ///
    /// # Behavior
    /// - the first click sets `clicked`; later ones keep it; an unknown id, or another portal's,
    ///   returns `Ok(false)` and changes nothing.
    async fn record_click(&mut self, portal: PortalId, id: crate::model::SearchEventId, key: &str) -> Result<bool>;

    /// Per query searched at or after `since`: searches, zero-result searches and clicks; most
    /// searched first (then by query), at most `limit`.
    ///
    /// # Behavior
    /// - counts only this portal's searches since `since`, grouped by query, ordered by
    ///   searches descending then query.
    async fn search_report(
        &mut self,
        portal: PortalId,
        since: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<crate::model::QueryStats>>;
}

/// How articles are used: views and "was this helpful?" answers.
#[async_trait]
pub trait ArticleFeedbackStore: Send {
    /// Count one view of the article.
    ///
    /// # Behavior
    /// - each call adds one to the article's `views`; other articles and portals are untouched.
    async fn record_article_view(&mut self, portal: PortalId, article: ArticleId) -> Result<()>;

    /// Store an answer. A member's answer replaces their earlier one on the same article; an
    /// anonymous answer is always added.
    ///
    /// # Behavior
    /// - a member answering twice is counted once, as the later answer; anonymous answers all
    ///   count; answers are listed newest first.
    async fn put_article_feedback(&mut self, feedback: &crate::model::ArticleFeedback) -> Result<()>;

    /// # Behavior
    /// - an article without views or answers has all-zero stats; another portal's article too.
    async fn article_stats(&mut self, portal: PortalId, article: ArticleId) -> Result<crate::model::ArticleStats>;

    /// How many anonymous answers were given at or after `since` on the article, or with
    /// `article` `None` in the whole portal (for the anonymous feedback limits).
    ///
    /// # Behavior
    /// - counts only answers without a user, given at or after `since`, in this portal (and
    ///   on this article when one is named); members' answers are never counted.
    async fn count_anonymous_feedback(
        &mut self,
        portal: PortalId,
        article: Option<ArticleId>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64>;

    /// The article's answers, newest first, at most `limit`.
    ///
    /// # Behavior
    /// - lists only this article's answers in this portal, newest first.
    async fn list_article_feedback(
        &mut self,
        portal: PortalId,
        article: ArticleId,
        limit: u32,
    ) -> Result<Vec<crate::model::ArticleFeedback>>;
}

/// What the portal knows of files attached to articles (the bytes are in a
/// [`super::BlobStore`]).
#[async_trait]
pub trait AttachmentStore: Send {
    /// # Behavior
    /// - an attachment inserted is read back unchanged by `get_attachment` and listed with its
    ///   article's; a second one with the same id fails with `AlreadyExists`.
    async fn insert_attachment(&mut self, attachment: &crate::model::Attachment) -> Result<()>;

    /// # Behavior
    /// - an unknown id, or another portal's attachment, returns `Ok(None)`.
    async fn get_attachment(
        &mut self,
        portal: PortalId,
        id: crate::model::AttachmentId,
    ) -> Result<Option<crate::model::Attachment>>;

    /// An article's attachments, oldest first.
    ///
    /// # Behavior
    /// - lists only this article's attachments in this portal, by ascending id.
    async fn list_attachments(&mut self, portal: PortalId, article: ArticleId)
        -> Result<Vec<crate::model::Attachment>>;

    /// Remove an attachment's record; returns whether there was one.
    ///
    /// # Behavior
    /// - removes only that attachment (`true`); an unknown id or another portal's returns
    ///   `false` and removes nothing.
    async fn delete_attachment(&mut self, portal: PortalId, id: crate::model::AttachmentId) -> Result<bool>;

    /// How many files, and bytes, the portal's attachments hold.
    ///
    /// # Behavior
    /// - sums only this portal's attachments; a portal without any has zero usage.
    async fn attachment_usage(&mut self, portal: PortalId) -> Result<crate::model::AttachmentUsage>;
}
