//! Conversions between database rows (through sqlx's `Any` driver) and portal records.

use chrono::{DateTime, Utc};
use portal_core::model::{
    AuditEvent, AuditOutcome, Invitation, MemberStatus, Membership, OneTimeToken, PasswordCredential, Portal,
    PortalMode, Role, Session, TokenPurpose, User,
};
use portal_core::ports::SessionRecord;
use portal_core::secret::TokenHash;
use portal_core::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::str::FromStr;

use super::map_err;

/// Microseconds since the epoch.
pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(super) fn dt(us: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| Error::internal("stored timestamp out of range"))
}

pub(super) fn opt_dt(us: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    us.map(dt).transpose()
}

pub(super) fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(row: &'r AnyRow, col: &str) -> Result<T> {
    row.try_get(col).map_err(map_err)
}

/// A boolean column: `BOOLEAN` on PostgreSQL, an integer 0 / 1 on SQLite.
pub(super) fn flag(row: &AnyRow, col: &str) -> Result<bool> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(get::<i64>(row, col)? != 0),
    }
}

pub(super) fn id<T: FromStr<Err = Error>>(row: &AnyRow, col: &str) -> Result<T> {
    get::<String>(row, col)?.parse()
}

/// A count column (`NULL`, as a sum over no rows, is 0).
pub(super) fn count(row: &AnyRow, col: &str) -> Result<u64> {
    u64::try_from(get::<Option<i64>>(row, col)?.unwrap_or(0)).map_err(|_| Error::internal("negative count"))
}

pub(super) fn version(row: &AnyRow) -> Result<u64> {
    u64::try_from(get::<i64>(row, "version")?).map_err(|_| Error::internal("negative version"))
}

pub(crate) fn portal(row: &AnyRow) -> Result<Portal> {
    Ok(Portal {
        id: id(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        mode: PortalMode::parse(&get::<String>(row, "mode")?)?,
        created_at: dt(get(row, "created_at")?)?,
        version: version(row)?,
    })
}

pub(crate) fn user(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        email: get(row, "email")?,
        display_name: get(row, "display_name")?,
        mfa_enabled: flag(row, "mfa_enabled")?,
        created_at: dt(get(row, "created_at")?)?,
        version: version(row)?,
    })
}

pub(crate) fn roles_json(roles: &[Role]) -> Result<String> {
    serde_json::to_string(roles).map_err(|e| Error::internal("roles do not serialize").with_source(e))
}

pub(crate) fn membership(row: &AnyRow) -> Result<Membership> {
    membership_cols(row, ["portal_id", "user_id", "roles", "status", "updated_at", "version"])
}

/// A membership read from the named columns (joins rename them).
fn membership_cols(row: &AnyRow, [portal, user, roles, status, updated, ver]: [&str; 6]) -> Result<Membership> {
    let roles: Vec<Role> = serde_json::from_str(&get::<String>(row, roles)?)
        .map_err(|e| Error::internal("stored roles are malformed").with_source(e))?;
    Ok(Membership {
        portal_id: id(row, portal)?,
        user_id: id(row, user)?,
        roles: roles.into(),
        status: MemberStatus::parse(&get::<String>(row, status)?)?,
        updated_at: dt(get(row, updated)?)?,
        version: u64::try_from(get::<i64>(row, ver)?).map_err(|_| Error::internal("negative version"))?,
    })
}

/// Columns of [`SESSION_RECORD_SQL`]: a session joined with its member's membership.
pub(crate) const SESSION_RECORD_SQL: &str = "SELECT s.*, m.portal_id AS m_portal_id, m.user_id AS m_user_id, \
     m.roles AS m_roles, m.status AS m_status, m.updated_at AS m_updated_at, m.version AS m_version \
     FROM sessions s LEFT JOIN memberships m ON m.portal_id = s.portal_id AND m.user_id = s.user_id \
     WHERE s.portal_id = $1 AND s.token_hash = $2";

pub(crate) fn session_record(row: &AnyRow) -> Result<SessionRecord> {
    let membership = match get::<Option<String>>(row, "m_status")? {
        Some(_) => Some(membership_cols(
            row,
            ["m_portal_id", "m_user_id", "m_roles", "m_status", "m_updated_at", "m_version"],
        )?),
        None => None,
    };
    Ok(SessionRecord { session: session(row)?, membership })
}

pub(crate) fn credential(row: &AnyRow) -> Result<PasswordCredential> {
    Ok(PasswordCredential {
        portal_id: id(row, "portal_id")?,
        user_id: id(row, "user_id")?,
        phc: get(row, "phc")?,
        updated_at: dt(get(row, "updated_at")?)?,
    })
}

fn hash(row: &AnyRow) -> Result<TokenHash> {
    TokenHash::from_slice(&get::<Vec<u8>>(row, "token_hash")?)
}

pub(crate) fn session(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        user_id: id(row, "user_id")?,
        token_hash: hash(row)?,
        created_at: dt(get(row, "created_at")?)?,
        last_seen_at: dt(get(row, "last_seen_at")?)?,
        expires_at: dt(get(row, "expires_at")?)?,
        auth_time: dt(get(row, "auth_time")?)?,
    })
}

pub(crate) fn invitation(row: &AnyRow) -> Result<Invitation> {
    Ok(Invitation {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        email: get(row, "email")?,
        role: Role::new(get::<String>(row, "role")?)?,
        token_hash: hash(row)?,
        invited_by: get::<Option<String>>(row, "invited_by")?.map(|s| s.parse()).transpose()?,
        created_at: dt(get(row, "created_at")?)?,
        expires_at: dt(get(row, "expires_at")?)?,
        accepted_at: opt_dt(get(row, "accepted_at")?)?,
        revoked_at: opt_dt(get(row, "revoked_at")?)?,
    })
}

pub(crate) fn token(row: &AnyRow) -> Result<OneTimeToken> {
    Ok(OneTimeToken {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        user_id: id(row, "user_id")?,
        purpose: TokenPurpose::parse(&get::<String>(row, "purpose")?)?,
        token_hash: hash(row)?,
        created_at: dt(get(row, "created_at")?)?,
        expires_at: dt(get(row, "expires_at")?)?,
        used_at: opt_dt(get(row, "used_at")?)?,
    })
}

pub(crate) fn audit(row: &AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: id(row, "id")?,
        portal_id: id(row, "portal_id")?,
        at: dt(get(row, "at")?)?,
        actor: get::<Option<String>>(row, "actor")?.map(|s| s.parse()).transpose()?,
        action: get(row, "action")?,
        target: get(row, "target")?,
        outcome: AuditOutcome::parse(&get::<String>(row, "outcome")?),
        request_id: get(row, "request_id")?,
        details: serde_json::from_str(&get::<String>(row, "details")?)
            .map_err(|e| Error::internal("stored audit details are malformed").with_source(e))?,
    })
}
