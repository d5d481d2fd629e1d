//! Password reset (single-use hashed tokens, short expiry, the same answer for every email) and
//! password change (needs the current password).

use chrono::{DateTime, Duration, Utc};

use super::sessions::invalid_credentials;
use super::AccessService;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AuditEvent, AuditOutcome, MemberStatus, OneTimeToken, PasswordCredential, Principal, TokenId, TokenPurpose, UserId,
};
use crate::normalize;
use crate::secret::{Password, SecretToken};

/// The outcome of a reset request. Answer the client the same way whatever it holds ("if the
/// address is registered, we sent a link"); only deliver the token, by email, when there is one.
#[derive(Debug)]
pub struct PasswordResetRequest {
    /// `Some` when a token was issued; send it to the address and nowhere else.
    pub delivery: Option<ResetDelivery>,
}

/// A reset token to send to its owner.
#[derive(Debug)]
pub struct ResetDelivery {
    /// The account.
    pub user_id: UserId,
    /// Where to send it.
    pub email: String,
    /// The token (goes in the link; never logged).
    pub token: SecretToken,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

fn invalid_reset_token() -> Error {
    Error::new(ErrorKind::Unauthenticated, "reset link is invalid, expired or already used")
}

impl AccessService {
    /// Issue a password-reset token for `email` if it belongs to a member who may sign in or is
    /// waiting for approval or suspended; a newer token revokes older ones (T2).
    pub async fn request_password_reset(&self, who: &Principal, email: &str) -> Result<PasswordResetRequest> {
        self.retrying(|| self.request_password_reset_once(who, email)).await
    }

    async fn request_password_reset_once(&self, who: &Principal, email: &str) -> Result<PasswordResetRequest> {
        let email = normalize::email(email)?;
        // Generated for every request so known and unknown addresses do the same work.
        let token = SecretToken::generate()?;
        let now = self.now();
        let expires_at = now + Duration::seconds(i64::from(self.config.reset_token_ttl_secs));
        let mut tx = self.begin().await?;
        Self::load_portal(tx.as_mut(), who.portal_id).await?;
        let user = tx.find_user_by_email(who.portal_id, &email).await?;
        let eligible = match &user {
            Some(u) => matches!(
                tx.get_membership(who.portal_id, u.id).await?.map(|m| m.status),
                Some(MemberStatus::Active | MemberStatus::PendingApproval | MemberStatus::Suspended)
            ),
            None => false,
        };
        let delivery = match user {
            Some(u) if eligible => {
                tx.revoke_tokens(who.portal_id, u.id, TokenPurpose::PasswordReset, now).await?;
                tx.insert_token(&OneTimeToken {
                    id: TokenId::new(),
                    portal_id: who.portal_id,
                    user_id: u.id,
                    purpose: TokenPurpose::PasswordReset,
                    token_hash: token.hash(),
                    created_at: now,
                    expires_at,
                    used_at: None,
                })
                .await?;
                tx.append_audit(
                    &AuditEvent::new(who, now, "password.reset_request", AuditOutcome::Success).target(u.id),
                )
                .await?;
                Some(ResetDelivery { user_id: u.id, email: u.email, token, expires_at })
            }
            _ => {
                tx.append_audit(
                    &AuditEvent::new(who, now, "password.reset_request", AuditOutcome::Failure)
                        .detail("email", &email)
                        .detail("reason", "no_eligible_account"),
                )
                .await?;
                None
            }
        };
        tx.commit().await?;
        Ok(PasswordResetRequest { delivery })
    }

    /// Set a new password with a reset token. The token works once (also under concurrent
    /// redemption, T2); every session of the account ends (S4); the throttle is cleared. The
    /// caller is not signed in (M4): they sign in with the new password.
    pub async fn reset_password(&self, who: &Principal, token: &str, new_password: &str) -> Result<()> {
        self.retrying(|| self.reset_password_once(who, token, new_password)).await
    }

    async fn reset_password_once(&self, who: &Principal, token: &str, new_password: &str) -> Result<()> {
        let token = SecretToken::parse(token).map_err(|_| invalid_reset_token())?;
        let password = Password::new(new_password)?;
        let hash = token.hash();
        let now = self.now();
        let (portal, user) = {
            let mut tx = self.begin().await?;
            let portal = Self::load_portal(tx.as_mut(), who.portal_id).await?;
            let found = tx.find_token(who.portal_id, &hash).await?;
            let usable =
                found.filter(|t| t.purpose == TokenPurpose::PasswordReset && t.used_at.is_none() && now < t.expires_at);
            let user = match usable {
                Some(t) => tx.get_user(who.portal_id, t.user_id).await?,
                None => None,
            };
            tx.commit().await?;
            match user {
                Some(u) => (portal, u),
                None => {
                    self.audit_alone(AuditEvent::new(who, now, "password.reset", AuditOutcome::Failure)).await;
                    return Err(invalid_reset_token());
                }
            }
        };
        self.check_new_password(&portal, &user.email, &password, user.mfa_enabled)?;
        let phc = self.ports.hasher.hash(&password).await?;
        let mut tx = self.begin().await?;
        let Some(used) = tx.consume_token(who.portal_id, &hash, TokenPurpose::PasswordReset, now).await? else {
            return Err(invalid_reset_token());
        };
        if used.user_id != user.id {
            return Err(Error::internal("reset token changed owner"));
        }
        tx.set_password(&PasswordCredential { portal_id: who.portal_id, user_id: user.id, phc, updated_at: now })
            .await?;
        tx.revoke_tokens(who.portal_id, user.id, TokenPurpose::PasswordReset, now).await?;
        let ended = tx.delete_user_sessions(who.portal_id, user.id, None).await?;
        tx.clear_throttle(who.portal_id, &user.email).await?;
        let actor = Principal { user_id: Some(user.id), ..who.clone() };
        tx.append_audit(
            &AuditEvent::new(&actor, now, "password.reset", AuditOutcome::Success)
                .target(user.id)
                .detail("sessions_ended", ended),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(portal = %who.portal_id, user = %user.id, "password reset");
        Ok(())
    }

    /// Change the signed-in principal's password. The current password is required and checked
    /// under the login throttle (A8); the other sessions end, the current one stays (S4); open
    /// reset tokens die (T2).
    pub async fn change_password(&self, who: &Principal, current: &str, new_password: &str) -> Result<()> {
        self.retrying(|| self.change_password_once(who, current, new_password)).await
    }

    async fn change_password_once(&self, who: &Principal, current: &str, new_password: &str) -> Result<()> {
        let user_id = self.own_account(who).await?;
        let current = Password::new(current)?;
        let new_password = Password::new(new_password)?;
        let (portal, user) = {
            let mut tx = self.begin().await?;
            let portal = Self::load_portal(tx.as_mut(), who.portal_id).await?;
            let user = tx.get_user(who.portal_id, user_id).await?.ok_or_else(|| Error::not_found("no such user"))?;
            tx.commit().await?;
            (portal, user)
        };
        let attempt = self.attempt_password(who, &user.email, &current).await?;
        let now = self.now();
        if !attempt.password_ok || attempt.user.as_ref().map(|u| u.id) != Some(user.id) {
            self.audit_alone(
                AuditEvent::new(who, now, "password.change", AuditOutcome::Failure).detail("reason", "bad_password"),
            )
            .await;
            return Err(invalid_credentials());
        }
        self.check_new_password(&portal, &user.email, &new_password, user.mfa_enabled)?;
        let phc = self.ports.hasher.hash(&new_password).await?;
        let mut tx = self.begin().await?;
        tx.clear_throttle(who.portal_id, &user.email).await?;
        tx.set_password(&PasswordCredential { portal_id: who.portal_id, user_id: user.id, phc, updated_at: now })
            .await?;
        tx.revoke_tokens(who.portal_id, user.id, TokenPurpose::PasswordReset, now).await?;
        let ended = tx.delete_user_sessions(who.portal_id, user.id, who.session_id).await?;
        tx.append_audit(
            &AuditEvent::new(who, now, "password.change", AuditOutcome::Success)
                .target(user.id)
                .detail("sessions_ended", ended),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(portal = %who.portal_id, user = %user.id, "password changed");
        Ok(())
    }
}
