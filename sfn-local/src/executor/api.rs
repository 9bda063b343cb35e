//! The executor's public face: the options an execution runs with, what it returns, why
//! it may refuse to start, progress callbacks, and [`execute`] itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use codegen::asl::{State, StateMachine, States};
use serde_json::Value;

use super::Run;
use crate::activity_queue::ActivityQueue;
use crate::callbacks::Callbacks;
#[cfg(doc)]
use crate::clock::EXPRESS_MAX_DURATION;
use crate::clock::STANDARD_MAX_DURATION;
use crate::failure::Failure;
use crate::history::{Event, EventType, History, MAX_EVENTS};
use crate::io::PAYLOAD_LIMIT;
use crate::map_runs::MapRuns;
use crate::nested::{Launcher, Pattern};
use crate::redrive::{Journal, RedriveError};
use crate::tasks::TaskRunner;

/// Watches an execution as it runs (for progress displays).
pub trait Progress: Send + Sync {
    /// A state was entered.
    fn state_entered(&self, _name: &str) {}
    /// A Map state started `total` iterations.
    fn map_started(&self, _state: &str, _total: usize) {}
    /// A Map iteration finished.
    fn map_item_finished(&self, _state: &str, _index: usize, _succeeded: bool) {}
}

/// How to run an execution.
#[derive(Clone)]
pub struct Options {
    /// Make waits and retry backoff instant (timestamps still move on).
    pub virtual_time: bool,
    /// The state machine's name (for ARNs and `$$.StateMachine`).
    pub state_machine_name: String,
    /// The execution's name (default: a UUID).
    pub execution_name: Option<String>,
    /// The maximum number of history events.
    pub history_limit: usize,
    /// Seed for retry jitter (default: random).
    pub seed: Option<u64>,
    /// Progress callbacks.
    pub progress: Option<Arc<dyn Progress>>,
    /// The longest the execution may run, in real or virtual time: a Standard execution
    /// one year ([`STANDARD_MAX_DURATION`], the default), an Express one five minutes
    /// ([`EXPRESS_MAX_DURATION`]). The machine's `TimeoutSeconds` can shorten it. Waits
    /// and backoff that would outlast it time the execution out (`States.Timeout`,
    /// status `TimedOut`).
    pub max_duration: Duration,
    /// The AWS clients a distributed Map's ItemReader and ResultWriter use (default: the
    /// process-wide services from the environment).
    pub services: Option<Arc<stepwise_runtime::Services>>,
    /// Where `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` reach the
    /// execution's waiting tasks (`.waitForTaskToken` and queued activities). A fresh
    /// handle by default; pass a clone of one you keep to call it.
    pub callbacks: Callbacks,
    /// The activities served by external workers: a Task whose Activity ARN the queue
    /// serves is queued for a worker instead of run by the task runner.
    pub activities: Option<ActivityQueue>,
    /// Starts child executions (`states:startExecution`). Default: a
    /// [`RemoteLauncher`](crate::RemoteLauncher) on the Step Functions endpoint of the
    /// standard environment; a [`Catalog`](crate::Catalog) runs known machines
    /// in-process.
    pub launcher: Option<Arc<dyn Launcher>>,
    /// When the execution starts on its clock (default: now). A child execution starts
    /// at its parent's (virtual) time.
    pub start_time: Option<DateTime<Utc>>,
    /// The execution's ARN and its state machine's (for `$$` and the history); default:
    /// built from the names in account 123456789012, region us-east-1.
    pub arns: Option<Arns>,
    /// A history the caller reads while the execution runs (a server's
    /// `GetExecutionHistory`); default: the execution's own, returned in the [`Outcome`].
    /// Its limit replaces [`Options::history_limit`].
    pub live_history: Option<Arc<History>>,
    /// Multiplies the duration of every Wait state (stepfunctions-local's
    /// `WAIT_TIME_SCALE`; default 1.0). Retry backoff is not scaled.
    pub wait_time_scale: f64,
    /// Live counters of the execution's distributed Map Runs, by Map Run ARN (a server's
    /// `DescribeMapRun`); default: none kept.
    pub map_runs: Option<MapRuns>,
    /// Where the execution records what a redrive needs ([`crate::redrive`]): pass the
    /// same journal to [`redrive`](crate::redrive) to continue a failed, timed-out or
    /// stopped run. Default: nothing recorded.
    pub journal: Option<Journal>,
    /// Definition substitutions, as a state machine's `DefinitionSubstitutions` in AWS:
    /// each `${Name}` in the definition's strings whose name is a key is replaced by its
    /// value before the run (e.g. `SalesHistoryTableName` → the table `stepwise
    /// provision` created). Child executions inherit them. Default: none.
    pub substitutions: BTreeMap<String, String>,
}

/// The ARNs an execution is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arns {
    /// The execution's ARN (`$$.Execution.Id`).
    pub execution: String,
    /// Its state machine's ARN (`$$.StateMachine.Id`).
    pub state_machine: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            virtual_time: false,
            state_machine_name: "local".into(),
            execution_name: None,
            history_limit: MAX_EVENTS,
            seed: None,
            progress: None,
            services: None,
            max_duration: STANDARD_MAX_DURATION,
            callbacks: Callbacks::new(),
            activities: None,
            launcher: None,
            start_time: None,
            arns: None,
            live_history: None,
            wait_time_scale: 1.0,
            map_runs: None,
            journal: None,
            substitutions: BTreeMap::new(),
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It reached a Succeed state or an End.
    Succeeded,
    /// It failed with an error.
    Failed,
    /// It ran longer than its TimeoutSeconds, or than an execution may run.
    TimedOut,
}

/// The result of an execution.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// The output, when it succeeded.
    pub output: Option<Value>,
    /// The error, when it failed or timed out.
    pub failure: Option<Failure>,
    /// Every history event.
    pub events: Vec<Event>,
    /// The execution's ARN.
    pub execution_arn: String,
}

impl Outcome {
    /// The names of the states entered, in history order.
    pub fn states_entered(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, EventType::StateEntered(_)))
            .filter_map(|e| e.state_name().map(str::to_string))
            .collect()
    }
}

/// Why an execution could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StartError {
    /// The definition is invalid.
    #[error("invalid definition:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<codegen::asl::Problem>),
    /// Some Task resources cannot be served.
    #[error("{}", .0.join("\n"))]
    Resources(Vec<String>),
    /// The input is too large.
    #[error("{0}")]
    Input(String),
    /// The execution cannot be redriven.
    #[error("{0}")]
    Redrive(#[from] RedriveError),
}

/// Runs `machine` on `input` with `tasks`. Invalid definitions, unservable resources and
/// oversized input are rejected before anything runs.
pub async fn execute(
    machine: &StateMachine,
    input: Value,
    tasks: Arc<dyn TaskRunner>,
    options: Options,
) -> Result<Outcome, StartError> {
    // Substituted and validated once per definition, as Step Functions does at
    // CreateStateMachine (see `crate::prepared`).
    let machine = crate::prepared::prepared(machine, &options.substitutions)?;
    let machine = machine.as_ref();
    let mut unservable = Vec::new();
    check_resources(
        &machine.states,
        tasks.as_ref(),
        options.activities.as_ref(),
        &mut unservable,
    );
    if !unservable.is_empty() {
        return Err(StartError::Resources(unservable));
    }
    let text = crate::io::json_text(&input);
    let size = text.len();
    if size > PAYLOAD_LIMIT {
        return Err(StartError::Input(format!(
            "States.DataLimitExceeded: the execution input is {size} bytes, more than the limit of {PAYLOAD_LIMIT} bytes"
        )));
    }
    let run = Run::new(machine, tasks, options, input.clone());
    Ok(run.execute(input, text).await)
}

/// Collects why Task resources cannot be served. Nested executions are the executor's
/// own and queued activities the queue's; any other resource is checked by the runner,
/// without its `.waitForTaskToken` suffix.
fn check_resources(
    states: &States,
    tasks: &dyn TaskRunner,
    queue: Option<&ActivityQueue>,
    out: &mut Vec<String>,
) {
    for (name, state) in states {
        if let State::Task(t) = state {
            let base = base_resource(&t.resource);
            let own = (Pattern::of(base).is_some() && !tasks.answers_whole(name))
                || queue.is_some_and(|q| q.serves(base));
            if !own && let Err(e) = tasks.check(name, base) {
                out.push(e);
            }
        }
        for (_, branch) in state.children() {
            check_resources(&branch.states, tasks, queue, out);
        }
    }
}

/// A resource without its `.waitForTaskToken` suffix: what the task runner sees.
pub(crate) fn base_resource(resource: &str) -> &str {
    resource
        .strip_suffix(WAIT_FOR_TASK_TOKEN)
        .unwrap_or(resource)
}

/// The suffix of a Task that waits for its token's callback.
pub(crate) const WAIT_FOR_TASK_TOKEN: &str = ".waitForTaskToken";
