//! `stepwise serve` against moto server's Step Functions API (with execution enabled), in
//! the same run, driven by the same Rust load generator on `aws-sdk-sfn`: 1,000
//! executions of a 5-state machine, 8 concurrent clients, each starting an execution and
//! polling DescribeExecution (every 2 ms) until it ends. Reports executions/s, p50/p99
//! start-to-finish latency, and each server's peak resident memory (VmHWM).
//!
//! Run with `cargo bench -p stepwise-tests --bench serve_vs_moto` (it builds the release
//! `stepwise` binary first). Targets: ≥ 20× moto's throughput, `stepwise serve` under
//! 200 MB peak.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sfn::Client;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::json;
use stepwise_tests::{MotoServer, workspace_root};

const EXECUTIONS: usize = 1_000;
const CLIENTS: usize = 8;
const POLL: Duration = Duration::from_millis(2);

/// Five states: Pass, Pass with an intrinsic, Choice, Pass, Succeed.
fn definition() -> String {
    json!({
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Label"},
            "Label": {"Type": "Pass", "Parameters": {"n.$": "$.n", "label.$": "States.Format('item-{}', $.n)"}, "Next": "Even?"},
            "Even?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 0, "Next": "Keep"}], "Default": "Done"},
            "Keep": {"Type": "Pass", "OutputPath": "$.label", "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    })
    .to_string()
}

fn stepwise_binary(root: &Path) -> PathBuf {
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

/// `stepwise serve` on a free port; returns the child and its endpoint.
fn start_serve(bin: &Path) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("stepwise serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a first line");
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    (child, endpoint)
}

/// The peak resident set of process `pid` so far, in MiB (VmHWM).
fn peak_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

fn client(endpoint: &str) -> Client {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "bench", "bench", None, None, "bench",
        )))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    Client::new(&sdk)
}

struct Report {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn load(client: &Client, name: &str) -> Report {
    let machine = client
        .create_state_machine()
        .name(name)
        .definition(definition())
        .role_arn("arn:aws:iam::123456789012:role/bench")
        .send()
        .await
        .expect("create_state_machine")
        .state_machine_arn;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (client, machine, next) = (client.clone(), machine.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= EXECUTIONS {
                    return latencies;
                }
                let t = Instant::now();
                let arn = client
                    .start_execution()
                    .state_machine_arn(&machine)
                    .name(format!("e{i}"))
                    .input(json!({"n": i}).to_string())
                    .send()
                    .await
                    .expect("start_execution")
                    .execution_arn;
                loop {
                    let d = client
                        .describe_execution()
                        .execution_arn(&arn)
                        .send()
                        .await
                        .expect("describe");
                    match d.status {
                        ExecutionStatus::Running => tokio::time::sleep(POLL).await,
                        ExecutionStatus::Succeeded => break,
                        other => panic!("{arn} ended {other:?}: {:?}", d.error),
                    }
                }
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.expect("worker"));
    }
    let total = started.elapsed();
    latencies.sort();
    Report {
        per_second: EXECUTIONS as f64 / total.as_secs_f64(),
        p50: latencies[latencies.len() / 2],
        p99: latencies[latencies.len() * 99 / 100],
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let root = workspace_root();
    let bin = stepwise_binary(&root);
    let (mut serve, endpoint) = start_serve(&bin);
    let moto = MotoServer::start().expect("moto server");
    moto.enable_asl_execution().expect("moto runs ASL");

    let ours = load(&client(&endpoint), "bench").await;
    let ours_peak = peak_mib(serve.id());
    let theirs = load(
        &client(&moto.endpoint()),
        &format!("bench-{}", stepwise_tests::unique_id()),
    )
    .await;
    let moto_peak = peak_mib(moto.pid());
    let _ = serve.kill();
    let _ = serve.wait();

    println!(
        "stepwise serve vs moto server 5.2.5: {EXECUTIONS} executions of a 5-state machine, {CLIENTS} clients"
    );
    println!(
        "{:<16} {:>12} {:>10} {:>10} {:>12}",
        "server", "exec/s", "p50 (ms)", "p99 (ms)", "peak RSS (MiB)"
    );
    for (name, r, peak) in [
        ("stepwise serve", &ours, ours_peak),
        ("moto", &theirs, moto_peak),
    ] {
        println!(
            "{name:<16} {:>12.1} {:>10.1} {:>10.1} {:>12.1}",
            r.per_second,
            ms(r.p50),
            ms(r.p99),
            peak
        );
    }
    println!(
        "throughput ratio: {:.1}x",
        ours.per_second / theirs.per_second
    );
}
