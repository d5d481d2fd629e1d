//! What each block of a term's postings can score at most, for any BM25 parameters.
//!
//! tantivy stores, per block of 128 postings, the (term frequency, field length) pair that scores
//! highest with *its* BM25 parameters; with other parameters ([`crate::bm25`]) another pair of
//! the block may score higher, so those maxima are no bound for our scores. BM25 rises with the
//! term frequency and falls with the field length, whatever `k1`, `b` and the average length:
//! a block's best score is always one of its *Pareto-best* pairs (no other posting of the block
//! has both a higher frequency and a shorter field). [`TermBlocks`] keeps those few pairs per
//! block of [`BLOCK`] postings (a quarter of tantivy's: tighter bounds), read once per term and
//! segment (segments never change). The
//! per-block maxima of one shape of scores (parameters and average length) are kept too, and a
//! search multiplies them by its terms' weights ([`crate::max_score`] skips the windows that
//! cannot lift a document onto the page).

use std::sync::{Arc, Mutex, PoisonError};
use tantivy::postings::TermInfo;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentReader, Term};

use crate::bm25::Shape;

/// The postings of one term in one segment, block by block: where each block ends and its
/// Pareto-best (field length id, term frequency) pairs.
#[derive(Debug, Default)]
pub(crate) struct TermBlocks {
    /// The last document of each block, ascending.
    last_docs: Vec<DocId>,
    /// Where each block's pairs start in `pairs` (one more entry than blocks).
    starts: Vec<u32>,
    /// The Pareto-best (field length id, term frequency) pairs of every block.
    pairs: Vec<(u8, u32)>,
    /// Each block's maximum for the last shape of scores asked for ([`TermBlocks::maxima`]).
    maxima: Mutex<Option<(Shape, Arc<[Score]>)>>,
    /// The postings that score most, listed apart (frequent terms only).
    top: Option<TopTier>,
}

/// The postings of a frequent term that score most in every shape of BM25 scores, listed apart:
/// the few documents where the term weighs most, and the most any other posting can score.
///
/// A frequent term's blocks nearly all hold a posting that scores high (in a title, most
/// postings score alike), so its blocks' maxima seldom fall below the page's threshold and the
/// term proposes every document it holds. Once its other postings together with the rest of
/// the query cannot lift a document onto the page, only the listed documents need proposing
/// ([`crate::max_score`]).
///
/// Which postings are listed does not depend on the shape. BM25 rises with the frequency and
/// falls with the field length in every shape, so a posting no other *dominates* (none has a
/// shorter or equal field with a higher or equal frequency) may score highest. The (length,
/// frequency) pairs are peeled in layers of such pairs, the best first, and listed while the
/// listed postings stay within [`TOP_SHARE`] of the term's: no posting left out then dominates
/// one listed, and the next layer's pairs bound every posting left out, in any shape.
#[derive(Debug, Default)]
struct TopTier {
    /// The listed documents, ascending.
    docs: Vec<DocId>,
    /// The Pareto-best (field length id, term frequency) pairs of the postings not listed.
    rest: Vec<(u8, u32)>,
}

/// The fewest postings a term has for its best ones to be listed ([`TopTier`]): a term with
/// fewer is cheap to walk whole.
const TOP_MIN_POSTINGS: u32 = if cfg!(test) { 64 } else { 2048 };

/// At most this share of a term's postings is listed ([`TopTier`]): the fewer, the fewer
/// documents a listed term proposes, but the higher the bound of the others.
const TOP_SHARE: u32 = 8;

/// How many postings a block holds (the last of a term's blocks may hold fewer). Smaller
/// blocks bound their documents more tightly: a window of a frequent term then spans fewer
/// documents, and more windows fall below the page's threshold.
const BLOCK: usize = 32;

impl TermBlocks {
    /// Read the blocks of the term at `info` in `reader`'s segment.
    pub(crate) fn read(term: &Term, info: &TermInfo, reader: &SegmentReader) -> tantivy::Result<TermBlocks> {
        let field = term.field();
        let lengths = reader.get_fieldnorms_reader(field)?;
        let mut postings =
            reader.inverted_index(field)?.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        let mut blocks = TermBlocks { starts: vec![0], ..TermBlocks::default() };
        // The Pareto-best pairs of the block being read: no pair of the block has both a
        // shorter (or equal) length and a higher (or equal) frequency than one of them.
        let mut best: Vec<(u8, u32)> = Vec::with_capacity(8);
        // A frequent term's pairs are counted on the way, for listing its best postings.
        let mut counts = (info.doc_freq >= TOP_MIN_POSTINGS).then(PairCounts::new);
        loop {
            let docs = postings.docs();
            if docs.is_empty() {
                break;
            }
            for (docs, freqs) in docs.chunks(BLOCK).zip(postings.freqs().chunks(BLOCK)) {
                best.clear();
                for (&doc, &tf) in docs.iter().zip(freqs) {
                    let length = lengths.fieldnorm_id(doc);
                    if let Some(counts) = counts.as_mut() {
                        counts.add(length, tf);
                    }
                    if best.iter().any(|&(l, t)| l <= length && t >= tf) {
                        continue;
                    }
                    best.retain(|&(l, t)| !(length <= l && tf >= t));
                    best.push((length, tf));
                }
                blocks.pairs.extend_from_slice(&best);
                blocks.last_docs.push(docs[docs.len() - 1]);
                blocks.starts.push(blocks.pairs.len() as u32);
            }
            postings.advance();
        }
        if let Some(counts) = counts {
            blocks.top = TopTier::read(counts, term, info, reader)?;
        }
        Ok(blocks)
    }

    /// How many blocks there are.
    pub(crate) fn len(&self) -> usize {
        self.last_docs.len()
    }

    /// The last document of block `i`.
    pub(crate) fn last_doc(&self, i: usize) -> DocId {
        self.last_docs[i]
    }

    /// The most any posting of block `i` scores, `score` giving the score of a (length id,
    /// frequency) pair (rising with the frequency, falling with the length).
    pub(crate) fn max(&self, i: usize, score: impl Fn(u8, u32) -> Score) -> Score {
        let pairs = &self.pairs[self.starts[i] as usize..self.starts[i + 1] as usize];
        pairs.iter().map(|&(length, tf)| score(length, tf)).fold(0.0, Score::max)
    }

    /// [`TermBlocks::max`] of every block for scores of `shape` (computed by `score`),
    /// remembered for the next search of the same shape: the shape changes only when the
    /// index's average field length does.
    pub(crate) fn maxima(&self, shape: Shape, score: impl Fn(u8, u32) -> Score) -> Arc<[Score]> {
        let mut known = self.maxima.lock().unwrap_or_else(PoisonError::into_inner);
        match &*known {
            Some((s, maxima)) if *s == shape => maxima.clone(),
            _ => {
                let maxima: Arc<[Score]> = (0..self.len()).map(|i| self.max(i, &score)).collect();
                *known = Some((shape, maxima.clone()));
                maxima
            }
        }
    }

    /// How many entries the blocks hold (for bounding a cache of them).
    pub(crate) fn size(&self) -> usize {
        self.last_docs.len() + self.pairs.len() + self.top.as_ref().map_or(0, |t| t.docs.len() + t.rest.len())
    }

    /// The most any posting not among the listed best scores (`score` giving the score of a
    /// (length id, frequency) pair); `None` for a term with few postings, or whose best ones are
    /// too many to list ([`TopTier`]).
    pub(crate) fn top(&self, score: impl Fn(u8, u32) -> Score) -> Option<Score> {
        let top = self.top.as_ref()?;
        Some(top.rest.iter().map(|&(length, tf)| score(length, tf)).fold(0.0, Score::max))
    }

    /// The documents of the listed best postings, ascending (none when [`TermBlocks::top`] is
    /// `None`).
    pub(crate) fn top_docs(&self) -> &[DocId] {
        self.top.as_ref().map_or(&[], |t| &t.docs)
    }
}

/// Frequencies are counted apart up to this; higher ones share its count (with their largest
/// frequency per length kept apart).
const COUNTED_FREQS: usize = 256;

/// How many postings of a term hold each (field length id, frequency) pair.
struct PairCounts {
    counts: Vec<u32>,
    /// The largest frequency of each length's shared slot.
    largest: [u32; 256],
}

impl PairCounts {
    fn new() -> Self {
        PairCounts { counts: vec![0; 256 * COUNTED_FREQS], largest: [0; 256] }
    }

    /// Where the pair is counted.
    fn slot(length: u8, tf: u32) -> usize {
        length as usize * COUNTED_FREQS + (tf as usize).min(COUNTED_FREQS - 1)
    }

    fn add(&mut self, length: u8, tf: u32) {
        self.counts[Self::slot(length, tf)] += 1;
        self.largest[length as usize] = self.largest[length as usize].max(tf);
    }
}

impl TopTier {
    /// The best postings of the term at `info` in `reader`'s segment, whose pairs are `counted`
    /// (see [`TopTier`]); `None` when even the best layer holds more than [`TOP_SHARE`] of
    /// them, or every posting.
    fn read(
        counted: PairCounts,
        term: &Term,
        info: &TermInfo,
        reader: &SegmentReader,
    ) -> tantivy::Result<Option<TopTier>> {
        let PairCounts { counts, largest } = counted;
        let slot = PairCounts::slot;
        // The pairs present, by length, then the highest frequency first.
        let mut pairs: Vec<(u8, u32)> = (0..counts.len())
            .filter(|&i| counts[i] > 0)
            .map(|i| {
                let (length, tf) = ((i / COUNTED_FREQS) as u8, (i % COUNTED_FREQS) as u32);
                (length, if tf as usize == COUNTED_FREQS - 1 { largest[length as usize] } else { tf })
            })
            .collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let count = |&(length, tf): &(u8, u32)| counts[slot(length, tf)];
        let cap = info.doc_freq / TOP_SHARE;
        let mut listed = vec![false; counts.len()];
        let (mut taken, mut any) = (0u32, false);
        loop {
            let layer = pareto_best(&pairs);
            let more: u32 = layer.iter().map(count).sum();
            if taken + more > cap || layer.len() == pairs.len() {
                if !any {
                    return Ok(None);
                }
                let field = term.field();
                let lengths = reader.get_fieldnorms_reader(field)?;
                let mut docs = Vec::with_capacity(taken as usize);
                let mut postings = reader
                    .inverted_index(field)?
                    .read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
                while !postings.docs().is_empty() {
                    for (&doc, &tf) in postings.docs().iter().zip(postings.freqs()) {
                        if listed[slot(lengths.fieldnorm_id(doc), tf)] {
                            docs.push(doc);
                        }
                    }
                    postings.advance();
                }
                return Ok(Some(TopTier { docs, rest: layer }));
            }
            for &(length, tf) in &layer {
                listed[slot(length, tf)] = true;
            }
            pairs.retain(|&(length, tf)| !listed[slot(length, tf)]);
            taken += more;
            any = true;
        }
    }
}

/// The pairs of `pairs` (sorted by length, then the highest frequency first) that no other
/// pair dominates.
fn pareto_best(pairs: &[(u8, u32)]) -> Vec<(u8, u32)> {
    let mut best = Vec::new();
    let mut highest = None;
    for &(length, tf) in pairs {
        if highest.is_none_or(|h| tf > h) {
            best.push((length, tf));
            highest = Some(tf);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::fieldnorm::FieldNormReader;
    use tantivy::postings::Postings;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, DocSet, Index, TERMINATED};

    /// BM25's shape: rises with the frequency, falls with the length.
    fn bm25(k1: Score, b: Score) -> impl Fn(u8, u32) -> Score {
        move |length, tf| {
            let length = FieldNormReader::id_to_fieldnorm(length) as Score;
            let tf = tf as Score;
            tf / (tf + k1 * (1.0 - b + b * length / 40.0))
        }
    }

    /// One segment of documents holding `x` as often as the first number says, and `y` as
    /// often as the second.
    fn index_of(docs: &[(usize, usize)]) -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (tf, filler) in docs {
            let words: Vec<&str> = std::iter::repeat_n("x", *tf).chain(std::iter::repeat_n("y", *filler)).collect();
            writer.add_document(doc!(text => words.join(" "))).unwrap();
        }
        writer.commit().unwrap();
        (index, text)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(60))]

        /// Every block's maximum is at least the score of each of its postings and is reached by
        /// one of them, for any BM25 parameters; the blocks cover every posting in order.
        #[test]
        fn each_block_bounds_its_postings_tightly(
            docs in proptest::collection::vec((0usize..4, 0usize..90), 1..700),
            k1 in 0.1f32..2.0,
            b in 0.0f32..1.0,
        ) {
            let (index, text) = index_of(&docs);
            let searcher = index.reader().unwrap().searcher();
            let reader = searcher.segment_reader(0);
            let term = Term::from_field_text(text, "x");
            let Some(info) = reader.inverted_index(text).unwrap().get_term_info(&term).unwrap() else {
                prop_assert!(docs.iter().all(|(tf, _)| *tf == 0));
                return Ok(());
            };
            let score = bm25(k1, b);
            let blocks = TermBlocks::read(&term, &info, reader).unwrap();
            let lengths = reader.get_fieldnorms_reader(text).unwrap();
            let mut postings = reader.inverted_index(text).unwrap().read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs).unwrap();
            let mut block = 0;
            let mut best: Vec<Score> = vec![0.0; blocks.len()];
            while postings.doc() != TERMINATED {
                let doc = postings.doc();
                while blocks.last_doc(block) < doc {
                    block += 1;
                }
                let s = score(lengths.fieldnorm_id(doc), postings.term_freq());
                prop_assert!(s <= blocks.max(block, &score), "block {} bound {} below {}", block, blocks.max(block, &score), s);
                best[block] = best[block].max(s);
                postings.advance();
            }
            prop_assert_eq!(block + 1, blocks.len());
            prop_assert!((1..blocks.len()).all(|i| blocks.last_doc(i - 1) < blocks.last_doc(i)));
            for (i, b) in best.iter().enumerate() {
                prop_assert_eq!(*b, blocks.max(i, &score));
            }
        }

        /// A frequent term's best postings, listed apart, are at most an eighth of its postings,
        /// ascending; no posting left out has both a shorter (or equal) field and a higher (or
        /// equal) frequency than one listed; and in any BM25 shape the bound of those left out
        /// is at least what each scores and is reached by one.
        #[test]
        fn the_best_postings_are_listed_and_bound_the_rest_in_every_shape(
            docs in proptest::collection::vec((1usize..9, 0usize..60), 64..600),
            shapes in proptest::collection::vec((0.1f32..2.0, 0.0f32..1.0), 1..4),
        ) {
            let (index, text) = index_of(&docs);
            let searcher = index.reader().unwrap().searcher();
            let reader = searcher.segment_reader(0);
            let term = Term::from_field_text(text, "x");
            let info = reader.inverted_index(text).unwrap().get_term_info(&term).unwrap().unwrap();
            let blocks = TermBlocks::read(&term, &info, reader).unwrap();
            let lengths = reader.get_fieldnorms_reader(text).unwrap();
            let mut postings = reader.inverted_index(text).unwrap().read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs).unwrap();
            let mut all = Vec::new();
            while postings.doc() != TERMINATED {
                all.push((postings.doc(), lengths.fieldnorm_id(postings.doc()), postings.term_freq()));
                postings.advance();
            }
            let listed = blocks.top_docs().to_vec();
            prop_assert!(listed.len() <= all.len() / 8);
            prop_assert!(listed.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(blocks.top(|_, _| 0.0).is_some(), !listed.is_empty());
            let (best, others): (Vec<_>, Vec<_>) = all.iter().partition(|(doc, _, _)| listed.binary_search(doc).is_ok());
            for (_, length, tf) in &best {
                prop_assert!(!others.iter().any(|(_, l, t)| l <= length && t >= tf));
            }
            for (k1, b) in shapes {
                let score = bm25(k1, b);
                let Some(rest) = blocks.top(&score) else { continue };
                let highest = others.iter().map(|&(_, length, tf)| score(length, tf)).fold(0.0, Score::max);
                prop_assert_eq!(rest, highest);
            }
        }
    }
}
