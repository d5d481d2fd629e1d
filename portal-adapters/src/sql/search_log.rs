//! Search analytics on SQL: `search_events`, aggregated per query by the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use portal_core::model::{PortalId, QueryStats, SearchEvent, SearchEventId};
use portal_core::ports::SearchLog;
use portal_core::Result;
use sqlx::any::AnyRow;

use super::rows::{count, get, ts};
use super::tx::SqlTx;

fn stats(row: &AnyRow) -> Result<QueryStats> {
    Ok(QueryStats {
        query: get(row, "query")?,
        searches: count(row, "searches")?,
        zero_results: count(row, "zero_results")?,
        clicks: count(row, "clicks")?,
    })
}

#[async_trait]
impl SearchLog for SqlTx {
    async fn record_search(&mut self, e: &SearchEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO search_events (portal_id, id, at, query, locale, searcher, hits, clicked)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.portal_id.to_string())
        .bind(e.id.to_string())
        .bind(ts(e.at))
        .bind(e.query.clone())
        .bind(e.locale.map(|l| l.as_str()))
        .bind(e.searcher.as_str())
        .bind(i64::from(e.hits))
        .bind(e.clicked.clone());
        self.exec(q).await.map(|_| ())
    }

    async fn record_click(&mut self, portal: PortalId, id: SearchEventId, key: &str) -> Result<bool> {
        let q =
            sqlx::query("UPDATE search_events SET clicked = COALESCE(clicked, $1) WHERE portal_id = $2 AND id = $3")
                .bind(key.to_owned())
                .bind(portal.to_string())
                .bind(id.to_string());
        Ok(self.exec(q).await? == 1)
    }

    async fn search_report(&mut self, portal: PortalId, since: DateTime<Utc>, limit: u32) -> Result<Vec<QueryStats>> {
        let q = sqlx::query(
            "SELECT query, COUNT(*) AS searches,
                    SUM(CASE WHEN hits = 0 THEN 1 ELSE 0 END) AS zero_results,
                    SUM(CASE WHEN clicked IS NULL THEN 0 ELSE 1 END) AS clicks
             FROM search_events WHERE portal_id = $1 AND at >= $2
             GROUP BY query ORDER BY searches DESC, query LIMIT $3",
        )
        .bind(portal.to_string())
        .bind(ts(since))
        .bind(i64::from(limit));
        self.all(q, stats).await
    }
}
