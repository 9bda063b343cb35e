//! Task states: one attempt of a task through the [`TaskRunner`](crate::TaskRunner), with
//! its TimeoutSeconds and HeartbeatSeconds and its history events.

use std::time::Duration;

use codegen::asl::{Numeric, TaskState};
use codegen::errors::{STATES_HEARTBEAT_TIMEOUT, STATES_TIMEOUT};
use serde_json::{Map, Value, json};

use super::pipeline::{Step, Tail};
use super::{Path, Run};
use crate::failure::Failure;
use crate::history::EventType;
use crate::io::{Env, check_size};
use crate::tasks::TaskRequest;

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
        let token = format!("{}:{name}:{attempt}", self.execution_name);
        let step = Step {
            name,
            entered,
            retry_count: attempt,
            extra: Some(("Task", json!({"Token": token}))),
        };
        let prep = self.prepare(step, &t.input_path, t.parameters.as_ref(), input, vars)?;
        check_size(prep.payload(), "input (after Parameters)", name)?;
        let env = prep.env(vars);
        let timeout = self.seconds_of(
            &t.timeout_seconds,
            &t.timeout_seconds_path,
            &env,
            "TimeoutSecondsPath",
        )?;
        let heartbeat = self.seconds_of(
            &t.heartbeat_seconds,
            &t.heartbeat_seconds_path,
            &env,
            "HeartbeatSecondsPath",
        )?;
        let ctx = prep.ctx.clone();
        let params = prep.into_payload();
        self.record(
            path,
            EventType::TaskScheduled,
            Some(json!({"resource": t.resource, "resourceType": "activity", "region": "us-east-1", "parameters": params.to_string()})),
        )?;
        self.record(
            path,
            EventType::TaskStarted,
            Some(json!({"resource": t.resource, "resourceType": "activity"})),
        )?;
        let request = TaskRequest {
            state: name.to_string(),
            resource: t.resource.clone(),
            input: params,
            attempt,
            map_item: path.map_item,
            execution: self.execution_arn.clone(),
        };
        let run = self.tasks.run(request);
        // In-process activities send no heartbeats: running past HeartbeatSeconds is a
        // heartbeat timeout, past TimeoutSeconds a timeout, whichever comes first.
        let limit = match (timeout, heartbeat) {
            (Some(t), Some(h)) if h < t => Some((h, STATES_HEARTBEAT_TIMEOUT)),
            (None, Some(h)) => Some((h, STATES_HEARTBEAT_TIMEOUT)),
            (Some(t), _) => Some((t, STATES_TIMEOUT)),
            (None, None) => None,
        };
        let result = match limit {
            Some((d, error)) => match tokio::time::timeout(d, run).await {
                Ok(r) => r,
                Err(_) => Err(Failure::new(
                    error.as_str(),
                    format!("the task ran longer than {} s", d.as_secs()),
                )),
            },
            None => run.await,
        };
        match result {
            Ok(result) => {
                self.record(
                    path,
                    EventType::TaskSucceeded,
                    Some(json!({"resource": t.resource, "output": result.to_string()})),
                )?;
                check_size(&result, "task result", name)?;
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
            Err(f) => {
                let kind = if f.error == STATES_TIMEOUT.as_str()
                    || f.error == STATES_HEARTBEAT_TIMEOUT.as_str()
                {
                    EventType::TaskTimedOut
                } else {
                    EventType::TaskFailed
                };
                self.record(
                    path,
                    kind,
                    Some(json!({"resource": t.resource, "error": f.error, "cause": f.cause})),
                )?;
                Err(f)
            }
        }
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
