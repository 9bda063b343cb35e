//! Executor tests with scripted task runners (the conformance suite against moto lives in
//! the `tests` crate).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use pretty_assertions::assert_eq;
use serde_json::json;

use super::context::reads_execution_input;
use super::*;
use crate::tasks::TaskFuture;
use crate::tasks::TaskRequest;

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

fn machine(doc: Value) -> StateMachine {
    codegen::asl::from_value(doc).unwrap()
}

async fn run_with(doc: Value, input: Value, tasks: impl TaskRunner + 'static) -> Outcome {
    let options = Options {
        virtual_time: true,
        seed: Some(7),
        ..Options::default()
    };
    execute(&machine(doc), input, Arc::new(tasks), options)
        .await
        .unwrap()
}

fn echo() -> Script<impl Fn(&TaskRequest) -> Result<Value, Failure> + Send + Sync> {
    Script(|r: &TaskRequest| Ok(r.input.clone()))
}

#[tokio::test]
async fn io_processing_follows_step_functions_order() {
    let outcome = run_with(
        json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "${Echo}",
            "InputPath": "$.in",
            "Parameters": {"v.$": "$.v", "name.$": "$$.State.Name", "fixed": 1},
            "ResultSelector": {"got.$": "$.v"},
            "ResultPath": "$.out",
            "OutputPath": "$.out",
            "End": true
        }}}),
        json!({"in": {"v": 42}, "other": true}),
        echo(),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded);
    assert_eq!(outcome.output, Some(json!({"got": 42})));
}

#[tokio::test]
async fn retries_back_off_in_virtual_time_then_succeed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let runner = Script(move |_r: &TaskRequest| {
        if seen.fetch_add(1, Ordering::SeqCst) < 3 {
            Err(Failure::new("Throttled", "slow down"))
        } else {
            Ok(json!("done"))
        }
    });
    let started = Instant::now();
    let outcome = run_with(
        json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "${X}",
            "Retry": [{"ErrorEquals": ["Throttled"], "IntervalSeconds": 600, "BackoffRate": 2.0, "MaxAttempts": 5}],
            "End": true
        }}}),
        json!({}),
        runner,
    )
    .await;
    assert_eq!(outcome.output, Some(json!("done")));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "virtual time must make backoff instant"
    );
    // 600 + 1200 + 2400 seconds of backoff show in the timestamps.
    let first = outcome.events.first().unwrap().timestamp;
    let last = outcome.events.last().unwrap().timestamp;
    assert!(
        (last - first).num_seconds() >= 4200,
        "{}",
        (last - first).num_seconds()
    );
}

#[tokio::test]
async fn max_delay_caps_the_backoff() {
    let runner = Script(|r: &TaskRequest| {
        if r.attempt < 4 {
            Err(Failure::new("X", ""))
        } else {
            Ok(json!(1))
        }
    });
    let outcome = run_with(
        json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "${X}",
            "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 10, "BackoffRate": 10, "MaxAttempts": 4, "MaxDelaySeconds": 15}],
            "End": true
        }}}),
        json!({}),
        runner,
    )
    .await;
    let span = outcome.events.last().unwrap().timestamp - outcome.events[0].timestamp;
    // 10 + 15 + 15 + 15, not 10 + 100 + 1000 + 10000.
    assert!(
        (55..120).contains(&span.num_seconds()),
        "{}",
        span.num_seconds()
    );
}

#[tokio::test]
async fn catch_puts_the_error_at_result_path_and_runtime_errors_escape_states_all() {
    let doc = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "${X}", "Next": "Ok",
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}]},
        "Ok": {"Type": "Succeed"},
        "Handled": {"Type": "Pass", "End": true}
    }});
    let outcome = run_with(
        doc.clone(),
        json!({"a": 1}),
        Script(|_r: &TaskRequest| Err(Failure::new("Boom", "bad"))),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!({"a": 1, "error": {"Error": "Boom", "Cause": "bad"}}))
    );
    assert_eq!(outcome.states_entered(), ["T", "Handled"]);
    let outcome = run_with(
        doc,
        json!({"a": 1}),
        Script(|_r: &TaskRequest| Err(Failure::runtime("broken"))),
    )
    .await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.failure.unwrap().error, "States.Runtime");
}

#[tokio::test]
async fn map_keeps_item_order_and_honours_max_concurrency() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    struct Slow {
        running: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }
    impl TaskRunner for Slow {
        fn check(&self, _: &str, _: &str) -> Result<(), String> {
            Ok(())
        }
        fn run(&self, r: TaskRequest) -> TaskFuture<'_> {
            Box::pin(async move {
                let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                self.peak.fetch_max(now, Ordering::SeqCst);
                let n = r.input["n"].as_u64().unwrap();
                tokio::time::sleep(Duration::from_millis(20 - n)).await;
                self.running.fetch_sub(1, Ordering::SeqCst);
                Ok(json!(n * 10))
            })
        }
    }
    let outcome = run_with(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3,
            "ItemSelector": {"n.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${X}", "End": true}}},
            "End": true
        }}}),
        json!({"items": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}),
        Slow { running: running.clone(), peak: peak.clone() },
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]))
    );
    assert_eq!(peak.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn map_tolerates_failures_up_to_the_threshold() {
    let doc = |pct: u32| {
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ToleratedFailurePercentage": pct,
            "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${X}", "End": true}}},
            "End": true
        }}})
    };
    let runner = || {
        Script(|r: &TaskRequest| {
            if r.input == json!(3) {
                Err(Failure::new("Bad", "item 3"))
            } else {
                Ok(r.input.clone())
            }
        })
    };
    let ok = run_with(doc(10), json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), runner()).await;
    assert_eq!(ok.status, Status::Succeeded);
    assert_eq!(
        ok.output.unwrap()[2],
        json!({"Error": "Bad", "Cause": "item 3"})
    );
    let failed = run_with(doc(5), json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), runner()).await;
    assert_eq!(
        failed.failure.unwrap().error,
        "States.ExceedToleratedFailureThreshold"
    );
}

#[tokio::test]
async fn a_failing_map_item_fails_the_map_with_its_error() {
    let outcome = run_with(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${X}", "End": true}}},
            "End": true
        }}}),
        json!([1, 2, 3]),
        Script(|r: &TaskRequest| if r.input == json!(2) { Err(Failure::new("Bad", "two")) } else { Ok(json!(0)) }),
    )
    .await;
    assert_eq!(outcome.failure, Some(Failure::new("Bad", "two")));
    assert!(
        outcome
            .events
            .iter()
            .any(|e| e.kind == "MapIterationFailed")
    );
    assert_eq!(outcome.events.last().unwrap().kind, "ExecutionFailed");
}

#[tokio::test]
async fn parallel_outputs_are_in_branch_order_and_a_failure_cancels_siblings() {
    let doc = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "Next": "A"}, "A": {"Type": "Pass", "Result": "a", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}
    ]}}});
    let outcome = run_with(doc, json!({}), echo()).await;
    assert_eq!(outcome.output, Some(json!(["a", "b"])));

    let doc = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": "${Slow}", "End": true}}},
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "branch 2"}}}
    ]}}});
    struct Never;
    impl TaskRunner for Never {
        fn check(&self, _: &str, _: &str) -> Result<(), String> {
            Ok(())
        }
        fn run(&self, _r: TaskRequest) -> TaskFuture<'_> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(json!(null))
            })
        }
    }
    let started = Instant::now();
    let outcome = run_with(doc, json!({}), Never).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(outcome.failure, Some(Failure::new("Nope", "branch 2")));
}

#[tokio::test]
async fn choice_without_match_fails_with_no_choice_matched() {
    let outcome = run_with(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}]},
            "Big": {"Type": "Succeed"}
        }}),
        json!({"n": 1}),
        echo(),
    )
    .await;
    assert_eq!(outcome.failure.unwrap().error, "States.NoChoiceMatched");
}

#[tokio::test]
async fn task_timeouts_are_states_timeout() {
    let doc = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${X}", "TimeoutSeconds": 1, "End": true}}});
    struct Hang;
    impl TaskRunner for Hang {
        fn check(&self, _: &str, _: &str) -> Result<(), String> {
            Ok(())
        }
        fn run(&self, _r: TaskRequest) -> TaskFuture<'_> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(json!(null))
            })
        }
    }
    let outcome = run_with(doc, json!({}), Hang).await;
    assert_eq!(outcome.failure.unwrap().error, "States.Timeout");
    assert!(outcome.events.iter().any(|e| e.kind == "TaskTimedOut"));
}

#[tokio::test]
async fn execution_timeout_counts_virtual_waits() {
    let outcome = run_with(
        json!({"TimeoutSeconds": 60, "StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }}),
        json!({}),
        echo(),
    )
    .await;
    assert_eq!(outcome.status, Status::TimedOut);
    assert_eq!(outcome.events.last().unwrap().kind, "ExecutionTimedOut");
}

#[tokio::test]
async fn an_execution_timeout_inside_branches_and_iterations_ends_the_execution() {
    let long_wait =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let handlers = json!({
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
        "Catch": [
            {"ErrorEquals": ["States.Timeout"], "Next": "Handled"},
            {"ErrorEquals": ["States.ALL"], "Next": "Handled"}
        ]
    });
    let mut parallel = json!({"Type": "Parallel", "Branches": [long_wait], "Next": "Done"});
    let mut map = json!({"Type": "Map", "ItemsPath": "$.items", "ToleratedFailurePercentage": 100,
                         "MaxConcurrency": 1, "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "W",
                                           "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}},
                         "Next": "Done"});
    for state in [&mut parallel, &mut map] {
        if let (Some(s), Some(h)) = (state.as_object_mut(), handlers.as_object()) {
            s.extend(h.clone());
        }
    }
    // One Wait in all: nothing is retried, and the Map stops at its first item.
    for state in [parallel, map] {
        let outcome = run_with(
            json!({"TimeoutSeconds": 60, "StartAt": "S", "States": {
                "S": state,
                "Handled": {"Type": "Succeed"},
                "Done": {"Type": "Succeed"}
            }}),
            json!({"items": [1, 2]}),
            echo(),
        )
        .await;
        assert_eq!(outcome.status, Status::TimedOut, "{:?}", outcome.failure);
        assert_eq!(outcome.events.last().unwrap().kind, "ExecutionTimedOut");
        assert!(!outcome.states_entered().contains(&"Handled".to_string()));
        assert_eq!(
            outcome
                .states_entered()
                .iter()
                .filter(|s| *s == "W")
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn parallel_and_map_see_their_retry_count() {
    let failed = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    // The first call of each Task state fails, every later one echoes its input.
    let runner = Script(move |r: &TaskRequest| {
        let mut failed = failed.lock().unwrap_or_else(|p| p.into_inner());
        if failed.insert(r.state.clone()) {
            Err(Failure::new("Flaky", "first call"))
        } else {
            Ok(r.input.clone())
        }
    });
    let retry = json!([{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}]);
    let outcome = run_with(
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Parameters": {"retries.$": "$$.State.RetryCount"},
                  "Branches": [{"StartAt": "PT", "States": {"PT": {"Type": "Task", "Resource": "${Echo}", "End": true}}}],
                  "Retry": retry, "ResultPath": "$.parallel", "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.items",
                  "ItemSelector": {"retries.$": "$$.State.RetryCount"},
                  "ItemProcessor": {"StartAt": "MT", "States": {"MT": {"Type": "Task", "Resource": "${Echo}", "End": true}}},
                  "Retry": retry, "ResultPath": "$.map", "End": true}
        }}),
        json!({"items": [1]}),
        runner,
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    // Each state's second attempt sees RetryCount 1.
    assert_eq!(
        outcome.output,
        Some(json!({"items": [1], "parallel": [{"retries": 1}], "map": [{"retries": 1}]}))
    );
}

#[tokio::test]
async fn a_map_over_an_object_passes_each_key_value_pair() {
    let outcome = run_with(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.servers",
            "ItemProcessor": {"StartAt": "E", "States": {"E": {"Type": "Pass", "End": true}}},
            "End": true
        }}}),
        json!({"servers": {"web": {"port": 80}, "db": {"port": 5432}}}),
        echo(),
    )
    .await;
    assert_eq!(
        outcome.output,
        Some(json!([{"web": {"port": 80}}, {"db": {"port": 5432}}]))
    );
    let refused = run_with(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.n",
            "ItemProcessor": {"StartAt": "E", "States": {"E": {"Type": "Pass", "End": true}}},
            "End": true
        }}}),
        json!({"n": 3}),
        echo(),
    )
    .await;
    let failure = refused.failure.unwrap_or_else(|| Failure::new("", ""));
    assert_eq!(failure.error, "States.Runtime");
    assert!(
        failure.cause.contains("not an array or an object"),
        "{}",
        failure.cause
    );
}

#[tokio::test]
async fn a_timeout_seconds_path_of_zero_is_a_runtime_error() {
    for (field, value) in [
        ("TimeoutSecondsPath", 0),
        ("HeartbeatSecondsPath", 0),
        ("TimeoutSecondsPath", -1),
    ] {
        let outcome = run_with(
            json!({"StartAt": "T", "States": {"T": {
                "Type": "Task", "Resource": "${Echo}", field: "$.limit",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true
            }, "Caught": {"Type": "Succeed"}}}),
            json!({"limit": value}),
            echo(),
        )
        .await;
        assert_eq!(outcome.status, Status::Failed, "{field} = {value}");
        let failure = outcome.failure.unwrap_or_else(|| Failure::new("", ""));
        assert_eq!(failure.error, "States.Runtime");
        assert!(
            failure.cause.contains("not a positive integer"),
            "{}",
            failure.cause
        );
    }
}

#[tokio::test]
async fn oversized_task_results_are_data_limit_exceeded_and_not_caught_by_states_all() {
    let outcome = run_with(
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "${X}", "End": true,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]},
            "Handled": {"Type": "Succeed"}
        }}),
        json!({}),
        Script(|_r: &TaskRequest| Ok(json!("x".repeat(300_000)))),
    )
    .await;
    assert_eq!(outcome.failure.unwrap().error, "States.DataLimitExceeded");
}

#[tokio::test]
async fn the_history_limit_fails_the_execution() {
    let doc = json!({"StartAt": "Loop", "States": {
        "Loop": {"Type": "Pass", "Next": "Again?"},
        "Again?": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "Loop"},
        "Done": {"Type": "Succeed"}
    }});
    let options = Options {
        virtual_time: true,
        history_limit: 100,
        ..Options::default()
    };
    let outcome = execute(&machine(doc), json!({}), Arc::new(echo()), options)
        .await
        .unwrap();
    assert_eq!(outcome.failure.unwrap().error, "States.Runtime");
    assert!(outcome.events.len() <= 101);
}

#[tokio::test]
async fn history_uses_step_functions_vocabulary() {
    let outcome = run_with(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${X}", "End": true}}}),
        json!({"a": 1}),
        echo(),
    )
    .await;
    let kinds: Vec<_> = outcome.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    for (i, e) in outcome.events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
        assert_eq!(e.previous_event_id, i as u64);
    }
    let exported = crate::history::to_json(&outcome.events);
    assert_eq!(
        exported["events"][1]["stateEnteredEventDetails"]["name"],
        "T"
    );
}

#[tokio::test]
async fn invalid_definitions_and_unknown_resources_are_rejected_before_running() {
    let invalid = machine(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}));
    let err = execute(&invalid, json!({}), Arc::new(echo()), Options::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::Invalid(_)), "{err}");
    struct Refuse;
    impl TaskRunner for Refuse {
        fn check(&self, state: &str, _: &str) -> Result<(), String> {
            Err(format!("State \"{state}\": nothing to run"))
        }
        fn run(&self, _r: TaskRequest) -> TaskFuture<'_> {
            Box::pin(async { Ok(json!(null)) })
        }
    }
    let doc = machine(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${X}", "End": true}}}),
    );
    let err = execute(&doc, json!({}), Arc::new(Refuse), Options::default())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "State \"T\": nothing to run");
}

#[tokio::test]
async fn variables_assigned_in_jsonpath_mode_are_readable_later() {
    let outcome = run_with(
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": {"id": "x-1"}, "Assign": {"orderId.$": "$.id"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"again.$": "$orderId"}, "End": true}
        }}),
        json!({}),
        echo(),
    )
    .await;
    assert_eq!(outcome.output, Some(json!({"again": "x-1"})));
}

#[tokio::test]
async fn a_choice_applies_its_own_assign_and_the_matching_rules() {
    let doc = || {
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice",
                  "Assign": {"seen.$": "$.kind", "which": "state"},
                  "Choices": [
                      {"Variable": "$.kind", "StringEquals": "a", "Assign": {"which": "rule-a", "picked.$": "$.kind"}, "Next": "Out"},
                      {"Variable": "$.kind", "StringEquals": "b", "Next": "Out"}
                  ],
                  "Default": "Out"},
            "Out": {"Type": "Pass", "Parameters": {"seen.$": "$seen", "which.$": "$which"}, "End": true}
        }})
    };
    let outcome = run_with(doc(), json!({"kind": "a"}), echo()).await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let out = outcome.output.unwrap();
    assert_eq!(out["seen"], json!("a"));
    assert_eq!(
        out["which"],
        json!("rule-a"),
        "the matching rule's Assign wins"
    );
    // The rule not taken and the Default path still get the state's Assign.
    for kind in ["b", "zzz"] {
        let outcome = run_with(doc(), json!({"kind": kind}), echo()).await;
        assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
        let out = outcome.output.unwrap();
        assert_eq!(out["seen"], json!(kind));
        assert_eq!(out["which"], json!("state"));
    }
}

#[test]
fn only_context_paths_that_can_reach_the_input_count_as_reading_it() {
    for text in [
        r#"{"x.$":"$$.Execution.Input.a"}"#,
        r#"{"x.$":"$$"}"#,
        r#"{"x.$":"$$.Execution"}"#,
        r#"{"x.$":"$$..a"}"#,
        r#"{"x.$":"$$['Execution']"}"#,
        r#"{"x.$":"States.Format('{}', $$.Execution.Input.a)"}"#,
        r#"{"a.$":"$$.Map.Item.Value","b.$":"$$.Execution.Input"}"#,
    ] {
        assert!(reads_execution_input(text), "{text}");
    }
    for text in [
        r#"{"x.$":"$.a"}"#,
        r#"{"x.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"}"#,
        r#"{"x.$":"$$.Execution.Id","s.$":"$$.State.Name","m.$":"$$.StateMachine.Name"}"#,
        r#"{"t.$":"$$.Task.Token","r.$":"$$.State.RetryCount"}"#,
    ] {
        assert!(!reads_execution_input(text), "{text}");
    }
}

#[tokio::test]
async fn the_execution_input_stays_readable_from_every_depth() {
    let outcome = run_with(
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemSelector": {"n.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "Read", "States": {"Read": {
                "Type": "Pass",
                "Parameters": {"n.$": "$.n", "tag.$": "$$.Execution.Input.tag", "whole.$": "$$.Execution.Input.items"},
                "End": true
            }}},
            "Next": "Top"
        }, "Top": {
            "Type": "Pass",
            "Parameters": {"each.$": "$", "ctx.$": "$$.Execution"},
            "End": true
        }}}),
        json!({"items": [1, 2], "tag": "t"}),
        echo(),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let output = outcome.output.unwrap();
    assert_eq!(
        output["each"],
        json!([
            {"n": 1, "tag": "t", "whole": [1, 2]},
            {"n": 2, "tag": "t", "whole": [1, 2]}
        ])
    );
    assert_eq!(output["ctx"]["Input"], json!({"items": [1, 2], "tag": "t"}));
}

/// A runner that answers every distributed Map's ItemReader with `items` (as a mock
/// config that names the Map state does) and echoes its tasks.
struct MockedReader(Value);

impl TaskRunner for MockedReader {
    fn check(&self, _state: &str, _resource: &str) -> Result<(), String> {
        Ok(())
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move { Ok(request.input) })
    }

    fn map_items(&self, _state: &str) -> Option<TaskFuture<'_>> {
        let items = self.0.clone();
        Some(Box::pin(async move { Ok(items) }))
    }
}

#[tokio::test]
async fn a_mocked_item_reader_gives_the_items_and_their_source() {
    let outcome = run_with(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "b", "Key.$": "$.key"}
            },
            "ItemSelector": {
                "v.$": "$$.Map.Item.Value",
                "i.$": "$$.Map.Item.Index",
                "src.$": "$$.Map.Item.Source"
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "T",
                "States": {"T": {"Type": "Task", "Resource": "${Echo}", "End": true}}
            },
            "End": true
        }}}),
        json!({"key": "in.json"}),
        MockedReader(json!([{"n": 1}, {"n": 2}])),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(
        outcome.output.unwrap(),
        json!([
            {"v": {"n": 1}, "i": 0, "src": "s3://b/in.json"},
            {"v": {"n": 2}, "i": 1, "src": "s3://b/in.json"}
        ])
    );
}
