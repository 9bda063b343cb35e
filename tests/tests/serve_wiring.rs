//! `stepwise serve` wired to sfn-local's callbacks, activity queue and integrations, and
//! `stepwise worker`, all as the real binary, driven through `aws-sdk-sfn` (and
//! `aws-sdk-sqs` on moto server): a `.waitForTaskToken` SQS message completed by
//! SendTaskSuccess, a SendTaskFailure caught by Catch, an Activity ARN created with
//! CreateActivity served by the worker (success, and the activity's error caught), a
//! worker killed mid-task (the state times out on its heartbeat, is retried and answered
//! by a second worker), a nested `startExecution.sync:2` child listed by ListExecutions,
//! and a `dynamodb:putItem` on moto run by an execution on the server.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sfn::Client;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{Value, json};
use stepwise_tests::{ACCESS_KEY_ID, MotoServer, REGION, SECRET_ACCESS_KEY, unique_id};

/// The debug `stepwise` binary, built once per test process.
fn stepwise() -> PathBuf {
    stepwise_tests::stepwise_bin()
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
    worker_with(endpoint, activity, arn, &[])
}

/// The same, with more environment (`env`).
fn worker_with(endpoint: &str, activity: &str, arn: &str, env: &[(&str, String)]) -> Proc {
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
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
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

/// The event types of `execution`'s history, in order.
async fn event_types(client: &Client, execution: &str) -> Vec<String> {
    client
        .get_execution_history()
        .execution_arn(execution)
        .max_results(1000)
        .send()
        .await
        .expect("GetExecutionHistory")
        .events()
        .iter()
        .map(|e| e.r#type().as_str().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_task_times_out_on_its_heartbeat_and_a_second_worker_answers_the_retry()
{
    let (_serve, endpoint) = serve();
    let client = sfn(&endpoint);
    let activity = client
        .create_activity()
        .name(format!("load-{}", unique_id()))
        .send()
        .await
        .expect("CreateActivity")
        .activity_arn;
    let machine = create(
        &client,
        json!({
            "StartAt": "Load",
            "States": {
                "Load": {
                    "Type": "Task",
                    "Resource": activity,
                    "HeartbeatSeconds": 2,
                    "Retry": [{"ErrorEquals": ["States.HeartbeatTimeout"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                    "Catch": [{"ErrorEquals": ["NotFound"], "ResultPath": "$.error", "Next": "Missing"}],
                    "End": true
                },
                "Missing": {"Type": "Pass", "End": true}
            }
        }),
    )
    .await;
    // The first worker's SSM endpoint accepts connections and never answers: its
    // LoadConfig hangs (heartbeating) until the worker is killed.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let silent_url = format!("http://{}", silent.local_addr().expect("an address"));
    let parameter = format!("/stepwise-test/wiring/{}", unique_id());
    let execution = start(&client, &machine, json!({"parameter": parameter})).await;
    let mut first = worker_with(
        &endpoint,
        "LoadConfig",
        &activity,
        &[("AWS_ENDPOINT_URL_SSM", silent_url)],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !event_types(&client, &execution)
        .await
        .iter()
        .any(|t| t == "ActivityStarted")
    {
        assert!(Instant::now() < deadline, "no worker took the task in 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // It heartbeats while it runs: the task outlives its 2-second HeartbeatSeconds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !event_types(&client, &execution)
            .await
            .iter()
            .any(|t| t == "ActivityTimedOut"),
        "a heartbeating task timed out"
    );
    first.0.kill().expect("SIGKILL the first worker");
    let _ = first.0.wait();
    // The second worker reaches moto, where the parameter does not exist: NotFound, caught.
    let moto = MotoServer::shared();
    let _second = worker_with(
        &endpoint,
        "LoadConfig",
        &activity,
        &[("AWS_ENDPOINT_URL_SSM", moto.endpoint())],
    );
    let (status, output) = finished(&client, &execution).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output["error"]["Error"], "NotFound", "{output}");
    let types = event_types(&client, &execution).await;
    assert_eq!(
        types.iter().filter(|t| *t == "ActivityScheduled").count(),
        2,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "ActivityTimedOut").count(),
        1,
        "{types:?}"
    );
    let history = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .expect("GetExecutionHistory");
    let timed_out = history
        .events()
        .iter()
        .find_map(|e| e.activity_timed_out_event_details())
        .expect("an ActivityTimedOut event");
    assert_eq!(timed_out.error(), Some("States.HeartbeatTimeout"));
    drop(silent);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nested_start_execution_child_is_an_execution_of_the_server() {
    let (_serve, endpoint) = serve();
    let client = sfn(&endpoint);
    let child = create(
        &client,
        json!({"StartAt": "Double", "States": {"Double": {
            "Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}}),
    )
    .await;
    let parent = create(
        &client,
        json!({"StartAt": "Child", "States": {"Child": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child, "Name": "the-child", "Input": {"n.$": "$.n"}},
            "ResultSelector": {"out.$": "$.Output", "arn.$": "$.ExecutionArn"},
            "End": true}}}),
    )
    .await;
    let execution = start(&client, &parent, json!({"n": 21})).await;
    let (status, output) = finished(&client, &execution).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output["out"], json!({"doubled": 42}), "{output}");
    let listed = client
        .list_executions()
        .state_machine_arn(&child)
        .send()
        .await
        .expect("ListExecutions");
    let children = listed.executions();
    assert_eq!(children.len(), 1, "{children:?}");
    assert_eq!(children[0].name, "the-child");
    assert_eq!(children[0].status, ExecutionStatus::Succeeded);
    assert_eq!(output["arn"], children[0].execution_arn.as_str());
    let types = event_types(&client, &children[0].execution_arn).await;
    assert_eq!(types.first().map(String::as_str), Some("ExecutionStarted"));
    assert_eq!(types.last().map(String::as_str), Some("ExecutionSucceeded"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dynamodb_put_item_runs_against_the_environments_endpoint() {
    let (_serve, endpoint) = serve();
    let client = sfn(&endpoint);
    let dynamodb = aws_sdk_dynamodb::Client::new(&MotoServer::shared().sdk_config());
    let table = format!("wiring-{}", unique_id());
    dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .expect("an attribute"),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .expect("a key"),
        )
        .send()
        .await
        .expect("CreateTable");
    let machine = create(
        &client,
        json!({"StartAt": "Claim", "States": {"Claim": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": table,
                "Item": {"pk": {"S.$": "$.id"}},
                "ConditionExpression": "attribute_not_exists(pk)"
            },
            "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": "$.claimed", "Next": "Taken"}],
            "ResultPath": null,
            "End": true},
            "Taken": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let first = start(&client, &machine, json!({"id": "order-1"})).await;
    let (status, output) = finished(&client, &first).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output, json!({"id": "order-1"}));
    let item = dynamodb
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("order-1".into()),
        )
        .send()
        .await
        .expect("GetItem");
    assert!(item.item().is_some(), "the execution wrote the item");
    // The second claim of the same id fails the condition: the service error, caught.
    let second = start(&client, &machine, json!({"id": "order-1"})).await;
    let (status, output) = finished(&client, &second).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(
        output["claimed"]["Error"], "DynamoDB.ConditionalCheckFailedException",
        "{output}"
    );
}
