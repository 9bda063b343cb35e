//! Task tokens and activity workers on the server: SendTaskSuccess / SendTaskFailure /
//! SendTaskHeartbeat and GetActivityTask go to one shared [`sfn_local::Callbacks`] and
//! [`sfn_local::ActivityQueue`] that every execution on the server runs with (see
//! [`crate::runner::options`]), and their refusals become the API's error types.
//!
//! An activity created with CreateActivity is served by the queue: a Task of an
//! execution on the server whose resource is its ARN waits for a worker's
//! GetActivityTask instead of running the registry's activity of that name.

use std::time::Duration;

use sfn_local::{ActivityError, ActivityQueue, ActivityTask, CallbackError, Callbacks};

use crate::error::{ApiError, ErrorType};

/// The server's shared callback and activity handles.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// Where callbacks reach waiting tasks.
    pub callbacks: Callbacks,
    /// The activities served to external workers.
    pub queue: ActivityQueue,
}

/// A callback refusal as the API answers it.
pub fn api_error(e: CallbackError) -> ApiError {
    let kind = match &e {
        CallbackError::TaskDoesNotExist(_) => ErrorType::TaskDoesNotExist,
        CallbackError::TaskTimedOut(_) => ErrorType::TaskTimedOut,
        CallbackError::InvalidOutput(_) => ErrorType::InvalidOutput,
        CallbackError::Validation(_) => ErrorType::ValidationException,
    };
    let message = match e {
        CallbackError::TaskDoesNotExist(t) => {
            format!("Task Does Not Exist: no running task has the token '{t}'")
        }
        CallbackError::TaskTimedOut(t) => {
            format!("Task Timed Out: the task of token '{t}' already ended")
        }
        CallbackError::InvalidOutput(m) => format!("Invalid Output: {m}"),
        CallbackError::Validation(m) => m,
    };
    ApiError::new(kind, message)
}

impl Tokens {
    /// GetActivityTask on the queue: the next task of `activity_arn`, waiting up to
    /// `wait`; `None` when none came in time.
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker: Option<&str>,
        wait: Duration,
    ) -> Result<Option<ActivityTask>, ApiError> {
        self.queue
            .get_activity_task(activity_arn, worker, wait)
            .await
            .map_err(|e| match e {
                ActivityError::ActivityDoesNotExist(arn) => ApiError::new(
                    ErrorType::ActivityDoesNotExist,
                    format!("Activity Does Not Exist: '{arn}'"),
                ),
                ActivityError::WorkerName => ApiError::constraint(
                    "workerName",
                    "<name>",
                    "Member must have length less than or equal to 80",
                ),
            })
    }
}
