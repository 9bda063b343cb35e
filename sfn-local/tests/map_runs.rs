//! The live counters of distributed Map Runs (`Options::map_runs`): what a server's
//! DescribeMapRun answers with.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};
use sfn_local::{MapRunStatus, MapRuns, Options, Status, execute};

/// A distributed Map over `$.items` whose children fail on `{"fail": true}`.
fn machine(extra: Value) -> codegen::asl::StateMachine {
    let mut map = json!({
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check", "States": {
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$.fail", "BooleanEquals": true, "Next": "Boom"}
                ], "Default": "Done"},
                "Boom": {"Type": "Fail", "Error": "Item.Bad", "Cause": "a bad item"},
                "Done": {"Type": "Succeed"}
            }
        },
        "End": true
    });
    for (k, v) in extra.as_object().unwrap() {
        map[k] = v.clone();
    }
    codegen::asl::from_value(json!({"StartAt": "Each", "States": {"Each": map}})).unwrap()
}

/// Ten items, the ones at 2, 5 and 8 failing.
fn items() -> Value {
    let items: Vec<Value> = (0..10).map(|i| json!({"fail": i % 3 == 2})).collect();
    json!({ "items": items })
}

async fn run(extra: Value) -> (sfn_local::Outcome, sfn_local::MapRun) {
    let runs = MapRuns::new();
    let options = Options {
        virtual_time: true,
        seed: Some(14),
        map_runs: Some(runs.clone()),
        ..Options::default()
    };
    let outcome = execute(&machine(extra), items(), Arc::new(common::Echo), options)
        .await
        .unwrap();
    let started = outcome
        .events
        .iter()
        .find(|e| e.kind.as_str() == "MapRunStarted")
        .expect("a MapRunStarted event");
    let arn = started.details.as_ref().unwrap()["mapRunArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(runs.len(), 1);
    let run = runs
        .get(&arn)
        .expect("the run the history names is counted");
    assert_eq!(run.execution_arn, outcome.execution_arn);
    (outcome, run)
}

#[tokio::test]
async fn a_run_within_its_tolerated_failures_counts_its_successes_and_failures() {
    let (outcome, run) = run(json!({"ToleratedFailureCount": 3})).await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(run.status, MapRunStatus::Succeeded);
    assert_eq!(run.tolerated_failure_count, 3);
    assert_eq!(run.max_concurrency, 1);
    for c in [run.item_counts, run.execution_counts] {
        assert_eq!(
            (
                c.total,
                c.succeeded,
                c.failed,
                c.pending,
                c.running,
                c.aborted
            ),
            (10, 7, 3, 0, 0, 0)
        );
        assert_eq!(c.failures_not_redrivable, 3);
        assert_eq!(c.results_written, 0, "no ResultWriter, nothing written");
    }
    assert!(run.stop_date.is_some_and(|s| s >= run.start_date));
}

#[tokio::test]
async fn a_run_past_its_threshold_fails_and_counts_the_items_never_run_as_aborted() {
    let (outcome, run) = run(json!({"ToleratedFailurePercentage": 10})).await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(
        outcome.failure.unwrap().error,
        "States.ExceedToleratedFailureThreshold"
    );
    assert_eq!(run.status, MapRunStatus::Failed);
    assert_eq!(run.tolerated_failure_percentage, 10.0);
    // One at a time: items 0-5 ran (the second failure, at 5, exceeds 10% of 10), 6-9
    // never started.
    let c = run.execution_counts;
    assert_eq!(
        (
            c.total,
            c.succeeded,
            c.failed,
            c.aborted,
            c.pending,
            c.running
        ),
        (10, 4, 2, 4, 0, 0)
    );
}

#[tokio::test]
async fn batched_items_count_items_and_child_executions_apart() {
    let (outcome, run) = run(json!({
        "ItemBatcher": {"MaxItemsPerBatch": 3},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        }
    }))
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(run.item_counts.total, 10);
    assert_eq!(run.item_counts.succeeded, 10);
    assert_eq!(run.execution_counts.total, 4);
    assert_eq!(run.execution_counts.succeeded, 4);
}
