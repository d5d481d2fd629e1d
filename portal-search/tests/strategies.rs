//! Every filter strategy finds the same hits, scores and pages; the over-fetch plan drops what
//! is not yet live and what another portal or label holds, and falls back when too few survive.

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_core::model::{Locale, PortalId, Visibility};
use portal_core::ports::{IndexChange, SearchDocument, SearchIndex, SearchRequest, SearchScope};
use portal_search::{FilterStrategy, TantivySearch};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn doc(portal: PortalId, i: usize, label: &str, live_in_hours: i64, words: &str) -> SearchDocument {
    SearchDocument {
        portal_id: portal,
        key: format!("article:{i:04}"),
        kind: "article".into(),
        locale: Locale::En,
        title: format!("Doc {i}"),
        body: words.into(),
        tags: vec![],
        category_id: None,
        visibility: Visibility::new(label).unwrap(),
        live_from: now() + Duration::hours(live_in_hours),
    }
}

/// One big portal (live public documents, some scheduled, some internal) and a small one.
async fn index() -> (TantivySearch, PortalId, PortalId) {
    let (big, small) = (PortalId::new(), PortalId::new());
    let mut docs = Vec::new();
    for i in 0..300 {
        let label = if i % 10 == 0 { "internal" } else { "public" };
        let live = if i % 7 == 0 { 2 } else { -2 };
        let words = format!("router {} {}", if i % 3 == 0 { "reset reset" } else { "setup" }, "filler ".repeat(i % 13));
        docs.push(doc(big, i, label, live, &words));
    }
    for i in 300..320 {
        docs.push(doc(small, i, "public", -2, "router reset setup filler"));
    }
    let index = TantivySearch::in_memory().unwrap();
    index.apply(docs.into_iter().map(IndexChange::Upsert).collect(), 1).await.unwrap();
    (index, big, small)
}

fn scope(portal: PortalId, labels: Option<&[&str]>) -> SearchScope {
    SearchScope {
        portal_id: portal,
        labels: labels.map(|l| l.iter().map(|s| (*s).to_owned()).collect()),
        hidden_categories: vec![],
        now: now(),
    }
}

/// (key, score) of every page of `text` in `scope`, 7 at a time, with each page's total.
async fn pages(index: &TantivySearch, scope: &SearchScope, text: &str) -> Vec<(Vec<(String, u32)>, (u64, bool))> {
    let mut out = Vec::new();
    for page in 0..60 {
        let request = SearchRequest { text: text.into(), limit: 7, offset: page * 7, ..Default::default() };
        let r = index.search(scope, &request).await.unwrap();
        let hits: Vec<(String, u32)> =
            r.hits.iter().map(|h| (h.key.clone(), (h.score * 1000.0).round() as u32)).collect();
        let done = hits.is_empty();
        out.push((hits, (r.total.value, r.total.exact)));
        if done {
            break;
        }
    }
    out
}

#[tokio::test]
async fn every_strategy_pages_the_same_hits_with_the_same_scores() {
    let (index, big, small) = index().await;
    for s in [scope(big, Some(&["public"])), scope(big, None), scope(small, Some(&["public"]))] {
        for text in ["reset", "router", "router reset", "setup filler"] {
            index.set_filter_strategy(FilterStrategy::WordsFirst);
            let expected = pages(&index, &s, text).await;
            let keys: Vec<&String> = expected.iter().flat_map(|(p, _)| p.iter().map(|(k, _)| k)).collect();
            assert!(!keys.is_empty(), "{text}");
            for strategy in FilterStrategy::ALL {
                index.set_filter_strategy(strategy);
                let found = pages(&index, &s, text).await;
                let found_hits: Vec<_> = found.iter().map(|(p, _)| p.clone()).collect();
                let expected_hits: Vec<_> = expected.iter().map(|(p, _)| p.clone()).collect();
                assert_eq!(found_hits, expected_hits, "{text} with {strategy:?}");
                for ((_, (value, exact)), _) in found.iter().zip(&expected) {
                    if *exact {
                        assert_eq!(*value as usize, keys.len(), "{text} with {strategy:?}: an exact total is right");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn over_fetching_drops_scheduled_and_hidden_documents_and_falls_back_when_few_survive() {
    let (index, big, _) = index().await;
    index.set_filter_strategy(FilterStrategy::OverFetch);
    let public = scope(big, Some(&["public"]));
    let request = SearchRequest { text: "reset".into(), limit: 100, ..Default::default() };
    let r = index.search(&public, &request).await.unwrap();
    let expected: Vec<String> =
        (0..300).filter(|i| i % 3 == 0 && i % 10 != 0 && i % 7 != 0).map(|i| format!("article:{i:04}")).collect();
    let mut found: Vec<String> = r.hits.iter().map(|h| h.key.clone()).collect();
    found.sort();
    assert_eq!(found, expected);
    assert_eq!((r.total.value, r.total.exact), (expected.len() as u64, true));

    // Internal documents are 1 in 10: a page of them is found through the fallback.
    let internal = scope(big, Some(&["internal"]));
    let request = SearchRequest { text: "router".into(), limit: 5, ..Default::default() };
    let r = index.search(&internal, &request).await.unwrap();
    assert_eq!(r.hits.len(), 5);
    for h in &r.hits {
        let i: usize = h.key["article:".len()..].parse().unwrap();
        assert!(i.is_multiple_of(10) && !i.is_multiple_of(7), "{}", h.key);
    }
}
