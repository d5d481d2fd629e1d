//! What the ranking prefers, on small hand-made corpora.

use chrono::{TimeZone, Utc};
use portal_core::model::{Locale, PortalId, Visibility};
use portal_core::ports::{IndexChange, SearchDocument, SearchIndex, SearchRequest, SearchScope};
use portal_search::TantivySearch;

fn doc(portal: PortalId, key: &str, locale: Locale, title: &str, body: &str) -> SearchDocument {
    SearchDocument {
        portal_id: portal,
        key: key.into(),
        kind: "article".into(),
        locale,
        title: title.into(),
        body: body.into(),
        tags: vec![],
        category_id: None,
        visibility: Visibility::public(),
        live_from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

async fn ranked(docs: Vec<SearchDocument>, portal: PortalId, text: &str) -> Vec<String> {
    let index = TantivySearch::in_memory().unwrap();
    index.apply(docs.into_iter().map(IndexChange::Upsert).collect(), 1).await.unwrap();
    let scope = SearchScope {
        portal_id: portal,
        labels: Some(vec!["public".into()]),
        hidden_categories: vec![],
        now: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
    };
    let request = SearchRequest { text: text.into(), limit: 10, ..Default::default() };
    index.search(&scope, &request).await.unwrap().hits.into_iter().map(|h| h.key).collect()
}

/// Of two passages of one article, the one holding the word that answers the question comes
/// first, not the one repeating the article's subject most often: Japanese terms saturate term
/// frequency sooner than tantivy's BM25 would (with tantivy's `k1 = 1.2, b = 0.75` for them,
/// `family` comes first).
#[tokio::test]
async fn the_passage_with_the_answer_beats_the_one_repeating_the_subject() {
    let p = PortalId::new();
    let title = "マルセル・プルースト";
    let docs = vec![
        doc(
            p,
            "family",
            Locale::Ja,
            title,
            "プルーストとプルーストの母とプルーストの弟。プルーストとプルーストは仲良くなった。",
        ),
        doc(
            p,
            "death",
            Locale::Ja,
            title,
            "1922年11月18日、肺炎を患っていたプルーストはパリの自宅で静かに亡くなった。葬儀には多くの友人が参列した。",
        ),
        doc(p, "temple", Locale::Ja, "東大寺", "東大寺の大仏は奈良にあり、高さは約15メートルである。"),
        doc(p, "fuji", Locale::Ja, "富士山", "富士山は日本で最も高い山で、静岡県と山梨県にまたがる。"),
        doc(p, "kyoto", Locale::Ja, "京都", "京都には多くの寺があり、毎年多くの人が訪れる。"),
    ];
    let hits = ranked(docs, p, "プルーストはいつ亡くなったか").await;
    assert_eq!(hits.first().map(String::as_str), Some("death"), "{hits:?}");
    assert!(hits.contains(&"family".to_owned()), "{hits:?}");
}

/// English keeps term frequency's weight: a passage naming the queried word several times comes
/// before one naming it once beside other words of the query's subject.
#[tokio::test]
async fn english_term_frequency_still_counts() {
    let p = PortalId::new();
    let docs = vec![
        doc(p, "once", Locale::En, "Router", "Reset the router from the settings page, then wait."),
        doc(
            p,
            "often",
            Locale::En,
            "Router",
            "Reset: a reset restores defaults; after the reset, reset the password too.",
        ),
        doc(p, "other", Locale::En, "Billing", "Invoices are sent monthly by email."),
    ];
    let hits = ranked(docs, p, "reset").await;
    assert_eq!(hits, vec!["often".to_owned(), "once".to_owned()]);
}

/// A question's own words do not decide which passage answers it: the passage naming the
/// father comes first, not the one that happens to hold `誰` and the polite `でした` of the
/// question (searched with them, `quote` comes first).
#[tokio::test]
async fn a_japanese_question_is_searched_without_its_question_form() {
    let p = PortalId::new();
    let title = "小林一茶";
    let docs = vec![
        doc(p, "father", Locale::Ja, title, "一茶の父は農民の弥五兵衛で、母は一茶が三歳の時に亡くなった。"),
        doc(
            p,
            "quote",
            Locale::Ja,
            title,
            "一茶の句は誰にでも分かる言葉で詠まれ、誰もが口ずさむものでした。何度も読まれたのは父の句でしたか。",
        ),
        doc(p, "temple", Locale::Ja, "東大寺", "東大寺の大仏は奈良にあり、高さは約15メートルである。"),
    ];
    let hits = ranked(docs.clone(), p, "一茶の父は誰でしたか?").await;
    assert_eq!(hits.first().map(String::as_str), Some("father"), "{hits:?}");
    // A query that is nothing but a question form is searched as it is, and still finds.
    let hits = ranked(docs, p, "誰でしたか").await;
    assert_eq!(hits.first().map(String::as_str), Some("quote"), "{hits:?}");
}
