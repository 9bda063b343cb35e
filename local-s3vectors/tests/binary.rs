//! The `local-s3vectors` binary: the first stdout line names the address, it serves
//! the API with the options its flags set, and it exits when its piped stdin closes or
//! on SIGTERM.

use local_shutdown::harness::{post, wait_for_exit};
use std::process::{Child, ChildStdin, Command, Stdio};

/// Starts the binary on a free port with `flags`; returns it, its stdin and its address.
fn start(flags: &[&str]) -> (Child, ChildStdin, String) {
    local_shutdown::harness::start(env!("CARGO_BIN_EXE_local-s3vectors"), flags)
}

#[test]
fn serves_the_api_and_exits_when_stdin_closes() {
    let (mut child, stdin, addr) = start(&[]);
    let created = post(
        &addr,
        "/CreateVectorBucket",
        r#"{"vectorBucketName": "bin-test"}"#,
    );
    assert!(created.starts_with("HTTP/1.0 200"), "{created}");
    assert!(
        created.contains(
            r#""vectorBucketArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/bin-test""#
        ),
        "{created}"
    );
    let missing = post(
        &addr,
        "/GetIndex",
        r#"{"vectorBucketName": "bin-test", "indexName": "nope"}"#,
    );
    assert!(missing.starts_with("HTTP/1.0 404"), "{missing}");
    assert!(
        missing
            .to_ascii_lowercase()
            .contains("x-amzn-errortype: notfoundexception"),
        "{missing}"
    );
    let unknown = post(&addr, "/PutVectorBucketPolicy", "{}");
    assert!(unknown.starts_with("HTTP/1.0 404"), "{unknown}");
    assert!(unknown.contains("UnknownOperationException"), "{unknown}");

    drop(stdin);
    assert!(
        wait_for_exit(&mut child),
        "local-s3vectors ignored its closed stdin"
    );
}

#[test]
fn fault_flags_fail_put_vectors_and_bad_flags_are_usage_errors() {
    let (mut child, _stdin, addr) = start(&["--fault-rate", "1", "--fault-status", "503"]);
    post(
        &addr,
        "/CreateVectorBucket",
        r#"{"vectorBucketName": "flags"}"#,
    );
    post(
        &addr,
        "/CreateIndex",
        r#"{"vectorBucketName": "flags", "indexName": "idx", "dataType": "float32", "dimension": 2, "distanceMetric": "euclidean"}"#,
    );
    let put = post(
        &addr,
        "/PutVectors",
        r#"{"vectorBucketName": "flags", "indexName": "idx", "vectors": [{"key": "a", "data": {"float32": [1, 2]}}]}"#,
    );
    assert!(put.starts_with("HTTP/1.0 503"), "{put}");
    assert!(put.contains("ServiceUnavailableException"), "{put}");
    let _ = child.kill();
    let _ = child.wait();

    let bad = Command::new(env!("CARGO_BIN_EXE_local-s3vectors"))
        .args(["--fault-rate", "1.5"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("not a fraction between 0 and 1"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn exits_on_sigterm() {
    let (mut child, _stdin, _addr) = start(&[]);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(wait_for_exit(&mut child), "local-s3vectors ignored SIGTERM");
}
