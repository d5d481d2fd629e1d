//! The policy checking tool (`examples/policy_check.rs`): one decision per request line, from
//! casbin-rs, with the compiled index checked against it.

use std::path::PathBuf;
use std::process::Command;

/// `cargo test` builds the examples next to the test binaries (`target/<profile>/examples`).
fn tool() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("examples").join(format!("policy_check{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: cargo test builds examples", path.display());
    path
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(tool()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_one_decision_per_request_for_the_shipped_policy() {
    let dir = tempfile::tempdir().unwrap();
    let requests = dir.path().join("requests.csv");
    std::fs::write(
        &requests,
        "# role, portal, object, action\n\
         admin, p1, member, approve\n\
         agent, p1, member, approve\n\
         \n\
         customer, p1, article:public, read\n\
         anonymous, p1, article:customers, read\n\
         admin, p1, article:internal, read\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["--default", requests.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "allow\ndeny\nallow\ndeny\nallow\n");
}

#[test]
fn z10_a_custom_policy_file_and_bad_input_are_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let model = write("model.conf", portal::auth::DEFAULT_MODEL);
    let policy = write("policy.csv", "p, admin, tenant1, member, list, allow\n");
    let requests = write("requests.csv", "admin, tenant1, member, list\nadmin, tenant10, member, list\n");
    let (code, stdout, stderr) = run(&[&model, &policy, &requests]);
    assert_eq!((code, stdout.as_str()), (0, "allow\ndeny\n"), "{stderr}");

    let bad_request = write("bad.csv", "admin, tenant1, member\n");
    let (code, _, stderr) = run(&[&model, &policy, &bad_request]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 1"), "{stderr}");
    let bad_policy = write("bad_policy.csv", "p, admin, tenant1, member, list, perhaps\n");
    let (code, _, stderr) = run(&[&model, &bad_policy, &requests]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = run(&["only-one-argument"]);
    assert_eq!(code, 2);
}
