//! The one place where database errors become portal errors, for both SQL back ends.

use portal_core::{Error, ErrorKind};

/// Error codes meaning "nothing was done, run the transaction again": SQLite's busy and locked
/// codes (primary and extended), PostgreSQL's serialization failure, deadlock and lock time-out.
const TRANSIENT_CODES: &[&str] = &["5", "6", "261", "517", "40001", "40P01", "55P03"];

/// Map a sqlx error: serialization failures, deadlocks, busy or locked databases and pool
/// time-outs are [`Error::transaction_aborted`] (nothing written, safe to re-run); lost
/// connections are `Unavailable` (retryable, outcome unknown); unique violations are
/// `AlreadyExists`; anything else is `Internal`.
pub(crate) fn map_err(e: sqlx::Error) -> Error {
    let aborted = match &e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| TRANSIENT_CODES.contains(&c.as_ref())),
        sqlx::Error::PoolTimedOut => true,
        _ => false,
    };
    if aborted {
        return Error::transaction_aborted("the database refused or postponed this transaction; try again")
            .with_source(e);
    }
    let kind = match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => ErrorKind::AlreadyExists,
        sqlx::Error::PoolClosed | sqlx::Error::Io(_) => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    };
    let message = match kind {
        ErrorKind::AlreadyExists => "a record with the same key exists",
        ErrorKind::Unavailable => "the database is busy or unreachable; try again",
        _ => "database error",
    };
    Error::new(kind, message).with_source(e)
}
