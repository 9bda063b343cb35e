//! Redrive (`sfn_local::redrive`): a failed execution goes on from where it stopped, as
//! Step Functions' RedriveExecution does — successful states, branches and iterations
//! are not run again, the variables in scope are as they were, a distributed Map goes on
//! with its Map Run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use codegen::asl::StateMachine;
use serde_json::{Value, json};
use sfn_local::history::History;
use sfn_local::{
    Failure, Journal, MapRunStatus, MapRuns, Options, Outcome, RedriveError, StartError, Status,
    TaskFuture, TaskRequest, TaskRunner, execute, redrive,
};

/// Tasks that answer with their input plus `"seen_by": <state>`, failing on input with
/// `"bad": true` while the fault is on; every call is counted.
#[derive(Default)]
struct Flaky {
    broken: AtomicBool,
    calls: Mutex<Vec<(String, Value)>>,
}

impl Flaky {
    fn broken() -> Arc<Flaky> {
        let f = Flaky::default();
        f.broken.store(true, Ordering::SeqCst);
        Arc::new(f)
    }

    /// The fault is fixed: the next calls succeed.
    fn fix(&self) {
        self.broken.store(false, Ordering::SeqCst);
    }

    /// The states called, in order, and forgets them.
    fn take(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.calls.lock().unwrap())
    }

    fn states(&self) -> Vec<String> {
        self.take().into_iter().map(|(s, _)| s).collect()
    }
}

impl TaskRunner for Flaky {
    fn check(&self, _state: &str, _resource: &str) -> Result<(), String> {
        Ok(())
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        self.calls
            .lock()
            .unwrap()
            .push((request.state.clone(), request.input.clone()));
        let result = if self.broken.load(Ordering::SeqCst) && request.input["bad"] == json!(true) {
            Err(Failure::new(
                "Downstream.Unavailable",
                "the service is down",
            ))
        } else {
            let mut out = request.input.clone();
            if let Some(map) = out.as_object_mut() {
                map.insert("seen_by".into(), json!(request.state));
            }
            Ok(out)
        };
        Box::pin(async move { result })
    }
}

fn machine(doc: Value) -> StateMachine {
    codegen::asl::from_value(doc).expect("the test's definition parses")
}

/// Options that record a journal and keep one history (and Map Runs) across the runs.
fn options(journal: &Journal, history: &Arc<History>, runs: &MapRuns) -> Options {
    Options {
        virtual_time: true,
        seed: Some(3),
        journal: Some(journal.clone()),
        live_history: Some(history.clone()),
        map_runs: Some(runs.clone()),
        execution_name: Some("redriven".into()),
        ..Options::default()
    }
}

/// Runs `doc` on `input` with `tasks` broken (it must fail), fixes them, redrives. The
/// calls counted in `tasks` afterwards are the redrive's.
async fn fail_then_redrive(doc: Value, input: Value, tasks: &Arc<Flaky>) -> (Outcome, Outcome) {
    let m = machine(doc);
    let journal = Journal::new();
    let history = Arc::new(History::new(sfn_local::history::MAX_EVENTS));
    let runs = MapRuns::new();
    let first = execute(
        &m,
        input.clone(),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(first.status, Status::Failed, "the first run fails");
    tasks.take();
    tasks.fix();
    let second = redrive(&m, input, tasks.clone(), options(&journal, &history, &runs))
        .await
        .unwrap();
    (first, second)
}

fn task(next: Option<&str>) -> Value {
    let mut t =
        json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work"});
    match next {
        Some(n) => t["Next"] = json!(n),
        None => t["End"] = json!(true),
    }
    t
}

#[tokio::test]
async fn a_task_failing_in_the_third_of_five_states_is_redriven_from_the_third() {
    let mut states = serde_json::Map::new();
    for (name, next) in [
        ("One", Some("Two")),
        ("Two", Some("Three")),
        ("Three", Some("Four")),
        ("Four", Some("Five")),
        ("Five", None),
    ] {
        let mut t = task(next);
        // The third state's input is bad: only it fails while the fault is on.
        if name == "Two" {
            t["ResultSelector"] = json!({"bad": true, "from.$": "$.seen_by"});
        }
        states.insert(name.into(), t);
    }
    let tasks = Flaky::broken();
    let m = machine(json!({"StartAt": "One", "States": states}));
    let journal = Journal::new();
    let history = Arc::new(History::new(sfn_local::history::MAX_EVENTS));
    let runs = MapRuns::new();
    let first = execute(
        &m,
        json!({}),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(first.status, Status::Failed);
    assert_eq!(tasks.states(), ["One", "Two", "Three"]);
    assert_eq!(journal.stopped_at().as_deref(), Some("Three"));
    tasks.fix();
    let second = redrive(
        &m,
        json!({}),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    assert_eq!(tasks.states(), ["Three", "Four", "Five"], "states 3-5 only");
    assert_eq!(
        second.output,
        Some(json!({"bad": true, "from": "Two", "seen_by": "Five"}))
    );
    // One history, the same execution ARN: the redrive's events follow the failure.
    assert_eq!(second.execution_arn, first.execution_arn);
    let kinds: Vec<&str> = second.events.iter().map(|e| e.kind.as_str()).collect();
    let at = kinds
        .iter()
        .position(|k| *k == "ExecutionRedriven")
        .unwrap();
    assert_eq!(kinds[at - 1], "ExecutionFailed");
    assert_eq!(second.events[at].details, Some(json!({"redriveCount": 1})));
    let entered: Vec<String> = second.events[at..]
        .iter()
        .filter(|e| e.kind.as_str().ends_with("StateEntered"))
        .filter_map(|e| e.state_name().map(str::to_string))
        .collect();
    assert_eq!(entered, ["Three", "Four", "Five"]);
    assert_eq!(*kinds.last().unwrap(), "ExecutionSucceeded");
    assert_eq!(journal.redrive_count(), 1);
}

#[tokio::test]
async fn an_inline_map_reruns_only_its_failed_items_and_keeps_the_others_results_in_order() {
    // One failure is tolerated: the second, at the last item, fails the Map after all
    // ten ran.
    let items: Vec<Value> = (0..10)
        .map(|i| json!({"n": i, "bad": i == 4 || i == 9}))
        .collect();
    let doc = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
        "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": task(None)}},
        "End": true
    }}});
    let tasks = Flaky::broken();
    let (first, second) = fail_then_redrive(doc, json!({"items": items}), &tasks).await;
    assert_eq!(
        first.failure.unwrap().error,
        "States.ExceedToleratedFailureThreshold"
    );
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    let mut rerun: Vec<i64> = tasks
        .take()
        .into_iter()
        .map(|(_, input)| input["n"].as_i64().unwrap())
        .collect();
    rerun.sort();
    assert_eq!(rerun, [4, 9], "only the two failed items run again");
    let output = second.output.unwrap();
    let ns: Vec<i64> = output
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, (0..10).collect::<Vec<_>>(), "all ten results, in order");
    assert!(
        output
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["seen_by"] == "Work")
    );
}

#[tokio::test]
async fn an_inline_map_stopped_by_a_failure_reruns_the_failed_and_the_aborted_items() {
    // Without tolerance the failure of item 3 stops the Map: 4-9 are aborted (never
    // run); the redrive runs 3-9, not 0-2.
    let items: Vec<Value> = (0..10).map(|i| json!({"n": i, "bad": i == 3})).collect();
    let doc = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": task(None)}},
        "End": true
    }}});
    let tasks = Flaky::broken();
    let (_, second) = fail_then_redrive(doc, json!({"items": items}), &tasks).await;
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    let rerun: Vec<i64> = tasks
        .take()
        .into_iter()
        .map(|(_, input)| input["n"].as_i64().unwrap())
        .collect();
    assert_eq!(rerun, [3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(second.output.unwrap().as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn a_parallel_reruns_only_its_failed_branch() {
    let doc = json!({"StartAt": "Both", "States": {"Both": {
        "Type": "Parallel",
        "Branches": [
            {"StartAt": "Good", "States": {"Good": task(None)}},
            {"StartAt": "Spoil", "States": {
                "Spoil": {"Type": "Pass", "Result": {"bad": true}, "Next": "Bad"},
                "Bad": task(None)
            }}
        ],
        "End": true
    }}});
    let tasks = Flaky::broken();
    let m = machine(doc);
    let journal = Journal::new();
    let history = Arc::new(History::new(sfn_local::history::MAX_EVENTS));
    let runs = MapRuns::new();
    let first = execute(
        &m,
        json!({"x": 1}),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(first.status, Status::Failed);
    let mut called = tasks.states();
    called.sort();
    assert_eq!(called, ["Bad", "Good"]);
    tasks.fix();
    let second = redrive(
        &m,
        json!({"x": 1}),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    assert_eq!(tasks.states(), ["Bad"], "the good branch is not run again");
    assert_eq!(
        second.output,
        Some(json!([{"x": 1, "seen_by": "Good"}, {"bad": true, "seen_by": "Bad"}]))
    );
    // The failed branch went on from its Task: its Pass is not entered again.
    let at = second
        .events
        .iter()
        .position(|e| e.kind.as_str() == "ExecutionRedriven")
        .unwrap();
    let entered: Vec<&str> = second.events[at..]
        .iter()
        .filter(|e| e.kind.as_str().ends_with("StateEntered"))
        .filter_map(|e| e.state_name())
        .collect();
    assert_eq!(entered, ["Both", "Bad"]);
}

#[tokio::test]
async fn variables_assigned_before_the_failure_are_in_scope_after_the_redrive() {
    let doc = json!({"StartAt": "Remember", "States": {
        "Remember": {"Type": "Pass", "Assign": {"customer": "c-42", "attempt": 1}, "Next": "Call"},
        "Call": {
            "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
            "Parameters": {"bad": true, "who.$": "$customer"},
            "Assign": {"called": true},
            "Next": "Report"
        },
        "Report": {"Type": "Pass", "Parameters": {
            "customer.$": "$customer", "attempt.$": "$attempt", "called.$": "$called",
            "input.$": "$$.Execution.Input", "redrives.$": "$$.Execution.RedriveCount"
        }, "End": true}
    }});
    let tasks = Flaky::broken();
    let (_, second) = fail_then_redrive(doc, json!({"order": 9}), &tasks).await;
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    assert_eq!(
        second.output,
        Some(json!({
            "customer": "c-42", "attempt": 1, "called": true,
            "input": {"order": 9}, "redrives": 1
        }))
    );
    let calls = tasks.take();
    assert_eq!(calls.last().unwrap().1, json!({"bad": true, "who": "c-42"}));
}

#[tokio::test]
async fn a_failed_iteration_goes_on_from_the_state_it_failed_in_with_its_variables() {
    let doc = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Prepare", "States": {
            "Prepare": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
                        "Parameters": {"n.$": "$.n", "flag.$": "$.bad"}, "Next": "Mark"},
            "Mark": {"Type": "Pass", "Assign": {"mark.$": "$.n"}, "Next": "Finish"},
            "Finish": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
                       "Parameters": {"bad.$": "$.flag", "mark.$": "$mark"}, "End": true}
        }},
        "End": true
    }}});
    let items = json!({"items": [{"n": 0, "bad": false}, {"n": 1, "bad": true}]});
    let tasks = Flaky::broken();
    let (_, second) = fail_then_redrive(doc, items, &tasks).await;
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    // Item 0 and item 1's Prepare are not run again; item 1 resumes at Finish with the
    // variable its Mark assigned.
    assert_eq!(
        tasks.take(),
        [("Finish".to_string(), json!({"bad": true, "mark": 1}))]
    );
    assert_eq!(
        second.output,
        Some(json!([
            {"bad": false, "mark": 0, "seen_by": "Finish"},
            {"bad": true, "mark": 1, "seen_by": "Finish"}
        ]))
    );
}

#[tokio::test]
async fn a_distributed_map_redrives_only_its_failed_children_on_the_same_map_run() {
    // One failure tolerated: 1 fails, 4 fails past the threshold, 5 never starts.
    let items: Vec<Value> = (0..6).map(|i| json!({"n": i, "bad": i % 3 == 1})).collect();
    let doc = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work", "States": {"Work": task(None)}
        },
        "ToleratedFailureCount": 1,
        "End": true
    }}});
    let m = machine(doc);
    let journal = Journal::new();
    let history = Arc::new(History::new(sfn_local::history::MAX_EVENTS));
    let runs = MapRuns::new();
    let tasks = Flaky::broken();
    let first = execute(
        &m,
        json!({"items": items}),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(first.status, Status::Failed);
    assert_eq!(tasks.take().len(), 5);
    let arn = runs.all()[0].map_run_arn.clone();
    let run = runs.get(&arn).unwrap();
    assert_eq!(run.status, MapRunStatus::Failed);
    assert_eq!(
        (
            run.execution_counts.succeeded,
            run.execution_counts.failed,
            run.execution_counts.aborted
        ),
        (3, 2, 1)
    );
    tasks.fix();
    let second = redrive(
        &m,
        json!({"items": items}),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    let rerun: Vec<i64> = tasks
        .take()
        .into_iter()
        .map(|(_, i)| i["n"].as_i64().unwrap())
        .collect();
    assert_eq!(
        rerun,
        [1, 4, 5],
        "the children that succeeded are not run again"
    );
    assert_eq!(runs.len(), 1, "the same Map Run goes on");
    let run = runs.get(&arn).unwrap();
    assert_eq!(run.status, MapRunStatus::Succeeded);
    assert_eq!(run.redrive_count, 1);
    assert!(run.redrive_date.is_some());
    assert_eq!(
        (
            run.item_counts.succeeded,
            run.item_counts.failed,
            run.item_counts.aborted
        ),
        (6, 0, 0)
    );
    assert_eq!(run.item_counts.pending_redrive, 0);
    let redriven = second
        .events
        .iter()
        .find(|e| e.kind.as_str() == "MapRunRedriven")
        .expect("MapRunRedriven");
    assert_eq!(
        redriven.details,
        Some(json!({"mapRunArn": arn, "redriveCount": 1}))
    );
    let ns: Vec<i64> = second
        .output
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, [0, 1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_second_failure_is_redriven_again_keeping_what_succeeded_in_between() {
    let items: Vec<Value> = (0..4).map(|i| json!({"n": i, "bad": i >= 2})).collect();
    let doc = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": task(None)}},
        "ToleratedFailureCount": 5,
        "Next": "Check"
    }, "Check": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
                 "Parameters": {"bad": true}, "End": true}}});
    let m = machine(doc);
    let journal = Journal::new();
    let history = Arc::new(History::new(sfn_local::history::MAX_EVENTS));
    let runs = MapRuns::new();
    let tasks = Flaky::broken();
    let input = json!({"items": items});
    let first = execute(
        &m,
        input.clone(),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(first.status, Status::Failed);
    assert_eq!(journal.stopped_at().as_deref(), Some("Check"));
    tasks.take();
    // Still broken: the redrive fails at Check again, the Map is not run again.
    let second = redrive(
        &m,
        input.clone(),
        tasks.clone(),
        options(&journal, &history, &runs),
    )
    .await
    .unwrap();
    assert_eq!(second.status, Status::Failed);
    assert_eq!(tasks.states(), ["Check"]);
    tasks.fix();
    let third = redrive(&m, input, tasks.clone(), options(&journal, &history, &runs))
        .await
        .unwrap();
    assert_eq!(third.status, Status::Succeeded, "{:?}", third.failure);
    assert_eq!(tasks.states(), ["Check"]);
    assert_eq!(journal.redrive_count(), 2);
    let counts: Vec<Value> = third
        .events
        .iter()
        .filter(|e| e.kind.as_str() == "ExecutionRedriven")
        .filter_map(|e| e.details.clone())
        .collect();
    assert_eq!(
        counts,
        [json!({"redriveCount": 1}), json!({"redriveCount": 2})]
    );
}

#[tokio::test]
async fn a_run_without_a_journal_cannot_be_redriven() {
    let m = machine(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    let err = redrive(&m, json!({}), Flaky::broken(), Options::default())
        .await
        .unwrap_err();
    assert_eq!(err, StartError::Redrive(RedriveError::NoJournal));
}
