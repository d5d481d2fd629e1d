//! Member administration: the approval queue, suspension, listing, and the audit log.

use super::AccessService;
use crate::error::{Error, Result};
use crate::model::{AuditEvent, AuditEventId, AuditOutcome, MemberStatus, Membership, Principal, User, UserId};
use crate::ports::ops;

/// A member as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user record.
    pub user: User,
    /// Their standing and roles.
    pub membership: Membership,
}

/// A page of the member list.
#[derive(Debug, Clone, Default)]
pub struct MemberQuery {
    /// Only members of this status (e.g. `PendingApproval` for the approval queue).
    pub status: Option<MemberStatus>,
    /// Continue after this user id (the last one of the previous page).
    pub after: Option<UserId>,
    /// Page size; 0 means 50, and at most 500 are returned.
    pub limit: u32,
}

impl AccessService {
    /// Approve a pending sign-up: `PendingApproval` → `Active`.
    pub async fn approve(&self, who: &Principal, user: UserId) -> Result<Membership> {
        self.retrying(|| self.approve_once(who, user)).await
    }

    async fn approve_once(&self, who: &Principal, user: UserId) -> Result<Membership> {
        self.transition(who, user, ops::MEMBER_APPROVE, &[MemberStatus::PendingApproval], MemberStatus::Active).await
    }

    /// Reject a pending sign-up: `PendingApproval` → `Rejected`.
    pub async fn reject(&self, who: &Principal, user: UserId) -> Result<Membership> {
        self.retrying(|| self.reject_once(who, user)).await
    }

    async fn reject_once(&self, who: &Principal, user: UserId) -> Result<Membership> {
        self.transition(who, user, ops::MEMBER_REJECT, &[MemberStatus::PendingApproval], MemberStatus::Rejected).await
    }

    /// Suspend a member: `Active` → `Suspended`; their sessions end in the same transaction (S5).
    pub async fn suspend(&self, who: &Principal, user: UserId) -> Result<Membership> {
        self.retrying(|| self.suspend_once(who, user)).await
    }

    async fn suspend_once(&self, who: &Principal, user: UserId) -> Result<Membership> {
        if who.user_id == Some(user) {
            return Err(Error::invalid_input("you cannot suspend yourself"));
        }
        self.transition(who, user, ops::MEMBER_SUSPEND, &[MemberStatus::Active], MemberStatus::Suspended).await
    }

    /// Reactivate a suspended member: `Suspended` → `Active`; their login throttle is cleared.
    pub async fn reactivate(&self, who: &Principal, user: UserId) -> Result<Membership> {
        self.retrying(|| self.reactivate_once(who, user)).await
    }

    async fn reactivate_once(&self, who: &Principal, user: UserId) -> Result<Membership> {
        self.transition(who, user, ops::MEMBER_REACTIVATE, &[MemberStatus::Suspended], MemberStatus::Active).await
    }

    async fn transition(
        &self,
        who: &Principal,
        user: UserId,
        op: (&str, &str),
        from: &[MemberStatus],
        to: MemberStatus,
    ) -> Result<Membership> {
        self.authorize(who, op).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let target = tx.get_user(who.portal_id, user).await?.ok_or_else(|| Error::not_found("no such member"))?;
        let mut m = tx.get_membership(who.portal_id, user).await?.ok_or_else(|| Error::not_found("no such member"))?;
        if !from.contains(&m.status) {
            return Err(Error::conflict(format!("member is {}, not {}", m.status.as_str(), from[0].as_str())));
        }
        let before = m.status;
        m.status = to;
        m.updated_at = now;
        m.version = tx.update_membership(&m).await?;
        if to != MemberStatus::Active {
            tx.delete_user_sessions(who.portal_id, user, None).await?;
        } else if before == MemberStatus::Suspended {
            tx.clear_throttle(who.portal_id, &target.email).await?;
        }
        let action = format!("{}.{}", op.0, op.1);
        tx.append_audit(
            &AuditEvent::new(who, now, &action, AuditOutcome::Success)
                .target(user)
                .detail("from", before.as_str())
                .detail("to", to.as_str()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(portal = %who.portal_id, user = %user, action = %action, "membership changed");
        Ok(m)
    }

    /// One member (needs `member.list`).
    pub async fn member(&self, who: &Principal, user: UserId) -> Result<Member> {
        self.retrying(|| self.member_once(who, user)).await
    }

    async fn member_once(&self, who: &Principal, user: UserId) -> Result<Member> {
        self.authorize(who, ops::MEMBER_LIST).await?;
        let mut tx = self.begin().await?;
        let u = tx.get_user(who.portal_id, user).await?.ok_or_else(|| Error::not_found("no such member"))?;
        let m = tx.get_membership(who.portal_id, user).await?.ok_or_else(|| Error::not_found("no such member"))?;
        tx.commit().await?;
        Ok(Member { user: u, membership: m })
    }

    /// A page of members of the principal's portal (needs `member.list`).
    pub async fn list_members(&self, who: &Principal, query: MemberQuery) -> Result<Vec<Member>> {
        self.retrying(|| self.list_members_once(who, query.clone())).await
    }

    async fn list_members_once(&self, who: &Principal, query: MemberQuery) -> Result<Vec<Member>> {
        self.authorize(who, ops::MEMBER_LIST).await?;
        let limit = match query.limit {
            0 => 50,
            n => n.min(500),
        };
        let mut tx = self.begin().await?;
        let memberships = tx.list_memberships(who.portal_id, query.status, query.after, limit).await?;
        let mut out = Vec::with_capacity(memberships.len());
        for m in memberships {
            if let Some(user) = tx.get_user(who.portal_id, m.user_id).await? {
                out.push(Member { user, membership: m });
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The portal's audit log, newest first (needs `audit.read`). `limit` 0 means 100; at most
    /// 1,000.
    pub async fn audit_log(
        &self,
        who: &Principal,
        before: Option<AuditEventId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        self.retrying(|| self.audit_log_once(who, before, limit)).await
    }

    async fn audit_log_once(
        &self,
        who: &Principal,
        before: Option<AuditEventId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        self.authorize(who, ops::AUDIT_READ).await?;
        let limit = match limit {
            0 => 100,
            n => n.min(1000),
        };
        let mut tx = self.begin().await?;
        let v = tx.list_audit(who.portal_id, before, limit).await?;
        tx.commit().await?;
        Ok(v)
    }
}
