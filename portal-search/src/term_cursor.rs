//! A term's documents in one segment, in order, with their scores: from its postings, or from
//! its holders when the term is in many of the segment's documents.
//!
//! Pruning ([`crate::max_score`]) looks a term up in the documents other terms propose. A term
//! found in many documents (a near-stop-word of the corpus) then decodes nearly every block of
//! its postings, 128 documents and frequencies at a time, to read one of each. Its holders
//! ([`TermHolders`]: a bit per document, the frequencies at the bits' ranks, kept across
//! searches) answer the same look-ups with a bit test, give a window's documents 64 to a word,
//! and decode nothing: its postings are not even opened.

use std::sync::Arc;

use tantivy::query::Scorer;
use tantivy::{DocId, DocSet, Score};

use crate::bm25::{Bm25TermScorer, TermScoring};
use crate::term_holders::TermHolders;

/// A term is read from its holders when it is in at least one of this many of a segment's
/// documents: the bits then take at most four bytes per holder.
pub(crate) const DENSE: u64 = 16;

/// A term's documents in one segment: its postings, or its holders when it is dense there
/// ([`DENSE`]).
// Unboxed: a search holds a few cursors per segment, and a box would be an allocation each.
#[allow(clippy::large_enum_variant)]
pub(crate) enum TermCursor {
    /// Walked and looked up in the postings.
    Postings(Bm25TermScorer),
    /// Read and looked up in the holders; `doc` is where [`TermCursor::seek`] left off.
    Held { holders: Arc<TermHolders>, scoring: TermScoring, doc: DocId },
}

impl TermCursor {
    /// The term's documents in `postings`.
    pub(crate) fn postings(postings: Bm25TermScorer) -> Self {
        TermCursor::Postings(postings)
    }

    /// The term's documents in `holders`, scored by `scoring`.
    pub(crate) fn held(holders: Arc<TermHolders>, scoring: TermScoring) -> Self {
        let doc = holders.next(0);
        TermCursor::Held { holders, scoring, doc }
    }

    /// How the term scores the segment's documents.
    pub(crate) fn scoring(&self) -> &TermScoring {
        match self {
            TermCursor::Postings(p) => p.scoring(),
            TermCursor::Held { scoring, .. } => scoring,
        }
    }

    /// The current document ([`TERMINATED`](tantivy::TERMINATED) past the last).
    #[inline]
    pub(crate) fn doc(&self) -> DocId {
        match self {
            TermCursor::Postings(p) => p.doc(),
            TermCursor::Held { doc, .. } => *doc,
        }
    }

    /// The first document at or after `target` (the current one when it is).
    #[inline]
    pub(crate) fn seek(&mut self, target: DocId) -> DocId {
        match self {
            TermCursor::Postings(p) if p.doc() < target => p.seek(target),
            TermCursor::Postings(p) => p.doc(),
            TermCursor::Held { holders, doc, .. } => {
                if *doc < target {
                    *doc = holders.next(target);
                }
                *doc
            }
        }
    }

    /// The score of the current document (not past the last).
    #[inline]
    pub(crate) fn score(&mut self) -> Score {
        match self {
            TermCursor::Postings(p) => p.score(),
            TermCursor::Held { holders, scoring, doc } => scoring.score_with(*doc, holders.freq(*doc)),
        }
    }

    /// How many documents of the segment hold the term (deleted ones included).
    pub(crate) fn doc_freq(&self) -> u32 {
        match self {
            TermCursor::Postings(p) => p.size_hint(),
            TermCursor::Held { holders, .. } => holders.len(),
        }
    }

    /// The term's holders, when it is read from them.
    #[inline]
    pub(crate) fn holders(&self) -> Option<&TermHolders> {
        match self {
            TermCursor::Postings(_) => None,
            TermCursor::Held { holders, .. } => Some(holders),
        }
    }

    /// Walks the documents `from..=to`, each marked in `bits` (bit `d - base`) with its
    /// frequency at `freqs[d - base]`; the cursor is left past `to`. `base` is at most `from`,
    /// and `to - base` below `64 * bits.len()` and `freqs.len()`.
    #[inline]
    pub(crate) fn walk(&mut self, (from, to): (DocId, DocId), base: DocId, bits: &mut [u64], freqs: &mut [u32]) {
        let mut doc = self.seek(from);
        let mut mark = |doc: DocId, freq: u32| {
            let slot = (doc - base) as usize;
            bits[slot / 64] |= 1 << (slot % 64);
            freqs[slot] = freq;
        };
        match self {
            TermCursor::Postings(p) => {
                while doc <= to {
                    mark(doc, p.term_freq());
                    doc = p.advance();
                }
            }
            TermCursor::Held { holders, doc: at, .. } => {
                while doc <= to {
                    mark(doc, holders.freq(doc));
                    doc = holders.next(doc + 1);
                }
                *at = doc;
            }
        }
    }

    /// The first document at or after `target` holding the term: from the holders in any
    /// order (the cursor does not move), from the postings forwards ([`TermCursor::seek`]).
    #[inline]
    pub(crate) fn look_up(&mut self, target: DocId) -> DocId {
        match self {
            TermCursor::Postings(_) => self.seek(target),
            TermCursor::Held { holders, .. } => holders.next(target),
        }
    }

    /// The score of `doc`, which [`TermCursor::look_up`] just answered.
    #[inline]
    pub(crate) fn looked_up_score(&mut self, doc: DocId) -> Score {
        match self {
            TermCursor::Postings(p) => p.score(),
            TermCursor::Held { holders, scoring, .. } => scoring.score_with(doc, holders.freq(doc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bm25::{Bm25Params, Bm25TermQuery};
    use proptest::prelude::*;
    use tantivy::query::EnableScoring;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, Index, Term, TERMINATED};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(60))]

        /// Looked up in holders (in any order) or in postings (forwards), the documents and
        /// scores of a walk of the postings; looking up in the holders leaves the cursor where
        /// it was.
        #[test]
        fn holders_are_looked_up_as_the_postings_are(
            docs in proptest::collection::vec(0u8..4, 1..700),
            targets in proptest::collection::vec(0u32..800, 1..60),
        ) {
            let mut schema = Schema::builder();
            let text = schema.add_text_field("text", TEXT);
            let index = Index::create_in_ram(schema.build());
            let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
            for times in &docs {
                writer.add_document(doc!(text => format!("{}y", "x ".repeat(*times as usize)))).unwrap();
            }
            writer.commit().unwrap();
            let searcher = index.reader().unwrap().searcher();
            let term = Term::from_field_text(text, "x");
            let weight = Bm25TermQuery::new(term.clone(), Bm25Params::TANTIVY, 1.0)
                .term_weight(EnableScoring::enabled_from_searcher(&searcher))
                .unwrap();
            let reader = &searcher.segment_readers()[0];
            let postings = || weight.term_scorer(reader, 1.0).unwrap();
            let Some(scorer) = postings() else {
                prop_assert!(docs.iter().all(|&t| t == 0));
                return Ok(());
            };
            // Every document of the term with its score, walked.
            let mut walked = Vec::new();
            let mut walk = TermCursor::postings(scorer);
            while walk.doc() != TERMINATED {
                walked.push((walk.doc(), walk.score()));
                let next = walk.doc() + 1;
                walk.seek(next);
            }
            let expected = |target: DocId| walked.iter().copied().find(|&(d, _)| d >= target);
            let (scoring, holders) = weight.held_scoring(reader, 1.0).unwrap().unwrap();
            let mut held = TermCursor::held(holders, scoring);
            let first = held.doc();
            let mut sorted = targets.clone();
            sorted.sort();
            // Holders in any order; postings forwards only.
            let mut plain = TermCursor::postings(postings().unwrap());
            for (cursor, targets) in [(&mut held, &targets), (&mut plain, &sorted)] {
                for &target in targets {
                    let doc = cursor.look_up(target);
                    prop_assert_eq!(Some(doc).filter(|&d| d != TERMINATED), expected(target).map(|(d, _)| d));
                    if let Some((_, score)) = expected(target) {
                        prop_assert_eq!(cursor.looked_up_score(doc), score);
                    }
                }
            }
            prop_assert_eq!(held.doc(), first);
        }
    }
}
