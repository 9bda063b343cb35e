//! Task states: one attempt of a task through the [`TaskRunner`](crate::TaskRunner), with
//! its TimeoutSeconds and HeartbeatSeconds and its history events.

use std::time::Duration;

use codegen::asl::{Numeric, TaskState};
use codegen::errors::{STATES_HEARTBEAT_TIMEOUT, STATES_TIMEOUT};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::jsonata_states::Out;
use super::pipeline::{Step, Tail};
use super::{Path, Run, WAIT_FOR_TASK_TOKEN, base_resource};
use crate::callbacks::{Callbacks, PendingTask};
use crate::failure::Failure;
use crate::history::EventType;
use crate::io::{Env, check_len, json_text};
use crate::nested::Pattern;
use crate::tasks::TaskRequest;

/// A Task's TimeoutSeconds and HeartbeatSeconds, evaluated.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub timeout: Option<Duration>,
    pub heartbeat: Option<Duration>,
}

impl Limits {
    /// The first limit a task that sends no heartbeats meets, and its error.
    fn first(&self) -> Option<(Duration, &'static str)> {
        match (self.timeout, self.heartbeat) {
            (Some(t), Some(h)) if h < t => Some((h, STATES_HEARTBEAT_TIMEOUT.as_str())),
            (None, Some(h)) => Some((h, STATES_HEARTBEAT_TIMEOUT.as_str())),
            (Some(t), _) => Some((t, STATES_TIMEOUT.as_str())),
            (None, None) => None,
        }
    }

    /// Adds `timeoutInSeconds` / `heartbeatInSeconds` to scheduling event details.
    pub fn describe(&self, details: &mut Value) {
        if let Some(map) = details.as_object_mut() {
            if let Some(t) = self.timeout {
                map.insert("timeoutInSeconds".into(), json!(t.as_secs()));
            }
            if let Some(h) = self.heartbeat {
                map.insert("heartbeatInSeconds".into(), json!(h.as_secs()));
            }
        }
    }
}

/// One attempt of a Task, ready to run.
pub(super) struct Work<'a> {
    pub name: &'a str,
    pub resource: &'a str,
    /// `$$.Task.Token` of this attempt.
    pub token: String,
    /// The effective input (after InputPath and Parameters).
    pub input: Value,
    /// Its JSON text (written once: the size check and `TaskScheduled` share it).
    pub input_text: String,
    pub attempt: u32,
    pub limits: Limits,
}

/// The history events a kind of task ends with.
#[derive(Debug, Clone, Copy)]
struct EndEvents {
    succeeded: EventType,
    failed: EventType,
    timed_out: EventType,
    /// Whether their details name the resource (`Task*` events do, `Activity*` not).
    name_resource: bool,
}

const TASK_EVENTS: EndEvents = EndEvents {
    succeeded: EventType::TaskSucceeded,
    failed: EventType::TaskFailed,
    timed_out: EventType::TaskTimedOut,
    name_resource: true,
};

const ACTIVITY_EVENTS: EndEvents = EndEvents {
    succeeded: EventType::ActivitySucceeded,
    failed: EventType::ActivityFailed,
    timed_out: EventType::ActivityTimedOut,
    name_resource: false,
};

/// `resourceType` and `resource` as the history gives them: an integration
/// `arn:aws:states:::sqs:sendMessage.waitForTaskToken` is `sqs` and
/// `sendMessage.waitForTaskToken`, `arn:aws:states:::aws-sdk:s3:getObject` is
/// `aws-sdk:s3` and `getObject`; activities keep their whole resource.
pub(super) fn resource_fields(resource: &str) -> (String, String) {
    let Some(rest) = resource.strip_prefix("arn:aws:states:::") else {
        return ("activity".into(), resource.to_string());
    };
    let (service, action) = match rest.strip_prefix("aws-sdk:") {
        Some(sdk) => match sdk.split_once(':') {
            Some((s, a)) => (format!("aws-sdk:{s}"), a),
            None => ("aws-sdk".into(), sdk),
        },
        None => match rest.split_once(':') {
            Some((s, a)) => (s.to_string(), a),
            None => (rest.to_string(), ""),
        },
    };
    (service, action.to_string())
}

impl Run<'_> {
    /// One attempt (number `attempt`, 0-based) of Task state `name`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn task_attempt(
        &self,
        name: &str,
        t: &TaskState,
        input: &Value,
        entered: &str,
        attempt: u32,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let token = Callbacks::new_token();
        let step = Step {
            name,
            entered,
            retry_count: attempt,
            extra: Some(("Task", json!({"Token": token}))),
        };
        let jsonata = self.jsonata_mode(name);
        let prep = if jsonata {
            self.prepare_jsonata(step, t.arguments.as_ref(), input, vars, self.now(path))?
        } else {
            self.prepare(step, &t.input_path, t.parameters.as_ref(), input, vars)?
        };
        let input_text = json_text(prep.payload());
        check_len(input_text.len(), "input (after Parameters)", name)?;
        let numbers = if jsonata {
            self.task_numbers(name, t, input, &prep.ctx, vars, self.now(path))?
        } else {
            std::borrow::Cow::Borrowed(t)
        };
        let env = prep.env(vars);
        let limits = Limits {
            timeout: self.seconds_of(
                &numbers.timeout_seconds,
                &t.timeout_seconds_path,
                &env,
                "TimeoutSecondsPath",
            )?,
            heartbeat: self.seconds_of(
                &numbers.heartbeat_seconds,
                &t.heartbeat_seconds_path,
                &env,
                "HeartbeatSecondsPath",
            )?,
        };
        let ctx = prep.ctx.clone();
        let params = prep.into_payload();
        let work = Work {
            name,
            resource: &t.resource,
            token,
            input: params,
            input_text,
            attempt,
            limits,
        };
        let queued = self
            .options
            .activities
            .as_ref()
            .filter(|q| q.serves(&t.resource));
        // A mock that answers the state whole stands in for the callback or the child.
        let whole = self.tasks.answers_whole(name);
        let waits = !whole && t.resource.ends_with(WAIT_FOR_TASK_TOKEN);
        let nested = Pattern::of(base_resource(&t.resource)).filter(|_| !whole);
        let (result, kinds) = if let Some(pattern) = nested {
            (self.nested(work, pattern, path).await, TASK_EVENTS)
        } else if let Some(queue) = queued {
            (
                self.queued_activity(work, queue, path).await,
                ACTIVITY_EVENTS,
            )
        } else {
            (self.run_task(work, waits, path).await, TASK_EVENTS)
        };
        let details = |mut fields: Value| {
            if kinds.name_resource
                && let Some(map) = fields.as_object_mut()
            {
                let (resource_type, resource) = resource_fields(&t.resource);
                map.insert("resourceType".into(), json!(resource_type));
                map.insert("resource".into(), json!(resource));
            }
            Some(fields)
        };
        match result {
            Ok(result) => {
                let result_text = json_text(&result);
                let result_len = result_text.len();
                self.record(
                    path,
                    kinds.succeeded,
                    details(json!({"output": result_text})),
                )?;
                check_len(result_len, "task result", name)?;
                if jsonata {
                    let now = self.now(path);
                    return self.finish_jsonata(
                        name,
                        Out {
                            input,
                            result: Some(&result),
                            error_output: None,
                            ctx: &ctx,
                        },
                        t.output.as_ref(),
                        "Output",
                        &[(t.assign.as_ref(), "Assign")],
                        vars,
                        now,
                    );
                }
                self.finish(
                    result,
                    Tail {
                        selector: &t.result_selector,
                        assign: &t.assign,
                        result_path: &t.result_path,
                        output_path: &t.output_path,
                    },
                    input,
                    &ctx,
                    vars,
                )
            }
            // The execution's own end is recorded by the execution, not the task.
            Err(f) if f.is_execution_timeout() => Err(f),
            Err(f) => {
                let kind = if f.error == STATES_TIMEOUT.as_str()
                    || f.error == STATES_HEARTBEAT_TIMEOUT.as_str()
                {
                    kinds.timed_out
                } else {
                    kinds.failed
                };
                self.record(
                    path,
                    kind,
                    details(json!({"error": f.error, "cause": f.cause})),
                )?;
                Err(f)
            }
        }
    }

    /// A Task run by the task runner: request-response, or, when it `waits`
    /// (`.waitForTaskToken`), the request then the token's callback.
    async fn run_task(
        &self,
        work: Work<'_>,
        waits: bool,
        path: &mut Path,
    ) -> Result<Value, Failure> {
        self.record_scheduled(&work, path)?;
        let (resource_type, resource) = resource_fields(work.resource);
        self.record(
            path,
            EventType::TaskStarted,
            Some(json!({"resourceType": resource_type, "resource": resource})),
        )?;
        // Registered before the request, so a callback as quick as the request's own
        // answer is not lost.
        let mut registration = waits.then(|| {
            self.options.callbacks.register(PendingTask {
                token: work.token.clone(),
                execution_arn: self.execution_arn.clone(),
                state: work.name.to_string(),
                input: work.input.clone(),
            })
        });
        let started = Instant::now();
        let request = TaskRequest {
            state: work.name.to_string(),
            resource: base_resource(work.resource).to_string(),
            input: work.input,
            attempt: work.attempt,
            map_item: path.map_item,
            execution: self.execution_arn.clone(),
        };
        let run = self.tasks.run(request);
        // In-process activities send no heartbeats: running past HeartbeatSeconds is a
        // heartbeat timeout, past TimeoutSeconds a timeout, whichever comes first. A
        // callback task's request is bounded by its TimeoutSeconds only.
        let limit = if waits {
            work.limits.timeout.map(|t| (t, STATES_TIMEOUT.as_str()))
        } else {
            work.limits.first()
        };
        let answer = match limit {
            Some((d, error)) => match tokio::time::timeout(d, run).await {
                Ok(r) => r,
                Err(_) => Err(Failure::new(
                    error,
                    format!("the task ran longer than {} s", d.as_secs()),
                )),
            },
            None => run.await,
        }?;
        let Some(registration) = registration.as_mut() else {
            return Ok(answer);
        };
        self.record(
            path,
            EventType::TaskSubmitted,
            Some(json!({"resourceType": resource_type, "resource": resource, "output": json_text(&answer)})),
        )?;
        self.wait_for_callback(registration, started, work.limits, path)
            .await
    }

    /// Records `TaskScheduled` for `work`.
    pub(super) fn record_scheduled(&self, work: &Work<'_>, path: &mut Path) -> Result<(), Failure> {
        let (resource_type, resource) = resource_fields(work.resource);
        let mut details = json!({
            "resourceType": resource_type,
            "resource": resource,
            "region": "us-east-1",
            "parameters": work.input_text.clone(),
        });
        work.limits.describe(&mut details);
        self.record(path, EventType::TaskScheduled, Some(details))
    }

    /// A duration in seconds from a literal field or its `…Path` twin; the path must
    /// select a positive integer (`States.Runtime` otherwise).
    fn seconds_of(
        &self,
        literal: &Option<Numeric>,
        path: &Option<String>,
        env: &Env,
        field: &str,
    ) -> Result<Option<Duration>, Failure> {
        if let Some(n) = literal.as_ref().and_then(Numeric::as_i64) {
            return Ok(Some(Duration::from_secs(n.max(0) as u64)));
        }
        if let Some(p) = path {
            let v = self.cache.select(p, env, field)?;
            // Step Functions requires a positive integer: 0 would time out at once.
            let n = v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                Failure::runtime(format!("{field} \"{p}\" is {v}, not a positive integer"))
            })?;
            return Ok(Some(Duration::from_secs(n)));
        }
        Ok(None)
    }
}
