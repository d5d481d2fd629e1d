//! The knowledge-base port on the memory store.

use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};

use super::{already_exists, MemoryTx};
use crate::error::{Error, Result};
use crate::model::{
    Article, ArticleFeedback, ArticleId, ArticleRevision, ArticleStats, Attachment, AttachmentId, AttachmentUsage,
    Category, CategoryId, KbChange, KbEntity, PortalId, QueryStats, SearchEvent, SearchEventId,
};
use crate::ports::{ArticleFeedbackStore, AttachmentStore, KnowledgeStore, SearchLog};

#[derive(Default)]
pub(super) struct KbState {
    categories: HashMap<(PortalId, CategoryId), Category>,
    category_slugs: HashMap<(PortalId, String), CategoryId>,
    articles: BTreeMap<(PortalId, ArticleId), Article>,
    revisions: BTreeMap<(PortalId, ArticleId, u64), ArticleRevision>,
    /// The feed; the next position is one past the last, so a rolled-back entry leaves no gap.
    changes: BTreeMap<u64, KbChange>,
    searches: BTreeMap<(PortalId, SearchEventId), SearchEvent>,
    views: HashMap<(PortalId, ArticleId), u64>,
    /// Answers by article and a running number (so the newest is last).
    feedback: BTreeMap<(PortalId, ArticleId, u64), ArticleFeedback>,
    attachments: BTreeMap<(PortalId, AttachmentId), Attachment>,
}

#[async_trait]
impl KnowledgeStore for MemoryTx {
    async fn insert_category(&mut self, category: &Category) -> Result<()> {
        let slug_key = (category.portal_id, category.slug.clone());
        let taken = {
            let s = self.state();
            s.kb.categories.contains_key(&(category.portal_id, category.id))
                || s.kb.category_slugs.contains_key(&slug_key)
        };
        if taken {
            return Err(already_exists("a category with this id or slug exists in this portal"));
        }
        self.write(|s| &mut s.kb.category_slugs, slug_key, Some(category.id));
        self.write(|s| &mut s.kb.categories, (category.portal_id, category.id), Some(category.clone()));
        Ok(())
    }

    async fn get_category(&mut self, portal: PortalId, id: CategoryId) -> Result<Option<Category>> {
        Ok(self.state().kb.categories.get(&(portal, id)).cloned())
    }

    async fn update_category(&mut self, category: &Category) -> Result<u64> {
        let key = (category.portal_id, category.id);
        let stored =
            self.state().kb.categories.get(&key).cloned().ok_or_else(|| Error::not_found("no such category"))?;
        if stored.version != category.version {
            return Err(Error::conflict("the category was changed by someone else"));
        }
        if stored.slug != category.slug {
            let new_key = (category.portal_id, category.slug.clone());
            if self.state().kb.category_slugs.contains_key(&new_key) {
                return Err(already_exists("a category with this slug exists in this portal"));
            }
            self.write(|s| &mut s.kb.category_slugs, (category.portal_id, stored.slug), None);
            self.write(|s| &mut s.kb.category_slugs, new_key, Some(category.id));
        }
        let next = Category { version: category.version + 1, ..category.clone() };
        let version = next.version;
        self.write(|s| &mut s.kb.categories, key, Some(next));
        Ok(version)
    }

    async fn list_categories(&mut self, portal: PortalId) -> Result<Vec<Category>> {
        let mut list: Vec<Category> =
            self.state().kb.categories.values().filter(|c| c.portal_id == portal).cloned().collect();
        list.sort_by(|a, b| (a.position, &a.name, a.id).cmp(&(b.position, &b.name, b.id)));
        Ok(list)
    }

    async fn insert_article(&mut self, article: &Article) -> Result<()> {
        let key = (article.portal_id, article.id);
        if self.state().kb.articles.contains_key(&key) {
            return Err(already_exists("an article with this id exists"));
        }
        self.write(|s| &mut s.kb.articles, key, Some(article.clone()));
        Ok(())
    }

    async fn get_article(&mut self, portal: PortalId, id: ArticleId) -> Result<Option<Article>> {
        Ok(self.state().kb.articles.get(&(portal, id)).cloned())
    }

    async fn update_article(&mut self, article: &Article) -> Result<u64> {
        let key = (article.portal_id, article.id);
        let stored_version =
            self.state().kb.articles.get(&key).map(|a| a.version).ok_or_else(|| Error::not_found("no such article"))?;
        if stored_version != article.version {
            return Err(Error::conflict("the article was changed by someone else"));
        }
        let next = Article { version: article.version + 1, ..article.clone() };
        let version = next.version;
        self.write(|s| &mut s.kb.articles, key, Some(next));
        Ok(version)
    }

    async fn list_articles(&mut self, portal: PortalId, after: Option<ArticleId>, limit: u32) -> Result<Vec<Article>> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let s = self.state();
        let from = match after {
            Some(a) => Excluded((portal, a)),
            None => Included((portal, ArticleId::from_uuid(uuid::Uuid::nil()))),
        };
        Ok(s.kb
            .articles
            .range((from, Unbounded))
            .take_while(|((p, _), _)| *p == portal)
            .take(limit as usize)
            .map(|(_, a)| a.clone())
            .collect())
    }

    async fn insert_article_revision(&mut self, revision: &ArticleRevision) -> Result<()> {
        let key = (revision.portal_id, revision.article_id, revision.version);
        if self.state().kb.revisions.contains_key(&key) {
            return Err(already_exists("this revision of the article exists"));
        }
        self.write(|s| &mut s.kb.revisions, key, Some(revision.clone()));
        Ok(())
    }

    async fn list_article_revisions(&mut self, portal: PortalId, article: ArticleId) -> Result<Vec<ArticleRevision>> {
        let s = self.state();
        Ok(s.kb.revisions.range((portal, article, 0)..=(portal, article, u64::MAX)).map(|(_, r)| r.clone()).collect())
    }

    async fn append_kb_change(&mut self, portal: PortalId, entity: KbEntity) -> Result<u64> {
        let seq = self.state().kb.changes.last_key_value().map_or(1, |(last, _)| last + 1);
        self.write(|s| &mut s.kb.changes, seq, Some(KbChange { seq, portal_id: portal, entity }));
        Ok(seq)
    }

    async fn last_kb_change(&mut self) -> Result<u64> {
        Ok(self.state().kb.changes.last_key_value().map_or(0, |(seq, _)| *seq))
    }

    async fn list_kb_changes(&mut self, after: u64, limit: u32) -> Result<Vec<KbChange>> {
        let s = self.state();
        Ok(s.kb.changes.range(after.saturating_add(1)..).take(limit as usize).map(|(_, c)| *c).collect())
    }
}

#[async_trait]
impl SearchLog for MemoryTx {
    async fn record_search(&mut self, event: &SearchEvent) -> Result<()> {
        let key = (event.portal_id, event.id);
        if self.state().kb.searches.contains_key(&key) {
            return Err(already_exists("this search is recorded"));
        }
        self.write(|s| &mut s.kb.searches, key, Some(event.clone()));
        Ok(())
    }

    async fn record_click(&mut self, portal: PortalId, id: SearchEventId, key: &str) -> Result<bool> {
        let Some(event) = self.state().kb.searches.get(&(portal, id)).cloned() else { return Ok(false) };
        if event.clicked.is_none() {
            let clicked = SearchEvent { clicked: Some(key.to_owned()), ..event };
            self.write(|s| &mut s.kb.searches, (portal, id), Some(clicked));
        }
        Ok(true)
    }

    async fn search_report(
        &mut self,
        portal: PortalId,
        since: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<QueryStats>> {
        let mut by_query: BTreeMap<String, QueryStats> = BTreeMap::new();
        for e in self.state().kb.searches.values().filter(|e| e.portal_id == portal && e.at >= since) {
            let stats = by_query.entry(e.query.clone()).or_insert_with(|| QueryStats {
                query: e.query.clone(),
                searches: 0,
                zero_results: 0,
                clicks: 0,
            });
            stats.searches += 1;
            stats.zero_results += u64::from(e.hits == 0);
            stats.clicks += u64::from(e.clicked.is_some());
        }
        let mut list: Vec<QueryStats> = by_query.into_values().collect();
        list.sort_by(|a, b| b.searches.cmp(&a.searches).then_with(|| a.query.cmp(&b.query)));
        list.truncate(limit as usize);
        Ok(list)
    }
}

#[async_trait]
impl ArticleFeedbackStore for MemoryTx {
    async fn record_article_view(&mut self, portal: PortalId, article: ArticleId) -> Result<()> {
        let views = self.state().kb.views.get(&(portal, article)).copied().unwrap_or(0);
        self.write(|s| &mut s.kb.views, (portal, article), Some(views + 1));
        Ok(())
    }

    async fn put_article_feedback(&mut self, feedback: &ArticleFeedback) -> Result<()> {
        let (portal, article) = (feedback.portal_id, feedback.article_id);
        let range = (portal, article, 0)..=(portal, article, u64::MAX);
        let (earlier, next) = {
            let s = self.state();
            let earlier = feedback
                .user_id
                .and_then(|u| s.kb.feedback.range(range.clone()).find(|(_, f)| f.user_id == Some(u)).map(|(k, _)| *k));
            let next = s.kb.feedback.range(range).next_back().map_or(0, |((_, _, n), _)| n + 1);
            (earlier, next)
        };
        if let Some(key) = earlier {
            self.write(|s| &mut s.kb.feedback, key, None::<ArticleFeedback>);
        }
        self.write(|s| &mut s.kb.feedback, (portal, article, next), Some(feedback.clone()));
        Ok(())
    }

    async fn article_stats(&mut self, portal: PortalId, article: ArticleId) -> Result<ArticleStats> {
        let s = self.state();
        let mut stats =
            ArticleStats { views: s.kb.views.get(&(portal, article)).copied().unwrap_or(0), ..ArticleStats::default() };
        for f in s.kb.feedback.range((portal, article, 0)..=(portal, article, u64::MAX)).map(|(_, f)| f) {
            if f.helpful {
                stats.helpful += 1;
            } else {
                stats.not_helpful += 1;
            }
        }
        Ok(stats)
    }

    async fn count_anonymous_feedback(
        &mut self,
        portal: PortalId,
        article: Option<ArticleId>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64> {
        let s = self.state();
        let anonymous = |f: &&ArticleFeedback| f.user_id.is_none() && f.at >= since;
        let n = match article {
            Some(a) => {
                s.kb.feedback.range((portal, a, 0)..=(portal, a, u64::MAX)).map(|(_, f)| f).filter(anonymous).count()
            }
            None => {
                s.kb.feedback.iter().filter(|((p, _, _), _)| *p == portal).map(|(_, f)| f).filter(anonymous).count()
            }
        };
        Ok(n as u64)
    }

    async fn list_article_feedback(
        &mut self,
        portal: PortalId,
        article: ArticleId,
        limit: u32,
    ) -> Result<Vec<ArticleFeedback>> {
        let s = self.state();
        Ok(s.kb
            .feedback
            .range((portal, article, 0)..=(portal, article, u64::MAX))
            .rev()
            .take(limit as usize)
            .map(|(_, f)| f.clone())
            .collect())
    }
}

#[async_trait]
impl AttachmentStore for MemoryTx {
    async fn insert_attachment(&mut self, attachment: &Attachment) -> Result<()> {
        let key = (attachment.portal_id, attachment.id);
        if self.state().kb.attachments.contains_key(&key) {
            return Err(already_exists("an attachment with this id exists"));
        }
        self.write(|s| &mut s.kb.attachments, key, Some(attachment.clone()));
        Ok(())
    }

    async fn get_attachment(&mut self, portal: PortalId, id: AttachmentId) -> Result<Option<Attachment>> {
        Ok(self.state().kb.attachments.get(&(portal, id)).cloned())
    }

    async fn list_attachments(&mut self, portal: PortalId, article: ArticleId) -> Result<Vec<Attachment>> {
        let s = self.state();
        let of_portal = s.kb.attachments.range(of_portal(portal));
        Ok(of_portal.map(|(_, a)| a).filter(|a| a.article_id == article).cloned().collect())
    }

    async fn delete_attachment(&mut self, portal: PortalId, id: AttachmentId) -> Result<bool> {
        if !self.state().kb.attachments.contains_key(&(portal, id)) {
            return Ok(false);
        }
        self.write(|s| &mut s.kb.attachments, (portal, id), None::<Attachment>);
        Ok(true)
    }

    async fn attachment_usage(&mut self, portal: PortalId) -> Result<AttachmentUsage> {
        let s = self.state();
        let of_portal = s.kb.attachments.range(of_portal(portal));
        Ok(of_portal.fold(AttachmentUsage::default(), |u, (_, a)| AttachmentUsage {
            files: u.files + 1,
            bytes: u.bytes + a.size,
        }))
    }
}

/// Every attachment key of `portal`.
fn of_portal(portal: PortalId) -> std::ops::RangeInclusive<(PortalId, AttachmentId)> {
    let (min, max) = (uuid::Uuid::nil(), uuid::Uuid::max());
    (portal, AttachmentId::from_uuid(min))..=(portal, AttachmentId::from_uuid(max))
}
