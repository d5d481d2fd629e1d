//! `MemoryStore`: the reference implementation of every storage port.
//!
//! One transaction at a time holds the turn (an async mutex), which makes transactions trivially
//! serializable. Writes apply in place, under a short write lock, and record an undo step;
//! rollback — or dropping the transaction — replays the undo log backwards, so nothing is ever
//! copied wholesale. The per-request session read takes only a read lock and never waits for
//! the turn unless the open transaction has uncommitted writes (then it waits, so it never sees
//! them).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AuditEvent, AuditEventId, Invitation, InvitationId, MemberStatus, Membership, OneTimeToken, PasswordCredential,
    PolicyRule, Portal, PortalId, Session, SessionId, ThrottleState, TokenPurpose, User, UserId,
};
use crate::ports::{
    AuditLog, CredentialStore, InvitationStore, MembershipStore, PolicyStore, PortalStore, SessionRecord, SessionStore,
    Storage, ThrottleStore, TokenStore, Transaction, UserStore,
};
use crate::secret::TokenHash;

mod blobs;
mod knowledge;

pub use blobs::MemoryBlobStore;

#[derive(Default)]
struct State {
    portals: HashMap<PortalId, Portal>,
    portal_slugs: HashMap<String, PortalId>,
    users: HashMap<(PortalId, UserId), User>,
    user_emails: HashMap<(PortalId, String), UserId>,
    memberships: BTreeMap<(PortalId, UserId), Membership>,
    credentials: HashMap<(PortalId, UserId), PasswordCredential>,
    sessions: HashMap<SessionKey, Session, DigestKeyed>,
    session_ids: HashMap<(PortalId, SessionId), TokenHash>,
    invitations: HashMap<(PortalId, InvitationId), Invitation>,
    invitation_tokens: HashMap<(PortalId, TokenHash), InvitationId>,
    tokens: HashMap<(PortalId, TokenHash), OneTimeToken>,
    audit: BTreeMap<(PortalId, AuditEventId), AuditEvent>,
    throttle: HashMap<(PortalId, String), ThrottleState>,
    /// Policy lines by insertion number, and the number of each line.
    policy: BTreeMap<u64, PolicyRule>,
    policy_seq: HashMap<PolicyRule, u64>,
    /// The last insertion number handed out (never reused, like a SQL sequence).
    policy_counter: u64,
    kb: knowledge::KbState,
}

/// Key of the sessions map. It hashes as 8 bytes of the token digest: SHA-256 output is
/// uniformly random and stored digests come from server-made tokens, so nobody can choose keys
/// that collide, and the per-request lookup needs no general-purpose hash function.
#[derive(Clone, Copy, PartialEq, Eq)]
struct SessionKey(PortalId, TokenHash);

impl Hash for SessionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.1.as_bytes()[..8]);
        state.write_u64(u64::from_le_bytes(word));
    }
}

/// The hasher of [`SessionKey`]: passes its one word through.
#[derive(Clone, Copy, Default)]
struct DigestKeyed;

impl BuildHasher for DigestKeyed {
    type Hasher = PassThrough;
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Not reached by `SessionKey`; any other input is folded in, so the hasher stays correct.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The data and whether the transaction holding the turn has written to it yet.
#[derive(Default)]
struct Shared {
    state: RwLock<State>,
    /// Set (under the write lock) by a transaction's first write, cleared when it commits or
    /// rolls back: while set, `state` holds uncommitted data.
    dirty: AtomicBool,
}

impl Shared {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The in-memory store. Clones share the same data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    /// Held by the open transaction for its whole life.
    turn: Arc<Mutex<()>>,
    shared: Arc<Shared>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Storage for MemoryStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        let turn = self.turn.clone().lock_owned().await;
        Ok(Box::new(MemoryTx { _turn: turn, shared: self.shared.clone(), undo: Vec::new() }))
    }

    async fn find_session_record(&self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<SessionRecord>> {
        if let Some(answer) = self.find_session_record_now(portal, token_hash) {
            return answer;
        }
        // A transaction has uncommitted writes: wait until it ends.
        let _turn = self.turn.lock().await;
        Ok(session_record(&self.shared.read(), portal, token_hash))
    }

    fn find_session_record_now(
        &self,
        portal: PortalId,
        token_hash: &TokenHash,
    ) -> Option<Result<Option<SessionRecord>>> {
        let state = self.shared.read();
        if self.shared.dirty.load(Ordering::Acquire) {
            return None;
        }
        Some(Ok(session_record(&state, portal, token_hash)))
    }
}

fn session_record(state: &State, portal: PortalId, token_hash: &TokenHash) -> Option<SessionRecord> {
    state.sessions.get(&SessionKey(portal, *token_hash)).map(|session| SessionRecord {
        session: session.clone(),
        membership: state.memberships.get(&(portal, session.user_id)).cloned(),
    })
}

type Undo = Box<dyn FnOnce(&mut State) + Send>;

/// A table the undo log can restore: a keyed map.
trait Table<K, V> {
    fn put(&mut self, k: K, v: Option<V>) -> Option<V>;
}

impl<K: Hash + Eq, V, S: BuildHasher> Table<K, V> for HashMap<K, V, S> {
    fn put(&mut self, k: K, v: Option<V>) -> Option<V> {
        match v {
            Some(v) => self.insert(k, v),
            None => self.remove(&k),
        }
    }
}

impl<K: Ord, V> Table<K, V> for BTreeMap<K, V> {
    fn put(&mut self, k: K, v: Option<V>) -> Option<V> {
        match v {
            Some(v) => self.insert(k, v),
            None => self.remove(&k),
        }
    }
}

struct MemoryTx {
    _turn: OwnedMutexGuard<()>,
    shared: Arc<Shared>,
    undo: Vec<Undo>,
}

impl MemoryTx {
    /// Read the data. Only the transaction holding the turn writes, so this never waits on a
    /// writer; keep the guard to one statement (a write while it is held would deadlock).
    fn state(&self) -> RwLockReadGuard<'_, State> {
        self.shared.read()
    }

    /// The write lock, marking the data dirty (uncommitted) until commit or rollback.
    fn state_mut(&self) -> RwLockWriteGuard<'_, State> {
        let guard = self.shared.write();
        self.shared.dirty.store(true, Ordering::Release);
        guard
    }

    /// Set (or with `None`, remove) `key` in the table `pick` selects, remembering how to undo it.
    fn write<K, V, T>(&mut self, pick: fn(&mut State) -> &mut T, key: K, value: Option<V>)
    where
        K: Clone + Send + 'static,
        V: Send + 'static,
        T: Table<K, V> + 'static,
    {
        let previous = pick(&mut self.state_mut()).put(key.clone(), value);
        self.undo.push(Box::new(move |s: &mut State| {
            pick(s).put(key, previous);
        }));
    }

    fn roll_back(&mut self) {
        let mut state = self.shared.write();
        while let Some(step) = self.undo.pop() {
            step(&mut state);
        }
        self.shared.dirty.store(false, Ordering::Release);
    }
}

impl Drop for MemoryTx {
    fn drop(&mut self) {
        self.roll_back();
    }
}

fn already_exists(what: &'static str) -> Error {
    Error::new(ErrorKind::AlreadyExists, what)
}

#[async_trait]
impl Transaction for MemoryTx {
    async fn commit(mut self: Box<Self>) -> Result<()> {
        let _state = self.shared.write();
        self.undo.clear();
        self.shared.dirty.store(false, Ordering::Release);
        Ok(())
    }

    async fn rollback(mut self: Box<Self>) -> Result<()> {
        self.roll_back();
        Ok(())
    }
}

#[async_trait]
impl PortalStore for MemoryTx {
    async fn insert_portal(&mut self, portal: &Portal) -> Result<()> {
        let taken = {
            let s = self.state();
            s.portals.contains_key(&portal.id) || s.portal_slugs.contains_key(&portal.slug)
        };
        if taken {
            return Err(already_exists("a portal with this id or slug exists"));
        }
        self.write(|s| &mut s.portal_slugs, portal.slug.clone(), Some(portal.id));
        self.write(|s| &mut s.portals, portal.id, Some(portal.clone()));
        Ok(())
    }

    async fn get_portal(&mut self, id: PortalId) -> Result<Option<Portal>> {
        Ok(self.state().portals.get(&id).cloned())
    }

    async fn get_portal_by_slug(&mut self, slug: &str) -> Result<Option<Portal>> {
        let s = self.state();
        Ok(s.portal_slugs.get(slug).and_then(|id| s.portals.get(id)).cloned())
    }
}

#[async_trait]
impl UserStore for MemoryTx {
    async fn insert_user(&mut self, user: &User) -> Result<()> {
        let email_key = (user.portal_id, user.email.clone());
        let taken = {
            let s = self.state();
            s.users.contains_key(&(user.portal_id, user.id)) || s.user_emails.contains_key(&email_key)
        };
        if taken {
            return Err(already_exists("a user with this id or email exists in this portal"));
        }
        self.write(|s| &mut s.user_emails, email_key, Some(user.id));
        self.write(|s| &mut s.users, (user.portal_id, user.id), Some(user.clone()));
        Ok(())
    }

    async fn get_user(&mut self, portal: PortalId, id: UserId) -> Result<Option<User>> {
        Ok(self.state().users.get(&(portal, id)).cloned())
    }

    async fn find_user_by_email(&mut self, portal: PortalId, email: &str) -> Result<Option<User>> {
        let id = self.state().user_emails.get(&(portal, email.to_owned())).copied();
        Ok(id.and_then(|id| self.state().users.get(&(portal, id)).cloned()))
    }

    async fn update_user(&mut self, user: &User) -> Result<u64> {
        let key = (user.portal_id, user.id);
        let stored = self.state().users.get(&key).ok_or_else(|| Error::not_found("no such user"))?.clone();
        if stored.version != user.version {
            return Err(Error::conflict("user was changed by someone else"));
        }
        if stored.email != user.email {
            let new_key = (user.portal_id, user.email.clone());
            if self.state().user_emails.contains_key(&new_key) {
                return Err(already_exists("a user with this email exists in this portal"));
            }
            self.write(|s| &mut s.user_emails, (user.portal_id, stored.email.clone()), None);
            self.write(|s| &mut s.user_emails, new_key, Some(user.id));
        }
        let mut next = user.clone();
        next.version += 1;
        let version = next.version;
        self.write(|s| &mut s.users, key, Some(next));
        Ok(version)
    }
}

#[async_trait]
impl MembershipStore for MemoryTx {
    async fn insert_membership(&mut self, m: &Membership) -> Result<()> {
        let key = (m.portal_id, m.user_id);
        if self.state().memberships.contains_key(&key) {
            return Err(already_exists("membership exists"));
        }
        self.write(|s| &mut s.memberships, key, Some(m.clone()));
        Ok(())
    }

    async fn get_membership(&mut self, portal: PortalId, user: UserId) -> Result<Option<Membership>> {
        Ok(self.state().memberships.get(&(portal, user)).cloned())
    }

    async fn update_membership(&mut self, m: &Membership) -> Result<u64> {
        let key = (m.portal_id, m.user_id);
        let stored = self.state().memberships.get(&key).map(|m| m.version);
        if stored.ok_or_else(|| Error::not_found("no such membership"))? != m.version {
            return Err(Error::conflict("membership was changed by someone else"));
        }
        let mut next = m.clone();
        next.version += 1;
        let version = next.version;
        self.write(|s| &mut s.memberships, key, Some(next));
        Ok(version)
    }

    async fn list_memberships(
        &mut self,
        portal: PortalId,
        status: Option<MemberStatus>,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<Membership>> {
        use std::ops::Bound::{Excluded, Unbounded};
        let start = match after {
            Some(a) => Excluded((portal, a)),
            None => Unbounded,
        };
        Ok(self
            .state()
            .memberships
            .range((start, Unbounded))
            .map(|(_, m)| m)
            .filter(|m| m.portal_id == portal)
            .filter(|m| status.is_none_or(|s| m.status == s))
            .take(limit as usize)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl CredentialStore for MemoryTx {
    async fn set_password(&mut self, c: &PasswordCredential) -> Result<()> {
        self.write(|s| &mut s.credentials, (c.portal_id, c.user_id), Some(c.clone()));
        Ok(())
    }

    async fn get_password(&mut self, portal: PortalId, user: UserId) -> Result<Option<PasswordCredential>> {
        Ok(self.state().credentials.get(&(portal, user)).cloned())
    }
}

#[async_trait]
impl SessionStore for MemoryTx {
    async fn insert_session(&mut self, session: &Session) -> Result<()> {
        let key = SessionKey(session.portal_id, session.token_hash);
        let taken = {
            let s = self.state();
            s.sessions.contains_key(&key) || s.session_ids.contains_key(&(session.portal_id, session.id))
        };
        if taken {
            return Err(already_exists("session exists"));
        }
        self.write(|s| &mut s.session_ids, (session.portal_id, session.id), Some(session.token_hash));
        self.write(|s| &mut s.sessions, key, Some(session.clone()));
        Ok(())
    }

    async fn find_session(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<Session>> {
        Ok(self.state().sessions.get(&SessionKey(portal, *token_hash)).cloned())
    }

    async fn touch_session(&mut self, portal: PortalId, id: SessionId, at: DateTime<Utc>) -> Result<()> {
        let found = {
            let s = self.state();
            s.session_ids.get(&(portal, id)).and_then(|hash| s.sessions.get(&SessionKey(portal, *hash))).cloned()
        };
        if let Some(mut s) = found {
            s.last_seen_at = at;
            self.write(|st| &mut st.sessions, SessionKey(portal, s.token_hash), Some(s));
        }
        Ok(())
    }

    async fn delete_session(&mut self, portal: PortalId, id: SessionId) -> Result<bool> {
        let hash = self.state().session_ids.get(&(portal, id)).copied();
        match hash {
            Some(hash) => {
                self.write(|s| &mut s.session_ids, (portal, id), None::<TokenHash>);
                self.write(|s| &mut s.sessions, SessionKey(portal, hash), None::<Session>);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn delete_user_sessions(&mut self, portal: PortalId, user: UserId, keep: Option<SessionId>) -> Result<u64> {
        let doomed: Vec<SessionId> = self
            .state()
            .sessions
            .values()
            .filter(|s| s.portal_id == portal && s.user_id == user && Some(s.id) != keep)
            .map(|s| s.id)
            .collect();
        for id in &doomed {
            self.delete_session(portal, *id).await?;
        }
        Ok(doomed.len() as u64)
    }

    async fn list_user_sessions(&mut self, portal: PortalId, user: UserId) -> Result<Vec<Session>> {
        let mut v: Vec<Session> =
            self.state().sessions.values().filter(|s| s.portal_id == portal && s.user_id == user).cloned().collect();
        v.sort_by_key(|s| (s.created_at, s.id));
        Ok(v)
    }
}

#[async_trait]
impl InvitationStore for MemoryTx {
    async fn insert_invitation(&mut self, inv: &Invitation) -> Result<()> {
        let key = (inv.portal_id, inv.id);
        let taken = {
            let s = self.state();
            s.invitations.contains_key(&key) || s.invitation_tokens.contains_key(&(inv.portal_id, inv.token_hash))
        };
        if taken {
            return Err(already_exists("invitation exists"));
        }
        self.write(|s| &mut s.invitation_tokens, (inv.portal_id, inv.token_hash), Some(inv.id));
        self.write(|s| &mut s.invitations, key, Some(inv.clone()));
        Ok(())
    }

    async fn get_invitation(&mut self, portal: PortalId, id: InvitationId) -> Result<Option<Invitation>> {
        Ok(self.state().invitations.get(&(portal, id)).cloned())
    }

    async fn find_invitation(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<Invitation>> {
        let id = self.state().invitation_tokens.get(&(portal, *token_hash)).copied();
        Ok(id.and_then(|id| self.state().invitations.get(&(portal, id)).cloned()))
    }

    async fn accept_invitation(&mut self, portal: PortalId, id: InvitationId, at: DateTime<Utc>) -> Result<bool> {
        let found = self.state().invitations.get(&(portal, id)).cloned();
        match found {
            Some(mut inv) if inv.is_open(at) => {
                inv.accepted_at = Some(at);
                self.write(|s| &mut s.invitations, (portal, id), Some(inv));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_invitation(&mut self, portal: PortalId, id: InvitationId, at: DateTime<Utc>) -> Result<bool> {
        let found = self.state().invitations.get(&(portal, id)).cloned();
        match found {
            Some(mut inv) if inv.accepted_at.is_none() && inv.revoked_at.is_none() => {
                inv.revoked_at = Some(at);
                self.write(|s| &mut s.invitations, (portal, id), Some(inv));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list_open_invitations(&mut self, portal: PortalId, now: DateTime<Utc>) -> Result<Vec<Invitation>> {
        let mut v: Vec<Invitation> =
            self.state().invitations.values().filter(|i| i.portal_id == portal && i.is_open(now)).cloned().collect();
        v.sort_by_key(|i| (i.created_at, i.id));
        Ok(v)
    }
}

#[async_trait]
impl TokenStore for MemoryTx {
    async fn insert_token(&mut self, t: &OneTimeToken) -> Result<()> {
        let key = (t.portal_id, t.token_hash);
        if self.state().tokens.contains_key(&key) {
            return Err(already_exists("token exists"));
        }
        self.write(|s| &mut s.tokens, key, Some(t.clone()));
        Ok(())
    }

    async fn find_token(&mut self, portal: PortalId, token_hash: &TokenHash) -> Result<Option<OneTimeToken>> {
        Ok(self.state().tokens.get(&(portal, *token_hash)).cloned())
    }

    async fn consume_token(
        &mut self,
        portal: PortalId,
        token_hash: &TokenHash,
        purpose: TokenPurpose,
        at: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>> {
        let found = self.state().tokens.get(&(portal, *token_hash)).cloned();
        match found {
            Some(mut t) if t.purpose == purpose && t.used_at.is_none() && at < t.expires_at => {
                t.used_at = Some(at);
                self.write(|s| &mut s.tokens, (portal, *token_hash), Some(t.clone()));
                Ok(Some(t))
            }
            _ => Ok(None),
        }
    }

    async fn revoke_tokens(
        &mut self,
        portal: PortalId,
        user: UserId,
        purpose: TokenPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let live: Vec<OneTimeToken> = self
            .state()
            .tokens
            .values()
            .filter(|t| t.portal_id == portal && t.user_id == user && t.purpose == purpose && t.used_at.is_none())
            .cloned()
            .collect();
        for mut t in live.iter().cloned() {
            t.used_at = Some(at);
            self.write(|s| &mut s.tokens, (portal, t.token_hash), Some(t));
        }
        Ok(live.len() as u64)
    }
}

#[async_trait]
impl AuditLog for MemoryTx {
    async fn append_audit(&mut self, e: &AuditEvent) -> Result<()> {
        let key = (e.portal_id, e.id);
        if self.state().audit.contains_key(&key) {
            return Err(already_exists("audit event exists"));
        }
        self.write(|s| &mut s.audit, key, Some(e.clone()));
        Ok(())
    }

    async fn list_audit(
        &mut self,
        portal: PortalId,
        before: Option<AuditEventId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        use std::ops::Bound::{Excluded, Included};
        let lo = Included((portal, AuditEventId::from_uuid(uuid::Uuid::nil())));
        let hi = match before {
            Some(b) => Excluded((portal, b)),
            None => Included((portal, AuditEventId::from_uuid(uuid::Uuid::max()))),
        };
        Ok(self.state().audit.range((lo, hi)).rev().take(limit as usize).map(|(_, e)| e.clone()).collect())
    }
}

#[async_trait]
impl ThrottleStore for MemoryTx {
    async fn get_throttle(&mut self, portal: PortalId, key: &str) -> Result<Option<ThrottleState>> {
        Ok(self.state().throttle.get(&(portal, key.to_owned())).cloned())
    }

    async fn put_throttle(&mut self, portal: PortalId, key: &str, state: &ThrottleState) -> Result<()> {
        self.write(|s| &mut s.throttle, (portal, key.to_owned()), Some(state.clone()));
        Ok(())
    }

    async fn clear_throttle(&mut self, portal: PortalId, key: &str) -> Result<()> {
        self.write(|s| &mut s.throttle, (portal, key.to_owned()), None::<ThrottleState>);
        Ok(())
    }
}

#[async_trait]
impl PolicyStore for MemoryTx {
    async fn add_policy_rule(&mut self, rule: &PolicyRule) -> Result<bool> {
        if self.state().policy_seq.contains_key(rule) {
            return Ok(false);
        }
        let seq = {
            let mut s = self.state_mut();
            s.policy_counter += 1;
            s.policy_counter
        };
        self.write(|s| &mut s.policy, seq, Some(rule.clone()));
        self.write(|s| &mut s.policy_seq, rule.clone(), Some(seq));
        Ok(true)
    }

    async fn remove_policy_rule(&mut self, rule: &PolicyRule) -> Result<bool> {
        let seq = self.state().policy_seq.get(rule).copied();
        let Some(seq) = seq else {
            return Ok(false);
        };
        self.write(|s| &mut s.policy, seq, None::<PolicyRule>);
        self.write(|s| &mut s.policy_seq, rule.clone(), None::<u64>);
        Ok(true)
    }

    async fn list_policy_rules(&mut self) -> Result<Vec<PolicyRule>> {
        Ok(self.state().policy.values().cloned().collect())
    }
}
