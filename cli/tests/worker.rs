//! `stepwise worker`'s command line: bad `--activity`, `--concurrency` and `--heartbeat`
//! values are usage errors (exit 2) naming what is wrong, before any poll. Its work
//! against a server is tested in `tests/tests/serve_wiring.rs`.

use assert_cmd::Command;
use predicates::prelude::*;

const ARN: &str = "arn:aws:states:us-east-1:123456789012:activity:validate";

fn stepwise() -> Command {
    Command::cargo_bin("stepwise").expect("the stepwise binary is built")
}

#[test]
fn an_unknown_activity_is_refused_listing_the_known_ones() {
    stepwise()
        .args(["worker", "--activity", &format!("Nope={ARN}")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"Nope\""))
        .stderr(predicate::str::contains("ValidateOrder"));
}

#[test]
fn malformed_specs_and_settings_are_usage_errors() {
    for (args, says) in [
        (vec!["--activity", "ValidateOrder"], "expected NAME=ARN"),
        (
            vec!["--activity", "ValidateOrder=not-an-arn"],
            "expected NAME=ARN",
        ),
        (
            vec![
                "--activity",
                &format!("ValidateOrder={ARN}"),
                "--concurrency",
                "0",
            ],
            "--concurrency must be at least 1",
        ),
        (
            vec![
                "--activity",
                &format!("ValidateOrder={ARN}"),
                "--heartbeat",
                "0",
            ],
            "--heartbeat",
        ),
        (vec![], "--activity"),
    ] {
        stepwise()
            .arg("worker")
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}
