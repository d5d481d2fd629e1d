//! Invitations: the only way into a private portal, and how admins add staff.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{InvitationId, PortalId, Role, UserId};
use crate::secret::TokenHash;

/// An invitation, bound to one email, one portal and one role. Its token is shown once to the
/// inviter (to deliver) and stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Identity.
    pub id: InvitationId,
    /// The portal.
    pub portal_id: PortalId,
    /// Normalized email of the invitee; only this address can accept.
    pub email: String,
    /// The role the invitee receives, and no other.
    pub role: Role,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// Who invited (`None` for the portal owner's bootstrap invitation).
    pub invited_by: Option<UserId>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted, if it was.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// Whether it can still be accepted at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}
