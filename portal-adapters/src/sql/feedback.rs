//! Article views and "was this helpful?" answers on SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use portal_core::model::{ArticleFeedback, ArticleId, ArticleStats, PortalId};
use portal_core::ports::ArticleFeedbackStore;
use portal_core::Result;
use sqlx::any::AnyRow;

use super::rows::{count, dt, flag, get, id, ts};
use super::tx::SqlTx;

fn feedback(row: &AnyRow) -> Result<ArticleFeedback> {
    Ok(ArticleFeedback {
        portal_id: id(row, "portal_id")?,
        article_id: id(row, "article_id")?,
        user_id: get::<Option<String>>(row, "user_id")?.map(|u| u.parse()).transpose()?,
        helpful: flag(row, "helpful")?,
        comment: get(row, "comment")?,
        at: dt(get(row, "at")?)?,
    })
}

#[async_trait]
impl ArticleFeedbackStore for SqlTx {
    async fn record_article_view(&mut self, portal: PortalId, article: ArticleId) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO kb_article_views (portal_id, article_id, views) VALUES ($1, $2, 1)
             ON CONFLICT (portal_id, article_id) DO UPDATE SET views = kb_article_views.views + 1",
        )
        .bind(portal.to_string())
        .bind(article.to_string());
        self.exec(q).await.map(|_| ())
    }

    async fn put_article_feedback(&mut self, f: &ArticleFeedback) -> Result<()> {
        if let Some(user) = f.user_id {
            let q = sqlx::query("DELETE FROM kb_feedback WHERE portal_id = $1 AND article_id = $2 AND user_id = $3")
                .bind(f.portal_id.to_string())
                .bind(f.article_id.to_string())
                .bind(user.to_string());
            self.exec(q).await?;
        }
        let q = sqlx::query(
            "INSERT INTO kb_feedback (portal_id, article_id, user_id, helpful, comment, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(f.portal_id.to_string())
        .bind(f.article_id.to_string())
        .bind(f.user_id.map(|u| u.to_string()))
        .bind(f.helpful)
        .bind(f.comment.clone())
        .bind(ts(f.at));
        self.exec(q).await.map(|_| ())
    }

    async fn article_stats(&mut self, portal: PortalId, article: ArticleId) -> Result<ArticleStats> {
        let q = sqlx::query(
            "SELECT (SELECT views FROM kb_article_views WHERE portal_id = $1 AND article_id = $2) AS views,
                    (SELECT SUM(CASE WHEN helpful THEN 1 ELSE 0 END) FROM kb_feedback
                      WHERE portal_id = $1 AND article_id = $2) AS helpful,
                    (SELECT SUM(CASE WHEN helpful THEN 0 ELSE 1 END) FROM kb_feedback
                      WHERE portal_id = $1 AND article_id = $2) AS not_helpful",
        )
        .bind(portal.to_string())
        .bind(article.to_string());
        let stats = self.one(q, |row| {
            Ok(ArticleStats {
                views: count(row, "views")?,
                helpful: count(row, "helpful")?,
                not_helpful: count(row, "not_helpful")?,
            })
        });
        Ok(stats.await?.unwrap_or_default())
    }

    async fn count_anonymous_feedback(
        &mut self,
        portal: PortalId,
        article: Option<ArticleId>,
        since: DateTime<Utc>,
    ) -> Result<u64> {
        // Both read one of the partial indexes of migration 0007.
        let q = match article {
            Some(a) => sqlx::query(
                "SELECT COUNT(*) AS n FROM kb_feedback
                 WHERE portal_id = $1 AND article_id = $2 AND user_id IS NULL AND at >= $3",
            )
            .bind(portal.to_string())
            .bind(a.to_string())
            .bind(ts(since)),
            None => sqlx::query(
                "SELECT COUNT(*) AS n FROM kb_feedback WHERE portal_id = $1 AND user_id IS NULL AND at >= $2",
            )
            .bind(portal.to_string())
            .bind(ts(since)),
        };
        Ok(self.one(q, |row| count(row, "n")).await?.unwrap_or(0))
    }

    async fn list_article_feedback(
        &mut self,
        portal: PortalId,
        article: ArticleId,
        limit: u32,
    ) -> Result<Vec<ArticleFeedback>> {
        let q =
            sqlx::query("SELECT * FROM kb_feedback WHERE portal_id = $1 AND article_id = $2 ORDER BY id DESC LIMIT $3")
                .bind(portal.to_string())
                .bind(article.to_string())
                .bind(i64::from(limit));
        self.all(q, feedback).await
    }
}
