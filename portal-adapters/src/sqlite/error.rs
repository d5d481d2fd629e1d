//! The one place where SQLite errors become portal errors.

use portal_core::{Error, ErrorKind};

/// Map a sqlx error: unique violations are `AlreadyExists`, a busy or locked database and pool
/// time-outs are `Unavailable` (retryable), anything else is `Internal`.
pub(crate) fn map_err(e: sqlx::Error) -> Error {
    let kind = match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => ErrorKind::AlreadyExists,
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("5" | "6" | "261" | "517")) => {
            ErrorKind::Unavailable
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    };
    let message = match kind {
        ErrorKind::AlreadyExists => "a record with the same key exists",
        ErrorKind::Unavailable => "the database is busy or unreachable",
        _ => "sqlite error",
    };
    Error::new(kind, message).with_source(e)
}
