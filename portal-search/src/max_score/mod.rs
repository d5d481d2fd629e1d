//! The best documents of a disjunction of terms within a filter, without scoring the documents
//! that cannot make the page (MaxScore, Turtle & Flood 1995).
//!
//! tantivy prunes a disjunction only when every clause is its own `TermQuery` and nothing is
//! required beside it (block-max WAND). A Japanese question is a disjunction of fifteen to
//! thirty bigrams and single kanji, scored by [`crate::bm25`], and a portal search always
//! requires its scope: without pruning, every document holding any of those terms is scored.
//!
//! MaxScore sorts the terms by the most each can add to a score. While the page fills, the
//! lowest score on it rises; the terms whose maxima together cannot lift a document above it
//! become *non-essential*: they no longer propose documents, and are only looked up (in their
//! postings, or for a dense term its holders) for documents an essential term proposed, and
//! only while the document could still make the page. The page is the one the plain disjunction gives: a document is skipped
//! only when it cannot score above the page's lowest score, which the collector requires.
//!
//! The essential terms propose documents that are then looked up in the scope's cached bits and
//! the filter ([`prune`], in windows bounded by the terms' blocks, each read as bits: [`window`]),
//! or, for a filter that keeps few documents (one portal among many), the filter's documents are
//! walked and looked up in the documents holding each term, without postings
//! ([`MaxScoreQuery::driven_by_the_filter`], [`prune_held`]).
//!
//! Only `TopDocs` prunes (`Weight::for_each_pruning`); counting, facets and explanations walk
//! every match, with the same documents and scores as a plain `BooleanQuery` (tested).

use tantivy::query::{BooleanQuery, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

use std::sync::Arc;

use crate::block_bounds::TermBlocks;
use crate::bm25::{Bm25TermQuery, Bm25TermScorer, Bm25TermWeight, TermScoring};
use crate::scope_bits::{ScopeQuery, ScopeWeight};
use crate::term_cursor::TermCursor;
use crate::term_holders::TermHolders;

mod window;
use window::{Plan, Windows};

/// How much a sum of per-term maxima is stretched before it is trusted as a bound: scores summed
/// in another order may differ in the last bits.
const SLACK: Score = 1.0 + 1e-5;

/// Documents of `scope` and `filter` (when there are) matching any of `terms`, scored by the sum
/// of the terms they match. The filter must score nothing (a scope, a narrowing): its scores are
/// not added.
#[derive(Debug, Clone)]
pub(crate) struct MaxScoreQuery {
    /// Documents are looked up in the scope's bits ([`crate::scope_bits`]), before the filter.
    scope: Option<ScopeQuery>,
    filter: Option<BooleanQuery>,
    terms: Vec<Bm25TermQuery>,
    /// Whether the filter's documents are walked, each looked up in the terms' holders (a
    /// narrow filter), rather than the essential terms proposing documents that are looked up
    /// in the filter.
    filter_drives: bool,
}

impl MaxScoreQuery {
    /// The terms propose documents; the filter, when there is one, is looked up.
    pub(crate) fn new(filter: Option<BooleanQuery>, terms: Vec<Bm25TermQuery>) -> Self {
        MaxScoreQuery { scope: None, filter, terms, filter_drives: false }
    }

    /// Only documents of `scope` match, looked up in its bits before the filter (or, when the
    /// filter drives, walked in them when there is no other filter).
    pub(crate) fn within(mut self, scope: ScopeQuery) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Whether the documents of the scope and the filter are walked, each looked up in the
    /// documents holding each term ([`TermHolders`]), rather than the terms proposing: for a
    /// scope that keeps few documents against the terms' postings.
    pub(crate) fn driven_by_the_filter(mut self, drives: bool) -> Self {
        self.filter_drives = drives;
        self
    }

    fn typed_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<MaxScoreWeight> {
        let unscored = || EnableScoring::disabled_from_schema(scoring.schema());
        let filter = match &self.filter {
            Some(f) => Some(f.weight(unscored())?),
            None => None,
        };
        let scope = match &self.scope {
            Some(s) => Some(s.scope_weight(unscored())?),
            None => None,
        };
        let terms = self.terms.iter().map(|t| t.term_weight(scoring)).collect::<tantivy::Result<Vec<_>>>()?;
        let scoring = scoring.is_scoring_enabled();
        Ok(MaxScoreWeight { scope, filter, terms, scoring, filter_drives: self.filter_drives })
    }
}

impl Query for MaxScoreQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.typed_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for t in &self.terms {
            t.query_terms(visitor);
        }
    }
}

struct MaxScoreWeight {
    scope: Option<ScopeWeight>,
    filter: Option<Box<dyn Weight>>,
    terms: Vec<Bm25TermWeight>,
    scoring: bool,
    filter_drives: bool,
}

/// One term of the disjunction on one segment, read from its postings or its holders.
struct Clause {
    /// The term's place in the query: scores are summed in this order.
    index: usize,
    /// The term's documents: its postings, or its holders when it is dense.
    cursor: TermCursor,
    /// The most the term adds to a score.
    max: Score,
    /// The blocks of the term's postings, with what each scores at most before the term's
    /// weight (`max`) multiplies it (`None`: the whole segment is one window, bounded by `max`).
    blocks: Option<(Arc<TermBlocks>, Arc<[Score]>)>,
    /// The block holding the current window's start (past the last when none does).
    block: usize,
    /// The most the postings of a frequent term add that are not among its best, listed apart
    /// in `blocks` (see [`TermBlocks::top`]), and the next of those listed to propose.
    top: Option<(Score, usize)>,
}

/// A part of a clause's postings, as MaxScore weighs them ([`prune`]): every posting, or for a
/// clause whose best postings are listed apart ([`TermBlocks::top`]), the best or the others.
#[derive(Clone, Copy, Debug)]
struct Part {
    clause: usize,
    /// Whether the part is the best postings.
    best: bool,
}

impl Clause {
    /// A clause reading the term's documents in `cursor`, walked in windows when it has
    /// `blocks` (and scores).
    fn new(index: usize, cursor: TermCursor, blocks: Option<Arc<TermBlocks>>) -> Self {
        let max = cursor.scoring().max_score();
        let (blocks, top) = match (blocks, cursor.scoring().unit()) {
            (Some(b), Some((shape, unit))) => {
                let maxima = b.maxima(shape, &unit);
                let top = b.top(&unit).map(|rest| (max * rest, 0));
                (Some((b, maxima)), top)
            }
            _ => (None, None),
        };
        Clause { index, cursor, max, blocks, block: 0, top }
    }

    /// The first of the documents of the best postings at or after `doc` ([`TermBlocks::top`]);
    /// only for a clause that lists them.
    fn seek_best(&mut self, doc: DocId) -> DocId {
        let (Some((blocks, _)), Some((_, next))) = (&self.blocks, &mut self.top) else { return TERMINATED };
        let docs = blocks.top_docs();
        while *next < docs.len() && docs[*next] < doc {
            *next += 1;
        }
        docs.get(*next).copied().unwrap_or(TERMINATED)
    }

    /// Marks the documents of the best postings in `from..=to` in `bits` (bit `d - base`); only
    /// for a clause that lists them (as [`Clause::seek_best`] moves, without a look-up each).
    fn mark_best(&mut self, (from, to): (DocId, DocId), base: DocId, bits: &mut [u64]) {
        let (Some((blocks, _)), Some((_, next))) = (&self.blocks, &mut self.top) else { return };
        let docs = blocks.top_docs();
        *next += docs[(*next).min(docs.len())..].partition_point(|&d| d < from);
        while let Some(&doc) = docs.get(*next).filter(|&&d| d <= to) {
            let slot = (doc - base) as usize;
            bits[slot / 64] |= 1 << (slot % 64);
            *next += 1;
        }
    }

    /// The first document at or after `doc` of the term's postings (walked).
    #[inline]
    fn seek(&mut self, doc: DocId) -> DocId {
        self.cursor.seek(doc)
    }

    /// The term's first document at or after `doc`: walked to in the postings when the clause
    /// `proposes` every document (they are walked anyway), else looked up.
    #[inline]
    fn next_holding(&mut self, doc: DocId, proposes: bool) -> DocId {
        if proposes {
            self.seek(doc)
        } else {
            self.cursor.look_up(doc)
        }
    }

    /// What the term adds to the score of `doc`, `None` when `doc` lacks it (found as by
    /// [`Clause::next_holding`]).
    #[inline]
    fn score_of(&mut self, doc: DocId, proposes: bool) -> Option<Score> {
        if self.next_holding(doc, proposes) != doc {
            None
        } else if proposes {
            Some(self.cursor.score())
        } else {
            Some(self.cursor.looked_up_score(doc))
        }
    }

    /// For the window `start..=end`: the first document at or after `start` the term's postings
    /// may hold, and the most the term adds within the window; `None` when no posting is left
    /// at or after `start`.
    fn window(&mut self, start: DocId, end: DocId) -> Option<(DocId, Score)> {
        let Some((blocks, block_max)) = &self.blocks else {
            return (self.cursor.doc() != TERMINATED).then_some((self.cursor.doc().max(start), self.max));
        };
        while self.block < blocks.len() && blocks.last_doc(self.block) < start {
            self.block += 1;
        }
        let first = match self.block {
            0 => start,
            b => (blocks.last_doc(b - 1) + 1).max(start),
        };
        let mut max: Score = *block_max.get(self.block)?;
        let mut b = self.block;
        while b + 1 < blocks.len() && blocks.last_doc(b) < end {
            b += 1;
            max = max.max(block_max[b]);
        }
        Some((first, self.max * max))
    }
}

/// The most terms a walk in windows is worth its cost for: past them (a Japanese question of
/// twenty bigrams) the windows' bounds stay above the threshold.
const MAX_WINDOWED_TERMS: usize = 12;

/// How many documents a window spans: the bounds of its blocks decide whether it is walked at
/// all and which terms propose its documents.
const WINDOW: DocId = 256;

impl Weight for MaxScoreWeight {
    /// Every match, unpruned (for counting, facets and explanations).
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut clauses = Vec::with_capacity(self.terms.len());
        for weight in &self.terms {
            if let Some(scorer) = weight.term_scorer(reader, boost)? {
                clauses.push(scorer);
            }
        }
        let within = self.within(reader)?;
        let mut scorer = Disjunction { clauses, within, doc: 0, score: 0.0 };
        scorer.settle(0);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("sum of the matching terms within the filter", scorer.score()))
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        if !self.scoring {
            let mut scorer = self.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                callback(doc, scorer.score());
                doc = scorer.advance();
            }
            return Ok(());
        }
        self.prune_segment(threshold, reader, callback).map(|_| ())
    }
}

/// The plain disjunction within the filter: every match, its terms summed in the query's order.
struct Disjunction {
    /// In the query's order.
    clauses: Vec<Bm25TermScorer>,
    within: Within,
    doc: DocId,
    score: Score,
}

impl Disjunction {
    /// Move to the first match at or after `target`.
    fn settle(&mut self, mut target: DocId) -> DocId {
        loop {
            for c in &mut self.clauses {
                if c.doc() < target {
                    c.seek(target);
                }
            }
            let doc = self.clauses.iter().map(|c| c.doc()).min().unwrap_or(TERMINATED);
            if doc == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            let at = self.within.seek(doc);
            if at != doc {
                target = at;
                continue;
            }
            self.score = self.clauses.iter_mut().filter(|c| c.doc() == doc).map(|c| c.score()).sum();
            self.doc = doc;
            return doc;
        }
    }
}

impl DocSet for Disjunction {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.settle(self.doc + 1)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.settle(target)
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.clauses.iter().map(|c| c.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for Disjunction {
    fn score(&mut self) -> Score {
        self.score
    }
}

/// What the documents the terms propose are looked up in: the scope's bits, then the filter.
struct Within {
    bits: Option<Arc<BitSet>>,
    filter: Option<Box<dyn Scorer>>,
}

impl Within {
    /// `doc` when it is within; else a later document before which none is.
    #[inline]
    fn seek(&mut self, doc: DocId) -> DocId {
        if let Some(bits) = &self.bits {
            if doc >= bits.max_value() {
                return TERMINATED;
            }
            if !bits.contains(doc) {
                return doc + 1;
            }
        }
        match self.filter.as_mut() {
            Some(f) if f.doc() < doc => f.seek(doc),
            Some(f) => f.doc(),
            None => doc,
        }
    }

    /// Whether the filter (when there is one) holds `doc`; asked in document order.
    #[inline]
    fn filter_holds(&mut self, doc: DocId) -> bool {
        match self.filter.as_mut() {
            Some(f) if f.doc() < doc => f.seek(doc) == doc,
            Some(f) => f.doc() == doc,
            None => true,
        }
    }

    /// Every document within, in order (of the filter, looked up in the bits, when there is
    /// one; else of the bits).
    fn documents(self) -> Vec<DocId> {
        let mut docs = Vec::new();
        match (self.filter, &self.bits) {
            (Some(mut f), bits) => {
                let mut doc = f.doc();
                while doc != TERMINATED {
                    if bits.as_ref().is_none_or(|b| doc < b.max_value() && b.contains(doc)) {
                        docs.push(doc);
                    }
                    doc = f.advance();
                }
            }
            (None, Some(bits)) => {
                for bucket in 0..bits.max_value().div_ceil(64) {
                    let mut word = bits.tinyset(bucket);
                    while let Some(bit) = word.pop_lowest() {
                        docs.push(bucket * 64 + bit);
                    }
                }
            }
            (None, None) => {}
        }
        docs
    }
}

impl MaxScoreWeight {
    /// The scope's bits and the filter's documents in `reader`'s segment.
    fn within(&self, reader: &SegmentReader) -> tantivy::Result<Within> {
        let bits = match &self.scope {
            Some(s) => Some(s.bits(reader)?),
            None => None,
        };
        let filter = match &self.filter {
            Some(f) => Some(f.scorer(reader, 1.0)?),
            None => None,
        };
        Ok(Within { bits, filter })
    }

    /// MaxScore on one segment; answers how many documents it looked at.
    fn prune_segment(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<usize> {
        let within = self.within(reader)?;
        let terms = self.terms.iter().enumerate();
        // A driving filter proposes documents one by one, and each is looked up in every term:
        // the terms' holders answer those look-ups.
        if self.filter_drives && (within.bits.is_some() || within.filter.is_some()) {
            let mut clauses = Vec::with_capacity(self.terms.len());
            for (index, weight) in terms {
                if let Some((scoring, holders)) = weight.held_scoring(reader, 1.0)? {
                    clauses.push(HeldClause { index, max: scoring.max_score(), scoring, holders });
                }
            }
            return Ok(prune_held(clauses, within.documents(), threshold, self.terms.len(), callback));
        }
        let mut clauses = Vec::with_capacity(self.terms.len());
        for (index, weight) in terms {
            if self.terms.len() > MAX_WINDOWED_TERMS {
                if let Some(scorer) = weight.term_scorer(reader, 1.0)? {
                    clauses.push(Clause::new(index, TermCursor::postings(scorer), None));
                }
            } else if let Some((cursor, blocks)) = weight.bounded_cursor(reader, 1.0)? {
                clauses.push(Clause::new(index, cursor, Some(blocks)));
            }
        }
        Ok(prune(clauses, within, threshold, (self.terms.len(), reader.max_doc()), callback))
    }
}

/// MaxScore over `clauses` within `within` (looked up for the documents the clauses propose),
/// handing every document that beats the threshold to `callback` (which answers the new
/// threshold), in document order; answers how many documents it looked at.
///
/// The documents are walked in windows of [`WINDOW`] documents. Within a window a clause adds
/// at most the largest maximum of its blocks there ([`TermBlocks`]): a window whose maxima
/// together cannot lift a document above the threshold is skipped without reading a posting;
/// the terms that are non-essential within a window are chosen by those maxima, which are far
/// below the terms' overall maxima in most windows; and a term without which no document of the
/// window can make it is required: a document it lacks is passed over, up to its next one.
/// With blocks, each window is scored as bits, a clause at a time ([`window`]); without (a
/// question of many terms, the segment one window) document by document.
///
/// What is left out is chosen among the clauses' parts ([`Part`]): a frequent term whose best
/// postings are listed apart ([`TermBlocks::top`]) weighs as two parts, its other postings
/// (bounded by the most they score) and its best. When the lighter parts, its others among
/// them, cannot lift a document above the threshold, the term proposes only its best
/// documents. Measured on the S5 set (100,000 documents, over-fetching then): documents looked
/// at per query, 97th percentile 23,580 -> 5,938, at most 23,580 -> 10,546; searches p99 600 ->
/// 435 us (a word in a quarter of the titles had a title holding it twice in every block).
fn prune(
    mut clauses: Vec<Clause>,
    mut within: Within,
    mut threshold: Score,
    (terms, max_doc): (usize, DocId),
    callback: &mut dyn FnMut(DocId, Score) -> Score,
) -> usize {
    let mut proposed = 0;
    // The lightest first: the clauses scored last are a prefix of this order.
    clauses.sort_by(|a, b| a.max.total_cmp(&b.max));
    let n = clauses.len();
    let most = clauses.iter().map(|c| c.max).sum::<Score>() * SLACK;
    // reach[i]: the most clauses[..=i] add together within the window.
    let mut reach = vec![0.0; n];
    // The parts of the clauses, the lightest first (of a clause listing its best postings, the
    // others come before the best): the parts a window can leave out are a prefix of this order.
    let mut parts: Vec<(Score, Part)> = Vec::with_capacity(2 * n);
    for (clause, c) in clauses.iter().enumerate() {
        // The others first, then the best (they weigh no less).
        if let Some((rest, _)) = c.top {
            parts.push((rest, Part { clause, best: false }));
            parts.push((c.max, Part { clause, best: true }));
        } else {
            parts.push((c.max, Part { clause, best: false }));
        }
    }
    parts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.best.cmp(&b.1.best)));
    let parts: Vec<Part> = parts.into_iter().map(|(_, p)| p).collect();
    // Where each clause's parts sit in `parts`: the part of every posting (or of the others),
    // and the part of the best (the same for a clause that lists none).
    let mut places = vec![(0, 0); n];
    for (i, p) in parts.iter().enumerate() {
        if p.best {
            places[p.clause].1 = i;
        } else {
            places[p.clause] = (i, i);
        }
    }
    // part_reach[i]: the most parts[..=i] add together within the window.
    let mut part_reach = vec![0.0; parts.len()];
    // parts[..left_out] cannot lift a document above the threshold by themselves: a clause
    // both of whose parts are there is only looked up; one whose best part is not proposes its
    // best documents; any other proposes every document.
    let left_out_for =
        |threshold: Score, part_reach: &[Score]| part_reach.iter().position(|&r| r > threshold).unwrap_or(parts.len());
    // The most each clause adds within the window.
    let mut window_max = vec![0.0; n];
    // The clauses without which no document of the window can beat the threshold.
    let mut required = Vec::with_capacity(n);
    let required_for = |threshold: Score, window_max: &[Score], required: &mut Vec<usize>| {
        let total: Score = window_max.iter().sum();
        required.clear();
        required.extend((0..n).rev().filter(|&j| (total - window_max[j]) * SLACK <= threshold));
    };
    let mut scores: Vec<Option<Score>> = vec![None; terms];
    let mut start: DocId = 0;
    // Without blocks (a question of many terms), the whole segment is one window.
    let span = if clauses.iter().any(|c| c.blocks.is_some()) { WINDOW } else { TERMINATED };
    let mut windows = Windows::new(n, max_doc);
    while most > threshold {
        // A window ends before a multiple of 64 (its bits are whole words).
        let end = if span == WINDOW { (start & !63) + (WINDOW - 1) } else { TERMINATED - 1 };
        let (mut acc, mut next) = (0.0, TERMINATED);
        for ((c, r), m) in clauses.iter_mut().zip(reach.iter_mut()).zip(window_max.iter_mut()) {
            *m = match c.window(start, end) {
                Some((first, max)) => {
                    next = next.min(first);
                    max
                }
                None => 0.0,
            };
            acc += *m;
            *r = acc * SLACK;
        }
        if next == TERMINATED {
            break;
        }
        // No posting before `next`: the window starts there.
        if next > end {
            start = next;
            continue;
        }
        // A document holds one part of a clause at most: a clause's best part adds what its
        // other part does not.
        let mut acc = 0.0;
        for (p, r) in parts.iter().zip(part_reach.iter_mut()) {
            let m = window_max[p.clause];
            acc += match (clauses[p.clause].top, p.best) {
                (Some((rest, _)), false) => m.min(rest),
                (Some((rest, _)), true) => (m - rest).max(0.0),
                (None, _) => m,
            };
            *r = acc * SLACK;
        }
        let mut left_out = left_out_for(threshold, &part_reach);
        required_for(threshold, &window_max, &mut required);
        if span == WINDOW && left_out < parts.len() {
            let plan = Plan { window_max: &window_max, places: &places, left_out, required: &required };
            proposed +=
                windows.score(&mut clauses, &mut within, (start, end), &plan, &mut threshold, &mut scores, callback);
            start = end + 1;
            continue;
        }
        'docs: while left_out < parts.len() && start <= end {
            // The proposing clauses propose; the filter is looked up.
            let mut doc = TERMINATED;
            for (c, &(all, best)) in clauses.iter_mut().zip(&places) {
                if all >= left_out {
                    doc = doc.min(c.seek(start));
                } else if best >= left_out {
                    doc = doc.min(c.seek_best(start));
                }
            }
            if doc > end {
                break;
            }
            let at = within.seek(doc);
            if at != doc {
                start = at;
                continue;
            }
            // A document missing a required clause cannot make it, nor can any before that
            // clause's next document.
            for &j in &required {
                let at = clauses[j].next_holding(doc, places[j].0 >= left_out);
                if at != doc {
                    start = at;
                    continue 'docs;
                }
            }
            proposed += 1;
            scores.iter_mut().for_each(|s| *s = None);
            // Every clause, the heaviest first, while the document can still make it: a document
            // the proposing clauses miss stops at the first clause that is only looked up.
            let (mut sum, mut possible, mut matched) = (0.0, true, false);
            for j in (0..n).rev() {
                if sum + reach[j] <= threshold {
                    possible = false;
                    break;
                }
                if let Some(s) = clauses[j].score_of(doc, places[j].0 >= left_out) {
                    scores[clauses[j].index] = Some(s);
                    sum += s;
                    matched = true;
                }
            }
            // Only documents matching a term are matches.
            if possible && matched {
                // Summed in the query's order, as the plain disjunction sums.
                let score: Score = scores.iter().flatten().sum();
                if score > threshold {
                    threshold = callback(doc, score);
                    left_out = left_out_for(threshold, &part_reach);
                    required_for(threshold, &window_max, &mut required);
                }
            }
            start = doc + 1;
        }
        start = start.max(end + 1);
        if start >= TERMINATED {
            break;
        }
    }
    proposed
}

/// One term of the disjunction on one segment, read from the documents holding it.
struct HeldClause {
    /// The term's place in the query: scores are summed in this order.
    index: usize,
    /// The most the term adds to a score.
    max: Score,
    scoring: TermScoring,
    holders: Arc<TermHolders>,
}

/// The best documents of a narrow `filter` (one portal among many): each of its documents is
/// looked up in every term, and the terms' holders ([`TermHolders`]) answer those look-ups
/// without postings. Every document is first bounded by the maxima of the terms it holds, a
/// term at a time (each term's bits are then read in order); a document whose bound cannot
/// beat the threshold is passed over, and the others are scored the heaviest term first while
/// they still can. Hands every document that beats the threshold to `callback` (which answers
/// the new threshold), in document order; answers how many documents it scored.
fn prune_held(
    mut clauses: Vec<HeldClause>,
    docs: Vec<DocId>,
    mut threshold: Score,
    terms: usize,
    callback: &mut dyn FnMut(DocId, Score) -> Score,
) -> usize {
    clauses.sort_by(|a, b| b.max.total_cmp(&a.max));
    let mut bounds = vec![0.0 as Score; docs.len()];
    for c in &clauses {
        for (&doc, bound) in docs.iter().zip(bounds.iter_mut()) {
            if c.holders.holds(doc) {
                *bound += c.max;
            }
        }
    }
    let mut scores: Vec<Option<Score>> = vec![None; terms];
    let mut proposed = 0;
    for (&doc, &bound) in docs.iter().zip(&bounds) {
        // Only documents matching a term are matches.
        if bound == 0.0 || bound * SLACK <= threshold {
            continue;
        }
        proposed += 1;
        scores.iter_mut().for_each(|s| *s = None);
        // What the terms not yet looked at may add.
        let (mut sum, mut rest, mut possible) = (0.0, bound, true);
        for c in &clauses {
            if !c.holders.holds(doc) {
                continue;
            }
            if (sum + rest.max(0.0)) * SLACK <= threshold {
                possible = false;
                break;
            }
            let s = c.scoring.score_with(doc, c.holders.freq(doc));
            scores[c.index] = Some(s);
            sum += s;
            rest -= c.max;
        }
        if possible {
            // Summed in the query's order, as the plain disjunction sums.
            let score: Score = scores.iter().flatten().sum();
            if score > threshold {
                threshold = callback(doc, score);
            }
        }
    }
    proposed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bm25::Bm25Params;
    use crate::statistics::TermInfos;
    use proptest::prelude::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, STRING, TEXT};
    use tantivy::{doc, DocAddress, Index, Term};

    /// The same documents and scores as a plain query.
    fn unpruned(query: &MaxScoreQuery) -> BooleanQuery {
        let any: Vec<(Occur, Box<dyn Query>)> =
            query.terms.iter().map(|t| (Occur::Should, Box::new(t.clone()) as Box<dyn Query>)).collect();
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(any)))];
        if let Some(filter) = &query.filter {
            all.push((Occur::Must, Box::new(filter.clone())));
        }
        if let Some(scope) = &query.scope {
            all.push((Occur::Must, Box::new(scope.clone())));
        }
        BooleanQuery::new(all)
    }

    fn index(
        docs: &[(u8, Vec<u8>)],
        deleted: &[u8],
        commit_every: usize,
    ) -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut b = Schema::builder();
        let (group, text) = (b.add_text_field("group", STRING), b.add_text_field("text", TEXT));
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (i, (g, words)) in docs.iter().enumerate() {
            // Zipf-like: low word numbers are frequent, high ones rare.
            let words: Vec<String> = words.iter().map(|w| format!("w{}", w % (1 + w / 3))).collect();
            writer.add_document(doc!(group => format!("g{g}"), text => words.join(" "))).unwrap();
            if i % commit_every == commit_every / 2 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        for d in deleted {
            writer.delete_term(Term::from_field_text(text, &format!("w{d}")));
        }
        writer.commit().unwrap();
        (index, group, text)
    }

    fn filter(group: tantivy::schema::Field, g: u8) -> BooleanQuery {
        // Scope filters score nothing.
        let t = TermQuery::new(Term::from_field_text(group, &format!("g{g}")), IndexRecordOption::Basic);
        BooleanQuery::new(vec![(Occur::Must, Box::new(ConstScoreQuery::new(Box::new(t), 0.0)) as Box<dyn Query>)])
    }

    fn sorted(hits: Vec<(Score, DocAddress)>) -> Vec<(DocAddress, u32)> {
        // Scores to 1e-4 (sums in another order may differ in the last bits).
        let mut v: Vec<_> = hits.into_iter().map(|(s, d)| (d, (s * 1e4).round() as u32)).collect();
        v.sort();
        v
    }

    /// A search to compare pruned and plain.
    struct Case {
        docs: Vec<(u8, Vec<u8>)>,
        words: Vec<u8>,
        boosts: Vec<f32>,
        k: usize,
        group: Option<u8>,
        /// How the group is given: 0 as the filter, 1 as a scope's bits, 2 as a scope's bits
        /// with the documents holding `w1` as the filter.
        within: u8,
        filter_drives: bool,
        deleted: Vec<u8>,
        commit_every: usize,
        /// Whether the terms keep their places (and blocks, and holders) across searches: a
        /// dense term is then looked up in its holders.
        kept: bool,
    }

    /// The top k of MaxScore are the plain disjunction's top k (same scores at every rank, the
    /// same documents above the page's lowest score), collected by tantivy's `TopDocs` (each
    /// segment on its own) and by [`crate::top_k`] (one threshold for all segments); counts
    /// are the same too.
    fn pages_alike(c: Case) -> Result<(), TestCaseError> {
        let (index, g, text) = index(&c.docs, &c.deleted, c.commit_every);
        let infos = Arc::new(TermInfos::default());
        let terms: Vec<Bm25TermQuery> = c
            .words
            .iter()
            .zip(&c.boosts)
            .map(|(w, b)| {
                let params = if w % 2 == 0 { Bm25Params::TANTIVY } else { Bm25Params { k1: 0.4, b: 1.0 } };
                let term = Bm25TermQuery::new(Term::from_field_text(text, &format!("w{w}")), params, *b);
                if c.kept {
                    term.with_term_infos(infos.clone())
                } else {
                    term
                }
            })
            .collect();
        // The group as the filter, or as a scope's bits (alone, or with the documents holding
        // `w1` as the filter).
        let holding_w1 = || {
            let t = TermQuery::new(Term::from_field_text(text, "w1"), IndexRecordOption::Basic);
            BooleanQuery::new(vec![(Occur::Must, Box::new(ConstScoreQuery::new(Box::new(t), 0.0)) as Box<dyn Query>)])
        };
        let mut query = match (c.group, c.within) {
            (Some(x), 0) => MaxScoreQuery::new(Some(filter(g, x)), terms),
            (Some(x), within) => {
                let bits = ScopeQuery::new(Arc::default(), format!("g{x}"), Box::new(filter(g, x)));
                MaxScoreQuery::new((within == 2).then(holding_w1), terms).within(bits)
            }
            (None, _) => MaxScoreQuery::new(None, terms),
        };
        if c.group.is_some() {
            query = query.driven_by_the_filter(c.filter_drives);
        }
        let searcher = index.reader().unwrap().searcher();
        let top = TopDocs::with_limit(c.k).order_by_score();
        let plain = searcher.search(&unpruned(&query), &top).unwrap();
        let ranks = |v: &[(Score, DocAddress)]| v.iter().map(|(s, _)| (s * 1e4).round() as u32).collect::<Vec<_>>();
        let last = plain.last().map(|(s, _)| (s * 1e4).round() as u32).unwrap_or(0);
        let above = |v: Vec<(Score, DocAddress)>| sorted(v).into_iter().filter(|(_, s)| *s > last).collect::<Vec<_>>();
        let shared = crate::top_k::top_docs(&searcher, &searcher, &query, 0, c.k).unwrap();
        for pruned in [searcher.search(&query, &top).unwrap(), shared] {
            prop_assert_eq!(ranks(&pruned), ranks(&plain));
            prop_assert_eq!(above(pruned), above(plain.clone()));
        }
        prop_assert_eq!(searcher.search(&query, &Count).unwrap(), searcher.search(&unpruned(&query), &Count).unwrap());
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// [`pages_alike`] on small segments (one block per term), with and without a filter,
        /// with deletions, for any k, with the terms' holders kept or not.
        #[test]
        fn pages_like_the_plain_disjunction(
            docs in proptest::collection::vec((0u8..3, proptest::collection::vec(0u8..24, 0..14)), 1..80),
            words in proptest::collection::vec(0u8..10, 1..7),
            boosts in proptest::collection::vec(0.2f32..2.0, 7),
            k in 1usize..12,
            group in proptest::option::of(0u8..3),
            within in 0u8..3,
            filter_drives in proptest::bool::ANY,
            deleted in proptest::collection::vec(5u8..9, 0..2),
            kept in proptest::bool::ANY,
        ) {
            pages_alike(Case { docs, words, boosts, k, group, within, filter_drives, deleted, commit_every: 11, kept })?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// [`pages_alike`] on segments of many blocks per term, where windows are skipped by
        /// their blocks' maxima, required terms narrow the proposed documents, and dense terms
        /// are read from their holders.
        #[test]
        fn pages_like_the_plain_disjunction_over_many_blocks(
            docs in proptest::collection::vec((0u8..3, proptest::collection::vec(0u8..40, 0..24)), 300..1500),
            words in proptest::collection::vec(0u8..16, 1..8),
            boosts in proptest::collection::vec(0.2f32..2.0, 8),
            k in 1usize..30,
            group in proptest::option::of(0u8..3),
            within in 0u8..3,
            filter_drives in proptest::bool::ANY,
            deleted in proptest::collection::vec(5u8..12, 0..2),
            commit_every in 200usize..2000,
            kept in proptest::bool::ANY,
        ) {
            pages_alike(Case { docs, words, boosts, k, group, within, filter_drives, deleted, commit_every, kept })?;
        }
    }

    /// How many documents MaxScore looks at for the best `page` of `query` over `searcher`.
    fn looked_at(searcher: &tantivy::Searcher, query: MaxScoreQuery, page: usize) -> usize {
        let weight = query.typed_weight(EnableScoring::enabled_from_searcher(searcher)).unwrap();
        let (mut proposed, mut best) = (0, Vec::<Score>::new());
        for reader in searcher.segment_readers() {
            let threshold = if best.len() < page { Score::MIN } else { best[page - 1] };
            proposed += weight
                .prune_segment(threshold, reader, &mut |_, score| {
                    best.push(score);
                    best.sort_by(|a, b| b.total_cmp(a));
                    best.truncate(page);
                    if best.len() < page {
                        Score::MIN
                    } else {
                        best[page - 1]
                    }
                })
                .unwrap();
        }
        proposed
    }

    /// Pruning skips work: once a document holding a rare, heavy term fills a page of one, the
    /// frequent term can no longer lift a document above it and stops proposing documents.
    #[test]
    fn documents_that_cannot_make_the_page_are_not_looked_at() {
        let mut docs: Vec<(u8, Vec<u8>)> = vec![(0, vec![0, 23])];
        docs.extend((0..200).map(|_| (0, vec![0])));
        let (index, _, text) = index(&docs, &[], usize::MAX);
        let term = |w: &str| Bm25TermQuery::new(Term::from_field_text(text, w), Bm25Params::TANTIVY, 1.0);
        let searcher = index.reader().unwrap().searcher();
        let pruned = looked_at(&searcher, MaxScoreQuery::new(None, vec![term("w0"), term("w7")]), 1);
        assert!(pruned < 40, "{pruned} documents looked at for a page of one");
        // A page as large as the matches prunes nothing: every document is looked at.
        let all = looked_at(&searcher, MaxScoreQuery::new(None, vec![term("w0"), term("w7")]), 300);
        assert_eq!(all, 201);
    }

    /// A frequent term with a heavy posting in every block (no window can be skipped) proposes
    /// only its best postings ([`TermBlocks::top`]) once its others cannot lift a document onto
    /// the page, and the page is the plain disjunction's: neighbouring best documents, and the
    /// one heaviest document among them, are all proposed.
    #[test]
    fn a_frequent_terms_light_postings_are_not_looked_at_once_they_cannot_make_the_page() {
        // Every document has eight words: `w0` once, or 2 to 6 times in two neighbours of every
        // sixteen (document 161 seven times), the rest `w7`.
        let docs: Vec<(u8, Vec<u8>)> = (0..640usize)
            .map(|i| {
                let times = match i {
                    161 => 7,
                    i if i % 16 < 2 => 2 + (i / 16) % 5,
                    _ => 1,
                };
                (0, [vec![0; times], vec![23; 8 - times]].concat())
            })
            .collect();
        let (index, _, text) = index(&docs, &[], usize::MAX);
        let searcher = index.reader().unwrap().searcher();
        let term = || Bm25TermQuery::new(Term::from_field_text(text, "w0"), Bm25Params::TANTIVY, 1.0);
        let looked = looked_at(&searcher, MaxScoreQuery::new(None, vec![term()]), 3);
        assert!(looked <= 100, "{looked} of 640 documents looked at for a page of three");
        let case = |group| Case {
            docs: docs.clone(),
            words: vec![0],
            boosts: vec![1.0],
            k: 3,
            group,
            within: 1,
            filter_drives: false,
            deleted: Vec::new(),
            commit_every: usize::MAX,
            kept: true,
        };
        for group in [None, Some(0)] {
            pages_alike(case(group)).unwrap();
        }
    }
}
