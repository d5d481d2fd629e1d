//! The knowledge base: a category tree per portal, articles and FAQ entries in Japanese and
//! English, each with a visibility label, a publication status and a full revision history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::{ArticleId, CategoryId, PortalId, UserId};
use crate::error::{Error, Result};

/// Who may read a record, as a label the policy grants: `article:<label>` / `read`. The shipped
/// policy knows `public` (everyone), `customers` (signed-in members) and `internal` (agents); a
/// portal adds its own (e.g. `partners`) with a policy line for the roles that may read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Visibility(String);

impl Visibility {
    /// Readable by everyone, signed in or not.
    pub const PUBLIC: &'static str = "public";
    /// Readable by signed-in members.
    pub const CUSTOMERS: &'static str = "customers";
    /// Readable by staff (agents and admins).
    pub const INTERNAL: &'static str = "internal";

    /// A label: 1–40 characters of `a-z`, `0-9`, `_` and `-`. The scopes the authorizer reserves
    /// for ownership (`any`, `own`, `org_shared`) are not labels.
    pub fn new(label: impl Into<String>) -> Result<Self> {
        let label = label.into();
        let shape = !label.is_empty()
            && label.len() <= 40
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !shape || matches!(label.as_str(), "any" | "own" | "org_shared") {
            return Err(Error::invalid_input("a visibility label is 1-40 characters of a-z, 0-9, _ and -")
                .with_context("label", super::escape_controls(&label)));
        }
        Ok(Visibility(label))
    }

    /// `public`.
    pub fn public() -> Self {
        Visibility(Self::PUBLIC.to_owned())
    }

    /// `customers`.
    pub fn customers() -> Self {
        Visibility(Self::CUSTOMERS.to_owned())
    }

    /// `internal`.
    pub fn internal() -> Self {
        Visibility(Self::INTERNAL.to_owned())
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Visibility {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Visibility::new(s)
    }
}

impl From<Visibility> for String {
    fn from(v: Visibility) -> String {
        v.0
    }
}

/// Generates the `as_str` / `parse` pair of a small enum stored by name.
macro_rules! named_enum {
    ($ty:ident, $what:literal, $($variant:ident => $name:literal),+ $(,)?) => {
        impl $ty {
            /// Stable lowercase name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }

            /// Parse the stable name.
            pub fn parse(s: &str) -> Result<Self> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(Error::invalid_input(concat!("unknown ", $what))),
                }
            }
        }
    };
}

/// The language of an article (and of a search query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// Japanese.
    Ja,
    /// English.
    En,
}
named_enum!(Locale, "locale", Ja => "ja", En => "en");

/// What an entry is; the search index keeps other kinds (forum posts, ideas …) beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleKind {
    /// A how-to or reference article.
    Article,
    /// A question with its answer.
    Faq,
}
named_enum!(ArticleKind, "article kind", Article => "article", Faq => "faq");

/// Where an article is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written; only editors see it.
    Draft,
    /// Readable (from `publish_at`, when set) by whoever its visibility allows.
    Published,
    /// Withdrawn; only editors see it, and it can be published again.
    Archived,
}
named_enum!(ArticleStatus, "article status", Draft => "draft", Published => "published", Archived => "archived");

/// A node of a portal's category tree. A reader sees a category only when it may read it and
/// every category above it (K3: a restricted child of a public parent stays hidden, and so does
/// everything under a restricted parent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Identity.
    pub id: CategoryId,
    /// The portal it belongs to.
    pub portal_id: PortalId,
    /// The category above it; `None` at the top.
    pub parent_id: Option<CategoryId>,
    /// Display name.
    pub name: String,
    /// URL-safe name, unique in the portal.
    pub slug: String,
    /// Who may read it (and so what is in it).
    pub visibility: Visibility,
    /// Order among its siblings (ascending).
    pub position: i32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
}

/// An article or FAQ entry, as it stands now (its history is in [`ArticleRevision`]s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Identity.
    pub id: ArticleId,
    /// The portal it belongs to.
    pub portal_id: PortalId,
    /// Its category, if filed in one.
    pub category_id: Option<CategoryId>,
    /// Article or FAQ entry.
    pub kind: ArticleKind,
    /// Its language.
    pub locale: Locale,
    /// Translations share this id: the id of the article they translate (its own id for an
    /// original).
    pub translation_of: ArticleId,
    /// Title (for a FAQ entry, the question).
    pub title: String,
    /// Body as Markdown, as written.
    pub body: String,
    /// Body rendered to sanitized HTML (what a page shows).
    pub body_html: String,
    /// Tags, each lowercase, unique, sorted.
    pub tags: Vec<String>,
    /// Who may read it.
    pub visibility: Visibility,
    /// Draft, published or archived.
    pub status: ArticleStatus,
    /// A published article is readable from this time on (scheduled publishing); `None` = at once.
    pub publish_at: Option<DateTime<Utc>>,
    /// When it was first published.
    pub published_at: Option<DateTime<Utc>>,
    /// Who wrote it.
    pub author_id: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When an editor last confirmed it is still right.
    pub last_reviewed_at: Option<DateTime<Utc>>,
    /// When it should be reviewed again.
    pub review_due_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version, starting at 1; every change makes a revision of it.
    pub version: u64,
}

impl Article {
    /// Whether readers (as its visibility allows) can see it at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.status == ArticleStatus::Published && self.publish_at.is_none_or(|at| at <= now)
    }
}

/// One version of an article, kept for history and restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRevision {
    /// The portal.
    pub portal_id: PortalId,
    /// The article.
    pub article_id: ArticleId,
    /// The article's version this revision records.
    pub version: u64,
    /// Title at that version.
    pub title: String,
    /// Markdown body at that version.
    pub body: String,
    /// Tags at that version.
    pub tags: Vec<String>,
    /// Visibility at that version.
    pub visibility: Visibility,
    /// Category at that version.
    pub category_id: Option<CategoryId>,
    /// Status at that version.
    pub status: ArticleStatus,
    /// Who made the change (`None`: the system, e.g. an import).
    pub edited_by: Option<UserId>,
    /// When.
    pub edited_at: DateTime<Utc>,
    /// What kind of change (`created`, `edited`, `published`, `archived`, `restored:<v>`, …).
    pub note: String,
}

impl ArticleRevision {
    /// The revision recording `article` as it stands, made by `edited_by`.
    pub fn of(article: &Article, edited_by: Option<UserId>, note: impl Into<String>) -> Self {
        ArticleRevision {
            portal_id: article.portal_id,
            article_id: article.id,
            version: article.version,
            title: article.title.clone(),
            body: article.body.clone(),
            tags: article.tags.clone(),
            visibility: article.visibility.clone(),
            category_id: article.category_id,
            status: article.status,
            edited_by,
            edited_at: article.updated_at,
            note: note.into(),
        }
    }
}

/// What changed in a knowledge base, for whoever follows it (the search indexer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "entity", content = "id", rename_all = "snake_case")]
pub enum KbEntity {
    /// An article was created or changed.
    Article(ArticleId),
    /// A category was created or changed (its articles' effective visibility may have changed).
    Category(CategoryId),
}

/// One entry of the knowledge-base change feed. Positions grow in commit order without gaps, so
/// a follower that has applied everything up to `seq` has missed nothing before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbChange {
    /// Position in the feed (from 1).
    pub seq: u64,
    /// The portal whose knowledge base changed.
    pub portal_id: PortalId,
    /// What changed.
    pub entity: KbEntity,
}

/// A reader's answer to "was this helpful?", with an optional comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleFeedback {
    /// The portal.
    pub portal_id: PortalId,
    /// The article.
    pub article_id: ArticleId,
    /// Who answered (`None`: an anonymous visitor). A member's later answer replaces the earlier.
    pub user_id: Option<UserId>,
    /// Whether it helped.
    pub helpful: bool,
    /// What the reader added (may be empty; at most 2,000 characters).
    pub comment: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// How an article is used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleStats {
    /// Times it was viewed.
    pub views: u64,
    /// Answers "helpful".
    pub helpful: u64,
    /// Answers "not helpful".
    pub not_helpful: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_labels_are_checked_and_reserved_scopes_refused() {
        assert_eq!(Visibility::new("partners").unwrap().as_str(), "partners");
        for bad in ["", "Public", "a b", "own", "any", "org_shared", "x:y", &"a".repeat(41)] {
            assert!(Visibility::new(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&Visibility::internal()).unwrap();
        assert_eq!(json, "\"internal\"");
        assert!(serde_json::from_str::<Visibility>("\"own\"").is_err());
    }

    #[test]
    fn a_scheduled_article_is_live_from_its_time() {
        let now = Utc::now();
        let mut a = Article {
            id: ArticleId::new(),
            portal_id: PortalId::new(),
            category_id: None,
            kind: ArticleKind::Article,
            locale: Locale::En,
            translation_of: ArticleId::new(),
            title: "t".into(),
            body: String::new(),
            body_html: String::new(),
            tags: Vec::new(),
            visibility: Visibility::public(),
            status: ArticleStatus::Draft,
            publish_at: None,
            published_at: None,
            author_id: None,
            created_at: now,
            updated_at: now,
            last_reviewed_at: None,
            review_due_at: None,
            version: 1,
        };
        assert!(!a.is_live(now));
        a.status = ArticleStatus::Published;
        assert!(a.is_live(now));
        a.publish_at = Some(now + chrono::Duration::hours(1));
        assert!(!a.is_live(now));
        assert!(a.is_live(now + chrono::Duration::hours(1)));
    }
}
