//! The seam for task tokens and activity workers: SendTaskSuccess / SendTaskFailure /
//! SendTaskHeartbeat and GetActivityTask go through a [`Callbacks`] implementation.
//!
//! Until sfn-local's callback handle (issue 13: `.waitForTaskToken`, Activity ARNs queued
//! for external workers) is wired in, the server runs with [`NoCallbacks`]: no execution
//! hands out a task token, so every token is unknown (`TaskDoesNotExist`, as
//! stepfunctions-local answers for a token it never issued) and a GetActivityTask poll
//! ends after its long-poll time with no task. Wiring the handle is implementing this
//! trait over it and passing it to [`crate::App::with_callbacks`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

use crate::error::{ApiError, ErrorType};

/// A task handed to an activity worker.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityTask {
    /// The token to answer with.
    pub token: String,
    /// The task's input (JSON text).
    pub input: String,
}

/// A boxed future of a poll.
pub type PollFuture<'a> = Pin<Box<dyn Future<Output = Option<ActivityTask>> + Send + 'a>>;

/// What the callback actions do with a token.
pub trait Callbacks: Send + Sync {
    /// Completes the task `token` with `output`.
    fn send_task_success(&self, token: &str, output: Value) -> Result<(), ApiError>;
    /// Fails the task `token`.
    fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), ApiError>;
    /// Records a heartbeat of the task `token`.
    fn send_task_heartbeat(&self, token: &str) -> Result<(), ApiError>;
    /// Waits up to `wait` for a task of the activity `activity_arn`.
    fn get_activity_task(
        &self,
        activity_arn: &str,
        worker: Option<&str>,
        wait: Duration,
    ) -> PollFuture<'_>;
}

/// No execution hands out tokens (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCallbacks;

fn unknown(token: &str) -> ApiError {
    ApiError::new(
        ErrorType::TaskDoesNotExist,
        format!("Task Does Not Exist: no running task has the token '{token}'"),
    )
}

impl Callbacks for NoCallbacks {
    fn send_task_success(&self, token: &str, _output: Value) -> Result<(), ApiError> {
        Err(unknown(token))
    }

    fn send_task_failure(
        &self,
        token: &str,
        _error: Option<String>,
        _cause: Option<String>,
    ) -> Result<(), ApiError> {
        Err(unknown(token))
    }

    fn send_task_heartbeat(&self, token: &str) -> Result<(), ApiError> {
        Err(unknown(token))
    }

    fn get_activity_task(
        &self,
        _activity_arn: &str,
        _worker: Option<&str>,
        wait: Duration,
    ) -> PollFuture<'_> {
        Box::pin(async move {
            tokio::time::sleep(wait).await;
            None
        })
    }
}
