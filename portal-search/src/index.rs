//! `TantivySearch`: the [`SearchIndex`] port on one tantivy index shared by every portal.

use async_trait::async_trait;
use portal_core::ports::{
    Facets, IndexChange, SearchDocument, SearchHit, SearchIndex, SearchRequest, SearchResults, SearchScope, Suggestion,
    Total,
};
use portal_core::{Error, ErrorKind, Result};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, PoisonError};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::index::SegmentId;
use tantivy::indexer::LogMergePolicy;
use tantivy::query::{
    AllQuery, Bm25StatisticsProvider, BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, RangeQuery,
    RegexQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED,
    STORED, STRING,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Score, Searcher, TantivyDocument, Term,
};

use crate::analyzer::{self, ANALYZER, KANJI, WORDS};
use crate::bm25::{Bm25Params, Bm25TermQuery};
use crate::max_score::MaxScoreQuery;
use crate::overfetch;
use crate::question;
use crate::scope_bits::{ScopeBits, ScopeQuery};
use crate::snippet::Highlighter;
use crate::statistics::{Statistics, TermInfos};
use crate::top_k;

/// How much a title match weighs on top of the body, which holds the title too (measured on
/// the evaluation sets, MRR@10 ja / en: 0.25 gives 0.906 / 0.887, 0.5 0.906 / 0.896, 0.75
/// 0.906 / 0.895, 1.5 0.905 / 0.882; a body without the title, boost 1.0: 0.902 / 0.898).
const TITLE_BOOST: f32 = 0.5;
/// How much a single-kanji (or number) match weighs against a bigram match (measured on the ja
/// set, MRR@10: 1.0 gives 0.900, 1.4 0.902, 2.0 0.901; with [`KANA_WEIGHT`] 0.5 beside it, 0.6
/// gives 0.9107, 0.8 0.9112, 1.0 0.9106, 1.2 0.9105; en is unaffected).
const KANJI_WEIGHT: f32 = 0.8;
/// How much a bigram holding kana of grammar (`寺の`, `のは`) weighs against other bigrams: such
/// bigrams match particles and endings more than meaning (ja MRR@10: 1.0 gives 0.9062, 0.75
/// 0.9085, 0.5 0.9105, 0.35 0.9097, 0.2 0.9086, 0.0 0.9021; en is unaffected).
const KANA_WEIGHT: f32 = 0.5;
/// How much a bigram of a particle and the kanji after it (`の母`, `は何`) weighs: less than
/// other kana bigrams, as the particle is the likelier half to differ in the answer (ja MRR@10
/// with [`JA_BIGRAM_BM25`]: 0.5 gives 0.9197, 0.35 0.9209, 0.25 0.9210, 0.2 0.9212; okurigana
/// bigrams `亡く` at 0.7 instead of 0.5 lose 0.0016).
const PARTICLE_WEIGHT: f32 = 0.35;
/// BM25's parameters for Japanese bigrams (title and body). A passage repeats its subject's
/// bigrams, and with tantivy's `k1 = 1.2` the repetitions outweigh the one bigram that tells an
/// article's passages apart (see [`crate::bm25`]); full length normalisation keeps long passages
/// from winning by size (ja MRR@10, `k1`/`b` for bigrams and single kanji alike: 1.2/0.75 gives
/// 0.9112, 0.8/0.75 0.9166, 0.5/0.75 0.9182, 0.3/0.75 0.9182, 0.5/0.9 0.9183, 0.4/1.0 0.9194;
/// 0.4/0.5 for bigrams and 1.2 for kanji 0.9178). English words keep tantivy's parameters, which
/// suit them (all terms at `k1 = 0.5` took en from 0.896 to 0.882).
const JA_BIGRAM_BM25: Bm25Params = Bm25Params { k1: 0.4, b: 1.0 };
/// BM25's parameters for single kanji: saturating sooner still (with bigrams at 0.4/1.0, `k1`
/// 0.4 gives 0.9195, 0.3 0.9197, 0.25 0.9215 with [`PARTICLE_WEIGHT`], 0.2 0.9216). Those
/// figures counted the deleted versions a first build leaves; compacted (true statistics),
/// 0.25 gives 0.9209 and 0.2 0.9216 (bigrams at 0.3/1.0: 0.9216 with 0.25, 0.9213 with 0.2).
const JA_KANJI_BM25: Bm25Params = Bm25Params { k1: 0.2, b: 1.0 };
/// Indexing threads and the memory they may use before flushing a segment: on disk, two
/// threads with 32 MiB each; in memory (tests, tools), one with tantivy's minimum.
const DISK_WRITER: (usize, usize) = (2, 64 * 1024 * 1024);
const MEMORY_WRITER: (usize, usize) = (1, 15 * 1024 * 1024);
/// What looking one document up in one term's postings costs against reading one posting, for
/// choosing which side of a filtered search drives (see `Inner::scored`).
const LOOKUP_COST: u64 = 4;
/// The longest snippet, in characters.
const SNIPPET_CHARS: usize = 200;

/// The stored documents are compressed in blocks of this many bytes, and a hit's whole block is
/// decompressed to read it: a page of ten hits over a large index reads ten blocks. tantivy's
/// 16 KiB blocks hold a dozen articles; 1 KiB blocks hold about one, so a page reads little
/// more than its own hits. Measured on the S5 set (100,000 articles): 4 KiB blocks against 16
/// took decompression from 8 % of a search's time to 4 %; 1 KiB against 4 took 7 % fewer cache
/// misses per search when the caches start cold (cachegrind, 8 MiB swept between searches) and
/// 5 % fewer instructions, for an index 10 % larger (122 -> 134 MB).
const DOCSTORE_BLOCK: usize = 1024;

/// How segments are merged: every search works segment by segment (term look-ups, postings,
/// scope bits), so fewer segments answer faster. tantivy's log policy waits for eight segments
/// of a size before merging them; this merges four (the S7 corpus of 100,000 documents: eleven
/// segments became four, and the p99 of Japanese questions went from 1.56 times the English
/// ones' to 1.50), and merges a segment once a fifth of it is deleted (an upsert deletes the
/// document's old version), which keeps term statistics true and postings short.
fn merge_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(MERGE_SEGMENTS);
    policy.set_del_docs_ratio_before_merge(MERGE_DELETED_SHARE);
    policy
}

/// How many segments of a size are merged together (see [`merge_policy`]).
const MERGE_SEGMENTS: usize = 4;
/// The share of a segment's documents deleted that has it merged (see [`merge_policy`]).
const MERGE_DELETED_SHARE: f32 = 0.2;

/// How many times [`Inner::compact`] merges before it gives up (each attempt fails only when a
/// background merge ended first on some of the same segments).
const COMPACT_ATTEMPTS: usize = 16;

/// How many times [`Inner::collect_garbage`] looks for files of merged segments, and how long
/// it waits between two looks (at most two seconds in all).
const COLLECT_ATTEMPTS: usize = 100;
const COLLECT_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// The segment a file of the index belongs to: the 32 hexadecimal digits its name starts with
/// (`<segment>.<extension>`); `None` for the index's own files (`meta.json`, locks).
fn segment_of_file(path: &Path) -> Option<&str> {
    let (id, _) = path.to_str()?.split_once('.')?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// How a new index is laid out (an existing index keeps the settings it was created with).
fn settings() -> IndexSettings {
    IndexSettings { docstore_blocksize: DOCSTORE_BLOCK, ..IndexSettings::default() }
}

/// The stored fields of a hit (all text), read straight into their strings: a
/// `TantivyDocument` builds every value, and each was then copied out of it.
struct StoredHit {
    values: Vec<(Field, String)>,
}

impl StoredHit {
    /// The first value of `field`, taken out (empty when there is none).
    fn take_first(&mut self, field: Field) -> String {
        self.values.iter_mut().find(|(f, _)| *f == field).map(|(_, v)| std::mem::take(v)).unwrap_or_default()
    }

    /// The last value of `field` (empty when there is none).
    fn last(&self, field: Field) -> &str {
        self.values.iter().rev().find(|(f, _)| *f == field).map_or("", |(_, v)| v)
    }
}

impl DocumentDeserialize for StoredHit {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(mut doc: D) -> std::result::Result<Self, DeserializeError> {
        let mut values = Vec::with_capacity(doc.size_hint());
        while let Some(value) = doc.next_field::<String>()? {
            values.push(value);
        }
        Ok(StoredHit { values })
    }
}

/// The fields of the index.
#[derive(Clone, Copy)]
struct Fields {
    /// `<portal>/<key>`: what an upsert replaces and a delete removes.
    uid: Field,
    portal: Field,
    key: Field,
    kind: Field,
    locale: Field,
    label: Field,
    category: Field,
    tags: Field,
    live_from: Field,
    title: Field,
    /// The title's words unstemmed, for autocomplete.
    title_words: Field,
    body: Field,
    /// Title and body as single kanji and numbers.
    kanji: Field,
    facets: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let f = Fields {
        uid: b.add_text_field("uid", STRING),
        portal: b.add_text_field("portal", STRING),
        key: b.add_text_field("key", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        locale: b.add_text_field("locale", STRING),
        label: b.add_text_field("label", STRING),
        category: b.add_text_field("category", STRING),
        tags: b.add_text_field("tags", STRING),
        live_from: b.add_i64_field("live_from", INDEXED | FAST),
        title: b.add_text_field("title", text(ANALYZER).set_stored()),
        title_words: b.add_text_field("title_words", text(WORDS)),
        body: b.add_text_field("body", text(ANALYZER).set_stored()),
        kanji: b.add_text_field("kanji", text(KANJI)),
        facets: b.add_facet_field("facets", FacetOptions::default()),
    };
    (b.build(), f)
}

fn index_error(what: &'static str) -> impl Fn(tantivy::TantivyError) -> Error {
    move |e| Error::new(ErrorKind::Unavailable, what).with_source(e.to_string())
}

struct Inner {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
    /// A [`FilterStrategy`] (`FilterStrategy::as_u8`).
    strategy: AtomicU8,
    scope_bits: Arc<ScopeBits>,
    /// Where terms sit in the segments' postings (segments never change).
    term_infos: Arc<TermInfos>,
    /// Each segment's latest `live_from` (`i64::MAX` when its column cannot be read), read
    /// once: segments never change. Starts over past [`MAX_SEGMENTS_KEPT`] segments.
    latest_live: Mutex<HashMap<SegmentId, i64>>,
}

/// The most segments [`Inner`] keeps a latest `live_from` for (merged-away segments leave theirs
/// behind until it starts over).
const MAX_SEGMENTS_KEPT: usize = 1024;

/// How a search combines the scope's filter with the words of the query. All find the same
/// hits with the same scores; they differ in speed only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FilterStrategy {
    /// Choose per query by the filter's selectivity (the default).
    #[default]
    Auto,
    /// The words drive; each document they propose is looked up in the scope's cached bits,
    /// then in the rest of the filter (scheduled documents, a request's narrowing).
    WordsFirst,
    /// The filter drives, each of its documents looked up in the words' postings: fast when the
    /// filter is narrow (one portal among many).
    FilterFirst,
    /// The words drive alone, with pruning, fetching a few times the page; the scope drops what
    /// the reader may not see (cached per-segment bitsets). Falls back to
    /// [`FilterStrategy::WordsFirst`] when too few hits survive, and is not used for facets or
    /// narrowed requests (they count every match anyway). `Auto` no longer chooses it:
    /// [`FilterStrategy::WordsFirst`] looks the same bitsets up while it walks, and ranks
    /// against the reader's own page (kept for comparison).
    OverFetch,
}

impl FilterStrategy {
    /// Every strategy.
    pub const ALL: [FilterStrategy; 4] =
        [FilterStrategy::Auto, FilterStrategy::WordsFirst, FilterStrategy::FilterFirst, FilterStrategy::OverFetch];

    fn from_u8(v: u8) -> Self {
        match v {
            1 => FilterStrategy::WordsFirst,
            2 => FilterStrategy::FilterFirst,
            3 => FilterStrategy::OverFetch,
            _ => FilterStrategy::Auto,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            FilterStrategy::Auto => 0,
            FilterStrategy::WordsFirst => 1,
            FilterStrategy::FilterFirst => 2,
            FilterStrategy::OverFetch => 3,
        }
    }
}

/// A tantivy index on local disk (or in memory, for tests and tools).
#[derive(Clone)]
pub struct TantivySearch {
    inner: Arc<Inner>,
}

impl TantivySearch {
    /// Open the index in `dir`, creating the directory and an empty index when there is none.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::new(ErrorKind::Unavailable, "cannot create the index directory")
                .with_context("dir", dir.display())
                .with_source(e)
        })?;
        let directory = || {
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| {
                Error::new(ErrorKind::Unavailable, "cannot open the index directory").with_source(e.to_string())
            })
        };
        let cannot = |e: tantivy::TantivyError| {
            Error::new(ErrorKind::ConfigInvalid, "cannot open the search index")
                .with_context("dir", dir.display())
                .with_source(e.to_string())
        };
        let builder = || Index::builder().schema(schema().0).settings(settings());
        let index = match builder().open_or_create(directory()?) {
            Ok(index) => index,
            // An index of an earlier layout. The index follows storage: it is emptied, and the
            // next catch-up (from position 0) rebuilds it.
            Err(tantivy::TantivyError::SchemaError(_)) => {
                tracing::warn!(dir = %dir.display(), "search index of another layout; emptying it for a rebuild");
                remove_index_files(dir)?;
                builder().open_or_create(directory()?).map_err(cannot)?
            }
            Err(e) => return Err(cannot(e)),
        };
        Self::with_index(index, DISK_WRITER)
    }

    /// An index held in memory only.
    pub fn in_memory() -> Result<Self> {
        let index = Index::builder()
            .schema(schema().0)
            .settings(settings())
            .create_in_ram()
            .map_err(index_error("cannot create the index"))?;
        Self::with_index(index, MEMORY_WRITER)
    }

    fn with_index(index: Index, (threads, memory): (usize, usize)) -> Result<Self> {
        index.tokenizers().register(ANALYZER, analyzer::analyzer());
        index.tokenizers().register(WORDS, analyzer::words());
        index.tokenizers().register(KANJI, analyzer::kanji());
        let writer: IndexWriter =
            index.writer_with_num_threads(threads, memory).map_err(index_error("cannot open the index writer"))?;
        writer.set_merge_policy(Box::new(merge_policy()));
        let reader = index
            .reader_builder()
            // Each write reloads the reader itself, so a search after it sees it; merges finished
            // in the background are picked up at the next write. Not on tantivy's own watch of
            // the index: its reload could read the index before a write and install that older
            // view after the write's reload, which then stays until the next write.
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_error("cannot open the index reader"))?;
        let (_, f) = schema();
        let strategy = AtomicU8::new(0);
        let inner = Inner {
            index,
            reader,
            writer: Mutex::new(writer),
            f,
            strategy,
            scope_bits: Arc::default(),
            term_infos: Arc::default(),
            latest_live: Mutex::default(),
        };
        Ok(TantivySearch { inner: Arc::new(inner) })
    }

    /// Fix how searches combine scope and words (tests and benchmarks compare the strategies;
    /// [`FilterStrategy::Auto`], the default, is the right choice otherwise).
    pub fn set_filter_strategy(&self, strategy: FilterStrategy) {
        self.inner.strategy.store(strategy.as_u8(), AtomicOrdering::Relaxed);
    }

    /// The tantivy index itself, for tools and side-by-side benchmarks against raw tantivy.
    pub fn tantivy_index(&self) -> &Index {
        &self.inner.index
    }

    /// The scored part of every search for `text` (what the words match, before any scope or
    /// narrowing), for benchmarks that run the same query on raw tantivy.
    pub fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        self.inner.text_query(text)
    }

    /// Run `work` on the blocking pool (tantivy does file I/O and CPU-heavy work).
    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce(&Inner) -> Result<T> + Send + 'static) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| Error::internal("search task failed").with_source(e.to_string()))?
    }
}

/// Remove the files of a tantivy index from `dir` (its metadata, locks and segment files named
/// by their segment's id), and nothing else.
fn remove_index_files(dir: &Path) -> Result<()> {
    let failed = |e: std::io::Error| {
        Error::new(ErrorKind::Unavailable, "cannot empty the index directory")
            .with_context("dir", dir.display())
            .with_source(e)
    };
    for entry in std::fs::read_dir(dir).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let segment_file = segment_of_file(Path::new(name.as_ref())).is_some();
        let index_file = matches!(name.as_ref(), "meta.json" | ".managed.json") || name.starts_with(".tantivy-");
        if (segment_file || index_file) && entry.file_type().map_err(failed)?.is_file() {
            std::fs::remove_file(entry.path()).map_err(failed)?;
        }
    }
    Ok(())
}

/// How many documents of `searcher` hold `term`.
fn doc_freq(searcher: &Searcher, term: &Term) -> Result<u64> {
    searcher.doc_freq(term).map_err(index_error("cannot read term statistics"))
}

/// Whether `term` holds hiragana (particles, endings, okurigana).
fn has_kana(term: &str) -> bool {
    term.chars().any(analyzer::is_hiragana)
}

/// The part of a query's `text` its terms come from: without the question form of a Japanese
/// question ([`question`]), unless nothing else is left.
fn searched_text(text: &str) -> Cow<'_, str> {
    match question::without_question_form(text) {
        Cow::Owned(plain) if analyzer::terms(&plain).is_empty() => Cow::Borrowed(text),
        plain => plain,
    }
}

/// Hits by address, best first.
type Ranked = Vec<(Score, DocAddress)>;

/// A scope's part that does not move with time (cached bitsets) and mandatory clauses beside it.
type ScopeParts = (ScopeQuery, Vec<(Occur, Box<dyn Query>)>);

/// How much a body bigram of a query weighs (see [`KANA_WEIGHT`], [`PARTICLE_WEIGHT`]).
fn bigram_weight(term: &str) -> Score {
    let mut chars = term.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if analyzer::is_hiragana(a) && analyzer::is_kanji(b) => PARTICLE_WEIGHT,
        _ if has_kana(term) => KANA_WEIGHT,
        _ => 1.0,
    }
}

/// The BM25 parameters of a term: Japanese terms have their own ([`JA_BIGRAM_BM25`],
/// [`JA_KANJI_BM25`] in `kanji`), every other term tantivy's.
fn bm25_params(term: &Term, kanji: Field) -> Bm25Params {
    if !term.value().as_str().is_some_and(analyzer::is_japanese) {
        Bm25Params::TANTIVY
    } else if term.field() == kanji {
        JA_KANJI_BM25
    } else {
        JA_BIGRAM_BM25
    }
}

/// Scored term queries, each with its weight and its parameters ([`bm25_params`]), opening
/// their postings where `infos` says they are.
fn scored_terms(clauses: &[(Term, Score)], kanji: Field, infos: &Arc<TermInfos>) -> Vec<Bm25TermQuery> {
    clauses
        .iter()
        .map(|(term, weight)| {
            Bm25TermQuery::new(term.clone(), bm25_params(term, kanji), *weight).with_term_infos(infos.clone())
        })
        .collect()
}

/// The disjunction of `clauses` with no filter beside it, pruned by MaxScore
/// ([`MaxScoreQuery`]; on a broad scope of 100k documents it beat tantivy's own block-max WAND
/// over `TermQuery`s, S2 p50 / p99: 606 / 1195 µs against 711 / 1567).
fn disjunction(clauses: &[(Term, Score)], kanji: Field, infos: &Arc<TermInfos>) -> Box<dyn Query> {
    Box::new(MaxScoreQuery::new(None, scored_terms(clauses, kanji, infos)))
}

fn uid(portal: impl std::fmt::Display, key: &str) -> String {
    format!("{portal}/{key}")
}

impl Inner {
    fn document(&self, d: &SearchDocument) -> TantivyDocument {
        let f = self.f;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.uid, uid(d.portal_id, &d.key));
        doc.add_text(f.portal, d.portal_id.to_string());
        doc.add_text(f.key, &d.key);
        doc.add_text(f.kind, &d.kind);
        doc.add_text(f.locale, d.locale.as_str());
        doc.add_text(f.label, d.visibility.as_str());
        let category = d.category_id.map(|c| c.to_string()).unwrap_or_default();
        doc.add_text(f.category, &category);
        doc.add_i64(f.live_from, d.live_from.timestamp_micros());
        doc.add_text(f.title, &d.title);
        doc.add_text(f.title_words, &d.title);
        // The title is part of the text: a body match on its words counts as any other.
        doc.add_text(f.body, &d.title);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.kanji, &d.title);
        doc.add_text(f.kanji, &d.body);
        doc.add_facet(f.facets, Facet::from_path(["c", category.as_str()]));
        doc.add_facet(f.facets, Facet::from_path(["l", d.locale.as_str()]));
        doc.add_facet(f.facets, Facet::from_path(["k", d.kind.as_str()]));
        for tag in &d.tags {
            doc.add_text(f.tags, tag);
            doc.add_facet(f.facets, Facet::from_path(["t", tag.as_str()]));
        }
        doc
    }

    fn apply(&self, changes: Vec<IndexChange>, position: u64) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        for change in &changes {
            let (portal, key) = match change {
                IndexChange::Upsert(d) => (d.portal_id, d.key.as_str()),
                IndexChange::Delete { portal_id, key } => (*portal_id, key.as_str()),
            };
            writer.delete_term(Term::from_field_text(self.f.uid, &uid(portal, key)));
            if let IndexChange::Upsert(d) = change {
                writer.add_document(self.document(d)).map_err(index_error("cannot index a document"))?;
            }
        }
        let mut commit = writer.prepare_commit().map_err(index_error("cannot commit the index"))?;
        commit.set_payload(&position.to_string());
        commit.commit().map_err(index_error("cannot commit the index"))?;
        drop(writer);
        self.reader.reload().map_err(index_error("cannot reload the index"))
    }

    /// Merge every segment into one (and a lone segment with deleted documents into one
    /// without them), keeping the commit's position. A merge the policy started in the
    /// background may hold some of the segments: whichever of the two ends last finds its
    /// segments gone and is dropped (tantivy keeps the index whole), and this starts over on
    /// the segments left.
    fn compact(&self) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let failed = index_error("cannot compact the index");
        for attempt in 1..=COMPACT_ATTEMPTS {
            let segments = self.index.searchable_segment_metas().map_err(&failed)?;
            if segments.len() < 2 && segments.iter().all(|s| !s.has_deletes()) {
                break;
            }
            let ids: Vec<SegmentId> = segments.iter().map(|s| s.id()).collect();
            match writer.merge(&ids).wait() {
                Ok(_) => break,
                Err(e) if attempt == COMPACT_ATTEMPTS => return Err(failed(e)),
                Err(_) => {}
            }
        }
        // The merged segments' files would otherwise stay on disk until the next commit.
        self.collect_garbage(&writer)
    }

    /// Reload the reader onto the compacted index and remove the files of segments the index no
    /// longer has, with `writer` (held: no commit adds segments meanwhile). A merge the policy
    /// started in the background keeps the segments it reads alive until it ends (then finds
    /// them gone and is dropped), and so does a search still running on them: while files of
    /// such segments stay, this looks again for a while, then leaves them to the collection
    /// every commit runs.
    fn collect_garbage(&self, writer: &IndexWriter) -> Result<()> {
        let failed = index_error("cannot remove the merged segments' files");
        for _ in 0..COLLECT_ATTEMPTS {
            self.reader.reload().map_err(index_error("cannot reload the index"))?;
            writer.garbage_collect_files().wait().map_err(&failed)?;
            let live: HashSet<String> =
                self.index.searchable_segment_metas().map_err(&failed)?.iter().map(|m| m.id().uuid_string()).collect();
            let files = self.index.directory().list_managed_files();
            if !files.iter().any(|path| segment_of_file(path).is_some_and(|id| !live.contains(id))) {
                break;
            }
            std::thread::sleep(COLLECT_PAUSE);
        }
        Ok(())
    }

    fn position(&self) -> Result<u64> {
        let metas = self.index.load_metas().map_err(index_error("cannot read the index metadata"))?;
        match metas.payload {
            None => Ok(0),
            Some(p) => {
                p.parse().map_err(|_| Error::new(ErrorKind::Internal, "the index's commit payload is not a position"))
            }
        }
    }

    fn clear(&self) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer.delete_all_documents().map_err(index_error("cannot clear the index"))?;
        let mut commit = writer.prepare_commit().map_err(index_error("cannot commit the index"))?;
        commit.set_payload("0");
        commit.commit().map_err(index_error("cannot commit the index"))?;
        drop(writer);
        self.reader.reload().map_err(index_error("cannot reload the index"))
    }

    /// The mandatory clauses of `scope`, scoring nothing; `None` when it lets nothing through.
    fn scope_clauses(&self, searcher: &Searcher, scope: &SearchScope) -> Option<Vec<(Occur, Box<dyn Query>)>> {
        let (lasting, mut clauses) = self.scope_parts(searcher, scope)?;
        clauses.push((Occur::Must, Box::new(lasting)));
        Some(clauses)
    }

    /// The parts of `scope`: what does not move with time (read from cached bitsets), and the
    /// clauses of what does (none when nothing is scheduled); `None` when it lets nothing
    /// through.
    fn scope_parts(&self, searcher: &Searcher, scope: &SearchScope) -> Option<ScopeParts> {
        let lasting = self.scope_query(scope)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Not yet live: excluding the few scheduled documents costs far less than matching
        // every live one, and nothing at all when no segment holds one.
        let now = scope.now.timestamp_micros();
        if self.any_live_after(searcher, now) {
            let future = Bound::Excluded(Term::from_field_i64(self.f.live_from, now));
            clauses.push((Occur::MustNot, Box::new(RangeQuery::new(future, Bound::Unbounded))));
        }
        Some((lasting, clauses))
    }

    /// Whether some document of `searcher` goes live after `now` (from each segment's largest
    /// `live_from`; a segment whose column cannot be read counts as holding one).
    fn any_live_after(&self, searcher: &Searcher, now: i64) -> bool {
        let mut latest = self.latest_live.lock().unwrap_or_else(PoisonError::into_inner);
        if latest.len() > MAX_SEGMENTS_KEPT {
            latest.clear();
        }
        searcher.segment_readers().iter().any(|segment| {
            let read = || segment.fast_fields().i64("live_from").map_or(i64::MAX, |column| column.max_value());
            *latest.entry(segment.segment_id()).or_insert_with(read) > now
        })
    }

    /// The parts of `scope` that do not move with time, as one query read from the cached
    /// per-segment bitsets; `None` when it lets nothing through.
    fn scope_query(&self, scope: &SearchScope) -> Option<ScopeQuery> {
        let filters = self.scope_filters(scope)?;
        let mut labels = scope.labels.clone();
        if let Some(l) = labels.as_mut() {
            l.sort();
        }
        let mut hidden = scope.hidden_categories.clone();
        hidden.sort();
        let key = format!("{}|{labels:?}|{hidden:?}", scope.portal_id);
        Some(ScopeQuery::new(self.scope_bits.clone(), key, Box::new(BooleanQuery::new(filters))))
    }

    /// The clauses of `scope` that do not move with time (portal, labels, hidden categories).
    fn scope_filters(&self, scope: &SearchScope) -> Option<Vec<(Occur, Box<dyn Query>)>> {
        let f = self.f;
        let filter = |q: Box<dyn Query>| -> Box<dyn Query> { Box::new(ConstScoreQuery::new(q, 0.0)) };
        let term = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic))
        };
        let mut clauses = vec![(Occur::Must, filter(term(f.portal, &scope.portal_id.to_string())))];
        if let Some(labels) = &scope.labels {
            if labels.is_empty() {
                return None;
            }
            let any_label: Vec<(Occur, Box<dyn Query>)> =
                labels.iter().map(|l| (Occur::Should, term(f.label, l))).collect();
            clauses.push((Occur::Must, filter(Box::new(BooleanQuery::new(any_label)))));
        }
        for c in &scope.hidden_categories {
            clauses.push((Occur::MustNot, term(f.category, &c.to_string())));
        }
        Some(clauses)
    }

    /// The narrowing a request asks for, as mandatory clauses.
    fn request_clauses(&self, request: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.f;
        let filter = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(ConstScoreQuery::new(
                Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic)),
                0.0,
            ))
        };
        let mut clauses = Vec::new();
        if let Some(l) = request.locale {
            clauses.push((Occur::Must, filter(f.locale, l.as_str())));
        }
        if !request.kinds.is_empty() {
            let terms = request.kinds.iter().map(|k| Term::from_field_text(f.kind, k));
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(TermSetQuery::new(terms)), 0.0)) as _));
        }
        if let Some(c) = request.category {
            clauses.push((Occur::Must, filter(f.category, &c.to_string())));
        }
        for t in &request.tags {
            clauses.push((Occur::Must, filter(f.tags, t)));
        }
        clauses
    }

    /// The words of `text` (as [`searched_text`] gives it) as scored term clauses: each analyzed
    /// term in the body and, boosted, in the title; each single kanji or number in the kanji
    /// field.
    fn text_clauses(&self, text: &str) -> Vec<(Term, Score)> {
        let terms: BTreeSet<String> = analyzer::terms(text).into_iter().collect();
        if terms.is_empty() {
            return Vec::new();
        }
        let kanji: BTreeSet<String> = analyzer::terms_with(&mut analyzer::kanji(), text).into_iter().collect();
        let mut clauses = Vec::with_capacity(terms.len() * 2 + kanji.len());
        for t in &terms {
            // A bigram holding kana of grammar (`の会`) says nothing about a title: no title clause
            // (ja MRR@10 unchanged at 0.9062, 4 % fewer clauses per Japanese query).
            if !has_kana(t) {
                clauses.push((Term::from_field_text(self.f.title, t), TITLE_BOOST));
            }
            clauses.push((Term::from_field_text(self.f.body, t), bigram_weight(t)));
        }
        clauses.extend(kanji.iter().map(|k| (Term::from_field_text(self.f.kanji, k), KANJI_WEIGHT)));
        clauses
    }

    /// The words of `text` as a scored query over title and body; `None` when it has no word.
    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let clauses = self.text_clauses(&searched_text(text));
        if clauses.is_empty() {
            return None;
        }
        Some(disjunction(&clauses, self.f.kanji, &self.term_infos))
    }

    /// The share of the index `scope` keeps, at most: its portal's (`documents` of them), and
    /// its labels'.
    fn scope_share(&self, searcher: &Searcher, scope: &SearchScope, documents: u64) -> Result<f64> {
        let all = searcher.num_docs().max(1) as f64;
        let mut share = documents as f64 / all;
        if let Some(labels) = &scope.labels {
            let mut labelled = 0u64;
            for l in labels {
                labelled += doc_freq(searcher, &Term::from_field_text(self.f.label, l))?;
            }
            share = share.min(labelled as f64 / all);
        }
        Ok(share)
    }

    /// How to combine a scope with words whose clauses are `clauses` (see [`FilterStrategy`]):
    /// the filter drives when the portal's documents are few against the postings of the words
    /// (one portal among many); otherwise the words drive. Returns the plan with the share of
    /// the index the scope keeps (computed for over-fetching only; 1.0 otherwise).
    fn plan(
        &self,
        (searcher, stats): (&Searcher, &Statistics),
        clauses: &[(Term, Score)],
        scope: &SearchScope,
    ) -> Result<(FilterStrategy, f64)> {
        let strategy = FilterStrategy::from_u8(self.strategy.load(AtomicOrdering::Relaxed));
        let documents = || {
            let portal = Term::from_field_text(self.f.portal, &scope.portal_id.to_string());
            stats.doc_freq(&portal).map_err(index_error("cannot read term statistics"))
        };
        match strategy {
            FilterStrategy::Auto => {}
            FilterStrategy::OverFetch => return Ok((strategy, self.scope_share(searcher, scope, documents()?)?)),
            _ => return Ok((strategy, 1.0)),
        }
        let mut postings = 0u64;
        for (term, _) in clauses.iter().filter(|(t, _)| t.field() != self.f.title) {
            postings += stats.doc_freq(term).map_err(index_error("cannot read term statistics"))?;
        }
        let documents = documents()?;
        if documents * clauses.len() as u64 * LOOKUP_COST < postings {
            return Ok((FilterStrategy::FilterFirst, 1.0));
        }
        // The words drive, each document they propose looked up in the scope's cached bits: a
        // broad scope then costs a bit test per document, and the page's threshold is the
        // reader's own (over-fetching ranks against documents the reader may not see: S5 set,
        // 100,000 documents, 85 % in scope: p50 218 -> 188 us, p99 470 -> 410 us).
        Ok((FilterStrategy::WordsFirst, 1.0))
    }

    /// The words of `clauses` within the lasting part of a scope and the other mandatory
    /// clauses of the scope and the request (`narrowing`), as one query driven by the filter
    /// or by the words (`filter_first`). Documents the words propose are looked up in the
    /// scope's bits first, then in the narrowing (when there is any).
    fn scored(
        &self,
        (lasting, mut narrowing): ScopeParts,
        (clauses, infos): (Vec<(Term, Score)>, &Arc<TermInfos>),
        filter_first: bool,
    ) -> Box<dyn Query> {
        if clauses.is_empty() {
            narrowing.push((Occur::Must, Box::new(lasting)));
            narrowing.push((Occur::Must, Box::new(AllQuery)));
            return Box::new(BooleanQuery::new(narrowing));
        }
        let terms = scored_terms(&clauses, self.f.kanji, infos);
        let filter = (!narrowing.is_empty()).then(|| {
            // A narrowing of only exclusions must still match the scope's documents.
            narrowing.push((Occur::Must, Box::new(lasting.clone())));
            BooleanQuery::new(narrowing)
        });
        Box::new(MaxScoreQuery::new(filter, terms).within(lasting).driven_by_the_filter(filter_first))
    }

    /// The page `offset .. offset + limit` of the words of `clauses` within `scope` (which keeps
    /// about `share` of the index), by over-fetching ([`FilterStrategy::OverFetch`]); `None` when
    /// too few hits survived.
    fn overfetched(
        &self,
        (searcher, stats): (&Searcher, &Statistics),
        (scope, share): (&SearchScope, f64),
        clauses: &[(Term, Score)],
        offset: usize,
        limit: usize,
    ) -> Result<Option<(Ranked, Total)>> {
        let Some(in_scope) = self.scope_query(scope) else { return Ok(None) };
        let in_scope = in_scope
            .scope_weight(EnableScoring::disabled_from_searcher(searcher))
            .map_err(index_error("search failed"))?;
        let words = disjunction(clauses, self.f.kanji, stats.term_infos());
        let now = scope.now.timestamp_micros();
        let mut live_from = HashMap::new();
        let live = move |address: DocAddress| -> bool {
            let column = live_from
                .entry(address.segment_ord)
                .or_insert_with(|| searcher.segment_reader(address.segment_ord).fast_fields().i64("live_from").ok());
            // Without the column nothing can be shown as live.
            column.as_ref().and_then(|c| c.first(address.doc_id)).is_some_and(|t| t <= now)
        };
        let found = overfetch::page((searcher, stats), &*words, &in_scope, live, (offset, limit), share)
            .map_err(index_error("search failed"))?;
        Ok(found.map(|p| {
            let total = match p.all_matches {
                Some(n) => Total { value: n as u64, exact: true },
                None => Total { value: (offset + p.top.len()) as u64, exact: false },
            };
            (p.top, total)
        }))
    }

    /// The hits at `top`, each with a passage of its body where the terms of `text` (as
    /// [`searched_text`] gives it) meet.
    fn hits(&self, searcher: &Searcher, text: &str, top: Vec<(f32, DocAddress)>) -> Result<Vec<SearchHit>> {
        let highlighter = Highlighter::new(text, SNIPPET_CHARS);
        top.into_iter()
            .map(|(score, address)| {
                let mut doc: StoredHit = searcher.doc(address).map_err(index_error("cannot read a hit"))?;
                // The body field holds the title, then the body: the passage comes from the body.
                let snippet_html = highlighter.snippet_html(doc.last(self.f.body));
                Ok(SearchHit {
                    key: doc.take_first(self.f.key),
                    kind: doc.take_first(self.f.kind),
                    title: doc.take_first(self.f.title),
                    snippet_html,
                    score,
                })
            })
            .collect()
    }

    fn search(&self, scope: &SearchScope, request: &SearchRequest) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let Some((lasting, mut narrowing)) = self.scope_parts(&searcher, scope) else {
            return Ok(SearchResults { facets: request.facets.then(Facets::default), ..SearchResults::default() });
        };
        let narrowed = request.locale.is_some()
            || !request.kinds.is_empty()
            || request.category.is_some()
            || !request.tags.is_empty();
        narrowing.extend(self.request_clauses(request));
        let limit = match request.limit {
            0 => 10,
            n => n.min(100),
        } as usize;
        let offset = request.offset as usize;
        let text = searched_text(&request.text);
        let words = self.text_clauses(&text);
        let stats = Statistics::new(&searcher, self.term_infos.clone());
        let (plan, share) = if words.is_empty() {
            (FilterStrategy::WordsFirst, 1.0)
        } else {
            self.plan((&searcher, &stats), &words, scope)?
        };
        if plan == FilterStrategy::OverFetch && !request.facets && !narrowed {
            if let Some((top, total)) = self.overfetched((&searcher, &stats), (scope, share), &words, offset, limit)? {
                let hits = self.hits(&searcher, &text, top)?;
                return Ok(SearchResults { hits, total, ..SearchResults::default() });
            }
        }
        let query = self.scored((lasting, narrowing), (words, stats.term_infos()), plan == FilterStrategy::FilterFirst);
        let (top, total, facets) = if request.facets {
            let top = TopDocs::with_limit(limit).and_offset(offset).order_by_score();
            let mut fc = FacetCollector::for_field("facets");
            for root in ["/c", "/t", "/l", "/k"] {
                fc.add_facet(Facet::from(root));
            }
            let (top, count, counts) = searcher
                .search_with_statistics_provider(&*query, &(top, Count, fc), &stats)
                .map_err(index_error("search failed"))?;
            let list = |root: &str| -> Vec<(String, u64)> {
                let mut v: Vec<(String, u64)> = counts
                    .get(root)
                    .map(|(facet, n)| {
                        let name = facet.to_path().last().map(|s| s.to_string()).unwrap_or_default();
                        (name, n)
                    })
                    .filter(|(name, _)| !name.is_empty())
                    .collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                v
            };
            let facets = Facets { categories: list("/c"), tags: list("/t"), locales: list("/l"), kinds: list("/k") };
            (top, Total { value: count as u64, exact: true }, Some(facets))
        } else {
            let top =
                top_k::top_docs(&searcher, &stats, &*query, offset, limit).map_err(index_error("search failed"))?;
            // Without counting every match, the total is exact only when the matches ran out
            // within this page (a page past the end says only that there are at most `offset`).
            let ran_out = top.len() < limit && (offset == 0 || !top.is_empty());
            let total = Total { value: if top.is_empty() { 0 } else { (offset + top.len()) as u64 }, exact: ran_out };
            (top, total, None)
        };
        let hits = self.hits(&searcher, &text, top)?;
        Ok(SearchResults { hits, total, facets, ..SearchResults::default() })
    }

    fn autocomplete(&self, scope: &SearchScope, prefix: &str, limit: u32) -> Result<Vec<Suggestion>> {
        let searcher = self.reader.searcher();
        let Some(mut clauses) = self.scope_clauses(&searcher, scope) else { return Ok(Vec::new()) };
        let words = analyzer::terms_with(&mut analyzer::words(), prefix);
        let Some((last, complete)) = words.split_last() else { return Ok(Vec::new()) };
        let f = self.f;
        for w in complete {
            let q = TermQuery::new(Term::from_field_text(f.title_words, w), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Must, Box::new(q)));
        }
        // The last word may be unfinished when it is a word of an alphabetic script.
        let still_typing = prefix.chars().last().is_some_and(char::is_alphanumeric)
            && last.chars().all(|c| !matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{9FFF}'));
        let last_q: Box<dyn Query> = if still_typing {
            let pattern = format!("{}.*", regex_escape(last));
            Box::new(RegexQuery::from_pattern(&pattern, f.title_words).map_err(index_error("bad prefix"))?)
        } else {
            Box::new(TermQuery::new(Term::from_field_text(f.title_words, last), IndexRecordOption::WithFreqs))
        };
        clauses.push((Occur::Must, last_q));
        let query = BooleanQuery::new(clauses);
        let top = searcher
            .search(&query, &TopDocs::with_limit(limit.clamp(1, 50) as usize).order_by_score())
            .map_err(index_error("autocomplete failed"))?;
        top.into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).map_err(index_error("cannot read a hit"))?;
                let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                Ok(Suggestion { key: text(f.key), title: text(f.title) })
            })
            .collect()
    }

    fn related(&self, scope: &SearchScope, key: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let f = self.f;
        let searcher = self.reader.searcher();
        let me = Term::from_field_text(f.uid, &uid(scope.portal_id, key));
        let found = searcher
            .search(&TermQuery::new(me.clone(), IndexRecordOption::Basic), &TopDocs::with_limit(1).order_by_score())
            .map_err(index_error("related failed"))?;
        let Some((_, address)) = found.first() else { return Ok(Vec::new()) };
        let doc: TantivyDocument = searcher.doc(*address).map_err(index_error("cannot read a document"))?;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let body: String =
            doc.get_all(f.body).filter_map(|v| v.as_str()).last().unwrap_or_default().chars().take(600).collect();
        let request = SearchRequest { text: format!("{} {}", text(f.title), body), limit, ..Default::default() };
        let Some((lasting, mut narrowing)) = self.scope_parts(&searcher, scope) else { return Ok(Vec::new()) };
        narrowing.push((Occur::MustNot, Box::new(TermQuery::new(me, IndexRecordOption::Basic))));
        let text = searched_text(&request.text);
        let words = self.text_clauses(&text);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let stats = Statistics::new(&searcher, self.term_infos.clone());
        let filter_first = self.plan((&searcher, &stats), &words, scope)?.0 == FilterStrategy::FilterFirst;
        let query = self.scored((lasting, narrowing), (words, stats.term_infos()), filter_first);
        let top = top_k::top_docs(&searcher, &stats, &*query, 0, limit.clamp(1, 50) as usize)
            .map_err(index_error("related failed"))?;
        self.hits(&searcher, &text, top)
    }
}

/// `text` with every regex metacharacter escaped.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~\"@<>".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[async_trait]
impl SearchIndex for TantivySearch {
    async fn apply(&self, changes: Vec<IndexChange>, position: u64) -> Result<()> {
        self.blocking(move |i| i.apply(changes, position)).await
    }

    async fn position(&self) -> Result<u64> {
        self.inner.position()
    }

    async fn clear(&self) -> Result<()> {
        self.blocking(|i| i.clear()).await
    }

    async fn compact(&self) -> Result<()> {
        self.blocking(|i| i.compact()).await
    }

    async fn search(&self, scope: &SearchScope, request: &SearchRequest) -> Result<SearchResults> {
        self.inner.search(scope, request)
    }

    async fn autocomplete(&self, scope: &SearchScope, prefix: &str, limit: u32) -> Result<Vec<Suggestion>> {
        self.inner.autocomplete(scope, prefix, limit)
    }

    async fn related(&self, scope: &SearchScope, key: &str, limit: u32) -> Result<Vec<SearchHit>> {
        self.inner.related(scope, key, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::FilterStrategy;

    #[test]
    fn every_filter_strategy_survives_its_stored_form() {
        for s in FilterStrategy::ALL {
            assert_eq!(FilterStrategy::from_u8(s.as_u8()), s);
        }
    }
}
