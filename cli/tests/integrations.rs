//! `stepwise exec` runs AWS service integrations: an integration sfn-local does not run is
//! refused before the run, and a served one calls the endpoint the standard environment
//! names (here a closed loopback port, so the call gets no answer: `States.TaskFailed`).

use assert_cmd::Command;
use predicates::prelude::*;

/// The binary with static local credentials and `endpoint` for every service, and no
/// instance metadata lookups.
fn stepwise(endpoint: &str) -> Command {
    let mut cmd = Command::cargo_bin("stepwise").expect("the stepwise binary is built");
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
    cmd
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn definition(resource: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let asl = serde_json::json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": resource,
        "Parameters": {"TableName": "orders", "Key": {"pk": {"S": "1"}}},
        "End": true}}});
    std::fs::write(file.path(), asl.to_string()).expect("write");
    file
}

#[test]
fn exec_refuses_an_integration_it_does_not_run_before_the_run() {
    let file = definition("arn:aws:states:::dynamodb:query");
    stepwise("http://127.0.0.1:1")
        .args(["exec", "--definition"])
        .arg(file.path())
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("State \"Call\"")
                .and(predicate::str::contains("arn:aws:states:::dynamodb:query"))
                .and(predicate::str::contains("sfn-local does not run")),
        );
}

#[test]
fn exec_calls_the_endpoint_the_environment_names() {
    let file = definition("arn:aws:states:::dynamodb:getItem");
    let port = closed_port();
    let output = stepwise(&format!("http://127.0.0.1:{port}"))
        .args(["exec", "--definition"])
        .arg(file.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let result: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("a JSON failure on stdout");
    assert_eq!(result["error"], "States.TaskFailed", "{result}");
    let cause = result["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("arn:aws:states:::dynamodb:getItem: the service did not answer"),
        "{cause}"
    );
}
