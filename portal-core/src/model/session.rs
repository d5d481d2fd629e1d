//! Sessions and the principal a request acts as.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{OrganizationId, PortalId, Role, Roles, SessionId, UserId};
use crate::secret::TokenHash;

/// A sign-in session. Only the hash of its token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Identity (safe to show; not a credential).
    pub id: SessionId,
    /// The portal.
    pub portal_id: PortalId,
    /// The signed-in user.
    pub user_id: UserId,
    /// SHA-256 of the bearer token.
    pub token_hash: TokenHash,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last time it was used (coarse: updated at most once per touch interval).
    pub last_seen_at: DateTime<Utc>,
    /// Absolute expiry, whatever the activity.
    pub expires_at: DateTime<Utc>,
    /// When the user last proved their password (for re-authentication checks).
    pub auth_time: DateTime<Utc>,
}

/// Who is acting: an anonymous visitor or a signed-in member of one portal, plus the request id
/// that audit rows carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The portal the request is for.
    pub portal_id: PortalId,
    /// The signed-in user, if any.
    pub user_id: Option<UserId>,
    /// The session used, if any.
    pub session_id: Option<SessionId>,
    /// Roles in this portal (`anonymous` for visitors).
    pub roles: Roles,
    /// The customer organisation the user belongs to, if any (records its members shared with
    /// it are visible to them).
    pub organization: Option<OrganizationId>,
    /// When the user last proved their password.
    pub auth_time: Option<DateTime<Utc>>,
    /// The host's request id, copied into audit rows.
    pub request_id: Option<String>,
}

impl Principal {
    /// An anonymous visitor of `portal_id`.
    pub fn anonymous(portal_id: PortalId) -> Self {
        Principal {
            portal_id,
            user_id: None,
            session_id: None,
            roles: [Role::new(Role::ANONYMOUS).expect("constant role name is valid")].into(),
            organization: None,
            auth_time: None,
            request_id: None,
        }
    }

    /// The same principal, tagged with the host's request id (at most 128 characters are kept).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        let id: String = request_id.into();
        self.request_id = Some(id.chars().take(128).collect());
        self
    }

    /// Whether this is a signed-in member.
    pub fn is_authenticated(&self) -> bool {
        self.user_id.is_some()
    }

    /// Whether the principal holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.as_str() == role)
    }
}
