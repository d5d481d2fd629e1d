//! Users, roles and memberships.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

use super::{PortalId, UserId};
use crate::error::{Error, Result};

/// A person known to one portal. Users belong to exactly one portal; the same email may exist in
/// other portals as unrelated users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Identity.
    pub id: UserId,
    /// Owning portal.
    pub portal_id: PortalId,
    /// Normalized email (see [`crate::normalize::email`]); unique per portal.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Whether the user has a second factor enrolled (lowers the minimum password length).
    pub mfa_enabled: bool,
    /// When the user record was created.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
}

/// A role name such as `customer` or `admin`: 1–64 characters of `a-z`, `0-9`, `_` and `-`.
///
/// Shared, immutable text: cloning a role (every validated request does) copies a pointer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Role(Arc<str>);

impl Role {
    /// The role everyone has before signing in.
    pub const ANONYMOUS: &'static str = "anonymous";
    /// The default role of self-registered members.
    pub const CUSTOMER: &'static str = "customer";
    /// Staff who answer requests.
    pub const AGENT: &'static str = "agent";
    /// Portal administrators.
    pub const ADMIN: &'static str = "admin";

    /// Validate and wrap a role name.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(Role(name.into()))
        } else {
            Err(Error::invalid_input("role names are 1-64 characters of a-z, 0-9, '_' and '-'"))
        }
    }

    /// The `customer` role.
    pub fn customer() -> Self {
        Role(Self::CUSTOMER.into())
    }

    /// The `agent` role.
    pub fn agent() -> Self {
        Role(Self::AGENT.into())
    }

    /// The `admin` role.
    pub fn admin() -> Self {
        Role(Self::ADMIN.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Role {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Role::new(s)
    }
}

impl From<Role> for String {
    fn from(r: Role) -> String {
        r.0.as_ref().to_owned()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The roles of a member or principal: an immutable shared list, so handing a member's roles to
/// each request's [`crate::model::Principal`] copies a pointer, not the list.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Roles(Arc<[Role]>);

impl Roles {
    /// A list of roles, duplicates removed, in the order given.
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut list: Vec<Role> = Vec::new();
        for r in roles {
            if !list.contains(&r) {
                list.push(r);
            }
        }
        Roles(list.into())
    }

    /// Whether `role` is one of them.
    pub fn contains(&self, role: &Role) -> bool {
        self.0.contains(role)
    }
}

impl std::ops::Deref for Roles {
    type Target = [Role];
    fn deref(&self) -> &[Role] {
        &self.0
    }
}

impl From<Vec<Role>> for Roles {
    fn from(roles: Vec<Role>) -> Self {
        Roles::new(roles)
    }
}

impl<const N: usize> From<[Role; N]> for Roles {
    fn from(roles: [Role; N]) -> Self {
        Roles::new(roles)
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        Roles::new(iter)
    }
}

impl<'a> IntoIterator for &'a Roles {
    type Item = &'a Role;
    type IntoIter = std::slice::Iter<'a, Role>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl PartialEq<Vec<Role>> for Roles {
    fn eq(&self, other: &Vec<Role>) -> bool {
        *self.0 == **other
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl Serialize for Roles {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Roles {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Vec::<Role>::deserialize(deserializer).map(Roles::new)
    }
}

/// Where a member stands in a portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Invited by an admin; joins by accepting the invitation.
    Invited,
    /// Signed up to a restricted portal; waits for an admin's decision.
    PendingApproval,
    /// May sign in.
    Active,
    /// Blocked by an admin; may be reactivated.
    Suspended,
    /// Sign-up refused by an admin.
    Rejected,
}

impl MemberStatus {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Invited => "invited",
            MemberStatus::PendingApproval => "pending_approval",
            MemberStatus::Active => "active",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Rejected => "rejected",
        }
    }

    /// Parse the stable name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "invited" => MemberStatus::Invited,
            "pending_approval" => MemberStatus::PendingApproval,
            "active" => MemberStatus::Active,
            "suspended" => MemberStatus::Suspended,
            "rejected" => MemberStatus::Rejected,
            _ => return Err(Error::invalid_input("unknown member status")),
        })
    }
}

/// A user's standing and roles in their portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The portal.
    pub portal_id: PortalId,
    /// The member.
    pub user_id: UserId,
    /// Roles granted in this portal.
    pub roles: Roles,
    /// Standing.
    pub status: MemberStatus,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
}

/// A stored password hash (a PHC string such as `$argon2id$v=19$…`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordCredential {
    /// The portal.
    pub portal_id: PortalId,
    /// The user.
    pub user_id: UserId,
    /// PHC string of the hash.
    pub phc: String,
    /// When it was last set.
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for PasswordCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hash is a secret too (offline cracking); keep it out of logs.
        f.debug_struct("PasswordCredential")
            .field("portal_id", &self.portal_id)
            .field("user_id", &self.user_id)
            .field("phc", &"<redacted>")
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_validated() {
        assert!(Role::new("team-lead_2").is_ok());
        for bad in ["", "Admin", "a b", "x,y", "*", &"r".repeat(65)] {
            assert_eq!(Role::new(bad).unwrap_err().kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        use MemberStatus::*;
        for s in [Invited, PendingApproval, Active, Suspended, Rejected] {
            assert_eq!(MemberStatus::parse(s.as_str()).unwrap(), s);
        }
    }
}
