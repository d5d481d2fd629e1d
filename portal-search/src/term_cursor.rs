//! A term's documents in one segment, in order, with their scores: walked in its postings, and
//! looked up in its holders when the term is in many of the segment's documents.
//!
//! Pruning ([`crate::max_score`]) looks a term up in the documents other terms propose. A term
//! found in many documents (a near-stop-word of the corpus) then decodes nearly every block of
//! its postings, 128 documents and frequencies at a time, to read one of each. Its holders
//! ([`TermHolders`]: a bit per document, the frequencies at the bits' ranks, kept across
//! searches) answer the same look-ups with a bit test, and decode nothing. Walking every
//! document of the term (while it proposes them) stays with the postings: a decoded block
//! serves 128 documents for less than a bit scan and a rank each.

use std::sync::Arc;

use tantivy::query::Scorer;
use tantivy::{DocId, DocSet, Score};

use crate::bm25::{Bm25TermScorer, TermScoring};
use crate::term_holders::TermHolders;

/// A term is looked up in its holders when it is in at least one of this many of a segment's
/// documents: the bits then take at most four bytes per holder.
pub(crate) const DENSE: u64 = 16;

/// A term's postings in one segment, and its holders when it is dense there ([`DENSE`]).
pub(crate) struct TermCursor {
    postings: Bm25TermScorer,
    holders: Option<Arc<TermHolders>>,
}

impl TermCursor {
    /// The term's documents in `postings`, looked up in `holders` when there are.
    pub(crate) fn new(postings: Bm25TermScorer, holders: Option<Arc<TermHolders>>) -> Self {
        TermCursor { postings, holders }
    }

    /// How the term scores the segment's documents.
    pub(crate) fn scoring(&self) -> &TermScoring {
        self.postings.scoring()
    }

    /// The postings' current document ([`TERMINATED`](tantivy::TERMINATED) past the last).
    #[inline]
    pub(crate) fn doc(&self) -> DocId {
        self.postings.doc()
    }

    /// The postings' first document at or after `target` (the current one when it is).
    #[inline]
    pub(crate) fn seek(&mut self, target: DocId) -> DocId {
        if self.postings.doc() < target {
            self.postings.seek(target)
        } else {
            self.postings.doc()
        }
    }

    /// The score of the postings' current document (not past the last).
    #[inline]
    pub(crate) fn score(&mut self) -> Score {
        self.postings.score()
    }

    /// How many documents of the segment hold the term (deleted ones included).
    pub(crate) fn doc_freq(&self) -> u32 {
        self.postings.size_hint()
    }

    /// The term's holders, when it is looked up in them.
    #[inline]
    pub(crate) fn holders(&self) -> Option<&TermHolders> {
        self.holders.as_deref()
    }

    /// Walks the postings over documents `from..=to`, each marked in `bits` (bit `d - base`)
    /// with its frequency at `freqs[d - base]`; the postings are left past `to`. `base` is at
    /// most `from`, and `to - base` below `64 * bits.len()` and `freqs.len()`.
    #[inline]
    pub(crate) fn walk(&mut self, (from, to): (DocId, DocId), base: DocId, bits: &mut [u64], freqs: &mut [u32]) {
        let mut doc = self.seek(from);
        while doc <= to {
            let slot = (doc - base) as usize;
            bits[slot / 64] |= 1 << (slot % 64);
            freqs[slot] = self.postings.term_freq();
            doc = self.postings.advance();
        }
    }

    /// The first document at or after `target` holding the term, from the holders when there
    /// are (the postings do not move), else from the postings ([`TermCursor::seek`]).
    #[inline]
    pub(crate) fn look_up(&mut self, target: DocId) -> DocId {
        match &self.holders {
            Some(h) => h.next(target),
            None => self.seek(target),
        }
    }

    /// The score of `doc`, which [`TermCursor::look_up`] just answered.
    #[inline]
    pub(crate) fn looked_up_score(&mut self, doc: DocId) -> Score {
        match &self.holders {
            Some(h) => self.postings.scoring().score_with(doc, h.freq(doc)),
            None => self.postings.score(),
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
        /// scores of a walk of the postings; looking up in the holders leaves the postings
        /// where they were.
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
            let mut walk = TermCursor::new(scorer, None);
            while walk.doc() != TERMINATED {
                walked.push((walk.doc(), walk.score()));
                let next = walk.doc() + 1;
                walk.seek(next);
            }
            let expected = |target: DocId| walked.iter().copied().find(|&(d, _)| d >= target);
            let (_, holders) = weight.held_scoring(reader, 1.0).unwrap().unwrap();
            let mut held = TermCursor::new(postings().unwrap(), Some(holders));
            let first = held.doc();
            let mut sorted = targets.clone();
            sorted.sort();
            // Holders in any order; postings forwards only.
            let mut plain = TermCursor::new(postings().unwrap(), None);
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
