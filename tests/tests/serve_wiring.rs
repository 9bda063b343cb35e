//! `stepwise serve` wired to sfn-local's callbacks, activity queue and integrations, and
//! `stepwise worker`, all as the real binary, driven through `aws-sdk-sfn` (and
//! `aws-sdk-sqs` on moto server): a `.waitForTaskToken` SQS message completed by
//! SendTaskSuccess, a SendTaskFailure caught by Catch, an Activity ARN created with
//! CreateActivity served by the worker (success, and the activity's error caught).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_sfn::Client;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{Value, json};
use stepwise_tests::{ACCESS_KEY_ID, MotoServer, REGION, SECRET_ACCESS_KEY, unique_id};

/// The debug `stepwise` binary, built once per test process.
fn stepwise() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = stepwise_tests::workspace_root();
        let status = Command::new(env!("CARGO"))
            .args(["build", "--locked", "-p", "stepwise-cli"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the stepwise binary failed");
        root.join("target/debug/stepwise")
    })
    .clone()
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `stepwise serve` on a free port with its integrations pointed at moto server.
fn serve() -> (Proc, String) {
    let moto = MotoServer::shared();
    let mut child = Command::new(stepwise())
        .args(["serve", "--port", "0"])
        .envs(moto.env())
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
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (Proc(child), endpoint)
}

/// `stepwise worker` serving `activity` against the server at `endpoint`.
fn worker(endpoint: &str, activity: &str, arn: &str) -> Proc {
    let child = Command::new(stepwise())
        .args([
            "worker",
            "--activity",
            &format!("{activity}={arn}"),
            "--concurrency",
            "2",
            "--heartbeat",
            "1",
        ])
        .env("AWS_ENDPOINT_URL_SFN", endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("stepwise worker starts");
    Proc(child)
}

fn sfn(endpoint: &str) -> Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "any",
            "signature",
            None,
            None,
            "test",
        ))
        .build();
    Client::from_conf(config)
}

async fn create(client: &Client, definition: Value) -> String {
    client
        .create_state_machine()
        .name(format!("wiring-{}", unique_id()))
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/test")
        .send()
        .await
        .expect("CreateStateMachine")
        .state_machine_arn
}

async fn start(client: &Client, machine: &str, input: Value) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .input(input.to_string())
        .send()
        .await
        .expect("StartExecution")
        .execution_arn
}

/// Polls DescribeExecution until the execution ends; its status and output or error.
async fn finished(client: &Client, arn: &str) -> (ExecutionStatus, Value) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("DescribeExecution");
        if d.status != ExecutionStatus::Running {
            let out = match d.output() {
                Some(o) => serde_json::from_str(o).expect("output is JSON"),
                None => json!({"error": d.error(), "cause": d.cause()}),
            };
            return (d.status, out);
        }
        assert!(Instant::now() < deadline, "{arn} still running after 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A queue on moto, and a machine that sends `{"token": $$.Task.Token}` to it and waits.
async fn token_machine(client: &Client) -> (aws_sdk_sqs::Client, String, String) {
    let sqs = aws_sdk_sqs::Client::new(&MotoServer::shared().sdk_config());
    let url = sqs
        .create_queue()
        .queue_name(format!("wiring-{}", unique_id()))
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("a queue URL");
    let machine = create(
        client,
        json!({
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
                    "HeartbeatSeconds": 30,
                    "ResultPath": "$.answer",
                    "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.caught", "Next": "Handled"}],
                    "End": true
                },
                "Handled": {"Type": "Pass", "End": true}
            }
        }),
    )
    .await;
    (sqs, url, machine)
}

/// The token of the next message on `url` (the consumer's side).
async fn receive_token(sqs: &aws_sdk_sqs::Client, url: &str) -> (String, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage");
        if let Some(m) = got.messages().first() {
            let body: Value =
                serde_json::from_str(m.body().expect("a body")).expect("the body is JSON");
            let token = body["token"].as_str().expect("a token").to_string();
            return (token, body);
        }
        assert!(Instant::now() < deadline, "no message on {url} in 30 s");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_for_task_token_message_on_sqs_is_completed_by_send_task_success() {
    let (_serve, endpoint) = serve();
    let client = sfn(&endpoint);
    let (sqs, url, machine) = token_machine(&client).await;
    let execution = start(&client, &machine, json!({"order": 7})).await;
    let (token, body) = receive_token(&sqs, &url).await;
    assert_eq!(body["order"], 7, "the integration sent the Parameters");
    // A token nobody issued is refused as AWS refuses it.
    let unknown = client
        .send_task_success()
        .task_token("AQnot-a-token")
        .output("{}")
        .send()
        .await
        .expect_err("an unknown token");
    assert_eq!(
        unknown.into_service_error().meta().code(),
        Some("TaskDoesNotExist")
    );
    client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .expect("SendTaskHeartbeat");
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"approved": true}"#)
        .send()
        .await
        .expect("SendTaskSuccess");
    let (status, output) = finished(&client, &execution).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output, json!({"order": 7, "answer": {"approved": true}}));
    // The token is spent: a second answer is TaskTimedOut.
    let again = client
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .expect_err("a spent token");
    assert_eq!(
        again.into_service_error().meta().code(),
        Some("TaskTimedOut")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn send_task_failure_is_caught_by_the_states_catch() {
    let (_serve, endpoint) = serve();
    let client = sfn(&endpoint);
    let (sqs, url, machine) = token_machine(&client).await;
    let execution = start(&client, &machine, json!({"order": 8})).await;
    let (token, _) = receive_token(&sqs, &url).await;
    client
        .send_task_failure()
        .task_token(&token)
        .error("Rejected")
        .cause("out of stock")
        .send()
        .await
        .expect("SendTaskFailure");
    let (status, output) = finished(&client, &execution).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(
        output,
        json!({"order": 8, "caught": {"Error": "Rejected", "Cause": "out of stock"}})
    );
}

fn order(items: Value) -> Value {
    json!({"order": {"order_id": "o-1", "customer_id": "c-1", "items": items}})
}

#[tokio::test(flavor = "multi_thread")]
async fn stepwise_worker_serves_an_activity_created_with_create_activity() {
    let (_serve, endpoint) = serve();
    let client = sfn(&endpoint);
    let activity = client
        .create_activity()
        .name(format!("validate-{}", unique_id()))
        .send()
        .await
        .expect("CreateActivity")
        .activity_arn;
    let machine = create(
        &client,
        json!({
            "StartAt": "Validate",
            "States": {
                "Validate": {
                    "Type": "Task",
                    "Resource": activity,
                    "InputPath": "$.order",
                    "ResultPath": "$.validated",
                    "HeartbeatSeconds": 10,
                    "Catch": [{"ErrorEquals": ["InvalidInput"], "ResultPath": "$.error", "Next": "Rejected"}],
                    "End": true
                },
                "Rejected": {"Type": "Pass", "End": true}
            }
        }),
    )
    .await;
    let good = start(
        &client,
        &machine,
        order(json!([{"sku": "MUG", "quantity": 2, "unit_price_cents": 1250}])),
    )
    .await;
    let bad = start(&client, &machine, order(json!([]))).await;
    // The executions wait for a worker: none polls yet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let d = client
        .describe_execution()
        .execution_arn(&good)
        .send()
        .await
        .expect("DescribeExecution");
    assert_eq!(d.status, ExecutionStatus::Running);

    let mut worker = worker(&endpoint, "ValidateOrder", &activity);
    let (status, output) = finished(&client, &good).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output["validated"]["gross_cents"], 2500, "{output}");
    let (status, output) = finished(&client, &bad).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output["error"]["Error"], "InvalidInput", "{output}");
    assert!(
        output["error"]["Cause"]
            .as_str()
            .is_some_and(|c| c.contains("at least one line")),
        "{output}"
    );
    // The history names the worker that took the task.
    let history = client
        .get_execution_history()
        .execution_arn(&good)
        .send()
        .await
        .expect("GetExecutionHistory");
    let started = history
        .events()
        .iter()
        .find_map(|e| e.activity_started_event_details())
        .expect("an ActivityStarted event");
    assert!(
        started
            .worker_name()
            .is_some_and(|w| w.starts_with("stepwise-worker-")),
        "{started:?}"
    );

    // SIGTERM: the worker stops polling and exits cleanly.
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    let rc = unsafe { libc::kill(worker.0.id() as i32, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = worker.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
}
