//! Sign-in and sessions: opaque 256-bit bearer tokens stored as SHA-256 hashes, with idle and
//! absolute timeouts taken from the `Clock`.

use chrono::{DateTime, Utc};

use super::{AccessConfig, AccessService};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AuditEvent, AuditOutcome, MemberStatus, Membership, PortalId, Principal, Session, SessionId, User, UserId,
};
use crate::normalize;
use crate::ports::{ops, SessionRecord};
use crate::secret::{Password, SecretToken, TokenHash};

/// A sign-in form.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
    /// The session token the client presented before signing in, if any. It is revoked, so a
    /// token fixed before login never becomes a signed-in session (S2).
    pub replaces: Option<String>,
}

/// A session as its owner sees it (no token, no hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Identity; pass to [`AccessService::revoke_session`].
    pub id: SessionId,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// Last use (coarse).
    pub last_seen_at: DateTime<Utc>,
    /// Absolute expiry.
    pub expires_at: DateTime<Utc>,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl SessionInfo {
    fn of(s: &Session, current: Option<SessionId>) -> Self {
        SessionInfo {
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            current: current == Some(s.id),
        }
    }
}

/// What `validate_session` does after reading the session.
enum Next {
    /// Let the principal through.
    Done(Principal),
    /// Record the session's use, then let the principal through.
    Touch(Principal),
    /// Refuse, ending these sessions.
    End(Ended),
}

/// Which sessions a refused request ends.
enum Ended {
    /// This expired session.
    One(SessionId),
    /// Every session of this member.
    AllOf(UserId),
}

/// A successful sign-in.
#[derive(Debug)]
pub struct SignedIn {
    /// The bearer token: put it in a `Secure; HttpOnly` cookie, never in a URL or a log.
    pub token: SecretToken,
    /// The new session.
    pub session: SessionInfo,
    /// Who signed in, as later requests will see them.
    pub principal: Principal,
}

/// The result of checking a password with throttling.
pub(super) struct PasswordAttempt {
    pub user: Option<User>,
    pub membership: Option<Membership>,
    pub password_ok: bool,
    pub needs_rehash: bool,
}

pub(super) fn invalid_credentials() -> Error {
    Error::new(ErrorKind::Unauthenticated, "invalid email or password")
}

fn require_user(who: &Principal) -> Result<UserId> {
    who.user_id.ok_or_else(|| Error::new(ErrorKind::Unauthenticated, "sign in first"))
}

impl AccessService {
    /// Check `password` for the account `email` (normalized) in the principal's portal, under
    /// the login throttle. Exactly one hash verification runs whether the account exists, is
    /// pending or suspended, or the password is wrong (A7); a throttled attempt runs none (R2).
    pub(super) async fn attempt_password(
        &self,
        who: &Principal,
        email: &str,
        password: &Password,
    ) -> Result<PasswordAttempt> {
        let portal = who.portal_id;
        let now = self.now();
        let mut tx = self.begin().await?;
        Self::load_portal(tx.as_mut(), portal).await?;
        let state = tx.get_throttle(portal, email).await?.unwrap_or_default();
        match self.config.throttle.reserve(&state, now) {
            Ok(next) => tx.put_throttle(portal, email, &next).await?,
            Err(e) => {
                tx.append_audit(
                    &AuditEvent::new(who, now, "session.login", AuditOutcome::Denied)
                        .detail("email", email)
                        .detail("reason", "throttled"),
                )
                .await?;
                tx.commit().await?;
                return Err(e);
            }
        }
        let user = tx.find_user_by_email(portal, email).await?;
        let (membership, credential) = match &user {
            Some(u) => (tx.get_membership(portal, u.id).await?, tx.get_password(portal, u.id).await?),
            None => (None, None),
        };
        tx.commit().await?;
        let phc = match &credential {
            Some(c) => c.phc.clone(),
            None => self.dummy_hash().await?.to_owned(),
        };
        let v = self.ports.hasher.verify(password, &phc).await?;
        Ok(PasswordAttempt {
            user,
            membership,
            password_ok: credential.is_some() && v.matches,
            needs_rehash: v.needs_rehash,
        })
    }

    /// Sign in with email and password. Unknown account, wrong password, pending, suspended or
    /// rejected member: the same `Unauthenticated` error after the same work (A7, A9). Too many
    /// failures: `RateLimited`.
    pub async fn login(&self, who: &Principal, form: LoginRequest) -> Result<SignedIn> {
        self.retrying(|| self.login_once(who, form.clone())).await
    }

    async fn login_once(&self, who: &Principal, form: LoginRequest) -> Result<SignedIn> {
        let email = normalize::email(&form.email)?;
        let password = Password::new(&form.password)?;
        let attempt = self.attempt_password(who, &email, &password).await?;
        let now = self.now();
        let status = attempt.membership.as_ref().map(|m| m.status);
        let (user, membership) = match (attempt.user, attempt.membership) {
            (Some(u), Some(m)) if attempt.password_ok && m.status == MemberStatus::Active => (u, m),
            (user, _) => {
                let reason = match (&user, attempt.password_ok) {
                    (None, _) => "unknown_account",
                    (Some(_), false) => "bad_password",
                    (Some(_), true) => status.map_or("no_membership", MemberStatus::as_str),
                };
                let mut event = AuditEvent::new(who, now, "session.login", AuditOutcome::Failure)
                    .detail("email", &email)
                    .detail("reason", reason);
                if let Some(u) = &user {
                    event = event.target(u.id);
                }
                self.audit_alone(event).await;
                tracing::debug!(portal = %who.portal_id, reason, "login refused");
                return Err(invalid_credentials());
            }
        };
        let rehashed = if attempt.needs_rehash { Some(self.ports.hasher.hash(&password).await?) } else { None };
        let token = SecretToken::generate()?;
        let session = Session {
            id: SessionId::new(),
            portal_id: who.portal_id,
            user_id: user.id,
            token_hash: token.hash(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + AccessConfig::secs(self.config.session_absolute_timeout_secs),
            auth_time: now,
        };
        let mut tx = self.begin().await?;
        tx.clear_throttle(who.portal_id, &email).await?;
        // Rotation (S2): whatever session the client held before is gone after sign-in.
        if let Some(old) = who.session_id {
            tx.delete_session(who.portal_id, old).await?;
        }
        if let Some(old) = form.replaces.as_deref().and_then(|t| SecretToken::parse(t).ok()) {
            if let Some(s) = tx.find_session(who.portal_id, &old.hash()).await? {
                tx.delete_session(who.portal_id, s.id).await?;
            }
        }
        if let Some(phc) = rehashed {
            tx.set_password(&crate::model::PasswordCredential {
                portal_id: who.portal_id,
                user_id: user.id,
                phc,
                updated_at: now,
            })
            .await?;
        }
        tx.insert_session(&session).await?;
        let principal = Principal {
            portal_id: who.portal_id,
            user_id: Some(user.id),
            session_id: Some(session.id),
            roles: membership.roles.clone(),
            // Organisation membership arrives with the organisations feature.
            organization: None,
            auth_time: Some(now),
            request_id: who.request_id.clone(),
        };
        tx.append_audit(&AuditEvent::new(&principal, now, "session.login", AuditOutcome::Success).target(session.id))
            .await?;
        tx.commit().await?;
        tracing::info!(portal = %who.portal_id, user = %user.id, session = %session.id, "signed in");
        Ok(SignedIn { token, session: SessionInfo::of(&session, Some(session.id)), principal })
    }

    /// Turn a bearer token into the principal it stands for, or `Unauthenticated` if it is
    /// unknown, expired (idle or absolute), or its member is no longer active. Roles are read
    /// fresh on every call, so a revoked role is gone on the next request (S5).
    ///
    /// The common case is one read and no write; a transaction is opened only to expire the
    /// session, end the sessions of an inactive member, or record use (at most once per
    /// `session_touch_interval_secs`).
    pub async fn validate_session(&self, portal: PortalId, token: &str) -> Result<Principal> {
        let hash = TokenHash::of_presented(token)?;
        // Timeouts are minutes long: the clock's last tick is precise enough, and cheaper.
        let now = self.ports.clock.now_coarse();
        let storage = &self.ports.storage;
        let record = match storage.find_session_record_now(portal, &hash) {
            Some(answer) => answer?,
            None => storage.find_session_record(portal, &hash).await?,
        };
        // Only small values stay alive across the awaits below, keeping this future small.
        match self.judge(portal, record, now)? {
            Next::Done(principal) => Ok(principal),
            // The rare paths write; boxed, they add a pointer to this future, not their state.
            Next::Touch(principal) => Box::pin(self.touch_session(principal, now)).await,
            Next::End(ended) => Box::pin(self.end_sessions(portal, ended)).await,
        }
    }

    /// What a stored session means at `now`; no I/O.
    fn judge(&self, portal: PortalId, record: Option<SessionRecord>, now: DateTime<Utc>) -> Result<Next> {
        let SessionRecord { session, membership } =
            record.ok_or_else(|| Error::new(ErrorKind::Unauthenticated, "unknown session"))?;
        // Whole microseconds since last use: integer arithmetic on the per-request path.
        let unused_for = now.timestamp_micros() - session.last_seen_at.timestamp_micros();
        let micros = |secs: u32| i64::from(secs) * 1_000_000;
        if now >= session.expires_at || unused_for >= micros(self.config.session_idle_timeout_secs) {
            return Ok(Next::End(Ended::One(session.id)));
        }
        let roles = match membership {
            Some(m) if m.status == MemberStatus::Active => m.roles,
            _ => return Ok(Next::End(Ended::AllOf(session.user_id))),
        };
        let principal = Principal {
            portal_id: portal,
            user_id: Some(session.user_id),
            session_id: Some(session.id),
            roles,
            organization: None,
            auth_time: Some(session.auth_time),
            request_id: None,
        };
        Ok(if unused_for >= micros(self.config.session_touch_interval_secs) {
            Next::Touch(principal)
        } else {
            Next::Done(principal)
        })
    }

    /// Record use of the principal's session, then let it through. Best effort: a concurrent
    /// request touching the same session may win the race, and the session is valid either way.
    async fn touch_session(&self, principal: Principal, now: DateTime<Utc>) -> Result<Principal> {
        let Some(id) = principal.session_id else { return Ok(principal) };
        let touched = async {
            let mut tx = self.begin().await?;
            tx.touch_session(principal.portal_id, id, now).await?;
            tx.commit().await
        }
        .await;
        match touched {
            Err(e) if e.nothing_written() => tracing::debug!(error = %e, "session touch skipped"),
            other => other?,
        }
        Ok(principal)
    }

    /// Delete an expired session, or all sessions of a member who is no longer active; the
    /// request is refused either way.
    async fn end_sessions(&self, portal: PortalId, ended: Ended) -> Result<Principal> {
        let mut tx = self.begin().await?;
        let why = match ended {
            Ended::One(id) => {
                tx.delete_session(portal, id).await?;
                "session expired"
            }
            Ended::AllOf(user) => {
                tx.delete_user_sessions(portal, user, None).await?;
                "account is not active"
            }
        };
        tx.commit().await?;
        Err(Error::new(ErrorKind::Unauthenticated, why))
    }

    /// End the principal's current session.
    pub async fn logout(&self, who: &Principal) -> Result<()> {
        self.retrying(|| self.logout_once(who)).await
    }

    async fn logout_once(&self, who: &Principal) -> Result<()> {
        require_user(who)?;
        let id = who.session_id.ok_or_else(|| Error::new(ErrorKind::Unauthenticated, "no session"))?;
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.delete_session(who.portal_id, id).await?;
        tx.append_audit(&AuditEvent::new(who, now, "session.logout", AuditOutcome::Success).target(id)).await?;
        tx.commit().await
    }

    /// The principal's own sessions, oldest first (S8).
    pub async fn list_sessions(&self, who: &Principal) -> Result<Vec<SessionInfo>> {
        self.retrying(|| self.list_sessions_once(who)).await
    }

    async fn list_sessions_once(&self, who: &Principal) -> Result<Vec<SessionInfo>> {
        let user = self.own_account(who).await?;
        let mut tx = self.begin().await?;
        let v = tx.list_user_sessions(who.portal_id, user).await?;
        tx.commit().await?;
        Ok(v.iter().map(|s| SessionInfo::of(s, who.session_id)).collect())
    }

    /// End one of the principal's own sessions; someone else's is `NotFound` (S8).
    pub async fn revoke_session(&self, who: &Principal, id: SessionId) -> Result<()> {
        self.retrying(|| self.revoke_session_once(who, id)).await
    }

    async fn revoke_session_once(&self, who: &Principal, id: SessionId) -> Result<()> {
        let user = self.own_account(who).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let own = tx.list_user_sessions(who.portal_id, user).await?.iter().any(|s| s.id == id);
        if !own {
            return Err(Error::not_found("no such session"));
        }
        tx.delete_session(who.portal_id, id).await?;
        tx.append_audit(&AuditEvent::new(who, now, "session.revoke", AuditOutcome::Success).target(id)).await?;
        tx.commit().await
    }

    /// End all of the principal's sessions except the current one; returns how many ended.
    pub async fn revoke_other_sessions(&self, who: &Principal) -> Result<u64> {
        self.retrying(|| self.revoke_other_sessions_once(who)).await
    }

    async fn revoke_other_sessions_once(&self, who: &Principal) -> Result<u64> {
        let user = self.own_account(who).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let n = tx.delete_user_sessions(who.portal_id, user, who.session_id).await?;
        tx.append_audit(&AuditEvent::new(who, now, "session.revoke_others", AuditOutcome::Success).detail("count", n))
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// End every session of a member (needs `session.revoke_any`).
    pub async fn revoke_member_sessions(&self, who: &Principal, user: UserId) -> Result<u64> {
        self.retrying(|| self.revoke_member_sessions_once(who, user)).await
    }

    async fn revoke_member_sessions_once(&self, who: &Principal, user: UserId) -> Result<u64> {
        self.authorize(who, ops::SESSION_REVOKE_ANY).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        if tx.get_user(who.portal_id, user).await?.is_none() {
            return Err(Error::not_found("no such member"));
        }
        let n = tx.delete_user_sessions(who.portal_id, user, None).await?;
        tx.append_audit(
            &AuditEvent::new(who, now, "session.revoke_any", AuditOutcome::Success).target(user).detail("count", n),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}
