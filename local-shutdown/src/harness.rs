//! The other side of the emulators' process contract, for their tests and for anyone
//! who starts one: spawn the binary on a free port with piped stdin and stdout, read the
//! `listening on http://127.0.0.1:<port>` line it prints first, talk to it over plain
//! HTTP/1.0, and wait for it to exit once its stdin is closed or it got SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Starts the emulator `binary` with `--port 0` and `flags`; returns the process, its
/// stdin (dropping it stops the emulator) and the address it serves. Panics — this is
/// test support — when it cannot start or its first line is not the address.
pub fn start(binary: impl AsRef<Path>, flags: &[&str]) -> (Child, ChildStdin, String) {
    let binary = binary.as_ref();
    let mut child = Command::new(binary)
        .args(["--port", "0"])
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
    let stdin = child.stdin.take().expect("piped stdin");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut first)
        .expect("the first line");
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(
        addr.starts_with("127.0.0.1:"),
        "serves loopback only: {addr}"
    );
    (child, stdin, addr)
}

/// One HTTP/1.0 POST of a JSON `body` to `path`; returns the whole response, head and
/// body.
pub fn post(addr: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("request written");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

/// Whether `child` exits within ten seconds; one that does not is killed (so a failing
/// test leaves nothing behind) and `false` returned.
pub fn wait_for_exit(child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}
