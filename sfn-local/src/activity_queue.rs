//! Activities served by external workers: the [`ActivityQueue`] handle, with
//! `GetActivityTask` semantics (one task per poll, a long poll with a timeout, the task's
//! token and input).
//!
//! A Task whose resource is an Activity ARN the queue serves ([`ActivityQueue::serve`]) is
//! queued here instead of run by the registry; a worker polls it, then reports through
//! the execution's [`Callbacks`](crate::Callbacks) handle (`send_task_heartbeat`,
//! `send_task_success`, `send_task_failure`) with the token it got. The handle is cheap to
//! clone, `Send + Sync`, and serves any number of executions at once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, oneshot};

/// Why a poll was refused, named as Step Functions' API names the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    /// The queue does not serve this activity.
    #[error("ActivityDoesNotExist: the activity {0:?} is not served by this queue")]
    ActivityDoesNotExist(String),
    /// The worker name is longer than 80 characters.
    #[error("ValidationException: workerName is longer than 80 characters")]
    WorkerName,
}

/// A task handed to a worker by [`ActivityQueue::get_activity_task`].
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityTask {
    /// The token to report with (`SendTaskSuccess`, ...).
    pub token: String,
    /// The task's input (after InputPath and Parameters).
    pub input: Value,
}

/// A queued task: what the worker gets, and how the executor learns it was picked up.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) task: ActivityTask,
    /// Told the worker's name when a worker takes the task.
    pub(crate) started: oneshot::Sender<String>,
}

#[derive(Debug, Default)]
struct Activity {
    tasks: Mutex<VecDeque<Queued>>,
    ready: Notify,
}

/// The activities served by external workers. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct ActivityQueue {
    activities: Arc<Mutex<HashMap<String, Arc<Activity>>>>,
}

impl ActivityQueue {
    /// A queue that serves no activity yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves the activity `arn` (`arn:aws:states:REGION:ACCOUNT:activity:Name`): its
    /// tasks are queued for workers from now on.
    pub fn serve(&self, arn: &str) {
        self.lock().entry(arn.to_string()).or_default();
    }

    /// Stops serving the activity `arn` (DeleteActivity): its Tasks run through the task
    /// runner again, and tasks still queued for it are dropped (their Tasks wait on their
    /// timeouts).
    pub fn unserve(&self, arn: &str) {
        self.lock().remove(arn);
    }

    /// Whether the queue serves the activity `arn`.
    pub fn serves(&self, arn: &str) -> bool {
        self.lock().contains_key(arn)
    }

    /// The activities served.
    pub fn activities(&self) -> Vec<String> {
        let mut arns: Vec<String> = self.lock().keys().cloned().collect();
        arns.sort();
        arns
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Activity>>> {
        self.activities.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn activity(&self, arn: &str) -> Result<Arc<Activity>, ActivityError> {
        self.lock()
            .get(arn)
            .cloned()
            .ok_or_else(|| ActivityError::ActivityDoesNotExist(arn.to_string()))
    }

    /// Queues a task for the activity `arn` (which the queue serves).
    pub(crate) fn push(&self, arn: &str, queued: Queued) -> Result<(), ActivityError> {
        let activity = self.activity(arn)?;
        activity
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(queued);
        activity.ready.notify_one();
        Ok(())
    }

    /// Takes back the task of `token` if no worker took it yet (it timed out queued).
    pub(crate) fn withdraw(&self, arn: &str, token: &str) {
        if let Ok(activity) = self.activity(arn) {
            activity
                .tasks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|q| q.task.token != token);
        }
    }

    /// `GetActivityTask`: the next task of activity `arn`, waiting up to `wait` for one
    /// (Step Functions holds a poll up to 60 seconds); `None` when none came in time.
    /// `worker_name` is recorded in the execution's `ActivityStarted` event.
    pub async fn get_activity_task(
        &self,
        arn: &str,
        worker_name: Option<&str>,
        wait: Duration,
    ) -> Result<Option<ActivityTask>, ActivityError> {
        if worker_name.is_some_and(|w| w.chars().count() > 80) {
            return Err(ActivityError::WorkerName);
        }
        let activity = self.activity(arn)?;
        let take = || {
            let mut tasks = activity.tasks.lock().unwrap_or_else(|p| p.into_inner());
            // A task whose execution stopped waiting (timed out, ended) is skipped.
            while let Some(q) = tasks.pop_front() {
                if !q.started.is_closed() {
                    return Some(q);
                }
            }
            None
        };
        let polled = tokio::time::timeout(wait, async {
            loop {
                let ready = activity.ready.notified();
                if let Some(q) = take() {
                    return q;
                }
                ready.await;
            }
        })
        .await;
        let Ok(queued) = polled else {
            return Ok(None);
        };
        // Wake another poller if more tasks wait (`notify_one` stores one permit only).
        if !activity
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
        {
            activity.ready.notify_one();
        }
        // The execution may have stopped waiting since: then the token answers
        // `TaskTimedOut` to the worker's report, as Step Functions does.
        let _ = queued
            .started
            .send(worker_name.unwrap_or_default().to_string());
        Ok(Some(queued.task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn one_task_per_poll_and_polls_time_out() {
        let queue = ActivityQueue::new();
        let arn = "arn:aws:states:us-east-1:123456789012:activity:Work";
        assert_eq!(
            queue
                .get_activity_task(arn, None, Duration::ZERO)
                .await
                .unwrap_err()
                .to_string(),
            format!("ActivityDoesNotExist: the activity {arn:?} is not served by this queue")
        );
        queue.serve(arn);
        assert!(queue.serves(arn));
        let mut started = Vec::new();
        for i in 0..2 {
            let (tx, rx) = oneshot::channel();
            started.push(rx);
            queue
                .push(
                    arn,
                    Queued {
                        task: ActivityTask {
                            token: format!("t{i}"),
                            input: json!(i),
                        },
                        started: tx,
                    },
                )
                .unwrap();
        }
        let first = queue
            .get_activity_task(arn, Some("w1"), Duration::from_secs(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.token, "t0");
        assert_eq!(started.remove(0).await.unwrap(), "w1");
        queue.withdraw(arn, "t1");
        assert_eq!(
            queue
                .get_activity_task(arn, None, Duration::from_millis(20))
                .await
                .unwrap(),
            None
        );
    }
}
