//! Portal search on tantivy: the [`portal_core::ports::SearchIndex`] port, one analyzer for
//! Japanese and English ([`analyzer`]), and permission scopes applied as mandatory clauses.
#![deny(missing_docs)]

pub mod analyzer;
