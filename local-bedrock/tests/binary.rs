//! The `local-bedrock` binary: the first stdout line names the address, it answers
//! InvokeModel, and it exits when its piped stdin closes or on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Starts the binary on a free port; returns it, its stdin and its address.
fn start() -> (Child, ChildStdin, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-bedrock"))
        .args(["--port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn local-bedrock");
    let stdin = child.stdin.take().expect("stdin");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    (child, stdin, addr)
}

/// One HTTP/1.0 POST; returns the whole response.
fn post(addr: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

fn wait_for_exit(child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
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
