//! Issue 13: nested executions (`states:startExecution` request-response, `.sync`,
//! `.sync:2`) run in-process from a `Catalog`: parent and child histories, result
//! shapes, a child's failure as `States.TaskFailed`, and virtual time across both.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sfn_local::{Catalog, Launcher, Options, Outcome, Status, TaskFuture, TaskRequest, TaskRunner};

const CHILD_ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Child";

/// Answers every Task with `{"echo": input}`, remembering the executions it served.
#[derive(Default)]
struct Echo {
    executions: Mutex<Vec<String>>,
}

impl TaskRunner for Echo {
    fn check(&self, _state: &str, _resource: &str) -> Result<(), String> {
        Ok(())
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move {
            self.executions.lock().unwrap().push(request.execution);
            Ok(json!({"echo": request.input}))
        })
    }
}

/// The child: an hour's wait, a task of the shared runner, then a result or a failure.
fn child() -> codegen::asl::StateMachine {
    codegen::asl::from_value(json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Work"},
        "Work": {"Type": "Task", "Resource": "${Work}", "ResultPath": "$.work", "Next": "Fails?"},
        "Fails?": {"Type": "Choice", "Choices": [
            {"Variable": "$.fail", "IsPresent": true, "Next": "Boom"}
        ], "Default": "Double"},
        "Boom": {"Type": "Fail", "Error": "Child.Oops", "Cause": "the child was told to fail"},
        "Double": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}
    }}))
    .unwrap()
}

fn parent(resource: &str, extra_input: Value) -> Value {
    let mut input =
        json!({"n.$": "$.n", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"});
    for (k, v) in extra_input.as_object().unwrap() {
        input[k] = v.clone();
    }
    json!({"StartAt": "Start child", "States": {
        "Start child": {
            "Type": "Task", "Resource": resource,
            "Parameters": {"StateMachineArn": CHILD_ARN, "Input": input, "Name": "child-1"},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}],
            "Next": "Done"
        },
        "Done": {"Type": "Succeed"},
        "Handled": {"Type": "Pass", "End": true}
    }})
}

async fn run(doc: Value, catalog: Arc<Catalog>, runner: Arc<Echo>) -> Outcome {
    let machine = codegen::asl::from_value(doc).unwrap();
    let launcher: Arc<dyn Launcher> = catalog;
    let options = Options {
        virtual_time: true,
        state_machine_name: "Parent".into(),
        execution_name: Some("parent-1".into()),
        launcher: Some(launcher),
        ..Options::default()
    };
    sfn_local::execute(&machine, json!({"n": 21}), runner, options)
        .await
        .expect("starts")
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::new().with("Child", child(), false))
}

fn types(outcome: &Outcome) -> Vec<&'static str> {
    outcome.events.iter().map(|e| e.kind.as_str()).collect()
}

#[tokio::test]
async fn sync_2_waits_for_the_child_and_returns_its_output_as_json() {
    let catalog = catalog();
    let runner = Arc::new(Echo::default());
    let outcome = run(
        parent("arn:aws:states:::states:startExecution.sync:2", json!({})),
        catalog.clone(),
        runner.clone(),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let output = outcome.output.clone().unwrap();
    let child_arn = "arn:aws:states:us-east-1:123456789012:execution:Child:child-1";
    assert_eq!(output["ExecutionArn"], child_arn);
    assert_eq!(output["Output"], json!({"doubled": 42}));
    assert_eq!(output["Status"], "SUCCEEDED");
    assert_eq!(output["StateMachineArn"], CHILD_ARN);
    assert_eq!(output["Name"], "child-1");
    assert_eq!(output["Input"]["n"], 21);
    assert_eq!(output["OutputDetails"], json!({"Included": true}));
    // Virtual time across both: the child's hour is the parent's hour too.
    let (start, stop) = (
        output["StartDate"].as_i64().unwrap(),
        output["StopDate"].as_i64().unwrap(),
    );
    assert!(stop - start >= 3_600_000, "{start} .. {stop}");
    let parent_took = outcome.events.last().unwrap().timestamp - outcome.events[0].timestamp;
    assert!(
        parent_took >= chrono::Duration::seconds(3600),
        "{parent_took}"
    );
    assert_eq!(
        types(&outcome),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
    let scheduled = outcome.events[2].details.clone().unwrap();
    assert_eq!(scheduled["resourceType"], "states");
    assert_eq!(scheduled["resource"], "startExecution.sync:2");
    // The child has its own history; the input carries the parent's id only because the
    // parent passed it.
    let child = catalog
        .outcome(child_arn)
        .expect("the child's outcome is kept");
    assert_eq!(child.status, Status::Succeeded);
    assert_eq!(child.states_entered(), ["Nap", "Work", "Fails?", "Double"]);
    let started = child.events[0].details.clone().unwrap();
    let child_input: Value = serde_json::from_str(started["input"].as_str().unwrap()).unwrap();
    assert_eq!(
        child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"],
        "arn:aws:states:us-east-1:123456789012:execution:Parent:parent-1"
    );
    assert!(child.events[0].timestamp >= outcome.events[0].timestamp);
    // The same runner served the child's task.
    assert_eq!(*runner.executions.lock().unwrap(), [child_arn]);
}

#[tokio::test]
async fn sync_returns_the_childs_input_and_output_as_json_strings() {
    let outcome = run(
        parent("arn:aws:states:::states:startExecution.sync", json!({})),
        catalog(),
        Arc::new(Echo::default()),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let output = outcome.output.unwrap();
    assert_eq!(output["Output"], json!("{\"doubled\":42}"));
    assert!(output["Input"].as_str().unwrap().contains("\"n\":21"));
    assert_eq!(output["InputDetails"], json!({"Included": true}));
}

#[tokio::test]
async fn a_failed_child_is_states_task_failed_with_its_error_in_the_cause() {
    let catalog = catalog();
    let outcome = run(
        parent(
            "arn:aws:states:::states:startExecution.sync:2",
            json!({"fail": true}),
        ),
        catalog.clone(),
        Arc::new(Echo::default()),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.states_entered(), ["Start child", "Handled"]);
    let error = &outcome.output.as_ref().unwrap()["error"];
    assert_eq!(error["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(error["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Child.Oops");
    assert_eq!(cause["Cause"], "the child was told to fail");
    assert!(cause.get("Output").is_none());
    let failed = outcome
        .events
        .iter()
        .find(|e| e.kind.as_str() == "TaskFailed")
        .unwrap();
    assert_eq!(
        failed.details.as_ref().unwrap()["error"],
        "States.TaskFailed"
    );
    let child = &catalog.outcomes()[0];
    assert_eq!(child.status, Status::Failed);
    assert_eq!(
        child.events.last().unwrap().kind.as_str(),
        "ExecutionFailed"
    );
}

#[tokio::test]
async fn request_response_returns_at_once_and_the_child_runs_on() {
    let catalog = catalog();
    let outcome = run(
        parent("arn:aws:states:::states:startExecution", json!({})),
        catalog.clone(),
        Arc::new(Echo::default()),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let output = outcome.output.clone().unwrap();
    let arn = output["ExecutionArn"].as_str().unwrap().to_string();
    assert_eq!(
        output.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "ExecutionArn",
            "SdkHttpMetadata",
            "SdkResponseMetadata",
            "StartDate"
        ]
    );
    assert!(output["StartDate"].is_i64());
    assert!(!types(&outcome).contains(&"TaskSubmitted"));
    // The parent did not wait the child's hour.
    let parent_took = outcome.events.last().unwrap().timestamp - outcome.events[0].timestamp;
    assert!(parent_took < chrono::Duration::seconds(3600));
    let child = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(child) = catalog.outcome(&arn) {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the child ends");
    assert_eq!(child.output, Some(json!({"doubled": 42})));
}

#[tokio::test]
async fn bad_parameters_fail_with_states_runtime_and_start_nothing() {
    let catalog = catalog();
    let doc = json!({"StartAt": "Start child", "States": {"Start child": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": CHILD_ARN, "Inputt": {}},
        "End": true
    }}});
    let outcome = run(doc, catalog.clone(), Arc::new(Echo::default())).await;
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.unwrap();
    assert_eq!(failure.error, "States.Runtime");
    assert!(failure.cause.contains("\"Inputt\""), "{}", failure.cause);
    assert!(catalog.outcomes().is_empty());
}

#[tokio::test]
async fn start_execution_wait_for_task_token_resumes_on_the_childs_callback() {
    let callbacks = sfn_local::Callbacks::new();
    let catalog = catalog();
    // Whoever the child hands the token to calls back: here a task of the test that
    // reads it from the child's input.
    {
        let callbacks = callbacks.clone();
        tokio::spawn(async move {
            let task = callbacks
                .wait_for_task("Start child", Duration::from_secs(10))
                .await
                .unwrap();
            assert_eq!(task.input["Input"]["token"], json!(task.token));
            callbacks
                .send_task_success(&task.token, r#"{"from": "callback"}"#)
                .unwrap();
        });
    }
    let doc = json!({"StartAt": "Start child", "States": {"Start child": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {"StateMachineArn": CHILD_ARN, "Input": {"n": 1, "token.$": "$$.Task.Token"}},
        "End": true
    }}});
    let machine = codegen::asl::from_value(doc).unwrap();
    let launcher: Arc<dyn Launcher> = catalog.clone();
    let options = Options {
        virtual_time: true,
        launcher: Some(launcher),
        callbacks,
        ..Options::default()
    };
    let outcome = sfn_local::execute(&machine, json!({}), Arc::new(Echo::default()), options)
        .await
        .unwrap();
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.output, Some(json!({"from": "callback"})));
    assert!(types(&outcome).contains(&"TaskSubmitted"));
}

#[tokio::test]
async fn a_mock_config_answers_mocked_callback_and_child_states_whole() {
    // As stepfunctions-local does: a mocked `.waitForTaskToken` state returns its mocked
    // response without waiting, and a mocked `startExecution.sync` state starts no child.
    let config = sfn_local::MockConfig::parse(
        r#"{
      "StateMachines": {"Parent": {"TestCases": {"Mocked": {"Ask": "Answer", "Start child": "Child"}}}},
      "MockedResponses": {
        "Answer": {"0": {"Return": {"approved": true}}},
        "Child": {"0": {"Return": {"Status": "SUCCEEDED", "Output": "{\"mocked\":1}"}}}
      }
    }"#,
    )
    .unwrap();
    let case = config.test_case(Some("Parent"), "Mocked").unwrap();
    let runner = Arc::new(sfn_local::MockTasks::new(case, None));
    let doc = json!({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"MessageBody": {"t.$": "$$.Task.Token"}}, "ResultPath": "$.ask", "Next": "Start child"},
        "Start child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                "Parameters": {"StateMachineArn": CHILD_ARN}, "ResultPath": "$.child", "End": true}
    }});
    let machine = codegen::asl::from_value(doc).unwrap();
    let catalog = catalog();
    let launcher: Arc<dyn Launcher> = catalog.clone();
    let options = Options {
        state_machine_name: "Parent".into(),
        launcher: Some(launcher),
        ..Options::default()
    };
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        sfn_local::execute(&machine, json!({}), runner, options),
    )
    .await
    .expect("nothing waits for a callback")
    .unwrap();
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let output = outcome.output.clone().unwrap();
    assert_eq!(output["ask"], json!({"approved": true}));
    assert_eq!(output["child"]["Output"], "{\"mocked\":1}");
    assert!(catalog.outcomes().is_empty(), "no child ran");
    assert!(!types(&outcome).contains(&"TaskSubmitted"));
}
