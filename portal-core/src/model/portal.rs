//! Portals and their access modes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::PortalId;
use crate::error::{Error, Result};

/// Who may become a member of a portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortalMode {
    /// Anyone may sign up and becomes an active member at once.
    Public,
    /// Anyone may ask to sign up; an admin approves or rejects the request.
    Restricted,
    /// Nobody can sign up; people join only by accepting an invitation.
    Private,
}

impl PortalMode {
    /// Stable lowercase name (`public`, `restricted`, `private`).
    pub fn as_str(self) -> &'static str {
        match self {
            PortalMode::Public => "public",
            PortalMode::Restricted => "restricted",
            PortalMode::Private => "private",
        }
    }

    /// Parse the stable name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "public" => Ok(PortalMode::Public),
            "restricted" => Ok(PortalMode::Restricted),
            "private" => Ok(PortalMode::Private),
            _ => Err(Error::invalid_input("unknown portal mode")),
        }
    }
}

/// A portal: one tenant with its own members, roles, content and settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portal {
    /// Identity.
    pub id: PortalId,
    /// URL-safe unique name (`[a-z0-9-]`, 1–63 characters).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// How people get in.
    pub mode: PortalMode,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
}

/// Check a portal slug: 1–63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
pub fn validate_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input("slug must be 1-63 characters of a-z, 0-9 and inner '-'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_strict() {
        assert!(validate_slug("acme-support").is_ok());
        for bad in ["", "-a", "a-", "Acme", "a b", "ä", &"a".repeat(64)] {
            assert!(validate_slug(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn modes_round_trip() {
        for m in [PortalMode::Public, PortalMode::Restricted, PortalMode::Private] {
            assert_eq!(PortalMode::parse(m.as_str()).unwrap(), m);
        }
    }
}
