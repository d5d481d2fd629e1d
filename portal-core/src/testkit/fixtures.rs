//! Record builders for tests: valid, unique values with a fresh portal each time.

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::model::{
    AuditEvent, AuditOutcome, Invitation, InvitationId, MemberStatus, Membership, OneTimeToken, PasswordCredential,
    Portal, PortalId, PortalMode, Principal, Role, Session, SessionId, TokenId, TokenPurpose, User, UserId,
};
use crate::secret::SecretToken;

/// Now, truncated to whole microseconds (what every store keeps).
pub fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::microseconds(1)).expect("truncating to microseconds works")
}

/// A portal with a unique slug.
pub fn portal() -> Portal {
    let id = PortalId::new();
    Portal {
        id,
        slug: format!("p-{}", id.as_uuid().simple()),
        name: "Test Portal".into(),
        mode: PortalMode::Restricted,
        created_at: now(),
        version: 1,
    }
}

/// A user of `portal` with a unique email.
pub fn user(portal: PortalId) -> User {
    let id = UserId::new();
    User {
        id,
        portal_id: portal,
        email: format!("u{}@example.com", id.as_uuid().simple()),
        display_name: "Test User".into(),
        mfa_enabled: false,
        created_at: now(),
        version: 1,
    }
}

/// An active customer membership.
pub fn membership(portal: PortalId, user: UserId) -> Membership {
    Membership {
        portal_id: portal,
        user_id: user,
        roles: [Role::customer()].into(),
        status: MemberStatus::Active,
        updated_at: now(),
        version: 1,
    }
}

/// A password credential.
pub fn credential(portal: PortalId, user: UserId, phc: &str) -> PasswordCredential {
    PasswordCredential { portal_id: portal, user_id: user, phc: phc.into(), updated_at: now() }
}

/// A fresh session and its token.
pub fn session(portal: PortalId, user: UserId) -> (Session, SecretToken) {
    let token = SecretToken::generate().expect("random source works");
    let t = now();
    let s = Session {
        id: SessionId::new(),
        portal_id: portal,
        user_id: user,
        token_hash: token.hash(),
        created_at: t,
        last_seen_at: t,
        expires_at: t + Duration::hours(12),
        auth_time: t,
    };
    (s, token)
}

/// An open invitation for a unique email.
pub fn invitation(portal: PortalId) -> (Invitation, SecretToken) {
    let token = SecretToken::generate().expect("random source works");
    let id = InvitationId::new();
    let t = now();
    let inv = Invitation {
        id,
        portal_id: portal,
        email: format!("i{}@example.com", id.as_uuid().simple()),
        role: Role::agent(),
        token_hash: token.hash(),
        invited_by: None,
        created_at: t,
        expires_at: t + Duration::days(7),
        accepted_at: None,
        revoked_at: None,
    };
    (inv, token)
}

/// An unused single-use token.
pub fn token(portal: PortalId, user: UserId, purpose: TokenPurpose) -> (OneTimeToken, SecretToken) {
    let secret = SecretToken::generate().expect("random source works");
    let t = now();
    let tok = OneTimeToken {
        id: TokenId::new(),
        portal_id: portal,
        user_id: user,
        purpose,
        token_hash: secret.hash(),
        created_at: t,
        expires_at: t + Duration::minutes(30),
        used_at: None,
    };
    (tok, secret)
}

/// An audit event.
pub fn audit(portal: PortalId, action: &str) -> AuditEvent {
    AuditEvent::new(&Principal::anonymous(portal).with_request_id("req-1"), now(), action, AuditOutcome::Success)
        .target("t")
        .detail("k", "v")
}

/// A public top-level category of `portal` with a unique slug.
pub fn category(portal: crate::model::PortalId) -> crate::model::Category {
    let id = crate::model::CategoryId::new();
    let t = now();
    crate::model::Category {
        id,
        portal_id: portal,
        parent_id: None,
        name: "Getting started".into(),
        slug: format!("c-{}", id.as_uuid().simple()),
        visibility: crate::model::Visibility::public(),
        position: 0,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// A draft English article of `portal` with every optional field set.
pub fn article(portal: crate::model::PortalId) -> crate::model::Article {
    use crate::model::{Article, ArticleId, ArticleKind, ArticleStatus, Locale, Visibility};
    let id = ArticleId::new();
    let t = now();
    Article {
        id,
        portal_id: portal,
        category_id: None,
        kind: ArticleKind::Faq,
        locale: Locale::En,
        translation_of: id,
        title: "How do I reset my password?".into(),
        body: "Use **Forgot password** on the sign-in page.\n\n日本語も書けます。".into(),
        body_html: "<p>Use <strong>Forgot password</strong> on the sign-in page.</p>\n<p>日本語も書けます。</p>\n"
            .into(),
        tags: vec!["account".into(), "password".into()],
        visibility: Visibility::customers(),
        status: ArticleStatus::Draft,
        publish_at: Some(t + Duration::days(1)),
        published_at: Some(t),
        author_id: Some(UserId::new()),
        created_at: t,
        updated_at: t,
        last_reviewed_at: Some(t),
        review_due_at: Some(t + Duration::days(180)),
        version: 1,
    }
}

/// The revision recording `article` as it stands.
pub fn revision(article: &crate::model::Article, note: &str) -> crate::model::ArticleRevision {
    crate::model::ArticleRevision::of(article, article.author_id, note)
}
