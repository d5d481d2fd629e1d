//! Which documents of a segment hold a term, one bit each.
//!
//! A narrow scope (one portal among many) is searched by walking its documents and looking each
//! one up in the postings of the query's terms ([`crate::max_score`]). A Japanese question has
//! twenty bigrams and more, and most look-ups find that the document lacks the term, yet each
//! one moves through the term's postings and decodes a block of them. A bit per document answers
//! those look-ups without the postings. The bits are read once per term and segment (segments
//! never change) and kept across searches ([`crate::statistics::TermInfos`]).

use tantivy::postings::TermInfo;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, SegmentReader, Term};

/// The documents of one segment holding one term.
#[derive(Debug, Default)]
pub(crate) struct TermHolders {
    /// Bit `d % 64` of word `d / 64` is set when document `d` holds the term.
    words: Vec<u64>,
    /// The last document holding the term.
    last: Option<DocId>,
}

impl TermHolders {
    /// Read the holders of the term at `info` in `reader`'s segment.
    pub(crate) fn read(term: &Term, info: &TermInfo, reader: &SegmentReader) -> tantivy::Result<TermHolders> {
        let mut postings =
            reader.inverted_index(term.field())?.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
        let mut holders = TermHolders { words: vec![0; (reader.max_doc() as usize).div_ceil(64)], last: None };
        loop {
            let docs = postings.docs();
            let Some(&last) = docs.last() else { break };
            for &doc in docs {
                holders.words[doc as usize / 64] |= 1 << (doc % 64);
            }
            holders.last = Some(last);
            postings.advance();
        }
        Ok(holders)
    }

    /// Whether document `doc` holds the term.
    pub(crate) fn holds(&self, doc: DocId) -> bool {
        self.words.get(doc as usize / 64).is_some_and(|w| w >> (doc % 64) & 1 == 1)
    }

    /// Whether no document after `doc` holds the term.
    pub(crate) fn none_after(&self, doc: DocId) -> bool {
        self.last.is_none_or(|last| last <= doc)
    }

    /// How many words of bits the holders take (for bounding a cache of them).
    pub(crate) fn size(&self) -> usize {
        self.words.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, DocSet, Index, TERMINATED};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(60))]

        /// The bits hold exactly the documents of the term's postings, deleted ones included
        /// (the postings keep them too), over several segments.
        #[test]
        fn the_bits_are_the_postings(
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
                let words = if *holds { "x y" } else { "y" };
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
                let mut postings = reader.inverted_index(text).unwrap().read_postings_from_terminfo(&info, IndexRecordOption::Basic).unwrap();
                let mut expected = Vec::new();
                while postings.doc() != TERMINATED {
                    expected.push(postings.doc());
                    postings.advance();
                }
                let held: Vec<DocId> = (0..reader.max_doc() + 64).filter(|&d| holders.holds(d)).collect();
                prop_assert_eq!(&held, &expected);
                let last = *expected.last().unwrap();
                prop_assert!(holders.none_after(last) && (last == 0 || !holders.none_after(last - 1)));
            }
        }
    }
}
