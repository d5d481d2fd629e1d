//! Which documents of a segment hold a term (one bit each), and how often.
//!
//! A narrow scope (one portal among many) is searched by walking its documents and looking each
//! one up in the postings of the query's terms ([`crate::max_score`]). A Japanese question has
//! twenty bigrams and more; each look-up moves through the term's postings and decodes a block
//! of 128 of them to read one, and most find that the document lacks the term. A bit per
//! document answers whether it holds the term, and the term's frequency in it sits at the bit's
//! rank: a look-up reads neither postings nor blocks. They are read once per term and segment
//! (segments never change) and kept across searches ([`crate::statistics::TermInfos`]).

use tantivy::postings::TermInfo;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, SegmentReader, Term, TERMINATED};

/// The documents of one segment holding one term, with the term's frequency in each.
#[derive(Debug, Default)]
pub(crate) struct TermHolders {
    /// Bit `d % 64` of word `d / 64` is set when document `d` holds the term; beside each
    /// word, how many documents before it hold the term (one cache line answers both).
    words: Vec<(u64, u32)>,
    /// The term's frequency in each holder, in document order; [`SATURATED`] for that many or
    /// more (the frequency is then in `large`).
    freqs: Vec<u8>,
    /// The holders whose frequency is [`SATURATED`] or more, by document.
    large: Vec<(DocId, u32)>,
}

/// The frequency a byte of [`TermHolders::freqs`] cannot hold.
const SATURATED: u8 = u8::MAX;

impl TermHolders {
    /// Read the holders of the term at `info` in `reader`'s segment.
    pub(crate) fn read(term: &Term, info: &TermInfo, reader: &SegmentReader) -> tantivy::Result<TermHolders> {
        let mut postings = reader
            .inverted_index(term.field())?
            .read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        let words = (reader.max_doc() as usize).div_ceil(64);
        let mut holders = TermHolders {
            words: vec![(0, 0); words],
            freqs: Vec::with_capacity(info.doc_freq as usize),
            ..TermHolders::default()
        };
        loop {
            let docs = postings.docs();
            if docs.is_empty() {
                break;
            }
            for (&doc, &freq) in docs.iter().zip(postings.freqs()) {
                holders.words[doc as usize / 64].0 |= 1 << (doc % 64);
                match u8::try_from(freq) {
                    Ok(f) if f < SATURATED => holders.freqs.push(f),
                    _ => {
                        holders.freqs.push(SATURATED);
                        holders.large.push((doc, freq));
                    }
                }
            }
            postings.advance();
        }
        let mut before = 0;
        for (word, rank) in &mut holders.words {
            *rank = before;
            before += word.count_ones();
        }
        Ok(holders)
    }

    /// The term's frequency in `doc`, which must hold it.
    pub(crate) fn freq(&self, doc: DocId) -> u32 {
        let (word, rank) = self.words[doc as usize / 64];
        let below = word & ((1u64 << (doc % 64)) - 1);
        match self.freqs[(rank + below.count_ones()) as usize] {
            SATURATED => self.large.binary_search_by_key(&doc, |&(d, _)| d).map_or(0, |i| self.large[i].1),
            f => u32::from(f),
        }
    }

    /// The first document at or after `doc` holding the term ([`TERMINATED`] when none does).
    #[inline]
    pub(crate) fn next(&self, doc: DocId) -> DocId {
        let mut at = doc as usize / 64;
        let Some(&(first, _)) = self.words.get(at) else { return TERMINATED };
        let mut word = first & (u64::MAX << (doc % 64));
        while word == 0 {
            at += 1;
            match self.words.get(at) {
                Some(&(w, _)) => word = w,
                None => return TERMINATED,
            }
        }
        (at * 64) as DocId + word.trailing_zeros()
    }

    /// How many documents hold the term.
    pub(crate) fn len(&self) -> u32 {
        self.freqs.len() as u32
    }

    /// The bits of documents `64 * word ..`: bit `d % 64` is set when document `d` holds the
    /// term (none past the segment's last document).
    #[inline]
    pub(crate) fn word(&self, word: usize) -> u64 {
        self.words.get(word).map_or(0, |&(w, _)| w)
    }

    /// Whether document `doc` holds the term.
    pub(crate) fn holds(&self, doc: DocId) -> bool {
        self.words.get(doc as usize / 64).is_some_and(|(w, _)| w >> (doc % 64) & 1 == 1)
    }

    /// How many bytes the holders take (for bounding a cache of them).
    pub(crate) fn size(&self) -> usize {
        self.words.len() * 16 + self.freqs.len() + self.large.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::postings::Postings;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, DocSet, Index, TERMINATED};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(60))]

        /// The bits hold exactly the documents of the term's postings, deleted ones included
        /// (the postings keep them too), with their frequencies, over several segments; the
        /// next holder from any document is the postings' next document.
        #[test]
        fn the_holders_are_the_postings(
            docs in proptest::collection::vec(any::<bool>(), 1..900),
            deleted in proptest::collection::vec(0usize..900, 0..20),
            commit_every in 50usize..400,
        ) {
            let mut schema = Schema::builder();
            let text = schema.add_text_field("text", TEXT);
            let id = schema.add_u64_field("id", tantivy::schema::INDEXED);
            let index = Index::create_in_ram(schema.build());
            let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
            for (i, holds) in docs.iter().enumerate() {
                // Frequencies from 1 to past what a byte holds.
                let times = if i % 7 == 0 { 250 + i % 20 } else { 1 + i % 3 };
                let words = if *holds { format!("{} y", "x ".repeat(times)) } else { "y".to_owned() };
                writer.add_document(doc!(text => words, id => i as u64)).unwrap();
                if i % commit_every == commit_every - 1 {
                    writer.commit().unwrap();
                }
            }
            for d in &deleted {
                writer.delete_term(Term::from_field_u64(id, *d as u64));
            }
            writer.commit().unwrap();
            let searcher = index.reader().unwrap().searcher();
            let term = Term::from_field_text(text, "x");
            for reader in searcher.segment_readers() {
                let Some(info) = reader.inverted_index(text).unwrap().get_term_info(&term).unwrap() else {
                    continue;
                };
                let holders = TermHolders::read(&term, &info, reader).unwrap();
                let mut postings = reader.inverted_index(text).unwrap().read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs).unwrap();
                let mut expected = Vec::new();
                while postings.doc() != TERMINATED {
                    expected.push(postings.doc());
                    prop_assert_eq!(holders.freq(postings.doc()), postings.term_freq());
                    postings.advance();
                }
                let held: Vec<DocId> = (0..reader.max_doc() + 64).filter(|&d| holders.holds(d)).collect();
                prop_assert_eq!(&held, &expected);
                // The next holder from every document, past the last word too.
                for d in 0..reader.max_doc() + 130 {
                    let next = expected.iter().copied().find(|&e| e >= d).unwrap_or(TERMINATED);
                    prop_assert_eq!(holders.next(d), next, "from {}", d);
                }
            }
        }
    }
}
