//! Creating portals and self-registration in the three modes.

use serde::{Deserialize, Serialize};

use super::invitations::IssuedInvitation;
use super::AccessService;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    validate_slug, AuditEvent, AuditOutcome, MemberStatus, Membership, PasswordCredential, Portal, PortalId,
    PortalMode, Principal, Role, User, UserId,
};
use crate::normalize;
use crate::ports::ops;
use crate::secret::Password;

/// What a host gives to create a portal.
#[derive(Debug, Clone, Deserialize)]
pub struct NewPortal {
    /// URL-safe unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// How people get in.
    pub mode: PortalMode,
    /// Email of the first administrator; they receive an admin invitation (there is no default
    /// admin account or password, A11).
    pub owner_email: String,
}

/// A new portal and the invitation its owner accepts to become its first admin.
#[derive(Debug)]
pub struct CreatedPortal {
    /// The portal.
    pub portal: Portal,
    /// Deliver its token to the owner.
    pub owner_invitation: IssuedInvitation,
}

/// A sign-up form.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Email address.
    pub email: String,
    /// Chosen password.
    pub password: String,
    /// Name shown to others (empty: the email's local part).
    pub display_name: String,
}

/// The answer to a sign-up. It is the same whether or not the email was already registered, so
/// the sign-up form cannot be used to find out who has an account (A7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RegistrationReceipt {
    /// The portal's mode, which tells the host what to say next: `Public` — "you can sign in
    /// now"; `Restricted` — "an administrator will review your request".
    pub mode: PortalMode,
}

impl AccessService {
    /// Create a portal and the owner's admin invitation, in one transaction.
    pub async fn create_portal(&self, new: NewPortal) -> Result<CreatedPortal> {
        self.retrying(|| self.create_portal_once(new.clone())).await
    }

    async fn create_portal_once(&self, new: NewPortal) -> Result<CreatedPortal> {
        validate_slug(&new.slug)?;
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(Error::invalid_input("portal name must be 1-200 printable characters"));
        }
        let owner_email = normalize::email(&new.owner_email)?;
        let now = self.now();
        let portal = Portal { id: PortalId::new(), slug: new.slug, name, mode: new.mode, created_at: now, version: 1 };
        let system = Principal::anonymous(portal.id);
        let mut tx = self.begin().await?;
        tx.insert_portal(&portal).await?;
        let owner_invitation =
            self.issue_invitation(tx.as_mut(), &system, &portal, &owner_email, Role::admin()).await?;
        tx.append_audit(
            &AuditEvent::new(&system, now, "portal.create", AuditOutcome::Success)
                .target(portal.id)
                .detail("mode", portal.mode.as_str()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(portal = %portal.id, slug = %portal.slug, "portal created");
        Ok(CreatedPortal { portal, owner_invitation })
    }

    /// A portal by id, or `NotFound`.
    pub async fn portal(&self, id: PortalId) -> Result<Portal> {
        let mut tx = self.begin().await?;
        let p = Self::load_portal(tx.as_mut(), id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// A portal by slug, or `NotFound`.
    pub async fn portal_by_slug(&self, slug: &str) -> Result<Portal> {
        let mut tx = self.begin().await?;
        let p = tx.get_portal_by_slug(slug).await?.ok_or_else(|| Error::not_found("no such portal"))?;
        tx.commit().await?;
        Ok(p)
    }

    /// Self-registration. Public portals admit at once, restricted ones queue the request for
    /// an admin, private ones refuse with `PermissionDenied` (only invitations admit). The new
    /// member gets the configured sign-up role, which must not grant any admin operation (A9).
    /// No session is created: the member signs in with [`AccessService::login`].
    pub async fn register(&self, who: &Principal, form: Registration) -> Result<RegistrationReceipt> {
        self.retrying(|| self.register_once(who, form.clone())).await
    }

    async fn register_once(&self, who: &Principal, form: Registration) -> Result<RegistrationReceipt> {
        let email = normalize::email(&form.email)?;
        let display_name = normalize::display_name(&form.display_name, &email)?;
        let password = Password::new(&form.password)?;
        let portal = {
            let mut tx = self.begin().await?;
            let p = Self::load_portal(tx.as_mut(), who.portal_id).await?;
            tx.commit().await?;
            p
        };
        let status = match portal.mode {
            PortalMode::Public => MemberStatus::Active,
            PortalMode::Restricted => MemberStatus::PendingApproval,
            PortalMode::Private => {
                self.audit_alone(AuditEvent::new(who, self.now(), "member.register", AuditOutcome::Denied)).await;
                return Err(Error::permission_denied("this portal is invite-only"));
            }
        };
        self.check_new_password(&portal, &email, &password, false)?;
        self.ensure_signup_role_is_unprivileged(portal.id).await?;
        // Hash before looking at the email, so new and known addresses cost the same.
        let phc = self.ports.hasher.hash(&password).await?;
        let now = self.now();
        let user = User {
            id: UserId::new(),
            portal_id: portal.id,
            email,
            display_name,
            mfa_enabled: false,
            created_at: now,
            version: 1,
        };
        let membership = Membership {
            portal_id: portal.id,
            user_id: user.id,
            roles: [self.config.signup_role.clone()].into(),
            status,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.begin().await?;
        let created = if tx.find_user_by_email(portal.id, &user.email).await?.is_some() {
            false
        } else {
            match tx.insert_user(&user).await {
                Ok(()) => true,
                // Another sign-up with this email committed first (D8): same answer, no write.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => false,
                Err(e) => return Err(e),
            }
        };
        if created {
            tx.insert_membership(&membership).await?;
            tx.set_password(&PasswordCredential { portal_id: portal.id, user_id: user.id, phc, updated_at: now })
                .await?;
            tx.append_audit(
                &AuditEvent::new(who, now, "member.register", AuditOutcome::Success)
                    .target(user.id)
                    .detail("status", status.as_str()),
            )
            .await?;
            tx.commit().await?;
            tracing::info!(portal = %portal.id, user = %user.id, status = status.as_str(), "member registered");
        } else {
            tx.rollback().await?;
            self.audit_alone(
                AuditEvent::new(who, now, "member.register", AuditOutcome::Failure).detail("reason", "email_taken"),
            )
            .await;
        }
        Ok(RegistrationReceipt { mode: portal.mode })
    }

    /// A9: a misconfigured sign-up role that could administer the portal is refused outright.
    async fn ensure_signup_role_is_unprivileged(&self, portal: PortalId) -> Result<()> {
        let probe = Principal {
            user_id: Some(UserId::from_uuid(uuid::Uuid::nil())),
            roles: [self.config.signup_role.clone()].into(),
            ..Principal::anonymous(portal)
        };
        for op in [ops::MEMBER_INVITE, ops::MEMBER_APPROVE, ops::MEMBER_SUSPEND, ops::AUDIT_READ] {
            // An authorizer error is a refusal here too: fail closed.
            if self.ports.authorizer.check(&probe, op.0, op.1).await.unwrap_or(true) {
                return Err(Error::new(ErrorKind::ConfigInvalid, "the sign-up role must not grant admin operations"));
            }
        }
        Ok(())
    }
}
