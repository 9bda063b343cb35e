//! `stepwise token`: a JWT of the local issuer that the jobs API's verifier (with the
//! same key file) accepts for the tenant asked for; the key file is created once.

use assert_cmd::Command;
use stepwise_jobs_api::jwt::LocalKey;

#[test]
fn the_token_names_the_tenant_and_verifies_with_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys/jobs.key");
    let run = |tenant: &str| {
        let out = Command::cargo_bin("stepwise")
            .unwrap()
            .args(["token", "--tenant", tenant, "--key"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let first = run("acme");
    let second = run("globex");
    let verifier = LocalKey::load_or_create(&key)
        .unwrap()
        .verifier(stepwise_jobs_api::openapi::DEFAULT_TENANT_CLAIM);
    assert_eq!(
        verifier.tenant(Some(&format!("Bearer {first}"))).unwrap(),
        "acme"
    );
    assert_eq!(
        verifier.tenant(Some(&format!("Bearer {second}"))).unwrap(),
        "globex"
    );
    let other = tempfile::tempdir().unwrap();
    let stranger = LocalKey::load_or_create(&other.path().join("k")).unwrap();
    assert!(
        stranger
            .verifier("custom:tenant")
            .tenant(Some(&format!("Bearer {first}")))
            .is_err(),
        "another key's verifier refuses it"
    );
}

#[test]
fn a_bad_tenant_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("stepwise")
        .unwrap()
        .args(["token", "--tenant", "a/b", "--key"])
        .arg(dir.path().join("k"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--tenant"));
}
