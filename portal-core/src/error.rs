//! The one error type of the portal engine.
//!
//! Callers branch on [`ErrorKind`], never on message text. Adapters keep their own private error
//! enums and convert them into [`Error`] in one place.

use std::borrow::Cow;
use std::fmt;

/// What went wrong, coarsely enough that a caller can decide what to do (HTTP status, retry, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The record does not exist, or the caller may not know that it exists.
    NotFound,
    /// A record with the same unique key (id, email, slug, …) already exists.
    AlreadyExists,
    /// The record changed since it was read (stale `version`), or the operation does not fit its state.
    Conflict,
    /// The input is malformed, too large, or breaks a rule (password policy, email syntax, …).
    InvalidInput,
    /// The caller is not signed in, or the credentials/token are wrong, expired or used.
    Unauthenticated,
    /// The caller is known but not allowed to do this.
    PermissionDenied,
    /// Too many attempts; try again later.
    RateLimited,
    /// The operation is not supported by this adapter or configuration.
    Unsupported,
    /// A temporary failure (busy database, pool timeout, serialization failure); safe to retry.
    Unavailable,
    /// The portal was assembled or configured wrongly (missing port, invalid setting).
    ConfigInvalid,
    /// A bug or an unexpected failure of a dependency.
    Internal,
}

impl ErrorKind {
    /// A short, stable, snake_case name, for logs and wire formats.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::ConfigInvalid => "config_invalid",
            ErrorKind::Internal => "internal",
        }
    }

    /// Whether repeating the same call later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Unavailable | ErrorKind::RateLimited)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error of the portal engine: a [`ErrorKind`], a human-readable message, optional
/// key/value context and an optional underlying cause.
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    context: Vec<(&'static str, String)>,
    source: Option<Source>,
    nothing_written: bool,
}

/// `Result` with the portal [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a message meant for developers (never secrets).
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error { kind, message: message.into(), context: Vec::new(), source: None, nothing_written: false }
    }

    /// [`ErrorKind::Unavailable`] for a transaction the database refused or never started
    /// (serialization failure, deadlock, busy database, no free connection): nothing was
    /// written, so the whole unit of work may be run again.
    pub fn transaction_aborted(message: impl Into<Cow<'static, str>>) -> Self {
        Error { nothing_written: true, ..Self::new(ErrorKind::Unavailable, message) }
    }

    /// Whether the failed unit of work certainly wrote nothing and may be re-run as is (see
    /// [`Error::transaction_aborted`]). A lost connection during commit is *not* such an error:
    /// the commit may have happened.
    pub fn nothing_written(&self) -> bool {
        self.nothing_written
    }

    /// Shorthand for [`ErrorKind::NotFound`].
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for [`ErrorKind::Conflict`].
    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// Shorthand for [`ErrorKind::PermissionDenied`].
    pub fn permission_denied(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::PermissionDenied, message)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Attach a cause.
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Attach a key/value pair of context (an id, a field name; never a secret).
    pub fn with_context(mut self, key: &'static str, value: impl fmt::Display) -> Self {
        self.context.push((key, value.to_string()));
        self
    }

    /// The kind, to branch on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, for humans.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The context pairs attached so far.
    pub fn context(&self) -> &[(&'static str, String)] {
        &self.context
    }

    /// Whether repeating the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        for (k, v) in &self.context {
            write!(f, " [{k}={v}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if !self.context.is_empty() {
            d.field("context", &self.context);
        }
        if let Some(s) = &self.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_kind_message_and_context() {
        let e = Error::not_found("no such user").with_context("user_id", 7);
        assert_eq!(e.to_string(), "not_found: no such user [user_id=7]");
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn only_aborted_transactions_say_nothing_was_written() {
        let aborted = Error::transaction_aborted("serialization failure");
        assert_eq!(aborted.kind(), ErrorKind::Unavailable);
        assert!(aborted.nothing_written() && aborted.is_retryable());
        assert!(!Error::new(ErrorKind::Unavailable, "connection lost").nothing_written());
    }

    #[test]
    fn only_unavailable_and_rate_limited_are_retryable() {
        assert!(Error::new(ErrorKind::Unavailable, "busy").is_retryable());
        assert!(Error::new(ErrorKind::RateLimited, "slow down").is_retryable());
        assert!(!Error::conflict("stale").is_retryable());
    }
}
