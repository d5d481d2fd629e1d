//! Authorization, as a port. One question for now: may this principal do `action` on `object`
//! in its portal? Resource ownership and bulk filtering come with the authorization work.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::Principal;

/// Decides what a principal may do in its portal (the casbin domain). Deny by default: anything
/// not granted by policy is refused, and a caller treats an `Err` as a refusal.
#[async_trait]
pub trait Authorizer: Send + Sync + 'static {
    /// Whether any of the principal's roles grants `action` on `object` in the principal's portal.
    async fn check(&self, principal: &Principal, object: &str, action: &str) -> Result<bool>;

    /// The stored policy changed (another process, or the portal's policy administration):
    /// read it again before the next check. An error means the policy could not be read; until
    /// a later call succeeds every check is refused. The default does nothing.
    async fn policy_changed(&self) -> Result<()> {
        Ok(())
    }
}

/// The operations the access service asks the authorizer about, as `(object, action)`.
pub mod ops {
    /// Invite someone to the portal.
    pub const MEMBER_INVITE: (&str, &str) = ("member", "invite");
    /// Approve a pending sign-up.
    pub const MEMBER_APPROVE: (&str, &str) = ("member", "approve");
    /// Reject a pending sign-up.
    pub const MEMBER_REJECT: (&str, &str) = ("member", "reject");
    /// Suspend an active member.
    pub const MEMBER_SUSPEND: (&str, &str) = ("member", "suspend");
    /// Reactivate a suspended member.
    pub const MEMBER_REACTIVATE: (&str, &str) = ("member", "reactivate");
    /// List members.
    pub const MEMBER_LIST: (&str, &str) = ("member", "list");
    /// Revoke another member's sessions.
    pub const SESSION_REVOKE_ANY: (&str, &str) = ("session", "revoke_any");
    /// List and revoke invitations.
    pub const INVITATION_MANAGE: (&str, &str) = ("invitation", "manage");
    /// Read the audit log.
    pub const AUDIT_READ: (&str, &str) = ("audit", "read");

    /// The object under which granting a role is checked: `role:<name>` with action `grant`.
    pub fn role_object(role: &str) -> String {
        format!("role:{role}")
    }

    /// The action of [`role_object`].
    pub const GRANT: &str = "grant";
}
