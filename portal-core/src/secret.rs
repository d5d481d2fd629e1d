//! Secrets: bearer tokens, their stored hashes, and passwords. None of them prints its value in
//! `Debug` or `Display`, so a stray `{:?}` in a log line cannot leak one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, ErrorKind, Result};

/// Bytes of randomness in every token (256 bits; S1/T1 ask for at least 128).
pub const TOKEN_BYTES: usize = 32;

/// A bearer token as handed to a client: 256 random bits, URL-safe base64 without padding.
/// Only its [`TokenHash`] is ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// A fresh token from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::new(ErrorKind::Internal, "OS random source failed").with_source(e.to_string()))?;
        Ok(SecretToken(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wrap a token received from a client. Anything that is not 43 URL-safe base64 characters
    /// cannot be one of ours; it is refused before any lookup.
    pub fn parse(s: &str) -> Result<Self> {
        check_shape(s)?;
        Ok(SecretToken(s.to_owned()))
    }

    /// The token text, to send to its owner (cookie, email link). Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash under which it is stored.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// Refuse anything that is not 43 URL-safe base64 characters: it cannot be one of our tokens.
/// Every byte is checked (no early exit), which the compiler turns into a few vector compares.
fn check_shape(s: &str) -> Result<()> {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_');
    let ok = match <&[u8; 43]>::try_from(s.as_bytes()) {
        Ok(bytes) => bytes.iter().fold(0u8, |bad, &b| bad | u8::from(!alphabet(b))) == 0,
        Err(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Unauthenticated, "malformed token"))
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// SHA-256 of a [`SecretToken`]. Tokens carry 256 bits of entropy, so a fast hash is enough: the
/// stored value is useless for signing in, and nothing can be brute-forced from it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hash of a token as a client presented it, checked like [`SecretToken::parse`] but
    /// without keeping a copy of the secret (the per-request path).
    pub fn of_presented(token: &str) -> Result<Self> {
        check_shape(token)?;
        Ok(TokenHash(Sha256::digest(token.as_bytes()).into()))
    }

    /// Rebuild from stored bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| Error::internal("stored token hash is not 32 bytes"))?;
        Ok(TokenHash(arr))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({:02x}{:02x}{:02x}{:02x}…)", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

/// A password as typed, NFKC-normalized on construction (A2: the same password typed on another
/// keyboard or OS still matches). Never truncated or case-folded. Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Longest password accepted anywhere, in bytes after normalization. Checked before any
    /// hashing, so a megabyte "password" costs nothing (A1: cap the length before hashing).
    pub const MAX_BYTES: usize = 4096;

    /// Normalize and wrap. Fails with `InvalidInput` for an over-long password.
    pub fn new(raw: impl AsRef<str>) -> Result<Self> {
        let raw = raw.as_ref();
        // Bound the work before normalizing: NFKC can grow a string at most ~18x.
        if raw.len() > Self::MAX_BYTES {
            return Err(Error::invalid_input("password is too long"));
        }
        let normalized: String = raw.nfkc().collect();
        if normalized.len() > Self::MAX_BYTES {
            return Err(Error::invalid_input("password is too long"));
        }
        Ok(Password(normalized))
    }

    /// The normalized password, for the hasher and the policy. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in Unicode scalar values, as the policy counts it.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_tokens_are_256_bit_random_and_unique() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43); // 32 bytes in unpadded base64url
        assert_eq!(SecretToken::parse(a.expose()).unwrap().hash(), a.hash());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn s1_secrets_never_print_their_value() {
        let t = SecretToken::generate().unwrap();
        assert!(!format!("{t:?}").contains(t.expose()));
        let p = Password::new("correct horse battery staple").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn malformed_tokens_are_refused_before_lookup() {
        for bad in ["", "short", &"a".repeat(44), &format!("{}=", "a".repeat(42)), &"é".repeat(22)] {
            assert_eq!(SecretToken::parse(bad).unwrap_err().kind(), ErrorKind::Unauthenticated);
        }
    }

    #[test]
    fn a2_passwords_are_nfkc_normalized_not_folded_or_truncated() {
        // Full-width and half-width forms are the same password after NFKC.
        assert_eq!(Password::new("ｐａｓｓ　ｗｏｒｄ").unwrap(), Password::new("pass word").unwrap());
        // Composed and decomposed é are the same password.
        assert_eq!(Password::new("caf\u{e9}").unwrap(), Password::new("cafe\u{301}").unwrap());
        // Case is kept, spaces are kept, nothing is cut.
        assert_ne!(Password::new("Secret").unwrap(), Password::new("secret").unwrap());
        let long = "x".repeat(1000);
        assert_eq!(Password::new(&long).unwrap().char_count(), 1000);
    }

    #[test]
    fn a1_a_megabyte_password_is_refused_before_hashing() {
        let e = Password::new("a".repeat(1 << 20)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
