//! The storage ports on one SQLite transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use portal_core::model::{
    AuditEvent, AuditEventId, Invitation, InvitationId, MemberStatus, Membership, OneTimeToken, PasswordCredential,
    Portal, PortalId, Session, SessionId, ThrottleState, TokenPurpose, User, UserId,
};
use portal_core::ports::{
    AuditLog, CredentialStore, InvitationStore, MembershipStore, PortalStore, SessionStore, ThrottleStore, TokenStore,
    Transaction, UserStore,
};
use portal_core::secret::TokenHash;
use portal_core::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::Any;

use super::map_err;
use super::rows::{self, ts};

pub(crate) struct SqlTx {
    pub(crate) tx: sqlx::Transaction<'static, Any>,
}

type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

impl SqlTx {
    pub(super) async fn exec(&mut self, q: Query<'_>) -> Result<u64> {
        q.execute(&mut *self.tx).await.map(|r| r.rows_affected()).map_err(map_err)
    }

    pub(super) async fn one<T>(&mut self, q: Query<'_>, decode: fn(&AnyRow) -> Result<T>) -> Result<Option<T>> {
        q.fetch_optional(&mut *self.tx).await.map_err(map_err)?.as_ref().map(decode).transpose()
    }

    pub(super) async fn all<T>(&mut self, q: Query<'_>, decode: fn(&AnyRow) -> Result<T>) -> Result<Vec<T>> {
        q.fetch_all(&mut *self.tx).await.map_err(map_err)?.iter().map(decode).collect()
    }

    /// After a versioned update touched no row: `NotFound` if the row is gone, else `Conflict`.
    pub(super) async fn stale_or_missing(
        &mut self,
        table: &'static str,
        portal: PortalId,
        key_col: &str,
        key: String,
    ) -> Error {
        let sql = format!("SELECT 1 FROM {table} WHERE portal_id = $1 AND {key_col} = $2");
        match sqlx::query(&sql).bind(portal.to_string()).bind(key).fetch_optional(&mut *self.tx).await {
            Ok(Some(_)) => Error::conflict("the record was changed by someone else"),
            Ok(None) => Error::not_found("no such record"),
            Err(e) => map_err(e),
        }
    }
}

#[async_trait]
impl Transaction for SqlTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(map_err)
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        self.tx.rollback().await.map_err(map_err)
    }
}

#[async_trait]
impl PortalStore for SqlTx {
    async fn insert_portal(&mut self, p: &Portal) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO portals (id, slug, name, mode, created_at, version) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(p.id.to_string())
        .bind(&p.slug)
        .bind(&p.name)
        .bind(p.mode.as_str())
        .bind(ts(p.created_at))
        .bind(p.version as i64);
        self.exec(q).await.map(|_| ())
    }

    async fn get_portal(&mut self, id: PortalId) -> Result<Option<Portal>> {
        self.one(sqlx::query("SELECT * FROM portals WHERE id = $1").bind(id.to_string()), rows::portal).await
    }

    async fn get_portal_by_slug(&mut self, slug: &str) -> Result<Option<Portal>> {
        self.one(sqlx::query("SELECT * FROM portals WHERE slug = $1").bind(slug.to_owned()), rows::portal).await
    }
}

#[async_trait]
impl UserStore for SqlTx {
    async fn insert_user(&mut self, u: &User) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO users (portal_id, id, email, display_name, mfa_enabled, created_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(u.portal_id.to_string())
        .bind(u.id.to_string())
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(u.mfa_enabled)
        .bind(ts(u.created_at))
        .bind(u.version as i64);
        self.exec(q).await.map(|_| ())
    }

    async fn get_user(&mut self, portal: PortalId, id: UserId) -> Result<Option<User>> {
        let q = sqlx::query("SELECT * FROM users WHERE portal_id = $1 AND id = $2")
            .bind(portal.to_string())
            .bind(id.to_string());
        self.one(q, rows::user).await
    }

    async fn find_user_by_email(&mut self, portal: PortalId, email: &str) -> Result<Option<User>> {
        let q = sqlx::query("SELECT * FROM users WHERE portal_id = $1 AND email = $2")
            .bind(portal.to_string())
            .bind(email.to_owned());
        self.one(q, rows::user).await
    }

    async fn update_user(&mut self, u: &User) -> Result<u64> {
        let q = sqlx::query(
            "UPDATE users SET email = $1, display_name = $2, mfa_enabled = $3, version = version + 1
             WHERE portal_id = $4 AND id = $5 AND version = $6",
        )
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(u.mfa_enabled)
        .bind(u.portal_id.to_string())
        .bind(u.id.to_string())
        .bind(u.version as i64);
        match self.exec(q).await? {
            1 => Ok(u.version + 1),
            _ => Err(self.stale_or_missing("users", u.portal_id, "id", u.id.to_string()).await),
        }
    }
}

#[async_trait]
impl MembershipStore for SqlTx {
    async fn insert_membership(&mut self, m: &Membership) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO memberships (portal_id, user_id, roles, status, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(m.portal_id.to_string())
        .bind(m.user_id.to_string())
        .bind(rows::roles_json(&m.roles)?)
        .bind(m.status.as_str())
        .bind(ts(m.updated_at))
        .bind(m.version as i64);
        self.exec(q).await.map(|_| ())
    }

    async fn get_membership(&mut self, portal: PortalId, user: UserId) -> Result<Option<Membership>> {
        let q = sqlx::query("SELECT * FROM memberships WHERE portal_id = $1 AND user_id = $2")
            .bind(portal.to_string())
            .bind(user.to_string());
        self.one(q, rows::membership).await
    }

    async fn update_membership(&mut self, m: &Membership) -> Result<u64> {
        let q = sqlx::query(
            "UPDATE memberships SET roles = $1, status = $2, updated_at = $3, version = version + 1
             WHERE portal_id = $4 AND user_id = $5 AND version = $6",
        )
        .bind(rows::roles_json(&m.roles)?)
        .bind(m.status.as_str())
        .bind(ts(m.updated_at))
        .bind(m.portal_id.to_string())
        .bind(m.user_id.to_string())
        .bind(m.version as i64);
        match self.exec(q).await? {
            1 => Ok(m.version + 1),
            _ => Err(self.stale_or_missing("memberships", m.portal_id, "user_id", m.user_id.to_string()).await),
        }
    }

    async fn list_memberships(
        &mut self,
        portal: PortalId,
        status: Option<MemberStatus>,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<Membership>> {
        let status = status.map(|s| s.as_str());
        let after = after.map(|a| a.to_string());
        let q = sqlx::query(
            "SELECT * FROM memberships WHERE portal_id = $1
               AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR user_id > $3)
             ORDER BY user_id LIMIT $4",
        )
        .bind(portal.to_string())
        .bind(status)
        .bind(after)
        .bind(i64::from(limit));
        self.all(q, rows::membership).await
    }
}

#[async_trait]
impl CredentialStore for SqlTx {
    async fn set_password(&mut self, c: &PasswordCredential) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO credentials (portal_id, user_id, phc, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (portal_id, user_id) DO UPDATE SET phc = excluded.phc, updated_at = excluded.updated_at",
        )
        .bind(c.portal_id.to_string())
        .bind(c.user_id.to_string())
        .bind(&c.phc)
        .bind(ts(c.updated_at));
        self.exec(q).await.map(|_| ())
    }

    async fn get_password(&mut self, portal: PortalId, user: UserId) -> Result<Option<PasswordCredential>> {
        let q = sqlx::query("SELECT * FROM credentials WHERE portal_id = $1 AND user_id = $2")
            .bind(portal.to_string())
            .bind(user.to_string());
        self.one(q, rows::credential).await
    }
}

#[async_trait]
impl SessionStore for SqlTx {
    async fn insert_session(&mut self, s: &Session) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO sessions (portal_id, id, user_id, token_hash, created_at, last_seen_at, expires_at, auth_time)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.portal_id.to_string())
        .bind(s.id.to_string())
        .bind(s.user_id.to_string())
        .bind(s.token_hash.as_bytes().to_vec())
        .bind(ts(s.created_at))
        .bind(ts(s.last_seen_at))
        .bind(ts(s.expires_at))
        .bind(ts(s.auth_time));
        self.exec(q).await.map(|_| ())
    }

    async fn find_session(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<Session>> {
        let q = sqlx::query("SELECT * FROM sessions WHERE portal_id = $1 AND token_hash = $2")
            .bind(portal.to_string())
            .bind(token_hash.as_bytes().to_vec());
        self.one(q, rows::session).await
    }

    async fn touch_session(&mut self, portal: PortalId, id: SessionId, at: DateTime<Utc>) -> Result<()> {
        let q = sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE portal_id = $2 AND id = $3")
            .bind(ts(at))
            .bind(portal.to_string())
            .bind(id.to_string());
        self.exec(q).await.map(|_| ())
    }

    async fn delete_session(&mut self, portal: PortalId, id: SessionId) -> Result<bool> {
        let q = sqlx::query("DELETE FROM sessions WHERE portal_id = $1 AND id = $2")
            .bind(portal.to_string())
            .bind(id.to_string());
        Ok(self.exec(q).await? > 0)
    }

    async fn delete_user_sessions(&mut self, portal: PortalId, user: UserId, keep: Option<SessionId>) -> Result<u64> {
        let q = sqlx::query("DELETE FROM sessions WHERE portal_id = $1 AND user_id = $2 AND ($3 IS NULL OR id <> $3)")
            .bind(portal.to_string())
            .bind(user.to_string())
            .bind(keep.map(|k| k.to_string()));
        self.exec(q).await
    }

    async fn list_user_sessions(&mut self, portal: PortalId, user: UserId) -> Result<Vec<Session>> {
        let q = sqlx::query("SELECT * FROM sessions WHERE portal_id = $1 AND user_id = $2 ORDER BY created_at, id")
            .bind(portal.to_string())
            .bind(user.to_string());
        self.all(q, rows::session).await
    }
}

#[async_trait]
impl InvitationStore for SqlTx {
    async fn insert_invitation(&mut self, i: &Invitation) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO invitations (portal_id, id, email, role, token_hash, invited_by, created_at, expires_at,
                                      accepted_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(i.portal_id.to_string())
        .bind(i.id.to_string())
        .bind(&i.email)
        .bind(i.role.as_str())
        .bind(i.token_hash.as_bytes().to_vec())
        .bind(i.invited_by.map(|u| u.to_string()))
        .bind(ts(i.created_at))
        .bind(ts(i.expires_at))
        .bind(i.accepted_at.map(ts))
        .bind(i.revoked_at.map(ts));
        self.exec(q).await.map(|_| ())
    }

    async fn get_invitation(&mut self, portal: PortalId, id: InvitationId) -> Result<Option<Invitation>> {
        let q = sqlx::query("SELECT * FROM invitations WHERE portal_id = $1 AND id = $2")
            .bind(portal.to_string())
            .bind(id.to_string());
        self.one(q, rows::invitation).await
    }

    async fn find_invitation(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<Invitation>> {
        let q = sqlx::query("SELECT * FROM invitations WHERE portal_id = $1 AND token_hash = $2")
            .bind(portal.to_string())
            .bind(token_hash.as_bytes().to_vec());
        self.one(q, rows::invitation).await
    }

    async fn accept_invitation(&mut self, portal: PortalId, id: InvitationId, at: DateTime<Utc>) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE invitations SET accepted_at = $1
             WHERE portal_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(ts(at))
        .bind(portal.to_string())
        .bind(id.to_string());
        Ok(self.exec(q).await? == 1)
    }

    async fn revoke_invitation(&mut self, portal: PortalId, id: InvitationId, at: DateTime<Utc>) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE invitations SET revoked_at = $1
             WHERE portal_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(ts(at))
        .bind(portal.to_string())
        .bind(id.to_string());
        Ok(self.exec(q).await? == 1)
    }

    async fn list_open_invitations(&mut self, portal: PortalId, now: DateTime<Utc>) -> Result<Vec<Invitation>> {
        let q = sqlx::query(
            "SELECT * FROM invitations
             WHERE portal_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
             ORDER BY created_at, id",
        )
        .bind(portal.to_string())
        .bind(ts(now));
        self.all(q, rows::invitation).await
    }
}

#[async_trait]
impl TokenStore for SqlTx {
    async fn insert_token(&mut self, t: &OneTimeToken) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO one_time_tokens (portal_id, id, user_id, purpose, token_hash, created_at, expires_at, used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.portal_id.to_string())
        .bind(t.id.to_string())
        .bind(t.user_id.to_string())
        .bind(t.purpose.as_str())
        .bind(t.token_hash.as_bytes().to_vec())
        .bind(ts(t.created_at))
        .bind(ts(t.expires_at))
        .bind(t.used_at.map(ts));
        self.exec(q).await.map(|_| ())
    }

    async fn find_token(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<OneTimeToken>> {
        let q = sqlx::query("SELECT * FROM one_time_tokens WHERE portal_id = $1 AND token_hash = $2")
            .bind(portal.to_string())
            .bind(token_hash.as_bytes().to_vec());
        self.one(q, rows::token).await
    }

    async fn consume_token(
        &mut self,
        portal: PortalId,
        token_hash: &TokenHash,
        purpose: TokenPurpose,
        at: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>> {
        let q = sqlx::query(
            "UPDATE one_time_tokens SET used_at = $1
             WHERE portal_id = $2 AND token_hash = $3 AND purpose = $4 AND used_at IS NULL AND expires_at > $1
             RETURNING *",
        )
        .bind(ts(at))
        .bind(portal.to_string())
        .bind(token_hash.as_bytes().to_vec())
        .bind(purpose.as_str());
        self.one(q, rows::token).await
    }

    async fn revoke_tokens(
        &mut self,
        portal: PortalId,
        user: UserId,
        purpose: TokenPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let q = sqlx::query(
            "UPDATE one_time_tokens SET used_at = $1
             WHERE portal_id = $2 AND user_id = $3 AND purpose = $4 AND used_at IS NULL",
        )
        .bind(ts(at))
        .bind(portal.to_string())
        .bind(user.to_string())
        .bind(purpose.as_str());
        self.exec(q).await
    }
}

#[async_trait]
impl AuditLog for SqlTx {
    async fn append_audit(&mut self, e: &AuditEvent) -> Result<()> {
        let details =
            serde_json::to_string(&e.details).map_err(|err| Error::internal("audit details").with_source(err))?;
        let q = sqlx::query(
            "INSERT INTO audit_events (portal_id, id, at, actor, action, target, outcome, request_id, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(e.portal_id.to_string())
        .bind(e.id.to_string())
        .bind(ts(e.at))
        .bind(e.actor.map(|a| a.to_string()))
        .bind(&e.action)
        .bind(&e.target)
        .bind(e.outcome.as_str())
        .bind(&e.request_id)
        .bind(details);
        self.exec(q).await.map(|_| ())
    }

    async fn list_audit(
        &mut self,
        portal: PortalId,
        before: Option<AuditEventId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        let q = sqlx::query(
            "SELECT * FROM audit_events WHERE portal_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(portal.to_string())
        .bind(before.map(|b| b.to_string()))
        .bind(i64::from(limit));
        self.all(q, rows::audit).await
    }
}

#[async_trait]
impl ThrottleStore for SqlTx {
    async fn get_throttle(&mut self, portal: PortalId, key: &str) -> Result<Option<ThrottleState>> {
        let q = sqlx::query("SELECT failures, blocked_until FROM login_throttle WHERE portal_id = $1 AND key = $2")
            .bind(portal.to_string())
            .bind(key.to_owned());
        self.one(q, |row| {
            use sqlx::Row;
            let failures: i64 = row.try_get("failures").map_err(map_err)?;
            let until: Option<i64> = row.try_get("blocked_until").map_err(map_err)?;
            Ok(ThrottleState {
                failures: u32::try_from(failures).map_err(|_| Error::internal("bad failure count"))?,
                blocked_until: until
                    .map(|u| DateTime::from_timestamp_micros(u).ok_or_else(|| Error::internal("bad timestamp")))
                    .transpose()?,
            })
        })
        .await
    }

    async fn put_throttle(&mut self, portal: PortalId, key: &str, state: &ThrottleState) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO login_throttle (portal_id, key, failures, blocked_until) VALUES ($1, $2, $3, $4)
             ON CONFLICT (portal_id, key) DO UPDATE SET failures = excluded.failures,
                                                       blocked_until = excluded.blocked_until",
        )
        .bind(portal.to_string())
        .bind(key.to_owned())
        .bind(i64::from(state.failures))
        .bind(state.blocked_until.map(ts));
        self.exec(q).await.map(|_| ())
    }

    async fn clear_throttle(&mut self, portal: PortalId, key: &str) -> Result<()> {
        let q = sqlx::query("DELETE FROM login_throttle WHERE portal_id = $1 AND key = $2")
            .bind(portal.to_string())
            .bind(key.to_owned());
        self.exec(q).await.map(|_| ())
    }
}
