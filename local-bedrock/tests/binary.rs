//! The `local-bedrock` binary: the first stdout line names the address, it answers
//! InvokeModel, and it exits when its piped stdin closes or on SIGTERM.

use local_shutdown::harness::{post, wait_for_exit};
use std::process::{Child, ChildStdin, Command};

/// Starts the binary on a free port; returns it, its stdin and its address.
fn start() -> (Child, ChildStdin, String) {
    local_shutdown::harness::start(env!("CARGO_BIN_EXE_local-bedrock"), &[])
}

#[test]
fn serves_invoke_model_and_exits_when_stdin_closes() {
    let (mut child, stdin, addr) = start();

    let ok = post(
        &addr,
        "/model/amazon.titan-embed-image-v1/invoke",
        r#"{"inputText": "red running shoe", "embeddingConfig": {"outputEmbeddingLength": 256}}"#,
    );
    assert!(ok.starts_with("HTTP/1.0 200"), "{ok}");
    assert!(ok.contains(r#""inputTextTokenCount":3"#), "{ok}");

    let bad = post(
        &addr,
        "/model/anthropic.claude-v2/invoke",
        r#"{"inputText": "x"}"#,
    );
    assert!(bad.starts_with("HTTP/1.0 400"), "{bad}");
    assert!(
        bad.to_ascii_lowercase()
            .contains("x-amzn-errortype: validationexception"),
        "{bad}"
    );
    assert!(bad.contains(r#"{"message":"The provided model identifier is invalid."}"#));

    drop(stdin);
    let exited = wait_for_exit(&mut child);
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(exited, "local-bedrock ignored its closed stdin");
}

#[test]
fn exits_on_sigterm() {
    let (mut child, _stdin, _addr) = start();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exited = wait_for_exit(&mut child);
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(exited, "local-bedrock ignored SIGTERM");
}
