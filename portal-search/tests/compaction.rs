//! Compacting merges the index's segments into one, drops what was deleted or replaced, keeps
//! the position, and changes nothing a search finds: the compacted index answers as one built
//! from its live documents in one go.

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_core::model::{Locale, PortalId, Visibility};
use portal_core::ports::{IndexChange, SearchDocument, SearchIndex, SearchRequest, SearchScope};
use portal_search::TantivySearch;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

const WORDS: [&str; 8] = ["router", "reset", "password", "printer", "invoice", "setup", "account", "billing"];

/// Document `key`, version `version`: its words depend on both, so a replaced version reads
/// differently from the one replacing it.
fn doc(portal: PortalId, key: usize, version: usize) -> SearchDocument {
    let words: Vec<&str> = (0..3 + (key + version) % 9).map(|i| WORDS[(key * 3 + version * 5 + i * i) % 8]).collect();
    SearchDocument {
        portal_id: portal,
        key: format!("article:{key:03}"),
        kind: "article".into(),
        locale: Locale::En,
        title: format!("{} guide {key}", WORDS[key % 8]),
        body: words.join(" "),
        tags: vec![],
        category_id: None,
        visibility: Visibility::new(if key.is_multiple_of(5) { "internal" } else { "public" }).unwrap(),
        live_from: now() - Duration::hours(1),
    }
}

/// Every hit of `text` for a reader of public documents, page after page, as (key, score in
/// thousandths), sorted so that ties in score compare equal whatever their order in the
/// segments.
async fn everything(index: &TantivySearch, portal: PortalId, text: &str) -> Vec<(String, u32)> {
    let scope =
        SearchScope { portal_id: portal, labels: Some(vec!["public".into()]), hidden_categories: vec![], now: now() };
    let mut hits = Vec::new();
    for page in 0.. {
        let request = SearchRequest { text: text.into(), limit: 50, offset: page * 50, ..Default::default() };
        let found = index.search(&scope, &request).await.unwrap();
        if found.hits.is_empty() {
            break;
        }
        hits.extend(found.hits.iter().map(|h| (h.key.clone(), (h.score * 1000.0).round() as u32)));
    }
    hits.sort();
    hits
}

fn segments(index: &TantivySearch) -> (usize, u32) {
    let metas = index.tantivy_index().searchable_segment_metas().unwrap();
    (metas.len(), metas.iter().map(|m| m.num_deleted_docs()).sum())
}

/// How many segments have files in `dir` (a segment's files are named by its 32-digit id).
fn segment_files(dir: &std::path::Path) -> usize {
    let names = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
    let ids: std::collections::HashSet<String> = names
        .filter_map(|n| n.split_once('.').map(|(id, _)| id.to_owned()))
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect();
    ids.len()
}

#[tokio::test]
async fn compacting_merges_every_segment_drops_replaced_documents_and_keeps_position_and_answers() {
    let portal = PortalId::new();
    let dir = tempfile::tempdir().unwrap();
    let index = TantivySearch::open(dir.path()).unwrap();
    // Six commits that each add documents and replace some of the earlier ones, then one of
    // deletes.
    let mut live = std::collections::BTreeMap::new();
    for batch in 0..6usize {
        let changes: Vec<IndexChange> = (0..60)
            .map(|i| {
                let key = (batch * 40 + i) % 200;
                live.insert(key, batch);
                IndexChange::Upsert(doc(portal, key, batch))
            })
            .collect();
        index.apply(changes, batch as u64 + 1).await.unwrap();
    }
    let gone: Vec<usize> = live.keys().copied().filter(|k| k % 7 == 3).collect();
    let deletes = gone.iter().map(|k| IndexChange::Delete { portal_id: portal, key: format!("article:{k:03}") });
    index.apply(deletes.collect(), 7).await.unwrap();
    for k in &gone {
        live.remove(k);
    }
    let (parts, deleted) = segments(&index);
    assert!(parts > 1 && deleted > 0, "the test needs segments with deleted documents: {parts}, {deleted}");

    index.compact().await.unwrap();
    assert_eq!(segments(&index), (1, 0), "one segment, nothing deleted left in it");
    assert_eq!(segment_files(dir.path()), 1, "the merged segments' files are removed");
    assert_eq!(index.position().await.unwrap(), 7, "the position is kept");
    let fresh = TantivySearch::in_memory().unwrap();
    let all = live.iter().map(|(&key, &version)| IndexChange::Upsert(doc(portal, key, version)));
    fresh.apply(all.collect(), 7).await.unwrap();
    assert_eq!(segments(&fresh), (1, 0));
    for text in ["router", "reset password", "printer invoice setup", "guide", "billing account router reset"] {
        let compacted = everything(&index, portal, text).await;
        assert!(!compacted.is_empty(), "{text}");
        assert_eq!(compacted, everything(&fresh, portal, text).await, "{text}");
    }

    // Compacting again changes nothing; new writes land next to the compacted segment.
    index.compact().await.unwrap();
    assert_eq!(segments(&index), (1, 0));
    index.apply(vec![IndexChange::Upsert(doc(portal, 501, 0))], 8).await.unwrap();
    assert_eq!(segments(&index).0, 2);
    assert!(everything(&index, portal, "guide").await.iter().any(|(k, _)| k == "article:501"));
}

#[tokio::test]
async fn compacting_an_empty_index_keeps_it_empty_at_its_position() {
    let index = TantivySearch::in_memory().unwrap();
    index.compact().await.unwrap();
    assert_eq!(index.position().await.unwrap(), 0);
    index.apply(vec![], 3).await.unwrap();
    index.compact().await.unwrap();
    assert_eq!(index.position().await.unwrap(), 3);
    assert!(everything(&index, PortalId::new(), "router").await.is_empty());
}
