//! The seeded search corpus of PERFORMANCE.md, generated here (nothing downloaded): Zipf word
//! frequencies over 5,000 words per language, 60–260 words per document, English words made of
//! syllables and Japanese words of committed kanji and katakana, written without spaces; visibility mix public 60 %, customers
//! 25 %, agents 10 %, internal 5 %; 100 portals.

use chrono::{TimeZone, Utc};
use portal::core::model::{CategoryId, Locale, PortalId, Visibility};
use portal::core::ports::SearchDocument;

/// A small, fast, seeded generator (xorshift64*): the same corpus on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A Zipf-distributed rank in `0..n` (exponent 1), by inverse transform on the harmonic sum.
    pub fn zipf(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative[cumulative.len() - 1];
        let x = (self.next() as f64 / u64::MAX as f64) * total;
        cumulative.partition_point(|c| *c < x).min(cumulative.len() - 1)
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "tor", "sa", "vel", "qui", "ban", "dor", "el", "fi", "gro", "han", "is", "jun", "kel",
    "lum", "mor", "nel", "op", "pra", "ris", "sol", "tem", "ur", "vas", "wen", "xan", "yor", "zel", "ac", "ber",
];

/// Common kanji and katakana: Japanese words are made of them (as English words of syllables),
/// so both languages have vocabularies of the same size.
const KANJI: &str = "日本人大年中出事時行分生会上自者地方手前後国場合同目下見市内定実社現新化長全部連業要";
const KATAKANA: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
const JA_GLUE: &[&str] =
    &["の", "を", "に", "は", "が", "で", "と", "から", "まで", "について", "する", "します", "できます"];

pub struct Vocabulary {
    pub en: Vec<String>,
    pub en_cumulative: Vec<f64>,
    pub ja: Vec<String>,
    pub ja_cumulative: Vec<f64>,
}

impl Vocabulary {
    pub fn new(rng: &mut Rng) -> Self {
        let mut en = Vec::with_capacity(5000);
        while en.len() < 5000 {
            let n = 2 + rng.below(3);
            let w: String = (0..n).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect();
            if !en.contains(&w) {
                en.push(w);
            }
        }
        let kanji: Vec<char> = KANJI.chars().collect();
        let katakana: Vec<char> = KATAKANA.chars().collect();
        let mut ja: Vec<String> = Vec::with_capacity(5000);
        while ja.len() < 5000 {
            let w: String = if rng.below(10) < 6 {
                (0..2 + rng.below(2)).map(|_| kanji[rng.below(kanji.len())]).collect()
            } else {
                (0..3 + rng.below(3)).map(|_| katakana[rng.below(katakana.len())]).collect()
            };
            if !ja.contains(&w) {
                ja.push(w);
            }
        }
        let harmonic = |n: usize| {
            let mut acc = 0.0;
            (1..=n)
                .map(|k| {
                    acc += 1.0 / k as f64;
                    acc
                })
                .collect::<Vec<f64>>()
        };
        Vocabulary { en_cumulative: harmonic(en.len()), ja_cumulative: harmonic(ja.len()), en, ja }
    }

    pub fn en_word(&self, rng: &mut Rng) -> &str {
        &self.en[rng.zipf(&self.en_cumulative)]
    }

    pub fn ja_word(&self, rng: &mut Rng) -> &str {
        &self.ja[rng.zipf(&self.ja_cumulative)]
    }

    /// Japanese text of about `words` words, no spaces, with particles between words.
    pub fn ja_text(&self, rng: &mut Rng, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            s.push_str(self.ja_word(rng));
            s.push_str(JA_GLUE[rng.below(JA_GLUE.len())]);
            if i % 8 == 7 {
                s.push('。');
            }
        }
        s
    }

    pub fn en_text(&self, rng: &mut Rng, words: usize) -> String {
        (0..words).map(|_| self.en_word(rng)).collect::<Vec<_>>().join(" ")
    }
}

pub const PORTALS: usize = 100;

/// Visibility by the PERFORMANCE.md mix.
fn label(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=59 => "public",
        60..=84 => "customers",
        85..=94 => "agents",
        _ => "internal",
    }
}

/// `n` documents over `portals`, `ja_share` of them Japanese (0.0–1.0).
pub fn documents(
    vocab: &Vocabulary,
    rng: &mut Rng,
    portals: &[PortalId],
    n: usize,
    ja_share: f64,
) -> Vec<SearchDocument> {
    let categories: Vec<CategoryId> = (0..20).map(|_| CategoryId::new()).collect();
    let live = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let ja = (rng.below(1000) as f64) < ja_share * 1000.0;
            let words = 60 + rng.below(201);
            let (title, body, locale) = if ja {
                (vocab.ja_text(rng, 3), vocab.ja_text(rng, words), Locale::Ja)
            } else {
                (vocab.en_text(rng, 5), vocab.en_text(rng, words), Locale::En)
            };
            SearchDocument {
                portal_id: portals[i % portals.len()],
                key: format!("article:{i:08}"),
                kind: if i % 4 == 0 { "faq" } else { "article" }.into(),
                locale,
                title,
                body,
                tags: vec![format!("tag{}", rng.below(30))],
                category_id: Some(categories[rng.below(categories.len())]),
                visibility: Visibility::new(label(rng)).unwrap(),
                live_from: live,
            }
        })
        .collect()
}

/// Queries of PERFORMANCE.md's kinds: one term, two terms, three terms (any may match).
pub fn en_queries(vocab: &Vocabulary, rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n).map(|i| (0..1 + i % 3).map(|_| vocab.en_word(rng).to_owned()).collect::<Vec<_>>().join(" ")).collect()
}

pub fn ja_queries(vocab: &Vocabulary, rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n).map(|i| (0..1 + i % 3).map(|_| vocab.ja_word(rng).to_owned()).collect::<Vec<_>>().join("の")).collect()
}
