//! The storage conformance suite: one function per `# Behavior` bullet of the storage ports.
//! Each creates its own portal, so all of them can share one database and run in parallel.

use chrono::Duration;
use std::sync::Arc;

use super::fixtures as fx;
use crate::error::ErrorKind;
use crate::model::{MemberStatus, PolicyRule, Portal, PortalId, ThrottleState, TokenPurpose, UserId};
use crate::ports::{Storage, Transaction};

/// The store under test.
pub type Store = Arc<dyn Storage>;

pub(super) async fn tx(store: &Store) -> Box<dyn Transaction> {
    store.begin().await.expect("begin")
}

pub(super) async fn new_portal(store: &Store) -> Portal {
    let p = fx::portal();
    let mut t = tx(store).await;
    t.insert_portal(&p).await.expect("insert portal");
    t.commit().await.expect("commit");
    p
}

async fn new_user(store: &Store, portal: PortalId) -> crate::model::User {
    let u = fx::user(portal);
    let mut t = tx(store).await;
    t.insert_user(&u).await.expect("insert user");
    t.insert_membership(&fx::membership(portal, u.id)).await.expect("insert membership");
    t.commit().await.expect("commit");
    u
}

/// `insert_portal` then `get_portal` / `get_portal_by_slug` read it back unchanged.
pub async fn portal_insert_then_get_by_id_and_slug(store: Store) {
    let p = new_portal(&store).await;
    let mut t = tx(&store).await;
    assert_eq!(t.get_portal(p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(t.get_portal_by_slug(&p.slug).await.unwrap(), Some(p));
}

/// Unknown ids and slugs read as `None`.
pub async fn portal_get_unknown_is_none(store: Store) {
    let mut t = tx(&store).await;
    assert_eq!(t.get_portal(PortalId::new()).await.unwrap(), None);
    assert_eq!(t.get_portal_by_slug("no-such-portal-slug-xyz").await.unwrap(), None);
}

/// A second portal with the same slug is `AlreadyExists` and is not written.
pub async fn portal_duplicate_slug_is_already_exists(store: Store) {
    let p = new_portal(&store).await;
    let mut dup = fx::portal();
    dup.slug = p.slug.clone();
    let mut t = tx(&store).await;
    assert_eq!(t.insert_portal(&dup).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    drop(t);
    let mut t = tx(&store).await;
    assert_eq!(t.get_portal(dup.id).await.unwrap(), None);
}

/// A user reads back unchanged by id and by email.
pub async fn user_insert_then_get_by_id_and_email(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    assert_eq!(t.get_user(p.id, u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(t.find_user_by_email(p.id, &u.email).await.unwrap(), Some(u));
}

/// Unknown users read as `None`.
pub async fn user_get_unknown_is_none(store: Store) {
    let p = new_portal(&store).await;
    let mut t = tx(&store).await;
    assert_eq!(t.get_user(p.id, UserId::new()).await.unwrap(), None);
    assert_eq!(t.find_user_by_email(p.id, "nobody@example.com").await.unwrap(), None);
}

/// The same email twice in one portal is `AlreadyExists`; nothing is written.
pub async fn user_duplicate_email_same_portal_is_already_exists(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut dup = fx::user(p.id);
    dup.email = u.email.clone();
    let mut t = tx(&store).await;
    assert_eq!(t.insert_user(&dup).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    drop(t);
    let mut t = tx(&store).await;
    assert_eq!(t.get_user(p.id, dup.id).await.unwrap(), None);
    assert_eq!(t.find_user_by_email(p.id, &u.email).await.unwrap().map(|x| x.id), Some(u.id));
}

/// The same email in another portal is another user.
pub async fn user_same_email_other_portal_is_accepted(store: Store) {
    let a = new_portal(&store).await;
    let b = new_portal(&store).await;
    let u = new_user(&store, a.id).await;
    let mut other = fx::user(b.id);
    other.email = u.email.clone();
    let mut t = tx(&store).await;
    t.insert_user(&other).await.expect("same email in another portal");
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.find_user_by_email(b.id, &u.email).await.unwrap().map(|x| x.id), Some(other.id));
    assert_eq!(t.find_user_by_email(a.id, &u.email).await.unwrap().map(|x| x.id), Some(u.id));
}

/// `update_user` with the current version writes and returns version + 1.
pub async fn user_update_increments_version(store: Store) {
    let p = new_portal(&store).await;
    let mut u = new_user(&store, p.id).await;
    u.display_name = "Renamed".into();
    let mut t = tx(&store).await;
    assert_eq!(t.update_user(&u).await.unwrap(), 2);
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let back = t.get_user(p.id, u.id).await.unwrap().unwrap();
    assert_eq!((back.display_name.as_str(), back.version), ("Renamed", 2));
}

/// A stale version is `Conflict` and writes nothing (D4).
pub async fn user_update_stale_version_is_conflict_and_writes_nothing(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut first = u.clone();
    first.display_name = "First".into();
    let mut t = tx(&store).await;
    t.update_user(&first).await.unwrap();
    t.commit().await.unwrap();
    let mut second = u.clone();
    second.display_name = "Second".into();
    let mut t = tx(&store).await;
    assert_eq!(t.update_user(&second).await.unwrap_err().kind(), ErrorKind::Conflict);
    drop(t);
    let mut t = tx(&store).await;
    assert_eq!(t.get_user(p.id, u.id).await.unwrap().unwrap().display_name, "First");
}

/// Updating an unknown user is `NotFound`.
pub async fn user_update_unknown_is_not_found(store: Store) {
    let p = new_portal(&store).await;
    let mut t = tx(&store).await;
    assert_eq!(t.update_user(&fx::user(p.id)).await.unwrap_err().kind(), ErrorKind::NotFound);
}

/// A membership reads back unchanged.
pub async fn membership_insert_then_get(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    let m = t.get_membership(p.id, u.id).await.unwrap().unwrap();
    let expected = fx::membership(p.id, u.id);
    assert_eq!(
        (m.portal_id, m.user_id, m.roles, m.status, m.version),
        (p.id, u.id, expected.roles, expected.status, 1)
    );
}

/// A second membership for the same user is `AlreadyExists`.
pub async fn membership_duplicate_is_already_exists(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    assert_eq!(t.insert_membership(&fx::membership(p.id, u.id)).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
}

/// A stale membership version is `Conflict`; nothing is written.
pub async fn membership_update_stale_version_is_conflict(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    let m = t.get_membership(p.id, u.id).await.unwrap().unwrap();
    let mut suspended = m.clone();
    suspended.status = MemberStatus::Suspended;
    assert_eq!(t.update_membership(&suspended).await.unwrap(), 2);
    t.commit().await.unwrap();
    let mut stale = m;
    stale.status = MemberStatus::Rejected;
    let mut t = tx(&store).await;
    assert_eq!(t.update_membership(&stale).await.unwrap_err().kind(), ErrorKind::Conflict);
    drop(t);
    let mut t = tx(&store).await;
    assert_eq!(t.get_membership(p.id, u.id).await.unwrap().unwrap().status, MemberStatus::Suspended);
}

/// Updating an unknown membership is `NotFound`.
pub async fn membership_update_unknown_is_not_found(store: Store) {
    let p = new_portal(&store).await;
    let mut t = tx(&store).await;
    let m = fx::membership(p.id, UserId::new());
    assert_eq!(t.update_membership(&m).await.unwrap_err().kind(), ErrorKind::NotFound);
}

/// Listing filters by status, pages by `after`, and keeps ascending user-id order.
pub async fn membership_list_filters_by_status_and_pages_in_id_order(store: Store) {
    let p = new_portal(&store).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let u = fx::user(p.id);
        let mut m = fx::membership(p.id, u.id);
        if i % 2 == 0 {
            m.status = MemberStatus::PendingApproval;
        }
        let mut t = tx(&store).await;
        t.insert_user(&u).await.unwrap();
        t.insert_membership(&m).await.unwrap();
        t.commit().await.unwrap();
        ids.push(u.id);
    }
    ids.sort();
    let mut t = tx(&store).await;
    let all: Vec<UserId> = t.list_memberships(p.id, None, None, 100).await.unwrap().iter().map(|m| m.user_id).collect();
    assert_eq!(all, ids);
    let page1 = t.list_memberships(p.id, None, None, 2).await.unwrap();
    let page2 = t.list_memberships(p.id, None, Some(page1[1].user_id), 2).await.unwrap();
    assert_eq!(page2.iter().map(|m| m.user_id).collect::<Vec<_>>(), ids[2..4].to_vec());
    let pending = t.list_memberships(p.id, Some(MemberStatus::PendingApproval), None, 100).await.unwrap();
    assert_eq!(pending.len(), 3);
    assert!(pending.iter().all(|m| m.status == MemberStatus::PendingApproval));
}

/// Setting a password twice keeps the second.
pub async fn credential_set_twice_returns_latest(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    t.set_password(&fx::credential(p.id, u.id, "$first")).await.unwrap();
    t.set_password(&fx::credential(p.id, u.id, "$second")).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_password(p.id, u.id).await.unwrap().unwrap().phc, "$second");
}

/// No password reads as `None`.
pub async fn credential_unknown_is_none(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    assert!(t.get_password(p.id, u.id).await.unwrap().is_none());
}

/// A session is found by its token hash.
pub async fn session_insert_then_find_by_hash(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (s, token) = fx::session(p.id, u.id);
    let mut t = tx(&store).await;
    t.insert_session(&s).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.find_session(p.id, &token.hash()).await.unwrap(), Some(s));
}

/// An unknown hash reads as `None`.
pub async fn session_find_unknown_is_none(store: Store) {
    let p = new_portal(&store).await;
    let (_, token) = fx::session(p.id, UserId::new());
    let mut t = tx(&store).await;
    assert_eq!(t.find_session(p.id, &token.hash()).await.unwrap(), None);
}

/// `Storage::find_session_record` returns the session with its member's membership, as a
/// transaction reading both would.
pub async fn session_record_matches_transactional_reads(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (s, token) = fx::session(p.id, u.id);
    let mut t = tx(&store).await;
    t.insert_session(&s).await.unwrap();
    t.commit().await.unwrap();
    let record = store.find_session_record(p.id, &token.hash()).await.unwrap().expect("record");
    let mut t = tx(&store).await;
    assert_eq!(record.session, s);
    assert_eq!(record.membership, t.get_membership(p.id, u.id).await.unwrap());
    assert!(record.membership.is_some());
}

/// `Storage::find_session_record_now`: an answer, when given, equals `find_session_record`'s,
/// and never shows what an open transaction has written but not committed.
pub async fn session_record_now_agrees_with_the_async_read(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (s, token) = fx::session(p.id, u.id);
    let (_, unknown) = fx::session(p.id, u.id);
    let mut t = tx(&store).await;
    t.insert_session(&s).await.unwrap();
    t.commit().await.unwrap();
    for (portal, hash) in [(p.id, token.hash()), (p.id, unknown.hash()), (other.id, token.hash())] {
        if let Some(now) = store.find_session_record_now(portal, &hash) {
            assert_eq!(now.unwrap(), store.find_session_record(portal, &hash).await.unwrap());
        }
    }
    let mut t = tx(&store).await;
    let mut m = t.get_membership(p.id, u.id).await.unwrap().unwrap();
    m.status = MemberStatus::Suspended;
    t.update_membership(&m).await.unwrap();
    if let Some(now) = store.find_session_record_now(p.id, &token.hash()) {
        let seen = now.unwrap().expect("record").membership.expect("membership");
        assert_eq!(seen.status, MemberStatus::Active, "an uncommitted write is never visible");
    }
    t.rollback().await.unwrap();
}

/// `Storage::find_session_record`: an unknown hash or another portal's session is `None`.
pub async fn session_record_unknown_or_other_portal_is_none(store: Store) {
    let p = new_portal(&store).await;
    let other = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (s, token) = fx::session(p.id, u.id);
    let mut t = tx(&store).await;
    t.insert_session(&s).await.unwrap();
    t.commit().await.unwrap();
    let (_, unknown) = fx::session(p.id, u.id);
    assert_eq!(store.find_session_record(p.id, &unknown.hash()).await.unwrap(), None);
    assert_eq!(store.find_session_record(other.id, &token.hash()).await.unwrap(), None);
}

/// `Storage::find_session_record` sees a membership change committed before it; a user with
/// no membership reads with `membership: None`.
pub async fn session_record_sees_committed_membership_changes(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (s, token) = fx::session(p.id, u.id);
    let mut t = tx(&store).await;
    t.insert_session(&s).await.unwrap();
    let mut m = t.get_membership(p.id, u.id).await.unwrap().unwrap();
    t.commit().await.unwrap();
    m.status = MemberStatus::Suspended;
    let mut t = tx(&store).await;
    t.update_membership(&m).await.unwrap();
    t.commit().await.unwrap();
    let record = store.find_session_record(p.id, &token.hash()).await.unwrap().expect("record");
    assert_eq!(record.membership.map(|m| m.status), Some(MemberStatus::Suspended));
    // A session of a user without a membership reads with `membership: None`.
    let loner = fx::user(p.id);
    let (orphan, orphan_token) = fx::session(p.id, loner.id);
    let mut t = tx(&store).await;
    t.insert_user(&loner).await.unwrap();
    t.insert_session(&orphan).await.unwrap();
    t.commit().await.unwrap();
    let record = store.find_session_record(p.id, &orphan_token.hash()).await.unwrap().expect("record");
    assert_eq!(record.membership, None);
}

/// `touch_session` moves `last_seen_at` of that session only.
pub async fn session_touch_updates_only_that_session(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (a, ta) = fx::session(p.id, u.id);
    let (b, tb) = fx::session(p.id, u.id);
    let later = a.last_seen_at + Duration::minutes(5);
    let mut t = tx(&store).await;
    t.insert_session(&a).await.unwrap();
    t.insert_session(&b).await.unwrap();
    t.touch_session(p.id, a.id, later).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.find_session(p.id, &ta.hash()).await.unwrap().unwrap().last_seen_at, later);
    assert_eq!(t.find_session(p.id, &tb.hash()).await.unwrap().unwrap().last_seen_at, b.last_seen_at);
}

/// `delete_session` removes only that session; unknown is `false`.
pub async fn session_delete_removes_only_that_session(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (a, ta) = fx::session(p.id, u.id);
    let (b, tb) = fx::session(p.id, u.id);
    let mut t = tx(&store).await;
    t.insert_session(&a).await.unwrap();
    t.insert_session(&b).await.unwrap();
    assert!(t.delete_session(p.id, a.id).await.unwrap());
    assert!(!t.delete_session(p.id, a.id).await.unwrap());
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert!(t.find_session(p.id, &ta.hash()).await.unwrap().is_none());
    assert!(t.find_session(p.id, &tb.hash()).await.unwrap().is_some());
}

/// `delete_user_sessions` keeps the session asked for and other users' sessions.
pub async fn session_delete_user_sessions_keeps_the_one_asked(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let other = new_user(&store, p.id).await;
    let (a, _) = fx::session(p.id, u.id);
    let (b, _) = fx::session(p.id, u.id);
    let (c, _) = fx::session(p.id, u.id);
    let (o, _) = fx::session(p.id, other.id);
    let mut t = tx(&store).await;
    for s in [&a, &b, &c, &o] {
        t.insert_session(s).await.unwrap();
    }
    assert_eq!(t.delete_user_sessions(p.id, u.id, Some(b.id)).await.unwrap(), 2);
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.list_user_sessions(p.id, u.id).await.unwrap().iter().map(|s| s.id).collect::<Vec<_>>(), vec![b.id]);
    assert_eq!(t.list_user_sessions(p.id, other.id).await.unwrap().len(), 1);
}

/// `list_user_sessions` returns exactly the user's sessions, oldest first.
pub async fn session_list_returns_only_that_users_sessions_oldest_first(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let other = new_user(&store, p.id).await;
    let (mut a, _) = fx::session(p.id, u.id);
    let (b, _) = fx::session(p.id, u.id);
    a.created_at = b.created_at - Duration::minutes(1);
    let (o, _) = fx::session(p.id, other.id);
    let mut t = tx(&store).await;
    t.insert_session(&b).await.unwrap();
    t.insert_session(&a).await.unwrap();
    t.insert_session(&o).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let ids: Vec<_> = t.list_user_sessions(p.id, u.id).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![a.id, b.id]);
}

/// An invitation reads back by id and by token hash.
pub async fn invitation_insert_then_get_and_find(store: Store) {
    let p = new_portal(&store).await;
    let (inv, token) = fx::invitation(p.id);
    let mut t = tx(&store).await;
    t.insert_invitation(&inv).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_invitation(p.id, inv.id).await.unwrap(), Some(inv.clone()));
    assert_eq!(t.find_invitation(p.id, &token.hash()).await.unwrap(), Some(inv));
}

/// Accepting works once.
pub async fn invitation_accept_succeeds_once(store: Store) {
    let p = new_portal(&store).await;
    let (inv, _) = fx::invitation(p.id);
    let now = fx::now();
    let mut t = tx(&store).await;
    t.insert_invitation(&inv).await.unwrap();
    assert!(t.accept_invitation(p.id, inv.id, now).await.unwrap());
    assert!(!t.accept_invitation(p.id, inv.id, now).await.unwrap());
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_invitation(p.id, inv.id).await.unwrap().unwrap().accepted_at, Some(now));
}

/// An expired invitation cannot be accepted.
pub async fn invitation_accept_expired_is_refused(store: Store) {
    let p = new_portal(&store).await;
    let (inv, _) = fx::invitation(p.id);
    let mut t = tx(&store).await;
    t.insert_invitation(&inv).await.unwrap();
    assert!(!t.accept_invitation(p.id, inv.id, inv.expires_at).await.unwrap());
}

/// A revoked invitation cannot be accepted.
pub async fn invitation_revoked_cannot_be_accepted(store: Store) {
    let p = new_portal(&store).await;
    let (inv, _) = fx::invitation(p.id);
    let now = fx::now();
    let mut t = tx(&store).await;
    t.insert_invitation(&inv).await.unwrap();
    assert!(t.revoke_invitation(p.id, inv.id, now).await.unwrap());
    assert!(!t.revoke_invitation(p.id, inv.id, now).await.unwrap());
    assert!(!t.accept_invitation(p.id, inv.id, now).await.unwrap());
}

/// Only open invitations are listed.
pub async fn invitation_list_open_only(store: Store) {
    let p = new_portal(&store).await;
    let now = fx::now();
    let (open, _) = fx::invitation(p.id);
    let (revoked, _) = fx::invitation(p.id);
    let (mut expired, _) = fx::invitation(p.id);
    expired.expires_at = now - Duration::seconds(1);
    let (accepted, _) = fx::invitation(p.id);
    let mut t = tx(&store).await;
    for i in [&open, &revoked, &expired, &accepted] {
        t.insert_invitation(i).await.unwrap();
    }
    t.revoke_invitation(p.id, revoked.id, now).await.unwrap();
    t.accept_invitation(p.id, accepted.id, now).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let ids: Vec<_> = t.list_open_invitations(p.id, now).await.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![open.id]);
}

/// A token is consumed once.
pub async fn token_consume_succeeds_once(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (tok, secret) = fx::token(p.id, u.id, TokenPurpose::PasswordReset);
    let now = fx::now();
    let mut t = tx(&store).await;
    t.insert_token(&tok).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let used = t.consume_token(p.id, &secret.hash(), TokenPurpose::PasswordReset, now).await.unwrap();
    assert_eq!(used.map(|x| (x.id, x.used_at)), Some((tok.id, Some(now))));
    assert!(t.consume_token(p.id, &secret.hash(), TokenPurpose::PasswordReset, now).await.unwrap().is_none());
}

/// An expired token is not consumed.
pub async fn token_consume_expired_is_none(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (tok, secret) = fx::token(p.id, u.id, TokenPurpose::PasswordReset);
    let mut t = tx(&store).await;
    t.insert_token(&tok).await.unwrap();
    assert!(t
        .consume_token(p.id, &secret.hash(), TokenPurpose::PasswordReset, tok.expires_at)
        .await
        .unwrap()
        .is_none());
}

/// A token of another purpose is not consumed, and stays usable for its own.
pub async fn token_consume_other_purpose_is_none_and_keeps_it(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (tok, secret) = fx::token(p.id, u.id, TokenPurpose::EmailVerification);
    let now = fx::now();
    let mut t = tx(&store).await;
    t.insert_token(&tok).await.unwrap();
    assert!(t.consume_token(p.id, &secret.hash(), TokenPurpose::PasswordReset, now).await.unwrap().is_none());
    assert!(t.consume_token(p.id, &secret.hash(), TokenPurpose::EmailVerification, now).await.unwrap().is_some());
}

/// `find_token` returns a token whatever its state.
pub async fn token_find_returns_any_state(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let (tok, secret) = fx::token(p.id, u.id, TokenPurpose::PasswordReset);
    let now = fx::now();
    let mut t = tx(&store).await;
    t.insert_token(&tok).await.unwrap();
    t.consume_token(p.id, &secret.hash(), TokenPurpose::PasswordReset, now).await.unwrap();
    let found = t.find_token(p.id, &secret.hash()).await.unwrap().unwrap();
    assert_eq!((found.id, found.used_at), (tok.id, Some(now)));
}

/// `revoke_tokens` kills every unused token of that user and purpose, and no one else's.
pub async fn token_revoke_kills_unused_tokens_of_user(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let other = new_user(&store, p.id).await;
    let (a, sa) = fx::token(p.id, u.id, TokenPurpose::PasswordReset);
    let (b, sb) = fx::token(p.id, u.id, TokenPurpose::PasswordReset);
    let (o, so) = fx::token(p.id, other.id, TokenPurpose::PasswordReset);
    let now = fx::now();
    let mut t = tx(&store).await;
    for x in [&a, &b, &o] {
        t.insert_token(x).await.unwrap();
    }
    assert_eq!(t.revoke_tokens(p.id, u.id, TokenPurpose::PasswordReset, now).await.unwrap(), 2);
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    for s in [&sa, &sb] {
        assert!(t.consume_token(p.id, &s.hash(), TokenPurpose::PasswordReset, now).await.unwrap().is_none());
    }
    assert!(t.consume_token(p.id, &so.hash(), TokenPurpose::PasswordReset, now).await.unwrap().is_some());
}

/// Appended events are listed unchanged, newest first.
pub async fn audit_append_then_list_newest_first(store: Store) {
    let p = new_portal(&store).await;
    let e1 = fx::audit(p.id, "a.first");
    let e2 = fx::audit(p.id, "a.second");
    let mut t = tx(&store).await;
    t.append_audit(&e1).await.unwrap();
    t.append_audit(&e2).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.list_audit(p.id, None, 10).await.unwrap(), vec![e2, e1]);
}

/// `before` pages backwards; `limit` caps the page.
pub async fn audit_list_pages_with_before(store: Store) {
    let p = new_portal(&store).await;
    let events: Vec<_> = (0..5).map(|i| fx::audit(p.id, &format!("a.n{i}"))).collect();
    let mut t = tx(&store).await;
    for e in &events {
        t.append_audit(e).await.unwrap();
    }
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    let page1 = t.list_audit(p.id, None, 2).await.unwrap();
    assert_eq!(page1.iter().map(|e| e.id).collect::<Vec<_>>(), vec![events[4].id, events[3].id]);
    let page2 = t.list_audit(p.id, Some(page1[1].id), 2).await.unwrap();
    assert_eq!(page2.iter().map(|e| e.id).collect::<Vec<_>>(), vec![events[2].id, events[1].id]);
}

/// An unknown throttle key reads as `None`.
pub async fn throttle_unknown_is_none(store: Store) {
    let p = new_portal(&store).await;
    let mut t = tx(&store).await;
    assert_eq!(t.get_throttle(p.id, "nobody@example.com").await.unwrap(), None);
}

/// A stored throttle state reads back; cleared reads `None`.
pub async fn throttle_put_get_clear_round_trip(store: Store) {
    let p = new_portal(&store).await;
    let state = ThrottleState { failures: 7, blocked_until: Some(fx::now() + Duration::seconds(4)) };
    let mut t = tx(&store).await;
    t.put_throttle(p.id, "k@example.com", &state).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_throttle(p.id, "k@example.com").await.unwrap(), Some(state));
    t.clear_throttle(p.id, "k@example.com").await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert_eq!(t.get_throttle(p.id, "k@example.com").await.unwrap(), None);
}

/// The policy is shared by the whole store, so each policy test writes lines naming a fresh
/// domain of its own and looks only at those.
fn domain() -> String {
    PortalId::new().to_string()
}

fn rule(ptype: &str, values: &[&str]) -> PolicyRule {
    PolicyRule::new(ptype, values.iter().copied()).expect("valid rule")
}

async fn policy_of(store: &Store, domain: &str) -> Vec<PolicyRule> {
    let mut t = tx(store).await;
    let all = t.list_policy_rules().await.expect("list policy");
    all.into_iter().filter(|r| r.values().iter().any(|v| v == domain)).collect()
}

/// An added rule is listed unchanged.
pub async fn policy_add_then_list_unchanged(store: Store) {
    let d = domain();
    let r = rule("p", &["moderator", &d, "member", "suspend"]);
    let mut t = tx(&store).await;
    assert!(t.add_policy_rule(&r).await.unwrap());
    t.commit().await.unwrap();
    assert_eq!(policy_of(&store, &d).await, vec![r]);
}

/// Adding an equal rule again returns `false` and it stays listed once.
pub async fn policy_add_twice_is_false_and_listed_once(store: Store) {
    let d = domain();
    let r = rule("g", &["user-1", "admin", &d]);
    let mut t = tx(&store).await;
    assert!(t.add_policy_rule(&r).await.unwrap());
    assert!(!t.add_policy_rule(&r).await.unwrap());
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert!(!t.add_policy_rule(&r).await.unwrap());
    t.commit().await.unwrap();
    assert_eq!(policy_of(&store, &d).await, vec![r]);
}

/// Removing deletes only that rule; a rule not stored returns `false`.
pub async fn policy_remove_removes_only_that_rule(store: Store) {
    let d = domain();
    let keep = rule("p", &["agent", &d, "member", "list"]);
    let gone = rule("p", &["agent", &d, "member", "invite"]);
    let mut t = tx(&store).await;
    t.add_policy_rule(&keep).await.unwrap();
    t.add_policy_rule(&gone).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    assert!(t.remove_policy_rule(&gone).await.unwrap());
    assert!(!t.remove_policy_rule(&gone).await.unwrap());
    assert!(!t.remove_policy_rule(&rule("p", &["nobody", &d, "x", "y"])).await.unwrap());
    t.commit().await.unwrap();
    assert_eq!(policy_of(&store, &d).await, vec![keep]);
}

/// Rules list in insertion order; a `p` and a `g` line with the same values, or lines where one
/// is a prefix of the other, are different rules.
pub async fn policy_list_keeps_insertion_order_types_and_lengths_apart(store: Store) {
    let d = domain();
    let rules = vec![
        rule("p", &["b", &d, "obj", "act"]),
        rule("g", &["b", &d, "obj", "act"]),
        rule("p", &["b", &d, "obj"]),
        rule("p2", &["b", &d, "obj", "act", "eft", "x"]),
        rule("p", &["a", &d, "obj", "act"]),
    ];
    let mut t = tx(&store).await;
    for r in &rules {
        assert!(t.add_policy_rule(r).await.unwrap(), "{r}");
    }
    t.commit().await.unwrap();
    assert_eq!(policy_of(&store, &d).await, rules);
    let mut t = tx(&store).await;
    assert!(t.remove_policy_rule(&rules[0]).await.unwrap());
    assert!(t.add_policy_rule(&rules[0]).await.unwrap());
    t.commit().await.unwrap();
    let mut moved = rules[1..].to_vec();
    moved.push(rules[0].clone());
    assert_eq!(policy_of(&store, &d).await, moved, "a re-added rule is the newest");
}

/// Policy writes of a rolled-back or dropped transaction are not stored.
pub async fn policy_rollback_writes_nothing(store: Store) {
    let d = domain();
    let kept = rule("p", &["admin", &d, "audit", "read"]);
    let mut t = tx(&store).await;
    t.add_policy_rule(&kept).await.unwrap();
    t.commit().await.unwrap();
    let mut t = tx(&store).await;
    t.add_policy_rule(&rule("p", &["admin", &d, "member", "list"])).await.unwrap();
    t.remove_policy_rule(&kept).await.unwrap();
    t.rollback().await.unwrap();
    let mut t = tx(&store).await;
    t.add_policy_rule(&rule("g", &["u", "admin", &d])).await.unwrap();
    drop(t);
    assert_eq!(policy_of(&store, &d).await, vec![kept]);
}

/// After commit, a new transaction sees every write.
pub async fn tx_commit_is_visible(store: Store) {
    let p = new_portal(&store).await;
    let u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    assert!(t.get_membership(p.id, u.id).await.unwrap().is_some());
}

/// After rollback, nothing of the transaction is visible.
pub async fn tx_rollback_writes_nothing(store: Store) {
    let p = new_portal(&store).await;
    let u = fx::user(p.id);
    let mut t = tx(&store).await;
    t.insert_user(&u).await.unwrap();
    t.insert_membership(&fx::membership(p.id, u.id)).await.unwrap();
    t.append_audit(&fx::audit(p.id, "x.rolled_back")).await.unwrap();
    t.rollback().await.unwrap();
    let mut t = tx(&store).await;
    assert!(t.get_user(p.id, u.id).await.unwrap().is_none());
    assert!(t.get_membership(p.id, u.id).await.unwrap().is_none());
    assert!(t.list_audit(p.id, None, 10).await.unwrap().is_empty());
}

/// Dropping a transaction without commit writes nothing.
pub async fn tx_drop_without_commit_writes_nothing(store: Store) {
    let p = new_portal(&store).await;
    let mut u = new_user(&store, p.id).await;
    let mut t = tx(&store).await;
    u.display_name = "Changed".into();
    t.update_user(&u).await.unwrap();
    t.put_throttle(p.id, "x", &ThrottleState::default()).await.unwrap();
    drop(t);
    let mut t = tx(&store).await;
    assert_eq!(t.get_user(p.id, u.id).await.unwrap().unwrap().version, 1);
    assert!(t.get_throttle(p.id, "x").await.unwrap().is_none());
}

/// 20 concurrent read-modify-write transactions on one row: all 20 increments survive.
pub async fn tx_concurrent_read_modify_write_loses_no_update(store: Store) {
    let p = new_portal(&store).await;
    let mut handles = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            loop {
                let attempt = async {
                    let mut t = store.begin().await?;
                    let mut s = t.get_throttle(p.id, "counter").await?.unwrap_or_default();
                    tokio::task::yield_now().await;
                    s.failures += 1;
                    t.put_throttle(p.id, "counter", &s).await?;
                    t.commit().await
                }
                .await;
                match attempt {
                    Ok(()) => break,
                    // A store may refuse a serialization conflict; retrying is the caller's job.
                    Err(e) if e.is_retryable() => continue,
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let mut t = tx(&store).await;
    assert_eq!(t.get_throttle(p.id, "counter").await.unwrap().unwrap().failures, 20);
}

/// Z6: every method given portal B's id behaves as if A's records did not exist.
pub async fn z6_other_portal_ids_behave_as_missing(store: Store) {
    let a = new_portal(&store).await;
    let b = new_portal(&store).await;
    let u = new_user(&store, a.id).await;
    let (s, st) = fx::session(a.id, u.id);
    let (inv, it) = fx::invitation(a.id);
    let (tok, tt) = fx::token(a.id, u.id, TokenPurpose::PasswordReset);
    let now = fx::now();
    let mut t = tx(&store).await;
    t.set_password(&fx::credential(a.id, u.id, "$phc")).await.unwrap();
    t.insert_session(&s).await.unwrap();
    t.insert_invitation(&inv).await.unwrap();
    t.insert_token(&tok).await.unwrap();
    t.append_audit(&fx::audit(a.id, "a.only")).await.unwrap();
    t.put_throttle(a.id, &u.email, &ThrottleState { failures: 3, blocked_until: None }).await.unwrap();
    t.commit().await.unwrap();

    let mut t = tx(&store).await;
    assert!(t.get_user(b.id, u.id).await.unwrap().is_none());
    assert!(t.find_user_by_email(b.id, &u.email).await.unwrap().is_none());
    let mut moved = u.clone();
    moved.portal_id = b.id;
    assert_eq!(t.update_user(&moved).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(t.get_membership(b.id, u.id).await.unwrap().is_none());
    let mut m = fx::membership(b.id, u.id);
    m.status = MemberStatus::Suspended;
    assert_eq!(t.update_membership(&m).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(t.list_memberships(b.id, None, None, 100).await.unwrap().is_empty());
    assert!(t.get_password(b.id, u.id).await.unwrap().is_none());
    assert!(t.find_session(b.id, &st.hash()).await.unwrap().is_none());
    t.touch_session(b.id, s.id, now + Duration::hours(1)).await.unwrap();
    assert!(!t.delete_session(b.id, s.id).await.unwrap());
    assert_eq!(t.delete_user_sessions(b.id, u.id, None).await.unwrap(), 0);
    assert!(t.list_user_sessions(b.id, u.id).await.unwrap().is_empty());
    assert!(t.get_invitation(b.id, inv.id).await.unwrap().is_none());
    assert!(t.find_invitation(b.id, &it.hash()).await.unwrap().is_none());
    assert!(!t.accept_invitation(b.id, inv.id, now).await.unwrap());
    assert!(!t.revoke_invitation(b.id, inv.id, now).await.unwrap());
    assert!(t.list_open_invitations(b.id, now).await.unwrap().is_empty());
    assert!(t.find_token(b.id, &tt.hash()).await.unwrap().is_none());
    assert!(t.consume_token(b.id, &tt.hash(), TokenPurpose::PasswordReset, now).await.unwrap().is_none());
    assert_eq!(t.revoke_tokens(b.id, u.id, TokenPurpose::PasswordReset, now).await.unwrap(), 0);
    assert!(t.list_audit(b.id, None, 100).await.unwrap().is_empty());
    assert!(t.get_throttle(b.id, &u.email).await.unwrap().is_none());
    t.commit().await.unwrap();

    // And A's records are untouched by all of that.
    let mut t = tx(&store).await;
    let sa = t.find_session(a.id, &st.hash()).await.unwrap().unwrap();
    assert_eq!(sa.last_seen_at, s.last_seen_at);
    assert!(t.get_invitation(a.id, inv.id).await.unwrap().unwrap().is_open(now));
    assert!(t.find_token(a.id, &tt.hash()).await.unwrap().unwrap().used_at.is_none());
    assert_eq!(t.get_membership(a.id, u.id).await.unwrap().unwrap().status, MemberStatus::Active);
}

pub use super::knowledge::*;
