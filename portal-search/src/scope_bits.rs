//! A reader's scope as a set of documents per segment, computed once and kept.
//!
//! The parts of a scope that do not move with time (portal, labels, hidden categories) select the
//! same documents of a segment for as long as the segment exists — segments never change, and
//! deleted documents are dropped by every collector anyway. So the first search of a scope in a
//! segment walks the scope's postings into a bitset, and every later one (any plan: the filter
//! driving, the words driving, or over-fetching) reads the bitset instead of walking the label
//! postings again.

use foldhash::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use tantivy::index::SegmentId;
use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::Schema;
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

/// Bitsets kept before the cache starts over (scopes × segments; merged-away segments leave
/// theirs behind until then).
const MAX_BITSETS: usize = 512;

/// The cache of scope bitsets, by segment and scope.
#[derive(Default)]
pub(crate) struct ScopeBits {
    sets: Mutex<HashMap<(SegmentId, String), Arc<BitSet>>>,
}

impl ScopeBits {
    /// The documents of `reader`'s segment that the filter made by `filter` matches (made only
    /// when they are not kept yet); `key` names the filter (the same key must always mean the
    /// same filter).
    pub(crate) fn get(
        &self,
        reader: &SegmentReader,
        key: &str,
        filter: impl FnOnce() -> tantivy::Result<Box<dyn Weight>>,
    ) -> tantivy::Result<Arc<BitSet>> {
        let id = (reader.segment_id(), key.to_owned());
        if let Some(bits) = self.sets.lock().unwrap_or_else(PoisonError::into_inner).get(&id) {
            return Ok(bits.clone());
        }
        let mut docs = filter()?.scorer(reader, 1.0)?;
        let mut bits = BitSet::with_max_value(reader.max_doc());
        let mut doc = docs.doc();
        while doc != TERMINATED {
            bits.insert(doc);
            doc = docs.advance();
        }
        let bits = Arc::new(bits);
        let mut sets = self.sets.lock().unwrap_or_else(PoisonError::into_inner);
        if sets.len() >= MAX_BITSETS {
            sets.clear();
        }
        sets.insert(id, bits.clone());
        Ok(bits)
    }
}

/// The documents `filter` matches, read from (and kept in) a [`ScopeBits`] under `key`;
/// scores nothing.
pub(crate) struct ScopeQuery {
    bits: Arc<ScopeBits>,
    key: String,
    filter: Box<dyn Query>,
}

impl ScopeQuery {
    pub(crate) fn new(bits: Arc<ScopeBits>, key: String, filter: Box<dyn Query>) -> Self {
        ScopeQuery { bits, key, filter }
    }

    /// The weight, for looking bitsets up segment by segment. The filter's own weight is made
    /// only for a segment whose bitset is not kept yet: making it looks its terms up.
    pub(crate) fn scope_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<ScopeWeight> {
        Ok(ScopeWeight {
            bits: self.bits.clone(),
            key: self.key.clone(),
            filter: self.filter.box_clone(),
            schema: scoring.schema().clone(),
        })
    }
}

impl Clone for ScopeQuery {
    fn clone(&self) -> Self {
        ScopeQuery { bits: self.bits.clone(), key: self.key.clone(), filter: self.filter.box_clone() }
    }
}

impl fmt::Debug for ScopeQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeQuery").field("key", &self.key).field("filter", &self.filter).finish()
    }
}

impl Query for ScopeQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.scope_weight(scoring)?))
    }
}

/// [`ScopeQuery`]'s weight.
pub(crate) struct ScopeWeight {
    bits: Arc<ScopeBits>,
    key: String,
    filter: Box<dyn Query>,
    schema: Schema,
}

impl ScopeWeight {
    /// The scope's documents in `reader`'s segment.
    pub(crate) fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Arc<BitSet>> {
        self.bits.get(reader, &self.key, || self.filter.weight(EnableScoring::disabled_from_schema(&self.schema)))
    }
}

impl Weight for ScopeWeight {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let bits = self.bits(reader)?;
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(BitSet::clone(&bits)), 0.0)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if !self.bits(reader)?.contains(doc) {
            return Err(TantivyError::InvalidArgument(format!("document {doc} is out of scope")));
        }
        Ok(Explanation::new("in scope", 0.0))
    }
}
