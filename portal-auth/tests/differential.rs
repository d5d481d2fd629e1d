//! The compiled index and casbin-rs give the same decision: random policies (allow and deny
//! lines in `*` and in portals, role links in `*` and in portals) and random requests, within
//! the shipped model, each request asked of both. At least 10,000 requests per run.

use portal_auth::compiled::PolicyIndex;
use portal_auth::{CasbinAuthorizer, DEFAULT_MODEL};
use portal_core::model::PolicyRule;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;

const ROLES: &[&str] = &["anonymous", "customer", "agent", "admin", "r4", "r5"];
/// Portal ids are UUIDs; casbin compares their text, so another spelling is another domain.
const PORTAL: &str = "01939a3e-7c4b-7d2e-9f10-2b3c4d5e6f70";
const PORTAL_UPPER: &str = "01939A3E-7C4B-7D2E-9F10-2B3C4D5E6F70";
const LINE_DOMAINS: &[&str] = &["*", "tenant1", "tenant10", "acme.com", PORTAL, PORTAL_UPPER];
const REQUEST_DOMAINS: &[&str] = &["tenant1", "tenant10", "tenant2", "acme.com", "acmexcom", "*", PORTAL, PORTAL_UPPER];
const OBJECTS: &[&str] = &["article:public", "ticket:own", "member"];
const ACTIONS: &[&str] = &["read", "approve"];
const CASES: u32 = 400;
const REQUESTS_PER_CASE: usize = 30;

fn pick(from: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(from)
}

fn p_line() -> impl Strategy<Value = PolicyRule> {
    (pick(ROLES), pick(LINE_DOMAINS), pick(OBJECTS), pick(ACTIONS), prop::bool::weighted(0.8)).prop_map(
        |(role, dom, obj, act, allow)| {
            PolicyRule::new("p", [role, dom, obj, act, if allow { "allow" } else { "deny" }]).unwrap()
        },
    )
}

fn g_line() -> impl Strategy<Value = PolicyRule> {
    (pick(ROLES), pick(ROLES), pick(LINE_DOMAINS))
        .prop_map(|(from, to, dom)| PolicyRule::new("g", [from, to, dom]).unwrap())
}

fn request() -> impl Strategy<Value = [&'static str; 4]> {
    (pick(ROLES), pick(REQUEST_DOMAINS), pick(OBJECTS), pick(ACTIONS)).prop_map(|(r, d, o, a)| [r, d, o, a])
}

#[test]
fn compiled_index_and_casbin_rs_decide_alike() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let compared = Cell::new(0usize);
    let policy = (prop::collection::vec(p_line(), 0..24), prop::collection::vec(g_line(), 0..10));
    let cases = (policy, prop::collection::vec(request(), REQUESTS_PER_CASE));
    let mut runner = TestRunner::new(Config { cases: CASES, ..Config::default() });
    runner
        .run(&cases, |((p_lines, g_lines), requests)| {
            let rules: Vec<PolicyRule> = g_lines.into_iter().chain(p_lines).collect();
            let csv: String = rules.iter().map(|r| format!("{r}\n")).collect();
            let casbin = rt.block_on(CasbinAuthorizer::from_strings(DEFAULT_MODEL, &csv)).unwrap();
            let index = PolicyIndex::compile(&rules).unwrap();
            for [role, dom, obj, act] in requests {
                let expected = rt.block_on(casbin.enforce(role, dom, obj, act)).unwrap();
                prop_assert_eq!(
                    index.decide(role, dom, obj, act),
                    expected,
                    "request ({}, {}, {}, {}) under\n{}",
                    role,
                    dom,
                    obj,
                    act,
                    csv
                );
                compared.set(compared.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert!(compared.get() >= 10_000, "only {} requests compared", compared.get());
}
