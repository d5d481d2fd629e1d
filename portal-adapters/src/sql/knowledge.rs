//! The knowledge-base port on SQL: `kb_categories`, `kb_articles`, `kb_revisions`, and the change
//! feed (`kb_changes`, positions from the one-row `kb_change_counter`).

use async_trait::async_trait;
use portal_core::model::{
    Article, ArticleId, ArticleKind, ArticleRevision, ArticleStatus, Category, CategoryId, KbChange, KbEntity, Locale,
    PortalId, Visibility,
};
use portal_core::ports::KnowledgeStore;
use portal_core::{Error, Result};
use sqlx::any::AnyRow;

use super::map_err;
use super::rows::{dt, get, id, opt_dt, ts, version};
use super::tx::SqlTx;

fn tags_json(tags: &[String]) -> Result<String> {
    serde_json::to_string(tags).map_err(|e| Error::internal("tags do not serialize").with_source(e))
}

fn tags(row: &AnyRow) -> Result<Vec<String>> {
    serde_json::from_str(&get::<String>(row, "tags")?)
        .map_err(|e| Error::internal("stored tags are invalid").with_source(e))
}

fn opt_id<T: std::str::FromStr<Err = Error>>(row: &AnyRow, col: &str) -> Result<Option<T>> {
    get::<Option<String>>(row, col)?.map(|s| s.parse()).transpose()
}

fn visibility(row: &AnyRow) -> Result<Visibility> {
    Visibility::new(get::<String>(row, "visibility")?)
}

fn category(row: &AnyRow) -> Result<Category> {
    Ok(Category {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        parent_id: opt_id(row, "parent_id")?,
        name: get(row, "name")?,
        slug: get(row, "slug")?,
        visibility: visibility(row)?,
        position: i32::try_from(get::<i64>(row, "position")?).map_err(|_| Error::internal("position out of range"))?,
        created_at: dt(get(row, "created_at")?)?,
        updated_at: dt(get(row, "updated_at")?)?,
        version: version(row)?,
    })
}

fn article(row: &AnyRow) -> Result<Article> {
    Ok(Article {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        category_id: opt_id(row, "category_id")?,
        kind: ArticleKind::parse(&get::<String>(row, "kind")?)?,
        locale: Locale::parse(&get::<String>(row, "locale")?)?,
        translation_of: id(row, "translation_of")?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        body_html: get(row, "body_html")?,
        tags: tags(row)?,
        visibility: visibility(row)?,
        status: ArticleStatus::parse(&get::<String>(row, "status")?)?,
        publish_at: opt_dt(get(row, "publish_at")?)?,
        published_at: opt_dt(get(row, "published_at")?)?,
        author_id: opt_id(row, "author_id")?,
        created_at: dt(get(row, "created_at")?)?,
        updated_at: dt(get(row, "updated_at")?)?,
        last_reviewed_at: opt_dt(get(row, "last_reviewed_at")?)?,
        review_due_at: opt_dt(get(row, "review_due_at")?)?,
        version: version(row)?,
    })
}

fn revision(row: &AnyRow) -> Result<ArticleRevision> {
    Ok(ArticleRevision {
        portal_id: id(row, "portal_id")?,
        article_id: id(row, "article_id")?,
        version: version(row)?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        tags: tags(row)?,
        visibility: visibility(row)?,
        category_id: opt_id(row, "category_id")?,
        status: ArticleStatus::parse(&get::<String>(row, "status")?)?,
        edited_by: opt_id(row, "edited_by")?,
        edited_at: dt(get(row, "edited_at")?)?,
        note: get(row, "note")?,
    })
}

fn change(row: &AnyRow) -> Result<KbChange> {
    let entity_id: String = get(row, "entity_id")?;
    let entity = match get::<String>(row, "entity")?.as_str() {
        "article" => KbEntity::Article(entity_id.parse()?),
        "category" => KbEntity::Category(entity_id.parse()?),
        _ => return Err(Error::internal("unknown change-feed entity")),
    };
    let seq = u64::try_from(get::<i64>(row, "seq")?).map_err(|_| Error::internal("negative feed position"))?;
    Ok(KbChange { seq, portal_id: id(row, "portal_id")?, entity })
}

fn opt_str(v: Option<impl ToString>) -> Option<String> {
    v.map(|v| v.to_string())
}

/// The article columns after `portal_id, id`, in the order the statements below bind them.
const ARTICLE_FIELDS: &str = "category_id, kind, locale, translation_of, title, body, body_html, tags, visibility, \
     status, publish_at, published_at, author_id, created_at, updated_at, last_reviewed_at, review_due_at";

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Bind the [`ARTICLE_FIELDS`] of `a` to `q`, in order.
fn bind_article<'q>(q: Query<'q>, a: &Article) -> Result<Query<'q>> {
    Ok(q.bind(opt_str(a.category_id))
        .bind(a.kind.as_str())
        .bind(a.locale.as_str())
        .bind(a.translation_of.to_string())
        .bind(a.title.clone())
        .bind(a.body.clone())
        .bind(a.body_html.clone())
        .bind(tags_json(&a.tags)?)
        .bind(a.visibility.to_string())
        .bind(a.status.as_str())
        .bind(a.publish_at.map(ts))
        .bind(a.published_at.map(ts))
        .bind(opt_str(a.author_id))
        .bind(ts(a.created_at))
        .bind(ts(a.updated_at))
        .bind(a.last_reviewed_at.map(ts))
        .bind(a.review_due_at.map(ts)))
}

#[async_trait]
impl KnowledgeStore for SqlTx {
    async fn insert_category(&mut self, c: &Category) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO kb_categories (portal_id, id, parent_id, name, slug, visibility, position, created_at,
             updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.portal_id.to_string())
        .bind(c.id.to_string())
        .bind(opt_str(c.parent_id))
        .bind(c.name.clone())
        .bind(c.slug.clone())
        .bind(c.visibility.to_string())
        .bind(i64::from(c.position))
        .bind(ts(c.created_at))
        .bind(ts(c.updated_at))
        .bind(c.version as i64);
        self.exec(q).await.map(|_| ())
    }

    async fn get_category(&mut self, portal: PortalId, id: CategoryId) -> Result<Option<Category>> {
        let q = sqlx::query("SELECT * FROM kb_categories WHERE portal_id = $1 AND id = $2")
            .bind(portal.to_string())
            .bind(id.to_string());
        self.one(q, category).await
    }

    async fn update_category(&mut self, c: &Category) -> Result<u64> {
        let q = sqlx::query(
            "UPDATE kb_categories SET parent_id = $1, name = $2, slug = $3, visibility = $4, position = $5,
             updated_at = $6, version = version + 1 WHERE portal_id = $7 AND id = $8 AND version = $9",
        )
        .bind(opt_str(c.parent_id))
        .bind(c.name.clone())
        .bind(c.slug.clone())
        .bind(c.visibility.to_string())
        .bind(i64::from(c.position))
        .bind(ts(c.updated_at))
        .bind(c.portal_id.to_string())
        .bind(c.id.to_string())
        .bind(c.version as i64);
        match self.exec(q).await? {
            1 => Ok(c.version + 1),
            _ => Err(self.stale_or_missing("kb_categories", c.portal_id, "id", c.id.to_string()).await),
        }
    }

    async fn list_categories(&mut self, portal: PortalId) -> Result<Vec<Category>> {
        let q = sqlx::query("SELECT * FROM kb_categories WHERE portal_id = $1 ORDER BY position, name, id")
            .bind(portal.to_string());
        self.all(q, category).await
    }

    async fn insert_article(&mut self, a: &Article) -> Result<()> {
        let sql = format!(
            "INSERT INTO kb_articles (portal_id, id, {ARTICLE_FIELDS}, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        );
        let q = sqlx::query(&sql).bind(a.portal_id.to_string()).bind(a.id.to_string());
        let q = bind_article(q, a)?.bind(a.version as i64);
        self.exec(q).await.map(|_| ())
    }

    async fn get_article(&mut self, portal: PortalId, id: ArticleId) -> Result<Option<Article>> {
        let q = sqlx::query("SELECT * FROM kb_articles WHERE portal_id = $1 AND id = $2")
            .bind(portal.to_string())
            .bind(id.to_string());
        self.one(q, article).await
    }

    async fn update_article(&mut self, a: &Article) -> Result<u64> {
        let sets: Vec<String> =
            ARTICLE_FIELDS.split(", ").enumerate().map(|(i, col)| format!("{col} = ${}", i + 1)).collect();
        let sql = format!(
            "UPDATE kb_articles SET {}, version = version + 1 WHERE portal_id = $18 AND id = $19 AND version = $20",
            sets.join(", ")
        );
        let q = bind_article(sqlx::query(&sql), a)?
            .bind(a.portal_id.to_string())
            .bind(a.id.to_string())
            .bind(a.version as i64);
        match self.exec(q).await? {
            1 => Ok(a.version + 1),
            _ => Err(self.stale_or_missing("kb_articles", a.portal_id, "id", a.id.to_string()).await),
        }
    }

    async fn list_articles(&mut self, portal: PortalId, after: Option<ArticleId>, limit: u32) -> Result<Vec<Article>> {
        let q = sqlx::query("SELECT * FROM kb_articles WHERE portal_id = $1 AND id > $2 ORDER BY id LIMIT $3")
            .bind(portal.to_string())
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(i64::from(limit));
        self.all(q, article).await
    }

    async fn insert_article_revision(&mut self, r: &ArticleRevision) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO kb_revisions (portal_id, article_id, version, title, body, tags, visibility, category_id,
             status, edited_by, edited_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(r.portal_id.to_string())
        .bind(r.article_id.to_string())
        .bind(r.version as i64)
        .bind(r.title.clone())
        .bind(r.body.clone())
        .bind(tags_json(&r.tags)?)
        .bind(r.visibility.to_string())
        .bind(opt_str(r.category_id))
        .bind(r.status.as_str())
        .bind(opt_str(r.edited_by))
        .bind(ts(r.edited_at))
        .bind(r.note.clone());
        self.exec(q).await.map(|_| ())
    }

    async fn list_article_revisions(&mut self, portal: PortalId, article: ArticleId) -> Result<Vec<ArticleRevision>> {
        let q = sqlx::query("SELECT * FROM kb_revisions WHERE portal_id = $1 AND article_id = $2 ORDER BY version")
            .bind(portal.to_string())
            .bind(article.to_string());
        self.all(q, revision).await
    }

    async fn append_kb_change(&mut self, portal: PortalId, entity: KbEntity) -> Result<u64> {
        let row = sqlx::query("UPDATE kb_change_counter SET last = last + 1 WHERE id = 1 RETURNING last")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err)?;
        let seq: i64 = get(&row, "last")?;
        let (kind, entity_id) = match entity {
            KbEntity::Article(id) => ("article", id.to_string()),
            KbEntity::Category(id) => ("category", id.to_string()),
        };
        let q = sqlx::query("INSERT INTO kb_changes (seq, portal_id, entity, entity_id) VALUES ($1, $2, $3, $4)")
            .bind(seq)
            .bind(portal.to_string())
            .bind(kind)
            .bind(entity_id);
        self.exec(q).await?;
        u64::try_from(seq).map_err(|_| Error::internal("negative feed position"))
    }

    async fn last_kb_change(&mut self) -> Result<u64> {
        let row = sqlx::query("SELECT last FROM kb_change_counter WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err)?;
        u64::try_from(get::<i64>(&row, "last")?).map_err(|_| Error::internal("negative feed position"))
    }

    async fn list_kb_changes(&mut self, after: u64, limit: u32) -> Result<Vec<KbChange>> {
        let q = sqlx::query("SELECT * FROM kb_changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .bind(i64::from(limit));
        self.all(q, change).await
    }
}
