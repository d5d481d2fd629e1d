//! Articles: writing, publishing, archiving, history and restore, and reading through the
//! principal's [`super::ReadScope`].

use chrono::{DateTime, Utc};

use super::categories::category_exists;
use super::forms::{self, line, ArticleForm, ArticleQuery};
use super::render::render_markdown;
use super::KnowledgeService;
use crate::error::{Error, Result};
use crate::model::{Article, ArticleId, ArticleRevision, ArticleStatus, AuditEvent, AuditOutcome, KbEntity, Principal};
use crate::ports::{ops, Transaction};

/// A page of the articles a principal sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticlePage {
    /// The articles, in id (creation) order.
    pub articles: Vec<Article>,
    /// Pass as `after` for the next page; `None` when there is none.
    pub next: Option<ArticleId>,
}

/// The checked content fields of a form.
struct Content {
    title: String,
    body: String,
    tags: Vec<String>,
}

fn content(form: &ArticleForm) -> Result<Content> {
    Ok(Content {
        title: line("title", &form.title, 300)?,
        body: forms::body(&form.body)?,
        tags: forms::tags(&form.tags)?,
    })
}

async fn check_category(tx: &mut dyn Transaction, who: &Principal, form: &ArticleForm) -> Result<()> {
    match form.category_id {
        Some(c) if !category_exists(tx, who.portal_id, c).await? => Err(Error::invalid_input("no such category")),
        _ => Ok(()),
    }
}

impl KnowledgeService {
    /// Write a new draft (needs `article` / `write`). A translation names the article it
    /// translates, which must be of the same portal and another locale.
    pub async fn create_article(&self, who: &Principal, form: ArticleForm) -> Result<Article> {
        self.guard.retrying(|| self.create_article_once(who, &form)).await
    }

    async fn create_article_once(&self, who: &Principal, form: &ArticleForm) -> Result<Article> {
        self.guard.authorize(who, ops::ARTICLE_WRITE).await?;
        let c = content(form)?;
        let now = self.guard.now();
        let mut tx = self.guard.begin().await?;
        check_category(tx.as_mut(), who, form).await?;
        let id = ArticleId::new();
        let translation_of = match form.translation_of {
            None => id,
            Some(original) => {
                let o = tx
                    .get_article(who.portal_id, original)
                    .await?
                    .ok_or_else(|| Error::invalid_input("no such article to translate"))?;
                if o.locale == form.locale {
                    return Err(Error::invalid_input("a translation is in another locale than its original"));
                }
                o.translation_of
            }
        };
        let article = Article {
            id,
            portal_id: who.portal_id,
            category_id: form.category_id,
            kind: form.kind,
            locale: form.locale,
            translation_of,
            body_html: render_markdown(&c.body),
            title: c.title,
            body: c.body,
            tags: c.tags,
            visibility: form.visibility.clone(),
            status: ArticleStatus::Draft,
            publish_at: None,
            published_at: None,
            author_id: who.user_id,
            created_at: now,
            updated_at: now,
            last_reviewed_at: None,
            review_due_at: form.review_due_at,
            version: 1,
        };
        tx.insert_article(&article).await?;
        tx.insert_article_revision(&ArticleRevision::of(&article, who.user_id, "created")).await?;
        let event = AuditEvent::new(who, now, "kb.article_created", AuditOutcome::Success).target(id);
        self.finish(tx, who, event, KbEntity::Article(id)).await?;
        Ok(article)
    }

    /// Replace an article's content (needs `article` / `write`) if it is still at
    /// `expected_version` (D4: else `Conflict`, and nothing is written). Its status stays.
    pub async fn edit_article(
        &self,
        who: &Principal,
        id: ArticleId,
        expected_version: u64,
        form: ArticleForm,
    ) -> Result<Article> {
        let c = content(&form)?;
        self.change(who, id, expected_version, "kb.article_edited", "edited".into(), |tx, a, _| {
            let form = form.clone();
            let (title, body, tags) = (c.title.clone(), c.body.clone(), c.tags.clone());
            Box::pin(async move {
                check_category(tx, &Principal::anonymous(a.portal_id), &form).await?;
                a.body_html = render_markdown(&body);
                a.title = title;
                a.body = body;
                a.tags = tags;
                a.category_id = form.category_id;
                a.kind = form.kind;
                a.visibility = form.visibility;
                a.review_due_at = form.review_due_at;
                Ok(())
            })
        })
        .await
    }

    /// Publish an article (needs `article` / `write`): readable at once, or from `at` when it
    /// is later (scheduled publishing).
    pub async fn publish_article(
        &self,
        who: &Principal,
        id: ArticleId,
        expected_version: u64,
        at: Option<DateTime<Utc>>,
    ) -> Result<Article> {
        self.change(who, id, expected_version, "kb.article_published", "published".into(), move |_, a, now| {
            Box::pin(async move {
                a.status = ArticleStatus::Published;
                a.publish_at = at.filter(|t| *t > now);
                a.published_at = a.published_at.or(Some(at.unwrap_or(now).max(now)));
                Ok(())
            })
        })
        .await
    }

    /// Withdraw an article (needs `article` / `write`); only editors see it until it is
    /// published again.
    pub async fn archive_article(&self, who: &Principal, id: ArticleId, expected_version: u64) -> Result<Article> {
        self.change(who, id, expected_version, "kb.article_archived", "archived".into(), |_, a, _| {
            Box::pin(async move {
                a.status = ArticleStatus::Archived;
                Ok(())
            })
        })
        .await
    }

    /// Bring back the content of an earlier revision (needs `article` / `write`) as a new
    /// revision; the status stays. A category deleted since is dropped.
    pub async fn restore_revision(
        &self,
        who: &Principal,
        id: ArticleId,
        expected_version: u64,
        revision: u64,
    ) -> Result<Article> {
        let note = format!("restored:{revision}");
        self.change(who, id, expected_version, "kb.article_restored", note, move |tx, a, _| {
            Box::pin(async move {
                let old = tx
                    .list_article_revisions(a.portal_id, a.id)
                    .await?
                    .into_iter()
                    .find(|r| r.version == revision)
                    .ok_or_else(|| Error::not_found("no such revision"))?;
                let category = match old.category_id {
                    Some(c) if category_exists(tx, a.portal_id, c).await? => Some(c),
                    _ => None,
                };
                a.body_html = render_markdown(&old.body);
                a.title = old.title;
                a.body = old.body;
                a.tags = old.tags;
                a.visibility = old.visibility;
                a.category_id = category;
                Ok(())
            })
        })
        .await
    }

    /// Record that an editor checked the article is still right (needs `article` / `write`),
    /// and when to check again.
    pub async fn mark_reviewed(
        &self,
        who: &Principal,
        id: ArticleId,
        expected_version: u64,
        next_review: Option<DateTime<Utc>>,
    ) -> Result<Article> {
        self.change(who, id, expected_version, "kb.article_reviewed", "reviewed".into(), move |_, a, now| {
            Box::pin(async move {
                a.last_reviewed_at = Some(now);
                a.review_due_at = next_review;
                Ok(())
            })
        })
        .await
    }

    /// One change to a stored article: authorize, check the version, apply `apply`, store it
    /// with its revision, audit event and change-feed entry — all in one transaction.
    async fn change<F>(
        &self,
        who: &Principal,
        id: ArticleId,
        expected_version: u64,
        action: &'static str,
        note: String,
        apply: F,
    ) -> Result<Article>
    where
        F: for<'t> Fn(
                &'t mut dyn Transaction,
                &'t mut Article,
                DateTime<Utc>,
            ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 't>>
            + Send
            + Sync,
    {
        self.guard
            .retrying(|| async {
                self.guard.authorize(who, ops::ARTICLE_WRITE).await?;
                let now = self.guard.now();
                let mut tx = self.guard.begin().await?;
                let mut article =
                    tx.get_article(who.portal_id, id).await?.ok_or_else(|| Error::not_found("no such article"))?;
                if article.version != expected_version {
                    return Err(Error::conflict("the article was changed by someone else"));
                }
                apply(tx.as_mut(), &mut article, now).await?;
                article.updated_at = now;
                article.version = tx.update_article(&article).await?;
                tx.insert_article_revision(&ArticleRevision::of(&article, who.user_id, note.clone())).await?;
                let event = AuditEvent::new(who, now, action, AuditOutcome::Success).target(id);
                self.finish(tx, who, event, KbEntity::Article(id)).await?;
                Ok(article)
            })
            .await
    }

    /// An article `who` may see (K1: a draft, an archived or scheduled article, one of a label
    /// or category it may not read, and another portal's are all `NotFound`).
    pub async fn article(&self, who: &Principal, id: ArticleId) -> Result<Article> {
        let scope = self.read_scope(who).await?;
        let found = self.guard.once(move |tx| tx.get_article(who.portal_id, id)).await?;
        found.filter(|a| scope.article_visible(a)).ok_or_else(|| Error::not_found("no such article"))
    }

    /// A page of the articles `who` sees, oldest first.
    pub async fn articles(&self, who: &Principal, query: ArticleQuery) -> Result<ArticlePage> {
        let limit = match query.limit {
            0 => 50,
            n => n.min(200),
        } as usize;
        let scope = self.read_scope(who).await?;
        let mut articles = Vec::with_capacity(limit);
        let mut after = query.after;
        loop {
            let batch = self.guard.once(move |tx| tx.list_articles(who.portal_id, after, 500)).await?;
            let exhausted = batch.len() < 500;
            for a in batch {
                after = Some(a.id);
                if scope.article_visible(&a) {
                    articles.push(a);
                    if articles.len() == limit {
                        return Ok(ArticlePage { next: after, articles });
                    }
                }
            }
            if exhausted {
                return Ok(ArticlePage { articles, next: None });
            }
        }
    }

    /// An article's revisions, oldest first (needs `article` / `write`).
    pub async fn revisions(&self, who: &Principal, id: ArticleId) -> Result<Vec<ArticleRevision>> {
        let portal = who.portal_id;
        self.editor_read(who, id, move |tx| tx.list_article_revisions(portal, id)).await
    }
}
