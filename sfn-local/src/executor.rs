//! The interpreter: runs a state machine from its input to its output (or error), state by
//! state, as Step Functions does.
//!
//! Order of processing for each state: InputPath → Parameters (with the context object
//! `$$`) → the work (task, branches, iterations, wait, choice) → ResultSelector →
//! ResultPath (into the *raw* input) → OutputPath. Retry rules are tried in order, each
//! with its own attempt count; Catch rules are tried in order after the retries are
//! spent. Map iterations and Parallel branches run concurrently; without a tolerated
//! failure threshold, the first failure cancels its siblings.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use codegen::asl::{
    Catcher, ChoiceState, FailState, MapState, Numeric, ParallelState, PassState, QueryLanguage,
    Retrier, State, StateMachine, States, TaskState, WaitState,
};
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde_json::{Map, Value, json};

use crate::clock::Clock;
use crate::failure::{Failure, matches};
use crate::history::{Event, History, MAX_EVENTS};
use crate::io::{Cache, Env, apply_result_path, check_size, truncate};
use crate::tasks::{TaskRequest, TaskRunner};

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
    /// The AWS clients a distributed Map's ItemReader and ResultWriter use (default: the
    /// process-wide services from the environment).
    pub services: Option<Arc<stepwise_runtime::Services>>,
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
    /// It ran longer than its TimeoutSeconds.
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
            .filter(|e| e.kind.ends_with("StateEntered"))
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
}

/// Runs `machine` on `input` with `tasks`. Invalid definitions, unservable resources and
/// oversized input are rejected before anything runs.
pub async fn execute(
    machine: &StateMachine,
    input: Value,
    tasks: Arc<dyn TaskRunner>,
    options: Options,
) -> Result<Outcome, StartError> {
    let problems = codegen::validate::validate(machine);
    if !problems.is_empty() {
        return Err(StartError::Invalid(problems));
    }
    let mut unservable = Vec::new();
    check_resources(&machine.states, tasks.as_ref(), &mut unservable);
    if !unservable.is_empty() {
        return Err(StartError::Resources(unservable));
    }
    if let Err(f) = check_size(&input, "input", "the execution") {
        return Err(StartError::Input(f.cause));
    }
    let run = Run::new(machine, tasks, options, input.clone());
    Ok(run.execute(input).await)
}

fn check_resources(states: &States, tasks: &dyn TaskRunner, out: &mut Vec<String>) {
    for (name, state) in states {
        if let State::Task(t) = state
            && let Err(e) = tasks.check(name, &t.resource)
        {
            out.push(e);
        }
        for (_, branch) in state.children() {
            check_resources(&branch.states, tasks, out);
        }
    }
}

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
}

/// The result-processing fields of a Task, Parallel or Map state.
struct Tail<'s> {
    selector: &'s Option<Value>,
    assign: &'s Option<Value>,
    result_path: &'s Option<Option<String>>,
    output_path: &'s Option<Option<String>>,
}

/// Where control goes after a state.
enum Flow {
    Next(String),
    End,
}

struct Run<'m> {
    machine: &'m StateMachine,
    tasks: Arc<dyn TaskRunner>,
    options: Options,
    cache: Cache,
    clock: Clock,
    history: History,
    execution_arn: String,
    execution_name: String,
    state_machine_arn: String,
    input: Value,
    /// Names of the states whose text may read `$$.Execution.Input` (see
    /// [`reads_execution_input`]): only their context objects carry a copy of it.
    input_readers: std::collections::HashSet<String>,
    rng: Mutex<StdRng>,
}

const ACCOUNT_REGION: &str = "us-east-1:123456789012";

/// Where `$$` may be followed by one of these, the path cannot reach
/// `$$.Execution.Input`.
const CONTEXT_PATHS_WITHOUT_INPUT: [&str; 9] = [
    ".Map.",
    ".State.",
    ".StateMachine.",
    ".Task.",
    ".Execution.Id",
    ".Execution.Name",
    ".Execution.StartTime",
    ".Execution.RoleArn",
    ".Execution.RedriveCount",
];

/// Whether a state's JSON text may read `$$.Execution.Input`: any `$$` not followed by
/// a path known to stay clear of it (`$$`, `$$.Execution`, `$$..x` and bracket forms all
/// count as reading it).
fn reads_execution_input(text: &str) -> bool {
    text.match_indices("$$").any(|(at, _)| {
        let rest = &text[at + 2..];
        !CONTEXT_PATHS_WITHOUT_INPUT
            .iter()
            .any(|p| rest.starts_with(p))
    })
}

/// Adds the names of the states (at any depth) whose text may read the execution input.
/// A name used at two depths counts if either may read it.
fn collect_input_readers(
    states: &codegen::asl::States,
    into: &mut std::collections::HashSet<String>,
) {
    for (name, state) in states {
        let text = serde_json::to_string(state).unwrap_or_else(|_| "$$".into());
        if reads_execution_input(&text) {
            into.insert(name.clone());
        }
        for (_, branch) in state.children() {
            collect_input_readers(&branch.states, into);
        }
    }
}

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
        let sm = &options.state_machine_name;
        let rng = match options.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => rand::make_rng(),
        };
        let mut input_readers = std::collections::HashSet::new();
        collect_input_readers(&machine.states, &mut input_readers);
        Run {
            machine,
            input_readers,
            tasks,
            cache: Cache::default(),
            clock: Clock::new(options.virtual_time),
            history: History::new(options.history_limit),
            execution_arn: format!(
                "arn:aws:states:{ACCOUNT_REGION}:execution:{sm}:{execution_name}"
            ),
            state_machine_arn: format!("arn:aws:states:{ACCOUNT_REGION}:stateMachine:{sm}"),
            execution_name,
            input,
            rng: Mutex::new(rng),
            options,
        }
    }

    fn now(&self, path: &Path) -> DateTime<Utc> {
        self.clock.now(path.offset)
    }

    fn record(&self, path: &mut Path, kind: &str, details: Option<Value>) -> Result<(), Failure> {
        let now = self.now(path);
        let history = path.child.as_deref().unwrap_or(&self.history);
        path.prev = history.record(path.prev, now, kind, details)?;
        Ok(())
    }

    async fn execute(&self, input: Value) -> Outcome {
        let mut path = Path::default();
        let started = self.record(
            &mut path,
            "ExecutionStarted",
            Some(json!({"input": input.to_string(), "roleArn": format!("arn:aws:iam::123456789012:role/{}", self.options.state_machine_name)})),
        );
        let mut vars = Map::new();
        let result = match started {
            Err(f) => Err(f),
            Ok(()) => {
                let run = self.run_scope(
                    &self.machine.states,
                    &self.machine.start_at,
                    input,
                    &mut path,
                    &mut vars,
                );
                match self.machine.timeout_seconds.filter(|t| *t > 0) {
                    Some(t) if !self.clock.is_virtual() => {
                        match tokio::time::timeout(Duration::from_secs(t as u64), run).await {
                            Ok(r) => r,
                            Err(_) => Err(timeout_failure(t)),
                        }
                    }
                    _ => run.await,
                }
            }
        };
        let result = match (result, self.machine.timeout_seconds) {
            (Ok(_), Some(t))
                if t > 0 && self.clock.elapsed(path.offset) > Duration::from_secs(t as u64) =>
            {
                Err(timeout_failure(t))
            }
            (r, _) => r,
        };
        let now = self.now(&path);
        let (status, output, failure) = match result {
            Ok(output) => {
                self.history.record_final(
                    path.prev,
                    now,
                    "ExecutionSucceeded",
                    Some(json!({"output": output.to_string()})),
                );
                (Status::Succeeded, Some(output), None)
            }
            Err(f) if f.error == "States.Timeout" && f.cause.starts_with("the execution") => {
                self.history.record_final(
                    path.prev,
                    now,
                    "ExecutionTimedOut",
                    Some(json!({"error": f.error, "cause": f.cause})),
                );
                (Status::TimedOut, None, Some(f))
            }
            Err(f) => {
                self.history.record_final(
                    path.prev,
                    now,
                    "ExecutionFailed",
                    Some(json!({"error": f.error, "cause": f.cause})),
                );
                (Status::Failed, None, Some(f))
            }
        };
        Outcome {
            status,
            output,
            failure,
            events: self.history.events(),
            execution_arn: self.execution_arn.clone(),
        }
    }

    /// Runs a scope (the machine, a branch, a processor) from `start` to its end.
    fn run_scope<'a>(
        &'a self,
        states: &'a States,
        start: &'a str,
        input: Value,
        path: &'a mut Path,
        vars: &'a mut Map<String, Value>,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        Box::pin(async move {
            let mut current = start.to_string();
            let mut value = input;
            loop {
                let state = states
                    .get(&current)
                    .ok_or_else(|| Failure::runtime(format!("no state named \"{current}\"")))?;
                let (flow, output) = self.run_state(&current, state, value, path, vars).await?;
                if let Some(limit) = self.machine.timeout_seconds.filter(|t| *t > 0)
                    && self.clock.is_virtual()
                    && self.clock.elapsed(path.offset) > Duration::from_secs(limit as u64)
                {
                    return Err(timeout_failure(limit));
                }
                match flow {
                    Flow::End => return Ok(output),
                    Flow::Next(next) => {
                        current = next;
                        value = output;
                    }
                }
            }
        })
    }

    fn context(
        &self,
        state: &str,
        entered: &str,
        retry_count: u32,
        extra: Option<(&str, Value)>,
    ) -> Value {
        let mut ctx = json!({
            "Execution": {
                "Id": self.execution_arn,
                "Name": self.execution_name,
                "RoleArn": format!("arn:aws:iam::123456789012:role/{}", self.options.state_machine_name),
                "StartTime": self.clock.started_at().to_rfc3339_opts(SecondsFormat::Millis, true),
                "RedriveCount": 0
            },
            "State": {"EnteredTime": entered, "Name": state, "RetryCount": retry_count},
            "StateMachine": {"Id": self.state_machine_arn, "Name": self.options.state_machine_name}
        });
        if let (Some((key, value)), Some(map)) = (extra, ctx.as_object_mut()) {
            map.insert(key.to_string(), value);
        }
        // The execution input is copied only into the context of states that may read
        // it: a Map over a large input would otherwise copy all of it for every item.
        if self.input_readers.contains(state)
            && let Some(execution) = ctx.get_mut("Execution").and_then(Value::as_object_mut)
        {
            // After "Id", where Step Functions puts it.
            execution.shift_insert(1, "Input".into(), self.input.clone());
        }
        ctx
    }

    async fn run_state(
        &self,
        name: &str,
        state: &State,
        input: Value,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        if state.query_language().or(self.machine.query_language) == Some(QueryLanguage::Jsonata) {
            return Err(Failure::runtime(format!(
                "State \"{name}\" uses JSONata, which sfn-local does not evaluate (JSONPath mode only)"
            )));
        }
        let kind = state.type_name();
        self.record(
            path,
            &format!("{kind}StateEntered"),
            Some(json!({"name": name, "input": input.to_string()})),
        )?;
        if let Some(p) = &self.options.progress {
            p.state_entered(name);
        }
        let entered = self.now(path).to_rfc3339_opts(SecondsFormat::Millis, true);
        check_size(&input, "input", name)?;
        let result = match state {
            State::Pass(s) => self.pass(name, s, &input, &entered, vars),
            State::Task(_) | State::Parallel(_) | State::Map(_) => {
                self.with_retries(name, state, &input, &entered, path, vars)
                    .await
            }
            State::Choice(c) => self.choice(name, c, &input, &entered, vars),
            State::Wait(w) => self.wait(name, w, &input, &entered, path, vars).await,
            State::Succeed(s) => {
                let ctx = self.context(name, &entered, 0, None);
                let env = Env {
                    input: &input,
                    context: &ctx,
                    variables: vars,
                };
                let eff = self
                    .cache
                    .apply_path(&s.input_path, &input, "InputPath", &env)?;
                let out = self
                    .cache
                    .apply_path(&s.output_path, &eff, "OutputPath", &env)?;
                Ok((Flow::End, out))
            }
            State::Fail(f) => Err(self.fail(name, f, &input, &entered, vars)),
        };
        let (flow, output) = result?;
        check_size(&output, "output", name)?;
        self.record(
            path,
            &format!("{kind}StateExited"),
            Some(json!({"name": name, "output": output.to_string()})),
        )?;
        Ok((flow, output))
    }

    fn flow(next: &Option<String>) -> Flow {
        match next {
            Some(n) => Flow::Next(n.clone()),
            None => Flow::End,
        }
    }

    /// Evaluates an `Assign` block with `$` = `value` and stores the variables.
    fn assign(
        &self,
        assign: &Option<Value>,
        value: &Value,
        ctx: &Value,
        vars: &mut Map<String, Value>,
    ) -> Result<(), Failure> {
        let Some(template) = assign else {
            return Ok(());
        };
        let env = Env {
            input: value,
            context: ctx,
            variables: vars,
        };
        let assigned = self.cache.template(template, &env, "Assign")?;
        if let Value::Object(map) = assigned {
            vars.extend(map);
        }
        Ok(())
    }

    fn pass(
        &self,
        name: &str,
        s: &PassState,
        input: &Value,
        entered: &str,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let eff = self
            .cache
            .apply_path(&s.input_path, input, "InputPath", &env)?;
        let env = Env {
            input: &eff,
            context: &ctx,
            variables: vars,
        };
        let result = match (&s.result, &s.parameters) {
            (Some(r), _) => r.clone(),
            (None, Some(p)) => self.cache.template(p, &env, "Parameters")?,
            (None, None) => eff.clone(),
        };
        self.assign(&s.assign, &result, &ctx, vars)?;
        let combined = apply_result_path(&self.cache, &s.result_path, input, result)?;
        let env = Env {
            input: &combined,
            context: &ctx,
            variables: vars,
        };
        let out = self
            .cache
            .apply_path(&s.output_path, &combined, "OutputPath", &env)?;
        Ok((Self::flow(&s.next), out))
    }

    fn choice(
        &self,
        name: &str,
        c: &ChoiceState,
        input: &Value,
        entered: &str,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let eff = self
            .cache
            .apply_path(&c.input_path, input, "InputPath", &env)?;
        let env = Env {
            input: &eff,
            context: &ctx,
            variables: vars,
        };
        let mut target = None;
        for rule in &c.choices {
            if crate::choice::holds(rule, &env, &self.cache)? {
                target = rule.next.clone();
                break;
            }
        }
        let target = match target.or_else(|| c.default.clone()) {
            Some(t) => t,
            None => {
                return Err(Failure::new(
                    "States.NoChoiceMatched",
                    format!(
                        "no Choice rule of state \"{name}\" matched the input {} and there is no Default",
                        truncate(&eff)
                    ),
                ));
            }
        };
        let out = self
            .cache
            .apply_path(&c.output_path, &eff, "OutputPath", &env)?;
        self.assign(&c.assign, &eff, &ctx, vars)?;
        Ok((Flow::Next(target), out))
    }

    async fn wait(
        &self,
        name: &str,
        w: &WaitState,
        input: &Value,
        entered: &str,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let eff = self
            .cache
            .apply_path(&w.input_path, input, "InputPath", &env)?;
        let env = Env {
            input: &eff,
            context: &ctx,
            variables: vars,
        };
        let seconds = |v: &Value, field: &str| -> Result<Duration, Failure> {
            v.as_f64()
                .filter(|s| *s >= 0.0 && s.fract() == 0.0)
                .map(|s| Duration::from_secs(s as u64))
                .ok_or_else(|| {
                    Failure::runtime(format!(
                        "{field} of state \"{name}\" is {v}, not a non-negative integer"
                    ))
                })
        };
        let until = |v: &Value, field: &str| -> Result<Duration, Failure> {
            let ts = v
                .as_str()
                .and_then(crate::choice::timestamp)
                .ok_or_else(|| {
                    Failure::runtime(format!(
                        "{field} of state \"{name}\" is {v}, not an RFC 3339 timestamp"
                    ))
                })?;
            let now = self.now(path);
            Ok((ts.with_timezone(&Utc) - now).to_std().unwrap_or_default())
        };
        let delay = if let Some(s) = &w.seconds {
            match s {
                Numeric::Number(n) => seconds(&Value::Number(n.clone()), "Seconds")?,
                Numeric::Expr(e) => {
                    return Err(Failure::runtime(format!(
                        "Seconds \"{e}\" is an expression"
                    )));
                }
            }
        } else if let Some(ts) = &w.timestamp {
            until(&Value::String(ts.clone()), "Timestamp")?
        } else if let Some(p) = &w.seconds_path {
            seconds(&self.cache.select(p, &env, "SecondsPath")?, "SecondsPath")?
        } else if let Some(p) = &w.timestamp_path {
            until(
                &self.cache.select(p, &env, "TimestampPath")?,
                "TimestampPath",
            )?
        } else {
            Duration::ZERO
        };
        let out = self
            .cache
            .apply_path(&w.output_path, &eff, "OutputPath", &env)?;
        self.clock.sleep(delay, &mut path.offset).await;
        self.assign(&w.assign, &eff, &ctx, vars)?;
        Ok((Self::flow(&w.next), out))
    }

    fn fail(
        &self,
        name: &str,
        f: &FailState,
        input: &Value,
        entered: &str,
        vars: &Map<String, Value>,
    ) -> Failure {
        let ctx = self.context(name, entered, 0, None);
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let text = |literal: &Option<String>,
                    path: &Option<String>,
                    field: &str|
         -> Result<String, Failure> {
            match (literal, path) {
                (Some(l), _) => Ok(l.clone()),
                (None, Some(p)) => match self.cache.expression(p, &env, field)? {
                    Value::String(s) => Ok(s),
                    other => Ok(other.to_string()),
                },
                (None, None) => Ok(String::new()),
            }
        };
        let error = match text(&f.error, &f.error_path, "ErrorPath") {
            Ok(e) => e,
            Err(failure) => return failure,
        };
        match text(&f.cause, &f.cause_path, "CausePath") {
            Ok(cause) => Failure::new(error, cause),
            Err(failure) => failure,
        }
    }

    /// How long to wait before retry number `count` (0-based) of `retrier`.
    fn backoff(&self, retrier: &Retrier, count: u32) -> Duration {
        let interval = retrier.interval_seconds.unwrap_or(1).max(0) as f64;
        let rate = retrier
            .backoff_rate
            .as_ref()
            .and_then(serde_json::Number::as_f64)
            .unwrap_or(2.0);
        let mut secs = interval * rate.powi(count as i32);
        if let Some(max) = retrier.max_delay_seconds {
            secs = secs.min(max as f64);
        }
        if retrier.jitter_strategy.as_deref() == Some("FULL") {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            secs = rng.random_range(0.0..=secs);
        }
        Duration::from_secs_f64(secs.clamp(0.0, 1.0e9))
    }

    /// After a failure: `Some(delay)` to retry, `None` when no retrier applies or its
    /// attempts are spent.
    fn retry_after(
        &self,
        retry: &[Retrier],
        counts: &mut [u32],
        failure: &Failure,
    ) -> Option<Duration> {
        let (i, retrier) = retry
            .iter()
            .enumerate()
            .find(|(_, r)| matches(&r.error_equals, failure))?;
        let max = retrier.max_attempts.unwrap_or(3).max(0) as u32;
        if counts[i] >= max {
            return None;
        }
        let delay = self.backoff(retrier, counts[i]);
        counts[i] += 1;
        Some(delay)
    }

    /// Applies the first matching Catch rule to `failure`.
    fn catch(
        &self,
        name: &str,
        catch: &[Catcher],
        failure: Failure,
        input: &Value,
        entered: &str,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let Some(catcher) = catch.iter().find(|c| matches(&c.error_equals, &failure)) else {
            return Err(failure);
        };
        let error_output = failure.to_output();
        let ctx = self.context(name, entered, 0, None);
        self.assign(&catcher.assign, &error_output, &ctx, vars)?;
        let out = apply_result_path(&self.cache, &catcher.result_path, input, error_output)?;
        Ok((Flow::Next(catcher.next.clone()), out))
    }

    /// Applies ResultSelector, Assign, ResultPath and OutputPath to a result.
    fn finish(
        &self,
        result: Value,
        tail: Tail,
        input: &Value,
        ctx: &Value,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let Tail {
            selector,
            assign,
            result_path,
            output_path,
        } = tail;
        let result = match selector {
            Some(tpl) => {
                let env = Env {
                    input: &result,
                    context: ctx,
                    variables: vars,
                };
                self.cache.template(tpl, &env, "ResultSelector")?
            }
            None => result,
        };
        self.assign(assign, &result, ctx, vars)?;
        let combined = apply_result_path(&self.cache, result_path, input, result)?;
        let env = Env {
            input: &combined,
            context: ctx,
            variables: vars,
        };
        self.cache
            .apply_path(output_path, &combined, "OutputPath", &env)
    }

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
            let n = v.as_u64().ok_or_else(|| {
                Failure::runtime(format!("{field} \"{p}\" is {v}, not a positive integer"))
            })?;
            return Ok(Some(Duration::from_secs(n)));
        }
        Ok(None)
    }

    /// Runs a Task, Parallel or Map state: attempts until one succeeds or no Retry rule
    /// applies any more (waiting the backoff between attempts), then the Catch rules.
    async fn with_retries(
        &self,
        name: &str,
        state: &State,
        input: &Value,
        entered: &str,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let retry = state.retry();
        let mut counts = vec![0u32; retry.len()];
        let mut attempt = 0u32;
        loop {
            let result = match state {
                State::Task(t) => {
                    self.task_attempt(name, t, input, entered, attempt, path, vars)
                        .await
                }
                State::Parallel(p) => {
                    self.parallel_attempt(name, p, input, entered, path, vars)
                        .await
                }
                State::Map(m) => self.map_attempt(name, m, input, entered, path, vars).await,
                _ => return Err(Failure::runtime(format!("State \"{name}\" has no Retry"))),
            };
            match result {
                Ok(v) => return Ok((Self::flow(&state.next().map(str::to_string)), v)),
                Err(failure) => match self.retry_after(retry, &mut counts, &failure) {
                    Some(delay) => {
                        self.clock.sleep(delay, &mut path.offset).await;
                        attempt += 1;
                    }
                    None => return self.catch(name, state.catch(), failure, input, entered, vars),
                },
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn task_attempt(
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
        let ctx = self.context(
            name,
            entered,
            attempt,
            Some(("Task", json!({"Token": token}))),
        );
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let eff = self
            .cache
            .apply_path(&t.input_path, input, "InputPath", &env)?;
        let env = Env {
            input: &eff,
            context: &ctx,
            variables: vars,
        };
        let params = match &t.parameters {
            Some(p) => self.cache.template(p, &env, "Parameters")?,
            None => eff.clone(),
        };
        check_size(&params, "input (after Parameters)", name)?;
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
        self.record(
            path,
            "TaskScheduled",
            Some(json!({"resource": t.resource, "resourceType": "activity", "region": "us-east-1", "parameters": params.to_string()})),
        )?;
        self.record(
            path,
            "TaskStarted",
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
            (Some(t), Some(h)) if h < t => Some((h, "States.HeartbeatTimeout")),
            (None, Some(h)) => Some((h, "States.HeartbeatTimeout")),
            (Some(t), _) => Some((t, "States.Timeout")),
            (None, None) => None,
        };
        let result = match limit {
            Some((d, error)) => match tokio::time::timeout(d, run).await {
                Ok(r) => r,
                Err(_) => Err(Failure::new(
                    error,
                    format!("the task ran longer than {} s", d.as_secs()),
                )),
            },
            None => run.await,
        };
        match result {
            Ok(result) => {
                self.record(
                    path,
                    "TaskSucceeded",
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
                let kind = if f.error == "States.Timeout" || f.error == "States.HeartbeatTimeout" {
                    "TaskTimedOut"
                } else {
                    "TaskFailed"
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

    async fn parallel_attempt(
        &self,
        name: &str,
        p: &ParallelState,
        input: &Value,
        entered: &str,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let ctx = self.context(name, entered, 0, None);
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let eff = self
            .cache
            .apply_path(&p.input_path, input, "InputPath", &env)?;
        let env = Env {
            input: &eff,
            context: &ctx,
            variables: vars,
        };
        let branch_input = match &p.parameters {
            Some(tpl) => self.cache.template(tpl, &env, "Parameters")?,
            None => eff.clone(),
        };
        self.record(path, "ParallelStateStarted", None)?;
        let start = path.clone();
        let branches = p.branches.iter().map(|b| {
            let mut branch_path = start.clone();
            let mut branch_vars = vars.clone();
            let input = branch_input.clone();
            async move {
                let out = self
                    .run_scope(
                        &b.states,
                        &b.start_at,
                        input,
                        &mut branch_path,
                        &mut branch_vars,
                    )
                    .await?;
                Ok::<_, Failure>((out, branch_path))
            }
        });
        match futures::future::try_join_all(branches).await {
            Ok(results) => {
                path.offset = results
                    .iter()
                    .map(|(_, p)| p.offset)
                    .max()
                    .unwrap_or(path.offset);
                path.prev = results
                    .iter()
                    .map(|(_, p)| p.prev)
                    .max()
                    .unwrap_or(path.prev);
                self.record(path, "ParallelStateSucceeded", None)?;
                let outputs = Value::Array(results.into_iter().map(|(v, _)| v).collect());
                self.finish(
                    outputs,
                    Tail {
                        selector: &p.result_selector,
                        assign: &p.assign,
                        result_path: &p.result_path,
                        output_path: &p.output_path,
                    },
                    input,
                    &ctx,
                    vars,
                )
            }
            Err(f) => {
                path.prev = self.history.len() as u64;
                self.record(
                    path,
                    "ParallelStateFailed",
                    Some(json!({"error": f.error, "cause": f.cause})),
                )?;
                Err(f)
            }
        }
    }

    async fn map_attempt(
        &self,
        name: &str,
        m: &MapState,
        input: &Value,
        entered: &str,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let ctx = self.context(name, entered, 0, None);
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let eff = self
            .cache
            .apply_path(&m.input_path, input, "InputPath", &env)?;
        let env = Env {
            input: &eff,
            context: &ctx,
            variables: vars,
        };
        let items = match &m.item_reader {
            Some(reader) => {
                let services = self.services();
                crate::distributed::read_items(&services.aws, reader, &env, &self.cache).await?
            }
            None => {
                let items = match &m.items_path {
                    Some(p) if p != "$" => self.cache.select(p, &env, "ItemsPath")?,
                    _ => eff.clone(),
                };
                let Value::Array(items) = items else {
                    return Err(Failure::runtime(format!(
                        "ItemsPath of Map \"{name}\" selects {}, not an array",
                        truncate(&items)
                    )));
                };
                items
            }
        };
        let items = match &m.item_batcher {
            Some(batcher) => crate::distributed::batch(items, batcher, &env, &self.cache)?,
            None => items,
        };
        let distributed = m.is_distributed();
        let concurrency = match (&m.max_concurrency, &m.max_concurrency_path) {
            (Some(n), _) => n.as_i64().unwrap_or(0),
            (None, Some(p)) => {
                let v = self.cache.select(p, &env, "MaxConcurrencyPath")?;
                v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                    Failure::runtime(format!(
                        "MaxConcurrencyPath \"{p}\" is {v}, not a non-negative integer"
                    ))
                })?
            }
            (None, None) => 0,
        };
        let total = items.len();
        let limit = if concurrency <= 0 {
            total.max(1)
        } else {
            (concurrency as usize).min(total.max(1))
        };
        let tolerated = self.tolerated(m, &env, total)?;
        let Some(processor) = m.processor() else {
            return Err(Failure::runtime(format!(
                "Map \"{name}\" has no ItemProcessor"
            )));
        };
        self.record(path, "MapStateStarted", Some(json!({"length": total})))?;
        let map_run_id = uuid::Uuid::new_v4().to_string();
        let map_run_arn = format!(
            "arn:aws:states:{ACCOUNT_REGION}:mapRun:{}/{name}:{map_run_id}",
            self.options.state_machine_name
        );
        if distributed {
            self.record(
                path,
                "MapRunStarted",
                Some(json!({"mapRunArn": map_run_arn})),
            )?;
        }
        if let Some(p) = &self.options.progress {
            p.map_started(name, total);
        }
        let selector = m.selector();
        let start = path.clone();
        let base_vars = vars.clone();
        let iterations = stream::iter(items.into_iter().enumerate())
            .map(|(index, item)| {
                // A distributed Map runs each item as a child execution with its own
                // history; an inline Map records its iterations in the execution's.
                let mut item_path = Path {
                    map_item: Some(index),
                    child: distributed.then(|| Arc::new(History::new(self.options.history_limit))),
                    ..start.clone()
                };
                if distributed {
                    item_path.prev = 0;
                }
                let mut item_vars = base_vars.clone();
                let eff = &eff;
                async move {
                    let (item_input, result) = self
                        .map_iteration(
                            name,
                            index,
                            item,
                            selector,
                            eff,
                            entered,
                            processor,
                            &mut item_path,
                            &mut item_vars,
                        )
                        .await;
                    if let Some(p) = &self.options.progress {
                        p.map_item_finished(name, index, result.is_ok());
                    }
                    (index, item_input, result, item_path)
                }
            })
            .buffer_unordered(limit);
        futures::pin_mut!(iterations);
        let mut outputs: Vec<Value> = vec![Value::Null; total];
        let mut children: Vec<Option<crate::distributed::ChildResult>> = Vec::new();
        if m.result_writer.is_some() {
            children.resize_with(total, || None);
        }
        let mut failed = 0usize;
        let mut first_failure: Option<Failure> = None;
        let mut max_offset = path.offset;
        let mut last_event = path.prev;
        while let Some((index, item_input, result, item_path)) = iterations.next().await {
            max_offset = max_offset.max(item_path.offset);
            if !distributed {
                last_event = last_event.max(item_path.prev);
            }
            if let Some(slot) = children.get_mut(index) {
                *slot = Some(crate::distributed::ChildResult {
                    input: item_input,
                    result: result.clone(),
                });
            }
            match result {
                Ok(v) => outputs[index] = v,
                Err(f) if f.is_terminal() => {
                    first_failure = Some(f);
                    break;
                }
                Err(f) => {
                    failed += 1;
                    outputs[index] = f.to_output();
                    if first_failure.is_none() {
                        first_failure = Some(f);
                    }
                    match tolerated {
                        None => break,
                        Some(allowed) if failed > allowed => break,
                        Some(_) => {}
                    }
                }
            }
        }
        path.offset = max_offset;
        path.prev = last_event;
        let failure = match (first_failure, tolerated) {
            (Some(f), _) if f.is_terminal() => Some(f),
            (Some(f), None) => Some(f),
            (Some(f), Some(allowed)) if failed > allowed => Some(Failure::new(
                "States.ExceedToleratedFailureThreshold",
                format!(
                    "{failed} of {total} items of Map \"{name}\" failed, more than the {allowed} tolerated; first failure: {}: {}",
                    f.error, f.cause
                ),
            )),
            _ => None,
        };
        if let Some(f) = failure {
            if distributed {
                self.record(
                    path,
                    "MapRunFailed",
                    Some(json!({"error": f.error, "cause": f.cause})),
                )?;
            }
            self.record(
                path,
                "MapStateFailed",
                Some(json!({"error": f.error, "cause": f.cause})),
            )?;
            return Err(f);
        }
        if distributed {
            self.record(path, "MapRunSucceeded", None)?;
        }
        let result = match &m.result_writer {
            Some(writer) => {
                let children: Vec<_> = children.into_iter().flatten().collect();
                let services = self.services();
                crate::distributed::write_results(
                    &services.aws,
                    writer,
                    &env,
                    &self.cache,
                    &map_run_arn,
                    &map_run_id,
                    &children,
                )
                .await?
            }
            None => Value::Array(outputs),
        };
        self.record(path, "MapStateSucceeded", None)?;
        self.finish(
            result,
            Tail {
                selector: &m.result_selector,
                assign: &m.assign,
                result_path: &m.result_path,
                output_path: &m.output_path,
            },
            input,
            &ctx,
            vars,
        )
    }

    /// How many failed items the Map tolerates, or `None` when any failure fails it.
    fn tolerated(&self, m: &MapState, env: &Env, total: usize) -> Result<Option<usize>, Failure> {
        let count = match (&m.tolerated_failure_count, &m.tolerated_failure_count_path) {
            (Some(n), _) => n.as_i64(),
            (None, Some(p)) => self
                .cache
                .select(p, env, "ToleratedFailureCountPath")?
                .as_i64(),
            _ => None,
        };
        let percent = match (
            &m.tolerated_failure_percentage,
            &m.tolerated_failure_percentage_path,
        ) {
            (Some(n), _) => n.as_f64(),
            (None, Some(p)) => self
                .cache
                .select(p, env, "ToleratedFailurePercentagePath")?
                .as_f64(),
            _ => None,
        };
        let from_percent = percent.map(|p| ((p / 100.0) * total as f64).floor() as usize);
        let from_count = count.map(|c| c.max(0) as usize);
        Ok(match (from_count, from_percent) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).max(b.unwrap_or(0))),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn map_iteration(
        &self,
        name: &str,
        index: usize,
        item: Value,
        selector: Option<&Value>,
        eff: &Value,
        entered: &str,
        processor: &codegen::asl::Branch,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> (Value, Result<Value, Failure>) {
        let iteration_input =
            match self.iteration_input(name, index, item, selector, eff, entered, path, vars) {
                Ok(v) => v,
                Err(f) => return (Value::Null, Err(f)),
            };
        let result = self
            .iterate(name, index, iteration_input.clone(), processor, path, vars)
            .await;
        (iteration_input, result)
    }

    #[allow(clippy::too_many_arguments)]
    fn iteration_input(
        &self,
        name: &str,
        index: usize,
        item: Value,
        selector: Option<&Value>,
        eff: &Value,
        entered: &str,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        self.record(
            path,
            "MapIterationStarted",
            Some(json!({"name": name, "index": index})),
        )?;
        match selector {
            Some(tpl) => {
                let ctx = self.context(
                    name,
                    entered,
                    0,
                    Some(("Map", json!({"Item": {"Index": index, "Value": item}}))),
                );
                let env = Env {
                    input: eff,
                    context: &ctx,
                    variables: vars,
                };
                self.cache.template(tpl, &env, "ItemSelector")
            }
            None => Ok(item),
        }
    }

    async fn iterate(
        &self,
        name: &str,
        index: usize,
        iteration_input: Value,
        processor: &codegen::asl::Branch,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        match self
            .run_scope(
                &processor.states,
                &processor.start_at,
                iteration_input,
                path,
                vars,
            )
            .await
        {
            Ok(v) => {
                self.record(
                    path,
                    "MapIterationSucceeded",
                    Some(json!({"name": name, "index": index})),
                )?;
                Ok(v)
            }
            Err(f) => {
                // The iteration's own end is recorded even when the history is full.
                let now = self.now(path);
                let history = path.child.as_deref().unwrap_or(&self.history);
                path.prev = history.record_final(
                    path.prev,
                    now,
                    "MapIterationFailed",
                    Some(json!({"name": name, "index": index, "error": f.error, "cause": f.cause})),
                );
                Err(f)
            }
        }
    }
}

impl Run<'_> {
    /// The services for distributed Map I/O.
    fn services(&self) -> Arc<stepwise_runtime::Services> {
        self.options
            .services
            .clone()
            .unwrap_or_else(stepwise_runtime::Services::shared)
    }
}

fn timeout_failure(seconds: i64) -> Failure {
    Failure::new(
        "States.Timeout",
        format!("the execution ran longer than its TimeoutSeconds ({seconds} s)"),
    )
}

#[cfg(test)]
mod tests;
