//! The executions the server knows: each one's record (status, input, output, error,
//! its live history) and the store, which keeps every running execution and the most
//! recent finished ones up to a bound (default 10,000), dropping the oldest finished.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sfn_local::history::{EventType, History};
use sfn_local::{Journal, MapRunChild, MapRuns, TaskRunner};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::error::{ApiError, ErrorType};
use crate::machines::Machine;

/// The default number of finished executions kept.
pub const DEFAULT_RETENTION: usize = 10_000;

/// An execution's status, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Still running.
    Running,
    /// Ended successfully.
    Succeeded,
    /// Ended with an error.
    Failed,
    /// Ran out of time.
    TimedOut,
    /// Stopped by StopExecution.
    Aborted,
}

impl Status {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }

    /// Parses a `statusFilter`.
    pub fn parse(text: &str) -> Result<Status, ApiError> {
        Ok(match text {
            "RUNNING" => Status::Running,
            "SUCCEEDED" => Status::Succeeded,
            "FAILED" => Status::Failed,
            "TIMED_OUT" => Status::TimedOut,
            "ABORTED" => Status::Aborted,
            other => {
                return Err(ApiError::constraint(
                    "statusFilter",
                    other,
                    "Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
                ));
            }
        })
    }
}

/// What changes while an execution runs.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The status.
    pub status: Status,
    /// When it ended.
    pub stopped: Option<DateTime<Utc>>,
    /// The output (JSON text), when it succeeded.
    pub output: Option<String>,
    /// The error, when it failed, timed out or was aborted.
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
}

/// How often an execution was redriven, and when last.
#[derive(Debug, Clone, Copy, Default)]
pub struct Redrives {
    /// The number of redrives.
    pub count: u32,
    /// When the last one started.
    pub last: Option<DateTime<Utc>>,
}

/// One execution.
pub struct Execution {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// The machine version it runs.
    pub machine: Arc<Machine>,
    /// The input, as JSON text.
    pub input: String,
    /// When it started.
    pub started: DateTime<Utc>,
    /// The mock test case it runs under (`#TestCase`), if any.
    pub test_case: Option<String>,
    /// Its history, written while it runs.
    pub history: Arc<History>,
    /// Its task runner (a redrive goes on with the same mock response counters).
    pub tasks: Arc<dyn TaskRunner>,
    /// The live counters of its distributed Map Runs (DescribeMapRun), dropped with it.
    pub map_runs: MapRuns,
    /// What its runs recorded for a redrive (RedriveExecution goes on from there).
    pub journal: Journal,
    progress: Mutex<Progress>,
    redrives: Mutex<Redrives>,
    abort: Mutex<Option<AbortHandle>>,
    done: watch::Sender<bool>,
    seq: u64,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("arn", &self.arn)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// A running execution.
    pub fn new(
        arn: String,
        name: String,
        machine: Arc<Machine>,
        input: String,
        test_case: Option<String>,
        history: Arc<History>,
        tasks: Arc<dyn TaskRunner>,
    ) -> Self {
        Execution {
            arn,
            name,
            machine,
            input,
            started: Utc::now(),
            test_case,
            history,
            tasks,
            map_runs: MapRuns::new(),
            journal: Journal::new(),
            progress: Mutex::new(Progress {
                status: Status::Running,
                stopped: None,
                output: None,
                error: None,
                cause: None,
            }),
            redrives: Mutex::new(Redrives::default()),
            abort: Mutex::new(None),
            done: watch::channel(false).0,
            seq: 0,
        }
    }

    /// A snapshot of its status and results.
    pub fn progress(&self) -> Progress {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How often it was redriven.
    pub fn redrives(&self) -> Redrives {
        *self.redrives.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs it again (RedriveExecution): RUNNING, results cleared; returns the new redrive
    /// count, or `None` when it has not ended.
    pub fn reopen(&self) -> Option<u32> {
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if progress.status == Status::Running || progress.status == Status::Succeeded {
            return None;
        }
        *progress = Progress {
            status: Status::Running,
            stopped: None,
            output: None,
            error: None,
            cause: None,
        };
        let mut redrives = self.redrives.lock().unwrap_or_else(|p| p.into_inner());
        redrives.count += 1;
        redrives.last = Some(Utc::now());
        self.done.send_replace(false);
        Some(redrives.count)
    }

    /// Records the task that runs it, so StopExecution can stop it.
    pub fn set_abort(&self, handle: AbortHandle) {
        let progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if progress.status == Status::Aborted {
            handle.abort();
        } else {
            *self.abort.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        }
    }

    /// Records how it ended, unless it already ended (was stopped); returns whether
    /// this call ended it.
    pub fn finish(&self, end: Progress) -> bool {
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if progress.status != Status::Running {
            return false;
        }
        *progress = end;
        drop(progress);
        self.done.send_replace(true);
        true
    }

    /// Stops it (StopExecution): the run is cancelled and `ExecutionAborted` recorded.
    /// Returns the stop date; an execution that already ended keeps its end.
    pub fn stop(&self, error: Option<String>, cause: Option<String>) -> DateTime<Utc> {
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if progress.status != Status::Running {
            return progress.stopped.unwrap_or_else(Utc::now);
        }
        if let Some(handle) = self.abort.lock().unwrap_or_else(|p| p.into_inner()).take() {
            handle.abort();
        }
        let now = Utc::now();
        let events = self.history.events();
        let terminal = events.last().is_some_and(|e| {
            matches!(
                e.kind,
                EventType::ExecutionSucceeded
                    | EventType::ExecutionFailed
                    | EventType::ExecutionTimedOut
            )
        });
        if !terminal {
            let mut details = serde_json::Map::new();
            if let Some(e) = &error {
                details.insert("error".into(), e.clone().into());
            }
            if let Some(c) = &cause {
                details.insert("cause".into(), c.clone().into());
            }
            let prev = events.last().map_or(0, |e| e.id);
            self.history.record_final(
                prev,
                now,
                EventType::ExecutionAborted,
                Some(serde_json::Value::Object(details)),
            );
        }
        *progress = Progress {
            status: Status::Aborted,
            stopped: Some(now),
            output: None,
            error,
            cause,
        };
        drop(progress);
        self.done.send_replace(true);
        now
    }

    /// Waits until it has ended.
    pub async fn wait(&self) {
        let mut rx = self.done.subscribe();
        // An error means the sender is gone, which it is not while `self` lives.
        let _ = rx.wait_for(|done| *done).await;
    }
}

#[derive(Debug, Default)]
struct Inner {
    by_seq: BTreeMap<u64, Arc<Execution>>,
    by_arn: HashMap<String, u64>,
    finished: VecDeque<u64>,
    next: u64,
}

/// Every running execution and the most recent finished ones.
#[derive(Debug)]
pub struct ExecutionStore {
    inner: Mutex<Inner>,
    retention: usize,
}

impl ExecutionStore {
    /// A store keeping at most `retention` finished executions.
    pub fn new(retention: usize) -> Self {
        ExecutionStore {
            inner: Mutex::new(Inner::default()),
            retention,
        }
    }

    /// Adds `execution` unless one with its ARN is known: then `Err` with the existing
    /// one.
    pub fn insert(&self, mut execution: Execution) -> Result<Arc<Execution>, Arc<Execution>> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = inner
            .by_arn
            .get(&execution.arn)
            .and_then(|s| inner.by_seq.get(s))
        {
            return Err(existing.clone());
        }
        let seq = inner.next;
        inner.next += 1;
        execution.seq = seq;
        let execution = Arc::new(execution);
        inner.by_arn.insert(execution.arn.clone(), seq);
        inner.by_seq.insert(seq, execution.clone());
        Ok(execution)
    }

    /// Notes that `execution` ended; drops the oldest finished executions past the bound.
    pub fn finished(&self, execution: &Execution) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // A redriven execution ends twice: it keeps its first place.
        if !inner.finished.contains(&execution.seq) {
            inner.finished.push_back(execution.seq);
        }
        while inner.finished.len() > self.retention {
            let Some(old) = inner.finished.pop_front() else {
                break;
            };
            // One running again (redriven) is kept; it is counted again when it ends.
            if inner
                .by_seq
                .get(&old)
                .is_some_and(|e| e.progress().status == Status::Running)
            {
                continue;
            }
            if let Some(e) = inner.by_seq.remove(&old) {
                inner.by_arn.remove(&e.arn);
            }
        }
    }

    /// The execution `arn`, or `ExecutionDoesNotExist`.
    pub fn get(&self, arn: &str) -> Result<Arc<Execution>, ApiError> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .by_arn
            .get(arn)
            .and_then(|s| inner.by_seq.get(s))
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorType::ExecutionDoesNotExist,
                    format!("Execution Does Not Exist: '{arn}'"),
                )
            })
    }

    /// The execution holding the distributed Map Run `map_run_arn`, if one held does.
    /// (A scan of the held executions: at most the retention bound plus the running.)
    pub fn with_map_run(&self, map_run_arn: &str) -> Option<Arc<Execution>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .by_seq
            .values()
            .rev()
            .find(|e| e.map_runs.get(map_run_arn).is_some())
            .cloned()
    }

    /// The distributed Map child execution `arn` and the execution whose Map Run ran
    /// it, if one held did. (A scan, as [`ExecutionStore::with_map_run`].)
    pub fn with_child(&self, arn: &str) -> Option<(Arc<Execution>, MapRunChild)> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .by_seq
            .values()
            .rev()
            .find_map(|e| e.map_runs.child(arn).map(|c| (e.clone(), c)))
    }

    /// The number of executions held.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .by_seq
            .len()
    }

    /// Whether no execution is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `limit` executions matching `keep`, newest first, starting before position
    /// `before`; and the position to continue from when more follow.
    pub fn page(
        &self,
        before: Option<u64>,
        limit: usize,
        keep: impl Fn(&Execution) -> bool,
    ) -> (Vec<Arc<Execution>>, Option<u64>) {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let end = before.unwrap_or(u64::MAX);
        let mut out = Vec::new();
        for (seq, e) in inner.by_seq.range(..end).rev() {
            if !keep(e) {
                continue;
            }
            if out.len() == limit {
                return (out, Some(*seq + 1));
            }
            out.push(e.clone());
        }
        (out, None)
    }
}
