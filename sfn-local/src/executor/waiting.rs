//! Tasks that wait on something outside the execution: a token's callback
//! (`.waitForTaskToken`), an external worker (a queued activity) or a child execution
//! (`states:startExecution`, also with `.waitForTaskToken`).
//!
//! Waiting for a callback or a worker takes real time, even under virtual time (the
//! callback comes from outside, whenever it comes): `HeartbeatSeconds` and
//! `TimeoutSeconds` count real seconds of it, timestamps go on from the path's virtual
//! clock, and the wait ends when the execution's (virtual) lifetime does. A child
//! execution runs on the parent's clock: under virtual time, a `.sync` parent resumes at
//! the child's (virtual) stop time.

use std::time::Duration;

use codegen::errors::{STATES_HEARTBEAT_TIMEOUT, STATES_TIMEOUT};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::task::{Limits, Work, resource_fields};
use super::{Path, Run, WAIT_FOR_TASK_TOKEN};
use crate::activity_queue::{ActivityQueue, ActivityTask, Queued};
use crate::callbacks::{Message, PendingTask, Registration};
use crate::failure::Failure;
use crate::history::EventType;
use crate::nested::{Launcher, Parent, Pattern, RemoteLauncher, StartRequest};

/// What ends a wait for a callback first.
enum Deadline {
    Timeout,
    Heartbeat,
    Lifetime,
}

impl Run<'_> {
    /// How much longer the path may run: until the execution's lifetime, or its child
    /// execution's deadline, ends.
    fn remaining(&self, path: &Path) -> Duration {
        let end = path
            .deadline
            .map_or(self.clock.lifetime(), |d| d.min(self.clock.lifetime()));
        end.saturating_sub(self.clock.elapsed(path.offset))
    }

    /// Waits for the callback of `registration`'s token: its output, or its failure;
    /// `States.Timeout` past TimeoutSeconds (counted from `started`),
    /// `States.HeartbeatTimeout` past HeartbeatSeconds without a heartbeat (counted from
    /// now), the execution's timeout past its lifetime.
    pub(super) async fn wait_for_callback(
        &self,
        registration: &mut Registration,
        started: Instant,
        limits: Limits,
        path: &Path,
    ) -> Result<Value, Failure> {
        // Just past the end, so the path is seen as expired.
        let life_end = Instant::now() + self.remaining(path) + Duration::from_millis(1);
        let timeout_at = limits.timeout.map(|t| started + t);
        let mut beat_at = limits.heartbeat.map(|h| Instant::now() + h);
        loop {
            let (at, deadline) = [
                timeout_at.map(|t| (t, Deadline::Timeout)),
                beat_at.map(|b| (b, Deadline::Heartbeat)),
                Some((life_end, Deadline::Lifetime)),
            ]
            .into_iter()
            .flatten()
            .min_by_key(|(at, _)| *at)
            .unwrap_or((life_end, Deadline::Lifetime));
            tokio::select! {
                message = registration.messages.recv() => match message {
                    Some(Message::Heartbeat) => {
                        beat_at = limits.heartbeat.map(|h| Instant::now() + h);
                    }
                    Some(Message::Success(output)) => return Ok(output),
                    Some(Message::Failure { error, cause }) => {
                        return Err(Failure::new(
                            error.unwrap_or_default(),
                            cause.unwrap_or_default(),
                        ));
                    }
                    // The handle keeps the sender while the registration lives.
                    None => {
                        return Err(Failure::runtime(format!(
                            "the callbacks of token {} were dropped",
                            registration.token
                        )));
                    }
                },
                () = tokio::time::sleep_until(at) => return Err(match deadline {
                    Deadline::Timeout => Failure::new(
                        STATES_TIMEOUT.as_str(),
                        format!(
                            "no callback within the task's TimeoutSeconds ({} s)",
                            limits.timeout.unwrap_or_default().as_secs()
                        ),
                    ),
                    Deadline::Heartbeat => Failure::new(
                        STATES_HEARTBEAT_TIMEOUT.as_str(),
                        format!(
                            "no heartbeat within the task's HeartbeatSeconds ({} s)",
                            limits.heartbeat.unwrap_or_default().as_secs()
                        ),
                    ),
                    Deadline::Lifetime => self.expired_failure(path),
                }),
            }
        }
    }

    /// An activity served by an external worker: queued until a worker takes it
    /// (`ActivityScheduled`, then `ActivityStarted` with the worker's name), then its
    /// callback.
    pub(super) async fn queued_activity(
        &self,
        work: Work<'_>,
        queue: &ActivityQueue,
        path: &mut Path,
    ) -> Result<Value, Failure> {
        let mut details = json!({"resource": work.resource, "input": work.input_text.clone()});
        work.limits.describe(&mut details);
        self.record(path, EventType::ActivityScheduled, Some(details))?;
        let mut registration = self.options.callbacks.register(PendingTask {
            token: work.token.clone(),
            execution_arn: self.execution_arn.clone(),
            state: work.name.to_string(),
            input: work.input.clone(),
        });
        let scheduled = Instant::now();
        let (tx, rx) = oneshot::channel();
        queue
            .push(
                work.resource,
                Queued {
                    task: ActivityTask {
                        token: work.token.clone(),
                        input: work.input,
                    },
                    started: tx,
                },
            )
            .map_err(|e| Failure::runtime(e.to_string()))?;
        // Until a worker takes it, only TimeoutSeconds and the lifetime bound the wait.
        let bound = work
            .limits
            .timeout
            .unwrap_or(Duration::MAX)
            .min(self.remaining(path) + Duration::from_millis(1));
        let worker = match tokio::time::timeout(bound, rx).await {
            Ok(Ok(worker)) => worker,
            Ok(Err(_)) => {
                return Err(Failure::runtime("the activity queue dropped the task"));
            }
            Err(_) => {
                queue.withdraw(work.resource, &work.token);
                return Err(if self.remaining(path).is_zero() {
                    self.expired_failure(path)
                } else {
                    Failure::new(
                        STATES_TIMEOUT.as_str(),
                        format!(
                            "no worker took the task within its TimeoutSeconds ({} s)",
                            bound.as_secs()
                        ),
                    )
                });
            }
        };
        self.record(
            path,
            EventType::ActivityStarted,
            Some(json!({"workerName": worker})),
        )?;
        self.wait_for_callback(&mut registration, scheduled, work.limits, path)
            .await
    }

    /// `states:startExecution` in `pattern`: starts the child through the launcher; for
    /// `.sync` and `.sync:2`, waits for it and returns its description, or fails with
    /// `States.TaskFailed` when it did not succeed.
    pub(super) async fn nested(
        &self,
        work: Work<'_>,
        pattern: Pattern,
        path: &mut Path,
    ) -> Result<Value, Failure> {
        let request = StartRequest::from_parameters(&work.input)?;
        self.record_scheduled(&work, path)?;
        let (resource_type, resource) = resource_fields(work.resource);
        self.record(
            path,
            EventType::TaskStarted,
            Some(json!({"resourceType": resource_type, "resource": resource})),
        )?;
        let parent = Parent {
            tasks: self.tasks.clone(),
            options: self.options.clone(),
            now: self.now(path),
        };
        let remote;
        let launcher: &dyn Launcher = match &self.options.launcher {
            Some(l) => l.as_ref(),
            None => {
                remote = RemoteLauncher::default();
                &remote
            }
        };
        // `startExecution.waitForTaskToken`: the child (or whoever it hands the token
        // to) calls back; registered before the start, so a quick child is not lost.
        let mut callback = work.resource.ends_with(WAIT_FOR_TASK_TOKEN).then(|| {
            self.options.callbacks.register(PendingTask {
                token: work.token.clone(),
                execution_arn: self.execution_arn.clone(),
                state: work.name.to_string(),
                input: work.input.clone(),
            })
        });
        let began = Instant::now();
        let started = launcher.start(request, parent).await?;
        if let Some(registration) = callback.as_mut() {
            self.record(
                path,
                EventType::TaskSubmitted,
                Some(json!({
                    "resourceType": resource_type,
                    "resource": resource,
                    "output": started.execution.started_result().to_string(),
                })),
            )?;
            return self
                .wait_for_callback(registration, began, work.limits, path)
                .await;
        }
        if pattern == Pattern::RequestResponse {
            return Ok(started.execution.started_result());
        }
        self.record(
            path,
            EventType::TaskSubmitted,
            Some(json!({
                "resourceType": resource_type,
                "resource": resource,
                "output": started.execution.started_result().to_string(),
            })),
        )?;
        let bound = work
            .limits
            .timeout
            .unwrap_or(Duration::MAX)
            .min(self.remaining(path) + Duration::from_millis(1));
        let child = match tokio::time::timeout(bound, started.done).await {
            Ok(done) => done?,
            Err(_) if self.remaining(path).is_zero() => return Err(self.expired_failure(path)),
            Err(_) => {
                return Err(Failure::new(
                    STATES_TIMEOUT.as_str(),
                    format!(
                        "the child execution ran longer than the task's TimeoutSeconds ({} s)",
                        bound.as_secs()
                    ),
                ));
            }
        };
        // The child ran on the parent's clock: under virtual time, the parent resumes
        // when the child stopped.
        if self.clock.is_virtual()
            && let Some(ahead) = child
                .stop_date
                .and_then(|stop| (stop - self.now(path)).to_std().ok())
        {
            path.offset = path.offset.saturating_add(ahead);
        }
        if child.status == "SUCCEEDED" {
            Ok(child.sync_result(pattern))
        } else {
            Err(child.failure(pattern))
        }
    }
}
