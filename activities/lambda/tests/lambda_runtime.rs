//! The `bootstrap` binary against a real Lambda Runtime API: `cargo lambda watch
//! --only-lambda-apis` (PyPI `cargo-lambda`, installed in `.venv` by
//! `scripts/python-env.sh`) emulates the Lambda control plane on a free loopback port; the
//! test starts the binary cargo built for it (`CARGO_BIN_EXE_bootstrap`, so nothing is
//! rebuilt) against the emulator's Runtime API and invokes it through the emulator's
//! Invoke endpoint (`POST /2015-03-31/functions/bootstrap/invocations`) and through
//! `cargo lambda invoke`.
//!
//! The emulator only accepts function names that are binaries of the workspace, so the
//! function is called `bootstrap`; `_HANDLER` picks the activity, as in AWS.
//!
//! This test must not leave processes behind (every child is killed on drop) and binds
//! loopback only. Without `.venv/bin/cargo-lambda` it fails: the test command installs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one step may take before the test fails instead of hanging.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the lambda crate lives in activities/ of the workspace")
        .to_path_buf()
}

/// The emulator. Its absence fails the test: the test command installs it
/// (`scripts/python-env.sh`), so a missing tool is a broken setup, never a pass.
fn cargo_lambda() -> PathBuf {
    let path = workspace_root().join(".venv/bin/cargo-lambda");
    assert!(
        path.is_file(),
        "{} is missing: the Lambda Runtime API tests need it; install it with scripts/python-env.sh",
        path.display()
    );
    path
}

/// A free loopback port (released just before use).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("a local address").port()
}

/// A child process killed (and reaped) on drop, its stdout and stderr collected.
struct Proc {
    name: &'static str,
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Proc {
    fn spawn(name: &'static str, command: &mut Command) -> Proc {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for stream in streams {
            let output = output.clone();
            thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut out = output.lock().unwrap_or_else(|e| e.into_inner());
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        }
        Proc {
            name,
            child,
            output,
        }
    }

    /// Everything the process wrote so far.
    fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits for the process to exit on its own; `None` on timeout.
    fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                // Let the reader threads drain the pipes.
                thread::sleep(Duration::from_millis(100));
                return Some(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("---- {} output ----\n{}", self.name, self.output());
        }
    }
}

/// The emulator (`cargo lambda watch --only-lambda-apis`) on a free loopback port.
struct Emulator {
    port: u16,
    _proc: Proc,
    _one_at_a_time: MutexGuard<'static, ()>,
}

static EMULATORS: Mutex<()> = Mutex::new(());

impl Emulator {
    fn start(cargo_lambda: &Path) -> Emulator {
        // One emulator at a time: a free port found by binding and releasing it can be
        // handed to two emulators started at once, and the first to stop takes the other's.
        let one_at_a_time = EMULATORS.lock().unwrap_or_else(|e| e.into_inner());
        let port = free_port();
        let proc = Proc::spawn(
            "cargo lambda watch",
            Command::new(cargo_lambda)
                .current_dir(workspace_root())
                .args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
                .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
                .arg(port.to_string()),
        );
        let deadline = Instant::now() + STEP_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the emulator did not listen on {port}:\n{}",
                proc.output()
            );
            thread::sleep(Duration::from_millis(50));
        }
        Emulator {
            port,
            _proc: proc,
            _one_at_a_time: one_at_a_time,
        }
    }

    /// The bootstrap binary serving `handler` as the function `bootstrap`.
    fn bootstrap(&self, handler: &str) -> Proc {
        self.bootstrap_with(handler, &[])
    }

    /// [`Emulator::bootstrap`] with more environment variables.
    fn bootstrap_with(&self, handler: &str, vars: &[(&str, &str)]) -> Proc {
        Proc::spawn(
            "bootstrap",
            Command::new(env!("CARGO_BIN_EXE_bootstrap"))
                .envs(vars.iter().copied())
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{}/.rt/bootstrap", self.port),
                )
                .env("AWS_LAMBDA_FUNCTION_NAME", "bootstrap")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("_HANDLER", handler)
                .env("RUST_LOG", "trace")
                // No AWS call is expected; make sure none could reach AWS.
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        )
    }

    /// POSTs `payload` to the Invoke endpoint: the HTTP status and the JSON body.
    fn invoke(&self, payload: &Value) -> (u16, Value) {
        let body = payload.to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(STEP_TIMEOUT))
            .expect("a read timeout");
        write!(
            stream,
            "POST /2015-03-31/functions/bootstrap/invocations HTTP/1.1\r\n\
             Host: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .expect("send the request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read the response");
        let (head, body) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("an HTTP response: {response:?}"));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {head:?}"));
        let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
        (status, json)
    }
}

/// `cargo lambda invoke --output-format json`: the exit status and stdout.
fn cargo_lambda_invoke(cargo_lambda: &Path, port: u16, payload: &Value) -> (bool, String) {
    let mut proc = Proc::spawn(
        "cargo lambda invoke",
        Command::new(cargo_lambda)
            .current_dir(workspace_root())
            .args(["lambda", "invoke", "--invoke-address", "127.0.0.1"])
            .args([
                "--invoke-port",
                &port.to_string(),
                "--output-format",
                "json",
            ])
            .args(["--data-ascii", &payload.to_string(), "bootstrap"]),
    );
    let status = proc
        .wait_exit(STEP_TIMEOUT)
        .expect("cargo lambda invoke finished");
    (status.success(), proc.output())
}

#[test]
fn bootstrap_serves_an_activity_on_the_lambda_runtime_api() {
    let cargo_lambda = cargo_lambda();
    let emulator = Emulator::start(&cargo_lambda);
    let bootstrap = emulator.bootstrap("PriceLine");

    // A successful call, through the real CLI.
    let (ok, stdout) = cargo_lambda_invoke(
        &cargo_lambda,
        emulator.port,
        &json!({"sku": "SKU-ONE", "quantity": 3, "unit_price_cents": 250, "discount_percent": 10}),
    );
    assert!(ok, "cargo lambda invoke failed:\n{stdout}");
    let output: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: not JSON: {stdout}"));
    assert_eq!(
        output,
        json!({"sku": "SKU-ONE", "quantity": 3, "line_total_cents": 675})
    );

    // The activity's own error name, for Retry/Catch.
    let (status, body) = emulator.invoke(
        &json!({"sku": "SKU-TWO", "quantity": 1, "unit_price_cents": 100, "discount_percent": 95}),
    );
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        body,
        json!({"errorType": "DiscountTooHigh", "errorMessage": "SKU-TWO: a 95 % discount needs approval"})
    );

    // Bad input: not retried, the field named.
    let (status, body) =
        emulator.invoke(&json!({"sku": "SKU-THREE", "quantity": "3", "unit_price_cents": 100}));
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["errorType"], "InvalidInput", "{body}");
    let message = body["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(
            "input field \"quantity\": expected a non-negative integer up to 4294967295, got \"3\""
        ),
        "{body}"
    );

    // The caller's names are stripped before decoding (PriceLine rejects unknown fields)
    // and reach the log span.
    let (status, body) = emulator.invoke(&json!({
        "__stepwise": {"execution": "arn:aws:states:us-east-1:1:execution:orders:run-77", "state": "Price lines"},
        "sku": "SKU-FOUR", "quantity": 2, "unit_price_cents": 5,
    }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"sku": "SKU-FOUR", "quantity": 2, "line_total_cents": 10})
    );

    let log = bootstrap.output();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let finished: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "invocation finished")
        .collect();
    let outcomes: Vec<&Value> = finished.iter().map(|l| &l["outcome"]).collect();
    assert_eq!(
        outcomes,
        [
            &json!("ok"),
            &json!("DiscountTooHigh"),
            &json!("InvalidInput"),
            &json!("ok")
        ],
        "{log}"
    );
    for line in &finished {
        assert_eq!(line["span"]["activity"], "PriceLine", "{line}");
        assert!(line["span"]["request_id"].is_string(), "{line}");
    }
    assert_eq!(
        finished[3]["span"]["execution"],
        "arn:aws:states:us-east-1:1:execution:orders:run-77"
    );
    assert_eq!(finished[3]["span"]["state"], "Price lines");
    for leaked in [
        "SKU-ONE",
        "SKU-TWO",
        "SKU-THREE",
        "SKU-FOUR",
        "discount needs",
    ] {
        assert!(
            !log.contains(leaked),
            "payload or cause \"{leaked}\" logged even at RUST_LOG=trace:\n{log}"
        );
    }
}

#[test]
fn an_unknown_handler_fails_at_init_listing_the_activities() {
    let log = init_failure_log("PriceLin", &[]);
    assert!(
        log.contains("handler \\\"PriceLin\\\" is not an activity (known: "),
        "{log}"
    );
    assert!(
        log.contains("PriceLine") && log.contains("ValidateOrder"),
        "{log}"
    );
    assert!(
        !log.contains("could not report the init error"),
        "the init error reached the Runtime API: {log}"
    );
}

#[test]
fn bootstrap_serves_the_jobs_api_status_function_for_its_handler() {
    let cargo_lambda = cargo_lambda();
    let emulator = Emulator::start(&cargo_lambda);
    let _bootstrap = emulator.bootstrap_with(
        "JobStatus",
        &[
            ("JOBS_TABLE", "jobs"),
            ("RESULTS_BUCKET", "results"),
            (
                "STATE_MACHINE_ARN",
                "arn:aws:states:us-east-1:123456789012:stateMachine:group-images",
            ),
        ],
    );
    // An API Gateway proxy event whose authorizer claims carry no tenant (a tenant in a
    // header counts for nothing): a 401 proxy response, no AWS call.
    let (status, body) = emulator.invoke(&json!({
        "httpMethod": "GET",
        "headers": {"X-Tenant-ID": "acme"},
        "pathParameters": {"jobId": "job-1"},
        "requestContext": {"authorizer": {"claims": {"sub": "u-1"}}}
    }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["statusCode"], 401, "{body}");
    let answer: Value = serde_json::from_str(body["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(answer["error"], "Unauthorized", "{answer}");
}

/// The log of `bootstrap` serving `handler` with `vars`, which must fail at init.
fn init_failure_log(handler: &str, vars: &[(&str, &str)]) -> String {
    let cargo_lambda = cargo_lambda();
    let emulator = Emulator::start(&cargo_lambda);
    let mut bootstrap = emulator.bootstrap_with(handler, vars);
    let status = bootstrap
        .wait_exit(STEP_TIMEOUT)
        .expect("bootstrap exits at init");
    assert!(!status.success(), "{status}");
    bootstrap.output()
}

#[test]
fn the_status_function_without_its_table_fails_at_init_naming_the_variable() {
    let log = init_failure_log("JobStatus", &[]);
    assert!(log.contains("JOBS_TABLE"), "{log}");
}

#[test]
fn bootstrap_serves_the_jobs_api_authorizer_for_its_handler() {
    let cargo_lambda = cargo_lambda();
    let emulator = Emulator::start(&cargo_lambda);
    let _bootstrap = emulator.bootstrap_with(
        "JwtAuthorizer",
        &[
            // Never reached: a token that is not a JWT is refused before any key fetch.
            ("JWT_ISSUER", "http://127.0.0.1:9/issuer"),
            ("JWT_AUDIENCE", "jobs-api"),
        ],
    );
    // A refused token: the invocation fails with exactly "Unauthorized", which API
    // Gateway answers with 401 (any other message is a 500).
    let (status, body) = emulator.invoke(&json!({
        "type": "TOKEN",
        "authorizationToken": "Bearer not-a-jwt",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/group-images/j-1"
    }));
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["errorMessage"], "Unauthorized", "{body}");
    // Not an authorizer event: an error, but not a 401.
    let (status, body) = emulator.invoke(&json!({"authorizationToken": "Bearer x"}));
    assert_eq!(status, 500, "{body}");
    let message = body["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("methodArn"), "{body}");
}

#[test]
fn the_authorizer_without_its_issuer_fails_at_init_naming_the_variable() {
    let log = init_failure_log("JwtAuthorizer", &[("JWT_AUDIENCE", "jobs-api")]);
    assert!(log.contains("JWT_ISSUER"), "{log}");
}
