//! Cold start of the `bootstrap` Lambda binary: process start → first response, measured
//! against a minimal Lambda Runtime API emulator served here on loopback.
//!
//! Run with `cargo bench -p stepwise-lambda --bench cold_start` (options after `--`:
//! `--runs N`, default 20). The binary measured is the deployed artifact: the bench runs
//! `cargo build --release -p stepwise-lambda --bin bootstrap` itself (fat LTO, one codegen
//! unit, stripped symbols, `panic = "unwind"`) — not the bench profile's build, which
//! trades those for build time (see the workspace `Cargo.toml`).
//!
//! Each run spawns the binary with the environment Lambda gives a `provided.al2023`
//! function, serves it one event, and records two times from the spawn: the first
//! `GET /next` (Lambda's "Init Duration") and the response. It measures two activities:
//! `PriceLine` (no AWS SDK) and `LoadConfig`, which loads the AWS config, creates the SSM
//! client and calls `GetParameter` — answered by a fake SSM endpoint on the same loopback
//! server (no TLS, no network, so a real cold start adds the SSM round trip). Then it
//! prints the binary and zip sizes and compares everything with the targets.
//!
//! This bench must not reach the network: every endpoint is 127.0.0.1, and the AWS
//! configuration comes from fixed environment variables and no profile files.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Targets (README) and published anchors the report compares against.
const TARGET_INIT_MS: f64 = 35.0;
const TARGET_BINARY_MB: f64 = 25.0;
const TARGET_ZIP_MB: f64 = 10.0;
const ANCHOR_RUST_HELLO_MS: f64 = 14.0;
const ANCHOR_NODE22_MS: f64 = 124.0;

/// Runs not measured, so the binary is in the page cache as on a warm Lambda host.
const WARM_UPS: usize = 2;
/// How long one run may take before the bench gives up.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);

/// The stored configuration the fake SSM returns to `LoadConfig`.
fn pipeline_config() -> Value {
    json!({
        "database_url": "postgres://export:bench-secret@db.internal:5432/smartgo",
        "bucket": "smartgo-analytics",
        "staging_prefix": "staging/daily-sales/",
        "lake_prefix": "lake/sales/",
        "progress_table": "stepwise-progress",
        "tenants": ["acme", "globex"],
        "embed_concurrency": 8
    })
}

/// What one run produced.
#[derive(Debug)]
enum Report {
    /// The runtime asked for its first event.
    FirstNext { run: u64, at: Instant },
    /// The runtime posted a result (or an init error).
    Done {
        run: u64,
        at: Instant,
        ok: bool,
        body: String,
    },
}

/// The event the current run serves.
struct Current {
    run: u64,
    payload: Value,
    served: bool,
}

#[derive(Clone)]
struct Emulator {
    current: Arc<Mutex<Current>>,
    reports: mpsc::UnboundedSender<Report>,
}

impl Emulator {
    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `GET /2018-06-01/runtime/invocation/next`: the run's one event, then a long poll.
async fn next(State(emu): State<Emulator>) -> impl IntoResponse {
    let now = Instant::now();
    let event = {
        let mut current = emu.current();
        let _ = emu.reports.send(Report::FirstNext {
            run: current.run,
            at: now,
        });
        if current.served {
            None
        } else {
            current.served = true;
            Some((current.run, current.payload.to_string()))
        }
    };
    let Some((run, body)) = event else {
        // The runtime polls again after responding; it is killed before this returns.
        tokio::time::sleep(RUN_TIMEOUT).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 30_000;
    (
        [
            ("Lambda-Runtime-Aws-Request-Id", format!("bench-{run}")),
            ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
            (
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench".to_string(),
            ),
            (
                "Lambda-Runtime-Trace-Id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
                    .to_string(),
            ),
            ("Content-Type", "application/json".to_string()),
        ],
        body,
    )
        .into_response()
}

fn run_of(request_id: &str) -> u64 {
    request_id
        .strip_prefix("bench-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// `POST .../invocation/{id}/response`.
async fn response(
    State(emu): State<Emulator>,
    UrlPath(id): UrlPath<String>,
    body: String,
) -> StatusCode {
    let at = Instant::now();
    let _ = emu.reports.send(Report::Done {
        run: run_of(&id),
        at,
        ok: true,
        body,
    });
    StatusCode::ACCEPTED
}

/// `POST .../invocation/{id}/error`.
async fn error(
    State(emu): State<Emulator>,
    UrlPath(id): UrlPath<String>,
    body: String,
) -> StatusCode {
    let at = Instant::now();
    let _ = emu.reports.send(Report::Done {
        run: run_of(&id),
        at,
        ok: false,
        body,
    });
    StatusCode::ACCEPTED
}

/// `POST /2018-06-01/runtime/init/error`.
async fn init_error(State(emu): State<Emulator>, body: String) -> StatusCode {
    let at = Instant::now();
    let run = emu.current().run;
    let _ = emu.reports.send(Report::Done {
        run,
        at,
        ok: false,
        body: format!("init error: {body}"),
    });
    StatusCode::ACCEPTED
}

/// A fake SSM (`AWS_ENDPOINT_URL_SSM`): answers `GetParameter` with the configuration.
async fn ssm(headers: HeaderMap, body: String) -> impl IntoResponse {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|b| b["Name"].as_str().map(str::to_string))
        .unwrap_or_default();
    if target != "AmazonSSM.GetParameter" {
        return (
            StatusCode::BAD_REQUEST,
            [("Content-Type", "application/x-amz-json-1.1")],
            json!({"__type": "InvalidAction", "message": target}).to_string(),
        );
    }
    let parameter = json!({"Parameter": {
        "Name": name, "Type": "SecureString", "Value": pipeline_config().to_string(),
        "Version": 1, "ARN": format!("arn:aws:ssm:us-east-1:123456789012:parameter{name}"),
        "DataType": "text"
    }});
    (
        StatusCode::OK,
        [("Content-Type", "application/x-amz-json-1.1")],
        parameter.to_string(),
    )
}

/// One measured run.
struct Sample {
    init: Duration,
    first_response: Duration,
}

struct Bench {
    bootstrap: &'static str,
    addr: SocketAddr,
    emulator: Emulator,
    reports: mpsc::UnboundedReceiver<Report>,
    next_run: u64,
}

impl Bench {
    /// Spawns the binary serving `activity`, feeds it `payload`, and times it.
    async fn run(
        &mut self,
        activity: &str,
        payload: &Value,
        expect: &str,
    ) -> Result<Sample, String> {
        self.next_run += 1;
        let run = self.next_run;
        {
            let mut current = self.emulator.current();
            current.run = run;
            current.payload = payload.clone();
            current.served = false;
        }
        let started = Instant::now();
        let mut child = Command::new(self.bootstrap)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AWS_LAMBDA_RUNTIME_API", self.addr.to_string())
            .env("_HANDLER", activity)
            .env("AWS_LAMBDA_FUNCTION_NAME", format!("stepwise-{activity}"))
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "ASIABENCHBENCHBENCH0")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "bench/bench/bench/bench/bench/bench/bench0",
            )
            .env("AWS_SESSION_TOKEN", "bench-session-token")
            .env("AWS_CONFIG_FILE", "/nonexistent/aws/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/aws/credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL_SSM", format!("http://{}", self.addr))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.bootstrap))?;
        let mut init = None;
        let outcome = tokio::time::timeout(RUN_TIMEOUT, async {
            while let Some(report) = self.reports.recv().await {
                match report {
                    Report::FirstNext { run: r, at } if r == run => {
                        init.get_or_insert(at - started);
                    }
                    Report::Done {
                        run: r,
                        at,
                        ok,
                        body,
                    } if r == run => return Some((at - started, ok, body)),
                    _ => {}
                }
            }
            None
        })
        .await;
        let _ = child.kill();
        let _ = child.wait();
        match outcome {
            Ok(Some((first_response, true, body))) if body.contains(expect) => Ok(Sample {
                init: init.unwrap_or(first_response),
                first_response,
            }),
            Ok(Some((_, true, body))) => Err(format!(
                "{activity} answered {body}, expected it to contain {expect:?}"
            )),
            Ok(Some((_, false, body))) => Err(format!("{activity} failed: {body}")),
            Ok(None) => Err("the emulator stopped".into()),
            Err(_) => Err(format!("{activity}: no response within {RUN_TIMEOUT:?}")),
        }
    }
}

/// min / median / p90 (nearest rank) in milliseconds.
fn stats(mut values: Vec<Duration>) -> (f64, f64, f64) {
    values.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let n = values.len();
    let rank = |q: f64| values[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
    (ms(values[0]), ms(rank(0.5)), ms(rank(0.9)))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "OK" } else { "OVER TARGET" }
}

/// The size of `bootstrap` zipped as a Lambda deployment package (deflate level 9):
/// the `zip` CLI when present, else Python's zipfile.
fn zip_size(bootstrap: &Path) -> Result<(u64, &'static str), String> {
    let dir = std::env::temp_dir().join(format!("stepwise-cold-start-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let staged = dir.join("bootstrap");
    let zip = dir.join("bootstrap.zip");
    let result = (|| {
        std::fs::copy(bootstrap, &staged).map_err(|e| e.to_string())?;
        let with_zip = Command::new("zip")
            .current_dir(&dir)
            .args(["-q", "-9", "bootstrap.zip", "bootstrap"])
            .status();
        let tool = match with_zip {
            Ok(status) if status.success() => "zip -9",
            _ => {
                let script = "import sys, zipfile\n\
                    with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n    \
                    z.write(sys.argv[2], 'bootstrap')";
                let status = Command::new("python3")
                    .args(["-c", script])
                    .arg(&zip)
                    .arg(&staged)
                    .status()
                    .map_err(|e| format!("neither zip nor python3: {e}"))?;
                if !status.success() {
                    return Err(format!("python3 zipfile failed: {status}"));
                }
                "python zipfile, deflate 9"
            }
        };
        let size = std::fs::metadata(&zip).map_err(|e| e.to_string())?.len();
        Ok((size, tool))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn runs_from_args(args: &[String]) -> usize {
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(20)
}

/// Builds the release `bootstrap` (what is deployed) and returns its path.
fn release_bootstrap() -> Result<&'static str, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "stepwise-lambda",
            "--bin",
            "bootstrap",
        ])
        .current_dir(&root)
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err("building the release bootstrap failed".into());
    }
    let path = root.join("target/release/bootstrap");
    Ok(Box::leak(
        path.to_string_lossy().into_owned().into_boxed_str(),
    ))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("cold_start: run with `cargo bench -p stepwise-lambda --bench cold_start`");
        return std::process::ExitCode::SUCCESS;
    }
    let runs = runs_from_args(&args);
    let bootstrap = match release_bootstrap() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("cold_start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };

    let (tx, rx) = mpsc::unbounded_channel();
    let emulator = Emulator {
        current: Arc::new(Mutex::new(Current {
            run: 0,
            payload: Value::Null,
            served: true,
        })),
        reports: tx,
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .route("/", post(ssm))
        .with_state(emulator.clone());
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cold_start: cannot bind a loopback port: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut bench = Bench {
        bootstrap,
        addr,
        emulator,
        reports: rx,
        next_run: 0,
    };
    let cases = [
        (
            "PriceLine",
            json!({"sku": "A", "quantity": 3, "unit_price_cents": 250, "discount_percent": 10}),
            "\"line_total_cents\":675",
            "no AWS SDK",
        ),
        (
            "LoadConfig",
            json!({"parameter": "/stepwise/daily-sales-export/config",
                   "__stepwise": {"execution": "bench", "state": "LoadConfig"}}),
            "\"config_parameter\":\"/stepwise/daily-sales-export/config\"",
            "AWS config + SSM client + GetParameter (loopback fake, no TLS)",
        ),
    ];

    println!(
        "cold start of {bootstrap}\n  {runs} runs per activity after {WARM_UPS} warm-ups; {} {}, {} CPUs available",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("\n  activity     init: spawn to first /next   cold start: spawn to response");
    println!("               min / median / p90 ms        min / median / p90 ms");
    let mut worst_init_median: f64 = 0.0;
    for (activity, payload, expect, note) in &cases {
        let mut samples = Vec::new();
        for i in 0..WARM_UPS + runs {
            match bench.run(activity, payload, expect).await {
                Ok(sample) if i >= WARM_UPS => samples.push(sample),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("cold_start: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
        let (i_min, i_med, i_p90) = stats(samples.iter().map(|s| s.init).collect());
        let (r_min, r_med, r_p90) = stats(samples.iter().map(|s| s.first_response).collect());
        worst_init_median = worst_init_median.max(i_med);
        println!(
            "  {activity:<11}  {:<27}  {:<27}  ({note})",
            format!("{i_min:.1} / {i_med:.1} / {i_p90:.1}"),
            format!("{r_min:.1} / {r_med:.1} / {r_p90:.1}")
        );
    }

    let binary = match std::fs::metadata(bootstrap) {
        Ok(m) => m.len(),
        Err(e) => {
            eprintln!("cold_start: {bootstrap}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("\n  targets");
    println!(
        "  init, median of the slower activity  {worst_init_median:>6.1} ms  (< {TARGET_INIT_MS} ms)  {}",
        verdict(worst_init_median < TARGET_INIT_MS)
    );
    println!(
        "  binary, stripped                     {:>6.1} MB  (< {TARGET_BINARY_MB} MB)  {}",
        mb(binary),
        verdict(mb(binary) < TARGET_BINARY_MB)
    );
    match zip_size(Path::new(bootstrap)) {
        Ok((zip, tool)) => println!(
            "  zip, {tool:<31} {:>6.1} MB  (< {TARGET_ZIP_MB} MB)  {}",
            mb(zip),
            verdict(mb(zip) < TARGET_ZIP_MB)
        ),
        Err(e) => println!("  zip: not measured ({e})"),
    }
    println!(
        "\n  anchors (AWS, Init Duration): hello-world Rust Lambda ~{ANCHOR_RUST_HELLO_MS} ms on arm64, \
         Node.js 22 ~{ANCHOR_NODE22_MS} ms.\n  This is a local process on this machine: no Firecracker \
         microVM, no code download, no network or TLS round trip to AWS services."
    );
    std::process::ExitCode::SUCCESS
}
