//! Authorization, as a port: three questions, answered from one policy.
//!
//! - [`Authorizer::check`]: may this principal do `action` on `object` in its portal?
//! - [`Authorizer::filter`]: which of these records may it act on? (lists, search hits,
//!   exports — every read surface goes through it)
//! - [`Authorizer::readable_labels`]: which visibility labels of a kind may it read? (what a
//!   search index filters on)
//!
//! Records map to policy objects by a fixed convention, so one policy line covers a whole class
//! of records: a record with a visibility label is the object `<kind>:<label>` (for instance
//! `article:internal`); a record without one is `<kind>:any`, and also `<kind>:own` when the
//! principal owns it and `<kind>:org_shared` when it is shared with the principal's
//! organisation (Z4: same organisation but not shared grants nothing).

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{OrganizationId, PolicyRule, Principal, UserId};

/// A record as authorization sees it (kind given once per call).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Item<'a> {
    /// Visibility label (`public`, `customers`, `internal`, …); decides alone when present.
    pub label: Option<&'a str>,
    /// The member who owns it (a ticket's requester).
    pub owner: Option<UserId>,
    /// The organisation it belongs to.
    pub organization: Option<OrganizationId>,
    /// Whether its owner shared it with the organisation.
    pub shared_with_organization: bool,
}

impl<'a> Item<'a> {
    /// A record with a visibility label.
    pub fn labeled(label: &'a str) -> Self {
        Item { label: Some(label), ..Item::default() }
    }

    /// A record owned by `owner`, optionally in an organisation and shared with it.
    pub fn owned(owner: UserId, organization: Option<OrganizationId>, shared: bool) -> Self {
        Item { owner: Some(owner), organization, shared_with_organization: shared, label: None }
    }

    /// The policy objects this record answers to for `principal`, by the module's convention.
    pub fn objects(&self, kind: &str, principal: &Principal) -> Vec<String> {
        if let Some(label) = self.label {
            return vec![format!("{kind}:{label}")];
        }
        let mut objects = vec![format!("{kind}:any")];
        if self.owner.is_some() && self.owner == principal.user_id {
            objects.push(format!("{kind}:own"));
        }
        if self.shared_with_organization && self.organization.is_some() && self.organization == principal.organization {
            objects.push(format!("{kind}:org_shared"));
        }
        objects
    }
}

/// One question put to a policy that is not in force yet: may `principal` do `action` on
/// `object`?
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    /// Who asks (its portal and roles count).
    pub principal: &'a Principal,
    /// The policy object.
    pub object: &'a str,
    /// The action.
    pub action: &'a str,
}

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

    /// Try a whole policy — the stored one as a proposed change would leave it — without
    /// applying it: `Err` (`ConfigInvalid`) when the model cannot hold one of `rules`, else for
    /// each probe whether that policy would allow it. The policy administration uses it to refuse
    /// a change before anything is stored. The default cannot tell (`Unsupported`).
    async fn try_policy(&self, rules: &[PolicyRule], probes: &[Probe<'_>]) -> Result<Vec<bool>> {
        let _ = (rules, probes);
        Err(crate::Error::new(crate::ErrorKind::Unsupported, "this authorizer cannot try a policy"))
    }

    /// For each item of `kind`, whether the principal may do `action` on it; the same answers
    /// as [`Authorizer::check`] on the item's objects, one per item, in order. The default asks
    /// `check`; implementations answer many items at a time.
    async fn filter(&self, principal: &Principal, kind: &str, action: &str, items: &[Item<'_>]) -> Result<Vec<bool>> {
        let mut allowed = Vec::with_capacity(items.len());
        for item in items {
            let mut any = false;
            for object in item.objects(kind, principal) {
                if self.check(principal, &object, action).await? {
                    any = true;
                    break;
                }
            }
            allowed.push(any);
        }
        Ok(allowed)
    }

    /// The visibility labels of `kind` whose records the principal may `action`: every label
    /// `l` with `check(principal, "<kind>:<l>", action)`. The default knows no labels (deny).
    async fn readable_labels(&self, principal: &Principal, kind: &str, action: &str) -> Result<Vec<String>> {
        let _ = (principal, kind, action);
        Ok(Vec::new())
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
    /// Manage one's own account: list and end one's sessions, change one's password. (Signing
    /// out is never refused.)
    pub const ACCOUNT_MANAGE: (&str, &str) = ("account", "manage");
    /// Write knowledge-base articles: create, edit, publish, archive, restore, see drafts.
    pub const ARTICLE_WRITE: (&str, &str) = ("article", "write");
    /// Read search analytics (what was searched, what was not found).
    pub const KB_ANALYTICS: (&str, &str) = ("kb_analytics", "read");
    /// Shape the knowledge base's category tree.
    pub const CATEGORY_MANAGE: (&str, &str) = ("category", "manage");
    /// List, add and remove the portal's own policy lines.
    pub const POLICY_MANAGE: (&str, &str) = ("policy", "manage");

    /// The object under which granting a role is checked: `role:<name>` with action `grant`.
    pub fn role_object(role: &str) -> String {
        format!("role:{role}")
    }

    /// The action of [`role_object`].
    pub const GRANT: &str = "grant";
}
