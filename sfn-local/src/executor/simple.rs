//! The states that do their work inside the interpreter: Pass, Succeed, Choice, Wait and
//! Fail.

use std::time::Duration;

use chrono::Utc;
use codegen::asl::{ChoiceState, FailState, Numeric, PassState, SucceedState, WaitState};
use codegen::errors::STATES_NO_CHOICE_MATCHED;
use codegen::validate::MAX_WAIT_SECONDS;
use serde_json::{Map, Value};

use super::pipeline::{Prepared, Step};
use super::{Flow, Path, Run};
use crate::failure::Failure;
use crate::io::{Env, apply_result_path, truncate, whole_input_key};

impl Run<'_> {
    pub(super) fn pass(
        &self,
        name: &str,
        s: &PassState,
        input: &Value,
        entered: &str,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        // A literal Result wins over Parameters, which are then not evaluated.
        let parameters = s.parameters.as_ref().filter(|_| s.result.is_none());
        let Prepared {
            ctx,
            effective,
            parameters,
        } = self.prepare(
            Step::plain(name, entered),
            &s.input_path,
            parameters,
            input,
            vars,
        )?;
        let result = s
            .result
            .clone()
            .or(parameters)
            .unwrap_or_else(|| effective.into_owned());
        self.assign(&s.assign, &result, &ctx, vars)?;
        let combined = apply_result_path(&self.cache, &s.result_path, input, result)?;
        let out = self.output_owned(&s.output_path, combined, &ctx, vars)?;
        Ok((Flow::after(&s.next), out))
    }

    /// Whether [`Run::pass_moving_input`] applies to `s`: a Pass whose Parameters copy
    /// the whole input into a key (`"x.$": "$"`), with no InputPath and no Result, whose
    /// result replaces its input (no ResultPath). Its input is dead once the Parameters
    /// are evaluated, so it is moved into that key rather than copied.
    pub(super) fn moves_input(s: &PassState) -> bool {
        let whole =
            |p: &Option<Option<String>>| p.is_none() || p.as_ref() == Some(&Some("$".into()));
        s.result.is_none()
            && whole(&s.input_path)
            && whole(&s.result_path)
            && s.parameters
                .as_ref()
                .is_some_and(|p| whole_input_key(p).is_some())
    }

    /// Runs a Pass state for which [`Run::moves_input`] holds, taking its input (whose JSON
    /// text is `input_len` bytes long): a loop that wraps the state one level deeper per
    /// pass costs a transition what it adds, not a copy of everything before.
    pub(super) fn pass_moving_input(
        &self,
        name: &str,
        s: &PassState,
        input: Value,
        input_len: usize,
        entered: &str,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let template = s
            .parameters
            .as_ref()
            .ok_or_else(|| Failure::runtime(format!("State \"{name}\" has no Parameters")))?;
        let key = whole_input_key(template).ok_or_else(|| {
            Failure::runtime(format!("State \"{name}\": Parameters do not copy \"$\""))
        })?;
        let result = self.cache.template_moving_input(
            template,
            key,
            input,
            input_len,
            &ctx,
            vars,
            "Parameters",
        )?;
        self.assign(&s.assign, &result, &ctx, vars)?;
        let out = self.output_owned(&s.output_path, result, &ctx, vars)?;
        Ok((Flow::after(&s.next), out))
    }

    pub(super) fn succeed(
        &self,
        name: &str,
        s: &SucceedState,
        input: &Value,
        entered: &str,
        vars: &Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let prep = self.prepare(Step::plain(name, entered), &s.input_path, None, input, vars)?;
        let out = self.output(&s.output_path, &prep.effective, &prep.ctx, vars)?;
        Ok((Flow::End, out))
    }

    /// Runs a Choice state; the output is `None` when it is the input unchanged.
    pub(super) fn choice(
        &self,
        name: &str,
        c: &ChoiceState,
        input: &Value,
        entered: &str,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Option<Value>), Failure> {
        let prep = self.prepare(Step::plain(name, entered), &c.input_path, None, input, vars)?;
        let env = prep.env(vars);
        let mut matched = None;
        for rule in &c.choices {
            if crate::choice::holds(rule, &env, &self.cache)? {
                matched = Some(rule);
                break;
            }
        }
        let target = match matched
            .and_then(|rule| rule.next.clone())
            .or_else(|| c.default.clone())
        {
            Some(t) => t,
            None => {
                return Err(Failure::new(
                    STATES_NO_CHOICE_MATCHED.as_str(),
                    format!(
                        "no Choice rule of state \"{name}\" matched the input {} and there is no Default",
                        truncate(&prep.effective)
                    ),
                ));
            }
        };
        // Without InputPath and OutputPath the output is the input itself: `None`, and
        // the caller passes its input on without copying it.
        let whole =
            |p: &Option<Option<String>>| p.is_none() || p.as_ref() == Some(&Some("$".into()));
        let out = if whole(&c.input_path) && whole(&c.output_path) {
            None
        } else {
            Some(self.output(&c.output_path, &prep.effective, &prep.ctx, vars)?)
        };
        // The state's Assign applies whichever way the Choice goes, the matching rule's
        // on top of it; both read the variables as they were before the state.
        let rule_assign = matched.and_then(|rule| rule.assign.as_ref());
        self.assign_blocks(
            &[
                (c.assign.as_ref(), "Assign"),
                (rule_assign, "Choices.Assign"),
            ],
            &prep.effective,
            &prep.ctx,
            vars,
        )?;
        Ok((Flow::Next(target), out))
    }

    pub(super) async fn wait(
        &self,
        name: &str,
        w: &WaitState,
        input: &Value,
        entered: &str,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let prep = self.prepare(Step::plain(name, entered), &w.input_path, None, input, vars)?;
        let env = prep.env(vars);
        let seconds = |v: &Value, field: &str| -> Result<Duration, Failure> {
            // Step Functions' range for Seconds; beyond it (2^64 - 1, 1e300) is not a wait.
            let max = MAX_WAIT_SECONDS as u64;
            v.as_u64()
                .or_else(|| {
                    v.as_f64()
                        .filter(|s| s.fract() == 0.0 && (0.0..=max as f64).contains(s))
                        .map(|s| s as u64)
                })
                .filter(|s| *s <= max)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    Failure::runtime(format!(
                        "{field} of state \"{name}\" is {v}, not an integer from 0 to {MAX_WAIT_SECONDS}"
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
        let out = self.output(&w.output_path, &prep.effective, &prep.ctx, vars)?;
        let delay = scaled(delay, self.options.wait_time_scale);
        self.clock
            .sleep(delay, &mut path.offset, path.deadline)
            .await
            .map_err(|_| self.expired_failure(path))?;
        self.assign(&w.assign, &prep.effective, &prep.ctx, vars)?;
        Ok((Flow::after(&w.next), out))
    }

    pub(super) fn fail(
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
}

/// A Wait's duration times stepfunctions-local's `WAIT_TIME_SCALE` (a scale that is not a
/// finite non-negative number leaves it unscaled).
pub(super) fn scaled(delay: Duration, scale: f64) -> Duration {
    if scale == 1.0 || !scale.is_finite() || scale < 0.0 {
        return delay;
    }
    Duration::try_from_secs_f64(delay.as_secs_f64() * scale).unwrap_or(Duration::MAX)
}
