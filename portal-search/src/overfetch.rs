//! Broad scopes: the words alone find the best documents, the scope drops the rest.
//!
//! A required filter beside a union of terms stops tantivy from pruning (block-max WAND): every
//! matching document gets scored. When the scope lets most documents through (an editor, or a
//! customer of a portal that owns most of the index) it is cheaper to run the words alone with
//! pruning, fetch a few times the page, and drop what the reader may not see by looking each hit
//! up in a bitset of the scope per segment — built once per scope and segment and kept until the
//! index changes. Scheduled documents are dropped by their `live_from` fast field, since "now"
//! moves. When too few hits survive, the caller falls back to the filtered plan.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tantivy::collector::TopDocs;
use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Query};
use tantivy::{BitSet, DocAddress, DocSet, Score, Searcher, TERMINATED};

/// How many hits are fetched per hit wanted, at least.
pub(crate) const FETCH_FACTOR: usize = 4;
/// Bitsets kept before the cache starts over (scopes × segments).
const MAX_BITSETS: usize = 256;

/// Per-segment bitsets of scopes, for the searcher generation they were built on.
#[derive(Default)]
pub(crate) struct ScopeBits {
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    generation: u64,
    sets: HashMap<(SegmentId, String), Arc<BitSet>>,
}

impl ScopeBits {
    /// The documents of segment `segment` of `searcher` that `filter` matches; `key` names the
    /// filter (the same key must always mean the same filter).
    fn bits(&self, searcher: &Searcher, segment: u32, key: &str, filter: &dyn Query) -> tantivy::Result<Arc<BitSet>> {
        let reader = searcher.segment_reader(segment);
        let id = (reader.segment_id(), key.to_owned());
        let generation = searcher.generation().generation_id();
        {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if cache.generation != generation {
                *cache = Cache { generation, sets: HashMap::new() };
            }
            if let Some(bits) = cache.sets.get(&id) {
                return Ok(bits.clone());
            }
        }
        let weight = filter.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut docs = weight.scorer(reader, 1.0)?;
        let mut bits = BitSet::with_max_value(reader.max_doc());
        let mut doc = docs.doc();
        while doc != TERMINATED {
            bits.insert(doc);
            doc = docs.advance();
        }
        let bits = Arc::new(bits);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.generation == generation {
            if cache.sets.len() >= MAX_BITSETS {
                cache.sets.clear();
            }
            cache.sets.insert(id, bits.clone());
        }
        Ok(bits)
    }
}

/// What an over-fetched search found.
pub(crate) struct Page {
    /// The page's hits, best first.
    pub(crate) top: Vec<(Score, DocAddress)>,
    /// Every in-scope match when the words' matches ran out before the fetch did; else `None`.
    pub(crate) all_matches: Option<usize>,
}

/// The documents `scope` (named `key`) lets through, with `live` saying whether a document is
/// live: the page `offset .. offset + limit` of `words`' best matches, or `None` when fewer than
/// the page survived among those fetched (the caller then runs the filtered plan).
pub(crate) fn page(
    bits: &ScopeBits,
    searcher: &Searcher,
    words: &dyn Query,
    (key, scope): (&str, &dyn Query),
    mut live: impl FnMut(DocAddress) -> bool,
    offset: usize,
    limit: usize,
) -> tantivy::Result<Option<Page>> {
    let wanted = offset + limit;
    let fetch = wanted * FETCH_FACTOR + 16;
    let found = searcher.search(words, &TopDocs::with_limit(fetch).order_by_score())?;
    let ran_out = found.len() < fetch;
    let mut sets: HashMap<u32, Arc<BitSet>> = HashMap::new();
    let mut kept = Vec::with_capacity(wanted);
    for (score, address) in found {
        let set = match sets.get(&address.segment_ord) {
            Some(set) => set.clone(),
            None => {
                let set = bits.bits(searcher, address.segment_ord, key, scope)?;
                sets.insert(address.segment_ord, set.clone());
                set
            }
        };
        if set.contains(address.doc_id) && live(address) {
            kept.push((score, address));
        }
    }
    if kept.len() < wanted && !ran_out {
        return Ok(None);
    }
    let all_matches = ran_out.then_some(kept.len());
    let top = kept.into_iter().skip(offset).take(limit).collect();
    Ok(Some(Page { top, all_matches }))
}
