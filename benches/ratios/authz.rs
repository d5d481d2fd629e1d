//! Authorization goals (PERFORMANCE.md):
//!
//! - A1: casbin-rs `enforce` time / compiled check time, same model and policy, at 450 and
//!   4,500 policy rows (goals >= 100 and >= 1,000). `A1-<rows>` is a mix of allowed and denied
//!   requests; `-allow` and `-deny` lines show each kind alone.
//! - A2: compiled check time at 45,000 rows / at 45 rows (goal <= 1.3).
//! - A4: a loop of 10,000 single checks / one bulk `filter` of the same 10,000 records, both
//!   through the `Authorizer` port of the default (compiled) authorizer (goal >= 50). `A4` is
//!   tickets a customer may see (own, organisation-shared, others'); `A4-labels` is articles
//!   by visibility label.
//!
//! The policy: `rows` lines over `rows / 15` portals (real portal ids), 12 roles with a
//! three-link hierarchy in `*`, 7 objects, 5 actions, one line in ten a deny.

use casbin::CoreApi;
use portal::auth::{CompiledAuthorizer, StorageAdapter, DEFAULT_MODEL};
use portal::core::model::{OrganizationId, PortalId, Principal, Role, UserId};
use portal::core::ports::Storage;
use portal::core::ports::{Authorizer, Item};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{median, REPS};

/// A request: who asks, for which object and action.
struct Request {
    principal: Principal,
    object: String,
    action: &'static str,
}

const ACTIONS: [&str; 5] = ["read", "create", "reply", "approve", "export"];

/// A policy of `rows` lines (casbin CSV) and requests it allows and denies.
fn policy(rows: usize) -> (String, Vec<Request>, Vec<Request>) {
    let portals: Vec<PortalId> = (0..(rows / 15).max(1)).map(|_| PortalId::new()).collect();
    let mut csv = String::from("g, role1, role0, *\ng, role2, role1, *\ng, role3, role2, *\n");
    let (mut allowed, mut denied) = (Vec::new(), Vec::new());
    let sample_every = (rows / 200).max(1);
    for i in 0..rows.saturating_sub(3) {
        let (role, portal, object) = (format!("role{}", i % 12), portals[i % portals.len()], format!("obj{}", i % 7));
        let deny = i % 10 == 9;
        let action = ACTIONS[i % 5];
        csv.push_str(&format!("p, {role}, {portal}, {object}, {action}, {}\n", if deny { "deny" } else { "allow" }));
        let principal = Principal {
            user_id: Some(UserId::new()),
            roles: [Role::new(role).unwrap()].into(),
            ..Principal::anonymous(portal)
        };
        if i % sample_every == 0 && !deny {
            allowed.push(Request { principal: principal.clone(), object: object.clone(), action });
            denied.push(Request { principal, object, action: "purge" });
        }
    }
    (csv, allowed, denied)
}

/// Per-request medians of `a` and `b` over the same requests, run alternately after a warm-up.
fn side_by_side(mut a: impl FnMut() -> Duration, mut b: impl FnMut() -> Duration) -> (f64, f64) {
    a();
    b();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..REPS {
        ta.push(a().as_secs_f64());
        tb.push(b().as_secs_f64());
    }
    (median(ta), median(tb))
}

/// Time `rounds` passes of `check` over `requests`; per request.
fn per_request(requests: &[&Request], rounds: usize, mut check: impl FnMut(&Request) -> bool) -> Duration {
    let start = Instant::now();
    for _ in 0..rounds {
        for r in requests {
            black_box(check(r));
        }
    }
    start.elapsed() / (rounds * requests.len()) as u32
}

/// casbin-rs's plain `Enforcer` (no decision cache: every request is evaluated) and the
/// compiled index, over one stored policy.
struct Pair {
    casbin: casbin::Enforcer,
    compiled: CompiledAuthorizer,
}

impl Pair {
    fn new(rt: &tokio::runtime::Runtime, csv: &str) -> Self {
        rt.block_on(async {
            let store: Arc<dyn Storage> = Arc::new(portal::core::memory::MemoryStore::new());
            let compiled = CompiledAuthorizer::with_storage(store.clone(), csv).await.unwrap();
            let model = casbin::DefaultModel::from_str(DEFAULT_MODEL).await.unwrap();
            let casbin = casbin::Enforcer::new(model, StorageAdapter::new(store)).await.unwrap();
            Pair { casbin, compiled }
        })
    }

    fn casbin(&self, r: &Request) -> bool {
        let domain = r.principal.portal_id.to_string();
        self.casbin.enforce((r.principal.roles[0].as_str(), domain.as_str(), r.object.as_str(), r.action)).unwrap()
    }

    fn compiled(&self, r: &Request) -> bool {
        self.compiled.check_now(&r.principal, &r.object, r.action)
    }
}

pub fn a1(rt: &tokio::runtime::Runtime) {
    for rows in [450, 4_500] {
        let (csv, allowed, denied) = policy(rows);
        let pair = Pair::new(rt, &csv);
        for r in allowed.iter().chain(&denied) {
            assert_eq!(pair.casbin(r), pair.compiled(r), "the two authorizers disagree");
        }
        let mixed: Vec<&Request> = allowed.iter().zip(&denied).flat_map(|(a, d)| [a, d]).collect();
        let casbin_rounds = if rows > 1_000 { 1 } else { 5 };
        let mut ratios = Vec::new();
        for (kind, requests) in
            [("", mixed.clone()), ("-allow", allowed.iter().collect()), ("-deny", denied.iter().collect())]
        {
            let (c, k) = side_by_side(
                || per_request(&requests, casbin_rounds, |r| pair.casbin(r)),
                || per_request(&requests, 20_000 / requests.len().max(1), |r| pair.compiled(r)),
            );
            println!("A1-{rows}{kind} casbin-rs {:.1} us/check, compiled {:.3} us/check", c * 1e6, k * 1e6);
            ratios.push((kind, c / k));
        }
        for (kind, ratio) in ratios {
            println!("ratio A1-{rows}{kind} {ratio:.0}");
        }
    }
}

pub fn a2(rt: &tokio::runtime::Runtime) {
    let (small_csv, small_allowed, small_denied) = policy(45);
    let (large_csv, large_allowed, large_denied) = policy(45_000);
    let small = Pair::new(rt, &small_csv);
    let large = Pair::new(rt, &large_csv);
    let mix = |a: &[Request], d: &[Request]| -> Vec<usize> { (0..a.len().min(d.len())).collect() };
    let small_reqs: Vec<&Request> =
        mix(&small_allowed, &small_denied).into_iter().flat_map(|i| [&small_allowed[i], &small_denied[i]]).collect();
    let large_reqs: Vec<&Request> =
        mix(&large_allowed, &large_denied).into_iter().flat_map(|i| [&large_allowed[i], &large_denied[i]]).collect();
    let (s, l) = side_by_side(
        || per_request(&small_reqs, 200_000 / small_reqs.len(), |r| small.compiled(r)),
        || per_request(&large_reqs, 200_000 / large_reqs.len(), |r| large.compiled(r)),
    );
    println!(
        "A2 compiled check {:.3} us at 45 rows, {:.3} us at 45,000 rows ({} / {} requests)",
        s * 1e6,
        l * 1e6,
        small_reqs.len(),
        large_reqs.len()
    );
    println!("ratio A2 {:.2}", l / s);
}

pub fn a4(rt: &tokio::runtime::Runtime) {
    const ITEMS: usize = 10_000;
    let authorizer = rt.block_on(CompiledAuthorizer::with_default_policy()).unwrap();
    let portal = PortalId::new();
    let acme = OrganizationId::new();
    let customer = Principal {
        user_id: Some(UserId::new()),
        roles: [Role::customer()].into(),
        organization: Some(acme),
        ..Principal::anonymous(portal)
    };
    let colleague = UserId::new();
    let tickets: Vec<Item> = (0..ITEMS)
        .map(|i| match i % 4 {
            0 => Item::owned(customer.user_id.unwrap(), Some(acme), false),
            1 => Item::owned(colleague, Some(acme), true),
            2 => Item::owned(colleague, Some(acme), false),
            _ => Item::owned(UserId::new(), None, false),
        })
        .collect();
    let labels = ["public", "customers", "internal"];
    let articles: Vec<String> = (0..ITEMS).map(|i| labels[i % 3].to_owned()).collect();
    let articles: Vec<Item> = articles.iter().map(|l| Item::labeled(l)).collect();
    for (name, kind, items) in [("A4", "ticket", &tickets), ("A4-labels", "article", &articles)] {
        // What a caller without `filter` does: each record's objects, each checked alone.
        let objects: Vec<Vec<String>> = items.iter().map(|item| item.objects(kind, &customer)).collect();
        let single = || {
            rt.block_on(async {
                let start = Instant::now();
                let mut allowed = Vec::with_capacity(objects.len());
                for objs in &objects {
                    let mut any = false;
                    for o in objs {
                        if authorizer.check(&customer, o, "read").await.unwrap() {
                            any = true;
                            break;
                        }
                    }
                    allowed.push(any);
                }
                black_box(allowed);
                start.elapsed()
            })
        };
        let bulk = || {
            rt.block_on(async {
                let start = Instant::now();
                black_box(authorizer.filter(&customer, kind, "read", items).await.unwrap());
                start.elapsed()
            })
        };
        let expected: Vec<bool> = rt.block_on(authorizer.filter(&customer, kind, "read", items)).unwrap();
        assert!(expected.iter().any(|a| *a), "the customer sees some {kind}s");
        let (s, b) = side_by_side(single, bulk);
        println!("{name} {ITEMS} single checks {:.1} us, one filter {:.1} us", s * 1e6, b * 1e6);
        println!("ratio {name} {:.0}", s / b);
    }
}
