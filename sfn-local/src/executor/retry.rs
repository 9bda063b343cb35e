//! Retry and Catch around the states that have them (Task, Parallel, Map): the attempt
//! loop, backoff with jitter, and the first matching Catch rule.

use std::time::Duration;

use chrono::{DateTime, Utc};
use codegen::asl::{Catcher, JitterStrategy, Retrier, State};
use rand::RngExt;
use serde_json::{Map, Value};

use super::jsonata_states::Out;
use super::{Flow, Path, Run};
use crate::failure::{Failure, matches};
use crate::io::apply_result_path;

/// The longest single backoff: Step Functions' maximum `MaxDelaySeconds`, one year
/// (31,622,400 s).
const MAX_BACKOFF_SECONDS: f64 = 31_622_400.0;

impl Run<'_> {
    /// Runs a Task, Parallel or Map state: attempts until one succeeds or no Retry rule
    /// applies any more (waiting the backoff between attempts), then the Catch rules.
    /// `input_text` is `input`'s JSON text.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn with_retries(
        &self,
        name: &str,
        state: &State,
        input: &Value,
        input_text: &str,
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
                    self.parallel_attempt(name, p, input, input_text, entered, attempt, path, vars)
                        .await
                }
                State::Map(m) => {
                    self.map_attempt(name, m, input, entered, attempt, path, vars)
                        .await
                }
                _ => return Err(Failure::runtime(format!("State \"{name}\" has no Retry"))),
            };
            match result {
                Ok(v) => return Ok((Flow::after_state(state), v)),
                Err(mut failure) => {
                    self.record_evaluation(path, &mut failure)?;
                    match self.retry_after(retry, &mut counts, &failure) {
                        Some(delay) => {
                            self.clock
                                .sleep(delay, &mut path.offset, path.deadline)
                                .await
                                .map_err(|_| self.expired_failure(path))?;
                            attempt += 1;
                        }
                        None => {
                            let now = self.now(path);
                            return self.catch(name, state, failure, input, entered, now, vars);
                        }
                    }
                }
            }
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
        // Grows without bound (to infinity, for a large count): saturate at
        // MaxDelaySeconds, and at Step Functions' own maximum, before the jitter.
        let cap = retrier
            .max_delay_seconds
            .map_or(MAX_BACKOFF_SECONDS, |max| {
                max.clamp(0, MAX_BACKOFF_SECONDS as i64) as f64
            });
        let grown = interval * rate.powf(f64::from(count));
        let mut secs = if grown.is_finite() {
            grown.min(cap)
        } else {
            cap
        };
        if retrier.jitter_strategy == Some(JitterStrategy::Full) {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            secs = rng.random_range(0.0..=secs);
        }
        Duration::from_secs_f64(secs.clamp(0.0, cap))
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
    /// In JSONata mode the rule's `Output` (default: the error output) and `Assign` read
    /// `$states.errorOutput` and `$states.input`.
    #[allow(clippy::too_many_arguments)]
    fn catch(
        &self,
        name: &str,
        state: &State,
        failure: Failure,
        input: &Value,
        entered: &str,
        now: DateTime<Utc>,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let catch: &[Catcher] = state.catch();
        let Some((i, catcher)) = catch
            .iter()
            .enumerate()
            .find(|(_, c)| matches(&c.error_equals, &failure))
        else {
            return Err(failure);
        };
        let error_output = failure.to_output();
        let ctx = self.context(name, entered, 0, None);
        if self.jsonata_mode(name) {
            let out = self.finish_jsonata(
                name,
                Out {
                    input,
                    result: None,
                    error_output: Some(&error_output),
                    ctx: &ctx,
                },
                catcher.output.as_ref(),
                &format!("Catch[{i}].Output"),
                &[(catcher.assign.as_ref(), &format!("Catch[{i}].Assign"))],
                vars,
                now,
            )?;
            return Ok((Flow::Next(catcher.next.clone()), out));
        }
        self.assign(&catcher.assign, &error_output, &ctx, vars)?;
        let out = apply_result_path(&self.cache, &catcher.result_path, input, error_output)?;
        Ok((Flow::Next(catcher.next.clone()), out))
    }
}
