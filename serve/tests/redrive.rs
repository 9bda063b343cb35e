//! RedriveExecution on `stepwise serve` through `aws-sdk-sfn`: a failed execution goes on
//! from where it stopped (an inline Map's failed and aborted iterations only, a
//! distributed Map's unsuccessful children on the same Map Run), DescribeExecution,
//! ListExecutions, DescribeMapRun and GetExecutionHistory show the redrive (a Map Run's
//! child executions listed, described and redriven through their parent), and the
//! executions that cannot be redriven get AWS's errors.

use aws_sdk_sfn::Client;
use aws_sdk_sfn::types::{ExecutionRedriveStatus, ExecutionStatus, StateMachineType};
use serde_json::{Value, json};

mod common;
use common::{code, create, server, virtual_time, wait_done};
use stepwise_serve::config::Config;

/// A server whose mock config answers the Map's Tasks (counted per state and item, as
/// stepfunctions-local does): `Flaky` fails on its first call and answers `"redrive"` on
/// the next; `Steady` answers `"first"`, then `"again"` (so an item run twice shows it).
async fn flaky_server(dir: &tempfile::TempDir) -> Client {
    let mock = dir.path().join("mock.json");
    let case = json!({"Flaky": "FailOnce", "Steady": "FirstThenAgain"});
    std::fs::write(
        &mock,
        json!({
            "StateMachines": {
                "inline": {"TestCases": {"Redrive": case}},
                "fanout": {"TestCases": {"Redrive": case}}
            },
            "MockedResponses": {
                "FailOnce": {
                    "0": {"Throw": {"Error": "Downstream.Unavailable", "Cause": "the service is down"}},
                    "1": {"Return": {"run": "redrive"}}
                },
                "FirstThenAgain": {
                    "0": {"Return": {"run": "first"}},
                    "1": {"Return": {"run": "again"}}
                }
            }
        })
        .to_string(),
    )
    .unwrap();
    let (client, _) = server(Config {
        mock_config: Some(mock),
        ..virtual_time()
    })
    .await;
    client
}

/// A Map over `$.items`, one at a time, whose item `1` goes to the `Flaky` Task and the
/// others to `Steady`; `mode` INLINE or DISTRIBUTED. Item 1 fails the first run: item 0
/// succeeded, 2 and 3 never start (aborted).
fn map_definition(mode: &str) -> String {
    let task = |end: bool| {
        let mut t = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.run"});
        t["End"] = json!(end);
        t
    };
    let mut processor = json!({
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "Flaky"}], "Default": "Steady"},
            "Flaky": task(true),
            "Steady": task(true)
        }
    });
    if mode == "DISTRIBUTED" {
        processor["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
    }
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemProcessor": processor, "End": true
    }}})
    .to_string()
}

async fn start(client: &Client, machine: &str, input: &str) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .input(input)
        .send()
        .await
        .expect("starts")
        .execution_arn
}

#[tokio::test]
async fn an_inline_map_is_redriven_from_its_failed_iteration_on() {
    let dir = tempfile::tempdir().unwrap();
    let client = flaky_server(&dir).await;
    let machine = create(
        &client,
        "inline",
        &map_definition("INLINE"),
        StateMachineType::Standard,
    )
    .await;
    let arn = start(
        &client,
        &format!("{machine}#Redrive"),
        r#"{"items": [0, 1, 2, 3]}"#,
    )
    .await;
    let first = wait_done(&client, &arn).await;
    assert_eq!(first.status, ExecutionStatus::Failed);
    assert_eq!(first.redrive_count, Some(0));
    assert_eq!(
        first.redrive_status,
        Some(ExecutionRedriveStatus::Redrivable)
    );
    assert_eq!(first.redrive_status_reason, None);

    let redriven = client
        .redrive_execution()
        .execution_arn(&arn)
        .send()
        .await
        .expect("redrives");
    let second = wait_done(&client, &arn).await;
    assert_eq!(
        second.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        second.cause
    );
    assert_eq!(second.execution_arn, arn, "the same execution");
    assert_eq!(second.redrive_count, Some(1));
    assert_eq!(second.redrive_date, Some(redriven.redrive_date));
    assert_eq!(
        second.redrive_status,
        Some(ExecutionRedriveStatus::NotRedrivable)
    );
    assert_eq!(
        second.redrive_status_reason.as_deref(),
        Some("Execution is SUCCEEDED and cannot be redriven")
    );
    // Item 0 kept its result (run again, it would answer "again"); item 1 failed, 2 and 3
    // were aborted: they ran.
    let output: Value = serde_json::from_str(second.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!(["first", "redrive", "first", "first"]));

    let history = client
        .get_execution_history()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    let at = history
        .events
        .iter()
        .position(|e| e.r#type.as_str() == "ExecutionRedriven")
        .expect("ExecutionRedriven");
    let details = history.events[at]
        .execution_redriven_event_details
        .as_ref()
        .expect("its details");
    assert_eq!(details.redrive_count, Some(1));
    assert_eq!(history.events[at - 1].r#type.as_str(), "ExecutionFailed");
    let iterations: Vec<i32> = history.events[at..]
        .iter()
        .filter(|e| e.r#type.as_str() == "MapIterationStarted")
        .map(|e| {
            e.map_iteration_started_event_details
                .as_ref()
                .unwrap()
                .index
        })
        .collect();
    assert_eq!(iterations, [1, 2, 3]);

    let listed = client
        .list_executions()
        .state_machine_arn(&machine)
        .redrive_filter(aws_sdk_sfn::types::ExecutionRedriveFilter::Redriven)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions.len(), 1);
    assert_eq!(listed.executions[0].redrive_count, Some(1));
    let none = client
        .list_executions()
        .state_machine_arn(&machine)
        .redrive_filter(aws_sdk_sfn::types::ExecutionRedriveFilter::NotRedriven)
        .send()
        .await
        .unwrap();
    assert!(none.executions.is_empty());

    let err = client
        .redrive_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "ExecutionNotRedrivable");
    assert!(err.to_string().contains("SUCCEEDED") || format!("{err:?}").contains("SUCCEEDED"));
}

#[tokio::test]
async fn a_distributed_map_run_is_redriven_with_its_unsuccessful_children_only() {
    let dir = tempfile::tempdir().unwrap();
    let client = flaky_server(&dir).await;
    let machine = create(
        &client,
        "fanout",
        &map_definition("DISTRIBUTED"),
        StateMachineType::Standard,
    )
    .await;
    let arn = start(
        &client,
        &format!("{machine}#Redrive"),
        r#"{"items": [0, 1, 2, 3]}"#,
    )
    .await;
    let first = wait_done(&client, &arn).await;
    assert_eq!(first.status, ExecutionStatus::Failed);
    let runs = client
        .list_map_runs()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(runs.map_runs.len(), 1);
    let map_run = runs.map_runs[0].map_run_arn.clone();
    let before = client
        .describe_map_run()
        .map_run_arn(&map_run)
        .send()
        .await
        .unwrap();
    assert_eq!(before.redrive_count, Some(0));
    let c = before.execution_counts.unwrap();
    assert_eq!((c.succeeded, c.failed, c.aborted), (1, 1, 2));
    assert_eq!(c.failures_not_redrivable, Some(0));

    // The Map Run's children: the two that started are listed, newest first; the two
    // that never started are not (they have no start date).
    let listed = map_run_children(&client, &map_run, None).await;
    let statuses: Vec<ExecutionStatus> = listed.iter().map(|e| e.status.clone()).collect();
    assert_eq!(
        statuses,
        [ExecutionStatus::Failed, ExecutionStatus::Succeeded]
    );
    assert!(
        listed
            .iter()
            .all(|e| e.map_run_arn.as_deref() == Some(map_run.as_str()))
    );
    assert!(
        listed[0]
            .state_machine_arn
            .ends_with(":stateMachine:fanout/Each")
    );
    assert_eq!(
        map_run_children(&client, &map_run, Some(ExecutionStatus::Failed))
            .await
            .len(),
        1
    );
    let failed = client
        .describe_execution()
        .execution_arn(&listed[0].execution_arn)
        .send()
        .await
        .expect("a child is described");
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(failed.input.as_deref(), Some("1"));
    assert_eq!(failed.error.as_deref(), Some("Downstream.Unavailable"));
    assert_eq!(failed.map_run_arn.as_deref(), Some(map_run.as_str()));
    assert_eq!(
        failed.redrive_status,
        Some(ExecutionRedriveStatus::RedrivableByMapRun)
    );
    let succeeded = client
        .describe_execution()
        .execution_arn(&listed[1].execution_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(succeeded.output.as_deref(), Some(r#""first""#));
    assert_eq!(
        succeeded.redrive_status,
        Some(ExecutionRedriveStatus::NotRedrivable)
    );
    let child_history = client
        .get_execution_history()
        .execution_arn(&listed[0].execution_arn)
        .send()
        .await
        .expect("a child's history");
    assert!(
        child_history
            .events
            .iter()
            .any(|e| e.task_failed_event_details.is_some()
                || e.lambda_function_failed_event_details.is_some()),
        "the child's own events: {:?}",
        child_history
            .events
            .iter()
            .map(|e| e.r#type.clone())
            .collect::<Vec<_>>()
    );
    // A child is redriven through its parent, not on its own.
    let err = client
        .redrive_execution()
        .execution_arn(&listed[0].execution_arn)
        .send()
        .await
        .expect_err("a child is not redriven alone");
    assert_eq!(code(&err), "ExecutionNotRedrivable");
    // PENDING_REDRIVE lists a Map Run's children only.
    let err = client
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::PendingRedrive)
        .send()
        .await
        .expect_err("PENDING_REDRIVE needs a mapRunArn");
    assert_eq!(code(&err), "ValidationException");

    client
        .redrive_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    let second = wait_done(&client, &arn).await;
    assert_eq!(
        second.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        second.cause
    );
    let output: Value = serde_json::from_str(second.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!(["first", "redrive", "first", "first"]));

    let runs = client
        .list_map_runs()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(runs.map_runs.len(), 1, "the same Map Run");
    assert_eq!(runs.map_runs[0].map_run_arn, map_run);
    let after = client
        .describe_map_run()
        .map_run_arn(&map_run)
        .send()
        .await
        .unwrap();
    assert_eq!(after.redrive_count, Some(1));
    assert!(after.redrive_date.is_some());
    assert_eq!(after.status, aws_sdk_sfn::types::MapRunStatus::Succeeded);
    assert_eq!(runs.map_runs[0].stop_date, after.stop_date);
    let items = after.item_counts.unwrap();
    let children = after.execution_counts.unwrap();
    assert_eq!(
        (items.succeeded, items.failed, items.aborted, items.total),
        (4, 0, 0, 4)
    );
    assert_eq!(
        (
            children.succeeded,
            children.failed,
            children.aborted,
            children.total
        ),
        (4, 0, 0, 4)
    );
    assert_eq!(
        (items.pending_redrive, children.pending_redrive),
        (Some(0), Some(0))
    );
    let history = client
        .get_execution_history()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    let redriven = history
        .events
        .iter()
        .find_map(|e| e.map_run_redriven_event_details.as_ref())
        .expect("MapRunRedriven");
    assert_eq!(redriven.map_run_arn.as_deref(), Some(map_run.as_str()));
    assert_eq!(redriven.redrive_count, Some(1));

    // After the redrive all four children ran; the three the redrive ran are REDRIVEN.
    let listed = map_run_children(&client, &map_run, None).await;
    assert_eq!(listed.len(), 4);
    assert!(
        listed
            .iter()
            .all(|e| e.status == ExecutionStatus::Succeeded)
    );
    let again = client
        .list_executions()
        .map_run_arn(&map_run)
        .redrive_filter(aws_sdk_sfn::types::ExecutionRedriveFilter::Redriven)
        .send()
        .await
        .unwrap()
        .executions;
    assert_eq!(again.len(), 3, "the failed child and the two aborted ones");
    assert!(again.iter().all(|e| e.redrive_count == Some(1)));
    assert!(
        map_run_children(&client, &map_run, Some(ExecutionStatus::PendingRedrive))
            .await
            .is_empty()
    );
}

/// The Map Run's child executions, optionally of one status.
async fn map_run_children(
    client: &Client,
    map_run: &str,
    status: Option<ExecutionStatus>,
) -> Vec<aws_sdk_sfn::types::ExecutionListItem> {
    client
        .list_executions()
        .map_run_arn(map_run)
        .set_status_filter(status)
        .send()
        .await
        .expect("lists a Map Run's children")
        .executions
}

#[tokio::test]
async fn executions_that_cannot_be_redriven_get_aws_errors() {
    let (client, _) = server(virtual_time()).await;
    let wait =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}})
            .to_string();
    // Real time here: the Wait keeps the execution running.
    let (real, _) = server(Config::default()).await;
    let standard = create(&real, "waits", &wait, StateMachineType::Standard).await;
    let running = start(&real, &standard, "{}").await;
    let err = real
        .redrive_execution()
        .execution_arn(&running)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "ExecutionNotRedrivable");
    let d = real
        .describe_execution()
        .execution_arn(&running)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.redrive_status,
        Some(ExecutionRedriveStatus::NotRedrivable)
    );
    assert_eq!(
        d.redrive_status_reason.as_deref(),
        Some("Execution is RUNNING and cannot be redriven")
    );
    // Stopped, it can be redriven: it goes on with its Wait.
    real.stop_execution()
        .execution_arn(&running)
        .send()
        .await
        .unwrap();
    let d = real
        .describe_execution()
        .execution_arn(&running)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Aborted);
    assert_eq!(d.redrive_status, Some(ExecutionRedriveStatus::Redrivable));
    real.redrive_execution()
        .execution_arn(&running)
        .send()
        .await
        .unwrap();
    let d = real
        .describe_execution()
        .execution_arn(&running)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Running);
    assert_eq!(d.redrive_count, Some(1));
    real.stop_execution()
        .execution_arn(&running)
        .send()
        .await
        .unwrap();

    // Express executions are never redriven.
    let fail = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}).to_string();
    let express = create(&client, "fast", &fail, StateMachineType::Express).await;
    let e = start(&client, &express, "{}").await;
    let done = wait_done(&client, &e).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(
        done.redrive_status,
        Some(ExecutionRedriveStatus::NotRedrivable)
    );
    let err = client
        .redrive_execution()
        .execution_arn(&e)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "ExecutionNotRedrivable");

    let missing = client
        .redrive_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:fast:nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&missing), "ExecutionDoesNotExist");
    let invalid = client
        .redrive_execution()
        .execution_arn("not-an-arn")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&invalid), "InvalidArn");
}
