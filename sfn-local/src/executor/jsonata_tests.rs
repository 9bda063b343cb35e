//! JSONata states in the executor, with scripted task runners.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;
use crate::tasks::{TaskFuture, TaskRequest};

/// A runner whose tasks answer with a function of the request.
struct Script<F>(F);

impl<F> TaskRunner for Script<F>
where
    F: Fn(&TaskRequest) -> Result<Value, Failure> + Send + Sync,
{
    fn check(&self, _state: &str, _resource: &str) -> Result<(), String> {
        Ok(())
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        let result = (self.0)(&request);
        Box::pin(async move { result })
    }
}

async fn run(doc: Value, input: Value) -> Outcome {
    let machine = codegen::asl::from_value(doc).unwrap();
    let tasks = Script(|r: &TaskRequest| match r.input.get("fail") {
        Some(Value::String(e)) => Err(Failure::new(e.clone(), "it failed")),
        _ => Ok(json!({"echo": r.input.clone()})),
    });
    let options = Options {
        virtual_time: true,
        seed: Some(7),
        state_machine_name: "M".into(),
        execution_name: Some("E".into()),
        ..Options::default()
    };
    execute(&machine, input, Arc::new(tasks), options)
        .await
        .unwrap()
}

#[tokio::test]
async fn task_arguments_output_and_assign_follow_step_functions_order() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Assign": {"n": 1}, "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Arguments": {"v": "{% $states.input.v %}", "name": "{% $states.context.State.Name %}", "n": "{% $n %}", "fixed": "$n"},
                "Assign": {"n": "{% $n + 1 %}", "got": "{% $states.result.echo.v %}"},
                "Output": {"result": "{% $states.result.echo %}", "nBefore": "{% $n %}", "input": "{% $states.input.v %}"},
                "Next": "After"},
            "After": {"Type": "Pass", "Output": {"n": "{% $n %}", "got": "{% $got %}", "prev": "{% $states.input.nBefore %}"}, "End": true}
        }}),
        json!({"v": 42}),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.output, Some(json!({"n": 2, "got": 42, "prev": 1})));
}

#[tokio::test]
async fn a_task_without_output_outputs_its_result() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}
        }}),
        json!({"v": 1}),
    )
    .await;
    assert_eq!(outcome.output, Some(json!({"echo": {"v": 1}})));
}

#[tokio::test]
async fn catch_output_and_assign_read_the_error_output() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Arguments": {"fail": "Boom"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled",
                    "Assign": {"err": "{% $states.errorOutput.Error %}"},
                    "Output": {"cause": "{% $states.errorOutput.Cause %}", "in": "{% $states.input.v %}"}}],
                "End": true},
            "Handled": {"Type": "Pass", "Output": {"err": "{% $err %}", "cause": "{% $states.input.cause %}", "in": "{% $states.input.in %}"}, "End": true}
        }}),
        json!({"v": 3}),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!({"err": "Boom", "cause": "it failed", "in": 3}))
    );
}

#[tokio::test]
async fn a_catch_without_output_passes_the_error_output() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Arguments": {"fail": "Boom"},
                "Catch": [{"ErrorEquals": ["Boom"], "Next": "Done"}], "End": true},
            "Done": {"Type": "Succeed"}
        }}),
        json!({}),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!({"Error": "Boom", "Cause": "it failed"}))
    );
}

#[tokio::test]
async fn a_failing_expression_is_a_query_evaluation_error_naming_state_and_field() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Output": {"x": {"y": "{% $states.input.a + 'b' %}"}}, "End": true}
        }}),
        json!({"a": 1}),
    )
    .await;
    let failure = outcome.failure.expect("fails");
    assert_eq!(failure.error, "States.QueryEvaluationError");
    assert!(failure.cause.contains("State \"P\""), "{}", failure.cause);
    assert!(failure.cause.contains("'Output.x.y'"), "{}", failure.cause);
    assert!(failure.cause.contains("T2002"), "{}", failure.cause);
}

#[tokio::test]
async fn query_evaluation_errors_are_caught_by_states_all() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Arguments": "{% $states.input.missing %}",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done", "Output": "{% $states.errorOutput.Error %}"}],
                "End": true},
            "Done": {"Type": "Succeed"}
        }}),
        json!({}),
    )
    .await;
    assert_eq!(outcome.output, Some(json!("States.QueryEvaluationError")));
}

/// The `type` and details of every event of `outcome`, in order.
fn event_kinds(outcome: &Outcome) -> Vec<String> {
    outcome
        .events
        .iter()
        .map(|e| e.kind.as_str().to_string())
        .collect()
}

#[tokio::test]
async fn a_failed_expression_records_evaluation_failed_before_the_execution_fails() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Output": {"x": "{% $states.input.a + 'b' %}"}, "End": true}
        }}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(
        event_kinds(&outcome),
        vec![
            "ExecutionStarted",
            "PassStateEntered",
            "EvaluationFailed",
            "ExecutionFailed"
        ]
    );
    let event = &outcome.events[2];
    let json = event.to_json();
    let details = &json["evaluationFailedEventDetails"];
    assert_eq!(details["error"], "States.QueryEvaluationError");
    assert_eq!(details["location"], "Output.x");
    assert_eq!(details["state"], "P");
    assert!(
        details["cause"].as_str().unwrap().contains("T2002"),
        "{details}"
    );
    assert_eq!(event.previous_event_id, outcome.events[1].id);
}

#[tokio::test]
async fn a_caught_evaluation_failure_is_recorded_once_inside_a_map_too() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Arguments": "{% $states.input.missing %}",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "M"}],
                "Next": "M"},
            "M": {"Type": "Map", "Items": "{% [1] %}",
                "ItemProcessor": {"StartAt": "In", "States": {"In": {"Type": "Pass", "Output": "{% $nope.x %}", "End": true}}},
                "End": true}
        }}),
        json!({}),
    )
    .await;
    assert_eq!(outcome.status, Status::Failed);
    let evaluations: Vec<(Value, Value)> = outcome
        .events
        .iter()
        .filter(|e| e.kind.as_str() == "EvaluationFailed")
        .map(|e| {
            let d = e.details.clone().unwrap_or_default();
            (d["state"].clone(), d["location"].clone())
        })
        .collect();
    assert_eq!(
        evaluations,
        vec![
            (json!("T"), json!("Arguments")),
            (json!("In"), json!("Output"))
        ]
    );
}

#[tokio::test]
async fn choice_conditions_pick_the_first_true_rule_with_its_output() {
    let doc = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Condition": "{% $states.input.n > 10 %}", "Next": "Big", "Output": {"size": "big"}},
            {"Condition": "{% $states.input.n > 5 %}", "Next": "Big", "Assign": {"mid": true}}
        ], "Default": "Small"},
        "Big": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "mid": "{% $exists($mid) %}"}, "End": true},
        "Small": {"Type": "Succeed", "Output": "small"}
    }});
    let big = run(doc.clone(), json!({"n": 11})).await;
    assert_eq!(
        big.output,
        Some(json!({"in": {"size": "big"}, "mid": false}))
    );
    let mid = run(doc.clone(), json!({"n": 6})).await;
    assert_eq!(mid.output, Some(json!({"in": {"n": 6}, "mid": true})));
    let small = run(doc, json!({"n": 1})).await;
    assert_eq!(small.output, Some(json!("small")));
}

#[tokio::test]
async fn map_items_and_item_selector_see_the_item_in_the_context() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
            "M": {"Type": "Map", "Items": "{% $states.input.xs[$ > 1] %}",
                "MaxConcurrency": "{% $states.input.c %}",
                "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}", "v": "{% $states.context.Map.Item.Value * 10 %}", "tag": "{% $states.input.tag %}"},
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input.v + $states.input.i %}", "End": true}}},
                "Output": {"sum": "{% $sum($states.result) %}", "all": "{% $states.result %}"},
                "End": true}
        }}),
        json!({"xs": [1, 2, 3], "c": 1, "tag": "t"}),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.output, Some(json!({"sum": 51, "all": [20, 31]})));
}

#[tokio::test]
async fn items_that_are_not_an_array_fail_the_map() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
            "M": {"Type": "Map", "Items": "{% $states.input.n %}",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
                "End": true}
        }}),
        json!({"n": 5}),
    )
    .await;
    let failure = outcome.failure.expect("fails");
    assert_eq!(failure.error, "States.QueryEvaluationError");
    assert!(failure.cause.contains("'Items'"), "{}", failure.cause);
}

#[tokio::test]
async fn parallel_arguments_reach_every_branch() {
    let branch = |k: &str| json!({"StartAt": k, "States": {k: {"Type": "Pass", "Output": {k: "{% $states.input.v %}"}, "End": true}}});
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Arguments": {"v": "{% $states.input.a * 2 %}"},
                "Branches": [branch("x"), branch("y")],
                "Output": "{% $merge($states.result) %}", "End": true}
        }}),
        json!({"a": 4}),
    )
    .await;
    assert_eq!(outcome.output, Some(json!({"x": 8, "y": 8})));
}

#[tokio::test]
async fn jsonpath_and_jsonata_states_mix_and_share_variables() {
    let outcome = run(
        json!({"StartAt": "Old", "States": {
            "Old": {"Type": "Pass", "Parameters": {"v.$": "$.a"}, "Assign": {"kept.$": "$.v"}, "Next": "New"},
            "New": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"v": "{% $states.input.v + $kept %}"}, "Assign": {"later": "{% $states.input.v %}"}, "Next": "Back"},
            "Back": {"Type": "Pass", "Parameters": {"v.$": "$.v", "later.$": "$later"}, "End": true}
        }}),
        json!({"a": 5}),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!({"v": 10, "later": 5})),
        "{:?}",
        outcome.failure
    );
}

#[tokio::test]
async fn fail_error_and_cause_may_be_expressions() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "F", "States": {
            "F": {"Type": "Fail", "Error": "{% 'Bad.' & $states.input.kind %}", "Cause": "{% $string($states.input.n) %}"}
        }}),
        json!({"kind": "Order", "n": 3}),
    )
    .await;
    let failure = outcome.failure.expect("fails");
    assert_eq!(
        (failure.error.as_str(), failure.cause.as_str()),
        ("Bad.Order", "3")
    );
}

#[tokio::test]
async fn wait_seconds_may_be_an_expression_and_move_virtual_time() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "T"},
            "T": {"Type": "Pass", "Output": "{% $millis() - $toMillis($states.context.Execution.StartTime) %}", "End": true}
        }}),
        json!({"s": 90}),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let elapsed = outcome.output.and_then(|v| v.as_i64()).unwrap();
    assert!((90_000..91_000).contains(&elapsed), "{elapsed}");
}

#[tokio::test]
async fn the_context_carries_the_execution_input_when_an_expression_reads_it() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Output": {"original": "{% $states.context.Execution.Input.a %}", "name": "{% $states.context.Execution.Name %}"}, "End": true}
        }}),
        json!({"a": "first"}),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!({"original": "first", "name": "E"}))
    );
}

#[tokio::test]
async fn test_state_runs_a_jsonata_task_with_its_mock_and_catch() {
    let machine = codegen::asl::from_value(json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Arguments": {"id": "{% $states.input.id %}"},
            "Output": {"got": "{% $states.result.v %}", "seen": "{% $seen %}"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "T", "Output": {"why": "{% $states.errorOutput.Error %}"}}],
            "End": true}
    }}))
    .unwrap();
    let tasks: Arc<dyn TaskRunner> = Arc::new(Script(|_: &TaskRequest| Ok(json!(null))));
    let vars = Map::from_iter([("seen".to_string(), json!(true))]);
    let ok = test_state(
        &machine,
        "T",
        json!({"id": 1}),
        vars.clone(),
        Some(Ok(json!({"v": 5}))),
        tasks.clone(),
    )
    .await
    .unwrap();
    assert_eq!(ok.output, Some(json!({"got": 5, "seen": true})));
    let caught = test_state(
        &machine,
        "T",
        json!({"id": 1}),
        vars,
        Some(Err(Failure::new("Boom", "x"))),
        tasks,
    )
    .await
    .unwrap();
    assert_eq!(caught.status, TestStatus::CaughtError);
    assert_eq!(caught.output, Some(json!({"why": "Boom"})));
}

#[tokio::test]
async fn nested_states_inherit_the_language_of_their_map_or_branch() {
    let outcome = run(
        json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.xs %}",
                "ItemProcessor": {"StartAt": "Inner", "States": {
                    "Inner": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "Next": "Old"},
                    "Old": {"Type": "Pass", "QueryLanguage": "JSONPath", "Parameters": {"v.$": "$"}, "End": true}
                }},
                "End": true}
        }}),
        json!({"xs": [1, 2]}),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!([{"v": 2}, {"v": 4}])),
        "{:?}",
        outcome.failure
    );
}

#[tokio::test]
async fn item_batcher_numbers_and_batch_input_may_be_expressions() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
            "M": {"Type": "Map", "Items": "{% $states.input.xs %}",
                "ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.per %}", "BatchInput": {"tag": "{% $states.input.tag %}"}},
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input.BatchInput.tag & ':' & $join($states.input.Items, ',') %}", "End": true}}},
                "End": true}
        }}),
        json!({"xs": ["a", "b", "c"], "per": 2, "tag": "t"}),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!(["t:a,b", "t:c"])),
        "{:?}",
        outcome.failure
    );
}
