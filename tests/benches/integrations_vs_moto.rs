//! sfn-local's AWS service integrations against moto server's interpreter, in the same
//! run: a 1,000-item Map (MaxConcurrency 10) whose item state is `dynamodb:putItem`,
//!
//! * on sfn-local in-process (`sfn_local::execute` with [`ServiceTasks`] over the SDK
//!   clients pointed at moto server), timed from the call to the outcome, with sfn-local's
//!   own time per integration call (the runner's time minus the time inside the SDK call,
//!   [`sfn_local::CallStats`]);
//! * on moto's interpreter (`execute_state_machine` on; StartExecution until
//!   DescribeExecution leaves RUNNING, polled every 20 ms), which calls its DynamoDB
//!   backend in-process without HTTP;
//!
//! both against one moto server, each run on a fresh table, and checked: 1,000 items
//! written. Median of 3. Targets: sfn-local end to end at least as fast as moto's
//! interpreter, and its own overhead under 50 µs per call.
//!
//! Run with `cargo bench -p stepwise-tests --bench integrations_vs_moto`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{Value, json};
use sfn_local::{CallStats, Options, RegistryTasks, ServiceTasks, Status, TaskRunner};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::{MotoServer, unique_id};

const RUNS: usize = 3;
const ITEMS: usize = 1_000;
const CONCURRENCY: u32 = 10;

fn definition(table: &str) -> Value {
    json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": CONCURRENCY,
            "ItemSelector": {"n.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "Put", "States": {"Put": {
                "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": table,
                    "Item": {"pk": {"S.$": "States.Format('item-{}', $.n)"}, "n": {"N.$": "States.Format('{}', $.n)"}}},
                "ResultSelector": {"ok": true},
                "End": true}}},
            "ResultSelector": {"count.$": "States.ArrayLength($)"},
            "End": true
        }}
    })
}

fn input() -> Value {
    json!({"items": (0..ITEMS).collect::<Vec<_>>()})
}

async fn create_table(client: &aws_sdk_dynamodb::Client) -> String {
    let table = format!("bench-{}", unique_id());
    client
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table");
    table
}

async fn count(client: &aws_sdk_dynamodb::Client, table: &str) -> i32 {
    client
        .scan()
        .table_name(table)
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .expect("scan")
        .count()
}

async fn run_local(services: &Arc<Services>, table: &str) -> (Duration, CallStats) {
    let machine = codegen::asl::from_value(definition(table)).expect("valid ASL");
    let registry = Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone()));
    let tasks = Arc::new(ServiceTasks::new(registry, services.clone()));
    let runner: Arc<dyn TaskRunner> = tasks.clone();
    let started = Instant::now();
    let outcome = sfn_local::execute(&machine, input(), runner, Options::default())
        .await
        .expect("starts");
    let elapsed = started.elapsed();
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.output, Some(json!({"count": ITEMS})));
    (elapsed, tasks.stats())
}

async fn run_moto(sfn: &aws_sdk_sfn::Client, table: &str) -> Duration {
    let machine = sfn
        .create_state_machine()
        .name(format!("bench-{}", unique_id()))
        .definition(definition(table).to_string())
        .role_arn("arn:aws:iam::123456789012:role/x")
        .send()
        .await
        .expect("create state machine");
    let started = Instant::now();
    let execution = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(input().to_string())
        .send()
        .await
        .expect("start execution");
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution.execution_arn())
            .send()
            .await
            .expect("describe execution");
        if *described.status() != ExecutionStatus::Running {
            let elapsed = started.elapsed();
            assert_eq!(
                *described.status(),
                ExecutionStatus::Succeeded,
                "moto: {:?} {:?}",
                described.error(),
                described.cause()
            );
            return elapsed;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "moto still runs"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let moto = MotoServer::start().expect("moto server");
    moto.enable_asl_execution().expect("moto's interpreter");
    let config = moto.sdk_config();
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let sfn = aws_sdk_sfn::Client::new(&config);
    let services = Services::with_aws(Aws::with_config(config));

    let mut local = Vec::new();
    let mut overheads = Vec::new();
    let mut in_sdk = Vec::new();
    let mut remote = Vec::new();
    for run in 0..RUNS {
        let table = create_table(&dynamodb).await;
        let (elapsed, stats) = run_local(&services, &table).await;
        assert_eq!(
            count(&dynamodb, &table).await,
            ITEMS as i32,
            "sfn-local's items"
        );
        assert_eq!(stats.calls, ITEMS as u64);
        println!(
            "run {run}: sfn-local {:.0} ms ({} calls, {:.1} µs own time per call, {:.2} ms in the SDK per call)",
            elapsed.as_secs_f64() * 1e3,
            stats.calls,
            stats.overhead_per_call().as_secs_f64() * 1e6,
            stats.in_sdk.as_secs_f64() * 1e3 / stats.calls as f64
        );
        local.push(elapsed);
        overheads.push(stats.overhead_per_call());
        in_sdk.push(stats.in_sdk / ITEMS as u32);

        let table = create_table(&dynamodb).await;
        let elapsed = run_moto(&sfn, &table).await;
        assert_eq!(count(&dynamodb, &table).await, ITEMS as i32, "moto's items");
        println!("run {run}: moto {:.0} ms", elapsed.as_secs_f64() * 1e3);
        remote.push(elapsed);
    }
    let local = median(local);
    let remote = median(remote);
    let overhead = median(overheads);
    println!(
        "\n| case | sfn-local | moto | ratio | sfn-local's own time per call | SDK call (moto over HTTP) |\n| --- | --- | --- | --- | --- | --- |\n| {ITEMS}-item Map of `dynamodb:putItem`, MaxConcurrency {CONCURRENCY} | {:.0} ms | {:.0} ms | {:.2}× | {:.1} µs | {:.2} ms |",
        local.as_secs_f64() * 1e3,
        remote.as_secs_f64() * 1e3,
        remote.as_secs_f64() / local.as_secs_f64(),
        overhead.as_secs_f64() * 1e6,
        median(in_sdk).as_secs_f64() * 1e3,
    );
    let mut missed = Vec::new();
    if local > remote {
        missed.push(format!(
            "sfn-local ({local:?}) is slower than moto's interpreter ({remote:?})"
        ));
    }
    if overhead > Duration::from_micros(50) {
        missed.push(format!(
            "sfn-local's own time per call is {overhead:?} (target < 50 µs)"
        ));
    }
    assert!(missed.is_empty(), "targets missed: {}", missed.join("; "));
}
