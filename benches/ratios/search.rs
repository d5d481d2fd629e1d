//! Search goals (PERFORMANCE.md) on the seeded corpus of `corpus.rs`: 100,000 documents, or
//! 10,000 with `PORTAL_BENCH_SMALL=1`. Per-query latencies, baseline and candidate run
//! alternately for each query, over several rounds; `ratio <ID>-p50` and `ratio <ID>-p99`
//! compare the medians and 99th percentiles.
//!
//! - S1: the portal's search as a customer of one portal (scope: portal, labels, categories,
//!   time) vs raw tantivy running the same scored query on the same index with no filter, both
//!   returning the top 10 with stored fields and a highlighted snippet.
//! - S2: a broad filter (labels passing 60 % of one portal's documents) vs the same search
//!   unfiltered (an editor's scope), one portal holding every document.
//! - S3: a narrow filter (one portal of 100: 1 % pass) vs raw tantivy unfiltered.
//! - S7: Japanese vs English queries on equal halves of one index (candidate ja, baseline en).
//! - S8: indexing through `SearchIndex::apply` vs raw tantivy adding the same documents with the
//!   same schema and analyzers (a throughput ratio: raw time / portal time, goal >= 0.7).
//!
//! `PORTAL_BENCH_STRATEGY=<0-3>` forces the portal's filter strategy (the index of
//! `FilterStrategy::ALL`: auto, words first, filter first, over-fetch) in every search bench,
//! for comparing the plans.

use chrono::{TimeZone, Utc};
use portal::core::model::PortalId;
use portal::core::ports::{IndexChange, SearchDocument, SearchIndex, SearchRequest, SearchScope};
use portal::search::analyzer::{self, ANALYZER, KANJI, WORDS};
use portal::search::snippet::Highlighter;
use portal::search::TantivySearch;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::schema::{Facet, Value};
use tantivy::{Index, IndexReader, TantivyDocument};

use super::corpus::{self, Rng, Vocabulary};

const ROUNDS: usize = 3;

pub fn size() -> usize {
    if std::env::var("PORTAL_BENCH_SMALL").is_ok_and(|v| v == "1") {
        10_000
    } else {
        100_000
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Per-query latencies of a baseline and a candidate, in seconds: p50 and p99 of each.
pub struct Latencies {
    pub baseline: (f64, f64),
    pub candidate: (f64, f64),
}

/// Time `a` (baseline) and `b` (candidate) on every query, alternately, for `ROUNDS` rounds
/// after a warm-up round, and print both.
pub fn timed(id: &str, queries: &[String], mut a: impl FnMut(&str), mut b: impl FnMut(&str)) -> Latencies {
    for q in queries {
        a(q);
        b(q);
    }
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for q in queries {
            let start = Instant::now();
            a(q);
            ta.push(start.elapsed().as_secs_f64());
            let start = Instant::now();
            b(q);
            tb.push(start.elapsed().as_secs_f64());
        }
    }
    let (a50, a99) = (percentile(&mut ta, 0.5), percentile(&mut ta, 0.99));
    let (b50, b99) = (percentile(&mut tb, 0.5), percentile(&mut tb, 0.99));
    println!(
        "{id} baseline p50 {:.1} us p99 {:.1} us, candidate p50 {:.1} us p99 {:.1} us ({} queries x {ROUNDS})",
        a50 * 1e6,
        a99 * 1e6,
        b50 * 1e6,
        b99 * 1e6,
        queries.len()
    );
    Latencies { baseline: (a50, a99), candidate: (b50, b99) }
}

/// [`timed`], then the p50 and p99 ratios candidate / baseline (lower is better).
fn per_query(id: &str, queries: &[String], a: impl FnMut(&str), b: impl FnMut(&str)) {
    let l = timed(id, queries, a, b);
    println!("ratio {id}-p50 {:.2}", l.candidate.0 / l.baseline.0);
    println!("ratio {id}-p99 {:.2}", l.candidate.1 / l.baseline.1);
}

pub fn build(rt: &tokio::runtime::Runtime, docs: &[SearchDocument]) -> TantivySearch {
    let index = TantivySearch::in_memory().unwrap();
    if let Some(n) = std::env::var("PORTAL_BENCH_STRATEGY").ok().and_then(|v| v.parse::<usize>().ok()) {
        index.set_filter_strategy(portal::search::FilterStrategy::ALL[n.min(3)]);
    }
    for (i, chunk) in docs.chunks(20_000).enumerate() {
        let changes = chunk.iter().cloned().map(IndexChange::Upsert).collect();
        rt.block_on(index.apply(changes, i as u64 + 1)).unwrap();
    }
    // A bulk load ends compacted, as the portal's own first build and reindex do (and as the
    // databases' loads end with `VACUUM ANALYZE` and FTS5's `optimize`).
    rt.block_on(index.compact()).unwrap();
    index
}

fn reader(index: &TantivySearch) -> IndexReader {
    index.tantivy_index().reader().unwrap()
}

/// Raw tantivy: the same scored query, top 10, stored fields and a passage per hit made by the
/// same highlighter, so the ratio shows what the scope costs.
fn raw_search(index: &TantivySearch, reader: &IndexReader, text: &str) {
    let Some(query) = index.text_query(text) else { return };
    let searcher = reader.searcher();
    let schema = index.tantivy_index().schema();
    let (key, title, body) =
        (schema.get_field("key").unwrap(), schema.get_field("title").unwrap(), schema.get_field("body").unwrap());
    let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score()).unwrap();
    let highlighter = Highlighter::new(text, 200);
    for (_, address) in top {
        let doc: TantivyDocument = searcher.doc(address).unwrap();
        let field = |f| doc.get_all(f).filter_map(|v| v.as_str()).last().unwrap_or_default().to_owned();
        black_box((field(key), field(title), highlighter.snippet_html(&field(body))));
    }
}

pub fn portal_search(rt: &tokio::runtime::Runtime, index: &TantivySearch, scope: &SearchScope, text: &str) {
    let request = SearchRequest { text: text.to_owned(), limit: 10, ..Default::default() };
    black_box(rt.block_on(index.search(scope, &request)).unwrap());
}

pub fn scope(portal: PortalId, labels: Option<&[&str]>) -> SearchScope {
    SearchScope {
        portal_id: portal,
        labels: labels.map(|l| l.iter().map(|s| (*s).to_owned()).collect()),
        hidden_categories: Vec::new(),
        now: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
    }
}

pub fn s1_s2_s3(rt: &tokio::runtime::Runtime, wanted: &dyn Fn(&str) -> bool) {
    let n = size();
    let mut rng = Rng::new(0x5eed);
    let vocab = Vocabulary::new(&mut rng);
    let portals: Vec<PortalId> = (0..corpus::PORTALS).map(|_| PortalId::new()).collect();
    let queries = corpus::en_queries(&vocab, &mut rng, 300);
    if wanted("S1") || wanted("S3") {
        let docs = corpus::documents(&vocab, &mut rng, &portals, n, 0.0);
        let index = build(rt, &docs);
        let raw = reader(&index);
        if wanted("S1") {
            let customer = scope(portals[0], Some(&["public", "customers"]));
            per_query("S1", &queries, |q| raw_search(&index, &raw, q), |q| portal_search(rt, &index, &customer, q));
        }
        if wanted("S3") {
            let editor = scope(portals[0], None);
            per_query("S3", &queries, |q| raw_search(&index, &raw, q), |q| portal_search(rt, &index, &editor, q));
        }
    }
    if wanted("S2") {
        let one = [portals[0]];
        let docs = corpus::documents(&vocab, &mut rng, &one, n, 0.0);
        let index = build(rt, &docs);
        let (unfiltered, broad) = (scope(one[0], None), scope(one[0], Some(&["public"])));
        per_query(
            "S2",
            &queries,
            |q| portal_search(rt, &index, &unfiltered, q),
            |q| portal_search(rt, &index, &broad, q),
        );
    }
}

pub fn s7(rt: &tokio::runtime::Runtime) {
    let n = size();
    let mut rng = Rng::new(0x7a7a);
    let vocab = Vocabulary::new(&mut rng);
    let portals: Vec<PortalId> = (0..corpus::PORTALS).map(|_| PortalId::new()).collect();
    let docs = corpus::documents(&vocab, &mut rng, &portals, n, 0.5);
    let index = build(rt, &docs);
    let (en, ja) = (corpus::en_queries(&vocab, &mut rng, 300), corpus::ja_queries(&vocab, &mut rng, 300));
    let customer = scope(portals[0], Some(&["public", "customers"]));
    // Pair the i-th English query with the i-th Japanese one (same number of words).
    let pairs: Vec<String> = (0..en.len()).map(|i| format!("{}\u{1}{}", en[i], ja[i])).collect();
    let half = |q: &str, second: bool| -> String {
        let (a, b) = q.split_once('\u{1}').unwrap();
        if second { b } else { a }.to_owned()
    };
    per_query(
        "S7",
        &pairs,
        |q| portal_search(rt, &index, &customer, &half(q, false)),
        |q| portal_search(rt, &index, &customer, &half(q, true)),
    );
}

/// Raw tantivy with the portal's schema and analyzers: one document per record, as the index
/// stores it, added by one writer and committed once.
fn raw_index(schema_of: &TantivySearch, docs: &[SearchDocument]) -> Duration {
    let schema = schema_of.tantivy_index().schema();
    let index = Index::create_in_ram(schema.clone());
    index.tokenizers().register(ANALYZER, analyzer::analyzer());
    index.tokenizers().register(WORDS, analyzer::words());
    index.tokenizers().register(KANJI, analyzer::kanji());
    let field = |name: &str| schema.get_field(name).unwrap();
    let start = Instant::now();
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15 * 1024 * 1024).unwrap();
    for d in docs {
        let mut doc = TantivyDocument::default();
        let category = d.category_id.map(|c| c.to_string()).unwrap_or_default();
        doc.add_text(field("uid"), format!("{}/{}", d.portal_id, d.key));
        doc.add_text(field("portal"), d.portal_id.to_string());
        doc.add_text(field("key"), &d.key);
        doc.add_text(field("kind"), &d.kind);
        doc.add_text(field("locale"), d.locale.as_str());
        doc.add_text(field("label"), d.visibility.as_str());
        doc.add_text(field("category"), &category);
        doc.add_i64(field("live_from"), d.live_from.timestamp_micros());
        doc.add_text(field("title"), &d.title);
        doc.add_text(field("title_words"), &d.title);
        doc.add_text(field("body"), &d.body);
        doc.add_text(field("kanji"), &d.title);
        doc.add_text(field("kanji"), &d.body);
        doc.add_facet(field("facets"), Facet::from_path(["c", category.as_str()]));
        doc.add_facet(field("facets"), Facet::from_path(["l", d.locale.as_str()]));
        doc.add_facet(field("facets"), Facet::from_path(["k", d.kind.as_str()]));
        for tag in &d.tags {
            doc.add_text(field("tags"), tag);
            doc.add_facet(field("facets"), Facet::from_path(["t", tag.as_str()]));
        }
        writer.add_document(doc).unwrap();
    }
    writer.commit().unwrap();
    start.elapsed()
}

pub fn s8(rt: &tokio::runtime::Runtime) {
    let n = size() / 5;
    let mut rng = Rng::new(0x88);
    let vocab = Vocabulary::new(&mut rng);
    let portals: Vec<PortalId> = (0..corpus::PORTALS).map(|_| PortalId::new()).collect();
    let docs = corpus::documents(&vocab, &mut rng, &portals, n, 0.5);
    let reference = TantivySearch::in_memory().unwrap();
    let (mut raw, mut portal) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        let r = raw_index(&reference, &docs);
        let index = TantivySearch::in_memory().unwrap();
        let changes: Vec<IndexChange> = docs.iter().cloned().map(IndexChange::Upsert).collect();
        let start = Instant::now();
        rt.block_on(index.apply(changes, 1)).unwrap();
        let p = start.elapsed();
        if round > 0 {
            raw.push(r.as_secs_f64());
            portal.push(p.as_secs_f64());
        }
    }
    let (r, p) = (super::median(raw), super::median(portal));
    println!("S8 {n} documents: raw tantivy {:.0} docs/s, portal {:.0} docs/s", n as f64 / r, n as f64 / p);
    println!("ratio S8 {:.2}", r / p);
}
