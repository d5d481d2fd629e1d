//! An index on disk written with another layout (an earlier version's schema) is emptied and
//! rebuilt from storage, not refused: the index follows storage.

use chrono::{TimeZone, Utc};
use portal_core::model::{Locale, PortalId, Visibility};
use portal_core::ports::{IndexChange, SearchDocument, SearchIndex, SearchRequest, SearchScope};
use portal_search::TantivySearch;
use tantivy::schema::{Schema, STORED, TEXT};
use tantivy::{doc, Index};

#[tokio::test]
async fn an_index_of_another_layout_is_emptied_for_a_rebuild_and_other_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut b = Schema::builder();
        let body = b.add_text_field("body", TEXT | STORED);
        let index = Index::create_in_dir(dir.path(), b.build()).unwrap();
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(doc!(body => "an article of the old layout")).unwrap();
        writer.prepare_commit().unwrap().set_payload("41");
        writer.commit().unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "the operator's notes").unwrap();

    let index = TantivySearch::open(dir.path()).unwrap();
    // Emptied: the next catch-up starts from the beginning of the change feed.
    assert_eq!(index.position().await.unwrap(), 0);
    let portal = PortalId::new();
    let scope = SearchScope {
        portal_id: portal,
        labels: Some(vec!["public".into()]),
        hidden_categories: vec![],
        now: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
    };
    let request = SearchRequest { text: "article layout".into(), limit: 10, ..Default::default() };
    assert!(index.search(&scope, &request).await.unwrap().hits.is_empty());

    let article = SearchDocument {
        portal_id: portal,
        key: "a1".into(),
        kind: "article".into(),
        locale: Locale::En,
        title: "Resetting a password".into(),
        body: "An article of the new layout, with its passage: 新しいレイアウトの記事。".into(),
        tags: vec![],
        category_id: None,
        visibility: Visibility::public(),
        live_from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    };
    index.apply(vec![IndexChange::Upsert(article)], 1).await.unwrap();
    let hits = index.search(&scope, &request).await.unwrap().hits;
    assert_eq!(hits.len(), 1);
    assert!(hits[0].snippet_html.contains("<b>article</b>"), "{}", hits[0].snippet_html);
    assert!(hits[0].snippet_html.contains("新しいレイアウト"), "{}", hits[0].snippet_html);
    drop(index);

    // Opened again, the index keeps what it holds.
    let index = TantivySearch::open(dir.path()).unwrap();
    assert_eq!(index.position().await.unwrap(), 1);
    assert_eq!(index.search(&scope, &request).await.unwrap().hits.len(), 1);
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "the operator's notes");
}
