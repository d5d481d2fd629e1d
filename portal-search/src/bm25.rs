//! A term query scored by BM25 with its own parameters.
//!
//! tantivy scores every term with `k1 = 1.2, b = 0.75`. That suits English words, but a
//! Japanese passage repeats its subject's bigrams (`プルースト` is four bigrams, written a dozen
//! times in a passage about him): with `k1 = 1.2` those repetitions outweigh the one bigram that
//! tells the passages of one article apart (`亡く`). A smaller `k1` saturates term frequency
//! sooner, so what counts is which of the query's bigrams a passage holds, not how often.
//! [`Bm25TermQuery`] is `TermQuery` with `k1` and `b` of its own; it gives the same scores as
//! `TermQuery` with tantivy's parameters (tested).

use std::sync::{Arc, Mutex, PoisonError};

use crate::block_bounds::TermBlocks;
use crate::statistics::TermInfos;
use crate::term_cursor::{TermCursor, DENSE};
use crate::term_holders::TermHolders;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings, TermInfo};
use tantivy::query::{Bm25StatisticsProvider, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term};

/// BM25's two parameters: term-frequency saturation and length normalisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bm25Params {
    pub k1: Score,
    pub b: Score,
}

impl Bm25Params {
    /// tantivy's own parameters.
    pub const TANTIVY: Bm25Params = Bm25Params { k1: 1.2, b: 0.75 };
}

/// BM25's inverse document frequency of a term in `doc_freq` of `docs` documents.
fn idf(doc_freq: u64, docs: u64) -> Score {
    let (n, d) = (doc_freq as f64, docs as f64);
    (1.0 + (d - n + 0.5) / (n + 0.5)).ln() as Score
}

/// One term, scored by BM25 with `params`, times `boost`.
#[derive(Debug, Clone)]
pub(crate) struct Bm25TermQuery {
    term: Term,
    params: Bm25Params,
    boost: Score,
    /// Where terms sit in segments' postings, remembered across searches.
    infos: Option<Arc<TermInfos>>,
}

impl Bm25TermQuery {
    pub(crate) fn new(term: Term, params: Bm25Params, boost: Score) -> Self {
        Bm25TermQuery { term, params, boost, infos: None }
    }

    /// The term's place in each segment's postings is found through `infos`.
    pub(crate) fn with_term_infos(mut self, infos: Arc<TermInfos>) -> Self {
        self.infos = Some(infos);
        self
    }

    /// The query's weight, typed.
    pub(crate) fn term_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Bm25TermWeight> {
        let statistics: &dyn Bm25StatisticsProvider = match scoring {
            EnableScoring::Enabled { statistics_provider, .. } => statistics_provider,
            EnableScoring::Disabled { .. } => {
                return Ok(Bm25TermWeight { term: self.term.clone(), scoring: None, infos: self.infos.clone() });
            }
        };
        let docs = statistics.total_num_docs()?;
        let field = self.term.field();
        let average = if docs == 0 { 1.0 } else { statistics.total_num_tokens(field)? as Score / docs as Score };
        let weight = self.boost * idf(statistics.doc_freq(&self.term)?, docs) * (self.params.k1 + 1.0);
        let shape = [self.params.k1.to_bits(), self.params.b.to_bits(), average.to_bits()];
        let scoring = Some(Scoring { weight, norms: norms(self.params, average, shape), shape });
        Ok(Bm25TermWeight { term: self.term.clone(), scoring, infos: self.infos.clone() })
    }
}

impl Query for Bm25TermQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.term_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

/// The norms of the last shapes asked for: the terms of a query share a few (one per field and
/// parameters), and they change only when the index does.
static NORMS: Mutex<Vec<(Shape, Arc<[Score; 256]>)>> = Mutex::new(Vec::new());

/// How many shapes [`NORMS`] remembers.
const REMEMBERED_SHAPES: usize = 32;

/// The denominator's length part for each of the 256 encoded field lengths, for `params` and
/// the `average` length (their `shape`).
fn norms(params: Bm25Params, average: Score, shape: Shape) -> Arc<[Score; 256]> {
    let mut known = NORMS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, norms)) = known.iter().find(|(s, _)| *s == shape) {
        return norms.clone();
    }
    let mut norms = [0.0; 256];
    for (id, norm) in norms.iter_mut().enumerate() {
        let length = FieldNormReader::id_to_fieldnorm(id as u8) as Score;
        *norm = params.k1 * (1.0 - params.b + params.b * length / average.max(Score::EPSILON));
    }
    let norms = Arc::new(norms);
    if known.len() == REMEMBERED_SHAPES {
        known.remove(0);
    }
    known.push((shape, norms.clone()));
    norms
}

/// What scores a matching document: `weight * tf / (tf + norms[length id])`.
#[derive(Clone)]
struct Scoring {
    weight: Score,
    /// Shared by the term's scorers on every segment.
    norms: Arc<[Score; 256]>,
    /// What `norms` were made from (`k1`, `b`, the average length): equal shapes, equal norms.
    shape: Shape,
}

/// The bits of `k1`, `b` and the average field length a term's scores were shaped by.
pub(crate) type Shape = [u32; 3];

/// The weight of a [`Bm25TermQuery`].
pub(crate) struct Bm25TermWeight {
    term: Term,
    /// `None` when scoring is disabled (every match scores 1).
    scoring: Option<Scoring>,
    infos: Option<Arc<TermInfos>>,
}

impl Bm25TermWeight {
    /// The term's scorer on one segment, typed; `None` when the segment lacks the term.
    pub(crate) fn term_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Option<Bm25TermScorer>> {
        let Some(info) = self.term_info(reader)? else { return Ok(None) };
        self.scorer_at(&info, reader, boost).map(Some)
    }

    /// The term's documents on one segment with what each block of its postings can score at
    /// most; `None` when the segment lacks the term. A term in at least one of [`DENSE`] of the
    /// segment's documents is read from its holders (kept across searches with the term's
    /// places; its postings are not opened), any other from its postings.
    pub(crate) fn bounded_cursor(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<(TermCursor, Arc<TermBlocks>)>> {
        let Some(info) = self.term_info(reader)? else { return Ok(None) };
        let blocks = match &self.infos {
            Some(infos) => infos.blocks(&self.term, &info, reader)?,
            None => Arc::new(TermBlocks::read(&self.term, &info, reader)?),
        };
        let dense = u64::from(info.doc_freq) * DENSE >= u64::from(reader.max_doc());
        let held = match &self.infos {
            Some(infos) if dense => infos.holders(&self.term, reader)?,
            _ => None,
        };
        let cursor = match held {
            Some(holders) => TermCursor::held(holders, self.scoring_on(reader, boost)?),
            None => TermCursor::postings(self.scorer_at(&info, reader, boost)?),
        };
        Ok(Some((cursor, blocks)))
    }

    /// The documents of one segment holding the term (with its frequency in each), and how
    /// the term scores them (the postings are not opened); `None` when the segment lacks the
    /// term.
    pub(crate) fn held_scoring(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<(TermScoring, Arc<TermHolders>)>> {
        let holders = match &self.infos {
            Some(infos) => infos.holders(&self.term, reader)?,
            None => match self.term_info(reader)? {
                Some(info) => Some(Arc::new(TermHolders::read(&self.term, &info, reader)?)),
                None => None,
            },
        };
        let Some(holders) = holders else { return Ok(None) };
        Ok(Some((self.scoring_on(reader, boost)?, holders)))
    }

    /// Where the term sits in `reader`'s segment.
    fn term_info(&self, reader: &SegmentReader) -> tantivy::Result<Option<TermInfo>> {
        match &self.infos {
            Some(infos) => infos.get(&self.term, reader),
            None => Ok(reader.inverted_index(self.term.field())?.get_term_info(&self.term)?),
        }
    }

    fn scorer_at(&self, info: &TermInfo, reader: &SegmentReader, boost: Score) -> tantivy::Result<Bm25TermScorer> {
        let postings = reader
            .inverted_index(self.term.field())?
            .read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        Ok(Bm25TermScorer { postings, scoring: self.scoring_on(reader, boost)? })
    }

    fn scoring_on(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<TermScoring> {
        let scoring = self.scoring.as_ref().map(|s| Scoring { weight: s.weight * boost, ..s.clone() });
        let lengths = reader.get_fieldnorms_reader(self.term.field())?;
        Ok(TermScoring { lengths, scoring })
    }
}

impl Weight for Bm25TermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.term_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("BM25 of the term with the index's own parameters", scorer.score()))
    }
}

/// A [`Bm25TermQuery`]'s scorer on one segment.
pub(crate) struct Bm25TermScorer {
    postings: SegmentPostings,
    scoring: TermScoring,
}

impl Bm25TermScorer {
    /// How the term scores the segment's documents.
    pub(crate) fn scoring(&self) -> &TermScoring {
        &self.scoring
    }

    /// The term's frequency in the current document.
    #[inline]
    pub(crate) fn term_freq(&self) -> u32 {
        self.postings.term_freq()
    }
}

/// How one term scores the documents of one segment: by their field lengths and the term's
/// frequency in them.
pub(crate) struct TermScoring {
    lengths: FieldNormReader,
    scoring: Option<Scoring>,
}

impl TermScoring {
    /// No document scores more than this (`tf / (tf + norm)` stays below 1).
    pub(crate) fn max_score(&self) -> Score {
        self.scoring.as_ref().map_or(1.0, |s| s.weight)
    }

    /// The score of a posting with term frequency `tf` in a field of length id `length`.
    #[inline]
    pub(crate) fn score_of(&self, length: u8, tf: u32) -> Score {
        match &self.scoring {
            None => 1.0,
            Some(s) => {
                let tf = tf as Score;
                s.weight * tf / (tf + s.norms[length as usize])
            }
        }
    }

    /// The score of document `doc` holding the term `tf` times.
    #[inline]
    pub(crate) fn score_with(&self, doc: DocId, tf: u32) -> Score {
        match self.scoring {
            None => 1.0,
            Some(_) => self.score_of(self.lengths.fieldnorm_id(doc), tf),
        }
    }

    /// The score of such a posting before the term's weight (idf and boost) multiplies it,
    /// with what shaped it (`None`: every match scores 1).
    pub(crate) fn unit(&self) -> Option<(Shape, impl Fn(u8, u32) -> Score + '_)> {
        self.scoring.as_ref().map(|s| {
            let unit = |length: u8, tf: u32| {
                let tf = tf as Score;
                tf / (tf + s.norms[length as usize])
            };
            (s.shape, unit)
        })
    }
}

impl DocSet for Bm25TermScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for Bm25TermScorer {
    fn score(&mut self) -> Score {
        if self.scoring.scoring.is_none() {
            return 1.0;
        }
        self.scoring.score_with(self.postings.doc(), self.postings.term_freq())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, Index};

    fn index(docs: &[Vec<u8>]) -> (Index, tantivy::schema::Field) {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (i, words) in docs.iter().enumerate() {
            let words: Vec<String> = words.iter().map(|w| format!("w{w}")).collect();
            writer.add_document(doc!(text => words.join(" "))).unwrap();
            if i % 5 == 2 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        (index, text)
    }

    fn top(index: &Index, query: &dyn Query) -> Vec<(Score, tantivy::DocAddress)> {
        index.reader().unwrap().searcher().search(query, &TopDocs::with_limit(100).order_by_score()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// With tantivy's parameters, the same documents and scores as `TermQuery` (alone and
        /// in a disjunction), on several segments.
        #[test]
        fn scores_like_term_query_with_tantivys_parameters(
            docs in proptest::collection::vec(proptest::collection::vec(0u8..6, 0..12), 1..40),
            words in proptest::collection::vec(0u8..6, 1..4),
            boost in 0.1f32..3.0,
        ) {
            let (index, text) = index(&docs);
            let terms: Vec<Term> = words.iter().map(|w| Term::from_field_text(text, &format!("w{w}"))).collect();
            let ours = BooleanQuery::new(
                terms.iter().map(|t| (Occur::Should, Box::new(Bm25TermQuery::new(t.clone(), Bm25Params::TANTIVY, boost)) as Box<dyn Query>)).collect(),
            );
            let theirs = BooleanQuery::new(
                terms.iter().map(|t| (Occur::Should, Box::new(tantivy::query::BoostQuery::new(Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)), boost)) as Box<dyn Query>)).collect(),
            );
            let (a, b) = (top(&index, &ours), top(&index, &theirs));
            prop_assert_eq!(a.len(), b.len());
            let mut a: Vec<_> = a.into_iter().map(|(s, d)| (d, s)).collect();
            let mut b: Vec<_> = b.into_iter().map(|(s, d)| (d, s)).collect();
            a.sort_by_key(|x| x.0);
            b.sort_by_key(|x| x.0);
            for ((da, sa), (db, sb)) in a.iter().zip(&b) {
                prop_assert_eq!(da, db);
                prop_assert!((sa - sb).abs() <= 1e-4 * sb.abs().max(1.0), "{} vs {}", sa, sb);
            }
        }
    }

    /// A smaller `k1` weighs repetitions less: a document naming the term once comes closer to
    /// one naming it five times.
    #[test]
    fn smaller_k1_saturates_repetitions_sooner() {
        let (index, text) = index(&[vec![0, 1, 2, 3, 4], vec![0, 0, 0, 0, 0], vec![5]]);
        let term = Term::from_field_text(text, "w0");
        let ratio = |k1| {
            let q = Bm25TermQuery::new(term.clone(), Bm25Params { k1, b: 0.75 }, 1.0);
            let hits = top(&index, &q);
            assert_eq!(hits.len(), 2);
            hits[0].0 / hits[1].0
        };
        let (tantivy, flat) = (ratio(1.2), ratio(0.3));
        assert!(tantivy > flat && flat > 1.0, "k1 1.2: {tantivy}, k1 0.3: {flat}");
    }
}
