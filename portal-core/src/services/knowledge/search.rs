//! Search over the knowledge base: the index follows the change feed, and every answer is cut
//! to the principal's [`ReadScope`] twice — by the index, as mandatory clauses (K1, K3, K4), and
//! after it, against storage, so an article whose label changed a moment ago is hidden even if
//! the index has not caught up yet (K2).

use std::collections::HashSet;

use super::{KnowledgeService, ReadScope};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Article, ArticleId, ArticleStatus, KbEntity, PortalId, Principal};
use crate::ports::{
    IndexChange, SearchDocument, SearchHit, SearchIndex, SearchRequest, SearchResults, SearchScope, Suggestion,
};

/// How many feed entries one index commit takes at most.
const BATCH: u32 = 1000;

/// The index key of an article.
pub fn article_key(id: ArticleId) -> String {
    format!("article:{id}")
}

pub(super) fn article_of_key(key: &str) -> Option<ArticleId> {
    key.strip_prefix("article:").and_then(|id| id.parse().ok())
}

/// What the index holds for `article`: a document while it is published, nothing otherwise.
fn index_change(portal: PortalId, id: ArticleId, article: Option<Article>) -> IndexChange {
    match article {
        Some(a) if a.status == ArticleStatus::Published => IndexChange::Upsert(SearchDocument {
            portal_id: a.portal_id,
            key: article_key(a.id),
            kind: a.kind.as_str().to_owned(),
            locale: a.locale,
            title: a.title,
            body: a.body,
            tags: a.tags,
            category_id: a.category_id,
            visibility: a.visibility,
            live_from: a.publish_at.or(a.published_at).unwrap_or(a.updated_at),
        }),
        _ => IndexChange::Delete { portal_id: portal, key: article_key(id) },
    }
}

impl ReadScope {
    /// The scope as the index applies it.
    pub fn search_scope(&self) -> SearchScope {
        SearchScope {
            portal_id: self.portal(),
            labels: if self.is_editor() { None } else { Some(self.labels().iter().cloned().collect()) },
            hidden_categories: self.hidden_categories().collect(),
            now: self.now(),
        }
    }
}

impl KnowledgeService {
    fn index(&self) -> Result<&dyn SearchIndex> {
        self.search
            .as_deref()
            .ok_or_else(|| Error::new(ErrorKind::Unsupported, "this portal has no search index configured"))
    }

    /// Bring the search index up to date with the change feed; returns the position it holds.
    /// Runs at start-up and after every change made through this service; safe to call any
    /// time (one catch-up runs at a time).
    pub async fn sync_index(&self) -> Result<u64> {
        self.sync_index_with(|_, _| {}).await
    }

    /// Empty the index and rebuild it from storage, calling `progress(done, total)` as it goes
    /// (feed entries applied, feed entries in all). The rebuilt index is compacted
    /// ([`SearchIndex::compact`]), as after any build from an empty index.
    pub async fn reindex(&self, progress: impl FnMut(u64, u64) + Send) -> Result<u64> {
        let _turn = self.index_turn.lock().await;
        self.index()?.clear().await?;
        drop(_turn);
        self.sync_index_with(progress).await
    }

    async fn sync_index_with(&self, mut progress: impl FnMut(u64, u64) + Send) -> Result<u64> {
        let index = self.index()?;
        let _turn = self.index_turn.lock().await;
        let mut position = index.position().await?;
        let end = self.guard.once(move |tx| tx.last_kb_change()).await?;
        if position > end {
            // The index is ahead of storage (a database restored from an older backup, or
            // another database): storage is the truth, so rebuild from it.
            tracing::warn!(index = position, storage = end, "search index ahead of storage; rebuilding it");
            index.clear().await?;
            position = 0;
        }
        let start = position;
        while position < end {
            let (changes, last) = self
                .guard
                .retrying(|| async {
                    let mut tx = self.guard.begin().await?;
                    let feed = tx.list_kb_changes(position, BATCH).await?;
                    let last = feed.last().map_or(position, |c| c.seq);
                    let mut changes = Vec::new();
                    let mut seen = HashSet::new();
                    for entry in &feed {
                        if let KbEntity::Article(id) = entry.entity {
                            if seen.insert((entry.portal_id, id)) {
                                let article = tx.get_article(entry.portal_id, id).await?;
                                changes.push(index_change(entry.portal_id, id, article));
                            }
                        }
                    }
                    tx.commit().await?;
                    Ok((changes, last))
                })
                .await?;
            if last == position {
                break;
            }
            index.apply(changes, last).await?;
            position = last;
            progress(position - start, end.max(position) - start);
        }
        if start == 0 && position > 0 {
            // A build from nothing is a bulk load: merge what it wrote. The index is complete
            // either way, so a failure here is only logged.
            if let Err(e) = index.compact().await {
                tracing::warn!(error = %e, "search index built but not compacted");
            }
        }
        Ok(position)
    }

    /// Bring the index up to date after a change; a failure is logged (the change itself is
    /// committed, and the next catch-up applies it).
    pub(super) async fn after_change(&self) {
        if self.search.is_some() {
            if let Err(e) = self.sync_index().await {
                tracing::warn!(error = %e, "search index catch-up failed; it will be retried");
            }
        }
    }

    /// Search the knowledge base as `who` (anonymous visitors included). Only what `who` may
    /// read is ever found, counted or suggested.
    /// The search is recorded for analytics (see [`KnowledgeService::knowledge_gaps`]); pass
    /// the returned `search_id` to [`KnowledgeService::record_click`] when a result is opened.
    pub async fn search(&self, who: &Principal, request: SearchRequest) -> Result<SearchResults> {
        self.search_as(who, request, true).await
    }

    async fn search_as(&self, who: &Principal, request: SearchRequest, record: bool) -> Result<SearchResults> {
        let scope = self.read_scope(who).await?;
        let mut results = self.index()?.search(&scope.search_scope(), &request).await?;
        let dropped = self.keep_visible(&scope, &mut results.hits).await?;
        if dropped > 0 {
            // The index is behind storage: catch up and ask again, so counts agree too.
            self.sync_index().await?;
            results = self.index()?.search(&scope.search_scope(), &request).await?;
            self.keep_visible(&scope, &mut results.hits).await?;
        }
        if record {
            results.search_id =
                self.record_search(who, scope.is_editor(), &request.text, request.locale, results.hits.len()).await;
        }
        Ok(results)
    }

    /// Title completions for what `who` is typing.
    pub async fn autocomplete(&self, who: &Principal, prefix: &str, limit: u32) -> Result<Vec<Suggestion>> {
        let scope = self.read_scope(who).await?;
        let mut found = self.index()?.autocomplete(&scope.search_scope(), prefix, limit).await?;
        self.keep_visible_by(&scope, &mut found, |s| &s.key, |s| &mut s.title).await?;
        Ok(found)
    }

    /// Articles like `article` that `who` may read (none when it may not read `article`).
    pub async fn related(&self, who: &Principal, article: ArticleId, limit: u32) -> Result<Vec<SearchHit>> {
        let scope = self.read_scope(who).await?;
        self.article(who, article).await?;
        let mut hits = self.index()?.related(&scope.search_scope(), &article_key(article), limit).await?;
        self.keep_visible(&scope, &mut hits).await?;
        Ok(hits)
    }

    /// Deflection: the articles most likely to answer a ticket being written (not recorded as
    /// a search: a ticket draft is not a query someone typed).
    pub async fn suggest_for_ticket(&self, who: &Principal, subject: &str, body: &str) -> Result<Vec<SearchHit>> {
        let body: String = body.chars().take(1000).collect();
        let request = SearchRequest { text: format!("{subject} {subject} {body}"), limit: 5, ..Default::default() };
        Ok(self.search_as(who, request, false).await?.hits)
    }

    /// Drop hits `who` may not read by storage's current word (K2); returns how many.
    async fn keep_visible(&self, scope: &ReadScope, hits: &mut Vec<SearchHit>) -> Result<usize> {
        self.keep_visible_by(scope, hits, |h| &h.key, |h| &mut h.title).await
    }

    /// Keep the items whose article `scope` lets its reader see, with the stored title.
    async fn keep_visible_by<T>(
        &self,
        scope: &ReadScope,
        items: &mut Vec<T>,
        key: fn(&T) -> &String,
        title: fn(&mut T) -> &mut String,
    ) -> Result<usize> {
        let ids: Vec<Option<ArticleId>> = items.iter().map(|i| article_of_key(key(i))).collect();
        let titles = self
            .guard
            .retrying(|| async {
                let mut tx = self.guard.begin().await?;
                let mut out = Vec::with_capacity(ids.len());
                for id in &ids {
                    let visible = match id {
                        Some(id) => tx.get_article(scope.portal(), *id).await?.filter(|a| scope.article_visible(a)),
                        None => None,
                    };
                    out.push(visible.map(|a| a.title));
                }
                tx.commit().await?;
                Ok(out)
            })
            .await?;
        let before = items.len();
        let kept: Vec<T> = items
            .drain(..)
            .zip(titles)
            .filter_map(|(mut item, stored)| {
                let stored = stored?;
                *title(&mut item) = stored;
                Some(item)
            })
            .collect();
        *items = kept;
        Ok(before - items.len())
    }
}
