//! A scored query driven by its filter, for narrow scopes.
//!
//! tantivy intersects a filter with a union of term queries by walking the union: every posting
//! of every query term is read and scored, in windows, whatever the filter lets through. When
//! the filter is narrow (one small portal of a shared index) most of that work is thrown away.
//! [`FilterFirstQuery`] walks the filter instead and, for each of its documents, seeks every
//! term's postings to it (skip lists make that cheap) and sums the scores of those that match —
//! the same documents with the same scores as `filter AND (t1 OR t2 …)`, at a cost that grows
//! with the filter's size rather than the terms'.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

/// Documents of `filter` matching at least one of `should`, scored by the sum of the matching
/// clauses' scores (the filter scores nothing).
#[derive(Debug)]
pub(crate) struct FilterFirstQuery {
    filter: Box<dyn Query>,
    should: Vec<Box<dyn Query>>,
}

impl FilterFirstQuery {
    pub(crate) fn new(filter: Box<dyn Query>, should: Vec<Box<dyn Query>>) -> Self {
        FilterFirstQuery { filter, should }
    }
}

impl Clone for FilterFirstQuery {
    fn clone(&self) -> Self {
        FilterFirstQuery {
            filter: self.filter.box_clone(),
            should: self.should.iter().map(|q| q.box_clone()).collect(),
        }
    }
}

impl Query for FilterFirstQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let filter = self.filter.weight(EnableScoring::disabled_from_schema(scoring.schema()))?;
        let should = self.should.iter().map(|q| q.weight(scoring)).collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(FilterFirstWeight { filter, should }))
    }
}

struct FilterFirstWeight {
    filter: Box<dyn Weight>,
    should: Vec<Box<dyn Weight>>,
}

impl Weight for FilterFirstWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let filter = self.filter.scorer(reader, 1.0)?;
        let should = self.should.iter().map(|w| w.scorer(reader, boost)).collect::<tantivy::Result<Vec<_>>>()?;
        let mut scorer = FilterFirstScorer { filter, should, score: 0.0 };
        scorer.settle();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("sum of the matching clauses on the filter's documents", scorer.score()))
    }
}

struct FilterFirstScorer {
    filter: Box<dyn Scorer>,
    should: Vec<Box<dyn Scorer>>,
    score: Score,
}

impl FilterFirstScorer {
    /// From the filter's current document on, stop at the first one some clause matches.
    fn settle(&mut self) -> DocId {
        let mut doc = self.filter.doc();
        while doc != TERMINATED {
            let (mut matched, mut score) = (false, 0.0);
            for clause in &mut self.should {
                let mut at = clause.doc();
                if at < doc {
                    at = clause.seek(doc);
                }
                if at == doc {
                    matched = true;
                    score += clause.score();
                }
            }
            if matched {
                self.score = score;
                return doc;
            }
            doc = self.filter.advance();
        }
        TERMINATED
    }
}

impl DocSet for FilterFirstScorer {
    fn advance(&mut self) -> DocId {
        self.filter.advance();
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.filter.seek(target);
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.filter.doc()
    }

    fn size_hint(&self) -> u32 {
        self.filter.size_hint()
    }
}

impl Scorer for FilterFirstScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, STRING, TEXT};
    use tantivy::{doc, Index, Term};

    /// Documents of words `w0`..`w7` in groups `g0`..`g3`, some deleted.
    fn index(docs: &[(u8, Vec<u8>)], deleted: &[usize]) -> (Index, Schema) {
        let mut b = Schema::builder();
        let (group, text) = (b.add_text_field("group", STRING), b.add_text_field("text", TEXT));
        let schema = b.build();
        let index = Index::create_in_ram(schema.clone());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (i, (g, words)) in docs.iter().enumerate() {
            let words: Vec<String> = words.iter().map(|w| format!("w{w}")).collect();
            writer.add_document(doc!(group => format!("g{g}"), text => words.join(" "), )).unwrap();
            if i % 7 == 3 {
                // A second segment, so seeks cross segment boundaries.
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        for d in deleted {
            writer.delete_term(Term::from_field_text(text, &format!("w{d}")));
        }
        writer.commit().unwrap();
        (index, schema)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// The filter-driven query finds exactly the documents, in the same order with the same
        /// scores, as tantivy's `filter AND (t1 OR t2 …)`.
        #[test]
        fn matches_and_scores_like_the_boolean_query(
            docs in proptest::collection::vec((0u8..4, proptest::collection::vec(0u8..8, 0..6)), 1..60),
            words in proptest::collection::vec(0u8..8, 1..4),
            groups in proptest::collection::vec(0u8..4, 1..3),
            deleted in proptest::collection::vec(5usize..8, 0..2),
        ) {
            let (index, schema) = index(&docs, &deleted);
            let (group, text) = (schema.get_field("group").unwrap(), schema.get_field("text").unwrap());
            let filter = || -> Box<dyn Query> {
                let any = groups.iter().map(|g| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(Term::from_field_text(group, &format!("g{g}")), IndexRecordOption::Basic));
                    (Occur::Should, q)
                }).collect();
                Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(any)), 0.0))
            };
            let should = || -> Vec<Box<dyn Query>> {
                words.iter().enumerate().map(|(i, w)| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(Term::from_field_text(text, &format!("w{w}")), IndexRecordOption::WithFreqs));
                    if i % 2 == 1 { Box::new(BoostQuery::new(q, 0.5)) } else { q }
                }).collect()
            };
            let boolean = BooleanQuery::new(vec![
                (Occur::Must, filter()),
                (Occur::Must, Box::new(BooleanQuery::new(should().into_iter().map(|q| (Occur::Should, q)).collect()))),
            ]);
            let first = FilterFirstQuery::new(filter(), should());
            let searcher = index.reader().unwrap().searcher();
            let top = || TopDocs::with_limit(100).order_by_score();
            let (expected, expected_count) = searcher.search(&boolean, &(top(), Count)).unwrap();
            let (found, count) = searcher.search(&first, &(top(), Count)).unwrap();
            prop_assert_eq!(count, expected_count);
            prop_assert_eq!(found.len(), expected.len());
            for (a, b) in found.iter().zip(&expected) {
                prop_assert!((a.0 - b.0).abs() < 1e-4, "{:?} vs {:?}", found, expected);
            }
            let mut a: Vec<_> = found.iter().map(|(_, d)| *d).collect();
            let mut b: Vec<_> = expected.iter().map(|(_, d)| *d).collect();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
        }
    }
}
