//! Z1: the generated matrix role × portal × operation. Every public access-service operation that
//! acts for a signed-in principal is run by each default role, in its own portal and from another
//! portal, and the answer must be exactly what the shipped policy says — deny by default:
//!
//! - a role the policy does not allow gets `PermissionDenied` (`Unauthenticated` when not signed
//!   in) and nothing is written;
//! - an allowed role is never refused in its own portal;
//! - from another portal, an allowed role never reaches the first portal: a record of it is
//!   `NotFound` (Z6), a list holds none of it, a policy line for it is refused, and nothing of it
//!   changes.
//!
//! The expected table below is written from `portal-auth/casbin/policy.csv` by hand, not read from
//! it, so a change to the shipped policy or to a service's check shows up here.

mod common;

use common::{Harness, GOOD_PASSWORD};
use portal::core::memory::MemoryStore;
use portal::core::model::{
    Article, ArticleKind, AttachmentId, AuditOutcome, Category, CategoryId, InvitationId, Locale, PolicyRule, PortalId,
    Principal, Role, SearchEventId, SessionId, UserId, Visibility,
};
use portal::core::ports::SearchRequest;
use portal::core::ports::Storage;
use portal::core::services::knowledge::{article_key, ArticleForm, ArticleQuery, CategoryForm};
use portal::prelude::{ErrorKind, MemberQuery, MemberStatus, PortalMode};
use std::sync::Arc;

const PDF: &[u8] = b"%PDF-1.7\n%%EOF\n";

/// The shipped roles, each inheriting the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    Customer,
    Agent,
    Admin,
}

const EVERYONE: [Who; 4] = [Who::Anonymous, Who::Customer, Who::Agent, Who::Admin];

/// What an operation does when an allowed principal of another portal aims it at this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elsewhere {
    /// It names a record of this portal: `NotFound`.
    NotFound,
    /// It lists or acts within the caller's own portal: succeeds, holding nothing of this one.
    OwnPortal,
    /// It names this portal in a policy line: `PermissionDenied`.
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Approve,
    Reject,
    Suspend,
    Reactivate,
    ListMembers,
    ShowMember,
    InviteCustomer,
    InviteAgent,
    InviteAdmin,
    ListInvitations,
    RevokeInvitation,
    RevokeMemberSessions,
    ReadAudit,
    GrantCustomer,
    GrantAgent,
    GrantAdmin,
    RevokeCustomer,
    RevokeAgent,
    ListPolicy,
    AddPolicyLine,
    RemovePolicyLine,
    ListOwnSessions,
    RevokeOwnSession,
    RevokeOtherOwnSessions,
    ChangeOwnPassword,
    Logout,
    CreateCategory,
    UpdateCategory,
    ListCategories,
    CreateArticle,
    EditArticle,
    PublishArticle,
    ArchiveArticle,
    RestoreRevision,
    MarkReviewed,
    ListRevisions,
    ReadArticle,
    ListArticles,
    Search,
    RecordClick,
    SearchReport,
    RecordView,
    GiveFeedback,
    ArticleStats,
    ArticleFeedback,
    AddAttachment,
    ListAttachments,
    DownloadAttachment,
    RemoveAttachment,
}

const OPS: [Op; 49] = [
    Op::Approve,
    Op::Reject,
    Op::Suspend,
    Op::Reactivate,
    Op::ListMembers,
    Op::ShowMember,
    Op::InviteCustomer,
    Op::InviteAgent,
    Op::InviteAdmin,
    Op::ListInvitations,
    Op::RevokeInvitation,
    Op::RevokeMemberSessions,
    Op::ReadAudit,
    Op::GrantCustomer,
    Op::GrantAgent,
    Op::GrantAdmin,
    Op::RevokeCustomer,
    Op::RevokeAgent,
    Op::ListPolicy,
    Op::AddPolicyLine,
    Op::RemovePolicyLine,
    Op::ListOwnSessions,
    Op::RevokeOwnSession,
    Op::RevokeOtherOwnSessions,
    Op::ChangeOwnPassword,
    Op::Logout,
    Op::CreateCategory,
    Op::UpdateCategory,
    Op::ListCategories,
    Op::CreateArticle,
    Op::EditArticle,
    Op::PublishArticle,
    Op::ArchiveArticle,
    Op::RestoreRevision,
    Op::MarkReviewed,
    Op::ListRevisions,
    Op::ReadArticle,
    Op::ListArticles,
    Op::Search,
    Op::RecordClick,
    Op::SearchReport,
    Op::RecordView,
    Op::GiveFeedback,
    Op::ArticleStats,
    Op::ArticleFeedback,
    Op::AddAttachment,
    Op::ListAttachments,
    Op::DownloadAttachment,
    Op::RemoveAttachment,
];

impl Op {
    /// The least role the shipped policy lets do this.
    fn needs(self) -> Who {
        use Op::*;
        match self {
            ListMembers | ShowMember | InviteCustomer | GrantCustomer | RevokeCustomer => Who::Agent,
            CreateArticle | EditArticle | PublishArticle | ArchiveArticle | RestoreRevision | MarkReviewed
            | ListRevisions | SearchReport | ArticleStats | ArticleFeedback | AddAttachment | RemoveAttachment => {
                Who::Agent
            }
            ListOwnSessions | RevokeOwnSession | RevokeOtherOwnSessions | ChangeOwnPassword | Logout => Who::Customer,
            ReadArticle | ListArticles | ListCategories | Search | RecordClick | RecordView | GiveFeedback
            | ListAttachments | DownloadAttachment => Who::Anonymous,
            _ => Who::Admin,
        }
    }

    fn elsewhere(self) -> Elsewhere {
        use Op::*;
        match self {
            ListMembers
            | ListInvitations
            | ReadAudit
            | ListPolicy
            | ListOwnSessions
            | RevokeOtherOwnSessions
            | ChangeOwnPassword
            | Logout
            | InviteCustomer
            | InviteAgent
            | InviteAdmin => Elsewhere::OwnPortal,
            CreateCategory | CreateArticle | ListCategories | ListArticles | Search | SearchReport => {
                Elsewhere::OwnPortal
            }
            AddPolicyLine | RemovePolicyLine => Elsewhere::Refused,
            _ => Elsewhere::NotFound,
        }
    }
}

/// Portal A with one record of every kind an operation can name, and another portal B.
struct World {
    h: Harness,
    a: PortalId,
    a_admin: Principal,
    pending: UserId,
    active: UserId,
    suspended: UserId,
    invitation: InvitationId,
    /// A session of `active`'s.
    session: SessionId,
    /// A public category with a published public article in it.
    category: Category,
    article: Article,
    /// A file attached to `article`.
    attachment: AttachmentId,
    /// A search run in A.
    search: SearchEventId,
    b: PortalId,
    b_admin: Principal,
}

impl World {
    async fn new(h: Harness) -> World {
        let (a, a_admin) = h.portal_with_admin(PortalMode::Restricted).await;
        let active = h.member(a, &a_admin, "active@example.org").await.user_id.unwrap();
        let suspended = h.member(a, &a_admin, "suspended@example.org").await.user_id.unwrap();
        h.access().suspend(&a_admin, suspended).await.unwrap();
        h.register(a, "pending@example.org", GOOD_PASSWORD).await.unwrap();
        let query = MemberQuery { status: Some(MemberStatus::PendingApproval), ..Default::default() };
        let pending = h.access().list_members(&a_admin, query).await.unwrap()[0].user.id;
        let invitation =
            h.access().invite(&a_admin, "invited@example.org", Role::customer()).await.unwrap().invitation.id;
        let session = h.login(a, "active@example.org", GOOD_PASSWORD).await.unwrap().session_id.unwrap();
        let kb = h.portal.knowledge();
        let category = kb.create_category(&a_admin, category_form("help")).await.unwrap();
        let draft = kb.create_article(&a_admin, article_form(Some(category.id))).await.unwrap();
        let article = kb.publish_article(&a_admin, draft.id, draft.version, None).await.unwrap();
        let attachment = kb.add_attachment(&a_admin, article.id, "guide.pdf", PDF.to_vec()).await.unwrap().id;
        let searched = kb.search(&a_admin, SearchRequest { text: "sign".into(), ..Default::default() }).await.unwrap();
        let search = searched.search_id.unwrap();
        let (b, b_admin) = h.portal_with_admin(PortalMode::Public).await;
        World {
            h,
            a,
            a_admin,
            pending,
            active,
            suspended,
            invitation,
            session,
            category,
            article,
            attachment,
            search,
            b,
            b_admin,
        }
    }

    /// A principal with `who`'s role in `portal` (signed in, except the anonymous visitor).
    async fn actor(&self, who: Who, portal: PortalId) -> Principal {
        let admin = if portal == self.a { &self.a_admin } else { &self.b_admin };
        let email = "actor@example.org";
        match who {
            Who::Anonymous => Principal::anonymous(portal),
            Who::Customer => self.h.member(portal, admin, email).await,
            Who::Agent => self.h.invited(portal, admin, email, Role::agent()).await,
            Who::Admin => self.h.invited(portal, admin, email, Role::admin()).await,
        }
    }

    /// What portal A holds, as its administrator sees it: members and their standing, open
    /// invitations, its own policy lines and its successful changes.
    async fn snapshot_of_a(&self) -> String {
        let access = self.h.access();
        let members = access.list_members(&self.a_admin, MemberQuery::default()).await.unwrap();
        let members: Vec<_> =
            members.iter().map(|m| (m.user.id, m.membership.status, m.membership.roles.clone())).collect();
        let invitations: Vec<_> = access.list_invitations(&self.a_admin).await.unwrap().iter().map(|i| i.id).collect();
        let lines: Vec<_> = access.list_policy(&self.a_admin).await.unwrap().iter().map(ToString::to_string).collect();
        let kb = self.h.portal.knowledge();
        let articles = kb.articles(&self.a_admin, ArticleQuery::default()).await.unwrap();
        let categories = kb.categories(&self.a_admin).await.unwrap();
        let searches = kb.search_report(&self.a_admin, self.h.now() - chrono::Duration::days(1), 100).await.unwrap();
        let stats = kb.article_stats(&self.a_admin, self.article.id).await.unwrap();
        let files = kb.attachments(&self.a_admin, self.article.id).await.unwrap();
        let changes = access.audit_log(&self.a_admin, None, 1000).await.unwrap();
        let changes: Vec<_> = changes.iter().filter(|e| e.outcome == AuditOutcome::Success).map(|e| e.id).collect();
        format!(
            "{members:?} {invitations:?} {lines:?} {changes:?} {articles:?} {categories:?} {searches:?} {stats:?} {files:?}"
        )
    }

    /// Run `op` as `actor`, aimed at portal A's records; `Ok` carries what it returned.
    async fn run(&self, op: Op, actor: &Principal) -> Result<String, ErrorKind> {
        let access = self.h.access();
        let kb = self.h.portal.knowledge();
        let art = &self.article;
        let a = self.a.to_string();
        let line = |role: &str| PolicyRule::new("p", [role, a.as_str(), "audit", "read", "allow"]).unwrap();
        let shown = |r: portal::core::Result<String>| r.map_err(|e| e.kind());
        let password = "quiet rivers remember every stone";
        shown(match op {
            Op::Approve => access.approve(actor, self.pending).await.map(|m| format!("{m:?}")),
            Op::Reject => access.reject(actor, self.pending).await.map(|m| format!("{m:?}")),
            Op::Suspend => access.suspend(actor, self.active).await.map(|m| format!("{m:?}")),
            Op::Reactivate => access.reactivate(actor, self.suspended).await.map(|m| format!("{m:?}")),
            Op::ListMembers => access.list_members(actor, MemberQuery::default()).await.map(|m| format!("{m:?}")),
            Op::ShowMember => access.member(actor, self.active).await.map(|m| format!("{m:?}")),
            Op::InviteCustomer => {
                access.invite(actor, "new@example.org", Role::customer()).await.map(|i| format!("{:?}", i.invitation))
            }
            Op::InviteAgent => {
                access.invite(actor, "new@example.org", Role::agent()).await.map(|i| format!("{:?}", i.invitation))
            }
            Op::InviteAdmin => {
                access.invite(actor, "new@example.org", Role::admin()).await.map(|i| format!("{:?}", i.invitation))
            }
            Op::ListInvitations => access.list_invitations(actor).await.map(|v| format!("{v:?}")),
            Op::RevokeInvitation => access.revoke_invitation(actor, self.invitation).await.map(|()| String::new()),
            Op::RevokeMemberSessions => access.revoke_member_sessions(actor, self.active).await.map(|n| n.to_string()),
            Op::ReadAudit => access.audit_log(actor, None, 1000).await.map(|v| format!("{v:?}")),
            Op::GrantCustomer => {
                access.grant_role(actor, self.active, Role::customer()).await.map(|m| format!("{m:?}"))
            }
            Op::GrantAgent => access.grant_role(actor, self.active, Role::agent()).await.map(|m| format!("{m:?}")),
            Op::GrantAdmin => access.grant_role(actor, self.active, Role::admin()).await.map(|m| format!("{m:?}")),
            Op::RevokeCustomer => {
                access.revoke_role(actor, self.active, Role::customer()).await.map(|m| format!("{m:?}"))
            }
            Op::RevokeAgent => access.revoke_role(actor, self.active, Role::agent()).await.map(|m| format!("{m:?}")),
            Op::ListPolicy => access.list_policy(actor).await.map(|v| format!("{v:?}")),
            Op::AddPolicyLine => access.add_policy_line(actor, line("customer")).await.map(|b| b.to_string()),
            Op::RemovePolicyLine => access.remove_policy_line(actor, line("agent")).await.map(|b| b.to_string()),
            Op::ListOwnSessions => access.list_sessions(actor).await.map(|v| format!("{v:?}")),
            // A session of portal A's member, not the actor's.
            Op::RevokeOwnSession => access.revoke_session(actor, self.session).await.map(|()| String::new()),
            Op::RevokeOtherOwnSessions => access.revoke_other_sessions(actor).await.map(|n| n.to_string()),
            Op::ChangeOwnPassword => {
                access.change_password(actor, GOOD_PASSWORD, password).await.map(|()| String::new())
            }
            Op::Logout => access.logout(actor).await.map(|()| String::new()),
            Op::CreateCategory => kb.create_category(actor, category_form("more-help")).await.map(|c| format!("{c:?}")),
            Op::UpdateCategory => {
                kb.update_category(actor, self.category.id, 1, category_form("help")).await.map(|c| format!("{c:?}"))
            }
            Op::ListCategories => kb.categories(actor).await.map(|v| format!("{v:?}")),
            Op::CreateArticle => kb.create_article(actor, article_form(None)).await.map(|a| format!("{a:?}")),
            Op::EditArticle => {
                kb.edit_article(actor, art.id, art.version, article_form(None)).await.map(|a| format!("{a:?}"))
            }
            Op::PublishArticle => kb.publish_article(actor, art.id, art.version, None).await.map(|a| format!("{a:?}")),
            Op::ArchiveArticle => kb.archive_article(actor, art.id, art.version).await.map(|a| format!("{a:?}")),
            Op::RestoreRevision => kb.restore_revision(actor, art.id, art.version, 1).await.map(|a| format!("{a:?}")),
            Op::MarkReviewed => kb.mark_reviewed(actor, art.id, art.version, None).await.map(|a| format!("{a:?}")),
            Op::ListRevisions => kb.revisions(actor, art.id).await.map(|v| format!("{v:?}")),
            Op::ReadArticle => kb.article(actor, art.id).await.map(|a| format!("{a:?}")),
            Op::ListArticles => kb.articles(actor, ArticleQuery::default()).await.map(|p| format!("{p:?}")),
            Op::Search => {
                let request = SearchRequest { text: "sign in".into(), facets: true, ..Default::default() };
                kb.search(actor, request).await.map(|r| format!("{:?} {:?} {:?}", r.hits, r.total, r.facets))
            }
            Op::RecordClick => kb.record_click(actor, self.search, &article_key(art.id)).await.map(|()| String::new()),
            Op::RecordView => kb.record_view(actor, art.id).await.map(|()| String::new()),
            Op::GiveFeedback => kb.give_feedback(actor, art.id, true, "thanks").await.map(|()| String::new()),
            Op::ArticleStats => kb.article_stats(actor, art.id).await.map(|s| format!("{s:?}")),
            Op::ArticleFeedback => kb.article_feedback(actor, art.id, 10).await.map(|v| format!("{v:?}")),
            Op::AddAttachment => {
                kb.add_attachment(actor, art.id, "new.pdf", PDF.to_vec()).await.map(|a| format!("{a:?}"))
            }
            Op::ListAttachments => kb.attachments(actor, art.id).await.map(|v| format!("{v:?}")),
            Op::DownloadAttachment => {
                kb.download_attachment(actor, self.attachment).await.map(|d| format!("{:?}", d.attachment))
            }
            Op::RemoveAttachment => kb.remove_attachment(actor, self.attachment).await.map(|()| String::new()),
            Op::SearchReport => {
                let since = self.h.now() - chrono::Duration::days(1);
                kb.search_report(actor, since, 100).await.map(|v| format!("{v:?}"))
            }
        })
    }
}

fn category_form(slug: &str) -> CategoryForm {
    CategoryForm {
        parent_id: None,
        name: "Help".into(),
        slug: slug.into(),
        visibility: Visibility::public(),
        position: 0,
    }
}

fn article_form(category_id: Option<CategoryId>) -> ArticleForm {
    ArticleForm {
        category_id,
        kind: ArticleKind::Faq,
        locale: Locale::En,
        translation_of: None,
        title: "How do I sign in?".into(),
        body: "With your email address.".into(),
        tags: Vec::new(),
        visibility: Visibility::public(),
        review_due_at: None,
    }
}

fn refusal(who: Who) -> ErrorKind {
    if who == Who::Anonymous {
        ErrorKind::Unauthenticated
    } else {
        ErrorKind::PermissionDenied
    }
}

/// One cell of the matrix, on a fresh world.
async fn cell(h: Harness, who: Who, own_portal: bool, op: Op) {
    let w = World::new(h).await;
    let portal = if own_portal { w.a } else { w.b };
    let actor = w.actor(who, portal).await;
    let before = w.snapshot_of_a().await;
    let result = w.run(op, &actor).await;
    let after = w.snapshot_of_a().await;
    let cell = format!("{who:?} in {} portal, {op:?}: {result:?}", if own_portal { "its own" } else { "another" });
    let allowed = who >= op.needs();

    if !allowed {
        assert_eq!(result.as_ref().err(), Some(&refusal(who)), "{cell}: the policy does not allow it");
        assert_eq!(before, after, "{cell}: a refusal writes nothing");
        return;
    }
    if own_portal {
        let refused = matches!(result, Err(ErrorKind::PermissionDenied | ErrorKind::Unauthenticated));
        assert!(!refused, "{cell}: the policy allows it");
        // RevokeOwnSession names someone else's session: allowed, and NotFound (S8).
        if op == Op::RevokeOwnSession {
            assert_eq!(result, Err(ErrorKind::NotFound), "{cell}");
        } else {
            assert!(result.is_ok(), "{cell}");
        }
        return;
    }
    assert_eq!(before, after, "{cell}: another portal's member changes nothing here");
    match op.elsewhere() {
        Elsewhere::NotFound => assert_eq!(result, Err(ErrorKind::NotFound), "{cell}"),
        Elsewhere::Refused => assert_eq!(result, Err(ErrorKind::PermissionDenied), "{cell}"),
        Elsewhere::OwnPortal => {
            let shown = result.unwrap_or_else(|e| panic!("{cell}: allowed in its own portal, got {e:?}"));
            let ids = [w.a.to_string(), w.pending.to_string(), w.active.to_string(), w.suspended.to_string()];
            let kb_ids = [w.article.id.to_string(), w.category.id.to_string()];
            for id in ids.iter().chain(&kb_ids) {
                assert!(!shown.contains(id.as_str()), "{cell}: shows {id} of the other portal");
            }
            assert!(!shown.contains(&format!("{:?}", w.invitation)), "{cell}: shows the other portal's invitation");
        }
    }
}

async fn whole_matrix(make: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Harness>>>) {
    let mut cells = 0;
    for who in EVERYONE {
        for own_portal in [true, false] {
            for op in OPS {
                cell(make().await, who, own_portal, op).await;
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 4 * 2 * OPS.len());
}

#[tokio::test]
async fn z1_every_role_in_every_portal_gets_exactly_what_the_policy_grants_compiled() {
    whole_matrix(|| Box::pin(Harness::memory())).await;
}

#[tokio::test]
async fn z1_every_role_in_every_portal_gets_exactly_what_the_policy_grants_casbin() {
    whole_matrix(|| {
        Box::pin(async {
            let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
            Harness::with_casbin(store).await
        })
    })
    .await;
}
