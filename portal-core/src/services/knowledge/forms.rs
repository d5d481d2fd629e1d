//! What editors submit, and how it is checked before anything is stored.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::{ArticleId, ArticleKind, CategoryId, Locale, Visibility};

/// Longest article body accepted, in bytes of Markdown.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Most tags on one article.
pub const MAX_TAGS: usize = 20;

/// A category as an editor submits it (create or replace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryForm {
    /// The category above it; `None` at the top.
    pub parent_id: Option<CategoryId>,
    /// Display name, 1–100 characters.
    pub name: String,
    /// URL-safe name, unique in the portal (`a-z`, `0-9`, `-`).
    pub slug: String,
    /// Who may read it and what is in it.
    pub visibility: Visibility,
    /// Order among siblings.
    pub position: i32,
}

/// An article as an editor submits it (create or replace its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleForm {
    /// Its category, if any (of the same portal).
    pub category_id: Option<CategoryId>,
    /// Article or FAQ entry.
    pub kind: ArticleKind,
    /// Its language.
    pub locale: Locale,
    /// The article this one translates (another locale of the same portal), if any. Only read
    /// on create.
    pub translation_of: Option<ArticleId>,
    /// Title (for a FAQ, the question), 1–300 characters.
    pub title: String,
    /// Markdown body, at most 256 KiB.
    pub body: String,
    /// Tags: at most 20, each 1–40 characters; stored lowercase, unique and sorted.
    pub tags: Vec<String>,
    /// Who may read it.
    pub visibility: Visibility,
    /// When it should next be reviewed.
    pub review_due_at: Option<DateTime<Utc>>,
}

/// A page of articles.
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    /// Continue after this id (the `next` of the previous page).
    pub after: Option<ArticleId>,
    /// Page size; 0 means 50, at most 200.
    pub limit: u32,
}

/// A one-line text field: trimmed, `min..=max` characters, no control characters.
pub(super) fn line(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 || n > max || v.chars().any(char::is_control) {
        return Err(Error::invalid_input("a required one-line field is empty, too long or has control characters")
            .with_context("field", field)
            .with_context("max", max));
    }
    Ok(v.to_owned())
}

/// Tags as stored: lowercase, trimmed, unique, sorted.
pub(super) fn tags(raw: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for t in raw {
        let t = line("tag", &t.to_lowercase(), 40)?;
        if t.contains(',') {
            return Err(Error::invalid_input("a tag has no commas").with_context("field", "tag"));
        }
        out.push(t);
    }
    out.sort();
    out.dedup();
    if out.len() > MAX_TAGS {
        return Err(Error::invalid_input("too many tags").with_context("max", MAX_TAGS));
    }
    Ok(out)
}

/// A Markdown body within the size limit (control characters other than tab and newlines are
/// refused: they have no place in a page).
pub(super) fn body(value: &str) -> Result<String> {
    if value.len() > MAX_BODY_BYTES {
        return Err(Error::invalid_input("the body is too long").with_context("max_bytes", MAX_BODY_BYTES));
    }
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::invalid_input("the body has control characters"));
    }
    Ok(value.to_owned())
}
