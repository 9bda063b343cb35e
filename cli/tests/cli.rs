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
            predicate::str::contains("neither a workflow (daily-sales-export, example-orders, ")
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
        "lake-tables.json",
    ] {
        assert!(out.join(name).is_file(), "{name} not written");
    }
    // The lake's tables for the deployment: both datasets with their Iceberg schemas.
    let lake: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("lake-tables.json")).unwrap())
            .unwrap();
    assert_eq!(lake["namespace"], "lake");
    assert_eq!(lake["tables"][0]["name"], "smartgo_sales");
    assert_eq!(lake["tables"][1]["name"], "sales_history");
    assert_eq!(lake["tables"][0]["schema"]["type"], "struct");
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

fn write_temp(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn exec_prints_the_output_or_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let ok = write_temp(
        &dir,
        "ok.asl.json",
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a, $.b)"},"End":true}}}"#,
    );
    stepwise()
        .args(["exec", "--definition"])
        .arg(&ok)
        .args(["--input", r#"{"a": 2, "b": 3}"#])
        .assert()
        .success()
        .stdout("{\n  \"sum\": 5\n}\n");
    let failing = write_temp(
        &dir,
        "fail.asl.json",
        r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope","Cause":"because"}}}"#,
    );
    stepwise()
        .args(["exec", "--definition"])
        .arg(&failing)
        .assert()
        .code(1)
        .stdout("{\"error\":\"Nope\",\"cause\":\"because\"}\n");
}

#[test]
fn exec_starts_a_generated_workflow_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let example: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(generated_dir().join("example-orders.input.example.json"))
            .unwrap(),
    )
    .unwrap();
    let parent = serde_json::json!({"StartAt": "Orders", "States": {"Orders": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {
            "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:example-orders",
            "Input.$": "$"
        },
        "End": true
    }}});
    let def = write_temp(&dir, "parent.asl.json", &parent.to_string());
    let out = stepwise()
        .args(["exec", "--virtual-time", "--definition"])
        .arg(&def)
        .args(["--input", &example.to_string()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let output: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(output["Status"], "SUCCEEDED");
    // The child ran the real activities: 2 × 12.50 and 1 × 24.00, 10 % off each line.
    assert_eq!(output["Output"]["summary"]["total_cents"], 2250 + 2160);
    assert!(
        output["ExecutionArn"]
            .as_str()
            .unwrap()
            .contains(":execution:example-orders:")
    );
}

#[test]
fn exec_reads_input_files_and_writes_history() {
    let dir = tempfile::tempdir().unwrap();
    let def = write_temp(
        &dir,
        "w.asl.json",
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#,
    );
    let input = write_temp(&dir, "in.json", r#"{"x": 1}"#);
    let history = dir.path().join("history.json");
    let started = std::time::Instant::now();
    stepwise()
        .args(["exec", "--virtual-time", "--definition"])
        .arg(&def)
        .arg("--input")
        .arg(format!("@{}", input.display()))
        .arg("--history")
        .arg(&history)
        .arg("--timeline")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"x\": 1"))
        .stderr(
            predicate::str::contains("WaitStateEntered")
                .and(predicate::str::contains("ExecutionSucceeded")),
        );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    let kinds: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn exec_runs_the_generated_mock_config() {
    let generated = generated_dir();
    stepwise()
        .args(["exec", "--virtual-time", "--definition"])
        .arg(generated.join("example-orders.asl.json"))
        .arg("--input")
        .arg(format!(
            "@{}",
            generated
                .join("example-orders.input.example.json")
                .display()
        ))
        .arg("--mock-config")
        .arg(generated.join("example-orders.mock-config.json"))
        .args(["--test-case", "HappyPath"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"summary\"").and(predicate::str::contains("\"audit\"")));
}

#[test]
fn exec_rejects_bad_input_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let def = write_temp(
        &dir,
        "t.asl.json",
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${NoSuchActivity}","End":true}}}"#,
    );
    stepwise()
        .args(["exec", "--definition"])
        .arg(&def)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "names activity \"NoSuchActivity\", which is not registered",
        ));
    stepwise()
        .args(["exec", "--definition"])
        .arg(&def)
        .args(["--input", "{not json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid JSON input"));
    let generated = generated_dir();
    stepwise()
        .args(["exec", "--definition"])
        .arg(generated.join("example-orders.asl.json"))
        .arg("--mock-config")
        .arg(generated.join("example-orders.mock-config.json"))
        .args(["--test-case", "SadPath"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no test case named \"SadPath\"")
                .and(predicate::str::contains("example-orders/HappyPath")),
        );
    stepwise()
        .args(["exec", "--definition"])
        .arg(corpus("invalid/both-next-and-end.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("has both Next and End"));
}

#[test]
fn run_executes_a_workflow_with_the_real_activities_and_shows_progress() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.json");
    let out = stepwise()
        .args(["run", "example-orders", "--virtual-time", "--history"])
        .arg(&history)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("▶ ValidateOrder").and(predicate::str::contains(
                "Price lines: 2 items, 2 succeeded, 0 failed",
            )),
        )
        .get_output()
        .stdout
        .clone();
    let output: serde_json::Value = serde_json::from_slice(&out).unwrap();
    // 2 × 12.50 and 1 × 24.00, 10 % off each line.
    assert_eq!(output["summary"]["total_cents"], 2250 + 2160);
    assert_eq!(output["summary"]["line_count"], 2);
    assert_eq!(output["audit"]["customer_id"], "customer-42");
    assert!(history.is_file());
    stepwise()
        .args(["run", "no-such-workflow"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "workflows: daily-sales-export, example-orders",
        ));
}
