//! K1 / K3 / K4 as a property: over random articles × visibility labels × category trees ×
//! principals × queries, nothing the index answers — hit, total, facet count, autocomplete entry
//! or related article — reveals an article the principal may not read, and everything it may
//! read that matches is found. The expected answer comes from `ReadScope::article_visible`, the
//! rule every read surface of the portal uses.

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_core::model::{
    Article, ArticleId, ArticleKind, ArticleStatus, Category, CategoryId, Locale, PortalId, Visibility,
};
use portal_core::ports::{IndexChange, SearchDocument, SearchIndex, SearchRequest};
use portal_core::services::knowledge::{article_key, ReadScope};
use portal_search::{FilterStrategy, TantivySearch};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

const LABELS: [&str; 4] = ["public", "customers", "internal", "partners"];
/// Words the articles and queries are made of; `label` and `internal` are there so query text
/// that looks like a filter (K4) is tried too.
const WORDS: [&str; 8] = ["router", "billing", "パスワード", "設定", "label", "internal", "reset", "請求書"];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

#[derive(Debug, Clone)]
struct Spec {
    label: usize,
    category: Option<usize>,
    status: u8,
    scheduled: bool,
    words: Vec<usize>,
    tag: usize,
}

#[derive(Debug, Clone)]
struct Reader {
    labels: Vec<bool>,
    editor: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..4usize,
        prop::option::of(0..4usize),
        0..4u8,
        any::<bool>(),
        prop::collection::vec(0..WORDS.len(), 1..5),
        0..3usize,
    )
        .prop_map(|(label, category, status, scheduled, words, tag)| Spec {
            label,
            category,
            status,
            scheduled,
            words,
            tag,
        })
}

fn reader() -> impl Strategy<Value = Reader> {
    (prop::collection::vec(any::<bool>(), 4), prop::bool::weighted(0.1))
        .prop_map(|(labels, editor)| Reader { labels, editor })
}

/// Four categories: 0 and 1 at the top, 2 under 0, 3 under 2; each with a random label.
fn categories(portal: PortalId, labels: &[usize]) -> Vec<Category> {
    let ids: Vec<CategoryId> = (0..4).map(|_| CategoryId::new()).collect();
    let parents = [None, None, Some(ids[0]), Some(ids[2])];
    (0..4)
        .map(|i| Category {
            id: ids[i],
            portal_id: portal,
            parent_id: parents[i],
            name: format!("c{i}"),
            slug: format!("c{i}"),
            visibility: Visibility::new(LABELS[labels[i]]).unwrap(),
            position: i as i32,
            created_at: now(),
            updated_at: now(),
            version: 1,
        })
        .collect()
}

fn article(portal: PortalId, s: &Spec, cats: &[Category]) -> Article {
    let id = ArticleId::new();
    let status = match s.status {
        0 => ArticleStatus::Draft,
        1 => ArticleStatus::Archived,
        _ => ArticleStatus::Published,
    };
    let words: Vec<&str> = s.words.iter().map(|w| WORDS[*w]).collect();
    Article {
        id,
        portal_id: portal,
        category_id: s.category.map(|c| cats[c].id),
        kind: ArticleKind::Article,
        locale: if words[0].is_ascii() { Locale::En } else { Locale::Ja },
        translation_of: id,
        title: words.join(" "),
        body: format!("{} and more about {}", words.join(" "), words[0]),
        body_html: String::new(),
        tags: vec![format!("tag{}", s.tag)],
        visibility: Visibility::new(LABELS[s.label]).unwrap(),
        status,
        publish_at: s.scheduled.then(|| now() + Duration::hours(1)),
        published_at: Some(now() - Duration::hours(1)),
        author_id: None,
        created_at: now(),
        updated_at: now(),
        last_reviewed_at: None,
        review_due_at: None,
        version: 1,
    }
}

/// What the indexer would store for `a` (published articles only).
fn document(a: &Article) -> Option<SearchDocument> {
    (a.status == ArticleStatus::Published).then(|| SearchDocument {
        portal_id: a.portal_id,
        key: article_key(a.id),
        kind: a.kind.as_str().into(),
        locale: a.locale,
        title: a.title.clone(),
        body: a.body.clone(),
        tags: a.tags.clone(),
        category_id: a.category_id,
        visibility: a.visibility.clone(),
        live_from: a.publish_at.or(a.published_at).unwrap_or(a.updated_at),
    })
}

/// Checks one generated portal; returns how many (article, reader, query) decisions it judged.
/// Every filter strategy is judged (each case picks one), so neither may leak.
fn check(
    specs: Vec<Spec>,
    cat_labels: Vec<usize>,
    readers: Vec<Reader>,
    queries: Vec<Vec<usize>>,
    strategy: FilterStrategy,
) -> usize {
    let decisions = AtomicUsize::new(0);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let index = TantivySearch::in_memory().unwrap();
        index.set_filter_strategy(strategy);
        let portal = PortalId::new();
        let other = PortalId::new();
        let cats = categories(portal, &cat_labels);
        let articles: Vec<Article> = specs.iter().map(|s| article(portal, s, &cats)).collect();
        // The same articles in another portal, all public: never found from this one.
        let foreign: Vec<Article> = specs
            .iter()
            .map(|s| article(other, &Spec { label: 0, status: 3, scheduled: false, category: None, ..s.clone() }, &[]))
            .collect();
        let changes = articles.iter().chain(&foreign).filter_map(document).map(IndexChange::Upsert).collect();
        index.apply(changes, 1).await.unwrap();
        let by_key: BTreeMap<String, &Article> = articles.iter().map(|a| (article_key(a.id), a)).collect();

        for r in &readers {
            let labels = LABELS.iter().zip(&r.labels).filter(|(_, on)| **on).map(|(l, _)| (*l).to_owned());
            let read = ReadScope::new(portal, now(), labels, r.editor, &cats);
            // Editors see drafts in lists, but only published articles are in the index.
            let visible = |a: &Article| read.article_visible(a) && a.is_live(now());
            let scope = read.search_scope();
            for q in &queries {
                let text: Vec<&str> = q.iter().map(|w| WORDS[*w]).collect();
                let text = text.join(" ");
                let request = SearchRequest { text: text.clone(), limit: 100, facets: true, ..Default::default() };
                let results = index.search(&scope, &request).await.unwrap();
                let found: BTreeSet<&str> = results.hits.iter().map(|h| h.key.as_str()).collect();
                for h in &results.hits {
                    let a =
                        by_key.get(&h.key).unwrap_or_else(|| panic!("{text}: a hit from another portal: {}", h.key));
                    assert!(visible(a), "{text}: {} leaked to {r:?}", h.key);
                }
                // Recall: every visible article sharing a query word is found.
                let q_words: BTreeSet<&str> = q.iter().map(|w| WORDS[*w]).collect();
                let expected: BTreeSet<String> = articles
                    .iter()
                    .filter(|a| visible(a) && specs_words(a).iter().any(|w| q_words.contains(w)))
                    .map(|a| article_key(a.id))
                    .collect();
                assert_eq!(found, expected.iter().map(String::as_str).collect(), "{text} for {r:?}");
                assert_eq!((results.total.value, results.total.exact), (expected.len() as u64, true));
                let facets = results.facets.expect("facets asked for");
                let tag_total: u64 = facets.tags.iter().map(|(_, n)| n).sum();
                assert_eq!(tag_total, expected.len() as u64, "{text}: facet counts only count what is found");
                let mut per_tag: BTreeMap<String, u64> = BTreeMap::new();
                for k in &expected {
                    *per_tag.entry(by_key[k].tags[0].clone()).or_default() += 1;
                }
                assert_eq!(facets.tags.iter().cloned().collect::<BTreeMap<_, _>>(), per_tag);

                // Small pages without counting (the over-fetch plan): nothing hidden, nothing
                // missing, no hit twice, a total that is exact only when it is right.
                let mut paged = BTreeSet::new();
                for page in 0..3u32 {
                    let request =
                        SearchRequest { text: text.clone(), limit: 3, offset: page * 3, ..Default::default() };
                    let results = index.search(&scope, &request).await.unwrap();
                    let want = expected.len().saturating_sub(page as usize * 3).min(3);
                    assert_eq!(results.hits.len(), want, "{text}: page {page} for {r:?}");
                    for h in &results.hits {
                        assert!(expected.contains(&h.key), "{text}: {} leaked to {r:?} on page {page}", h.key);
                        assert!(paged.insert(h.key.clone()), "{text}: {} on two pages", h.key);
                    }
                    if results.total.exact {
                        assert_eq!(results.total.value, expected.len() as u64, "{text}: exact total");
                    }
                }

                let prefix: String = text.chars().take(4).collect();
                for s in index.autocomplete(&scope, &prefix, 50).await.unwrap() {
                    assert!(by_key.get(&s.key).is_some_and(|a| visible(a)), "autocomplete leaked {}", s.key);
                }
                decisions.fetch_add(articles.len(), Ordering::Relaxed);
            }
            for a in articles.iter().take(3) {
                for h in index.related(&scope, &article_key(a.id), 50).await.unwrap() {
                    assert!(by_key.get(&h.key).is_some_and(|b| visible(b)), "related leaked {}", h.key);
                    assert_ne!(h.key, article_key(a.id), "an article is not related to itself");
                }
            }
        }
    });
    decisions.into_inner()
}

fn specs_words(a: &Article) -> Vec<&str> {
    a.title.split(' ').collect()
}

#[test]
fn k1_k3_k4_search_reveals_nothing_a_reader_may_not_read() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 64, ..ProptestConfig::default() });
    let strategy = (
        prop::collection::vec(spec(), 1..25),
        prop::collection::vec(0..4usize, 4),
        prop::collection::vec(reader(), 1..5),
        prop::collection::vec(prop::collection::vec(0..WORDS.len(), 1..3), 8..16),
        prop::sample::select(FilterStrategy::ALL.to_vec()),
    );
    let total = AtomicUsize::new(0);
    runner
        .run(&strategy, |(specs, cats, readers, queries, filter)| {
            total.fetch_add(check(specs, cats, readers, queries, filter), Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    let n = total.into_inner();
    assert!(n >= 10_000, "only {n} decisions judged");
}
