//! Issue 13: a `states:startExecution` whose state machine the run does not know goes
//! through the Step Functions endpoint with `aws-sdk-sfn` — here moto server, whose ASL
//! interpreter runs the child — and `.sync` follows it with `DescribeExecution`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sfn_local::{
    Catalog, Launcher, Options, RemoteLauncher, Status, TaskFuture, TaskRequest, TaskRunner,
};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::{MotoServer, unique_id};

/// The parent has no task of its own.
struct NoTasks;

impl TaskRunner for NoTasks {
    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        Err(format!("State \"{state}\": no runner for {resource}"))
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move { panic!("the runner was called for {}", request.resource) })
    }
}

async fn create_child(client: &aws_sdk_sfn::Client, label: &str, definition: Value) -> String {
    client
        .create_state_machine()
        .name(format!("{label}-{}", unique_id()))
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/x")
        .send()
        .await
        .expect("CreateStateMachine on moto")
        .state_machine_arn()
        .to_string()
}

fn parent(resource: &str, child_arn: &str) -> codegen::asl::StateMachine {
    codegen::asl::from_value(json!({"StartAt": "Start child", "States": {
        "Start child": {
            "Type": "Task", "Resource": resource,
            "Parameters": {"StateMachineArn": child_arn, "Input": {"n.$": "$.n"}},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Pass", "End": true}
    }}))
    .unwrap()
}

#[tokio::test]
async fn an_unknown_child_runs_on_the_step_functions_endpoint() {
    let moto = MotoServer::shared();
    moto.enable_asl_execution()
        .unwrap_or_else(|e| panic!("switching on moto's ASL interpreter: {e}"));
    let client = aws_sdk_sfn::Client::new(&moto.sdk_config());
    let services = Services::with_aws(Aws::with_config(moto.sdk_config()));
    let ok = create_child(
        &client,
        "child-ok",
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Parameters": {"got.$": "$.n", "from": "moto"}, "End": true
        }}}),
    )
    .await;
    let failing = create_child(
        &client,
        "child-fail",
        json!({"StartAt": "F", "States": {"F": {
            "Type": "Fail", "Error": "Child.Oops", "Cause": "told to fail"
        }}}),
    )
    .await;

    // No launcher: the default goes to the endpoint of the parent's services.
    let options = Options {
        services: Some(services.clone()),
        ..Options::default()
    };
    let outcome = sfn_local::execute(
        &parent("arn:aws:states:::states:startExecution.sync:2", &ok),
        json!({"n": 5}),
        Arc::new(NoTasks),
        options,
    )
    .await
    .expect("starts");
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let output = outcome.output.unwrap();
    assert_eq!(output["Status"], "SUCCEEDED");
    assert_eq!(output["Output"], json!({"got": 5, "from": "moto"}));
    assert_eq!(output["StateMachineArn"], json!(ok));
    let arn = output["ExecutionArn"].as_str().unwrap();
    let described = client
        .describe_execution()
        .execution_arn(arn)
        .send()
        .await
        .expect("the child is moto's execution");
    assert_eq!(described.status().as_str(), "SUCCEEDED");

    // A catalog that does not know the machine hands it on; the child's failure is
    // States.TaskFailed with moto's Error and Cause in the cause.
    let catalog = Catalog::new().with_remote(
        RemoteLauncher::default()
            .with_services(services)
            .with_poll_interval(Duration::from_millis(50)),
    );
    let launcher: Arc<dyn Launcher> = Arc::new(catalog);
    let options = Options {
        launcher: Some(launcher),
        ..Options::default()
    };
    let outcome = sfn_local::execute(
        &parent("arn:aws:states:::states:startExecution.sync", &failing),
        json!({"n": 5}),
        Arc::new(NoTasks),
        options.clone(),
    )
    .await
    .expect("starts");
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.states_entered(), ["Start child", "Handled"]);
    let error = &outcome.output.as_ref().unwrap()["error"];
    assert_eq!(error["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(error["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Child.Oops");
    assert_eq!(cause["Cause"], "told to fail");

    // A state machine the endpoint does not know fails the task with the API's error
    // (which the Catch on States.TaskFailed also matches, as it matches any task error
    // but States.Timeout).
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:does-not-exist";
    let outcome = sfn_local::execute(
        &parent("arn:aws:states:::states:startExecution", missing),
        json!({"n": 5}),
        Arc::new(NoTasks),
        options,
    )
    .await
    .expect("starts");
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.states_entered(), ["Start child", "Handled"]);
    let error = &outcome.output.as_ref().unwrap()["error"];
    assert_eq!(
        error["Error"], "StepFunctions.StateMachineDoesNotExistException",
        "{error}"
    );
    assert!(
        error["Cause"]
            .as_str()
            .unwrap()
            .starts_with("StartExecution: "),
        "{error}"
    );
}
