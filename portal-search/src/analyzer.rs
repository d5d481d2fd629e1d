//! One analyzer for Japanese and English, with no dictionary to download.
//!
//! Text is NFKC-normalized character by character (full-width `Ａ１` and half-width `ｶﾞ` fold
//! to `A1` and `ガ`) and lowercased, then cut into runs by script:
//!
//! - letters and digits of alphabetic scripts make words; English stop words are dropped and
//!   the rest are stemmed (Porter2), so `resetting` finds `reset`;
//! - runs of kanji, hiragana and katakana, which Japanese writes without spaces, become
//!   overlapping character bigrams (`東大寺の` → `東大`, `大寺`, `寺の`), a lone character a
//!   unigram.
//!
//! Token offsets point into the original text, so highlights land on what the reader sees.

use std::sync::Arc;
use tantivy::tokenizer::{Language, Stemmer, StopWordFilter, TextAnalyzer, Token, TokenStream, Tokenizer};
use unicode_normalization::char::compose;
use unicode_normalization::UnicodeNormalization;

/// The name the analyzer is registered under in every index.
pub const ANALYZER: &str = "portal";
/// The name of [`words`], the analyzer of the field autocomplete matches prefixes in.
pub const WORDS: &str = "portal_words";
/// The name of [`kanji`], the analyzer of the single-kanji field.
pub const KANJI: &str = "portal_kanji";

/// The analyzer: [`PortalTokenizer`], then English stop words and stemming (which leave
/// Japanese tokens as they are).
pub fn analyzer() -> TextAnalyzer {
    BUILT.clone()
}

/// [`analyzer`], built once: its stop words make a set, and building it three times a search
/// (query terms, highlighter, stemmer) allocated enough to have the allocator consolidate its
/// free lists each time, slow when the caches are cold.
static BUILT: std::sync::LazyLock<TextAnalyzer> = std::sync::LazyLock::new(|| {
    TextAnalyzer::builder(PortalTokenizer)
        .filter(StopWordFilter::new(Language::English).expect("tantivy ships English stop words"))
        .filter(Stemmer::new(Language::English))
        .build()
});

/// [`PortalTokenizer`] alone: words as written (lowercased, not stemmed, stop words kept), for
/// matching what someone is still typing.
pub fn words() -> TextAnalyzer {
    TextAnalyzer::builder(PortalTokenizer).build()
}

/// Every kanji of the text alone, and every number, and nothing else. A kanji carries meaning by
/// itself, so a question that names a thing with another compound (`造立` for `造像`) still meets
/// the text, and numbers (years, sizes) pin a passage down; searched beside the bigrams this
/// lifted the ja evaluation set's MRR@10 from 0.886 to 0.902 and left en as it was.
pub fn kanji() -> TextAnalyzer {
    TextAnalyzer::builder(KanjiTokenizer).build()
}

/// The tokenizer of [`kanji`]: single kanji and runs of ASCII digits.
#[derive(Clone, Copy, Debug, Default)]
pub struct KanjiTokenizer;

impl Tokenizer for KanjiTokenizer {
    type TokenStream<'a> = PortalTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PortalTokenStream {
        let units = units(text);
        let mut tokens = Vec::new();
        // Words stay whole (to keep the numbers among them); every other character is alone.
        for (class, run) in runs(&units, |class, next| class == Script::Word && script(next) == Script::Word) {
            if class == Script::Kanji || (class == Script::Word && run.iter().all(|u| u.c.is_ascii_digit())) {
                push(&mut tokens, run);
            }
        }
        PortalTokenStream { tokens, next: 0 }
    }
}

/// The script class of a normalized character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Letters and digits of alphabetic scripts (and anything else alphanumeric).
    Word,
    Kanji,
    Hiragana,
    Katakana,
    /// Spaces, punctuation, symbols: not indexed.
    Other,
}

/// Whether `c` is a kanji (as the analyzer classes characters).
pub(crate) fn is_kanji(c: char) -> bool {
    script(c) == Script::Kanji
}

/// Whether `c` is hiragana.
pub(crate) fn is_hiragana(c: char) -> bool {
    script(c) == Script::Hiragana
}

/// Whether `term` holds kanji or kana: a Japanese bigram or single kanji.
pub(crate) fn is_japanese(term: &str) -> bool {
    term.chars().any(|c| matches!(script(c), Script::Kanji | Script::Hiragana | Script::Katakana))
}

fn script(c: char) -> Script {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() { Script::Word } else { Script::Other };
    }
    match c {
        '\u{3041}'..='\u{309F}' => Script::Hiragana,
        '\u{30A0}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' => Script::Katakana,
        '\u{3005}'
        | '\u{3006}'
        | '\u{3007}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}' => Script::Kanji,
        '\u{20000}'..='\u{2FFFF}' => Script::Kanji,
        // The prolonged sound mark also follows hiragana; it belongs with the kana before it.
        c if c.is_alphanumeric() => Script::Word,
        _ => Script::Other,
    }
}

/// The script of `c` when `c` is its own normal form but for the case of ASCII letters (ASCII,
/// the kana and kanji blocks, Japanese commas, stops and quotes); `None` for any other.
fn plain_script(c: char) -> Option<Script> {
    match c {
        c if c.is_ascii_alphanumeric() => Some(Script::Word),
        c if c.is_ascii() => Some(Script::Other),
        '\u{3041}'..='\u{3096}' => Some(Script::Hiragana),
        '\u{30A1}'..='\u{30FA}' | '\u{30FC}' => Some(Script::Katakana),
        '\u{4E00}'..='\u{9FFF}' => Some(Script::Kanji),
        '、' | '。' | '「' | '」' => Some(Script::Other),
        _ => None,
    }
}

/// A normalized character and the bytes of the original text it came from.
#[derive(Debug, Clone, Copy)]
struct Unit {
    c: char,
    from: usize,
    to: usize,
}

/// Normalize `text` character by character, keeping original offsets; combining voiced sound
/// marks are composed with the kana before them.
fn units(text: &str) -> Vec<Unit> {
    // One unit per character mostly (NFKC rarely expands); a byte count would reserve three
    // times too much for Japanese, and a long text's buffer would be mapped and unmapped anew.
    let mut out: Vec<Unit> = Vec::with_capacity(text.chars().count());
    for (from, original) in text.char_indices() {
        let to = from + original.len_utf8();
        // Fast paths: ASCII, and the kana and kanji blocks, are their own NFKC form.
        if original.is_ascii() {
            out.push(Unit { c: original.to_ascii_lowercase(), from, to });
            continue;
        }
        if matches!(original, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}' | '\u{4E00}'..='\u{9FFF}')
        {
            out.push(Unit { c: original, from, to });
            continue;
        }
        for c in std::iter::once(original).nfkc().flat_map(char::to_lowercase) {
            if matches!(c, '\u{3099}' | '\u{309A}') {
                if let Some(last) = out.last_mut() {
                    if let Some(composed) = compose(last.c, c) {
                        last.c = composed;
                        last.to = to;
                        continue;
                    }
                }
            }
            out.push(Unit { c, from, to });
        }
    }
    out
}

/// The tokenizer half of [`analyzer`].
#[derive(Clone, Copy, Debug, Default)]
pub struct PortalTokenizer;

/// The tokens of one text, computed up front (texts are articles, not streams).
pub struct PortalTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for PortalTokenizer {
    type TokenStream<'a> = PortalTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PortalTokenStream {
        PortalTokenStream { tokens: tokenize(text), next: 0 }
    }
}

impl TokenStream for PortalTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Longest word kept (longer ones are noise: hashes, base64, URLs' innards).
const MAX_WORD_CHARS: usize = 40;

fn tokenize(text: &str) -> Vec<Token> {
    let units = units(text);
    let mut tokens = Vec::new();
    for (class, run) in runs(&units, same_run) {
        match class {
            Script::Other => {}
            Script::Word => {
                if run.len() <= MAX_WORD_CHARS {
                    push(&mut tokens, run);
                }
            }
            _ => {
                if run.len() == 1 {
                    push(&mut tokens, run);
                }
                for pair in run.windows(2) {
                    push(&mut tokens, pair);
                }
            }
        }
    }
    tokens
}

/// `units` cut into maximal runs, each with the class of its first character; a run goes on
/// while `continues(class, next)` says so.
fn runs(units: &[Unit], continues: impl Fn(Script, char) -> bool) -> impl Iterator<Item = (Script, &[Unit])> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let class = script(units.get(i)?.c);
        let mut j = i + 1;
        while j < units.len() && continues(class, units[j].c) {
            j += 1;
        }
        let run = &units[i..j];
        i = j;
        Some((class, run))
    })
}

/// Whether `next` continues the run of class `class`. Kanji, hiragana and katakana make one
/// run together: measured on the ja evaluation set, bigrams across a change of script (as in
/// `寺の`) find more than runs cut at each change (MRR@10 0.886 against 0.879).
fn same_run(class: Script, next: char) -> bool {
    let s = script(next);
    match class {
        Script::Kanji | Script::Hiragana | Script::Katakana => {
            matches!(s, Script::Kanji | Script::Hiragana | Script::Katakana)
        }
        _ => s == class,
    }
}

fn push(tokens: &mut Vec<Token>, run: &[Unit]) {
    let (Some(first), Some(last)) = (run.first(), run.last()) else { return };
    tokens.push(Token {
        offset_from: first.from,
        offset_to: last.to,
        position: tokens.len(),
        text: run.iter().map(|u| u.c).collect(),
        position_length: 1,
    });
}

/// The most words a [`TermFinder`] remembers.
const MAX_KNOWN_WORDS: usize = 4096;

/// A piece of a text that is one of the terms: where it starts and ends, in bytes and in
/// characters (a passage is measured in characters; counting them again per hit was a third of
/// a Japanese snippet's time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// The byte range.
    pub(crate) from: usize,
    pub(crate) to: usize,
    /// The character range.
    pub(crate) chars: (usize, usize),
}

impl Found {
    /// A piece of an ASCII text, where bytes are characters.
    fn ascii(from: usize, to: usize) -> Found {
        Found { from, to, chars: (from, to) }
    }
}

/// Finds where a query's terms occur in texts, for highlighting.
pub(crate) struct TermFinder {
    terms: std::collections::HashSet<String>,
    /// The first characters of the terms: a word starting otherwise is no term.
    firsts: Vec<char>,
    /// Bit `b` set for every ASCII first character `b` of a term: the test of an ASCII word.
    ascii_firsts: u128,
    /// The ASCII first characters of the terms in either case: where an ASCII word that may
    /// be a term begins ([`FirstBytes`]).
    ascii_needles: Vec<u8>,
    /// The Japanese terms (bigrams and lone characters) as characters, sorted: looked up
    /// without building a string.
    grams: Vec<(char, Option<char>)>,
    /// Bit `c % 64` set for the first character `c` of every gram: most pieces of a text are
    /// passed over with one test.
    gram_firsts: u64,
    /// Bit [`pair_bit`] set for every gram: most of the other pieces are passed over with a
    /// second test.
    gram_pairs: [u64; 4],
    words: std::sync::Mutex<Words>,
}

/// Where a gram's bit sits in [`TermFinder::gram_pairs`] (a hash of its characters to 0..256).
fn pair_bit(first: char, second: Option<char>) -> (usize, u64) {
    let h = (first as u32).wrapping_mul(0x9E37_79B9) ^ second.map_or(0, |c| c as u32).wrapping_mul(0x85EB_CA6B);
    let bit = (h >> 24) as usize;
    (bit / 64, 1 << (bit % 64))
}

/// Where the words of an ASCII text begin that start with one of a few bytes, found by `memchr`
/// (many bytes at a time) rather than byte by byte: a passage search mostly passes over words.
struct FirstBytes {
    /// Up to three bytes each, with where the next of them was found at or after `from` (`None`:
    /// nowhere; `from` is past every position before the first search).
    groups: Vec<(Vec<u8>, usize, Option<usize>)>,
}

/// The most bytes [`FirstBytes`] looks for: past them, most bytes of a text are one of them.
const MAX_FIRST_BYTES: usize = 6;

impl FirstBytes {
    /// A finder of words beginning with one of `needles`; `None` when they are none or too many.
    fn new(needles: &[u8]) -> Option<Self> {
        if needles.is_empty() || needles.len() > MAX_FIRST_BYTES {
            return None;
        }
        // Not searched yet: from past any position.
        Some(FirstBytes { groups: needles.chunks(3).map(|g| (g.to_vec(), usize::MAX, None)).collect() })
    }

    /// The first byte at or after `at` that is one of the needles and begins a word (follows
    /// no letter or digit).
    fn next_word(&mut self, bytes: &[u8], mut at: usize) -> Option<usize> {
        loop {
            let mut next = None;
            for (needles, from, found) in &mut self.groups {
                if *from > at || found.is_some_and(|f| f < at) {
                    *from = at;
                    *found = match needles[..] {
                        [a] => memchr::memchr(a, &bytes[at..]),
                        [a, b] => memchr::memchr2(a, b, &bytes[at..]),
                        [a, b, c, ..] => memchr::memchr3(a, b, c, &bytes[at..]),
                        [] => None,
                    }
                    .map(|i| at + i);
                }
                next = match (next, *found) {
                    (Some(n), Some(f)) => Some(f.min(n)),
                    (n, f) => n.or(f),
                };
            }
            let start = next?;
            if start == 0 || !bytes[start - 1].is_ascii_alphanumeric() {
                return Some(start);
            }
            at = start + 1;
        }
    }
}

/// The stemmer of a [`TermFinder`], and the words it already stemmed with whether they are
/// terms: the words of a language repeat (within a hit and across hits), and stemming is the
/// dear part.
struct Words {
    stemmer: TextAnalyzer,
    known: foldhash::HashMap<String, bool>,
}

/// The pieces of `text` at the byte ranges `found` (in text order), their characters counted.
fn count_chars(text: &str, found: Vec<(usize, usize)>) -> Vec<Found> {
    let (mut at, mut n) = (0, 0);
    found
        .into_iter()
        .map(|(from, to)| {
            if from >= at {
                n += text[at..from].chars().count();
            } else {
                n -= text[from..at].chars().count();
            }
            at = from;
            Found { from, to, chars: (n, n + text[from..to].chars().count()) }
        })
        .collect()
}

impl TermFinder {
    /// A finder of the terms [`analyzer`] makes of `query`.
    pub(crate) fn new(query: &str) -> Self {
        let terms: std::collections::HashSet<String> = terms(query).into_iter().collect();
        let mut firsts: Vec<char> = terms.iter().filter_map(|t| t.chars().next()).collect();
        firsts.sort_unstable();
        firsts.dedup();
        let ascii_firsts = firsts.iter().filter(|c| c.is_ascii()).fold(0u128, |bits, &c| bits | 1 << c as u32);
        let mut ascii_needles: Vec<u8> = (0..128u8)
            .filter(|b| ascii_firsts >> b.to_ascii_lowercase() & 1 == 1 && b.is_ascii_alphanumeric())
            .collect();
        ascii_needles.dedup();
        let mut grams: Vec<(char, Option<char>)> = terms
            .iter()
            .filter(|t| t.chars().all(|c| !matches!(script(c), Script::Word | Script::Other)))
            .filter_map(|t| {
                let mut chars = t.chars();
                let (first, second) = (chars.next()?, chars.next());
                chars.next().is_none().then_some((first, second))
            })
            .collect();
        grams.sort_unstable();
        let gram_firsts = grams.iter().fold(0u64, |bits, (c, _)| bits | 1 << (*c as u32 % 64));
        let mut gram_pairs = [0u64; 4];
        for &(first, second) in &grams {
            let (word, bit) = pair_bit(first, second);
            gram_pairs[word] |= bit;
        }
        let words = std::sync::Mutex::new(Words { stemmer: analyzer(), known: Default::default() });
        TermFinder { terms, firsts, ascii_firsts, ascii_needles, grams, gram_firsts, gram_pairs, words }
    }

    /// Whether the query has no term.
    pub(crate) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The pieces of `text` that [`analyzer`] turns into one of the terms, in order (they may
    /// overlap: bigrams do). The text is cut exactly as the analyzer cuts it, but a word is
    /// stemmed, and a bigram looked up, only when its first character begins one of the terms:
    /// stems keep their word's first letter, and stemming every word of every hit was most of a
    /// search's time.
    pub(crate) fn find(&self, text: &str) -> Vec<Found> {
        let mut words = self.words.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if text.is_ascii() {
            return self.find_ascii(&mut words, text);
        }
        match self.find_plain(&mut words, text) {
            Some(found) => found,
            None => self.find_normalized(&mut words, text),
        }
    }

    /// [`TermFinder::find`] in one pass over the characters, for a text of ASCII, kana, kanji
    /// and Japanese punctuation, which are their own normal forms (ASCII but for case); `None`
    /// at the first other character.
    fn find_plain(&self, words: &mut Words, text: &str) -> Option<Vec<Found>> {
        let mut found = Vec::new();
        let mut gram = String::new();
        // Each character with its number.
        let mut chars = text.char_indices().enumerate().peekable();
        while let Some((n, (from, c))) = chars.next() {
            match plain_script(c)? {
                Script::Other => {}
                Script::Word => {
                    let (mut end, mut n_end) = (from + 1, n + 1);
                    while let Some(&(m, (at, next))) = chars.peek() {
                        if !next.is_ascii_alphanumeric() {
                            break;
                        }
                        (end, n_end) = (at + 1, m + 1);
                        chars.next();
                    }
                    let word = text[from..end].chars().map(|c| c.to_ascii_lowercase());
                    if self.is_word_term(words, &mut gram, word, end - from) {
                        found.push(Found { from, to: end, chars: (n, n_end) });
                    }
                }
                // A run of kana and kanji: each bigram, or the character when it stands alone.
                _ => {
                    let (mut previous, mut previous_from, mut alone) = (c, from, true);
                    while let Some(&(m, (at, next))) = chars.peek() {
                        if !matches!(plain_script(next)?, Script::Kanji | Script::Hiragana | Script::Katakana) {
                            break;
                        }
                        if self.is_gram(previous, Some(next)) {
                            found.push(Found { from: previous_from, to: at + next.len_utf8(), chars: (m - 1, m + 1) });
                        }
                        (previous, previous_from, alone) = (next, at, false);
                        chars.next();
                    }
                    if alone && self.is_gram(c, None) {
                        found.push(Found { from, to: from + c.len_utf8(), chars: (n, n + 1) });
                    }
                }
            }
        }
        Some(found)
    }

    /// Whether `first` and `second` (or `first` alone) make one of the Japanese terms.
    fn is_gram(&self, first: char, second: Option<char>) -> bool {
        self.gram_firsts & 1 << (first as u32 % 64) != 0
            && {
                let (word, bit) = pair_bit(first, second);
                self.gram_pairs[word] & bit != 0
            }
            && self.grams.binary_search(&(first, second)).is_ok()
    }

    /// [`TermFinder::find`] on an ASCII `text`: each byte is a character and its own normal
    /// form (lowercased), only runs of letters and digits are words, and nothing else is
    /// indexed.
    fn find_ascii(&self, words: &mut Words, text: &str) -> Vec<Found> {
        let mut found = Vec::new();
        let mut gram = String::new();
        let bytes = text.as_bytes();
        let mut starts = FirstBytes::new(&self.ascii_needles);
        let mut i = 0;
        while i < bytes.len() {
            // The next word beginning as a term does (most words begin no term).
            let next = match &mut starts {
                Some(starts) => starts.next_word(bytes, i),
                None => self.next_ascii_word(bytes, i),
            };
            let Some(start) = next else { break };
            i = start + 1;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let word = bytes[start..i].iter().map(|b| char::from(b.to_ascii_lowercase()));
            if self.is_word_term(words, &mut gram, word, i - start) {
                found.push(Found::ascii(start, i));
            }
        }
        found
    }

    /// The first word of `bytes` (a run of ASCII letters and digits) beginning at or after `at`
    /// with the first character of a term, passing over the others byte by byte (for terms of
    /// too many first characters for [`FirstBytes`]); `at` is not within a word.
    fn next_ascii_word(&self, bytes: &[u8], mut at: usize) -> Option<usize> {
        while at < bytes.len() {
            if !bytes[at].is_ascii_alphanumeric() {
                at += 1;
                continue;
            }
            if self.ascii_firsts >> bytes[at].to_ascii_lowercase() & 1 == 1 {
                return Some(at);
            }
            while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
                at += 1;
            }
        }
        None
    }

    /// [`TermFinder::find`] on any text, normalized character by character.
    fn find_normalized(&self, words: &mut Words, text: &str) -> Vec<Found> {
        let mut found = Vec::new();
        let mut gram = String::new();
        let units = units(text);
        for (class, run) in runs(&units, same_run) {
            let (Some(first), Some(last)) = (run.first(), run.last()) else { continue };
            match class {
                Script::Other => {}
                Script::Word => {
                    if self.is_word_term(words, &mut gram, run.iter().map(|u| u.c), run.len()) {
                        found.push((first.from, last.to));
                    }
                }
                _ => {
                    let single = (run.len() == 1).then_some(run);
                    for piece in single.into_iter().chain(run.windows(2)) {
                        if self.is_gram(piece[0].c, piece.get(1).map(|u| u.c)) {
                            found.push((piece[0].from, piece[piece.len() - 1].to));
                        }
                    }
                }
            }
        }
        count_chars(text, found)
    }

    /// Whether the normalized word of `chars` characters stems to one of the terms; only a
    /// word short enough to be indexed, whose first character begins a term, is stemmed (into
    /// `gram`).
    fn is_word_term(
        &self,
        words: &mut Words,
        gram: &mut String,
        mut word: impl Iterator<Item = char>,
        chars: usize,
    ) -> bool {
        let Some(first) = word.next() else { return false };
        if chars > MAX_WORD_CHARS || self.firsts.binary_search(&first).is_err() {
            return false;
        }
        gram.clear();
        gram.push(first);
        gram.extend(word);
        self.is_term(words, gram)
    }

    /// Whether the normalized `word` stems to one of the terms (remembered in `words`).
    fn is_term(&self, words: &mut Words, word: &str) -> bool {
        if let Some(is_term) = words.known.get(word) {
            return *is_term;
        }
        let is_term = stem(&mut words.stemmer, word).is_some_and(|stem| self.terms.contains(&*stem));
        if words.known.len() < MAX_KNOWN_WORDS {
            words.known.insert(word.to_owned(), is_term);
        }
        is_term
    }
}

/// The most stems [`stem`] remembers; when full it starts over.
const MAX_STEMS: usize = 1 << 16;

/// Words already stemmed, by every search: the analyzer is one, and the words of hits repeat
/// from search to search (stemming was a fifth of a search's highlighting).
static STEMS: std::sync::OnceLock<std::sync::Mutex<foldhash::HashMap<String, Option<Arc<str>>>>> =
    std::sync::OnceLock::new();

/// The term the normalized `word` is indexed as (`None`: none, a stop word), by `stemmer`.
fn stem(stemmer: &mut TextAnalyzer, word: &str) -> Option<Arc<str>> {
    let stems = STEMS.get_or_init(Default::default);
    let lock = || stems.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = lock().get(word) {
        return known.clone();
    }
    let mut stream = stemmer.token_stream(word);
    let stem: Option<Arc<str>> = stream.advance().then(|| stream.token().text.as_str().into());
    let mut known = lock();
    if known.len() >= MAX_STEMS {
        known.clear();
    }
    known.insert(word.to_owned(), stem.clone());
    stem
}

/// The terms `text` is indexed and searched as (for building queries and for tests).
pub fn terms(text: &str) -> Vec<String> {
    terms_with(&mut analyzer(), text)
}

/// The terms `analyzer` makes of `text`.
pub fn terms_with(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// On Japanese and mixed text the one-pass finder finds what the normalizing one finds,
        /// or leaves the text to it.
        #[test]
        fn plain_text_is_searched_as_any_text(
            text in proptest::collection::vec(
                prop_oneof![
                    "[a-zA-Z0-9 ,.]{1,6}",
                    "[ぁ-ゖァ-ヺー一-龥、。「」]{1,8}",
                    "(東大寺|大寺|の仏像|パスワード|Running|寺)",
                    "[éｶﾞ゙\u{3000}Ａ]",
                ],
                0..30,
            ),
        ) {
            let text = text.concat();
            let finder = TermFinder::new("東大寺の仏像 running パスワード 寺");
            let mut words = finder.words.lock().unwrap();
            let normalized = finder.find_normalized(&mut words, &text);
            match finder.find_plain(&mut words, &text) {
                Some(found) => prop_assert_eq!(found, normalized),
                None => prop_assert!(text.chars().any(|c| plain_script(c).is_none())),
            }
        }

        /// On ASCII text the finder of words by their first bytes (a query of two or three
        /// words: at most six first bytes in either case) finds what the normalizing one finds.
        #[test]
        fn ascii_text_is_searched_by_first_bytes_as_any_text(
            query in "[a-zA-Z0-9]{1,8}( [a-zA-Z0-9]{1,8})?",
            text in ascii_text(),
        ) {
            let finder = TermFinder::new(&format!("{query} running"));
            prop_assert!(FirstBytes::new(&finder.ascii_needles).is_some());
            finds_what_normalizing_finds(&finder, &text)?;
        }

        /// On ASCII text the byte-wise finder (terms of many first characters) finds what the
        /// normalizing one finds.
        #[test]
        fn ascii_text_is_searched_as_any_text(query in "[a-zA-Z0-9 ]{0,30}", text in ascii_text()) {
            finds_what_normalizing_finds(&TermFinder::new(&format!("{query} running Resets x{}", "x".repeat(44))), &text)?;
        }
    }

    /// ASCII text of words, spaces, punctuation, an overlong word and forms of `running` and
    /// `resets`.
    fn ascii_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9]{1,12}",
                Just(" ".to_owned()),
                "[-.,;!?'_@]{1,2}",
                Just("x".repeat(45)),
                "(Running|RESET|resets|runs|runner|R2|2r)",
            ],
            0..40,
        )
        .prop_map(|pieces| pieces.concat())
    }

    /// The ASCII finder finds in `text` what the normalizing one finds.
    fn finds_what_normalizing_finds(finder: &TermFinder, text: &str) -> Result<(), TestCaseError> {
        let mut words = finder.words.lock().unwrap();
        let bytewise = finder.find_ascii(&mut words, text);
        prop_assert_eq!(bytewise, finder.find_normalized(&mut words, text));
        Ok(())
    }

    #[test]
    fn english_is_lowercased_stemmed_and_stripped_of_stop_words() {
        assert_eq!(terms("Resetting the Passwords of an Account"), ["reset", "password", "account"]);
    }

    #[test]
    fn japanese_runs_become_overlapping_bigrams() {
        assert_eq!(terms("東大寺の仏像"), ["東大", "大寺", "寺の", "の仏", "仏像"]);
        assert_eq!(terms("パスワード、再設定"), ["パス", "スワ", "ワー", "ード", "再設", "設定"]);
        assert_eq!(terms("川"), ["川"]);
    }

    #[test]
    fn the_kanji_analyzer_keeps_each_kanji_alone() {
        assert_eq!(
            terms_with(&mut kanji(), "東大寺の仏像 and パス 15m 8世紀"),
            ["東", "大", "寺", "仏", "像", "8", "世", "紀"]
        );
    }

    #[test]
    fn width_variants_fold_to_one_form() {
        assert_eq!(terms("ﾊﾟｽﾜｰﾄﾞ"), terms("パスワード"));
        assert_eq!(terms("ＡＢＣ１２３"), terms("abc123"));
    }

    #[test]
    fn mixed_text_yields_both_kinds_of_tokens_with_original_offsets() {
        let text = "Ｗｉｆｉの設定 guide";
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut seen = Vec::new();
        while stream.advance() {
            let t = stream.token();
            seen.push((t.text.clone(), text[t.offset_from..t.offset_to].to_owned()));
        }
        assert_eq!(
            seen,
            [
                ("wifi".to_owned(), "Ｗｉｆｉ".to_owned()),
                ("の設".to_owned(), "の設".to_owned()),
                ("設定".to_owned(), "設定".to_owned()),
                ("guid".to_owned(), "guide".to_owned()),
            ]
        );
    }

    #[test]
    fn punctuation_and_overlong_words_are_not_indexed() {
        assert!(terms("「」、。!? -- ...").is_empty());
        assert!(terms(&"x".repeat(41)).is_empty());
    }
}
