//! Highlighted passages of a hit: the window of the text where most of the query's terms meet,
//! HTML-escaped, with the matches in `<b>`.
//!
//! tantivy's `SnippetGenerator` runs the whole analyzer (stemming every word) over every hit's
//! text; this finds the same terms with [`analyzer::find_terms`], which stems only the words that
//! could match — a search's time was two thirds snippets before.

use std::collections::HashSet;

use crate::analyzer;

/// At most this many bytes of a text are searched for a passage: a long article's passage comes
/// from its first 32 KiB, so one hit cannot make a search slow.
const SCANNED_BYTES: usize = 32 * 1024;
/// At most this many characters are taken back before the first match, to start the passage at
/// the beginning of its sentence or clause.
const LEAD_CHARS: usize = 30;

/// The terms of one query, ready to highlight hits.
pub struct Highlighter {
    terms: HashSet<String>,
    max_chars: usize,
}

impl Highlighter {
    /// A highlighter for the terms [`analyzer::analyzer`] makes of `query`, passages of at most
    /// `max_chars` characters.
    pub fn new(query: &str, max_chars: usize) -> Self {
        Highlighter { terms: analyzer::terms(query).into_iter().collect(), max_chars }
    }

    /// The passage of `text` holding the most distinct query terms (then the most matches), as
    /// HTML; the start of the text when nothing matches.
    pub fn snippet_html(&self, text: &str) -> String {
        let scanned = &text[..floor_char_boundary(text, SCANNED_BYTES)];
        let matches = if self.terms.is_empty() { Vec::new() } else { analyzer::find_terms(scanned, &self.terms) };
        let Some(start) = self.best_start(scanned, &matches) else {
            return crate::escape(&text.chars().take(self.max_chars).collect::<String>());
        };
        let start = lead_in(scanned, start);
        let end = text[start..].char_indices().nth(self.max_chars).map_or(text.len(), |(i, _)| start + i);
        let mut html = String::with_capacity((end - start) * 5 / 4);
        let mut at = start;
        for (from, to) in merged(&matches) {
            if from < start || to > end {
                continue;
            }
            html.push_str(&crate::escape(&text[at..from]));
            html.push_str("<b>");
            html.push_str(&crate::escape(&text[from..to]));
            html.push_str("</b>");
            at = to;
        }
        html.push_str(&crate::escape(&text[at..end]));
        html
    }

    /// Where the best window begins: each match starts a candidate window of `max_chars`
    /// characters; the one covering the most distinct terms wins, then the one with most matches.
    fn best_start(&self, text: &str, matches: &[(usize, usize)]) -> Option<usize> {
        let mut best: Option<((usize, usize), usize)> = None;
        for (i, &(from, _)) in matches.iter().enumerate() {
            let end = text[from..].char_indices().nth(self.max_chars).map_or(text.len(), |(b, _)| from + b);
            let inside: Vec<&str> = matches[i..].iter().take_while(|m| m.1 <= end).map(|m| &text[m.0..m.1]).collect();
            let distinct = inside.iter().collect::<HashSet<_>>().len();
            let rank = (distinct, inside.len());
            if best.is_none_or(|(r, _)| rank > r) {
                best = Some((rank, from));
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
fn merged(matches: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(matches.len());
    for &(from, to) in matches {
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
}
