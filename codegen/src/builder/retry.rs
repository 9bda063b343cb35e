//! Retry and Catch rules with typed error names and `Duration` intervals.

use std::time::Duration;

use serde_json::Value;

use stepwise_contract::ErrorName;

use super::whole_seconds;
use crate::asl::{Catcher, JitterStrategy, Retrier};
use crate::errors::{LAMBDA_SERVICE, STATES_ALL};

/// A Retry rule. Unset fields take Step Functions' defaults (1 s, 3 attempts, ×2.0).
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    errors: Vec<ErrorName>,
    interval: Option<Duration>,
    max_attempts: Option<u32>,
    backoff_rate: Option<f64>,
    max_delay: Option<Duration>,
    full_jitter: Option<bool>,
}

impl Retry {
    /// Retries the listed errors.
    pub fn on(errors: impl IntoIterator<Item = ErrorName>) -> Self {
        Retry {
            errors: errors.into_iter().collect(),
            interval: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay: None,
            full_jitter: None,
        }
    }

    /// Retries every error (`States.ALL`; must be the last rule).
    pub fn all() -> Self {
        Retry::on([STATES_ALL])
    }

    /// The rule every activity Task starts with: the Lambda service's own transient
    /// failures ([`crate::errors::LAMBDA_SERVICE`], concurrency throttling included),
    /// 2 s then doubling up to 60 s, full jitter, 6 attempts — AWS's best practice for
    /// Tasks that invoke Lambda functions. They never come from the activity itself, so
    /// its own Retry rules stay as written.
    pub fn lambda_service() -> Self {
        Retry::on(LAMBDA_SERVICE.iter().copied())
            .interval(Duration::from_secs(2))
            .backoff_rate(2.0)
            .max_attempts(6)
            .max_delay(Duration::from_secs(60))
            .full_jitter()
    }

    /// Wait before the first retry.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// Maximum number of retries (0 = never retry these errors).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Multiplier of the wait per attempt (at least 1.0).
    pub fn backoff_rate(mut self, rate: f64) -> Self {
        self.backoff_rate = Some(rate);
        self
    }

    /// Upper bound of the wait between attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = Some(delay);
        self
    }

    /// Randomise each wait between 0 and the computed backoff (`JitterStrategy: FULL`).
    pub fn full_jitter(mut self) -> Self {
        self.full_jitter = Some(true);
        self
    }

    /// The errors this rule matches.
    pub fn errors(&self) -> &[ErrorName] {
        &self.errors
    }

    pub(crate) fn to_asl(&self, at: &str, problems: &mut Vec<String>) -> Retrier {
        let secs = |field: &str, d: Option<Duration>, problems: &mut Vec<String>| {
            d.and_then(|d| {
                whole_seconds(&format!("{at}.{field}"), d)
                    .map_err(|e| problems.push(e))
                    .ok()
            })
        };
        let interval_seconds = secs("IntervalSeconds", self.interval, problems);
        let max_delay_seconds = secs("MaxDelaySeconds", self.max_delay, problems);
        Retrier {
            comment: None,
            error_equals: names(&self.errors),
            interval_seconds,
            max_attempts: self.max_attempts.map(i64::from),
            backoff_rate: self.backoff_rate.map(|r| {
                serde_json::Number::from_f64(r).unwrap_or_else(|| {
                    problems.push(format!("{at}.BackoffRate: {r} is not a finite number"));
                    serde_json::Number::from(1)
                })
            }),
            max_delay_seconds,
            jitter_strategy: self.full_jitter.map(|full| {
                if full {
                    JitterStrategy::Full
                } else {
                    JitterStrategy::None
                }
            }),
        }
    }
}

/// A Catch rule: which errors, and where the error output goes. The handler is the chain
/// passed to `.catch(rule, handler)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Catch {
    errors: Vec<ErrorName>,
    result_path: Option<Option<String>>,
    pub(crate) output: Option<Value>,
    pub(crate) assign: Option<Value>,
}

impl Catch {
    /// Catches the listed errors.
    pub fn on(errors: impl IntoIterator<Item = ErrorName>) -> Self {
        Catch {
            errors: errors.into_iter().collect(),
            result_path: None,
            output: None,
            assign: None,
        }
    }

    /// Catches every error (`States.ALL`; must be the last rule).
    pub fn all() -> Self {
        Catch::on([STATES_ALL])
    }

    /// Puts the error output (`{"Error": ..., "Cause": ...}`) at this reference path of
    /// the state's input, keeping the rest (default: the error output replaces the input).
    pub fn result_path(mut self, path: impl Into<String>) -> Self {
        self.result_path = Some(Some(path.into()));
        self
    }

    /// The errors this rule matches.
    pub fn errors(&self) -> &[ErrorName] {
        &self.errors
    }

    pub(crate) fn to_asl(&self, next: String) -> Catcher {
        Catcher {
            comment: None,
            error_equals: names(&self.errors),
            result_path: self.result_path.clone(),
            assign: self.assign.clone(),
            output: self.output.clone(),
            next,
        }
    }
}

fn names(errors: &[ErrorName]) -> Vec<String> {
    errors.iter().map(|e| e.as_str().to_string()).collect()
}
