//! Term statistics for one search, each looked up once.
//!
//! Choosing a plan reads the document frequency of every term of the query, and scoring reads it
//! again for each term's weight, with the field's token count: each is a walk of every
//! segment's term dictionary. A Japanese question has twenty terms or more, so a search keeps
//! what it has looked up and hands the same numbers to tantivy's scoring
//! (`Searcher::search_with_statistics_provider`). The place of each term in each segment's
//! postings, found on the way, is kept too ([`TermInfos`]): opening the term's postings in a
//! segment then needs no second look-up.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, SegmentReader, Term};

/// Where each term looked up in a search sits in each segment's postings (`None`: the segment
/// lacks it).
#[derive(Default)]
pub(crate) struct TermInfos(Mutex<HashMap<Term, PerSegment>>);

/// A term's place in each segment's postings.
type PerSegment = Vec<(SegmentId, Option<TermInfo>)>;

impl std::fmt::Debug for TermInfos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TermInfos")
    }
}

impl TermInfos {
    /// What is known of `term` in `reader`'s segment: `None` when it was not looked up.
    pub(crate) fn get(&self, term: &Term, reader: &SegmentReader) -> Option<Option<TermInfo>> {
        let infos = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let id = reader.segment_id();
        infos.get(term)?.iter().find(|(segment, _)| *segment == id).map(|(_, info)| info.clone())
    }
}

/// The statistics of `searcher`'s index, remembered.
pub(crate) struct Statistics<'a> {
    searcher: &'a Searcher,
    infos: Arc<TermInfos>,
    doc_freqs: RefCell<HashMap<Term, u64>>,
    tokens: RefCell<HashMap<Field, u64>>,
}

impl<'a> Statistics<'a> {
    pub(crate) fn new(searcher: &'a Searcher) -> Self {
        Statistics { searcher, infos: Arc::default(), doc_freqs: RefCell::default(), tokens: RefCell::default() }
    }

    /// Where the terms looked up so far sit, for opening their postings.
    pub(crate) fn term_infos(&self) -> &Arc<TermInfos> {
        &self.infos
    }
}

impl Bm25StatisticsProvider for Statistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(n) = self.tokens.borrow().get(&field) {
            return Ok(*n);
        }
        let n = self.searcher.total_num_tokens(field)?;
        self.tokens.borrow_mut().insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_docs(self.searcher)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(n) = self.doc_freqs.borrow().get(term) {
            return Ok(*n);
        }
        let mut n = 0;
        let mut found = Vec::with_capacity(self.searcher.segment_readers().len());
        for reader in self.searcher.segment_readers() {
            let info = reader.inverted_index(term.field())?.get_term_info(term)?;
            n += info.as_ref().map_or(0, |i| u64::from(i.doc_freq));
            found.push((reader.segment_id(), info));
        }
        self.infos.0.lock().unwrap_or_else(PoisonError::into_inner).insert(term.clone(), found);
        self.doc_freqs.borrow_mut().insert(term.clone(), n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, Index};

    /// The remembered numbers are the searcher's own.
    #[test]
    fn statistics_are_the_searchers() {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for words in ["a b", "a c c", "b"] {
            writer.add_document(doc!(text => words)).unwrap();
            writer.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        let stats = Statistics::new(&searcher);
        for _ in 0..2 {
            for w in ["a", "b", "c", "d"] {
                let term = Term::from_field_text(text, w);
                assert_eq!(stats.doc_freq(&term).unwrap(), searcher.doc_freq(&term).unwrap());
                for reader in searcher.segment_readers() {
                    let info = reader.inverted_index(text).unwrap().get_term_info(&term).unwrap();
                    assert_eq!(stats.term_infos().get(&term, reader), Some(info));
                }
            }
            let other = Term::from_field_text(text, "never looked up");
            assert_eq!(stats.term_infos().get(&other, &searcher.segment_readers()[0]), None);
            assert_eq!(stats.total_num_tokens(text).unwrap(), searcher.total_num_tokens(text).unwrap());
            assert_eq!(stats.total_num_docs().unwrap(), Bm25StatisticsProvider::total_num_docs(&searcher).unwrap());
        }
    }
}
