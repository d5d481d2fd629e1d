//! # portal-adapters
//!
//! Storage and integration adapters for the portal engine. Each implements `portal-core` ports
//! and passes the same conformance suite as the in-memory reference store.
//!
//! - [`sqlite::SqliteStore`] (feature `sqlite`, default) — the embedded default: one file, WAL,
//!   `synchronous = FULL`, serializable transactions, embedded migrations.
//! - [`postgres::PostgresStore`] (feature `postgres`, default) — the production database: a
//!   connection pool, `SERIALIZABLE` transactions whose conflicts come back as retryable
//!   `Unavailable` errors, embedded migrations, optional schema per deployment.
//!
//! Both run the same SQL (the private `sql` module over sqlx's `Any` driver).
//!
//! - [`blobs::ObjectBlobStore`] (feature `blobs`, default) — file bytes in any `object_store`
//!   backend; [`blobs::ObjectBlobStore::local`] keeps them in a directory.
#![deny(missing_docs)]

#[cfg(feature = "blobs")]
pub mod blobs;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(all(feature = "testkit", feature = "postgres"))]
pub mod testing;
