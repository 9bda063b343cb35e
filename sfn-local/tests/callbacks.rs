//! Issue 13 §3: `.waitForTaskToken` Tasks completed, failed, heartbeated and timed out
//! through the `Callbacks` handle, and activities served by an external worker through
//! the `ActivityQueue`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sfn_local::{
    ActivityQueue, CallbackError, Callbacks, Options, Outcome, Status, TaskFuture, TaskRequest,
    TaskRunner, execute,
};

const SEND: &str = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
const APPROVE: &str = "arn:aws:states:us-east-1:123456789012:activity:Approve";

/// Answers every request like SQS's SendMessage, remembering the resources it saw; with
/// `reply`, it also completes the task itself from the token in its input (a consumer as
/// quick as the request).
#[derive(Default)]
struct Queue {
    seen: Mutex<Vec<TaskRequest>>,
    reply: Option<Callbacks>,
}

impl TaskRunner for Queue {
    fn check(&self, _state: &str, resource: &str) -> Result<(), String> {
        if resource.starts_with("arn:aws:states:::sqs:sendMessage") && !resource.contains('.') {
            Ok(())
        } else {
            Err(format!("the runner cannot serve {resource}"))
        }
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move {
            self.seen.lock().unwrap().push(request.clone());
            if let Some(callbacks) = &self.reply {
                let token = request.input["MessageBody"]["token"].as_str().unwrap();
                callbacks
                    .send_task_success(token, r#"{"quick": true}"#)
                    .unwrap();
            }
            Ok(json!({"MessageId": "m-1", "MD5OfMessageBody": "x"}))
        })
    }
}

fn ask(extra: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": SEND,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "ResultPath": "$.answer",
        "End": true
    });
    for (k, v) in extra.as_object().unwrap() {
        task[k] = v.clone();
    }
    task
}

async fn run(doc: Value, runner: Arc<dyn TaskRunner>, options: Options) -> Outcome {
    let machine = codegen::asl::from_value(doc).expect("the test's definition parses");
    execute(&machine, json!({"order": 7}), runner, options)
        .await
        .expect("starts")
}

fn types(outcome: &Outcome) -> Vec<&'static str> {
    outcome.events.iter().map(|e| e.kind.as_str()).collect()
}

fn details(outcome: &Outcome, kind: &str) -> Value {
    outcome
        .events
        .iter()
        .find(|e| e.kind.as_str() == kind)
        .and_then(|e| e.details.clone())
        .unwrap_or_else(|| panic!("no {kind} event"))
}

#[tokio::test]
async fn a_token_delivered_by_another_task_completes_the_state() {
    let callbacks = Callbacks::new();
    let runner = Arc::new(Queue::default());
    let worker = {
        let callbacks = callbacks.clone();
        tokio::spawn(async move {
            let task = callbacks
                .wait_for_task("Ask", Duration::from_secs(10))
                .await
                .expect("the task waits for its token");
            assert_eq!(task.input["MessageBody"]["token"], json!(task.token));
            callbacks.send_task_heartbeat(&task.token).unwrap();
            callbacks
                .send_task_success(&task.token, r#"{"approved": true}"#)
                .unwrap();
            task.token
        })
    };
    let options = Options {
        callbacks: callbacks.clone(),
        ..Options::default()
    };
    let outcome = run(
        json!({"StartAt": "Ask", "States": {"Ask": ask(json!({"HeartbeatSeconds": 30}))}}),
        runner.clone(),
        options,
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(
        outcome.output,
        Some(json!({"order": 7, "answer": {"approved": true}}))
    );
    // The runner saw the request without the suffix, as request-response.
    let seen = runner.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].resource, "arn:aws:states:::sqs:sendMessage");
    assert_eq!(seen[0].input["MessageBody"]["order"], json!(7));
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
            "ExecutionSucceeded"
        ]
    );
    let scheduled = details(&outcome, "TaskScheduled");
    assert_eq!(scheduled["resourceType"], "sqs");
    assert_eq!(scheduled["resource"], "sendMessage.waitForTaskToken");
    assert_eq!(scheduled["heartbeatInSeconds"], 30);
    assert_eq!(
        details(&outcome, "TaskSubmitted")["output"],
        json!({"MessageId": "m-1", "MD5OfMessageBody": "x"}).to_string()
    );
    assert_eq!(
        details(&outcome, "TaskSucceeded")["output"],
        r#"{"approved":true}"#
    );
    // The token is spent: a second use is refused, and no task is pending any more.
    let token = worker.await.unwrap();
    assert!(token.len() > 40, "an opaque token: {token}");
    assert_eq!(
        callbacks.send_task_success(&token, "{}"),
        Err(CallbackError::TaskTimedOut(token.clone()))
    );
    assert_eq!(
        callbacks
            .send_task_heartbeat("not-a-token")
            .unwrap_err()
            .name(),
        "TaskDoesNotExist"
    );
    assert!(callbacks.pending().is_empty());
}

#[tokio::test]
async fn a_callback_as_quick_as_the_request_is_not_lost() {
    let callbacks = Callbacks::new();
    let runner = Arc::new(Queue {
        reply: Some(callbacks.clone()),
        ..Queue::default()
    });
    let options = Options {
        callbacks,
        ..Options::default()
    };
    let outcome = run(
        json!({"StartAt": "Ask", "States": {"Ask": ask(json!({}))}}),
        runner,
        options,
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.output.unwrap()["answer"], json!({"quick": true}));
}

#[tokio::test]
async fn a_missing_heartbeat_times_the_task_out_and_catch_sees_it() {
    let callbacks = Callbacks::new();
    let beats = {
        let callbacks = callbacks.clone();
        tokio::spawn(async move {
            let task = callbacks
                .wait_for_task("Ask", Duration::from_secs(10))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
            callbacks.send_task_heartbeat(&task.token).unwrap();
            // ... then the worker goes quiet.
            task.token
        })
    };
    let options = Options {
        callbacks: callbacks.clone(),
        ..Options::default()
    };
    let doc = json!({"StartAt": "Ask", "States": {
        "Ask": ask(json!({
            "HeartbeatSeconds": 1, "TimeoutSeconds": 60, "End": null, "Next": "Done",
            "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.error", "Next": "Gave up"}]
        })),
        "Done": {"Type": "Succeed"},
        "Gave up": {"Type": "Pass", "End": true}
    }});
    let mut doc = doc;
    doc["States"]["Ask"].as_object_mut().unwrap().remove("End");
    let started = Instant::now();
    let outcome = run(doc, Arc::new(Queue::default()), options).await;
    let took = started.elapsed();
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(
        outcome.output.as_ref().unwrap()["error"]["Error"],
        "States.HeartbeatTimeout"
    );
    // One heartbeat at 0.5 s moved the deadline to 1.5 s.
    assert!(took >= Duration::from_millis(1400), "{took:?}");
    assert_eq!(
        outcome.states_entered(),
        ["Ask", "Gave up"],
        "the Catch went on"
    );
    let timed_out = details(&outcome, "TaskTimedOut");
    assert_eq!(timed_out["error"], "States.HeartbeatTimeout");
    assert_eq!(timed_out["resourceType"], "sqs");
    let token = beats.await.unwrap();
    assert_eq!(
        callbacks
            .send_task_success(&token, "{}")
            .unwrap_err()
            .name(),
        "TaskTimedOut"
    );
}

#[tokio::test]
async fn timeout_seconds_ends_the_wait_even_with_heartbeats() {
    let callbacks = Callbacks::new();
    let beating = {
        let callbacks = callbacks.clone();
        tokio::spawn(async move {
            let task = callbacks
                .wait_for_task("Ask", Duration::from_secs(10))
                .await
                .unwrap();
            let mut beats = 0;
            while callbacks.send_task_heartbeat(&task.token).is_ok() {
                beats += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            beats
        })
    };
    let options = Options {
        callbacks,
        ..Options::default()
    };
    let outcome = run(
        json!({"StartAt": "Ask", "States": {"Ask": ask(json!({"TimeoutSeconds": 2, "HeartbeatSeconds": 1}))}}),
        Arc::new(Queue::default()),
        options,
    )
    .await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.failure.as_ref().unwrap().error, "States.Timeout");
    assert_eq!(details(&outcome, "TaskTimedOut")["error"], "States.Timeout");
    assert!(
        beating.await.unwrap() >= 6,
        "heartbeats kept it alive past its HeartbeatSeconds"
    );
}

#[tokio::test]
async fn send_task_failure_is_retried_then_caught_with_a_fresh_token_per_attempt() {
    let callbacks = Callbacks::new();
    let failer = {
        let callbacks = callbacks.clone();
        tokio::spawn(async move {
            let mut tokens = Vec::new();
            for (error, cause) in [("Busy", "try later"), ("Rejected", "no stock")] {
                let task = loop {
                    let task = callbacks
                        .wait_for_task("Ask", Duration::from_secs(10))
                        .await
                        .unwrap();
                    if !tokens.contains(&task.token) {
                        break task;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                };
                callbacks
                    .send_task_failure(&task.token, Some(error), Some(cause))
                    .unwrap();
                tokens.push(task.token);
            }
            tokens
        })
    };
    let options = Options {
        callbacks: callbacks.clone(),
        virtual_time: true,
        ..Options::default()
    };
    let mut doc = json!({"StartAt": "Ask", "States": {
        "Ask": ask(json!({
            "Next": "Done",
            "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 60, "MaxAttempts": 1}],
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Refused"}]
        })),
        "Done": {"Type": "Succeed"},
        "Refused": {"Type": "Pass", "End": true}
    }});
    doc["States"]["Ask"].as_object_mut().unwrap().remove("End");
    let outcome = run(doc, Arc::new(Queue::default()), options).await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(
        outcome.output.unwrap()["error"],
        json!({"Error": "Rejected", "Cause": "no stock"})
    );
    let tokens = failer.await.unwrap();
    assert_ne!(tokens[0], tokens[1], "each attempt has its own token");
    let failed: Vec<Value> = outcome
        .events
        .iter()
        .filter(|e| e.kind.as_str() == "TaskFailed")
        .map(|e| e.details.clone().unwrap())
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["error"], "Busy");
    assert_eq!(failed[1]["cause"], "no stock");
    for token in &tokens {
        assert_eq!(
            callbacks
                .send_task_failure(token, None, None)
                .unwrap_err()
                .name(),
            "TaskTimedOut"
        );
    }
}

#[tokio::test]
async fn virtual_time_goes_on_from_the_path_and_bounds_the_wait() {
    // A day of virtual waiting, then a callback: its events are a day after the start.
    let callbacks = Callbacks::new();
    {
        let callbacks = callbacks.clone();
        tokio::spawn(async move {
            let task = callbacks
                .wait_for_task("Ask", Duration::from_secs(10))
                .await
                .unwrap();
            callbacks.send_task_success(&task.token, "1").unwrap();
        });
    }
    let doc = |timeout: u64| {
        json!({"StartAt": "Sleep", "TimeoutSeconds": timeout, "States": {
            "Sleep": {"Type": "Wait", "Seconds": 86_400, "Next": "Ask"},
            "Ask": ask(json!({}))
        }})
    };
    let options = Options {
        callbacks,
        virtual_time: true,
        ..Options::default()
    };
    let outcome = run(doc(200_000), Arc::new(Queue::default()), options).await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let start = outcome.events[0].timestamp;
    let succeeded = outcome
        .events
        .iter()
        .find(|e| e.kind.as_str() == "TaskSucceeded")
        .unwrap();
    assert!(succeeded.timestamp - start >= chrono::Duration::seconds(86_400));

    // One second left of the execution's 86,401: nobody calls back, and the execution
    // times out after about a second of real time, not a year.
    let started = Instant::now();
    let outcome = run(
        doc(86_401),
        Arc::new(Queue::default()),
        Options {
            virtual_time: true,
            ..Options::default()
        },
    )
    .await;
    assert_eq!(outcome.status, Status::TimedOut, "{:?}", outcome.failure);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        outcome.events.last().unwrap().kind.as_str(),
        "ExecutionTimedOut"
    );
}

/// Serves nothing: proves queued activities never reach the runner.
struct Nothing;

impl TaskRunner for Nothing {
    fn check(&self, _state: &str, resource: &str) -> Result<(), String> {
        Err(format!("the runner cannot serve {resource}"))
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move { panic!("the runner was called for {}", request.resource) })
    }
}

#[tokio::test]
async fn an_external_worker_polls_activity_tasks_one_at_a_time() {
    let callbacks = Callbacks::new();
    let queue = ActivityQueue::new();
    queue.serve(APPROVE);
    let worker = {
        let (callbacks, queue) = (callbacks.clone(), queue.clone());
        tokio::spawn(async move {
            let mut done = Vec::new();
            while done.len() < 3 {
                let Some(task) = queue
                    .get_activity_task(APPROVE, Some("worker-1"), Duration::from_secs(10))
                    .await
                    .unwrap()
                else {
                    panic!("no task within the poll");
                };
                callbacks.send_task_heartbeat(&task.token).unwrap();
                let n = task.input["n"].as_i64().unwrap();
                callbacks
                    .send_task_success(&task.token, &json!({"approved": n * 10}).to_string())
                    .unwrap();
                done.push(n);
            }
            // Nothing more: an empty poll after its wait.
            let empty = queue
                .get_activity_task(APPROVE, None, Duration::from_millis(50))
                .await
                .unwrap();
            (done, empty)
        })
    };
    let doc = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3,
        "ItemProcessor": {"StartAt": "Approve", "States": {"Approve": {
            "Type": "Task", "Resource": APPROVE, "HeartbeatSeconds": 10, "End": true
        }}},
        "End": true
    }}});
    let machine = codegen::asl::from_value(doc).unwrap();
    let options = Options {
        callbacks,
        activities: Some(queue.clone()),
        ..Options::default()
    };
    let outcome = execute(
        &machine,
        json!({"items": [{"n": 1}, {"n": 2}, {"n": 3}]}),
        Arc::new(Nothing),
        options,
    )
    .await
    .expect("queued activities need no runner");
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(
        outcome.output,
        Some(json!([{"approved": 10}, {"approved": 20}, {"approved": 30}]))
    );
    let (mut done, empty) = worker.await.unwrap();
    done.sort();
    assert_eq!(done, [1, 2, 3]);
    assert_eq!(empty, None);
    let count = |kind: &str| types(&outcome).iter().filter(|t| **t == kind).count();
    assert_eq!(count("ActivityScheduled"), 3);
    assert_eq!(count("ActivityStarted"), 3);
    assert_eq!(count("ActivitySucceeded"), 3);
    assert_eq!(count("TaskScheduled"), 0);
    assert_eq!(
        details(&outcome, "ActivityStarted")["workerName"],
        "worker-1"
    );
    let succeeded = details(&outcome, "ActivitySucceeded");
    assert!(
        succeeded["output"]
            .as_str()
            .unwrap()
            .starts_with("{\"approved\":")
    );
    assert!(succeeded.get("resource").is_none(), "as AWS records it");
    let scheduled = details(&outcome, "ActivityScheduled");
    assert_eq!(scheduled["resource"], APPROVE);
    assert_eq!(scheduled["heartbeatInSeconds"], 10);
}

#[tokio::test]
async fn an_activity_nobody_polls_times_out_and_an_unserved_one_is_refused() {
    let queue = ActivityQueue::new();
    queue.serve(APPROVE);
    let doc = |resource: &str| {
        json!({"StartAt": "Approve", "States": {"Approve": {
            "Type": "Task", "Resource": resource, "TimeoutSeconds": 1, "End": true
        }}})
    };
    let options = Options {
        activities: Some(queue.clone()),
        ..Options::default()
    };
    let machine = codegen::asl::from_value(doc(APPROVE)).unwrap();
    let outcome = execute(&machine, json!({}), Arc::new(Nothing), options.clone())
        .await
        .unwrap();
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.failure.as_ref().unwrap().error, "States.Timeout");
    assert_eq!(
        details(&outcome, "ActivityTimedOut")["error"],
        "States.Timeout"
    );
    // The timed-out task left the queue.
    assert_eq!(
        queue
            .get_activity_task(APPROVE, None, Duration::from_millis(20))
            .await
            .unwrap(),
        None
    );
    // An activity the queue does not serve goes to the runner, which refuses it.
    let other = "arn:aws:states:us-east-1:123456789012:activity:Other";
    let machine = codegen::asl::from_value(doc(other)).unwrap();
    let err = execute(&machine, json!({}), Arc::new(Nothing), options)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(other), "{err}");
}
