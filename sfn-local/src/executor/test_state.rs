//! TestState: one state run once on an input, as Step Functions' `TestState` API does —
//! no retry loop (a failure a Retrier matches is `RETRIABLE`, with its backoff), Catch
//! applied (`CAUGHT_ERROR`), the next state named, and at INFO/DEBUG the intermediate
//! documents after InputPath, Parameters, the work, ResultSelector and ResultPath. A
//! Task's result comes from the mock when one is given, else from the task runner.
//! Waits are instant (virtual time). Map and Parallel states are not supported.

use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use codegen::asl::{State, StateMachine};
use serde_json::{Map, Value, json};

use super::jsonata_states::Out;
use super::pipeline::Step;
use super::{Flow, Path, Run};
use crate::failure::{Failure, matches};
use crate::io::apply_result_path;
use crate::tasks::{TaskRequest, TaskRunner};

use super::api::Options;

/// How the state ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// It produced an output.
    Succeeded,
    /// It failed and nothing caught it.
    Failed,
    /// It failed with an error a Retrier matches.
    Retriable,
    /// It failed and a Catcher took the error.
    CaughtError,
}

impl TestStatus {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Retriable => "RETRIABLE",
            TestStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// The intermediate documents of the state's input/output processing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    /// The state's input.
    pub input: Option<Value>,
    /// After InputPath.
    pub after_input_path: Option<Value>,
    /// After Parameters.
    pub after_parameters: Option<Value>,
    /// The work's result (a Task's or a Pass's).
    pub result: Option<Value>,
    /// After ResultSelector.
    pub after_result_selector: Option<Value>,
    /// After ResultPath.
    pub after_result_path: Option<Value>,
    /// The variables after the state (its Assign).
    pub variables: Map<String, Value>,
    /// For a RETRIABLE failure: the Retrier's index and the backoff before the retry.
    pub retry: Option<(usize, f64)>,
    /// For a CAUGHT_ERROR: the Catcher's index and the error it caught.
    pub caught: Option<(usize, Failure)>,
}

/// What TestState answers.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    /// How it ended.
    pub status: TestStatus,
    /// The output (also for CAUGHT_ERROR: the Catcher's output).
    pub output: Option<Value>,
    /// The error, unless it succeeded.
    pub failure: Option<Failure>,
    /// The state control goes to next, if any.
    pub next_state: Option<String>,
    /// The intermediate documents.
    pub inspection: Inspection,
}

/// Runs the state `name` (the only state of `machine`, a one-state document built by
/// the caller) once on `input`, with `variables` defined. `mock` answers a Task instead
/// of `tasks`.
pub async fn test_state(
    machine: &StateMachine,
    name: &str,
    input: Value,
    variables: Map<String, Value>,
    mock: Option<Result<Value, Failure>>,
    tasks: Arc<dyn TaskRunner>,
) -> Result<TestOutcome, Failure> {
    let state = machine
        .states
        .get(name)
        .ok_or_else(|| Failure::runtime(format!("no state named \"{name}\"")))?;
    let options = Options {
        virtual_time: true,
        state_machine_name: "TestState".into(),
        execution_name: Some("TestState".into()),
        ..Options::default()
    };
    let run = Run::new(machine, tasks, options, input.clone());
    let mut vars = variables;
    let mut path = Path::default();
    let entered = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut inspection = Inspection {
        input: Some(input.clone()),
        ..Inspection::default()
    };
    let now = run.now(&path);
    let jsonata = run.jsonata_mode(name);
    let result = match state {
        State::Pass(p) if jsonata => run.pass_jsonata(name, p, &input, &entered, now, &mut vars),
        State::Choice(c) if jsonata => {
            run.choice_jsonata(name, c, &input, &entered, now, &mut vars)
        }
        State::Wait(w) if jsonata => {
            run.wait_jsonata(name, w, &input, &entered, now, &mut path, &mut vars)
                .await
        }
        State::Succeed(s) if jsonata => {
            run.succeed_jsonata(name, s, &input, &entered, now, &mut vars)
        }
        State::Fail(f) if jsonata => Err(run.fail_jsonata(name, f, &input, &entered, now, &vars)),
        State::Task(t) => {
            run.test_task(
                name,
                state,
                t,
                &input,
                &entered,
                mock,
                &mut vars,
                &mut inspection,
            )
            .await
        }
        State::Pass(p) => {
            let prep = run.prepare(
                Step::plain(name, &entered),
                &p.input_path,
                p.parameters.as_ref(),
                &input,
                &vars,
            )?;
            inspection.after_input_path = Some(prep.effective.clone().into_owned());
            inspection.after_parameters = prep.parameters.clone();
            let result = p.result.clone().unwrap_or_else(|| prep.payload().clone());
            inspection.after_result_path = Some(apply_result_path(
                &run.cache,
                &p.result_path,
                &input,
                result.clone(),
            )?);
            inspection.result = Some(result);
            run.pass(name, p, &input, &entered, &mut vars)
        }
        State::Choice(c) => run
            .choice(name, c, &input, &entered, &mut vars)
            .map(|(flow, out)| (flow, out.unwrap_or_else(|| input.clone()))),
        State::Wait(w) => {
            run.wait(name, w, &input, &entered, &mut path, &mut vars)
                .await
        }
        State::Succeed(s) => run.succeed(name, s, &input, &entered, &vars),
        State::Fail(f) => Err(run.fail(name, f, &input, &entered, &vars)),
        State::Map(_) | State::Parallel(_) => {
            return Err(Failure::runtime(format!(
                "State \"{name}\": TestState runs Task, Pass, Wait, Choice, Succeed and Fail states"
            )));
        }
    };
    inspection.variables = vars;
    Ok(match result {
        Ok((flow, output)) => TestOutcome {
            status: if inspection.caught.is_some() {
                TestStatus::CaughtError
            } else {
                TestStatus::Succeeded
            },
            output: Some(output),
            failure: inspection.caught.as_ref().map(|(_, f)| f.clone()),
            next_state: match flow {
                Flow::Next(n) => Some(n),
                Flow::End => None,
            },
            inspection,
        },
        Err(f) => TestOutcome {
            status: if inspection.retry.is_some() {
                TestStatus::Retriable
            } else {
                TestStatus::Failed
            },
            output: None,
            failure: Some(f),
            next_state: None,
            inspection,
        },
    })
}

impl Run<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn test_task(
        &self,
        name: &str,
        state: &State,
        t: &codegen::asl::TaskState,
        input: &Value,
        entered: &str,
        mock: Option<Result<Value, Failure>>,
        vars: &mut Map<String, Value>,
        inspection: &mut Inspection,
    ) -> Result<(Flow, Value), Failure> {
        let step = Step {
            name,
            entered,
            retry_count: 0,
            extra: Some(("Task", json!({"Token": format!("TestState:{name}:0")}))),
        };
        let jsonata = self.jsonata_mode(name);
        let now = self.clock.now(std::time::Duration::ZERO);
        let prep = if jsonata {
            self.prepare_jsonata(step, t.arguments.as_ref(), input, vars, now)?
        } else {
            self.prepare(step, &t.input_path, t.parameters.as_ref(), input, vars)?
        };
        inspection.after_input_path = Some(prep.effective.clone().into_owned());
        inspection.after_parameters = prep.parameters.clone();
        let ctx = prep.ctx.clone();
        let payload = prep.into_payload();
        let result = match mock {
            Some(answer) => answer,
            None => match self.tasks.check(name, &t.resource) {
                Err(why) => Err(Failure::runtime(why)),
                Ok(()) => {
                    self.tasks
                        .run(TaskRequest {
                            state: name.to_string(),
                            resource: t.resource.clone(),
                            input: payload,
                            attempt: 0,
                            map_item: None,
                            execution: self.execution_arn.clone(),
                        })
                        .await
                }
            },
        };
        match result {
            Ok(result) if jsonata => {
                inspection.result = Some(result.clone());
                let out = Out {
                    input,
                    result: Some(&result),
                    error_output: None,
                    ctx: &ctx,
                };
                let assign = [(t.assign.as_ref(), "Assign")];
                let output = self.finish_jsonata(
                    name,
                    out,
                    t.output.as_ref(),
                    "Output",
                    &assign,
                    vars,
                    now,
                )?;
                Ok((Flow::after_state(state), output))
            }
            Ok(result) => {
                inspection.result = Some(result.clone());
                let selected = match &t.result_selector {
                    Some(tpl) => {
                        let env = crate::io::Env {
                            input: &result,
                            context: &ctx,
                            variables: vars,
                        };
                        let v = self.cache.template(tpl, &env, "ResultSelector")?;
                        inspection.after_result_selector = Some(v.clone());
                        v
                    }
                    None => result,
                };
                self.assign(&t.assign, &selected, &ctx, vars)?;
                let combined = apply_result_path(&self.cache, &t.result_path, input, selected)?;
                inspection.after_result_path = Some(combined.clone());
                let output = self.output_owned(&t.output_path, combined, &ctx, vars)?;
                Ok((Flow::after_state(state), output))
            }
            Err(failure) => {
                if let Some((i, r)) = state
                    .retry()
                    .iter()
                    .enumerate()
                    .find(|(_, r)| matches(&r.error_equals, &failure))
                    && r.max_attempts.unwrap_or(3) > 0
                {
                    let interval = r.interval_seconds.unwrap_or(1) as f64;
                    inspection.retry = Some((i, interval));
                    return Err(failure);
                }
                let Some((i, catcher)) = state
                    .catch()
                    .iter()
                    .enumerate()
                    .find(|(_, c)| matches(&c.error_equals, &failure))
                else {
                    return Err(failure);
                };
                let error_output = failure.to_output();
                let ctx = self.context(name, entered, 0, None);
                if jsonata {
                    let out = Out {
                        input,
                        result: None,
                        error_output: Some(&error_output),
                        ctx: &ctx,
                    };
                    let assign = [(catcher.assign.as_ref(), "Catch.Assign")];
                    let output = self.finish_jsonata(
                        name,
                        out,
                        catcher.output.as_ref(),
                        "Catch.Output",
                        &assign,
                        vars,
                        now,
                    )?;
                    inspection.caught = Some((i, failure));
                    return Ok((Flow::Next(catcher.next.clone()), output));
                }
                self.assign(&catcher.assign, &error_output, &ctx, vars)?;
                let out =
                    apply_result_path(&self.cache, &catcher.result_path, input, error_output)?;
                inspection.caught = Some((i, failure));
                Ok((Flow::Next(catcher.next.clone()), out))
            }
        }
    }
}
