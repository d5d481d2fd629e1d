//! Term statistics for one search, each looked up once.
//!
//! Choosing a plan reads the document frequency of every term of the query, and scoring reads it
//! again for each term's weight, with the field's token count: each is a walk of every
//! segment's term dictionary. A Japanese question has twenty terms or more, so a search keeps
//! what it has looked up and hands the same numbers to tantivy's scoring
//! (`Searcher::search_with_statistics_provider`).

use std::cell::RefCell;
use std::collections::HashMap;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// The statistics of `searcher`'s index, remembered.
pub(crate) struct Statistics<'a> {
    searcher: &'a Searcher,
    doc_freqs: RefCell<HashMap<Term, u64>>,
    tokens: RefCell<HashMap<Field, u64>>,
}

impl<'a> Statistics<'a> {
    pub(crate) fn new(searcher: &'a Searcher) -> Self {
        Statistics { searcher, doc_freqs: RefCell::default(), tokens: RefCell::default() }
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
        let n = self.searcher.doc_freq(term)?;
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
            }
            assert_eq!(stats.total_num_tokens(text).unwrap(), searcher.total_num_tokens(text).unwrap());
            assert_eq!(stats.total_num_docs().unwrap(), Bm25StatisticsProvider::total_num_docs(&searcher).unwrap());
        }
    }
}
