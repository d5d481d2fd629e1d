//! Invitations: bound to one email, one portal and one role; random, hashed, expiring,
//! single-use and revocable (T1, T5).

use chrono::Duration;

use super::AccessService;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AuditEvent, AuditOutcome, Invitation, InvitationId, MemberStatus, Membership, PasswordCredential, Portal,
    Principal, Role, Roles, User, UserId,
};
use crate::normalize;
use crate::ports::{ops, Transaction};
use crate::secret::{Password, SecretToken};

/// An invitation and its token. The token is shown only here: deliver it to the invitee (an
/// email link) and never log it.
#[derive(Debug)]
pub struct IssuedInvitation {
    /// The stored invitation (holds only the token's hash).
    pub invitation: Invitation,
    /// The token to deliver.
    pub token: SecretToken,
}

/// What an invitee submits to join.
#[derive(Debug, Clone)]
pub struct AcceptInvitation {
    /// The token from the invitation.
    pub token: String,
    /// The password they choose.
    pub password: String,
    /// Their display name (empty: the email's local part).
    pub display_name: String,
}

fn invalid_invitation() -> Error {
    Error::new(ErrorKind::Unauthenticated, "invitation is invalid, expired or already used")
}

impl AccessService {
    /// Invite `email` with `role`. The inviter needs `member.invite` and the right to grant that
    /// role, so an invitation can never hand out more than its issuer may (T5). An earlier open
    /// invitation of the same address is revoked.
    pub async fn invite(&self, who: &Principal, email: &str, role: Role) -> Result<IssuedInvitation> {
        self.retrying(|| self.invite_once(who, email, role.clone())).await
    }

    async fn invite_once(&self, who: &Principal, email: &str, role: Role) -> Result<IssuedInvitation> {
        self.authorize(who, ops::MEMBER_INVITE).await?;
        self.authorize(who, (&ops::role_object(role.as_str()), ops::GRANT)).await?;
        let email = normalize::email(email)?;
        let mut tx = self.begin().await?;
        let portal = Self::load_portal(tx.as_mut(), who.portal_id).await?;
        let issued = self.issue_invitation(tx.as_mut(), who, &portal, &email, role).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Create the invitation (and an `Invited` placeholder member) inside `tx`.
    pub(super) async fn issue_invitation(
        &self,
        tx: &mut dyn Transaction,
        who: &Principal,
        portal: &Portal,
        email: &str,
        role: Role,
    ) -> Result<IssuedInvitation> {
        let now = self.now();
        match tx.find_user_by_email(portal.id, email).await? {
            Some(user) => {
                let m = tx.get_membership(portal.id, user.id).await?;
                if m.map(|m| m.status) != Some(MemberStatus::Invited) {
                    return Err(Error::new(ErrorKind::AlreadyExists, "this address already has an account"));
                }
                for old in tx.list_open_invitations(portal.id, now).await? {
                    if old.email == email {
                        tx.revoke_invitation(portal.id, old.id, now).await?;
                    }
                }
            }
            None => {
                let user = User {
                    id: UserId::new(),
                    portal_id: portal.id,
                    email: email.to_owned(),
                    display_name: normalize::display_name("", email)?,
                    mfa_enabled: false,
                    created_at: now,
                    version: 1,
                };
                tx.insert_user(&user).await?;
                tx.insert_membership(&Membership {
                    portal_id: portal.id,
                    user_id: user.id,
                    roles: Roles::default(),
                    status: MemberStatus::Invited,
                    updated_at: now,
                    version: 1,
                })
                .await?;
            }
        }
        let token = SecretToken::generate()?;
        let invitation = Invitation {
            id: InvitationId::new(),
            portal_id: portal.id,
            email: email.to_owned(),
            role,
            token_hash: token.hash(),
            invited_by: who.user_id,
            created_at: now,
            expires_at: now + Duration::seconds(i64::from(self.config.invitation_ttl_secs)),
            accepted_at: None,
            revoked_at: None,
        };
        tx.insert_invitation(&invitation).await?;
        tx.append_audit(
            &AuditEvent::new(who, now, "member.invite", AuditOutcome::Success)
                .target(invitation.id)
                .detail("role", invitation.role.as_str()),
        )
        .await?;
        Ok(IssuedInvitation { invitation, token })
    }

    /// Accept an invitation: sets the password and activates the member with exactly the
    /// invitation's role. Works once, before expiry, unless revoked; a refused token costs no
    /// write. Does not sign in: the member then calls [`AccessService::login`].
    pub async fn accept_invitation(&self, who: &Principal, form: AcceptInvitation) -> Result<UserId> {
        self.retrying(|| self.accept_invitation_once(who, form.clone())).await
    }

    async fn accept_invitation_once(&self, who: &Principal, form: AcceptInvitation) -> Result<UserId> {
        let token = SecretToken::parse(&form.token).map_err(|_| invalid_invitation())?;
        let password = Password::new(&form.password)?;
        let now = self.now();
        let (portal, invitation) = {
            let mut tx = self.begin().await?;
            let portal = Self::load_portal(tx.as_mut(), who.portal_id).await?;
            let inv = tx.find_invitation(portal.id, &token.hash()).await?;
            tx.commit().await?;
            match inv {
                Some(inv) if inv.is_open(now) => (portal, inv),
                _ => {
                    self.audit_alone(AuditEvent::new(who, now, "invitation.accept", AuditOutcome::Failure)).await;
                    return Err(invalid_invitation());
                }
            }
        };
        let display_name = normalize::display_name(&form.display_name, &invitation.email)?;
        self.check_new_password(&portal, &invitation.email, &password, false)?;
        let phc = self.ports.hasher.hash(&password).await?;

        let mut tx = self.begin().await?;
        // The conditional update is what makes a token single-use under concurrency (T2).
        if !tx.accept_invitation(portal.id, invitation.id, now).await? {
            return Err(invalid_invitation());
        }
        let mut user = tx
            .find_user_by_email(portal.id, &invitation.email)
            .await?
            .ok_or_else(|| Error::internal("invited user record is missing"))?;
        let mut membership = tx
            .get_membership(portal.id, user.id)
            .await?
            .ok_or_else(|| Error::internal("invited membership is missing"))?;
        if membership.status != MemberStatus::Invited {
            // Never let an old invitation revive a suspended or rejected account.
            return Err(Error::conflict("this account is not waiting for an invitation"));
        }
        membership.status = MemberStatus::Active;
        membership.roles = [invitation.role.clone()].into();
        membership.updated_at = now;
        tx.update_membership(&membership).await?;
        user.display_name = display_name;
        tx.update_user(&user).await?;
        tx.set_password(&PasswordCredential { portal_id: portal.id, user_id: user.id, phc, updated_at: now }).await?;
        let actor = Principal { user_id: Some(user.id), ..who.clone() };
        tx.append_audit(
            &AuditEvent::new(&actor, now, "invitation.accept", AuditOutcome::Success)
                .target(invitation.id)
                .detail("role", invitation.role.as_str()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(portal = %portal.id, user = %user.id, "invitation accepted");
        Ok(user.id)
    }

    /// Revoke an open invitation (needs `invitation.manage`).
    pub async fn revoke_invitation(&self, who: &Principal, id: InvitationId) -> Result<()> {
        self.retrying(|| self.revoke_invitation_once(who, id)).await
    }

    async fn revoke_invitation_once(&self, who: &Principal, id: InvitationId) -> Result<()> {
        self.authorize(who, ops::INVITATION_MANAGE).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        if tx.get_invitation(who.portal_id, id).await?.is_none() {
            return Err(Error::not_found("no such invitation"));
        }
        if !tx.revoke_invitation(who.portal_id, id, now).await? {
            return Err(Error::conflict("invitation is already accepted or revoked"));
        }
        tx.append_audit(&AuditEvent::new(who, now, "invitation.revoke", AuditOutcome::Success).target(id)).await?;
        tx.commit().await
    }

    /// Open invitations of the principal's portal (needs `invitation.manage`).
    pub async fn list_invitations(&self, who: &Principal) -> Result<Vec<Invitation>> {
        self.retrying(|| self.list_invitations_once(who)).await
    }

    async fn list_invitations_once(&self, who: &Principal) -> Result<Vec<Invitation>> {
        self.authorize(who, ops::INVITATION_MANAGE).await?;
        let mut tx = self.begin().await?;
        let v = tx.list_open_invitations(who.portal_id, self.now()).await?;
        tx.commit().await?;
        Ok(v)
    }
}
