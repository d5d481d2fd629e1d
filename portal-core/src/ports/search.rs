//! The search port: a full-text index of what portals publish (knowledge-base articles and FAQ
//! entries now; forum posts, ideas and documents later, told apart by `kind`).
//!
//! Storage is the truth; the index follows the knowledge-base change feed and remembers the
//! last position it applied, so after a crash or a restart it catches up from there. Every query
//! carries a [`SearchScope`] — the portal, the labels the principal may read, the categories it
//! may not see, and the time — which the index applies as mandatory clauses: nothing in the query
//! text can widen it (K4).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{CategoryId, Locale, PortalId, Visibility};

/// One record as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDocument {
    /// The portal it belongs to.
    pub portal_id: PortalId,
    /// Unique within the portal: `<kind>:<id>` (e.g. `article:0190…`).
    pub key: String,
    /// `article`, `faq`, … (a facet, and a filter).
    pub kind: String,
    /// Its language.
    pub locale: Locale,
    /// Title (weighs more than the body).
    pub title: String,
    /// Body as plain text (Markdown source is fine: its punctuation is not indexed).
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Its category, if any.
    pub category_id: Option<CategoryId>,
    /// Who may read it.
    pub visibility: Visibility,
    /// Readable from this time on (scheduled publishing).
    pub live_from: DateTime<Utc>,
}

/// A change to apply to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexChange {
    /// Add the document, replacing any with the same portal and key.
    Upsert(SearchDocument),
    /// Remove the document with this portal and key, if there is one.
    Delete {
        /// The portal.
        portal_id: PortalId,
        /// The key.
        key: String,
    },
}

/// What a principal may find: mandatory on every query (K1, K3, K4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchScope {
    /// Only this portal's documents.
    pub portal_id: PortalId,
    /// Only documents with one of these visibility labels; `None` means every label (editors).
    pub labels: Option<Vec<String>>,
    /// Never documents filed in these categories (hidden by a label on them or above them).
    pub hidden_categories: Vec<CategoryId>,
    /// Only documents live at this time.
    pub now: DateTime<Utc>,
}

/// A search as a user types it, with optional narrowing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    /// The words (any language; both are indexed together). Operators are not interpreted: the
    /// text is only ever words to match.
    pub text: String,
    /// Only this locale.
    pub locale: Option<Locale>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<String>,
    /// Only this category.
    pub category: Option<CategoryId>,
    /// Only documents with all of these tags.
    pub tags: Vec<String>,
    /// Skip this many hits (paging).
    pub offset: u32,
    /// Hits per page; 0 means 10, at most 100.
    pub limit: u32,
    /// Also count hits per category, tag, locale and kind (visits every match).
    pub facets: bool,
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The document's key (`<kind>:<id>`).
    pub key: String,
    /// Its kind.
    pub kind: String,
    /// Its title, as stored.
    pub title: String,
    /// A passage of the body with the matched words in `<b>…</b>`; everything else is
    /// HTML-escaped.
    pub snippet_html: String,
    /// Relevance (higher is better; comparable within one result list only).
    pub score: f32,
}

/// How many documents matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    /// The count, or a lower bound of it.
    pub value: u64,
    /// Whether `value` is exact; counting every match costs what top-k search saves, so it is
    /// exact only when facets were asked for or the matches ran out within the page.
    pub exact: bool,
}

/// Counts of matching documents per value, most first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    /// Per category id.
    pub categories: Vec<(String, u64)>,
    /// Per tag.
    pub tags: Vec<(String, u64)>,
    /// Per locale.
    pub locales: Vec<(String, u64)>,
    /// Per kind.
    pub kinds: Vec<(String, u64)>,
}

/// A page of results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The hits of the page, best first.
    pub hits: Vec<SearchHit>,
    /// How many matched in all.
    pub total: Total,
    /// Counts per facet value (when asked for).
    pub facets: Option<Facets>,
    /// The recorded search, to report which result was opened
    /// (`KnowledgeService::record_click`); set by the knowledge service, not the index.
    #[serde(default)]
    pub search_id: Option<crate::model::SearchEventId>,
}

impl Default for Total {
    fn default() -> Self {
        Total { value: 0, exact: true }
    }
}

/// A title completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The document's key.
    pub key: String,
    /// Its title.
    pub title: String,
}

/// A full-text index over every portal's published records.
#[async_trait]
pub trait SearchIndex: Send + Sync + 'static {
    /// Apply `changes` and make them durable together with `position` (the change-feed
    /// position they bring the index to).
    async fn apply(&self, changes: Vec<IndexChange>, position: u64) -> Result<()>;

    /// The change-feed position the index holds (0 for a new index).
    async fn position(&self) -> Result<u64>;

    /// Remove every document and reset the position to 0 (before a full reindex).
    async fn clear(&self) -> Result<()>;

    /// Merge the parts the index keeps its documents in into one, as after a bulk load (a
    /// first build, a full reindex), so that every search visits one part; the documents and
    /// the position stay as they are. An index that keeps no such parts does nothing (the
    /// default).
    async fn compact(&self) -> Result<()> {
        Ok(())
    }

    /// The best matches of `request` within `scope`.
    async fn search(&self, scope: &SearchScope, request: &SearchRequest) -> Result<SearchResults>;

    /// Titles within `scope` with a word starting with `prefix` (the last, unfinished word of
    /// what is typed), best first.
    async fn autocomplete(&self, scope: &SearchScope, prefix: &str, limit: u32) -> Result<Vec<Suggestion>>;

    /// Documents within `scope` most like the one with `key` (not itself).
    async fn related(&self, scope: &SearchScope, key: &str, limit: u32) -> Result<Vec<SearchHit>>;
}
