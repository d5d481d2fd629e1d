//! The knowledge base through the portal API: writing, publishing, history, and what each
//! principal may read (K1, K3, D4, V1).

mod common;

use chrono::Duration;
use common::kb::{form, Kb};
use portal::core::model::{ArticleStatus, Category, KbEntity, Locale, PolicyRule, Principal, Role, Visibility};
use portal::core::services::knowledge::{ArticleForm, ArticleQuery, CategoryForm};
use portal::prelude::{ErrorKind, PortalMode};

impl Kb {
    async fn category(&self, parent: Option<&Category>, slug: &str, visibility: Visibility) -> Category {
        let form = CategoryForm {
            parent_id: parent.map(|c| c.id),
            name: slug.to_uppercase(),
            slug: slug.into(),
            visibility,
            position: 0,
        };
        self.kb().create_category(&self.admin, form).await.unwrap()
    }

    /// A published article with `label`, in `category`.
    async fn published(
        &self,
        title: &str,
        label: Visibility,
        category: Option<&Category>,
    ) -> portal::core::model::Article {
        let mut f = form(title);
        f.visibility = label;
        f.category_id = category.map(|c| c.id);
        let a = self.kb().create_article(&self.agent, f).await.unwrap();
        self.kb().publish_article(&self.agent, a.id, a.version, None).await.unwrap()
    }

    /// Titles `who` sees, through the list and through single reads.
    async fn seen(&self, who: &Principal, all: &[&portal::core::model::Article]) -> Vec<String> {
        let listed: Vec<String> = self
            .kb()
            .articles(who, ArticleQuery::default())
            .await
            .unwrap()
            .articles
            .into_iter()
            .map(|a| a.title)
            .collect();
        let mut read = Vec::new();
        for a in all {
            match self.kb().article(who, a.id).await {
                Ok(found) => read.push(found.title),
                Err(e) => assert_eq!(e.kind(), ErrorKind::NotFound, "hidden reads as missing"),
            }
        }
        assert_eq!(listed, read, "the list and single reads agree");
        listed
    }
}

#[tokio::test]
async fn an_article_goes_from_draft_to_published_to_archived_with_a_revision_each() {
    let k = Kb::new().await;
    let a = k.kb().create_article(&k.agent, form("Reset your password")).await.unwrap();
    assert_eq!((a.status, a.version), (ArticleStatus::Draft, 1));
    assert_eq!(a.tags, ["billing", "help"], "tags are lowercase, trimmed, unique and sorted");
    assert_eq!(a.body_html, "<p>About <strong>Reset your password</strong>.</p>\n");
    assert_eq!(k.kb().article(&k.anonymous, a.id).await.unwrap_err().kind(), ErrorKind::NotFound, "a draft");
    assert_eq!(k.kb().article(&k.agent, a.id).await.unwrap().id, a.id, "editors see drafts");

    let p = k.kb().publish_article(&k.agent, a.id, 1, None).await.unwrap();
    assert_eq!((p.status, p.version), (ArticleStatus::Published, 2));
    assert_eq!(p.published_at, Some(k.h.now()));
    assert_eq!(k.kb().article(&k.anonymous, a.id).await.unwrap().title, "Reset your password");

    let archived = k.kb().archive_article(&k.agent, a.id, 2).await.unwrap();
    assert_eq!(archived.status, ArticleStatus::Archived);
    assert_eq!(k.kb().article(&k.customer, a.id).await.unwrap_err().kind(), ErrorKind::NotFound);

    let revisions = k.kb().revisions(&k.agent, a.id).await.unwrap();
    let notes: Vec<(u64, &str)> = revisions.iter().map(|r| (r.version, r.note.as_str())).collect();
    assert_eq!(notes, [(1, "created"), (2, "published"), (3, "archived")]);
    assert!(revisions.iter().all(|r| r.edited_by == k.agent.user_id));
    let log = k.h.access().audit_log(&k.admin, None, 100).await.unwrap();
    for action in ["kb.article_created", "kb.article_published", "kb.article_archived"] {
        assert!(log.iter().any(|e| e.action == action && e.target.as_deref() == Some(&a.id.to_string())), "{action}");
    }
}

#[tokio::test]
async fn k1_readers_see_only_the_labels_they_may_read() {
    let k = Kb::new().await;
    let public = k.published("public", Visibility::public(), None).await;
    let customers = k.published("customers", Visibility::customers(), None).await;
    let internal = k.published("internal", Visibility::internal(), None).await;
    let draft = k.kb().create_article(&k.agent, form("draft")).await.unwrap();
    let all = [&public, &customers, &internal, &draft];
    assert_eq!(k.seen(&k.anonymous, &all).await, ["public"]);
    assert_eq!(k.seen(&k.customer, &all).await, ["public", "customers"]);
    assert_eq!(k.seen(&k.agent, &all).await, ["public", "customers", "internal", "draft"]);

    // Another portal's members see none of it.
    let (_, other_admin) = k.h.portal_with_admin(PortalMode::Public).await;
    assert!(k.seen(&other_admin, &all).await.is_empty());
}

#[tokio::test]
async fn k3_a_restricted_category_hides_everything_below_it() {
    let k = Kb::new().await;
    let top = k.category(None, "help", Visibility::public()).await;
    let staff = k.category(Some(&top), "staff", Visibility::internal()).await;
    let below = k.category(Some(&staff), "below", Visibility::public()).await;
    let in_top = k.published("in top", Visibility::public(), Some(&top)).await;
    let in_staff = k.published("in staff", Visibility::public(), Some(&staff)).await;
    let in_below = k.published("in below", Visibility::public(), Some(&below)).await;
    let all = [&in_top, &in_staff, &in_below];

    for who in [&k.anonymous, &k.customer] {
        assert_eq!(k.seen(who, &all).await, ["in top"]);
        let cats: Vec<String> = k.kb().categories(who).await.unwrap().into_iter().map(|c| c.slug).collect();
        assert_eq!(cats, ["help"]);
    }
    assert_eq!(k.seen(&k.agent, &all).await, ["in top", "in staff", "in below"]);
    assert_eq!(k.kb().categories(&k.agent).await.unwrap().len(), 3);

    // Opening the middle category opens what is below it.
    let form = CategoryForm {
        parent_id: Some(top.id),
        name: "Staff".into(),
        slug: "staff".into(),
        visibility: Visibility::customers(),
        position: 0,
    };
    k.kb().update_category(&k.admin, staff.id, staff.version, form).await.unwrap();
    assert_eq!(k.seen(&k.customer, &all).await, ["in top", "in staff", "in below"]);
    assert_eq!(k.seen(&k.anonymous, &all).await, ["in top"]);
}

#[tokio::test]
async fn a_custom_label_is_read_by_the_roles_the_portal_grants() {
    let k = Kb::new().await;
    let partners = Visibility::new("partners").unwrap();
    let a = k.published("partner pricing", partners, None).await;
    assert!(k.seen(&k.customer, &[&a]).await.is_empty(), "no line grants it yet");
    let line = PolicyRule::new("p", ["partner", &k.pid.to_string(), "article:partners", "read", "allow"]).unwrap();
    k.h.access().add_policy_line(&k.admin, line).await.unwrap();
    k.h.access()
        .add_policy_line(
            &k.admin,
            PolicyRule::new("p", ["admin", &k.pid.to_string(), "role:partner", "grant", "allow"]).unwrap(),
        )
        .await
        .unwrap();
    k.h.access().grant_role(&k.admin, k.customer.user_id.unwrap(), Role::new("partner").unwrap()).await.unwrap();
    let partner = k.h.login(k.pid, "customer@example.org", common::GOOD_PASSWORD).await.unwrap();
    assert_eq!(k.seen(&partner, &[&a]).await, ["partner pricing"]);
    assert!(k.seen(&k.anonymous, &[&a]).await.is_empty());
}

#[tokio::test]
async fn scheduled_publishing_hides_an_article_until_its_time() {
    let k = Kb::new().await;
    let a = k.kb().create_article(&k.agent, form("coming soon")).await.unwrap();
    let at = k.h.now() + Duration::hours(2);
    let p = k.kb().publish_article(&k.agent, a.id, a.version, Some(at)).await.unwrap();
    assert_eq!((p.publish_at, p.published_at), (Some(at), Some(at)));
    assert_eq!(k.kb().article(&k.anonymous, a.id).await.unwrap_err().kind(), ErrorKind::NotFound);
    k.h.clock.advance(Duration::hours(2));
    assert_eq!(k.kb().article(&k.anonymous, a.id).await.unwrap().title, "coming soon");
}

#[tokio::test]
async fn d4_a_stale_edit_is_a_conflict_and_writes_nothing() {
    let k = Kb::new().await;
    let a = k.kb().create_article(&k.agent, form("original")).await.unwrap();
    let (mut first, mut second) = (form("first editor"), form("second editor"));
    first.body = "one".into();
    second.body = "two".into();
    let (r1, r2) = tokio::join!(
        k.kb().edit_article(&k.agent, a.id, a.version, first),
        k.kb().edit_article(&k.admin, a.id, a.version, second),
    );
    let (winner, loser) = match (r1, r2) {
        (Ok(w), Err(e)) | (Err(e), Ok(w)) => (w, e),
        other => panic!("exactly one edit wins: {other:?}"),
    };
    assert_eq!(loser.kind(), ErrorKind::Conflict);
    let stored = k.kb().article(&k.agent, a.id).await.unwrap();
    assert_eq!(stored, winner);
    assert_eq!(k.kb().revisions(&k.agent, a.id).await.unwrap().len(), 2, "one revision for the one edit");
    assert_eq!(
        k.kb().edit_article(&k.agent, a.id, a.version, form("late")).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
}

#[tokio::test]
async fn restore_brings_back_an_earlier_revision_as_a_new_one() {
    let k = Kb::new().await;
    let a = k.kb().create_article(&k.agent, form("v1 title")).await.unwrap();
    let mut f = form("v2 title");
    f.body = "new body".into();
    f.visibility = Visibility::internal();
    let b = k.kb().edit_article(&k.agent, a.id, 1, f).await.unwrap();
    let r = k.kb().restore_revision(&k.agent, a.id, b.version, 1).await.unwrap();
    assert_eq!(
        (r.title.as_str(), r.body.as_str(), r.visibility.as_str(), r.version),
        ("v1 title", a.body.as_str(), "public", 3)
    );
    assert_eq!(r.body_html, a.body_html);
    let notes: Vec<String> = k.kb().revisions(&k.agent, a.id).await.unwrap().into_iter().map(|r| r.note).collect();
    assert_eq!(notes, ["created", "edited", "restored:1"]);
    let e = k.kb().restore_revision(&k.agent, a.id, 3, 9).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn translations_link_to_their_original() {
    let k = Kb::new().await;
    let en = k.kb().create_article(&k.agent, form("Reset your password")).await.unwrap();
    assert_eq!(en.translation_of, en.id);
    let mut ja_form = form("パスワードの再設定");
    ja_form.locale = Locale::Ja;
    ja_form.translation_of = Some(en.id);
    let ja = k.kb().create_article(&k.agent, ja_form.clone()).await.unwrap();
    assert_eq!(ja.translation_of, en.id);
    // Translating the translation still links to the original.
    let mut en2 = form("Reset your password (UK)");
    en2.translation_of = Some(ja.id);
    assert_eq!(k.kb().create_article(&k.agent, en2).await.unwrap().translation_of, en.id);
    // Same locale as the original, or an unknown original: refused.
    ja_form.translation_of = Some(ja.id);
    assert_eq!(k.kb().create_article(&k.agent, ja_form.clone()).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    ja_form.translation_of = Some(portal::core::model::ArticleId::new());
    assert_eq!(k.kb().create_article(&k.agent, ja_form).await.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn bad_input_is_invalid_and_writes_nothing() {
    let k = Kb::new().await;
    let mut bad: Vec<ArticleForm> = Vec::new();
    for title in ["", "   ", &"x".repeat(301), "tab\tin title", "line\nbreak"] {
        bad.push(ArticleForm { title: title.into(), ..form("t") });
    }
    bad.push(ArticleForm { body: "x".repeat(256 * 1024 + 1), ..form("t") });
    bad.push(ArticleForm { body: "nul \u{0} byte".into(), ..form("t") });
    bad.push(ArticleForm { tags: (0..21).map(|i| format!("t{i}")).collect(), ..form("t") });
    bad.push(ArticleForm { tags: vec!["a,b".into()], ..form("t") });
    bad.push(ArticleForm { tags: vec![" ".into()], ..form("t") });
    bad.push(ArticleForm { category_id: Some(portal::core::model::CategoryId::new()), ..form("t") });
    for f in bad {
        let e = k.kb().create_article(&k.agent, f.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{:?}", f.title);
    }
    assert!(k.kb().articles(&k.agent, ArticleQuery::default()).await.unwrap().articles.is_empty());

    let top = k.category(None, "top", Visibility::public()).await;
    let child = k.category(Some(&top), "child", Visibility::public()).await;
    let cycle = CategoryForm {
        parent_id: Some(child.id),
        name: "Top".into(),
        slug: "top".into(),
        visibility: Visibility::public(),
        position: 0,
    };
    assert_eq!(
        k.kb().update_category(&k.admin, top.id, top.version, cycle).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let self_parent = CategoryForm {
        parent_id: Some(top.id),
        name: "Top".into(),
        slug: "top".into(),
        visibility: Visibility::public(),
        position: 0,
    };
    assert_eq!(
        k.kb().update_category(&k.admin, top.id, top.version, self_parent).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    for slug in ["", "Has Space", "-x", "ü"] {
        let f = CategoryForm {
            parent_id: None,
            name: "N".into(),
            slug: slug.into(),
            visibility: Visibility::public(),
            position: 0,
        };
        assert_eq!(k.kb().create_category(&k.admin, f).await.unwrap_err().kind(), ErrorKind::InvalidInput, "{slug:?}");
    }
    let dup = CategoryForm {
        parent_id: None,
        name: "Again".into(),
        slug: "top".into(),
        visibility: Visibility::public(),
        position: 1,
    };
    assert_eq!(k.kb().create_category(&k.admin, dup).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    let cats = k.kb().categories(&k.agent).await.unwrap();
    assert_eq!(
        cats.iter().map(|c| (c.slug.as_str(), c.parent_id, c.version)).collect::<Vec<_>>(),
        [("child", Some(top.id), 1), ("top", None, 1)]
    );
}

#[tokio::test]
async fn v1_bodies_are_rendered_to_sanitized_html() {
    let k = Kb::new().await;
    let mut f = form("xss");
    f.body = "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> <svg onload=alert(1)>"
        .into();
    let a = k.kb().create_article(&k.agent, f).await.unwrap();
    let html = a.body_html.to_lowercase();
    for bad in ["<script", "javascript:", "onerror", "<svg", "onload"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(a.body.contains("<script>"), "the Markdown is kept as written");
}

#[tokio::test]
async fn every_change_reaches_the_change_feed_in_commit_order() {
    let k = Kb::new().await;
    let c = k.category(None, "feed", Visibility::public()).await;
    let a = k.kb().create_article(&k.agent, form("feed")).await.unwrap();
    k.kb().publish_article(&k.agent, a.id, 1, None).await.unwrap();
    let store = k.h.portal.storage();
    let mut tx = store.begin().await.unwrap();
    let feed = tx.list_kb_changes(0, 100).await.unwrap();
    let entities: Vec<KbEntity> = feed.iter().filter(|ch| ch.portal_id == k.pid).map(|ch| ch.entity).collect();
    assert_eq!(entities, [KbEntity::Category(c.id), KbEntity::Article(a.id), KbEntity::Article(a.id)]);
}

#[tokio::test]
async fn customers_do_not_write_and_agents_do_not_shape_categories() {
    let k = Kb::new().await;
    assert_eq!(k.kb().create_article(&k.customer, form("x")).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    assert_eq!(k.kb().create_article(&k.anonymous, form("x")).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    let f = CategoryForm {
        parent_id: None,
        name: "N".into(),
        slug: "n".into(),
        visibility: Visibility::public(),
        position: 0,
    };
    assert_eq!(k.kb().create_category(&k.agent, f).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    let a = k.published("p", Visibility::public(), None).await;
    assert_eq!(k.kb().revisions(&k.customer, a.id).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    assert_eq!(
        k.kb().archive_article(&k.customer, a.id, a.version).await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
}

/// R5 (per target): visitors' answers are capped per article and per portal each hour; an
/// answer past a cap stores nothing; members are not capped; an hour later visitors can answer
/// again.
#[tokio::test]
async fn r5_visitors_answers_are_capped_per_article_and_per_portal_each_hour() {
    use portal::core::services::knowledge::FeedbackLimits;
    let limits = FeedbackLimits { anonymous_per_article_per_hour: 3, anonymous_per_portal_per_hour: 5 };
    let builder = portal::Portal::builder().search(common::index()).feedback_limits(limits);
    let k = Kb::on(
        common::Harness::with_builder(builder, std::sync::Arc::new(portal::core::memory::MemoryStore::new())).await,
    )
    .await;
    let (a, b) =
        (k.published("A", Visibility::public(), None).await, k.published("B", Visibility::public(), None).await);
    let helpful = |id| {
        let k = &k;
        async move { k.kb().article_stats(&k.agent, id).await.unwrap().helpful }
    };
    for _ in 0..3 {
        k.kb().give_feedback(&k.anonymous, a.id, true, "").await.unwrap();
    }
    let refused = k.kb().give_feedback(&k.anonymous, a.id, true, "fourth").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::RateLimited);
    assert_eq!(helpful(a.id).await, 3, "nothing stored past the article's cap");
    k.kb().give_feedback(&k.customer, a.id, true, "a member is not capped").await.unwrap();
    assert_eq!(helpful(a.id).await, 4);
    // The portal's cap counts visitors' answers on every article.
    for _ in 0..2 {
        k.kb().give_feedback(&k.anonymous, b.id, false, "").await.unwrap();
    }
    assert_eq!(k.kb().give_feedback(&k.anonymous, b.id, false, "").await.unwrap_err().kind(), ErrorKind::RateLimited);
    let comments: Vec<String> =
        k.kb().article_feedback(&k.agent, a.id, 10).await.unwrap().into_iter().map(|f| f.comment).collect();
    assert!(!comments.contains(&"fourth".to_owned()));
    // An hour after the first answers, visitors may answer again.
    k.h.clock.advance(Duration::hours(1) + Duration::seconds(1));
    k.kb().give_feedback(&k.anonymous, a.id, true, "later").await.unwrap();
    assert_eq!(helpful(a.id).await, 5);
}

#[tokio::test]
async fn readers_view_and_rate_articles_and_editors_read_it() {
    let k = Kb::new().await;
    let a = k.published("Reset", Visibility::public(), None).await;
    let internal = k.published("Staff only", Visibility::internal(), None).await;
    k.kb().record_view(&k.anonymous, a.id).await.unwrap();
    k.kb().record_view(&k.customer, a.id).await.unwrap();
    k.kb().give_feedback(&k.customer, a.id, false, "Step 2 is unclear").await.unwrap();
    k.kb().give_feedback(&k.customer, a.id, true, "Found it, thanks").await.unwrap();
    k.kb().give_feedback(&k.anonymous, a.id, true, "").await.unwrap();
    let stats = k.kb().article_stats(&k.agent, a.id).await.unwrap();
    assert_eq!((stats.views, stats.helpful, stats.not_helpful), (2, 2, 0), "a member's answer counts once");
    let comments: Vec<String> =
        k.kb().article_feedback(&k.agent, a.id, 10).await.unwrap().into_iter().map(|f| f.comment).collect();
    assert_eq!(comments, ["", "Found it, thanks"]);

    // What a reader may not read, it cannot view or rate either.
    assert_eq!(k.kb().record_view(&k.customer, internal.id).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        k.kb().give_feedback(&k.anonymous, internal.id, true, "").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(k.kb().article_stats(&k.customer, a.id).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    let long = "x".repeat(2001);
    assert_eq!(k.kb().give_feedback(&k.customer, a.id, true, &long).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(k.kb().article_stats(&k.agent, internal.id).await.unwrap().views, 0);
}
