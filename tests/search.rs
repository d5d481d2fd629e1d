//! Knowledge-base search through the portal API: what each reader finds (K1–K4), the storage
//! post-filter (K2), the index following storage (catch-up on open, reindex), Japanese and
//! English in one index, escaping, deflection.

mod common;

use async_trait::async_trait;
use common::kb::{form, Kb};
use common::Harness;
use portal::core::memory::MemoryStore;
use portal::core::model::{Article, ArticleKind, Locale, PortalId, Principal, Visibility};
use portal::core::ports::{
    IndexChange, SearchHit, SearchIndex, SearchRequest, SearchResults, SearchScope, Storage, Suggestion,
};
use portal::core::services::knowledge::{article_key, ArticleForm, CategoryForm};
use portal::prelude::{ErrorKind, PortalMode, Result};
use portal::search::TantivySearch;
use portal::Portal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

impl Kb {
    async fn publish(&self, title: &str, body: &str, label: Visibility, locale: Locale) -> Article {
        let tags = vec!["help".into()];
        self.publish_form(ArticleForm { body: body.into(), visibility: label, locale, tags, ..form(title) }).await
    }

    async fn titles(&self, who: &Principal, text: &str) -> Vec<String> {
        let request = SearchRequest { text: text.into(), facets: true, ..Default::default() };
        let r = self.kb().search(who, request).await.unwrap();
        assert_eq!(r.total.value, r.hits.len() as u64, "the total counts only what is found");
        let mut t: Vec<String> = r.hits.into_iter().map(|h| h.title).collect();
        t.sort();
        t
    }
}

#[tokio::test]
async fn k1_each_reader_finds_only_what_it_may_read() {
    let k = Kb::new().await;
    k.publish("Router setup (public)", "Configure the router.", Visibility::public(), Locale::En).await;
    k.publish("Router setup (customers)", "Configure the router.", Visibility::customers(), Locale::En).await;
    k.publish("Router setup (internal)", "Configure the router.", Visibility::internal(), Locale::En).await;
    let draft = ArticleForm {
        category_id: None,
        kind: ArticleKind::Faq,
        locale: Locale::En,
        translation_of: None,
        title: "Router draft".into(),
        body: "router".into(),
        tags: vec![],
        visibility: Visibility::public(),
        review_due_at: None,
    };
    k.kb().create_article(&k.agent, draft).await.unwrap();
    assert_eq!(k.titles(&k.anonymous, "router").await, ["Router setup (public)"]);
    assert_eq!(k.titles(&k.customer, "router").await, ["Router setup (customers)", "Router setup (public)"]);
    assert_eq!(k.titles(&k.agent, "router").await.len(), 3, "drafts are not in the index");
    // K4: words that look like filters are only words.
    for text in ["router visibility:internal", "label:internal OR router", "router portal:*", "router*"] {
        assert_eq!(k.titles(&k.anonymous, text).await, ["Router setup (public)"], "{text}");
    }
    // Autocomplete and facets follow the same rule.
    let titles: Vec<String> =
        k.kb().autocomplete(&k.anonymous, "Rout", 10).await.unwrap().into_iter().map(|s| s.title).collect();
    assert_eq!(titles, ["Router setup (public)"]);
    let request = SearchRequest { text: "router".into(), facets: true, ..Default::default() };
    let facets = k.kb().search(&k.customer, request).await.unwrap().facets.unwrap();
    assert_eq!(facets.tags, [("help".to_owned(), 2)]);
    // Another portal finds none of it.
    let (_, other) = k.h.portal_with_admin(PortalMode::Public).await;
    assert!(k.titles(&other, "router").await.is_empty());
}

#[tokio::test]
async fn k2_a_flip_to_internal_is_hidden_before_the_index_catches_up() {
    let k = Kb::new().await;
    let a = k.publish("Refund policy", "How refunds work.", Visibility::public(), Locale::En).await;
    assert_eq!(k.titles(&k.anonymous, "refund").await, ["Refund policy"]);
    // Another process flips it to internal: storage changes, this process's index does not.
    let store = k.h.portal.storage();
    let mut tx = store.begin().await.unwrap();
    let mut stored = tx.get_article(k.pid, a.id).await.unwrap().unwrap();
    stored.visibility = Visibility::internal();
    tx.update_article(&stored).await.unwrap();
    tx.append_kb_change(k.pid, portal::core::model::KbEntity::Article(a.id)).await.unwrap();
    tx.commit().await.unwrap();
    assert!(k.titles(&k.anonymous, "refund").await.is_empty(), "hidden at once, counts included");
    assert_eq!(k.titles(&k.agent, "refund").await, ["Refund policy"]);
}

#[tokio::test]
async fn k3_articles_under_a_hidden_category_are_not_found() {
    let k = Kb::new().await;
    let admin = k.admin.clone();
    let form = |slug: &str, label: Visibility, parent| CategoryForm {
        parent_id: parent,
        name: slug.into(),
        slug: slug.into(),
        visibility: label,
        position: 0,
    };
    let top = k.kb().create_category(&admin, form("staff", Visibility::internal(), None)).await.unwrap();
    let below = k.kb().create_category(&admin, form("open", Visibility::public(), Some(top.id))).await.unwrap();
    let f = ArticleForm {
        category_id: Some(below.id),
        kind: ArticleKind::Article,
        locale: Locale::En,
        translation_of: None,
        title: "Escalation matrix".into(),
        body: "escalation".into(),
        tags: vec![],
        visibility: Visibility::public(),
        review_due_at: None,
    };
    let a = k.kb().create_article(&admin, f).await.unwrap();
    k.kb().publish_article(&admin, a.id, 1, None).await.unwrap();
    assert!(k.titles(&k.customer, "escalation").await.is_empty());
    assert!(k.kb().related(&k.customer, a.id, 5).await.is_err());
    assert_eq!(k.titles(&k.agent, "escalation").await, ["Escalation matrix"]);
}

#[tokio::test]
async fn japanese_and_english_share_one_index() {
    let k = Kb::new().await;
    k.publish(
        "パスワードの再設定方法",
        "ログイン画面の「パスワードを忘れた」から再設定します。",
        Visibility::public(),
        Locale::Ja,
    )
    .await;
    k.publish("How to reset your password", "Use the forgotten password link.", Visibility::public(), Locale::En).await;
    assert_eq!(k.titles(&k.anonymous, "パスワード 再設定").await[0], "パスワードの再設定方法");
    assert_eq!(k.titles(&k.anonymous, "ﾊﾟｽﾜｰﾄﾞ").await, ["パスワードの再設定方法"], "half-width kana");
    assert_eq!(k.titles(&k.anonymous, "resetting passwords").await, ["How to reset your password"], "stemmed");
    let only_ja =
        SearchRequest { text: "password パスワード".into(), locale: Some(Locale::Ja), ..Default::default() };
    let hits = k.kb().search(&k.anonymous, only_ja).await.unwrap().hits;
    assert_eq!(hits.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(), ["パスワードの再設定方法"]);
}

#[tokio::test]
async fn snippets_highlight_matches_and_escape_everything_else() {
    let k = Kb::new().await;
    k.publish(
        "Widgets",
        "Install the <b>widget</b> & <script>alert('widget')</script> now.",
        Visibility::public(),
        Locale::En,
    )
    .await;
    let hits =
        k.kb().search(&k.anonymous, SearchRequest { text: "widget".into(), ..Default::default() }).await.unwrap().hits;
    let snippet = &hits[0].snippet_html;
    assert!(snippet.contains("<b>widget</b>"), "{snippet}");
    assert!(snippet.contains("&lt;script&gt;") && !snippet.contains("<script"), "{snippet}");
    assert!(snippet.contains("&amp;"), "{snippet}");
}

#[tokio::test]
async fn scheduled_articles_are_found_from_their_time() {
    let k = Kb::new().await;
    let f = ArticleForm {
        category_id: None,
        kind: ArticleKind::Article,
        locale: Locale::En,
        translation_of: None,
        title: "Holiday hours".into(),
        body: "holiday".into(),
        tags: vec![],
        visibility: Visibility::public(),
        review_due_at: None,
    };
    let a = k.kb().create_article(&k.agent, f).await.unwrap();
    let at = k.h.now() + chrono::Duration::hours(3);
    k.kb().publish_article(&k.agent, a.id, 1, Some(at)).await.unwrap();
    assert!(k.titles(&k.anonymous, "holiday").await.is_empty());
    k.h.clock.advance(chrono::Duration::hours(3));
    assert_eq!(k.titles(&k.anonymous, "holiday").await, ["Holiday hours"]);
}

#[tokio::test]
async fn archiving_removes_an_article_from_the_index() {
    let k = Kb::new().await;
    let a = k.publish("Old pricing", "pricing", Visibility::public(), Locale::En).await;
    k.kb().archive_article(&k.agent, a.id, a.version).await.unwrap();
    assert!(k.titles(&k.agent, "pricing").await.is_empty());
}

#[tokio::test]
async fn suggest_for_ticket_offers_the_articles_that_answer_it() {
    let k = Kb::new().await;
    k.publish(
        "Printer shows error 42",
        "Turn the printer off and on; error 42 clears.",
        Visibility::public(),
        Locale::En,
    )
    .await;
    k.publish("Changing your email", "Open settings, then email.", Visibility::public(), Locale::En).await;
    let hits = k.kb().suggest_for_ticket(&k.customer, "printer error", "My printer says error 42 again").await.unwrap();
    assert_eq!(hits[0].title, "Printer shows error 42");
}

#[tokio::test]
async fn the_index_catches_up_on_open_and_keeps_its_position() {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let h = Harness::with(store.clone(), Default::default()).await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let dir = tempfile::tempdir().unwrap();
    // Written by a portal whose index is elsewhere: the one on disk knows nothing of it.
    let f = ArticleForm {
        category_id: None,
        kind: ArticleKind::Article,
        locale: Locale::En,
        translation_of: None,
        title: "Offline article".into(),
        body: "catch up".into(),
        tags: vec![],
        visibility: Visibility::public(),
        review_due_at: None,
    };
    let a = h.portal.knowledge().create_article(&admin, f).await.unwrap();
    h.portal.knowledge().publish_article(&admin, a.id, 1, None).await.unwrap();

    let open = || async {
        Portal::builder()
            .storage_arc(store.clone())
            .hasher(common::FastHasher)
            .search(TantivySearch::open(dir.path()).unwrap())
            .build()
            .await
            .unwrap()
    };
    let visitor = Principal::anonymous(pid);
    let portal = open().await;
    let found = portal.knowledge().search(&visitor, SearchRequest { text: "catch".into(), ..Default::default() });
    assert_eq!(found.await.unwrap().hits[0].key, article_key(a.id));
    drop(portal);
    let position = TantivySearch::open(dir.path()).unwrap().position().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let last = tx.list_kb_changes(0, u32::MAX).await.unwrap().last().unwrap().seq;
    drop(tx);
    assert_eq!(position, last, "the commit payload holds the feed position");

    // Reindex from scratch reports progress and finds the same.
    let portal = open().await;
    let mut reports = Vec::new();
    let end = portal.knowledge().reindex(|done, total| reports.push((done, total))).await.unwrap();
    assert_eq!(end, last);
    assert_eq!(reports.last(), Some(&(last, last)));
    let again = portal.knowledge().search(&visitor, SearchRequest { text: "offline".into(), ..Default::default() });
    assert_eq!(again.await.unwrap().hits.len(), 1);
}

/// The real index, counting the compactions asked of it.
struct CountingCompactions {
    index: TantivySearch,
    compactions: Arc<AtomicUsize>,
}

#[async_trait]
impl SearchIndex for CountingCompactions {
    async fn apply(&self, changes: Vec<IndexChange>, position: u64) -> Result<()> {
        self.index.apply(changes, position).await
    }
    async fn position(&self) -> Result<u64> {
        self.index.position().await
    }
    async fn clear(&self) -> Result<()> {
        self.index.clear().await
    }
    async fn compact(&self) -> Result<()> {
        self.compactions.fetch_add(1, Ordering::SeqCst);
        self.index.compact().await
    }
    async fn search(&self, scope: &SearchScope, request: &SearchRequest) -> Result<SearchResults> {
        self.index.search(scope, request).await
    }
    async fn autocomplete(&self, scope: &SearchScope, prefix: &str, limit: u32) -> Result<Vec<Suggestion>> {
        self.index.autocomplete(scope, prefix, limit).await
    }
    async fn related(&self, scope: &SearchScope, key: &str, limit: u32) -> Result<Vec<SearchHit>> {
        self.index.related(scope, key, limit).await
    }
}

#[tokio::test]
async fn a_build_from_an_empty_index_is_compacted_and_a_catch_up_after_a_change_is_not() {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let h = Harness::with(store.clone(), Default::default()).await;
    let (pid, admin) = h.portal_with_admin(PortalMode::Public).await;
    let publish = |portal: Portal, title: &'static str| {
        let admin = admin.clone();
        async move {
            let a = portal.knowledge().create_article(&admin, form(title)).await.unwrap();
            portal.knowledge().publish_article(&admin, a.id, 1, None).await.unwrap();
        }
    };
    for title in ["Router setup", "Printer setup", "Invoice setup"] {
        publish(h.portal.clone(), title).await;
    }

    // A new, empty index is built from storage when the portal starts: a bulk load.
    let compactions = Arc::new(AtomicUsize::new(0));
    let index = CountingCompactions { index: TantivySearch::in_memory().unwrap(), compactions: compactions.clone() };
    let portal =
        Portal::builder().storage_arc(store.clone()).hasher(common::FastHasher).search(index).build().await.unwrap();
    assert_eq!(compactions.load(Ordering::SeqCst), 1, "the first build is compacted");
    let visitor = Principal::anonymous(pid);
    let setup = || portal.knowledge().search(&visitor, SearchRequest { text: "setup".into(), ..Default::default() });
    assert_eq!(setup().await.unwrap().hits.len(), 3);

    // An edit is caught up on its own: nothing to compact.
    publish(portal.clone(), "Account setup").await;
    assert_eq!(setup().await.unwrap().hits.len(), 4);
    assert_eq!(compactions.load(Ordering::SeqCst), 1, "a catch-up after a change is not compacted");

    // A full reindex is a build from nothing again.
    portal.knowledge().reindex(|_, _| {}).await.unwrap();
    assert_eq!(compactions.load(Ordering::SeqCst), 2, "a reindex is compacted");
    assert_eq!(setup().await.unwrap().hits.len(), 4);
}

#[tokio::test]
async fn search_without_an_index_is_unsupported() {
    let portal = Portal::builder().storage(MemoryStore::new()).hasher(common::FastHasher).build().await.unwrap();
    let e = portal
        .knowledge()
        .search(&Principal::anonymous(PortalId::new()), SearchRequest { text: "x".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn searches_are_recorded_and_editors_read_the_knowledge_gaps() {
    let k = Kb::new().await;
    let a = k.publish("Router setup", "Configure the router.", Visibility::public(), Locale::En).await;
    let request = |text: &str| SearchRequest { text: text.into(), ..Default::default() };
    let found = k.kb().search(&k.anonymous, request("router")).await.unwrap();
    k.kb().record_click(&k.anonymous, found.search_id.unwrap(), &article_key(a.id)).await.unwrap();
    k.kb().search(&k.customer, request("ＲＯＵＴＥＲ  ")).await.unwrap();
    for _ in 0..2 {
        let none = k.kb().search(&k.anonymous, request("printer jam")).await.unwrap();
        assert!(none.hits.is_empty() && none.search_id.is_some());
    }
    let since = k.h.now() - chrono::Duration::days(30);
    let report = k.kb().search_report(&k.agent, since, 10).await.unwrap();
    let rows: Vec<(&str, u64, u64, u64)> =
        report.iter().map(|s| (s.query.as_str(), s.searches, s.zero_results, s.clicks)).collect();
    assert_eq!(rows, [("printer jam", 2, 2, 0), ("router", 2, 0, 1)]);
    let gaps = k.kb().knowledge_gaps(&k.agent, since, 10).await.unwrap();
    assert_eq!(gaps.iter().map(|s| s.query.as_str()).collect::<Vec<_>>(), ["printer jam"]);

    assert_eq!(k.kb().search_report(&k.customer, since, 10).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    let bogus = portal::core::model::SearchEventId::new();
    assert_eq!(
        k.kb().record_click(&k.anonymous, bogus, &article_key(a.id)).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let id = found.search_id.unwrap();
    assert_eq!(k.kb().record_click(&k.anonymous, id, "<script>").await.unwrap_err().kind(), ErrorKind::InvalidInput);
    // Deflection while writing a ticket is not a search someone typed.
    k.kb().suggest_for_ticket(&k.customer, "router broken", "help").await.unwrap();
    assert_eq!(k.kb().search_report(&k.agent, since, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_index_ahead_of_storage_is_rebuilt_from_storage() {
    // An index that followed another database (or a newer backup of this one) holds positions
    // and documents this storage never had.
    let dir = tempfile::tempdir().unwrap();
    let other = Kb::new().await;
    let stale = TantivySearch::open(dir.path()).unwrap();
    let a = other.publish("Ghost article", "ghost", Visibility::public(), Locale::En).await;
    let doc = portal::core::ports::SearchDocument {
        portal_id: other.pid,
        key: article_key(a.id),
        kind: "article".into(),
        locale: Locale::En,
        title: a.title.clone(),
        body: a.body.clone(),
        tags: vec![],
        category_id: None,
        visibility: Visibility::public(),
        live_from: a.updated_at,
    };
    stale.apply(vec![portal::core::ports::IndexChange::Upsert(doc)], 1_000).await.unwrap();
    drop(stale);

    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let portal = Portal::builder()
        .storage_arc(store)
        .hasher(common::FastHasher)
        .search(TantivySearch::open(dir.path()).unwrap())
        .build()
        .await
        .unwrap();
    drop(portal);
    let index = TantivySearch::open(dir.path()).unwrap();
    assert_eq!(index.position().await.unwrap(), 0, "rebuilt from an empty feed");
    let everything = portal::core::ports::SearchScope {
        portal_id: other.pid,
        labels: None,
        hidden_categories: vec![],
        now: chrono::Utc::now() + chrono::Duration::days(365),
    };
    let found = index.search(&everything, &SearchRequest { text: "ghost".into(), ..Default::default() }).await.unwrap();
    assert!(found.hits.is_empty(), "nothing storage does not hold");
}
