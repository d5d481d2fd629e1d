//! Term statistics for one search, each looked up once.
//!
//! Choosing a plan reads the document frequency of every term of the query, and scoring reads it
//! again for each term's weight, with the field's token count: each is a walk of every
//! segment's term dictionary. A Japanese question has twenty terms or more, so a search keeps
//! what it has looked up and hands the same numbers to tantivy's scoring
//! (`Searcher::search_with_statistics_provider`). The place of each term in each segment's
//! postings, found on the way, is kept too ([`TermInfos`]): opening the term's postings in a
//! segment then needs no second look-up. Segments never change, so those places are kept across
//! searches (up to [`MAX_TERM_INFOS`]): the words people search for repeat. So are the blocks of
//! the terms' postings that pruning reads ([`TermBlocks`], up to [`MAX_BLOCK_ENTRIES`]), and the
//! documents holding them ([`TermHolders`], up to [`MAX_HOLDER_BYTES`]).

use foldhash::{HashMap, HashMapExt};
use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, SegmentReader, Term};

use crate::block_bounds::TermBlocks;
use crate::term_holders::TermHolders;

/// The most term places [`TermInfos`] keeps (about 100 bytes each); when full it starts over.
const MAX_TERM_INFOS: usize = 65_536;

/// The most block entries ([`TermBlocks::size`], 4 to 8 bytes each) [`TermInfos`] keeps; when
/// full it starts over.
const MAX_BLOCK_ENTRIES: usize = 1 << 22;

/// The most bytes [`TermInfos`] keeps for [`TermHolders`] (64 MiB: 2,000 terms found in a
/// fifth of a 100,000-document index); when full it starts over.
const MAX_HOLDER_BYTES: usize = 1 << 26;

/// Where terms sit in segments' postings (`None`: the segment lacks the term), what their
/// blocks can score ([`TermBlocks`]) and which documents hold them ([`TermHolders`]), shared by
/// the searches of one index.
#[derive(Default)]
pub(crate) struct TermInfos {
    places: Mutex<BySegment<Option<TermInfo>>>,
    blocks: Mutex<BySegment<Arc<TermBlocks>>>,
    holders: Mutex<BySegment<Option<Arc<TermHolders>>>>,
}

/// Values by segment then term, and how large they are together.
struct BySegment<V> {
    values: HashMap<SegmentId, HashMap<Term, V>>,
    size: usize,
}

impl<V> Default for BySegment<V> {
    fn default() -> Self {
        BySegment { values: HashMap::new(), size: 0 }
    }
}

impl<V: Clone> BySegment<V> {
    /// The value of `term` in `reader`'s segment in `cache`, else made by `read` (with its size)
    /// and kept, first forgetting everything when keeping it would pass `cap`.
    fn get_or_read(
        cache: &Mutex<Self>,
        term: &Term,
        reader: &SegmentReader,
        cap: usize,
        read: impl FnOnce() -> tantivy::Result<(V, usize)>,
    ) -> tantivy::Result<V> {
        let segment = reader.segment_id();
        if let Some(value) = lock(cache).values.get(&segment).and_then(|terms| terms.get(term)) {
            return Ok(value.clone());
        }
        let (value, size) = read()?;
        let mut kept = lock(cache);
        if kept.size + size > cap {
            *kept = BySegment::default();
        }
        if kept.values.entry(segment).or_default().insert(term.clone(), value.clone()).is_none() {
            kept.size += size;
        }
        Ok(value)
    }
}

/// `mutex`'s value (a panic elsewhere leaves these caches consistent).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl std::fmt::Debug for TermInfos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TermInfos")
    }
}

impl TermInfos {
    /// Where `term` sits in `reader`'s segment, looked up there unless already known.
    pub(crate) fn get(&self, term: &Term, reader: &SegmentReader) -> tantivy::Result<Option<TermInfo>> {
        BySegment::get_or_read(&self.places, term, reader, MAX_TERM_INFOS, || {
            Ok((reader.inverted_index(term.field())?.get_term_info(term)?, 1))
        })
    }

    /// The blocks of `term`'s postings (at `info`) in `reader`'s segment, read unless already
    /// known.
    pub(crate) fn blocks(
        &self,
        term: &Term,
        info: &TermInfo,
        reader: &SegmentReader,
    ) -> tantivy::Result<Arc<TermBlocks>> {
        BySegment::get_or_read(&self.blocks, term, reader, MAX_BLOCK_ENTRIES, || {
            let blocks = TermBlocks::read(term, info, reader)?;
            let size = blocks.size();
            Ok((Arc::new(blocks), size))
        })
    }

    /// The documents of `reader`'s segment holding `term` (`None`: the segment lacks the term),
    /// read unless already known: one look-up answers both.
    pub(crate) fn holders(&self, term: &Term, reader: &SegmentReader) -> tantivy::Result<Option<Arc<TermHolders>>> {
        BySegment::get_or_read(&self.holders, term, reader, MAX_HOLDER_BYTES, || {
            Ok(match self.get(term, reader)? {
                Some(info) => {
                    let holders = TermHolders::read(term, &info, reader)?;
                    let size = holders.size();
                    (Some(Arc::new(holders)), size)
                }
                None => (None, 1),
            })
        })
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
    /// Statistics of `searcher`'s index, finding terms through `infos`.
    pub(crate) fn new(searcher: &'a Searcher, infos: Arc<TermInfos>) -> Self {
        Statistics { searcher, infos, doc_freqs: RefCell::default(), tokens: RefCell::default() }
    }

    /// Where terms sit, for opening their postings.
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
        for reader in self.searcher.segment_readers() {
            n += self.infos.get(term, reader)?.map_or(0, |i| u64::from(i.doc_freq));
        }
        self.doc_freqs.borrow_mut().insert(term.clone(), n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, Index};

    /// The remembered numbers are the searcher's own, across searches that share the places of
    /// terms, after new segments and merges.
    #[test]
    fn statistics_are_the_searchers() {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // The test merges itself: a background merge of the same segments would make it fail.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into().unwrap();
        let infos: Arc<TermInfos> = Arc::default();
        for round in 0..4 {
            for words in ["a b", "a c c", "b"] {
                writer.add_document(doc!(text => words)).unwrap();
                writer.commit().unwrap();
            }
            if round == 2 {
                let ids = index.searchable_segment_ids().unwrap();
                writer.merge(&ids).wait().unwrap();
            }
            reader.reload().unwrap();
            let searcher = reader.searcher();
            let stats = Statistics::new(&searcher, infos.clone());
            for _ in 0..2 {
                for w in ["a", "b", "c", "d"] {
                    let term = Term::from_field_text(text, w);
                    assert_eq!(stats.doc_freq(&term).unwrap(), searcher.doc_freq(&term).unwrap());
                    for reader in searcher.segment_readers() {
                        let info = reader.inverted_index(text).unwrap().get_term_info(&term).unwrap();
                        assert_eq!(stats.term_infos().get(&term, reader).unwrap(), info);
                    }
                }
                assert_eq!(stats.total_num_tokens(text).unwrap(), searcher.total_num_tokens(text).unwrap());
                let docs = Bm25StatisticsProvider::total_num_docs(&searcher).unwrap();
                assert_eq!(stats.total_num_docs().unwrap(), docs);
            }
        }
    }
}
