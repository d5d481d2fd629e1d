//! S5 and S6: the portal's search vs the full-text search of the databases it can run on, on
//! the same documents and queries (`corpus.rs`: 100,000 documents, 10,000 with
//! `PORTAL_BENCH_SMALL=1`, all in one portal — the large tenant, where search speed matters).
//!
//! Every side answers the same question: the 10 best documents a customer may read (labels
//! `public` and `customers`) for a query whose terms may match any of them (OR), best first.
//! The portal also returns a highlighted snippet per hit; the databases return key and title
//! only (a stronger baseline than the same output would be).
//!
//! - S5: PostgreSQL (`PORTAL_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`,
//!   schema `portal_bench_fts`): a stored `tsvector` (`english`, title weighted A) with a GIN index,
//!   `websearch_to_tsquery` with `or` between the terms, `ts_rank`, `LIMIT 10`.
//! - S6: SQLite FTS5 in a temporary file (`porter unicode61` tokenizer), `MATCH` with `OR`
//!   between quoted terms, `bm25` with title weight 2, `LIMIT 10`.
//!
//! The goals are speed-ups, so these lines print baseline / candidate (higher is better):
//! `ratio S5-p50 120.0` means the portal answered 120 times faster at the median.

use portal::core::model::PortalId;
use portal::core::ports::SearchDocument;
use sqlx::Row;
use std::hint::black_box;

use super::corpus::{self, Rng, Vocabulary};
use super::search::{build, portal_search, scope, size, timed, Latencies};

fn speedup(id: &str, l: &Latencies) {
    println!("ratio {id}-p50 {:.1}", l.baseline.0 / l.candidate.0);
    println!("ratio {id}-p99 {:.1}", l.baseline.1 / l.candidate.1);
}

const CUSTOMER: [&str; 2] = ["public", "customers"];

pub fn s5_s6(rt: &tokio::runtime::Runtime, wanted: &dyn Fn(&str) -> bool) {
    let n = size();
    let mut rng = Rng::new(0x5f75);
    let vocab = Vocabulary::new(&mut rng);
    let portal = [PortalId::new()];
    let docs = corpus::documents(&vocab, &mut rng, &portal, n, 0.0);
    let queries = corpus::en_queries(&vocab, &mut rng, 300);
    let index = build(rt, &docs);
    let customer = scope(portal[0], Some(&CUSTOMER));
    let pid = portal[0].to_string();
    let against = |id: &str, baseline: &mut dyn FnMut(&str)| {
        let l = timed(id, &queries, baseline, |q| portal_search(rt, &index, &customer, q));
        speedup(id, &l);
    };
    if wanted("S5") {
        let pg = rt.block_on(postgres(&docs));
        against("S5", &mut |q| rt.block_on(postgres_search(&pg, &pid, q)));
        rt.block_on(async {
            sqlx::query("DROP SCHEMA portal_bench_fts CASCADE").execute(&pg).await.unwrap();
        });
    }
    if wanted("S6") {
        let dir = tempfile::tempdir().unwrap();
        let lite = rt.block_on(sqlite(&dir.path().join("fts.db"), &docs));
        against("S6", &mut |q| rt.block_on(sqlite_search(&lite, &pid, q)));
    }
}

/// Columns of every document, for the bulk loads.
struct Columns {
    key: Vec<String>,
    portal: Vec<String>,
    label: Vec<String>,
    title: Vec<String>,
    body: Vec<String>,
}

fn columns(docs: &[SearchDocument]) -> Columns {
    Columns {
        key: docs.iter().map(|d| d.key.clone()).collect(),
        portal: docs.iter().map(|d| d.portal_id.to_string()).collect(),
        label: docs.iter().map(|d| d.visibility.as_str().to_owned()).collect(),
        title: docs.iter().map(|d| d.title.clone()).collect(),
        body: docs.iter().map(|d| d.body.clone()).collect(),
    }
}

async fn postgres(docs: &[SearchDocument]) -> sqlx::PgPool {
    let pool = super::pg_pool("portal_bench_fts", 1).await;
    for statement in [
        "DROP SCHEMA IF EXISTS portal_bench_fts CASCADE",
        "CREATE SCHEMA portal_bench_fts",
        "CREATE TABLE docs (key TEXT PRIMARY KEY, portal TEXT NOT NULL, label TEXT NOT NULL,
            title TEXT NOT NULL, body TEXT NOT NULL,
            tsv tsvector GENERATED ALWAYS AS
                (setweight(to_tsvector('english', title), 'A') || to_tsvector('english', body)) STORED)",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    let c = columns(docs);
    for start in (0..docs.len()).step_by(5_000) {
        let end = (start + 5_000).min(docs.len());
        sqlx::query(
            "INSERT INTO docs (key, portal, label, title, body)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
        )
        .bind(&c.key[start..end])
        .bind(&c.portal[start..end])
        .bind(&c.label[start..end])
        .bind(&c.title[start..end])
        .bind(&c.body[start..end])
        .execute(&pool)
        .await
        .unwrap();
    }
    for statement in ["CREATE INDEX docs_tsv ON docs USING GIN (tsv)", "VACUUM ANALYZE docs"] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool
}

async fn postgres_search(pool: &sqlx::PgPool, portal: &str, text: &str) {
    let any = text.split_whitespace().collect::<Vec<_>>().join(" or ");
    let rows = sqlx::query(
        "SELECT key, title, ts_rank(tsv, q) AS rank
         FROM docs, websearch_to_tsquery('english', $1) AS q
         WHERE tsv @@ q AND portal = $2 AND label = ANY($3)
         ORDER BY rank DESC LIMIT 10",
    )
    .bind(any)
    .bind(portal)
    .bind(&CUSTOMER[..])
    .fetch_all(pool)
    .await
    .unwrap();
    for row in rows {
        black_box((row.get::<String, _>(0), row.get::<String, _>(1)));
    }
}

async fn sqlite(file: &std::path::Path, docs: &[SearchDocument]) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    sqlx::query(
        "CREATE VIRTUAL TABLE docs USING fts5(title, body, key UNINDEXED, portal UNINDEXED, label UNINDEXED,
            tokenize = 'porter unicode61')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    for d in docs {
        sqlx::query("INSERT INTO docs (title, body, key, portal, label) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(&d.title)
            .bind(&d.body)
            .bind(&d.key)
            .bind(d.portal_id.to_string())
            .bind(d.visibility.as_str())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query("INSERT INTO docs (docs) VALUES ('optimize')").execute(&pool).await.unwrap();
    pool
}

async fn sqlite_search(pool: &sqlx::SqlitePool, portal: &str, text: &str) {
    let any = text.split_whitespace().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>();
    let rows = sqlx::query(
        "SELECT key, title FROM docs
         WHERE docs MATCH ?1 AND portal = ?2 AND label IN ('public', 'customers')
         ORDER BY bm25(docs, 2.0, 1.0) LIMIT 10",
    )
    .bind(any.join(" OR "))
    .bind(portal)
    .fetch_all(pool)
    .await
    .unwrap();
    for row in rows {
        black_box((row.get::<String, _>(0), row.get::<String, _>(1)));
    }
}
