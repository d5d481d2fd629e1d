//! Highlighted passages of a hit: the window of the text where most of the query's terms meet,
//! HTML-escaped, with the matches in `<b>`.
//!
//! tantivy's `SnippetGenerator` runs the whole analyzer (stemming every word) over every hit's
//! text; this finds the same terms with the analyzer's `TermFinder`, which stems only the words
//! that could match — a search's time was two thirds snippets before.

use foldhash::{HashMap, HashMapExt};

use crate::analyzer::{Found, TermFinder};

/// At most this many bytes of a text are searched for a passage: a long article's passage comes
/// from its first 32 KiB, so one hit cannot make a search slow.
const SCANNED_BYTES: usize = 32 * 1024;
/// At most this many characters are taken back before the first match, to start the passage at
/// the beginning of its sentence or clause.
const LEAD_CHARS: usize = 30;

/// The terms of one query, ready to highlight hits.
pub struct Highlighter {
    terms: TermFinder,
    max_chars: usize,
}

impl Highlighter {
    /// A highlighter for the terms [`crate::analyzer::analyzer`] makes of `query`, passages of at most
    /// `max_chars` characters.
    pub fn new(query: &str, max_chars: usize) -> Self {
        Highlighter { terms: TermFinder::new(query), max_chars }
    }

    /// The passage of `text` holding the most distinct query terms (then the most matches), as
    /// HTML; the start of the text when nothing matches.
    pub fn snippet_html(&self, text: &str) -> String {
        let scanned = &text[..floor_char_boundary(text, SCANNED_BYTES)];
        let matches = if self.terms.is_empty() { Vec::new() } else { self.terms.find(scanned) };
        let end_after =
            |start: usize| text[start..].char_indices().nth(self.max_chars).map_or(text.len(), |(i, _)| start + i);
        let Some(start) = self.best_start(scanned, &matches) else {
            let end = end_after(0);
            let mut html = String::with_capacity(end * 5 / 4);
            crate::escape_into(&mut html, &text[..end]);
            return html;
        };
        let start = lead_in(scanned, start);
        let end = end_after(start);
        let mut html = String::with_capacity((end - start) * 5 / 4);
        let mut at = start;
        for (from, to) in merged(&matches) {
            if from < start || to > end {
                continue;
            }
            crate::escape_into(&mut html, &text[at..from]);
            html.push_str("<b>");
            crate::escape_into(&mut html, &text[from..to]);
            html.push_str("</b>");
            at = to;
        }
        crate::escape_into(&mut html, &text[at..end]);
        html
    }

    /// Where the best window begins: each match starts a candidate window of `max_chars`
    /// characters; the one covering the most distinct terms wins, then the one with most matches.
    /// One pass: the window slides over the matches (in text order), counting each match's
    /// text in it.
    fn best_start(&self, text: &str, matches: &[Found]) -> Option<usize> {
        let mut forms: HashMap<&str, usize> = HashMap::new();
        let ids: Vec<usize> = matches
            .iter()
            .map(|m| {
                let next = forms.len();
                *forms.entry(&text[m.from..m.to]).or_insert(next)
            })
            .collect();
        let mut counts = vec![0u32; forms.len()];
        // The window is matches[i..j]; `distinct` of its texts differ.
        let (mut j, mut distinct) = (0, 0);
        let mut best: Option<((usize, usize), usize)> = None;
        for (i, m) in matches.iter().enumerate() {
            // The window ends `max_chars` characters after its start.
            let end = m.chars.0 + self.max_chars;
            j = j.max(i);
            while j < matches.len() && matches[j].chars.1 <= end {
                counts[ids[j]] += 1;
                distinct += usize::from(counts[ids[j]] == 1);
                j += 1;
            }
            let rank = (distinct, j - i);
            if best.is_none_or(|(r, _)| rank > r) {
                best = Some((rank, m.from));
            }
            if j > i {
                counts[ids[i]] -= 1;
                distinct -= usize::from(counts[ids[i]] == 0);
            }
        }
        best.map(|(_, from)| from)
    }
}

/// The largest char boundary of `text` at or below `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// `at` moved back to just after the end of the previous sentence or clause, if one ends within
/// [`LEAD_CHARS`], or to the start of the text if that is as close; otherwise `at`.
fn lead_in(text: &str, at: usize) -> usize {
    for (taken, (i, c)) in text[..at].char_indices().rev().enumerate() {
        if taken == LEAD_CHARS {
            return at;
        }
        if matches!(c, '.' | '!' | '?' | '\n' | '。' | '、' | '！' | '？' | '「' | '」') {
            let after = &text[i + c.len_utf8()..at];
            return at - after.trim_start().len();
        }
    }
    0
}

/// Overlapping or touching ranges (bigrams `東大` + `大寺`) joined into one.
fn merged(matches: &[Found]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(matches.len());
    for &Found { from, to, .. } in matches {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippet(query: &str, text: &str, max: usize) -> String {
        Highlighter::new(query, max).snippet_html(text)
    }

    #[test]
    fn stemmed_matches_are_highlighted_and_the_rest_escaped() {
        assert_eq!(
            snippet("reset password", "To <reset> your Passwords & keys.", 200),
            "To &lt;<b>reset</b>&gt; your <b>Passwords</b> &amp; keys."
        );
    }

    #[test]
    fn overlapping_bigrams_make_one_highlight() {
        assert_eq!(snippet("東大寺", "奈良の東大寺です。", 200), "奈良の<b>東大寺</b>です。");
    }

    #[test]
    fn the_passage_is_where_most_distinct_terms_meet() {
        let text = format!("alpha {} beta then alpha gamma beta here. {}", "filler ".repeat(40), "tail ".repeat(40));
        let html = snippet("alpha beta gamma", &text, 40);
        assert!(html.contains("<b>gamma</b>") && html.contains("<b>beta</b>"), "{html}");
        assert!(html.chars().filter(|c| *c != '<').count() < 80, "{html}");
    }

    #[test]
    fn the_passage_starts_at_its_sentence_when_close() {
        let text = format!("{}. Then the widget broke.", "x ".repeat(100));
        assert_eq!(snippet("widget", &text, 30), "Then the <b>widget</b> broke.");
    }

    #[test]
    fn no_match_gives_the_start_of_the_text_escaped() {
        assert_eq!(snippet("nothing", "a < b and more", 5), "a &lt; b");
        assert_eq!(snippet("", "plain", 3), "pla");
    }

    #[test]
    fn a_long_text_is_searched_only_in_its_first_part() {
        let text = format!("{} widget", "é".repeat(SCANNED_BYTES));
        assert!(!snippet("widget", &text, 10).contains("<b>"));
    }

    /// The window the sliding pass picks is the one the plain definition picks: for each
    /// match, the matches within `max_chars` characters of it, the most distinct texts first,
    /// then the most matches, the earliest on ties.
    #[test]
    fn the_sliding_window_picks_what_the_definition_picks() {
        use proptest::prelude::*;
        let reference = |text: &str, matches: &[(usize, usize)], max: usize| -> Option<usize> {
            let mut best: Option<((usize, usize), usize)> = None;
            for (i, &(from, _)) in matches.iter().enumerate() {
                let end = text[from..].char_indices().nth(max).map_or(text.len(), |(b, _)| from + b);
                let inside: Vec<&str> =
                    matches[i..].iter().take_while(|m| m.1 <= end).map(|m| &text[m.0..m.1]).collect();
                let distinct = inside.iter().collect::<std::collections::HashSet<_>>().len();
                let rank = (distinct, inside.len());
                if best.is_none_or(|(r, _)| rank > r) {
                    best = Some((rank, from));
                }
            }
            best.map(|(_, from)| from)
        };
        let words = ["alpha", "beta", "gamma", "x", "東大寺", "の", "filler"];
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&(proptest::collection::vec(0..words.len(), 0..60), 1usize..30), |(picks, max)| {
                let text: String = picks.iter().map(|&p| words[p]).collect::<Vec<_>>().join(" ");
                let h = Highlighter::new("alpha beta gamma 東大寺", max);
                let matches = h.terms.find(&text);
                let ranges: Vec<(usize, usize)> = matches.iter().map(|m| (m.from, m.to)).collect();
                prop_assert_eq!(h.best_start(&text, &matches), reference(&text, &ranges, max));
                Ok(())
            })
            .unwrap();
    }
}
