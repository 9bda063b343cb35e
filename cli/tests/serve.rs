//! `stepwise serve`'s command line: its help says it accepts any signature, and bad
//! settings (a flag or a stepfunctions-local variable) stop it before it listens.

use assert_cmd::Command;
use predicates::prelude::*;

fn stepwise() -> Command {
    Command::cargo_bin("stepwise").expect("the stepwise binary is built")
}

#[test]
fn help_says_any_signature_is_accepted_and_names_the_stepfunctions_local_variables() {
    stepwise()
        .args(["serve", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("SigV4"))
        .stdout(predicate::str::contains("SFN_MOCK_CONFIG"))
        .stdout(predicate::str::contains("WAIT_TIME_SCALE"));
}

#[test]
fn bad_settings_are_refused_by_name_before_listening() {
    stepwise()
        .args(["serve", "--port", "0"])
        .env("WAIT_TIME_SCALE", "fast")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("WAIT_TIME_SCALE"));
    let dir = tempfile::tempdir().unwrap();
    let mock = dir.path().join("mock.json");
    std::fs::write(&mock, "{not json").unwrap();
    stepwise()
        .args(["serve", "--port", "0", "--mock-config"])
        .arg(&mock)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("mock.json"));
    stepwise()
        .args(["serve", "--port", "0"])
        .env("SFN_MOCK_CONFIG", dir.path().join("missing.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing.json"));
}
