//! Search quality and latency on an evaluation set, through the portal's public API.
//!
//! Run: `cargo run --release --example search_eval -- <folder>`, where `<folder>` holds
//! `corpus.jsonl` (`{"id","title","body","lang","category"}`) and `queries.jsonl`
//! (`{"id","text","lang","relevant":[ids]}`). Every document becomes a published public article
//! (its category a public category); every query runs as an anonymous visitor through
//! `Portal::knowledge().search`. Prints `R@1`, `R@5`, `R@10`, latency p50 / p99 (µs), and
//! `MRR@10` last, one `name value` per line.
//!
//! With `EVAL_RANKS=<file>`, it also writes one tab-separated line per query to `<file>`: the
//! query's id, the rank of its first relevant hit (0 is first; -1 when not in the ten), its
//! text, the titles of its relevant documents and those of the first three hits. Tuning starts
//! from the lines whose rank is not 0.

use anyhow::{bail, Context};
use portal::core::memory::MemoryStore;
use portal::core::model::{ArticleKind, CategoryId, Locale, Visibility};
use portal::core::ports::{SearchRequest, Storage};
use portal::core::services::access::{AcceptInvitation, LoginRequest, NewPortal};
use portal::core::services::knowledge::{article_key, ArticleForm, CategoryForm};
use portal::prelude::*;
use portal::search::TantivySearch;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize)]
struct Doc {
    id: String,
    title: String,
    body: String,
    lang: String,
    #[serde(default)]
    category: String,
}

#[derive(Deserialize)]
struct Query {
    #[serde(default)]
    id: String,
    text: String,
    relevant: Vec<String>,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &std::path::Path) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| serde_json::from_str(l).with_context(|| format!("{} line {}", path.display(), n + 1)))
        .collect()
}

fn locale(lang: &str) -> anyhow::Result<Locale> {
    Locale::parse(lang).map_err(|_| anyhow::anyhow!("unknown lang {lang:?} (ja or en)"))
}

/// A category slug from any name: lowercase ASCII letters and digits, dashes between.
fn slug(name: &str, n: usize) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    let s: String = s.chars().take(50).collect();
    format!("{}-{n}", if s.is_empty() { "c" } else { s.trim_matches('-') })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(folder) = std::env::args().nth(1) else { bail!("usage: search_eval <folder>") };
    let folder = std::path::Path::new(&folder);
    let corpus: Vec<Doc> = read_jsonl(&folder.join("corpus.jsonl"))?;
    let queries: Vec<Query> = read_jsonl(&folder.join("queries.jsonl"))?;

    // Load the corpus through the API on a portal without an index, then open one over the same
    // store: it catches up from the change feed in large commits.
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let loader = Portal::builder().storage_arc(store.clone()).build().await?;
    let created = loader
        .access()
        .create_portal(NewPortal {
            slug: "eval".into(),
            name: "Evaluation".into(),
            mode: PortalMode::Public,
            owner_email: "owner@eval.example".into(),
        })
        .await?;
    let pid = created.portal.id;
    let visitor = Principal::anonymous(pid);
    let password = "orchid lantern quietly hums";
    let accept = AcceptInvitation {
        token: created.owner_invitation.token.expose().into(),
        password: password.into(),
        display_name: "Owner".into(),
    };
    loader.access().accept_invitation(&visitor, accept).await?;
    let form = LoginRequest { email: "owner@eval.example".into(), password: password.into(), replaces: None };
    let admin = loader.access().login(&visitor, form).await?.principal;

    let kb = loader.knowledge();
    let mut categories: HashMap<String, CategoryId> = HashMap::new();
    let mut by_key: HashMap<String, String> = HashMap::new();
    let load = Instant::now();
    for doc in &corpus {
        let category = match categories.get(&doc.category) {
            Some(c) => Some(*c),
            None if doc.category.is_empty() => None,
            None => {
                let form = CategoryForm {
                    parent_id: None,
                    name: doc.category.chars().take(100).collect(),
                    slug: slug(&doc.category, categories.len()),
                    visibility: Visibility::public(),
                    position: 0,
                };
                let c = kb.create_category(&admin, form).await?.id;
                categories.insert(doc.category.clone(), c);
                Some(c)
            }
        };
        let form = ArticleForm {
            category_id: category,
            kind: ArticleKind::Article,
            locale: locale(&doc.lang)?,
            translation_of: None,
            title: doc.title.chars().take(300).collect(),
            body: doc.body.clone(),
            tags: Vec::new(),
            visibility: Visibility::public(),
            review_due_at: None,
        };
        let a = kb.create_article(&admin, form).await.with_context(|| format!("document {}", doc.id))?;
        kb.publish_article(&admin, a.id, a.version, None).await?;
        by_key.insert(article_key(a.id), doc.id.clone());
    }
    let loaded = load.elapsed();
    let index = Instant::now();
    let portal = Portal::builder().storage_arc(store).search(TantivySearch::in_memory()?).build().await?;
    eprintln!(
        "loaded {} documents in {:.1} s, indexed in {:.1} s; {} queries",
        corpus.len(),
        loaded.as_secs_f64(),
        index.elapsed().as_secs_f64(),
        queries.len()
    );

    let (mut r1, mut r5, mut r10, mut mrr) = (0.0, 0.0, 0.0, 0.0);
    let mut latencies = Vec::with_capacity(queries.len());
    let rank_file = std::env::var_os("EVAL_RANKS");
    let mut ranks = String::new();
    let titles: HashMap<&str, &str> = corpus.iter().map(|d| (d.id.as_str(), d.title.as_str())).collect();
    for q in &queries {
        let start = Instant::now();
        let results = portal
            .knowledge()
            .search(&visitor, SearchRequest { text: q.text.clone(), limit: 10, ..Default::default() })
            .await?;
        latencies.push(start.elapsed().as_micros() as u64);
        let found: Vec<&str> = results.hits.iter().filter_map(|h| by_key.get(&h.key).map(String::as_str)).collect();
        let rank = found.iter().position(|id| q.relevant.iter().any(|r| r == id));
        if rank_file.is_some() {
            let top: Vec<&str> = found.iter().take(3).map(|id| titles.get(id).copied().unwrap_or("")).collect();
            let want: Vec<&str> = q.relevant.iter().map(|id| titles.get(id.as_str()).copied().unwrap_or("")).collect();
            ranks.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\n",
                q.id,
                rank.map_or(-1, |r| r as i64),
                q.text,
                want.join(" | "),
                top.join(" | ")
            ));
        }
        if let Some(rank) = rank {
            r1 += f64::from(u8::from(rank < 1));
            r5 += f64::from(u8::from(rank < 5));
            r10 += 1.0;
            mrr += 1.0 / (rank as f64 + 1.0);
        }
    }
    if let Some(path) = rank_file {
        std::fs::write(path, ranks)?;
    }
    let n = queries.len().max(1) as f64;
    latencies.sort_unstable();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0);
    println!("R@1 {:.4}", r1 / n);
    println!("R@5 {:.4}", r5 / n);
    println!("R@10 {:.4}", r10 / n);
    println!("latency_p50_us {}", pct(0.50));
    println!("latency_p99_us {}", pct(0.99));
    println!("MRR@10 {:.4}", mrr / n);
    Ok(())
}
