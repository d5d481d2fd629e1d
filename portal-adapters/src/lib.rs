//! # portal-adapters
//!
//! Storage and integration adapters for the portal engine. Each implements `portal-core` ports
//! and passes the same conformance suite as the in-memory reference store.
//!
//! - [`sqlite::SqliteStore`] (feature `sqlite`, default) — the embedded default: one file, WAL,
//!   `synchronous = FULL`, serializable transactions, embedded migrations.
#![deny(missing_docs)]

#[cfg(feature = "sqlite")]
pub mod sqlite;
