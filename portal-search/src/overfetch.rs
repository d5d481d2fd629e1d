//! Broad scopes: the words alone find the best documents, the scope drops the rest.
//!
//! A required filter beside the words must be looked up for every document the words propose.
//! When the scope lets most documents through (an editor, or a customer of a portal that owns
//! most of the index) it is cheaper to run the words alone with pruning ([`crate::max_score`]),
//! fetch a few times the page, and drop what the reader may not see by looking each hit up in the
//! scope's bitset of its segment ([`crate::scope_bits`]). Scheduled documents are
//! dropped by their `live_from` fast field, since "now" moves. When too few hits survive, the
//! caller falls back to the filtered plan.

use std::collections::HashMap;
use std::sync::Arc;
use tantivy::query::{Bm25StatisticsProvider, Query};
use tantivy::{BitSet, DocAddress, Score, Searcher};

use crate::scope_bits::ScopeWeight;

/// How many hits are fetched per hit wanted, at most (plus 16).
pub(crate) const FETCH_FACTOR: usize = 4;

/// How many hits to fetch for `wanted` to survive when about `share` of the documents are in
/// scope: half as many again as expected to be needed, and at most `FETCH_FACTOR` times.
fn fetch_for(wanted: usize, share: f64) -> usize {
    let expected = (wanted as f64 / share.clamp(0.01, 1.0) * 1.5).ceil() as usize + 4;
    expected.min(wanted * FETCH_FACTOR + 16)
}

/// What an over-fetched search found.
pub(crate) struct Page {
    /// The page's hits, best first.
    pub(crate) top: Vec<(Score, DocAddress)>,
    /// Every in-scope match when the words' matches ran out before the fetch did; else `None`.
    pub(crate) all_matches: Option<usize>,
}

/// The documents `scope` lets through (about `share` of the index), with `live` saying whether a
/// document is live: the page `offset .. offset + limit` of `words`' best matches, or `None` when
/// fewer than the page survived among those fetched (the caller then runs the filtered plan).
pub(crate) fn page(
    (searcher, stats): (&Searcher, &dyn Bm25StatisticsProvider),
    words: &dyn Query,
    scope: &ScopeWeight,
    mut live: impl FnMut(DocAddress) -> bool,
    (offset, limit): (usize, usize),
    share: f64,
) -> tantivy::Result<Option<Page>> {
    let wanted = offset + limit;
    let fetch = fetch_for(wanted, share);
    let found = crate::top_k::top_docs(searcher, stats, words, 0, fetch)?;
    let ran_out = found.len() < fetch;
    let mut sets: HashMap<u32, Arc<BitSet>> = HashMap::new();
    let mut kept = Vec::with_capacity(wanted);
    for (score, address) in found {
        let set = match sets.get(&address.segment_ord) {
            Some(set) => set.clone(),
            None => {
                let set = scope.bits(searcher.segment_reader(address.segment_ord))?;
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
