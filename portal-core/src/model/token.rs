//! Single-use tokens (password reset, and later email verification, MFA recovery, …).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PortalId, TokenId, UserId};
use crate::error::{Error, Result};
use crate::secret::TokenHash;

/// What a single-use token may be used for; a token of one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenPurpose {
    /// Set a new password without knowing the old one.
    PasswordReset,
    /// Prove ownership of an email address.
    EmailVerification,
}

impl TokenPurpose {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::EmailVerification => "email_verification",
        }
    }

    /// Parse the stable name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "password_reset" => Ok(TokenPurpose::PasswordReset),
            "email_verification" => Ok(TokenPurpose::EmailVerification),
            _ => Err(Error::invalid_input("unknown token purpose")),
        }
    }
}

/// A stored single-use token, bound to user, purpose and portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeToken {
    /// Identity.
    pub id: TokenId,
    /// The portal.
    pub portal_id: PortalId,
    /// The user it was issued for.
    pub user_id: UserId,
    /// What it may be used for.
    pub purpose: TokenPurpose,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used or revoked; a used token never works again.
    pub used_at: Option<DateTime<Utc>>,
}
