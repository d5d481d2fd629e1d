//! The seeded search corpus of PERFORMANCE.md, generated here (nothing downloaded): Zipf word
//! frequencies, 60–260 words per document, English words made of syllables and Japanese text
//! written without spaces from a committed list of words; visibility mix public 60 %, customers
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

/// Japanese words of a help-centre vocabulary; documents string them together without spaces.
const JA_WORDS: &[&str] = &[
    "パスワード",
    "再設定",
    "ログイン",
    "アカウント",
    "請求書",
    "支払い",
    "設定",
    "画面",
    "変更",
    "確認",
    "メール",
    "送信",
    "受信",
    "エラー",
    "表示",
    "登録",
    "解約",
    "契約",
    "料金",
    "プラン",
    "無料",
    "有料",
    "期間",
    "更新",
    "ダウンロード",
    "アップロード",
    "ファイル",
    "保存",
    "削除",
    "復元",
    "履歴",
    "通知",
    "お知らせ",
    "問い合わせ",
    "サポート",
    "担当者",
    "回答",
    "質問",
    "方法",
    "手順",
    "端末",
    "スマートフォン",
    "パソコン",
    "ブラウザ",
    "接続",
    "ネットワーク",
    "ルーター",
    "無線",
    "有線",
    "速度",
    "障害",
    "復旧",
    "予定",
    "メンテナンス",
    "時間",
    "日付",
    "会員",
    "情報",
    "住所",
    "電話番号",
    "氏名",
    "会社",
    "部署",
    "権限",
    "管理者",
    "利用者",
    "招待",
    "承認",
    "拒否",
    "セキュリティ",
    "二段階認証",
    "コード",
    "認証",
    "証明書",
    "暗号化",
    "バックアップ",
    "データ",
    "移行",
    "連携",
    "外部",
    "サービス",
    "機能",
    "追加",
    "オプション",
    "商品",
    "注文",
    "配送",
    "返品",
    "交換",
    "在庫",
    "価格",
    "割引",
    "クーポン",
    "ポイント",
    "残高",
    "明細",
    "領収書",
    "税込",
    "税抜",
    "口座",
    "振込",
    "カード",
    "番号",
    "有効期限",
    "印刷",
    "プリンター",
    "用紙",
    "トナー",
    "インク",
    "スキャン",
    "コピー",
    "ファクス",
    "会議",
    "予約",
    "キャンセル",
];
const JA_GLUE: &[&str] =
    &["の", "を", "に", "は", "が", "で", "と", "から", "まで", "について", "する", "します", "できます"];

pub struct Vocabulary {
    pub en: Vec<String>,
    pub en_cumulative: Vec<f64>,
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
        let harmonic = |n: usize| {
            let mut acc = 0.0;
            (1..=n)
                .map(|k| {
                    acc += 1.0 / k as f64;
                    acc
                })
                .collect::<Vec<f64>>()
        };
        Vocabulary { en_cumulative: harmonic(en.len()), ja_cumulative: harmonic(JA_WORDS.len()), en }
    }

    pub fn en_word(&self, rng: &mut Rng) -> &str {
        &self.en[rng.zipf(&self.en_cumulative)]
    }

    pub fn ja_word(&self, rng: &mut Rng) -> &'static str {
        JA_WORDS[rng.zipf(&self.ja_cumulative)]
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
    (0..n).map(|i| (0..1 + i % 3).map(|_| vocab.ja_word(rng)).collect::<Vec<_>>().join("の")).collect()
}
