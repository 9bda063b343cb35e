//! The `stepwise` binary as a user runs it: exit codes, stdout/stderr, files written.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn stepwise() -> Command {
    Command::cargo_bin("stepwise").expect("the stepwise binary is built")
}

fn corpus(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../codegen/tests/asl")
        .join(path)
}

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../statemachines/generated")
}

#[test]
fn validate_accepts_valid_files_and_names_each_problem() {
    let valid = corpus("valid/map-inline-item-processor.json");
    stepwise()
        .arg("validate")
        .arg(&valid)
        .assert()
        .success()
        .stdout(predicate::str::contains(": valid"));

    let invalid = corpus("invalid/retry-backoff-below-one.json");
    stepwise()
        .args(["validate"])
        .arg(&valid)
        .arg(&invalid)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "{}: State \"A\": Retry[0].BackoffRate: must be >= 1.0",
            invalid.display()
        )));
}

#[test]
fn validate_reports_unreadable_files_on_stderr() {
    stepwise()
        .args(["validate", "/nonexistent/definition.asl.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/definition.asl.json"));
}

#[test]
fn fmt_prints_the_canonical_form() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(
        &file,
        r#"{"States":{"B":{"End":true,"Type":"Pass","ResultPath":null}},"StartAt":"B"}"#,
    )
    .unwrap();
    stepwise().arg("fmt").arg(&file).assert().success().stdout(
        "{\n  \"StartAt\": \"B\",\n  \"States\": {\n    \"B\": {\n      \"Type\": \"Pass\",\n      \"ResultPath\": null,\n      \"End\": true\n    }\n  }\n}\n",
    );
}

#[test]
fn fmt_rejects_broken_json_and_invalid_asl() {
    stepwise()
        .arg("fmt")
        .arg(corpus("invalid/broken-json.json"))
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("invalid JSON"));
    stepwise()
        .arg("fmt")
        .arg(corpus("invalid/unknown-type.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown Type"));
}

#[test]
fn graph_draws_workflows_and_files() {
    stepwise()
        .args(["graph", "example-orders"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("flowchart TD")
                .and(predicate::str::contains("Price lines (Map)")),
        );
    stepwise()
        .arg("graph")
        .arg(corpus("valid/parallel-branches.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("(Parallel)"));
    stepwise()
        .args(["graph", "no-such-workflow"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("neither a workflow (example-orders")
                .and(predicate::str::contains("nor a file")),
        );
}

#[test]
fn generate_writes_then_check_detects_every_kind_of_drift() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    stepwise()
        .arg("generate")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    for name in [
        "example-orders.asl.json",
        "example-orders.mmd",
        "example-orders.input.schema.json",
        "example-orders.input.example.json",
        "example-orders.mock-config.json",
        "manifest.json",
    ] {
        assert!(out.join(name).is_file(), "{name} not written");
    }
    stepwise()
        .args(["generate", "--check", "--out"])
        .arg(&out)
        .assert()
        .success();

    std::fs::write(out.join("example-orders.mmd"), "flowchart LR\n").unwrap();
    std::fs::remove_file(out.join("manifest.json")).unwrap();
    std::fs::write(out.join("gone.asl.json"), "{}").unwrap();
    let before = std::fs::read_to_string(out.join("example-orders.mmd")).unwrap();
    stepwise()
        .args(["generate", "--check", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("stale: ")
                .and(predicate::str::contains("example-orders.mmd"))
                .and(predicate::str::contains("missing: "))
                .and(predicate::str::contains("manifest.json"))
                .and(predicate::str::contains("extra: "))
                .and(predicate::str::contains("gone.asl.json")),
        );
    // --check writes nothing.
    assert_eq!(
        std::fs::read_to_string(out.join("example-orders.mmd")).unwrap(),
        before
    );
    assert!(!out.join("manifest.json").exists());

    stepwise()
        .arg("generate")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert!(!out.join("gone.asl.json").exists());
    stepwise()
        .args(["generate", "--check", "--out"])
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn committed_generated_files_are_up_to_date() {
    stepwise()
        .args(["generate", "--check", "--out"])
        .arg(generated_dir())
        .assert()
        .success();
}

#[test]
fn activities_lists_names_then_errors_and_prints_schemas() {
    stepwise()
        .arg("activities")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^PriceLine\s+InvalidInput, Throttled, Transient, NotFound, Permanent, DiscountTooHigh$").unwrap());
    let out = stepwise()
        .args(["activities", "--schema", "PriceLine"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["input"]["properties"]["quantity"]["type"], "integer");
    assert_eq!(doc["input"]["additionalProperties"], false);
    assert!(doc["output"]["properties"]["line_total_cents"].is_object());
    stepwise()
        .args(["activities", "--schema", "Nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no activity named \"Nope\""));
}

#[test]
fn usage_errors_exit_2() {
    stepwise().arg("frobnicate").assert().code(2);
    stepwise().arg("validate").assert().code(2);
}
