//! Search analytics: every search through [`KnowledgeService::search`] is recorded (the
//! normalized query, locale, kind of searcher, hits shown — never who), clicks are reported
//! against it, and editors read which questions find nothing or get no click: the knowledge
//! base's gaps.

use chrono::{DateTime, Utc};
use unicode_normalization::UnicodeNormalization;

use super::KnowledgeService;
use crate::error::{Error, Result};
use crate::model::{Locale, Principal, QueryStats, SearchEvent, SearchEventId, SearcherKind};
use crate::ports::ops;

/// Longest query kept, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// A query as analytics groups it: NFKC, lowercase, single spaces, at most 200 characters.
pub fn normalize_query(text: &str) -> String {
    let folded: String = text.nfkc().flat_map(char::to_lowercase).filter(|c| !c.is_control()).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_QUERY_CHARS).collect()
}

impl KnowledgeService {
    /// Record a search `who` just ran; a failure is logged, never the searcher's problem.
    pub(super) async fn record_search(
        &self,
        who: &Principal,
        editor: bool,
        text: &str,
        locale: Option<Locale>,
        hits: usize,
    ) -> Option<SearchEventId> {
        let query = normalize_query(text);
        if query.is_empty() {
            return None;
        }
        let searcher = match (editor, who.is_authenticated()) {
            (true, _) => SearcherKind::Staff,
            (false, true) => SearcherKind::Member,
            (false, false) => SearcherKind::Anonymous,
        };
        let event = SearchEvent {
            id: SearchEventId::new(),
            portal_id: who.portal_id,
            at: self.guard.now(),
            query,
            locale,
            searcher,
            hits: u32::try_from(hits).unwrap_or(u32::MAX),
            clicked: None,
        };
        let written = self
            .guard
            .retrying(|| async {
                let mut tx = self.guard.begin().await?;
                tx.record_search(&event).await?;
                tx.commit().await
            })
            .await;
        match written {
            Ok(()) => Some(event.id),
            Err(e) => {
                tracing::warn!(portal = %who.portal_id, error = %e, "search not recorded");
                None
            }
        }
    }

    /// Note that `who` opened the result `key` of the search `search`. An unknown search (or
    /// another portal's) is `NotFound`; a key that is not a result key is `InvalidInput`.
    pub async fn record_click(&self, who: &Principal, search: SearchEventId, key: &str) -> Result<()> {
        if key.len() > 100 || super::search::article_of_key(key).is_none() {
            return Err(Error::invalid_input("not a search result key"));
        }
        let found = self
            .guard
            .retrying(|| async {
                let mut tx = self.guard.begin().await?;
                let found = tx.record_click(who.portal_id, search, key).await?;
                tx.commit().await?;
                Ok(found)
            })
            .await?;
        if found {
            Ok(())
        } else {
            Err(Error::not_found("no such search"))
        }
    }

    /// How each query fared since `since`, most searched first (needs `kb_analytics` / `read`).
    pub async fn search_report(&self, who: &Principal, since: DateTime<Utc>, limit: u32) -> Result<Vec<QueryStats>> {
        self.guard
            .retrying(|| async {
                self.guard.authorize(who, ops::KB_ANALYTICS).await?;
                let mut tx = self.guard.begin().await?;
                let report = tx.search_report(who.portal_id, since, limit.clamp(1, 1000)).await?;
                tx.commit().await?;
                Ok(report)
            })
            .await
    }

    /// The knowledge base's gaps since `since`: queries that found nothing, or from which
    /// nothing was ever opened, most searched first (needs `kb_analytics` / `read`).
    pub async fn knowledge_gaps(&self, who: &Principal, since: DateTime<Utc>, limit: u32) -> Result<Vec<QueryStats>> {
        let mut report = self.search_report(who, since, 1000).await?;
        report.retain(|s| s.zero_results > 0 || s.clicks == 0);
        report.truncate(limit as usize);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_query;

    #[test]
    fn queries_are_grouped_in_one_spelling() {
        assert_eq!(normalize_query("  Reset   ＰＡＳＳＷＯＲＤ\t"), "reset password");
        assert_eq!(normalize_query("ﾊﾟｽﾜｰﾄﾞ"), "パスワード");
        assert_eq!(normalize_query(&"x".repeat(500)).len(), 200);
        assert_eq!(normalize_query(" \n "), "");
    }
}
