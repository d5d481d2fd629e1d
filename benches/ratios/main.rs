//! Performance goals as ratios against a baseline measured side by side in the same process
//! (see PERFORMANCE.md). Prints one `ratio <ID> <value>` line per goal.
//!
//! `cargo bench --bench ratios` runs every goal; `cargo bench --bench ratios -- T1 T2` runs those.
//!
//! - T1: session validation through the portal vs a raw SHA-256 of the token + hash-map lookup
//!   (goal <= 2x).
//! - T2: password hashing through the portal's hasher vs raw `argon2` with the same parameters
//!   (goal 1.00 +/- 0.05x).
//! - D1: storage operations (a transaction reading a user, a transaction appending an audit
//!   event) through `PostgresStore` / `SqliteStore` vs raw sqlx running the same statements on
//!   the same database (goals <= 1.1x / <= 1.2x). PostgreSQL from `PORTAL_TEST_POSTGRES_URL`
//!   (default `postgres://postgres@127.0.0.1:5432/test`, schema `portal_bench`). Commits are
//!   fsync-bound, so `D1-*-read` lines (the read transaction alone) show the adapter's own cost.
//! - A1, A2, A4: authorization (see `authz.rs`).
//! - S1, S2, S3, S7, S8: search (see `search.rs`).
//! - S5, S6: search vs PostgreSQL full-text search and SQLite FTS5 (see `fts.rs`).

mod authz;
mod corpus;
mod fts;
mod search;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, SaltString};
use portal::adapters::postgres::{PostgresOptions, PostgresStore};
use portal::adapters::sqlite::SqliteStore;
use portal::auth::{Argon2Config, Argon2Hasher};
use portal::core::model::{AuditEvent, AuditEventId, AuditOutcome, PortalId, User};
use portal::core::ports::PasswordHasher;
use portal::core::ports::Storage;
use portal::core::secret::{Password, SecretToken};
use portal::prelude::*;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const REPS: usize = 7;

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |id: &str| wanted.is_empty() || wanted.iter().any(|w| w == id);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if run("T1") {
        t1(&rt);
    }
    if run("T2") {
        t2(&rt);
    }
    if run("D1") {
        d1(&rt);
    }
    if run("A1") {
        authz::a1(&rt);
    }
    if run("A2") {
        authz::a2(&rt);
    }
    if run("A4") {
        authz::a4(&rt);
    }
    if run("S1") || run("S2") || run("S3") {
        search::s1_s2_s3(&rt, &run);
    }
    if run("S5") || run("S6") {
        fts::s5_s6(&rt, &run);
    }
    if run("S7") {
        search::s7(&rt);
    }
    if run("S8") {
        search::s8(&rt);
    }
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Run baseline and candidate alternately (A B A B …) after a warm-up; per-op medians.
pub(crate) fn interleaved(
    mut baseline: impl FnMut() -> Duration,
    mut candidate: impl FnMut() -> Duration,
    ops: usize,
) -> (f64, f64) {
    baseline();
    candidate();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..REPS {
        a.push(baseline().as_secs_f64() / ops as f64);
        b.push(candidate().as_secs_f64() / ops as f64);
    }
    (median(a), median(b))
}

fn t1(rt: &tokio::runtime::Runtime) {
    const SESSIONS: usize = 16;
    const OPS: usize = 20_000;
    let (portal, pid, tokens) = rt.block_on(async {
        let portal = Portal::in_memory().await.unwrap();
        let created = portal
            .access()
            .create_portal(NewPortal {
                slug: "bench".into(),
                name: "Bench".into(),
                mode: PortalMode::Public,
                owner_email: "owner@bench.example".into(),
            })
            .await
            .unwrap();
        let pid = created.portal.id;
        let anon = Principal::anonymous(pid);
        let pw = "quiet lanterns drift over calm water";
        portal
            .access()
            .register(
                &anon,
                Registration { email: "b@bench.example".into(), password: pw.into(), display_name: String::new() },
            )
            .await
            .unwrap();
        let mut tokens = Vec::new();
        for _ in 0..SESSIONS {
            let form = LoginRequest { email: "b@bench.example".into(), password: pw.into(), replaces: None };
            tokens.push(portal.access().login(&anon, form).await.unwrap().token.expose().to_owned());
        }
        (portal, pid, tokens)
    });
    // Baseline: what any session check must do at least — hash the token, look it up.
    let mut map: HashMap<[u8; 32], u64> = HashMap::new();
    for (i, t) in tokens.iter().enumerate() {
        map.insert(Sha256::digest(t.as_bytes()).into(), i as u64);
    }
    for _ in 0..10_000 {
        let t = SecretToken::generate().unwrap();
        map.insert(t.hash().0, 0);
    }
    let baseline = || {
        let start = Instant::now();
        for i in 0..OPS {
            let h: [u8; 32] = Sha256::digest(tokens[i % SESSIONS].as_bytes()).into();
            black_box(map.get(&h));
        }
        start.elapsed()
    };
    let candidate = || {
        rt.block_on(async {
            let start = Instant::now();
            for i in 0..OPS {
                black_box(portal.access().validate_session(pid, &tokens[i % SESSIONS]).await.unwrap());
            }
            start.elapsed()
        })
    };
    let (a, b) = interleaved(baseline, candidate, OPS);
    println!("T1 baseline {:.3} us/op, portal {:.3} us/op (in-memory store)", a * 1e6, b * 1e6);
    println!("ratio T1 {:.2}", b / a);
}

fn t2(rt: &tokio::runtime::Runtime) {
    const OPS: usize = 4;
    let hasher = Argon2Hasher::new(Argon2Config::default()).unwrap();
    let raw = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, hasher.params().clone());
    let password = Password::new("quiet lanterns drift over calm water").unwrap();
    // The raw loop runs on a blocking-pool thread too, as the portal's hashing does: the
    // allocator serves argon2's 19 MiB block differently on the main thread (measured: the
    // main thread alone made raw argon2 8-15% slower), which is not what T2 is about.
    let raw = std::sync::Arc::new(raw);
    let baseline = || {
        let (raw, password) = (raw.clone(), password.clone());
        rt.block_on(rt.spawn_blocking(move || {
            let start = Instant::now();
            for _ in 0..OPS {
                let salt = SaltString::generate(&mut OsRng);
                black_box(raw.hash_password(password.expose().as_bytes(), &salt).unwrap().to_string());
            }
            start.elapsed()
        }))
        .unwrap()
    };
    let candidate = || {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..OPS {
                black_box(hasher.hash(&password).await.unwrap());
            }
            start.elapsed()
        })
    };
    let (a, b) = interleaved(baseline, candidate, OPS);
    println!("T2 raw argon2 {:.2} ms/hash, portal {:.2} ms/hash (m=19MiB t=2 p=1)", a * 1e3, b * 1e3);
    println!("ratio T2 {:.3}", b / a);
}

/// One round of D1 work through a storage port: read a user, append an audit event, each in its
/// own transaction.
async fn d1_port_round(store: &dyn Storage, user: &User, event: &AuditEvent, write: bool) {
    let mut tx = store.begin().await.unwrap();
    black_box(tx.get_user(user.portal_id, user.id).await.unwrap());
    tx.commit().await.unwrap();
    if !write {
        return;
    }
    let event = AuditEvent { id: AuditEventId::new(), ..event.clone() };
    let mut tx = store.begin().await.unwrap();
    tx.append_audit(&event).await.unwrap();
    tx.commit().await.unwrap();
}

/// The same round in raw sqlx on a typed pool: the same statements, decoding into the same types.
macro_rules! d1_raw_round {
    ($pool:expr, $begin:expr, $user:expr, $event:expr, $write:expr) => {{
        let (user, e): (&User, &AuditEvent) = ($user, $event);
        let e = AuditEvent { id: AuditEventId::new(), ..e.clone() };
        let mut tx = $pool.begin_with($begin).await.unwrap();
        let row = sqlx::query("SELECT * FROM users WHERE portal_id = $1 AND id = $2")
            .bind(user.portal_id.to_string())
            .bind(user.id.to_string())
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        black_box(User {
            id: row.get::<String, _>("id").parse().unwrap(),
            portal_id: row.get::<String, _>("portal_id").parse().unwrap(),
            email: row.get("email"),
            display_name: row.get("display_name"),
            mfa_enabled: row.get("mfa_enabled"),
            created_at: chrono::DateTime::from_timestamp_micros(row.get("created_at")).unwrap(),
            version: row.get::<i64, _>("version") as u64,
        });
        tx.commit().await.unwrap();
        if $write {
            let mut tx = $pool.begin_with($begin).await.unwrap();
            sqlx::query(
                "INSERT INTO audit_events (portal_id, id, at, actor, action, target, outcome, request_id, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(e.portal_id.to_string())
            .bind(e.id.to_string())
            .bind(e.at.timestamp_micros())
            .bind(e.actor.map(|a| a.to_string()))
            .bind(&e.action)
            .bind(&e.target)
            .bind(e.outcome.as_str())
            .bind(&e.request_id)
            .bind(serde_json::to_string(&e.details).unwrap())
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
    }};
}

/// A portal with one member on `store`; returns the member and an audit event to append.
async fn d1_fixture(store: Arc<dyn Storage>) -> (User, AuditEvent) {
    let portal = Portal::builder().storage_arc(store.clone()).build().await.unwrap();
    let created = portal
        .access()
        .create_portal(NewPortal {
            slug: format!("d1-{}", PortalId::new().to_string().replace('-', "")),
            name: "D1".into(),
            mode: PortalMode::Public,
            owner_email: "owner@d1.example".into(),
        })
        .await
        .unwrap();
    let pid = created.portal.id;
    let mut tx = store.begin().await.unwrap();
    let user = tx.find_user_by_email(pid, "owner@d1.example").await.unwrap().unwrap();
    drop(tx);
    let who = Principal { user_id: Some(user.id), ..Principal::anonymous(pid) };
    let event = AuditEvent::new(&who, chrono::Utc::now(), "bench.d1", AuditOutcome::Success).detail("k", "v");
    (user, event)
}

const D1_OPS: usize = 200;

/// Run `round` `D1_OPS` times; the time taken.
async fn d1_timed<F: std::future::Future<Output = ()>>(round: impl Fn() -> F) -> Duration {
    let start = Instant::now();
    for _ in 0..D1_OPS {
        round().await;
    }
    start.elapsed()
}

/// Raw sqlx vs the store, reads alone (`D1-<db>-read`) and reads plus writes (`D1-<db>`).
fn d1_compare<R, P, RF, PF>(rt: &tokio::runtime::Runtime, db: &str, raw: R, port: P)
where
    R: Fn(bool) -> RF,
    P: Fn(bool) -> PF,
    RF: std::future::Future<Output = Duration>,
    PF: std::future::Future<Output = Duration>,
{
    for (suffix, write) in [("-read", false), ("", true)] {
        let (a, b) = interleaved(|| rt.block_on(raw(write)), || rt.block_on(port(write)), D1_OPS);
        println!("D1-{db}{suffix} raw sqlx {:.1} us/round, store {:.1} us/round", a * 1e6, b * 1e6);
        println!("ratio D1-{db}{suffix} {:.3}", b / a);
    }
}

/// The benchmark database (`PORTAL_TEST_POSTGRES_URL`, default the local test server).
fn postgres_url() -> String {
    std::env::var("PORTAL_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A raw sqlx pool on the benchmark database with `schema` first on the search path.
pub(crate) async fn pg_pool(schema: &str, connections: u32) -> sqlx::PgPool {
    let connect: sqlx::postgres::PgConnectOptions = postgres_url().parse().unwrap();
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(connect.options([("search_path", schema)]))
        .await
        .unwrap()
}

fn d1(rt: &tokio::runtime::Runtime) {
    // SQLite: the store and a raw pool on one file, the same pragmas.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d1.db");
    let (sqlite, raw_sqlite, user, event) = rt.block_on(async {
        let store: Arc<dyn Storage> = Arc::new(SqliteStore::open(&file).await.unwrap());
        let (user, event) = d1_fixture(store.clone()).await;
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let raw = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        (store, raw, user, event)
    });
    let (raw_sqlite, sqlite, user, event) = (&raw_sqlite, sqlite.as_ref(), &user, &event);
    d1_compare(
        rt,
        "sqlite",
        |write| d1_timed(move || async move { d1_raw_round!(raw_sqlite, "BEGIN IMMEDIATE", user, event, write) }),
        |write| d1_timed(move || d1_port_round(sqlite, user, event, write)),
    );

    let url = postgres_url();
    let (pg, raw_pg, user, event) = rt.block_on(async {
        let options = PostgresOptions::new(&url).schema("portal_bench").max_connections(2);
        let store: Arc<dyn Storage> = Arc::new(PostgresStore::connect_with(options).await.unwrap());
        let (user, event) = d1_fixture(store.clone()).await;
        let raw = pg_pool("portal_bench", 2).await;
        (store, raw, user, event)
    });
    let (raw_pg, pg, user, event) = (&raw_pg, pg.as_ref(), &user, &event);
    d1_compare(
        rt,
        "postgres",
        |write| {
            d1_timed(
                move || async move { d1_raw_round!(raw_pg, "BEGIN ISOLATION LEVEL SERIALIZABLE", user, event, write) },
            )
        },
        |write| d1_timed(move || d1_port_round(pg, user, event, write)),
    );
}
