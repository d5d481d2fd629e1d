//! Debug a casbin policy: print one decision (`allow` / `deny`) per request.
//!
//! ```text
//! cargo run --example policy_check -- <model.conf> <policy.csv> <requests.csv>
//! cargo run --example policy_check -- --default <requests.csv>   # the shipped model and policy
//! ```
//!
//! Requests are CSV lines `role, portal, object, action` (blank lines and `#` comments are
//! skipped). Decisions come from casbin-rs itself, so they can be compared with any other casbin
//! implementation; when the model is the shipped one, the compiled index the portal uses is asked
//! too, and any disagreement is reported on stderr (exit status 3).

use portal::auth::compiled::PolicyIndex;
use portal::auth::{CasbinAuthorizer, DEFAULT_MODEL, DEFAULT_POLICY};
use portal::core::model::PolicyRule;
use std::process::ExitCode;

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// Non-empty, non-comment lines, split on commas and trimmed, with their line numbers.
fn csv_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n, l.split(',').map(str::trim).collect()))
}

/// The normalized text of a model, to recognise the shipped one.
fn normalized(model: &str) -> String {
    csv_lines(model).map(|(_, fields)| fields.join(",").replace(' ', "")).collect::<Vec<_>>().join("\n")
}

async fn run(args: &[String]) -> Result<bool, String> {
    let (model, policy, requests) = match args {
        [flag, requests] if flag == "--default" => {
            (DEFAULT_MODEL.to_owned(), DEFAULT_POLICY.to_owned(), read(requests)?)
        }
        [model, policy, requests] => (read(model)?, read(policy)?, read(requests)?),
        _ => {
            return Err("usage: policy_check <model.conf> <policy.csv> <requests.csv> | --default <requests.csv>".into())
        }
    };
    let casbin = CasbinAuthorizer::from_strings(&model, &policy).await.map_err(|e| format!("{e:?}"))?;
    let compiled = if normalized(&model) == normalized(DEFAULT_MODEL) {
        let rules = csv_lines(&policy)
            .map(|(n, f)| PolicyRule::new(f[0], f[1..].iter().copied()).map_err(|e| format!("policy line {n}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Some(PolicyIndex::compile(&rules).map_err(|e| format!("{e:?}"))?)
    } else {
        None
    };
    let mut agree = true;
    for (n, fields) in csv_lines(&requests) {
        let [role, portal, object, action] = fields[..] else {
            return Err(format!("request line {n}: expected role, portal, object, action"));
        };
        let allowed = casbin.enforce(role, portal, object, action).await.map_err(|e| format!("{e:?}"))?;
        println!("{}", if allowed { "allow" } else { "deny" });
        if let Some(index) = &compiled {
            if index.decide(role, portal, object, action) != allowed {
                eprintln!("request line {n}: the compiled index disagrees with casbin-rs");
                agree = false;
            }
        }
    }
    Ok(agree)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
