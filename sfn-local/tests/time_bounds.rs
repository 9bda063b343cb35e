//! Issue 11: time is bounded by the execution's lifetime. Waits and backoff beyond it
//! time the execution out as Step Functions does; absurd values fail with
//! `States.Runtime`; nothing overflows or panics.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sfn_local::clock::EXPRESS_MAX_DURATION;
use sfn_local::{
    Failure, Options, StartError, Status, TaskFuture, TaskRequest, TaskRunner, execute,
};

fn wait_path(input: Value) -> (Value, Value) {
    (
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}}),
        input,
    )
}

async fn outcome(doc: Value, input: Value) -> sfn_local::Outcome {
    let started = Instant::now();
    let outcome = common::run(doc, input).await.expect("the execution starts");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    outcome
}

fn assert_timed_out(outcome: &sfn_local::Outcome) {
    assert_eq!(outcome.status, Status::TimedOut, "{:?}", outcome.failure);
    let failure = outcome.failure.as_ref().unwrap();
    assert_eq!(failure.error, "States.Timeout");
    assert!(
        failure.cause.starts_with("the execution ran longer than"),
        "{}",
        failure.cause
    );
    assert_eq!(outcome.events.last().unwrap().kind, "ExecutionTimedOut");
}

#[tokio::test]
async fn a_wait_beyond_aws_range_is_rejected_up_front() {
    let doc = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10_000_000_000_000u64, "End": true}}});
    let machine = codegen::asl::from_value(doc).unwrap();
    let problems = codegen::validate::validate(&machine);
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().contains("Seconds: must be <= 99999999")),
        "{problems:?}"
    );
    let err = execute(
        &machine,
        json!({}),
        Arc::new(common::Echo),
        Options::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StartError::Invalid(_)));
}

#[tokio::test]
async fn absurd_seconds_paths_fail_with_states_runtime() {
    for s in [
        json!(18_446_744_073_709_551_615u64),
        json!(1e300),
        json!(-1),
        json!(1.5),
        json!(100_000_000),
    ] {
        let (doc, input) = wait_path(json!({"s": s}));
        let outcome = outcome(doc, input).await;
        assert_eq!(outcome.status, Status::Failed, "{s}");
        assert_eq!(outcome.failure.unwrap().error, "States.Runtime", "{s}");
    }
}

#[tokio::test]
async fn waits_past_the_execution_lifetime_time_it_out() {
    // 99,999,999 s is a valid wait, but more than a Standard execution's year.
    let (doc, input) = wait_path(json!({"s": 99_999_999}));
    assert_timed_out(&outcome(doc, input).await);
    // A Timestamp in year 9999.
    let doc = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "9999-12-31T23:59:59Z", "End": true}}});
    assert_timed_out(&outcome(doc, json!({})).await);
    // Many long waits: thirty days at a time, forever.
    let doc = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 2_592_000, "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "W"},
        "Done": {"Type": "Succeed"}
    }});
    let outcome = outcome(doc, json!({})).await;
    assert_timed_out(&outcome);
    let waits = outcome
        .events
        .iter()
        .filter(|e| e.kind == "WaitStateEntered")
        .count();
    assert_eq!(
        waits, 13,
        "12 waits of 30 days fit in a year, the 13th does not"
    );
}

#[tokio::test]
async fn the_machine_timeout_and_the_express_limit_bound_time_too() {
    let doc = json!({"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 61, "End": true}}});
    let o = outcome(doc, json!({})).await;
    assert_timed_out(&o);
    assert!(o.failure.unwrap().cause.contains("TimeoutSeconds (60 s)"));

    let doc =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 301, "End": true}}});
    let machine = codegen::asl::from_value(doc).unwrap();
    let options = Options {
        virtual_time: true,
        max_duration: EXPRESS_MAX_DURATION,
        ..Options::default()
    };
    let o = execute(&machine, json!({}), Arc::new(common::Echo), options)
        .await
        .unwrap();
    assert_timed_out(&o);
    assert!(o.failure.unwrap().cause.contains("(300 s)"));
}

/// Every Task fails with `Boom`.
struct AlwaysFails;

impl TaskRunner for AlwaysFails {
    fn check(&self, _state: &str, _resource: &str) -> Result<(), String> {
        Ok(())
    }

    fn run(&self, _request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async { Err(Failure::new("Boom", "always")) })
    }
}

async fn retrying(retrier: Value) -> sfn_local::Outcome {
    let doc = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "${Boom}", "Retry": [retrier],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Succeed"}
    }});
    let machine = codegen::asl::from_value(doc).unwrap();
    let options = Options {
        virtual_time: true,
        seed: Some(3),
        ..Options::default()
    };
    let started = Instant::now();
    let o = execute(&machine, json!({}), Arc::new(AlwaysFails), options)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    o
}

#[tokio::test]
async fn backoff_that_adds_up_past_a_year_times_out_and_cannot_be_caught() {
    let o = retrying(json!({"ErrorEquals": ["States.ALL"], "IntervalSeconds": 99_999_999, "MaxAttempts": 99_999_999, "BackoffRate": 2.0})).await;
    assert_timed_out(&o);
}

#[tokio::test]
async fn full_jitter_saturates_instead_of_panicking() {
    // 2^2000 seconds is infinite as an f64: the backoff saturates at a year.
    let o = retrying(json!({"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2000, "BackoffRate": 2.0, "JitterStrategy": "FULL"})).await;
    assert_timed_out(&o);
    // With MaxDelaySeconds the backoff stays under it: 2,000 attempts of at most an hour
    // fit in a year, and the Catch gets the last failure.
    let o = retrying(json!({"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2000, "BackoffRate": 2.0, "MaxDelaySeconds": 3600, "JitterStrategy": "FULL"})).await;
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.failure);
    assert_eq!(o.states_entered(), vec!["T", "Caught"]);
}

#[tokio::test]
async fn an_oversized_input_is_named_as_step_functions_names_it() {
    let input = json!({"big": "x".repeat(sfn_local::PAYLOAD_LIMIT)});
    let err = common::run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        input,
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("States.DataLimitExceeded: the execution input is"),
        "{message}"
    );
    assert!(!message.contains("state \"the execution\""), "{message}");
}

fn distributed_waits(execution_type: &str, seconds: u64, tolerated: u64) -> Value {
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "ToleratedFailurePercentage": tolerated,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
            "StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": seconds, "Next": "Done"},
                "Done": {"Type": "Pass", "Result": "done", "End": true}
            }
        },
        "End": true
    }}})
}

#[tokio::test]
async fn an_express_child_lasts_five_minutes_and_fails_only_its_item() {
    let input = json!({"items": [1, 2, 3]});
    // Standard children may wait longer than five minutes.
    let o = outcome(distributed_waits("STANDARD", 400, 0), input.clone()).await;
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.failure);
    // Express children time out; with every failure tolerated the Map succeeds.
    let o = outcome(distributed_waits("EXPRESS", 400, 100), input.clone()).await;
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.failure);
    let items = o.output.unwrap();
    assert_eq!(items[0]["Error"], "States.Timeout", "{items}");
    assert!(
        items[0]["Cause"]
            .as_str()
            .unwrap()
            .starts_with("the child execution ran longer than"),
        "{items}"
    );
    // Not tolerated: the Map fails; the parent execution did not time out.
    let o = outcome(distributed_waits("EXPRESS", 400, 0), input.clone()).await;
    assert_eq!(o.status, Status::Failed, "{:?}", o.failure);
    // Within five minutes, Express children succeed.
    let o = outcome(distributed_waits("EXPRESS", 299, 0), input).await;
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.failure);
}
