//! What the benchmarks that time `stepwise exec` share: building the release binary,
//! running it once as a whole process with its peak memory, and the figures' arithmetic.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Builds the release `stepwise` binary (`cargo build --release -p stepwise-cli`).
pub fn stepwise_binary(root: &Path) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--locked", "-p", "stepwise-cli"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building the release stepwise binary failed"
    );
    root.join("target/release/stepwise")
}

/// Runs `stepwise exec` once; returns the wall time and the peak resident memory in KiB.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4(2), which std's Child cannot call"
)]
pub fn run_sfn_local(
    bin: &Path,
    dir: &Path,
    name: &str,
    definition: &Value,
    input: &Value,
) -> (Duration, u64) {
    let def = dir.join(format!("{name}.asl.json"));
    let inp = dir.join(format!("{name}.input.json"));
    std::fs::write(&def, definition.to_string()).expect("write definition");
    std::fs::write(&inp, input.to_string()).expect("write input");
    let started = Instant::now();
    let child = Command::new(bin)
        .args(["exec", "--definition"])
        .arg(&def)
        .arg("--input")
        .arg(format!("@{}", inp.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("stepwise exec starts");
    // wait4(2) rather than polling: the exit is seen at once, and the kernel reports the
    // child's peak resident set (ru_maxrss, KiB on Linux) — VmHWM at exit.
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not waited for yet (std never reaps it behind our
    // back), and both pointers are to live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(reaped, pid, "wait4 on stepwise exec {name} failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "stepwise exec {name} failed (wait status {status})"
    );
    (elapsed, usage.ru_maxrss as u64)
}

/// The median of `v`.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `d` in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
