//! Issue 11 at the command line: output that cannot be written, definitions over the
//! limit, one validator for every command, usage mistakes caught before anything runs.

use std::path::{Path, PathBuf};
use std::process::{Command as Std, Stdio};

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use predicates::prelude::*;

fn stepwise() -> Command {
    Command::cargo_bin("stepwise").expect("the stepwise binary is built")
}

fn bin() -> PathBuf {
    Std::cargo_bin("stepwise")
        .expect("the stepwise binary is built")
        .get_program()
        .into()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a":1},"End":true}}}"#;

/// Runs `sh -c script` with `$0` the stepwise binary and `$1` `arg`; status and stderr.
fn shell(script: &str, arg: &Path) -> (Option<i32>, String) {
    let out = Std::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin())
        .arg(arg)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A valid definition whose `fmt`, `graph` and `exec` outputs are each far larger than
/// a pipe's buffer, so a reader that stops after one byte closes the pipe mid-write.
fn big_outputs() -> String {
    let n = 3000;
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let mut s = serde_json::json!({"Type": "Pass"});
        if i + 1 < n {
            s["Next"] = format!("Step{}", i + 1).into();
        } else {
            s["End"] = true.into();
            s["Result"] = "x".repeat(200_000).into();
        }
        states.insert(format!("Step{i}"), s);
    }
    serde_json::json!({"StartAt": "Step0", "States": states}).to_string()
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(&dir, "p.asl.json", &big_outputs());
    for command in [
        r#""$0" fmt "$1""#,
        r#""$0" graph "$1""#,
        r#""$0" exec --definition "$1""#,
    ] {
        // `set -o pipefail` is not POSIX: the writer's status goes through a file.
        let script = format!(
            r#"( {command} 2>"$1.err"; echo $? >"$1.rc" ) | head -c1 >/dev/null; cat "$1.err" >&2; exit "$(cat "$1.rc")""#
        );
        let (code, stderr) = shell(&script, &def);
        assert_eq!(code, Some(0), "{command}: {stderr}");
        assert_eq!(stderr, "", "{command}");
    }
}

#[test]
fn a_full_or_closed_stdout_is_an_error_not_a_panic_or_a_silent_success() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(&dir, "p.asl.json", PASS);
    for script in [
        r#""$0" fmt "$1" >/dev/full"#,
        r#""$0" graph "$1" >/dev/full"#,
        r#""$0" exec --definition "$1" >/dev/full"#,
        r#""$0" exec --definition "$1" >&-"#,
        r#""$0" validate "$1" >&-"#,
    ] {
        let (code, stderr) = shell(script, &def);
        assert_eq!(code, Some(1), "{script}: {stderr}");
        assert!(!stderr.contains("panicked"), "{script}: {stderr}");
        assert!(
            stderr.contains("cannot write to stdout"),
            "{script}: {stderr}"
        );
    }
    // The timeline into a broken stderr: exit 1, no panic (nothing left to say it on).
    for script in [
        r#""$0" exec --timeline --definition "$1" 2>/dev/full"#,
        r#""$0" exec --timeline --definition "$1" 2>&-"#,
    ] {
        let (code, _) = shell(script, &def);
        assert_eq!(code, Some(1), "{script}");
    }
}

#[test]
fn definitions_over_one_megabyte_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let padding = " ".repeat(1_048_577);
    let def = write(&dir, "big.asl.json", &format!("{PASS}{padding}"));
    let message = "Step Functions accepts at most 1048576 bytes (1 MB)";
    stepwise()
        .arg("validate")
        .arg(&def)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(message));
    for args in [vec!["fmt"], vec!["graph"], vec!["exec", "--definition"]] {
        stepwise().args(&args).arg(&def).assert().code(1).stderr(
            predicate::str::contains(message)
                .and(predicate::str::contains(def.display().to_string())),
        );
    }
}

#[test]
fn oversized_input_is_named_and_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(&dir, "p.asl.json", PASS);
    let big = write(
        &dir,
        "big.json",
        &format!("{{\"s\": \"{}\"}}", "x".repeat(300_000)),
    );
    // (An inline --input cannot get that large: Linux caps one argument at 128 KiB.)
    let input = format!("@{}", big.display());
    stepwise()
        .args(["exec", "--definition"])
        .arg(&def)
        .arg("--input")
        .arg(&input)
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("States.DataLimitExceeded")
                .and(predicate::str::contains("the execution\"").not()),
        );
}

#[test]
fn every_command_uses_the_one_validator() {
    let dir = tempfile::tempdir().unwrap();
    for (name, timestamp) in [
        ("feb30.asl.json", "2026-02-30T00:00:00Z"),
        ("offset.asl.json", "2026-01-01T00:00:00+25:00"),
    ] {
        let def = write(
            &dir,
            name,
            &format!(
                r#"{{"StartAt":"W","States":{{"W":{{"Type":"Wait","Timestamp":"{timestamp}","End":true}}}}}}"#
            ),
        );
        stepwise()
            .arg("validate")
            .arg(&def)
            .assert()
            .code(1)
            .stdout(predicate::str::contains("Timestamp"));
        for args in [vec!["fmt"], vec!["graph"], vec!["exec", "--definition"]] {
            stepwise()
                .args(&args)
                .arg(&def)
                .assert()
                .code(1)
                .stdout("")
                .stderr(
                    predicate::str::contains(format!("{}: State \"W\"", def.display()))
                        .and(predicate::str::contains("Timestamp")),
                );
        }
    }
}

#[test]
fn usage_mistakes_are_caught_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(&dir, "p.asl.json", PASS);
    stepwise()
        .args(["exec", "--input", "@", "--definition"])
        .arg(&def)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--input @FILE needs a file name"));
    // A Wait of a day in real time: the refusal must come before it.
    let wait = write(
        &dir,
        "w.asl.json",
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":86400,"End":true}}}"#,
    );
    stepwise()
        .args([
            "exec",
            "--history",
            "/nonexistent-dir/h.json",
            "--definition",
        ])
        .arg(&wait)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("/nonexistent-dir/h.json"));
}

#[test]
fn messages_name_no_rust_types() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        &dir,
        "t.asl.json",
        r#"{"StartAt":"P","TimeoutSeconds":"soon","States":{"P":{"Type":"Pass","End":true}}}"#,
    );
    stepwise()
        .arg("validate")
        .arg(&def)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("expected an integer")
                .and(predicate::str::contains("i64").not()),
        );
    let mock = write(&dir, "m.json", "3");
    stepwise()
        .args(["exec", "--definition"])
        .arg(write(&dir, "p.asl.json", PASS))
        .arg("--mock-config")
        .arg(&mock)
        .args(["--test-case", "X"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("expected an object")
                .and(predicate::str::contains("RawConfig").not()),
        );
}

#[test]
fn an_ambiguous_test_case_names_its_machines() {
    let dir = tempfile::tempdir().unwrap();
    let mock = write(
        &dir,
        "m.json",
        r#"{"StateMachines":{"a":{"TestCases":{"T":{}}},"b":{"TestCases":{"T":{}}}},"MockedResponses":{}}"#,
    );
    stepwise()
        .args(["exec", "--definition"])
        .arg(write(&dir, "other.asl.json", PASS))
        .arg("--mock-config")
        .arg(&mock)
        .args(["--test-case", "T"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("several state machines (a, b)"));
    // Named by the definition's file name, the machine's own test case is chosen.
    stepwise()
        .args(["exec", "--definition"])
        .arg(write(&dir, "b.asl.json", PASS))
        .arg("--mock-config")
        .arg(&mock)
        .args(["--test-case", "T"])
        .assert()
        .success();
}
