//! Storage ports. An adapter implements every `…Store` trait on its transaction type and
//! [`Storage`] on its handle; services only ever write inside a [`Transaction`], so a use case's
//! rows (record + audit event + …) are committed together or not at all.
//!
//! Shared rules, checked by `portal_core::testkit::storage` for every adapter:
//! - every method given another portal's id behaves as if the record did not exist (Z6);
//! - transactions are serializable: a read-then-write in one transaction never loses a
//!   concurrent update;
//! - dropping a transaction without `commit` writes nothing.
//!
//! Methods take `&mut self` because a transaction is one connection used by one task at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::model::{
    AuditEvent, Invitation, InvitationId, MemberStatus, Membership, OneTimeToken, PasswordCredential, PolicyRule,
    Portal, PortalId, Session, SessionId, ThrottleState, TokenPurpose, User, UserId,
};
use crate::secret::TokenHash;

/// Portals.
#[async_trait]
pub trait PortalStore: Send {
    /// Store a new portal.
    ///
    /// # Behavior
    /// - a portal inserted can be read back unchanged by `get_portal` and `get_portal_by_slug`.
    /// - inserting a second portal with the same slug fails with `AlreadyExists`; nothing is written.
    async fn insert_portal(&mut self, portal: &Portal) -> Result<()>;

    /// # Behavior
    /// - an unknown id returns `Ok(None)`.
    async fn get_portal(&mut self, id: PortalId) -> Result<Option<Portal>>;

    /// # Behavior
    /// - an unknown slug returns `Ok(None)`.
    async fn get_portal_by_slug(&mut self, slug: &str) -> Result<Option<Portal>>;
}

/// Users of a portal.
#[async_trait]
pub trait UserStore: Send {
    /// # Behavior
    /// - a user inserted can be read back unchanged by id and by email.
    /// - an email already used in the same portal fails with `AlreadyExists`; nothing is written.
    /// - the same email in another portal is a different user and is accepted.
    async fn insert_user(&mut self, user: &User) -> Result<()>;

    /// # Behavior
    /// - an unknown id, or another portal's user, returns `Ok(None)`.
    async fn get_user(&mut self, portal: PortalId, id: UserId) -> Result<Option<User>>;

    /// `email` must already be normalized.
    ///
    /// # Behavior
    /// - finds the user with exactly this email in this portal, else `Ok(None)`.
    async fn find_user_by_email(&mut self, portal: PortalId, email: &str) -> Result<Option<User>>;

    /// Write `user` if the stored version equals `user.version`; the stored version becomes
    /// `user.version + 1`, which is returned.
    ///
    /// # Behavior
    /// - a stale `version` fails with `Conflict`; nothing is written.
    /// - an unknown user fails with `NotFound`.
    async fn update_user(&mut self, user: &User) -> Result<u64>;
}

/// Memberships (standing and roles of a user in their portal).
#[async_trait]
pub trait MembershipStore: Send {
    /// # Behavior
    /// - a membership inserted can be read back unchanged.
    /// - a second membership for the same user fails with `AlreadyExists`.
    async fn insert_membership(&mut self, membership: &Membership) -> Result<()>;

    /// # Behavior
    /// - an unknown user, or another portal's, returns `Ok(None)`.
    async fn get_membership(&mut self, portal: PortalId, user: UserId) -> Result<Option<Membership>>;

    /// Write if the stored version equals `membership.version`; returns the new version.
    ///
    /// # Behavior
    /// - a stale `version` fails with `Conflict`; nothing is written.
    /// - an unknown membership fails with `NotFound`.
    async fn update_membership(&mut self, membership: &Membership) -> Result<u64>;

    /// Memberships of a portal ordered by user id, optionally of one status, after `after`.
    ///
    /// # Behavior
    /// - returns at most `limit` rows, in ascending user-id order, all with `user_id > after`.
    /// - with a status, returns only memberships of that status.
    async fn list_memberships(
        &mut self,
        portal: PortalId,
        status: Option<MemberStatus>,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<Membership>>;
}

/// Password hashes.
#[async_trait]
pub trait CredentialStore: Send {
    /// Insert or replace the user's password hash.
    ///
    /// # Behavior
    /// - after setting twice, `get_password` returns the second value.
    async fn set_password(&mut self, credential: &PasswordCredential) -> Result<()>;

    /// # Behavior
    /// - a user without a password, or another portal's user, returns `Ok(None)`.
    async fn get_password(&mut self, portal: PortalId, user: UserId) -> Result<Option<PasswordCredential>>;
}

/// Sign-in sessions.
#[async_trait]
pub trait SessionStore: Send {
    /// # Behavior
    /// - a session inserted can be found by its token hash.
    async fn insert_session(&mut self, session: &Session) -> Result<()>;

    /// # Behavior
    /// - an unknown hash, or another portal's session, returns `Ok(None)`.
    async fn find_session(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<Session>>;

    /// # Behavior
    /// - sets `last_seen_at` of that session only.
    async fn touch_session(&mut self, portal: PortalId, id: SessionId, at: DateTime<Utc>) -> Result<()>;

    /// Returns whether a session was deleted.
    ///
    /// # Behavior
    /// - deletes only that session; deleting an unknown one returns `Ok(false)`.
    async fn delete_session(&mut self, portal: PortalId, id: SessionId) -> Result<bool>;

    /// Delete all of a user's sessions except `keep`; returns how many were deleted.
    ///
    /// # Behavior
    /// - deletes every session of the user but `keep`, and no other user's.
    async fn delete_user_sessions(&mut self, portal: PortalId, user: UserId, keep: Option<SessionId>) -> Result<u64>;

    /// # Behavior
    /// - returns exactly the user's sessions, oldest first.
    async fn list_user_sessions(&mut self, portal: PortalId, user: UserId) -> Result<Vec<Session>>;
}

/// Invitations.
#[async_trait]
pub trait InvitationStore: Send {
    /// # Behavior
    /// - an invitation inserted can be found by id and by token hash.
    async fn insert_invitation(&mut self, invitation: &Invitation) -> Result<()>;

    /// # Behavior
    /// - an unknown id, or another portal's invitation, returns `Ok(None)`.
    async fn get_invitation(&mut self, portal: PortalId, id: InvitationId) -> Result<Option<Invitation>>;

    /// # Behavior
    /// - an unknown hash, or another portal's invitation, returns `Ok(None)`.
    async fn find_invitation(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<Invitation>>;

    /// Mark accepted if it is still open at `at`; returns whether this call accepted it.
    ///
    /// # Behavior
    /// - succeeds once; a second call, a revoked or an expired invitation returns `Ok(false)`.
    async fn accept_invitation(&mut self, portal: PortalId, id: InvitationId, at: DateTime<Utc>) -> Result<bool>;

    /// Mark revoked if neither accepted nor revoked; returns whether this call revoked it.
    ///
    /// # Behavior
    /// - a revoked invitation can no longer be accepted.
    async fn revoke_invitation(&mut self, portal: PortalId, id: InvitationId, at: DateTime<Utc>) -> Result<bool>;

    /// Open (not accepted, not revoked, not expired at `now`) invitations of a portal, oldest first.
    ///
    /// # Behavior
    /// - lists only open invitations.
    async fn list_open_invitations(&mut self, portal: PortalId, now: DateTime<Utc>) -> Result<Vec<Invitation>>;
}

/// Single-use tokens.
#[async_trait]
pub trait TokenStore: Send {
    /// # Behavior
    /// - an inserted token can be consumed once.
    async fn insert_token(&mut self, token: &OneTimeToken) -> Result<()>;

    /// Look a token up without using it.
    ///
    /// # Behavior
    /// - returns the token whatever its state; unknown or another portal's returns `Ok(None)`.
    async fn find_token(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<OneTimeToken>>;

    /// Mark a token used if it is unused, unexpired at `at` and of `purpose`; returns it if this
    /// call used it.
    ///
    /// # Behavior
    /// - succeeds once; the second call returns `Ok(None)`.
    /// - an expired token returns `Ok(None)`.
    /// - a token of another purpose returns `Ok(None)` and stays usable.
    async fn consume_token(
        &mut self,
        portal: PortalId,
        token_hash: &TokenHash,
        purpose: TokenPurpose,
        at: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>>;

    /// Mark every unused token of the user and purpose as used; returns how many.
    ///
    /// # Behavior
    /// - afterwards none of the user's earlier tokens of that purpose can be consumed.
    async fn revoke_tokens(
        &mut self,
        portal: PortalId,
        user: UserId,
        purpose: TokenPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64>;
}

/// The audit log: append and read, never update or delete (L3).
#[async_trait]
pub trait AuditLog: Send {
    /// # Behavior
    /// - an appended event is listed unchanged.
    async fn append_audit(&mut self, event: &AuditEvent) -> Result<()>;

    /// Newest first, at most `limit`, optionally only events older (by id) than `before`.
    ///
    /// # Behavior
    /// - lists newest first and only the portal's own events.
    async fn list_audit(
        &mut self,
        portal: PortalId,
        before: Option<crate::model::AuditEventId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>>;
}

/// Login throttling counters, keyed by portal and an opaque key (the normalized email).
#[async_trait]
pub trait ThrottleStore: Send {
    /// # Behavior
    /// - an unknown key returns `Ok(None)`.
    async fn get_throttle(&mut self, portal: PortalId, key: &str) -> Result<Option<ThrottleState>>;

    /// # Behavior
    /// - a stored state reads back unchanged.
    async fn put_throttle(&mut self, portal: PortalId, key: &str, state: &ThrottleState) -> Result<()>;

    /// # Behavior
    /// - after clearing, the key reads as `Ok(None)`.
    async fn clear_throttle(&mut self, portal: PortalId, key: &str) -> Result<()>;
}

/// The casbin policy: one set of lines for the whole installation (the portal is a value inside
/// each line, as casbin's domain). The casbin adapter in `portal-auth` reads and writes it, so
/// every store persists policy the same way.
#[async_trait]
pub trait PolicyStore: Send {
    /// Add a line unless an equal one is stored; returns whether this call added it.
    ///
    /// # Behavior
    /// - an added rule is listed unchanged by `list_policy_rules`.
    /// - adding an equal rule again returns `Ok(false)` and it stays listed once.
    async fn add_policy_rule(&mut self, rule: &PolicyRule) -> Result<bool>;

    /// Remove a line; returns whether it was stored.
    ///
    /// # Behavior
    /// - removes only that rule; removing a rule that is not stored returns `Ok(false)`.
    async fn remove_policy_rule(&mut self, rule: &PolicyRule) -> Result<bool>;

    /// Every stored line, oldest first.
    ///
    /// # Behavior
    /// - lists rules in the order they were added, lines of different types and lengths kept apart.
    async fn list_policy_rules(&mut self) -> Result<Vec<PolicyRule>>;
}

/// One unit of work over every store. Serializable; dropping it without `commit` rolls back.
#[async_trait]
pub trait Transaction:
    PortalStore
    + UserStore
    + MembershipStore
    + CredentialStore
    + SessionStore
    + InvitationStore
    + TokenStore
    + AuditLog
    + ThrottleStore
    + PolicyStore
    + super::KnowledgeStore
    + super::SearchLog
    + super::ArticleFeedbackStore
    + super::AttachmentStore
    + Send
{
    /// Make every write of this transaction durable and visible, all together.
    ///
    /// # Behavior
    /// - after commit, a new transaction sees the writes.
    async fn commit(self: Box<Self>) -> Result<()>;

    /// Discard every write of this transaction.
    ///
    /// # Behavior
    /// - after rollback (or drop), a new transaction sees none of the writes.
    async fn rollback(self: Box<Self>) -> Result<()>;
}

/// A session together with its user's membership, read as one consistent snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session.
    pub session: Session,
    /// The user's membership in the session's portal, if there still is one.
    pub membership: Option<Membership>,
}

/// A storage backend: hands out transactions. Cheap to share (`Arc<dyn Storage>`).
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Start a transaction. Callers keep it short and never hold two at once in one task.
    async fn begin(&self) -> Result<Box<dyn Transaction>>;

    /// The per-request read: the session stored under `token_hash` and its user's membership,
    /// in one consistent read that writes nothing. The default runs `find_session` and
    /// `get_membership` in a transaction; adapters override it with one lookup or statement.
    ///
    /// # Behavior
    /// - returns the session and its member's current membership, as a transaction would.
    /// - an unknown hash, or another portal's session, returns `Ok(None)`.
    /// - a membership change committed before the call is visible to it.
    async fn find_session_record(&self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<SessionRecord>> {
        let mut tx = self.begin().await?;
        let record = match tx.find_session(portal, token_hash).await? {
            Some(session) => {
                let membership = tx.get_membership(portal, session.user_id).await?;
                Some(SessionRecord { session, membership })
            }
            None => None,
        };
        tx.commit().await?;
        Ok(record)
    }

    /// [`Storage::find_session_record`] answered at once, without suspending, when the store
    /// can: an in-process store no open transaction has written to. `None` means "ask
    /// [`Storage::find_session_record`]"; the default always says `None`.
    ///
    /// # Behavior
    /// - an answer, when given, equals what `find_session_record` returns.
    fn find_session_record_now(
        &self,
        portal: PortalId,
        token_hash: &TokenHash,
    ) -> Option<Result<Option<SessionRecord>>> {
        let _ = (portal, token_hash);
        None
    }
}
