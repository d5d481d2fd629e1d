//! A harness for profiling the search on the bench corpus (`benches/ratios/corpus.rs`), with an
//! index on disk so that a profiler sees searches only.
//!
//! - `cargo run --release --example search_profile -- build <dir> <s5|s7>` writes the corpus of
//!   S5/S6 (100,000 English documents, one portal) or of S7 (half Japanese, 100 portals) to an
//!   index in `<dir>`, and its queries to `<dir>/queries.txt` (S7: 300 English, then 300
//!   Japanese).
//! - `... -- run <dir> [rounds] [from] [to]` searches queries `from..to` as a customer of the
//!   first portal, one untimed round then `rounds` timed ones (default 3), and prints p50 / p99
//!   and the twelve slowest queries.
//!
//! Instruction counts do not drift with the machine's load as times do: compare two builds with
//! `valgrind --tool=callgrind` on `run <dir> 0` and `run <dir> 1`; the difference is one round.
//!
//! In the S5/S6 bench every search follows a database query of a fifth of a second, and runs
//! with cold caches (about twice as slow as back to back). Two settings reproduce that here:
//! `PROFILE_IDLE_MS=50` sleeps before each search (times), and `PROFILE_SWEEP_MB=8` writes over
//! that many MiB before each search (run under `valgrind --tool=cachegrind --cache-sim=yes`, the
//! misses left after the sweep's own, 16,384 per MiB, are the search's cold misses).
//! `PROFILE_STRATEGY=<0..3>` picks a filter strategy (`FilterStrategy::ALL`). `build` ends
//! with a compaction into one segment, as a bulk load does; `PROFILE_COMPACT=0` leaves the
//! segments the merge policy made. Searches run on a multi-threaded runtime, as in the bench;
//! `PROFILE_RUNTIME=current` runs them on a current-thread one.

#[path = "../benches/ratios/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use anyhow::{bail, Context};
use chrono::{TimeZone, Utc};
use corpus::{Rng, Vocabulary};
use portal::core::model::PortalId;
use portal::core::ports::{IndexChange, SearchIndex, SearchRequest, SearchScope};
use portal::search::TantivySearch;
use std::path::Path;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = if std::env::var("PROFILE_RUNTIME").is_ok_and(|v| v == "current") {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?
    };
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["build", dir, corpus] => build(&rt, Path::new(dir), corpus),
        ["run", dir, ref rest @ ..] => {
            let number = |i: usize, default: usize| -> anyhow::Result<usize> {
                rest.get(i).map_or(Ok(default), |v| v.parse().context("a number"))
            };
            run(&rt, Path::new(dir), number(0, 3)?, number(1, 0)?, number(2, usize::MAX)?)
        }
        _ => bail!("usage: search_profile build <dir> <s5|s7> | run <dir> [rounds] [from] [to]"),
    }
}

fn build(rt: &tokio::runtime::Runtime, dir: &Path, which: &str) -> anyhow::Result<()> {
    let (docs, queries, portal) = match which {
        "s5" => {
            let mut rng = Rng::new(0x5f75);
            let vocab = Vocabulary::new(&mut rng);
            let portal = [PortalId::new()];
            let docs = corpus::documents(&vocab, &mut rng, &portal, 100_000, 0.0);
            (docs, corpus::en_queries(&vocab, &mut rng, 300), portal[0])
        }
        "s7" => {
            let mut rng = Rng::new(0x7a7a);
            let vocab = Vocabulary::new(&mut rng);
            let portals: Vec<PortalId> = (0..corpus::PORTALS).map(|_| PortalId::new()).collect();
            let docs = corpus::documents(&vocab, &mut rng, &portals, 100_000, 0.5);
            let mut queries = corpus::en_queries(&vocab, &mut rng, 300);
            queries.extend(corpus::ja_queries(&vocab, &mut rng, 300));
            (docs, queries, portals[0])
        }
        other => bail!("no corpus {other}: s5 or s7"),
    };
    let index = TantivySearch::open(dir)?;
    for (i, chunk) in docs.chunks(20_000).enumerate() {
        rt.block_on(index.apply(chunk.iter().cloned().map(IndexChange::Upsert).collect(), i as u64 + 1))?;
    }
    if std::env::var("PROFILE_COMPACT").map_or(true, |v| v != "0") {
        rt.block_on(index.compact())?;
    }
    std::fs::write(dir.join("queries.txt"), format!("{portal}\n{}", queries.join("\n")))?;
    Ok(())
}

fn run(rt: &tokio::runtime::Runtime, dir: &Path, rounds: usize, from: usize, to: usize) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(dir.join("queries.txt")).context("no queries.txt: build first")?;
    let mut lines = text.lines();
    let portal: PortalId = lines.next().context("an empty queries.txt")?.parse()?;
    let queries: Vec<&str> = lines.collect();
    let index = TantivySearch::open(dir)?;
    let setting = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = setting("PROFILE_STRATEGY") {
        index.set_filter_strategy(portal::search::FilterStrategy::ALL[n.min(3)]);
    }
    let (idle, sweep) = (setting("PROFILE_IDLE_MS"), setting("PROFILE_SWEEP_MB"));
    let mut swept = vec![0u8; sweep.unwrap_or(0) << 20];
    let scope = SearchScope {
        portal_id: portal,
        labels: Some(vec!["public".into(), "customers".into()]),
        hidden_categories: Vec::new(),
        now: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).single().context("a date")?,
    };
    let chosen = from.min(queries.len())..to.min(queries.len());
    let mut times = vec![Vec::new(); queries.len()];
    for round in 0..=rounds {
        for i in chosen.clone() {
            let request = SearchRequest { text: queries[i].to_owned(), limit: 10, ..Default::default() };
            if let Some(ms) = idle {
                std::thread::sleep(std::time::Duration::from_millis(ms as u64));
            }
            for line in swept.iter_mut().step_by(64) {
                *line = line.wrapping_add(1);
            }
            std::hint::black_box(&swept);
            let start = Instant::now();
            std::hint::black_box(rt.block_on(index.search(&scope, &request))?);
            if round > 0 {
                times[i].push(start.elapsed().as_secs_f64() * 1e6);
            }
        }
    }
    let mut all: Vec<f64> = times.iter().flatten().copied().collect();
    if all.is_empty() {
        return Ok(());
    }
    all.sort_by(f64::total_cmp);
    println!("p50 {:.0} us, p99 {:.0} us", all[all.len() / 2], all[(all.len() - 1) * 99 / 100]);
    let mut slowest: Vec<(f64, usize)> =
        chosen.map(|i| (times[i].iter().copied().fold(f64::MAX, f64::min), i)).collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (t, i) in slowest.iter().take(12) {
        println!("{i:4} {t:8.0} us  {}", queries[*i]);
    }
    Ok(())
}
