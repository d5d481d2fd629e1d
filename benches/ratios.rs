//! Performance goals as ratios against a baseline measured side by side in the same process
//! (see PERFORMANCE.md). Prints one `ratio <ID> <value>` line per goal.
//!
//! `cargo bench --bench ratios` runs every goal; `cargo bench --bench ratios -- T1 T2` runs those.
//!
//! - T1: session validation through the portal vs a raw SHA-256 of the token + hash-map lookup
//!   (goal <= 2x).
//! - T2: password hashing through the portal's hasher vs raw `argon2` with the same parameters
//!   (goal 1.00 +/- 0.05x).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, SaltString};
use portal::auth::{Argon2Config, Argon2Hasher};
use portal::core::ports::PasswordHasher;
use portal::core::secret::{Password, SecretToken};
use portal::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hint::black_box;
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
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Run baseline and candidate alternately (A B A B …) after a warm-up; per-op medians.
fn interleaved(
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
    let baseline = || {
        let start = Instant::now();
        for _ in 0..OPS {
            let salt = SaltString::generate(&mut OsRng);
            black_box(raw.hash_password(password.expose().as_bytes(), &salt).unwrap().to_string());
        }
        start.elapsed()
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
