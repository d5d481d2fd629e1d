//! Password hashing, as a port (argon2id lives in `portal-auth`).

use async_trait::async_trait;

use crate::error::Result;
use crate::secret::Password;

/// The answer of [`PasswordHasher::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The password matches the hash.
    pub matches: bool,
    /// The hash was made with other parameters than the current ones; hash again and store it.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords. Implementations run the (deliberately slow) work off the async
/// executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hash with a fresh random salt; returns a PHC string.
    async fn hash(&self, password: &Password) -> Result<String>;

    /// Check `password` against a PHC string. A malformed PHC string is an error, never a match.
    async fn verify(&self, password: &Password, phc: &str) -> Result<Verification>;
}
