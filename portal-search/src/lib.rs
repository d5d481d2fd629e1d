//! # portal-search
//!
//! Home of the tantivy implementation of the portal's search port (Japanese and English analyzers,
//! permission-filtered search, autocomplete, facets). The crate exists so the workspace layout of
//! DESIGN.md is in place; its contents arrive with the knowledge-base and search work, together
//! with the search port in `portal-core`. It exports nothing yet.
#![deny(missing_docs)]
