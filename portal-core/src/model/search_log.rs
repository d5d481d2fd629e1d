//! Search analytics: what people searched for, what they found, and what they opened — so a
//! portal learns which questions its knowledge base does not answer yet.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Locale, PortalId, SearchEventId};
use crate::error::{Error, Result};

/// Who searched, coarsely: no user id is kept with a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearcherKind {
    /// Not signed in.
    Anonymous,
    /// A signed-in member who does not edit the knowledge base.
    Member,
    /// An editor (agent or admin).
    Staff,
}

impl SearcherKind {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SearcherKind::Anonymous => "anonymous",
            SearcherKind::Member => "member",
            SearcherKind::Staff => "staff",
        }
    }

    /// Parse the stable name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "anonymous" => Ok(SearcherKind::Anonymous),
            "member" => Ok(SearcherKind::Member),
            "staff" => Ok(SearcherKind::Staff),
            _ => Err(Error::invalid_input("unknown searcher kind")),
        }
    }
}

/// One search as it was run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchEvent {
    /// Identity (handed to the searcher, to report a click).
    pub id: SearchEventId,
    /// The portal searched.
    pub portal_id: PortalId,
    /// When.
    pub at: DateTime<Utc>,
    /// The query, normalized (NFKC, lowercase, single spaces, at most 200 characters).
    pub query: String,
    /// The locale asked for, if any.
    pub locale: Option<Locale>,
    /// Who searched, coarsely.
    pub searcher: SearcherKind,
    /// How many hits the searcher was shown.
    pub hits: u32,
    /// The key of the first result opened from it, if any.
    pub clicked: Option<String>,
}

/// How one query fared over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryStats {
    /// The normalized query.
    pub query: String,
    /// How often it was searched.
    pub searches: u64,
    /// How often it found nothing.
    pub zero_results: u64,
    /// How often a result was opened from it.
    pub clicks: u64,
}
