//! Task tokens and their callbacks: the [`Callbacks`] handle through which
//! `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` reach a waiting Task
//! (a `.waitForTaskToken` integration or a queued activity).
//!
//! The executor registers a token when a task that waits for one starts, and finishes it
//! when the task ends (by a callback, a timeout or the execution's end). A handle is
//! cheap to clone, `Send + Sync`, and serves any number of executions at once (one
//! `stepwise serve`, many executions). It knows nothing of ASL: it only routes messages
//! to the task waiting on a token and answers with the errors Step Functions' API names.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::io::PAYLOAD_LIMIT;

/// How many finished tokens are remembered (to answer `TaskTimedOut` rather than
/// `TaskDoesNotExist` for a token used too late); older ones are forgotten first.
const FINISHED_KEPT: usize = 100_000;

/// Step Functions' limits on `SendTaskFailure`'s `error` and `cause`.
const ERROR_MAX: usize = 256;
const CAUSE_MAX: usize = 32_768;

/// Why a callback was refused, named as Step Functions' API names the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// No task has this token (never handed out, or forgotten).
    #[error("TaskDoesNotExist: no task has the token {0:?}")]
    TaskDoesNotExist(String),
    /// The token's task already ended (it succeeded, failed or timed out).
    #[error("TaskTimedOut: the task of token {0:?} already ended")]
    TaskTimedOut(String),
    /// The output is not JSON or is too large.
    #[error("InvalidOutput: {0}")]
    InvalidOutput(String),
    /// A field is out of Step Functions' bounds (`error` over 256 characters, `cause`
    /// over 32,768).
    #[error("ValidationException: {0}")]
    Validation(String),
}

impl CallbackError {
    /// The error name as the Step Functions API returns it (`TaskDoesNotExist`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            CallbackError::TaskDoesNotExist(_) => "TaskDoesNotExist",
            CallbackError::TaskTimedOut(_) => "TaskTimedOut",
            CallbackError::InvalidOutput(_) => "InvalidOutput",
            CallbackError::Validation(_) => "ValidationException",
        }
    }
}

/// What a callback tells the waiting task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Message {
    /// `SendTaskHeartbeat`.
    Heartbeat,
    /// `SendTaskSuccess` with its output.
    Success(Value),
    /// `SendTaskFailure` with its error and cause.
    Failure {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// A task waiting for its token's callback, as [`Callbacks::pending`] lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingTask {
    /// The task token (`$$.Task.Token`).
    pub token: String,
    /// The execution the task belongs to.
    pub execution_arn: String,
    /// The Task state's name.
    pub state: String,
    /// The task's effective input (after InputPath and Parameters).
    pub input: Value,
}

#[derive(Debug, Default)]
struct Inner {
    /// Tokens waiting, with their task and where to send messages.
    waiting: HashMap<String, (PendingTask, mpsc::UnboundedSender<Message>)>,
    /// Tokens whose task ended, oldest first (bounded by [`FINISHED_KEPT`]).
    finished: HashSet<String>,
    finished_order: VecDeque<String>,
}

/// The callback side of task tokens, shared by the executions that use it. See the
/// module documentation.
#[derive(Debug, Clone)]
pub struct Callbacks {
    inner: Arc<Mutex<Inner>>,
    /// Bumped whenever a token starts waiting (for [`Callbacks::wait_for_task`]).
    changes: Arc<watch::Sender<u64>>,
}

impl Default for Callbacks {
    fn default() -> Self {
        Self::new()
    }
}

/// The receiving end of a registered token: the executor's side.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) token: String,
    pub(crate) messages: mpsc::UnboundedReceiver<Message>,
    callbacks: Callbacks,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.callbacks.finish(&self.token);
    }
}

impl Callbacks {
    /// A handle with no tokens.
    pub fn new() -> Self {
        Callbacks {
            inner: Arc::new(Mutex::new(Inner::default())),
            changes: Arc::new(watch::channel(0).0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new opaque token, unique across executions, Map items and attempts.
    pub fn new_token() -> String {
        let mut bytes = [0u8; 48];
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..32].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[32..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        format!(
            "AQ{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Starts waiting on `task.token`: callbacks for it go to the returned registration
    /// until it is dropped (then the token answers `TaskTimedOut`).
    pub(crate) fn register(&self, task: PendingTask) -> Registration {
        let (tx, rx) = mpsc::unbounded_channel();
        let token = task.token.clone();
        self.lock().waiting.insert(token.clone(), (task, tx));
        self.changes.send_modify(|n| *n += 1);
        Registration {
            token,
            messages: rx,
            callbacks: self.clone(),
        }
    }

    /// Ends the wait on `token`: later callbacks answer `TaskTimedOut`.
    fn finish(&self, token: &str) {
        let mut inner = self.lock();
        if inner.waiting.remove(token).is_some() && inner.finished.insert(token.to_string()) {
            inner.finished_order.push_back(token.to_string());
            while inner.finished_order.len() > FINISHED_KEPT {
                if let Some(old) = inner.finished_order.pop_front() {
                    inner.finished.remove(&old);
                }
            }
        }
    }

    /// Sends `message` to the task waiting on `token`.
    fn send(&self, token: &str, message: Message) -> Result<(), CallbackError> {
        let inner = self.lock();
        match inner.waiting.get(token) {
            Some((_, tx)) => tx
                .send(message)
                .map_err(|_| CallbackError::TaskTimedOut(token.to_string())),
            None if inner.finished.contains(token) => {
                Err(CallbackError::TaskTimedOut(token.to_string()))
            }
            None => Err(CallbackError::TaskDoesNotExist(token.to_string())),
        }
    }

    /// `SendTaskSuccess`: the task of `token` succeeds with `output` (JSON text, at most
    /// 256 KiB), which becomes the Task state's result.
    pub fn send_task_success(&self, token: &str, output: &str) -> Result<(), CallbackError> {
        if output.len() > PAYLOAD_LIMIT {
            return Err(CallbackError::InvalidOutput(format!(
                "the output is {} bytes, more than the limit of {PAYLOAD_LIMIT} bytes",
                output.len()
            )));
        }
        let value: Value = serde_json::from_str(output)
            .map_err(|e| CallbackError::InvalidOutput(format!("the output is not JSON: {e}")))?;
        self.send(token, Message::Success(value))
    }

    /// `SendTaskFailure`: the task of `token` fails with `error` and `cause` (both
    /// optional, as in the API), which Retry and Catch rules then match.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), CallbackError> {
        if error.is_some_and(|e| e.chars().count() > ERROR_MAX) {
            return Err(CallbackError::Validation(format!(
                "error is longer than {ERROR_MAX} characters"
            )));
        }
        if cause.is_some_and(|c| c.chars().count() > CAUSE_MAX) {
            return Err(CallbackError::Validation(format!(
                "cause is longer than {CAUSE_MAX} characters"
            )));
        }
        self.send(
            token,
            Message::Failure {
                error: error.map(str::to_string),
                cause: cause.map(str::to_string),
            },
        )
    }

    /// `SendTaskHeartbeat`: the task of `token` is alive; its `HeartbeatSeconds` start
    /// again.
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        self.send(token, Message::Heartbeat)
    }

    /// The tasks waiting for a callback now.
    pub fn pending(&self) -> Vec<PendingTask> {
        self.lock()
            .waiting
            .values()
            .map(|(task, _)| task.clone())
            .collect()
    }

    /// Waits up to `timeout` for a task of state `state` to wait for its callback, and
    /// returns it (the first found when several do); `None` when none did in time.
    pub async fn wait_for_task(&self, state: &str, timeout: Duration) -> Option<PendingTask> {
        let mut changes = self.changes.subscribe();
        let find = || {
            self.lock()
                .waiting
                .values()
                .find(|(task, _)| task.state == state)
                .map(|(task, _)| task.clone())
        };
        tokio::time::timeout(timeout, async {
            loop {
                if let Some(task) = find() {
                    return task;
                }
                if changes.changed().await.is_err() {
                    // The sender lives as long as `self`: unreachable, but never spin.
                    std::future::pending::<()>().await;
                }
            }
        })
        .await
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(token: &str) -> PendingTask {
        PendingTask {
            token: token.into(),
            execution_arn: "arn".into(),
            state: "Wait".into(),
            input: json!({}),
        }
    }

    #[tokio::test]
    async fn callbacks_reach_the_waiting_task_and_late_ones_are_refused() {
        let callbacks = Callbacks::new();
        let token = Callbacks::new_token();
        assert_ne!(token, Callbacks::new_token(), "tokens are unique");
        let mut reg = callbacks.register(task(&token));
        callbacks.send_task_heartbeat(&token).unwrap();
        callbacks.send_task_success(&token, r#"{"a":1}"#).unwrap();
        assert_eq!(reg.messages.recv().await, Some(Message::Heartbeat));
        assert_eq!(
            reg.messages.recv().await,
            Some(Message::Success(json!({"a": 1})))
        );
        assert_eq!(
            callbacks.send_task_success(&token, "not json"),
            Err(CallbackError::InvalidOutput(
                "the output is not JSON: expected ident at line 1 column 2".into()
            ))
        );
        let big = format!("\"{}\"", "x".repeat(PAYLOAD_LIMIT));
        assert_eq!(
            callbacks
                .send_task_success(&token, &big)
                .unwrap_err()
                .name(),
            "InvalidOutput"
        );
        drop(reg);
        assert_eq!(
            callbacks.send_task_failure(&token, Some("E"), None),
            Err(CallbackError::TaskTimedOut(token.clone()))
        );
        assert_eq!(
            callbacks.send_task_heartbeat("nope").unwrap_err().name(),
            "TaskDoesNotExist"
        );
        assert_eq!(
            callbacks
                .send_task_failure(&token, Some(&"e".repeat(257)), None)
                .unwrap_err()
                .name(),
            "ValidationException"
        );
        assert!(callbacks.pending().is_empty());
    }

    #[test]
    fn the_handles_can_be_shared_across_threads_and_executions() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<Callbacks>();
        shareable::<crate::ActivityQueue>();
        shareable::<std::sync::Arc<dyn crate::Launcher>>();
    }

    #[tokio::test]
    async fn wait_for_task_sees_a_token_registered_later() {
        let callbacks = Callbacks::new();
        let waiter = {
            let c = callbacks.clone();
            tokio::spawn(async move { c.wait_for_task("Wait", Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        let _reg = callbacks.register(task("t1"));
        assert_eq!(waiter.await.unwrap().map(|t| t.token), Some("t1".into()));
        assert_eq!(
            callbacks
                .wait_for_task("Other", Duration::from_millis(10))
                .await,
            None
        );
    }
}
