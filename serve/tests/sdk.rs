//! `stepwise serve` through the official Rust client (`aws-sdk-sfn`), on a free port:
//! the life cycles of a Standard and an Express machine, history pagination, the
//! idempotent-name rule, StopExecution, a mocked test case with `#TestCase` (retry path),
//! AWS's error types, bounded retention, and Lambda's Invoke of an activity.

use std::time::Duration;

use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use serde_json::{Value, json};

mod common;
use common::{code, create, server, virtual_time, wait_done};
use stepwise_serve::config::Config;

const ORDERS: &str = include_str!("../../statemachines/generated/example-orders.asl.json");
const ORDERS_INPUT: &str =
    include_str!("../../statemachines/generated/example-orders.input.example.json");

#[tokio::test]
async fn a_standard_machine_runs_the_real_activities_through_its_whole_life_cycle() {
    let (client, _) = server(virtual_time()).await;
    let arn = create(&client, "orders", ORDERS, StateMachineType::Standard).await;
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
    );
    let d = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.definition, ORDERS);
    assert_eq!(d.r#type, StateMachineType::Standard);

    let started = client
        .start_execution()
        .state_machine_arn(&arn)
        .name("order-1001")
        .input(ORDERS_INPUT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.execution_arn,
        "arn:aws:states:us-east-1:123456789012:execution:orders:order-1001"
    );
    let done = wait_done(&client, &started.execution_arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.cause);
    let output: Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    // 2 × 12.50 + 24.00, less 10 %: what the real activities compute.
    assert_eq!(output["summary"]["total_cents"], json!(4410), "{output}");
    assert!(done.stop_date.is_some());

    let listed = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions.len(), 1);
    assert_eq!(listed.executions[0].status, ExecutionStatus::Succeeded);
    let running = client
        .list_executions()
        .state_machine_arn(&arn)
        .status_filter(ExecutionStatus::Running)
        .send()
        .await
        .unwrap();
    assert!(running.executions.is_empty());

    // History in pages of 4, oldest first; then newest first without payloads.
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(&started.execution_arn)
            .max_results(4)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.events.len() <= 4);
        events.extend(page.events);
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert!(events.len() > 8, "{} events", events.len());
    assert_eq!(events[0].r#type.as_str(), "ExecutionStarted");
    assert_eq!(events.last().unwrap().r#type.as_str(), "ExecutionSucceeded");
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=events.len() as i64).collect::<Vec<_>>());
    let entered = events
        .iter()
        .find(|e| e.r#type.as_str() == "TaskStateEntered")
        .and_then(|e| e.state_entered_event_details.as_ref())
        .unwrap();
    assert_eq!(entered.name, "ValidateOrder");
    assert!(entered.input.as_deref().unwrap().contains("order-1001"));
    let reversed = client
        .get_execution_history()
        .execution_arn(&started.execution_arn)
        .reverse_order(true)
        .include_execution_data(false)
        .send()
        .await
        .unwrap();
    assert_eq!(reversed.events.len(), events.len());
    assert_eq!(reversed.events[0].r#type.as_str(), "ExecutionSucceeded");
    let entered = reversed
        .events
        .iter()
        .find_map(|e| e.state_entered_event_details.as_ref())
        .unwrap();
    assert_eq!(
        entered.input, None,
        "includeExecutionData=false drops payloads"
    );

    let for_execution = client
        .describe_state_machine_for_execution()
        .execution_arn(&started.execution_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(for_execution.definition, ORDERS);

    // Update: new executions run the new definition; Delete: the machine is gone.
    let pass = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"v2","End":true}}}"#;
    client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(pass)
        .send()
        .await
        .unwrap();
    let second = client
        .start_execution()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let done = wait_done(&client, &second.execution_arn).await;
    assert_eq!(done.output.as_deref(), Some("\"v2\""));
    client
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let err = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "StateMachineDoesNotExist");
}

#[tokio::test]
async fn an_express_machine_answers_start_sync_execution_with_its_result() {
    let (client, _) = server(virtual_time()).await;
    let def = r#"{"StartAt":"Check","States":{
        "Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small"},
        "Big":{"Type":"Fail","Error":"TooBig","Cause":"n is over 10"},
        "Small":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true}}}"#;
    let arn = create(&client, "express", def, StateMachineType::Express).await;
    let ok = client
        .start_sync_execution()
        .state_machine_arn(&arn)
        .input(r#"{"n": 4}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.status,
        aws_sdk_sfn::types::SyncExecutionStatus::Succeeded
    );
    assert_eq!(ok.output.as_deref(), Some(r#"{"doubled":8}"#));
    assert!(
        ok.execution_arn.contains(":express:express:"),
        "{}",
        ok.execution_arn
    );
    let failed = client
        .start_sync_execution()
        .state_machine_arn(&arn)
        .input(r#"{"n": 40}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        failed.status,
        aws_sdk_sfn::types::SyncExecutionStatus::Failed
    );
    assert_eq!(failed.error.as_deref(), Some("TooBig"));
    assert_eq!(failed.cause.as_deref(), Some("n is over 10"));

    // A Standard machine refuses StartSyncExecution.
    let std_arn = create(&client, "standard", def, StateMachineType::Standard).await;
    let err = client
        .start_sync_execution()
        .state_machine_arn(&std_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&err.into_service_error()),
        "StateMachineTypeNotSupported"
    );
}

#[tokio::test]
async fn names_are_idempotent_only_for_a_running_execution_with_the_same_input() {
    let (client, _) = server(Config::default()).await;
    let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#;
    let arn = create(&client, "waits", def, StateMachineType::Standard).await;
    let start = |input: &'static str| {
        client
            .start_execution()
            .state_machine_arn(&arn)
            .name("once")
            .input(input)
            .send()
    };
    let first = start(r#"{"a": 1}"#).await.unwrap();
    let again = start(r#"{ "a" : 1 }"#).await.unwrap();
    assert_eq!(first.execution_arn, again.execution_arn);
    assert_eq!(first.start_date, again.start_date);
    let other = start(r#"{"a": 2}"#).await.unwrap_err();
    assert_eq!(code(&other.into_service_error()), "ExecutionAlreadyExists");

    // Stop: ABORTED, ExecutionAborted last in the history; then the name is taken.
    client
        .stop_execution()
        .execution_arn(&first.execution_arn)
        .error("Operator")
        .cause("no longer needed")
        .send()
        .await
        .unwrap();
    let d = client
        .describe_execution()
        .execution_arn(&first.execution_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Aborted);
    assert_eq!(d.error.as_deref(), Some("Operator"));
    let history = client
        .get_execution_history()
        .execution_arn(&first.execution_arn)
        .reverse_order(true)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(history.events[0].r#type.as_str(), "ExecutionAborted");
    let closed = start(r#"{"a": 1}"#).await.unwrap_err();
    assert_eq!(code(&closed.into_service_error()), "ExecutionAlreadyExists");
}

#[tokio::test]
async fn bad_requests_get_aws_error_types_and_the_server_keeps_serving() {
    let (client, _) = server(virtual_time()).await;
    let err = client
        .create_state_machine()
        .name("bad")
        .definition(r#"{"StartAt":"Nowhere","States":{}}"#)
        .role_arn("arn:aws:iam::123456789012:role/r")
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert_eq!(code(&err), "InvalidDefinition");
    assert!(
        err.to_string().contains("Nowhere") || format!("{err:?}").contains("Nowhere"),
        "{err:?}"
    );
    let err = client
        .create_state_machine()
        .name("has space")
        .definition("{}")
        .role_arn("r")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidName");

    let err = client
        .describe_execution()
        .execution_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidArn");
    let err = client
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:m:none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "ExecutionDoesNotExist");
    let err = client
        .start_execution()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "StateMachineDoesNotExist");

    let arn = create(
        &client,
        "p",
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
        StateMachineType::Standard,
    )
    .await;
    let err = client
        .start_execution()
        .state_machine_arn(&arn)
        .input("{not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidExecutionInput");
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(256 * 1024));
    let err = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(big)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "ValidationException");
    let err = client
        .send_task_success()
        .task_token("never-issued")
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "TaskDoesNotExist");
    let err = client
        .get_execution_history()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:p:x")
        .next_token("forged")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        code(&err.into_service_error()).as_str(),
        "ExecutionDoesNotExist" | "InvalidToken"
    ));

    // Still serving.
    let ok = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"k": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        wait_done(&client, &ok.execution_arn).await.status,
        ExecutionStatus::Succeeded
    );
}

#[tokio::test]
async fn a_test_case_after_hash_mocks_its_states_with_per_execution_counters() {
    let dir = tempfile::tempdir().unwrap();
    let mock = dir.path().join("mock.json");
    std::fs::write(
        &mock,
        json!({
            "StateMachines": {"orders": {"TestCases": {
                "RetryPath": {"ValidateOrder": "ThrottledThenValid"}
            }}},
            "MockedResponses": {"ThrottledThenValid": {
                "0": {"Throw": {"Error": "Transient", "Cause": "mocked first call"}},
                "1": {"Return": {"order_id": "mocked", "items": [{"sku": "MUG-BLUE", "quantity": 1, "unit_price_cents": 1000}], "gross_cents": 1000}}
            }}
        })
        .to_string(),
    )
    .unwrap();
    let (client, _) = server(Config {
        mock_config: Some(mock),
        ..virtual_time()
    })
    .await;
    let arn = create(&client, "orders", ORDERS, StateMachineType::Standard).await;
    // Twice: the counters are per execution, so both see the throttle first.
    for name in ["first", "second"] {
        let started = client
            .start_execution()
            .state_machine_arn(format!("{arn}#RetryPath"))
            .name(name)
            .input(ORDERS_INPUT)
            .send()
            .await
            .unwrap();
        let done = wait_done(&client, &started.execution_arn).await;
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.cause);
        let output: Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
        // ValidateOrder's mocked result, priced and summarised by the real PriceLine and
        // SummariseOrder (not mocked: a hybrid run).
        assert_eq!(output["summary"]["order_id"], "mocked", "{output}");
        assert_eq!(output["summary"]["total_cents"], json!(900), "{output}");
        let history = client
            .get_execution_history()
            .execution_arn(&started.execution_arn)
            .send()
            .await
            .unwrap();
        let failed: Vec<_> = history
            .events
            .iter()
            .filter_map(|e| e.task_failed_event_details.as_ref())
            .collect();
        assert_eq!(failed.len(), 1, "one throttled attempt per execution");
        assert_eq!(failed[0].error.as_deref(), Some("Transient"));
    }
    let err = client
        .start_execution()
        .state_machine_arn(format!("{arn}#NoSuchCase"))
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test]
async fn finished_executions_past_the_retention_are_dropped_oldest_first() {
    let (client, _) = server(Config {
        retention: 3,
        ..virtual_time()
    })
    .await;
    let arn = create(
        &client,
        "p",
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
        StateMachineType::Standard,
    )
    .await;
    let mut arns = Vec::new();
    for i in 0..5 {
        let e = client
            .start_execution()
            .state_machine_arn(&arn)
            .name(format!("e{i}"))
            .send()
            .await
            .unwrap();
        wait_done(&client, &e.execution_arn).await;
        arns.push(e.execution_arn);
    }
    for (i, a) in arns.iter().enumerate() {
        let r = client.describe_execution().execution_arn(a).send().await;
        match r {
            Ok(_) => assert!(i >= 2, "e{i} should have been dropped"),
            Err(e) => {
                assert!(i < 2, "e{i} should be kept");
                assert_eq!(code(&e.into_service_error()), "ExecutionDoesNotExist");
            }
        }
    }
    let listed = client
        .list_executions()
        .state_machine_arn(&arn)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions.len(), 2);
    assert_eq!(listed.executions[0].name, "e4", "newest first");
    let rest = client
        .list_executions()
        .state_machine_arn(&arn)
        .max_results(2)
        .set_next_token(listed.next_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        rest.executions
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        vec!["e2"]
    );
    assert!(rest.next_token.is_none());
}

#[tokio::test]
async fn lambda_invoke_runs_an_activity_by_name_or_by_its_cdk_function_name() {
    let (_, endpoint) = server(Config::default()).await;
    let http = reqwest::Client::new();
    let order = serde_json::from_str::<Value>(ORDERS_INPUT).unwrap()["order"].clone();
    for function in [
        "ValidateOrder",
        "ValidateOrderFunction",
        "StepwiseStack-ValidateOrderFunction0A1B2C3D-AbCdEf123456",
    ] {
        let r = http
            .post(format!(
                "{endpoint}/2015-03-31/functions/{function}/invocations"
            ))
            .body(order.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("x-amz-function-error").is_none());
        let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["gross_cents"], json!(4900), "{function}: {body}");
    }
    let r = http
        .post(format!(
            "{endpoint}/2015-03-31/functions/ValidateOrder/invocations"
        ))
        .body(r#"{"order_id": "x", "customer_id": "c", "items": []}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-amz-function-error"], "Unhandled");
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(
        body["errorType"].is_string() && body["errorMessage"].is_string(),
        "{body}"
    );
    let r = http
        .post(format!(
            "{endpoint}/2015-03-31/functions/ValidateOrder/invocations"
        ))
        .header("X-Amz-Invocation-Type", "Event")
        .body(order.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = http
        .post(format!(
            "{endpoint}/2015-03-31/functions/NoSuchFunction/invocations"
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-amzn-errortype"], "ResourceNotFoundException");
}

#[tokio::test]
async fn test_state_at_debug_shows_every_intermediate_document() {
    use aws_sdk_sfn::types::{InspectionLevel, MockErrorOutput, MockInput, TestExecutionStatus};
    let (client, _) = server(Config::default()).await;
    let state = json!({
        "Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder",
        "InputPath": "$.order",
        "Parameters": {"order_id.$": "$.order_id", "customer_id.$": "$.customer_id", "items.$": "$.items"},
        "ResultSelector": {"gross.$": "$.gross_cents"},
        "ResultPath": "$.validated",
        "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 3, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["OrderRejected"], "ResultPath": "$.error", "Next": "Rejected"}],
        "Next": "Price"
    })
    .to_string();
    // The real activity.
    let r = client
        .test_state()
        .definition(&state)
        .input(ORDERS_INPUT)
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status, Some(TestExecutionStatus::Succeeded), "{r:?}");
    assert_eq!(r.next_state.as_deref(), Some("Price"));
    let data = r.inspection_data.unwrap();
    let parse = |s: Option<String>| serde_json::from_str::<Value>(&s.unwrap()).unwrap();
    assert_eq!(parse(data.after_input_path)["order_id"], "order-1001");
    assert_eq!(parse(data.after_parameters)["customer_id"], "customer-42");
    assert_eq!(parse(data.result)["gross_cents"], json!(4900));
    assert_eq!(parse(data.after_result_selector), json!({"gross": 4900}));
    let after = parse(data.after_result_path);
    assert_eq!(after["validated"], json!({"gross": 4900}));
    assert_eq!(after["discount_percent"], json!(10));
    assert_eq!(parse(r.output.clone()), after);

    // A mocked retriable error, then a caught one.
    let retriable = client
        .test_state()
        .definition(&state)
        .input(ORDERS_INPUT)
        .inspection_level(InspectionLevel::Debug)
        .mock(
            MockInput::builder()
                .error_output(
                    MockErrorOutput::builder()
                        .error("Transient")
                        .cause("flaky")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(retriable.status, Some(TestExecutionStatus::Retriable));
    assert_eq!(retriable.error.as_deref(), Some("Transient"));
    let details = retriable.inspection_data.unwrap().error_details.unwrap();
    assert_eq!(details.retry_backoff_interval_seconds, Some(3));
    let caught = client
        .test_state()
        .definition(&state)
        .input(ORDERS_INPUT)
        .mock(
            MockInput::builder()
                .error_output(
                    MockErrorOutput::builder()
                        .error("OrderRejected")
                        .cause("on hold")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(caught.status, Some(TestExecutionStatus::CaughtError));
    assert_eq!(caught.next_state.as_deref(), Some("Rejected"));
    assert!(
        caught.inspection_data.is_none(),
        "INFO shows no intermediate documents"
    );
    let out = serde_json::from_str::<Value>(caught.output.as_deref().unwrap()).unwrap();
    assert_eq!(
        out["error"],
        json!({"Error": "OrderRejected", "Cause": "on hold"})
    );
}

#[tokio::test]
async fn a_failed_execution_is_redriven_from_the_state_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mock = dir.path().join("mock.json");
    // The first call fails (no Retry); the redrive goes on with the execution's
    // counters, so the second call answers.
    std::fs::write(
        &mock,
        json!({
            "StateMachines": {"flaky": {"TestCases": {"FailOnce": {"Charge": "FailThenCharge"}}}},
            "MockedResponses": {"FailThenCharge": {
                "0": {"Throw": {"Error": "PaymentDeclined", "Cause": "card expired"}},
                "1": {"Return": {"charged": true}}
            }}
        })
        .to_string(),
    )
    .unwrap();
    let (client, _) = server(Config {
        mock_config: Some(mock),
        ..virtual_time()
    })
    .await;
    let def = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"amount": 5}, "ResultPath": "$.order", "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.charge", "End": true}
    }})
    .to_string();
    let arn = create(&client, "flaky", &def, StateMachineType::Standard).await;
    let started = client
        .start_execution()
        .state_machine_arn(format!("{arn}#FailOnce"))
        .input(r#"{"customer": "c-1"}"#)
        .send()
        .await
        .unwrap();
    let first = wait_done(&client, &started.execution_arn).await;
    assert_eq!(first.status, ExecutionStatus::Failed);
    assert_eq!(first.error.as_deref(), Some("PaymentDeclined"));
    assert_eq!(
        first.redrive_status,
        Some(aws_sdk_sfn::types::ExecutionRedriveStatus::Redrivable)
    );

    client
        .redrive_execution()
        .execution_arn(&started.execution_arn)
        .send()
        .await
        .unwrap();
    let second = wait_done(&client, &started.execution_arn).await;
    assert_eq!(
        second.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        second.cause
    );
    assert_eq!(second.redrive_count, Some(1));
    let output: Value = serde_json::from_str(second.output.as_deref().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"customer": "c-1", "order": {"amount": 5}, "charge": {"charged": true}})
    );
    let history = client
        .get_execution_history()
        .execution_arn(&started.execution_arn)
        .send()
        .await
        .unwrap();
    let types: Vec<&str> = history.events.iter().map(|e| e.r#type.as_str()).collect();
    let redriven = types
        .iter()
        .position(|t| *t == "ExecutionRedriven")
        .expect("ExecutionRedriven");
    assert_eq!(types[redriven - 1], "ExecutionFailed");
    // Prepare is not run again: the redrive starts at Charge.
    let entered_after: Vec<_> = history.events[redriven..]
        .iter()
        .filter_map(|e| {
            e.state_entered_event_details
                .as_ref()
                .map(|d| d.name.as_str())
        })
        .collect();
    assert_eq!(entered_after, vec!["Charge"]);
    assert_eq!(*types.last().unwrap(), "ExecutionSucceeded");

    // A succeeded execution is not redrivable.
    let err = client
        .redrive_execution()
        .execution_arn(&started.execution_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "ExecutionNotRedrivable");
}

#[tokio::test]
async fn wait_time_scale_zero_makes_an_hour_long_wait_instant_in_real_time() {
    let (client, _) = server(Config {
        wait_time_scale: 0.0,
        ..Config::default()
    })
    .await;
    let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"P"},"P":{"Type":"Pass","Result":"woke","End":true}}}"#;
    let arn = create(&client, "sleepy", def, StateMachineType::Standard).await;
    let e = client
        .start_execution()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    // wait_done gives up after 10 s: an unscaled wait would still be running.
    let done = wait_done(&client, &e.execution_arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output.as_deref(), Some("\"woke\""));
}

#[tokio::test]
async fn list_map_runs_names_each_distributed_map_run_of_an_execution() {
    let (client, _) = server(virtual_time()).await;
    let def = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "Label": "Each",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Double",
            "States": {"Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": true}}
        },
        "End": true
    }}})
    .to_string();
    let arn = create(&client, "fanout", &def, StateMachineType::Standard).await;
    let e = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"items": [1, 2, 3]}"#)
        .send()
        .await
        .unwrap();
    let done = wait_done(&client, &e.execution_arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.cause);
    let runs = client
        .list_map_runs()
        .execution_arn(&e.execution_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(runs.map_runs.len(), 1);
    let run = &runs.map_runs[0];
    assert!(
        run.map_run_arn
            .starts_with("arn:aws:states:us-east-1:123456789012:mapRun:fanout/Each:"),
        "{}",
        run.map_run_arn
    );
    assert_eq!(
        run.state_machine_arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:fanout/Each"
    );
    assert!(run.stop_date.is_some(), "the run ended");
}

#[tokio::test]
async fn describe_map_run_counts_a_runs_items_by_how_they_ended() {
    let (client, _) = server(virtual_time()).await;
    let def = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "Label": "Each",
        "MaxConcurrency": 2, "ToleratedFailureCount": 3,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$.fail", "BooleanEquals": true, "Next": "Boom"}
                ], "Default": "Done"},
                "Boom": {"Type": "Fail", "Error": "Item.Bad", "Cause": "a bad item"},
                "Done": {"Type": "Succeed"}
            }
        },
        "End": true
    }}})
    .to_string();
    let arn = create(&client, "tolerant", &def, StateMachineType::Standard).await;
    // Runs the machine on ten items, `failing` of them failing; returns the execution's
    // status and its one Map Run.
    let run = |failing: usize| {
        let client = client.clone();
        let arn = arn.clone();
        async move {
            let items: Vec<Value> = (0..10).map(|i| json!({"fail": i < failing})).collect();
            let e = client
                .start_execution()
                .state_machine_arn(&arn)
                .input(json!({ "items": items }).to_string())
                .send()
                .await
                .unwrap();
            let done = wait_done(&client, &e.execution_arn).await;
            let runs = client
                .list_map_runs()
                .execution_arn(&e.execution_arn)
                .send()
                .await
                .unwrap();
            assert_eq!(runs.map_runs.len(), 1);
            let described = client
                .describe_map_run()
                .map_run_arn(&runs.map_runs[0].map_run_arn)
                .send()
                .await
                .unwrap();
            assert_eq!(described.execution_arn, e.execution_arn);
            assert_eq!(described.map_run_arn, runs.map_runs[0].map_run_arn);
            (done.status, described)
        }
    };

    let (status, d) = run(3).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(d.status, aws_sdk_sfn::types::MapRunStatus::Succeeded);
    assert_eq!(d.max_concurrency, 2);
    assert_eq!(d.tolerated_failure_count, 3);
    assert_eq!(d.tolerated_failure_percentage, 0.0);
    assert!(d.stop_date.is_some_and(|s| s.secs() >= d.start_date.secs()));
    let items = d.item_counts.unwrap();
    assert_eq!(
        (
            items.total,
            items.succeeded,
            items.failed,
            items.pending,
            items.running
        ),
        (10, 7, 3, 0, 0)
    );
    let children = d.execution_counts.unwrap();
    assert_eq!(
        (children.total, children.succeeded, children.failed),
        (10, 7, 3)
    );

    let (status, d) = run(5).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert_eq!(d.status, aws_sdk_sfn::types::MapRunStatus::Failed);
    let items = d.item_counts.unwrap();
    assert_eq!(items.failed, 4, "the fourth failure stops the run");
    assert_eq!(items.total, 10);
    assert_eq!(items.running + items.pending, 0);
    assert_eq!(items.succeeded + items.failed + items.aborted, 10);

    let unknown = client
        .describe_map_run()
        .map_run_arn("arn:aws:states:us-east-1:123456789012:mapRun:tolerant/Each:nope")
        .send()
        .await
        .unwrap_err();
    let unknown = unknown.into_service_error();
    assert!(unknown.is_resource_not_found(), "{unknown:?}");
    let malformed = client
        .describe_map_run()
        .map_run_arn("arn:aws:states:us-east-1:123456789012:execution:tolerant:x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&malformed.into_service_error()), "InvalidArn");
}

#[tokio::test]
async fn describe_map_run_is_live_while_the_run_runs_and_aborted_once_stopped() {
    // Real time: each child waits an hour, so the run is caught mid-way.
    let (client, _) = server(Config::default()).await;
    let def = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Sleep",
            "States": {"Sleep": {"Type": "Wait", "Seconds": 3600, "End": true}}
        },
        "End": true
    }}})
    .to_string();
    let arn = create(&client, "slow", &def, StateMachineType::Standard).await;
    let e = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"items": [1, 2, 3, 4, 5]}"#)
        .send()
        .await
        .unwrap();
    let mut map_run_arn = None;
    let mut live = None;
    for _ in 0..200 {
        let runs = client
            .list_map_runs()
            .execution_arn(&e.execution_arn)
            .send()
            .await
            .unwrap();
        if let Some(run) = runs.map_runs.first() {
            let d = client
                .describe_map_run()
                .map_run_arn(&run.map_run_arn)
                .send()
                .await
                .unwrap();
            if d.execution_counts.as_ref().is_some_and(|c| c.running == 2) {
                map_run_arn = Some(run.map_run_arn.clone());
                live = Some(d);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let live = live.expect("two children seen running within 10 s");
    assert_eq!(live.status, aws_sdk_sfn::types::MapRunStatus::Running);
    assert!(live.stop_date.is_none());
    let items = live.item_counts.unwrap();
    assert_eq!((items.running, items.pending, items.total), (2, 3, 5));

    client
        .stop_execution()
        .execution_arn(&e.execution_arn)
        .send()
        .await
        .unwrap();
    let stopped = client
        .describe_map_run()
        .map_run_arn(map_run_arn.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status, aws_sdk_sfn::types::MapRunStatus::Aborted);
    assert!(stopped.stop_date.is_some());
    let items = stopped.item_counts.unwrap();
    assert_eq!((items.aborted, items.running, items.pending), (5, 0, 0));
}

#[tokio::test]
async fn a_failed_jsonata_expression_is_an_evaluation_failed_event_in_the_history() {
    let (client, _) = server(virtual_time()).await;
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"Shape","States":{
        "Shape":{"Type":"Pass","Output":{"total":"{% $states.input.price * $states.input.qty %}"},"End":true}}}"#;
    let arn = create(&client, "jsonata-fails", def, StateMachineType::Standard).await;
    let started = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"price": 2, "qty": "three"}"#)
        .send()
        .await
        .unwrap();
    let done = wait_done(&client, started.execution_arn()).await;
    assert_eq!(done.status(), &ExecutionStatus::Failed);
    let history = client
        .get_execution_history()
        .execution_arn(started.execution_arn())
        .send()
        .await
        .unwrap();
    let types: Vec<&str> = history
        .events()
        .iter()
        .map(|e| e.r#type().as_str())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "EvaluationFailed",
            "ExecutionFailed"
        ]
    );
    let details = history.events()[2]
        .evaluation_failed_event_details()
        .expect("evaluationFailedEventDetails");
    assert_eq!(details.state(), "Shape");
    assert_eq!(details.location(), Some("Output.total"));
    assert_eq!(details.error(), Some("States.QueryEvaluationError"));
    assert!(
        details.cause().unwrap_or_default().contains("T2002"),
        "{:?}",
        details.cause()
    );
}
