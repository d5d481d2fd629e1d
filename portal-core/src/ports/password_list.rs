//! The list of passwords too common or too guessable to allow (NIST SP 800-63B §3.1.1.2).

/// Says whether a password is on a block list: common or breached passwords, trivially guessable
/// patterns (repeats, sequences, keyboard walks), or built from the context words given.
pub trait PasswordBlocklist: Send + Sync + 'static {
    /// `context` holds words specific to this account and service (portal name, email parts),
    /// lowercased.
    fn is_blocked(&self, password: &str, context: &[&str]) -> bool;
}

/// Blocks nothing. Only for tests and benchmarks that must not depend on a word list.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBlocklist;

impl PasswordBlocklist for NoBlocklist {
    fn is_blocked(&self, _password: &str, _context: &[&str]) -> bool {
        false
    }
}
