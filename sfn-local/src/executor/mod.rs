//! The interpreter: runs a state machine from its input to its output (or error), state by
//! state, as Step Functions does.
//!
//! Order of processing for each state: InputPath → Parameters (with the context object
//! `$$`) → the work (task, branches, iterations, wait, choice) → ResultSelector →
//! ResultPath (into the *raw* input) → OutputPath. Retry rules are tried in order, each
//! with its own attempt count; Catch rules are tried in order after the retries are
//! spent. Map iterations and Parallel branches run concurrently; without a tolerated
//! failure threshold, the first failure cancels its siblings.
//!
//! This module runs scopes state by state and ends the execution; the rest is one room
//! per concern: [`api`] (what callers see), [`context`] (`$$`), [`pipeline`] (a state's
//! way in and out), [`simple`] (Pass, Succeed, Choice, Wait, Fail), [`task`],
//! [`parallel`], [`map`] and [`retry`] (Retry and Catch).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use codegen::asl::{State, StateMachine, States};
use futures::future::BoxFuture;
use rand::{SeedableRng, rngs::StdRng};
use serde_json::{Map, Value, json};

use crate::clock::{Clock, EXPRESS_MAX_DURATION};
use crate::failure::Failure;
use crate::history::{EventType, History, StateType};
use crate::io::{Cache, check_len, derived_text, json_text, text_with_member, whole_input_key};
use crate::tasks::TaskRunner;

mod api;
mod context;
mod jsonata_states;
mod map;
mod parallel;
mod pipeline;
mod resume;
mod retry;
mod simple;
mod task;
mod test_state;
mod waiting;

pub use api::{Arns, Options, Outcome, Progress, StartError, Status, execute};
pub(crate) use api::{WAIT_FOR_TASK_TOKEN, base_resource};
pub use resume::redrive;
pub use test_state::{Inspection, TestOutcome, TestStatus, test_state};

/// Where a path of execution is: its virtual-time offset, its last history event, and
/// its Map item.
#[derive(Debug, Clone, Default)]
struct Path {
    offset: Duration,
    prev: u64,
    map_item: Option<usize>,
    /// The history of the child execution this path runs in (a distributed Map item),
    /// instead of the execution's own.
    child: Option<Arc<History>>,
    /// The elapsed time by which the child execution this path runs in must end (an
    /// Express child's five minutes).
    deadline: Option<Duration>,
    /// The scope this path runs in, for the redrive journal (see [`crate::redrive`]):
    /// empty at the top level.
    scope: String,
    /// The state about to run resumes a redriven scope: a Parallel or Map state takes
    /// its branches' and iterations' prior records.
    resuming: bool,
}

/// Where control goes after a state.
enum Flow {
    Next(String),
    End,
}

impl Flow {
    /// `Next` when there is a next state, else `End`.
    fn after(next: &Option<String>) -> Flow {
        match next {
            Some(n) => Flow::Next(n.clone()),
            None => Flow::End,
        }
    }

    /// Where control goes after `state` succeeds.
    fn after_state(state: &State) -> Flow {
        match state.next() {
            Some(n) => Flow::Next(n.to_string()),
            None => Flow::End,
        }
    }
}

/// One execution in progress: the machine, its runner, its clock and its history.
struct Run<'m> {
    machine: &'m StateMachine,
    tasks: Arc<dyn TaskRunner>,
    options: Options,
    cache: Cache,
    clock: Clock,
    history: Arc<History>,
    execution_arn: String,
    execution_name: String,
    state_machine_arn: String,
    input: Value,
    /// Names of the states whose text may read `$$.Execution.Input` (see
    /// [`context::reads_execution_input`]): only their context objects carry a copy of it.
    input_readers: HashSet<String>,
    /// Names of the states that run in JSONata mode.
    jsonata_states: HashSet<String>,
    rng: Mutex<StdRng>,
    /// How often the execution was redriven (`$$.Execution.RedriveCount`), and when last.
    redriven: Option<(u32, DateTime<Utc>)>,
}

const ACCOUNT_REGION: &str = "us-east-1:123456789012";

impl<'m> Run<'m> {
    fn new(
        machine: &'m StateMachine,
        tasks: Arc<dyn TaskRunner>,
        options: Options,
        input: Value,
    ) -> Self {
        let execution_name = options
            .execution_name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let rng = match options.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => rand::make_rng(),
        };
        let mut input_readers = HashSet::new();
        context::collect_input_readers(&machine.states, &mut input_readers);
        let mut jsonata_states = HashSet::new();
        jsonata_states::collect_jsonata(
            &machine.states,
            machine.query_language,
            &mut jsonata_states,
        );
        Run {
            jsonata_states,
            machine,
            input_readers,
            tasks,
            cache: Cache::default(),
            clock: Clock::starting_at(
                options.virtual_time,
                lifetime(machine, &options),
                options.start_time,
            ),
            history: options
                .live_history
                .clone()
                .unwrap_or_else(|| Arc::new(History::new(options.history_limit))),
            execution_arn: execution_arn(&options, &execution_name),
            state_machine_arn: state_machine_arn(&options),
            execution_name,
            input,
            rng: Mutex::new(rng),
            redriven: None,
            options,
        }
    }

    fn now(&self, path: &Path) -> DateTime<Utc> {
        self.clock.now(path.offset)
    }

    fn record(
        &self,
        path: &mut Path,
        kind: EventType,
        details: Option<Value>,
    ) -> Result<(), Failure> {
        let now = self.now(path);
        let history = path.child.as_deref().unwrap_or(&self.history);
        path.prev = history.record(path.prev, now, kind, details)?;
        Ok(())
    }

    /// Records `EvaluationFailed` (error, cause, location, state) when `failure` is a
    /// JSONata expression's failure not recorded yet, as Step Functions does before the
    /// state's Retry, Catch or the execution's end.
    fn record_evaluation(&self, path: &mut Path, failure: &mut Failure) -> Result<(), Failure> {
        match failure.take_evaluation() {
            Some(at) => self.record(
                path,
                EventType::EvaluationFailed,
                Some(json!({
                    "error": failure.error,
                    "cause": failure.cause,
                    "location": at.location,
                    "state": at.state,
                })),
            ),
            None => Ok(()),
        }
    }

    /// Runs the execution on `input`, whose compact JSON text is `input_text` (serialised
    /// once, for the size check, the started event and the first state's input).
    async fn execute(&self, input: Value, input_text: String) -> Outcome {
        let mut path = Path::default();
        let started = self.record(
            &mut path,
            EventType::ExecutionStarted,
            Some(json!({"input": input_text.clone(), "roleArn": format!("arn:aws:iam::123456789012:role/{}", self.options.state_machine_name)})),
        );
        let mut vars = Map::new();
        let result = match started {
            Err(f) => Err(f),
            Ok(()) => {
                let run = self.run_scope(
                    &self.machine.states,
                    &self.machine.start_at,
                    input,
                    Some(input_text),
                    &mut path,
                    &mut vars,
                );
                self.within_lifetime(run).await
            }
        };
        self.conclude(&path, result)
    }

    /// Runs the machine's top scope from the state `start`, within the execution's
    /// lifetime; gives its output and the output's JSON text.
    async fn run_from(
        &self,
        start: &str,
        input: Value,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<(Value, String), Failure> {
        let run = self.run_scope(&self.machine.states, start, input, None, path, vars);
        self.within_lifetime(run).await
    }

    /// Runs `run` (the top scope) within the execution's lifetime.
    async fn within_lifetime<T>(
        &self,
        run: BoxFuture<'_, Result<T, Failure>>,
    ) -> Result<T, Failure> {
        if self.clock.is_virtual() {
            run.await
        } else {
            match tokio::time::timeout(self.clock.lifetime(), run).await {
                Ok(r) => r,
                Err(_) => Err(self.timeout_failure()),
            }
        }
    }

    /// Ends the execution: its final event and its outcome, from the result of its top
    /// scope on `path` (the output and its JSON text).
    fn conclude(&self, path: &Path, result: Result<(Value, String), Failure>) -> Outcome {
        let result = match result {
            Ok(_) if self.clock.expired(path.offset) => Err(self.timeout_failure()),
            r => r,
        };
        let now = self.now(path);
        let (status, output, failure) = match result {
            Ok((output, output_text)) => {
                self.history.record_final(
                    path.prev,
                    now,
                    EventType::ExecutionSucceeded,
                    Some(json!({"output": output_text})),
                );
                (Status::Succeeded, Some(output), None)
            }
            Err(f) if f.is_execution_timeout() => {
                self.history.record_final(
                    path.prev,
                    now,
                    EventType::ExecutionTimedOut,
                    Some(json!({"error": f.error, "cause": f.cause})),
                );
                (Status::TimedOut, None, Some(f))
            }
            Err(f) => {
                self.history.record_final(
                    path.prev,
                    now,
                    EventType::ExecutionFailed,
                    Some(json!({"error": f.error, "cause": f.cause})),
                );
                (Status::Failed, None, Some(f))
            }
        };
        Outcome {
            status,
            output,
            failure,
            // The history is this execution's alone unless a caller reads it live (then
            // it stays whole for that caller).
            events: if Arc::strong_count(&self.history) == 1 {
                self.history.take_events()
            } else {
                self.history.events()
            },
            execution_arn: self.execution_arn.clone(),
        }
    }

    /// Runs a scope (the machine, a branch, a processor) from `start` to its end;
    /// `input_text` is the input's JSON text when the caller has it. Gives the scope's
    /// output and its JSON text.
    fn run_scope<'a>(
        &'a self,
        states: &'a States,
        start: &'a str,
        input: Value,
        input_text: Option<String>,
        path: &'a mut Path,
        vars: &'a mut Map<String, Value>,
    ) -> BoxFuture<'a, Result<(Value, String), Failure>> {
        Box::pin(async move {
            let mut current = start.to_string();
            let mut value = input;
            // The JSON text of `value` when the previous state already wrote it (its
            // output is the next state's input): each value is serialised once.
            let mut text = input_text;
            loop {
                let state = states
                    .get(&current)
                    .ok_or_else(|| Failure::runtime(format!("no state named \"{current}\"")))?;
                if let Some(journal) = &self.options.journal {
                    journal.entered(&path.scope, &current, &value, vars);
                }
                let ran = self
                    .run_state(&current, state, value, text.take(), path, vars)
                    .await;
                path.resuming = false;
                let (flow, output, output_text) = ran?;
                if self.clock.is_virtual() && self.outlived(path) {
                    return Err(self.expired_failure(path));
                }
                match flow {
                    Flow::End => return Ok((output, output_text)),
                    Flow::Next(next) => {
                        current = next;
                        value = output;
                        text = Some(output_text);
                    }
                }
            }
        })
    }

    /// Runs one state on `input` (whose JSON text is `input_text`, when known); returns
    /// where to go, the output and the output's JSON text. Each payload is serialised
    /// once, for the history, and its size is that text's length.
    async fn run_state(
        &self,
        name: &str,
        state: &State,
        input: Value,
        input_text: Option<String>,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value, String), Failure> {
        let jsonata = self.jsonata_mode(name);
        let kind = StateType::of(state);
        let input_text = input_text.unwrap_or_else(|| json_text(&input));
        let input_len = input_text.len();
        // A Choice without paths passes its input on: its text is kept for the output. A
        // Pass that moves its input into a member (see `Run::moves_input`) keeps it too:
        // the output's text is the new level around it.
        let passes_input = matches!(state, State::Choice(c)
            if c.input_path.is_none() && c.output_path.is_none() && c.output.is_none()
                && c.choices.iter().all(|r| r.output.is_none()));
        let moved_into = match state {
            State::Pass(s) if !jsonata && Self::moves_input(s) => {
                s.parameters.as_ref().and_then(|p| {
                    let whole = s.output_path.is_none() || s.output_path == Some(Some("$".into()));
                    whole_input_key(p)
                        .filter(|_| whole)
                        .map(|key| key.strip_suffix(".$").unwrap_or(key))
                })
            }
            _ => None,
        };
        // The text is kept for the output's (see `derived_text`) and a Parallel's branches.
        self.record(
            path,
            EventType::StateEntered(kind),
            Some(json!({"name": name, "input": input_text.clone()})),
        )?;
        if let Some(p) = &self.options.progress {
            p.state_entered(name);
        }
        let entered = self.now(path).to_rfc3339_opts(SecondsFormat::Millis, true);
        check_len(input_len, "input", name)?;
        let now = self.now(path);
        // Whether `input` was moved into the output (then it is `Null` below).
        let mut taken = false;
        let mut input = input;
        let result = match state {
            State::Pass(s) if jsonata => self.pass_jsonata(name, s, &input, &entered, now, vars),
            State::Choice(c) if jsonata => {
                self.choice_jsonata(name, c, &input, &entered, now, vars)
            }
            State::Wait(w) if jsonata => {
                self.wait_jsonata(name, w, &input, &entered, now, path, vars)
                    .await
            }
            State::Succeed(s) if jsonata => {
                self.succeed_jsonata(name, s, &input, &entered, now, vars)
            }
            State::Fail(f) if jsonata => {
                Err(self.fail_jsonata(name, f, &input, &entered, now, vars))
            }
            State::Pass(s) if Self::moves_input(s) => {
                taken = true;
                let input = std::mem::take(&mut input);
                self.pass_moving_input(name, s, input, input_len, &entered, vars)
            }
            State::Pass(s) => self.pass(name, s, &input, &entered, vars),
            State::Task(_) | State::Parallel(_) | State::Map(_) => {
                self.with_retries(name, state, &input, &input_text, &entered, path, vars)
                    .await
            }
            State::Choice(c) => match self.choice(name, c, &input, &entered, vars) {
                Ok((flow, Some(out))) => Ok((flow, out)),
                Ok((flow, None)) => {
                    taken = true;
                    Ok((flow, std::mem::take(&mut input)))
                }
                Err(f) => Err(f),
            },
            State::Wait(w) => self.wait(name, w, &input, &entered, path, vars).await,
            State::Succeed(s) => self.succeed(name, s, &input, &entered, vars),
            State::Fail(f) => Err(self.fail(name, f, &input, &entered, vars)),
        };
        let (flow, output) = match result {
            Ok(done) => done,
            Err(mut failure) => {
                self.record_evaluation(path, &mut failure)?;
                return Err(failure);
            }
        };
        let output_text = if passes_input {
            input_text
        } else if let Some(member) = moved_into {
            text_with_member(&output, member, &input_text).unwrap_or_else(|| json_text(&output))
        } else if taken {
            json_text(&output)
        } else {
            derived_text(&output, &input, &input_text)
        };
        check_len(output_text.len(), "output", name)?;
        self.record(
            path,
            EventType::StateExited(kind),
            Some(json!({"name": name, "output": output_text.clone()})),
        )?;
        Ok((flow, output, output_text))
    }
}

impl Run<'_> {
    /// Whether `path` has outlived the execution or its child execution.
    fn outlived(&self, path: &Path) -> bool {
        self.clock.expired(path.offset)
            || path
                .deadline
                .is_some_and(|d| self.clock.elapsed(path.offset) > d)
    }

    /// The failure of a path whose time ran out: the execution's timeout, or its
    /// Express child execution's (which ends the child the same way; its Map sees
    /// a failed item, see [`Run::child_timed_out`]).
    fn expired_failure(&self, path: &Path) -> Failure {
        if self.clock.expired(path.offset) || path.deadline.is_none() {
            self.timeout_failure()
        } else {
            Failure::execution_timeout(format!(
                "an Express child execution may run ({} s)",
                EXPRESS_MAX_DURATION.as_secs()
            ))
        }
    }

    /// A distributed Map item's failure as its Map sees it: a child execution that
    /// timed out is a failed item (`States.Timeout`), not the parent's timeout.
    fn child_timed_out(&self, path: &Path, failure: Failure) -> Failure {
        if failure.is_execution_timeout() && !self.clock.expired(path.offset) {
            Failure::new(
                failure.error,
                failure
                    .cause
                    .replacen("the execution", "the child execution", 1),
            )
        } else {
            failure
        }
    }

    /// The execution's own timeout: past its TimeoutSeconds, or past the longest an
    /// execution may run.
    fn timeout_failure(&self) -> Failure {
        Failure::execution_timeout(match self.machine.timeout_seconds {
            Some(t) if t > 0 && Duration::from_secs(t as u64) <= self.options.max_duration => {
                format!("its TimeoutSeconds ({t} s)")
            }
            _ => format!(
                "the longest an execution may run ({} s)",
                self.options.max_duration.as_secs()
            ),
        })
    }

    /// The services for distributed Map I/O.
    fn services(&self) -> Arc<stepwise_runtime::Services> {
        self.options
            .services
            .clone()
            .unwrap_or_else(stepwise_runtime::Services::shared)
    }
}

/// The ARN of execution `name` of the state machine `options` name.
pub(crate) fn execution_arn(options: &Options, name: &str) -> String {
    if let Some(arns) = &options.arns {
        return arns.execution.clone();
    }
    format!(
        "arn:aws:states:{ACCOUNT_REGION}:execution:{}:{name}",
        options.state_machine_name
    )
}

/// The ARN of the state machine `options` name.
pub(crate) fn state_machine_arn(options: &Options) -> String {
    if let Some(arns) = &options.arns {
        return arns.state_machine.clone();
    }
    format!(
        "arn:aws:states:{ACCOUNT_REGION}:stateMachine:{}",
        options.state_machine_name
    )
}

/// How long the execution may last: the machine's TimeoutSeconds, at most the longest
/// an execution may run.
fn lifetime(machine: &StateMachine, options: &Options) -> Duration {
    match machine.timeout_seconds {
        Some(t) if t > 0 => Duration::from_secs(t as u64).min(options.max_duration),
        _ => options.max_duration,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod jsonata_tests;
