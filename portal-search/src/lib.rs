//! Portal search on tantivy: [`TantivySearch`], the [`portal_core::ports::SearchIndex`] port on
//! one index shared by every portal; one analyzer for Japanese and English ([`analyzer`]); the
//! principal's scope applied as mandatory clauses the query text cannot widen.
#![deny(missing_docs)]

pub mod analyzer;
mod block_bounds;
mod bm25;
mod index;
mod max_score;
mod overfetch;
mod question;
mod scope_bits;
pub mod snippet;
mod statistics;
mod term_cursor;
mod term_holders;
mod top_k;

pub use index::{FilterStrategy, TantivySearch};

/// `text` with every HTML-significant character escaped, appended to `out`.
fn escape_into(out: &mut String, text: &str) {
    portal_core::services::knowledge::escape_html_into(out, text)
}
