//! Whether an execution can be redriven, as Step Functions decides it: the
//! `redriveStatus` / `redriveStatusReason` DescribeExecution shows and the error
//! RedriveExecution answers with. The redrive itself is sfn-local's
//! ([`sfn_local::redrive`], from the execution's [`sfn_local::Journal`]).
//!
//! Redrivable: a STANDARD execution that FAILED, TIMED_OUT or was ABORTED, stopped less
//! than 14 days ago, started less than a year ago (the longest an execution may stay
//! open), whose history has room for the `ExecutionRedriven` event and one more, and that
//! was redriven fewer than [`sfn_local::MAX_REDRIVES`] times.

use chrono::{DateTime, Duration, Utc};
use sfn_local::MAX_REDRIVES;
use sfn_local::history::MAX_EVENTS;

use crate::error::{ApiError, ErrorType};
use crate::executions::{Execution, Status};
use crate::machines::Kind;

/// How long after its stop an execution may be redriven.
pub const REDRIVABLE_PERIOD: Duration = Duration::days(14);

/// Why an execution cannot be redriven, in the words of `redriveStatusReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRedrivable {
    /// It is still running.
    Running,
    /// It succeeded.
    Succeeded,
    /// It is an EXPRESS execution.
    Express,
    /// It stopped more than 14 days ago.
    PeriodExceeded,
    /// It started more than a year ago.
    MaxExecutionTime,
    /// Its history has no room for another redrive.
    EventLimit,
    /// It was redriven the most times an execution may be.
    RedriveLimit,
}

impl NotRedrivable {
    /// The `redriveStatusReason`.
    pub fn reason(self) -> &'static str {
        match self {
            NotRedrivable::Running => "Execution is RUNNING and cannot be redriven",
            NotRedrivable::Succeeded => "Execution is SUCCEEDED and cannot be redriven",
            NotRedrivable::Express => "Execution is of type EXPRESS and cannot be redriven",
            NotRedrivable::PeriodExceeded => "Execution redrivable period exceeded",
            NotRedrivable::MaxExecutionTime => "Execution has exceeded the max execution time",
            NotRedrivable::EventLimit => "Execution history event limit exceeded",
            NotRedrivable::RedriveLimit => "Execution redrive limit exceeded",
        }
    }

    /// RedriveExecution's answer for execution `arn`: `ExecutionLimitExceeded` past
    /// the redrive limit, else `ExecutionNotRedrivable`.
    pub fn error(self, arn: &str) -> ApiError {
        match self {
            NotRedrivable::RedriveLimit => ApiError::new(
                ErrorType::ExecutionLimitExceeded,
                format!(
                    "Execution Limit Exceeded: '{arn}' was redriven {MAX_REDRIVES} times, the most an execution may be"
                ),
            ),
            other => ApiError::new(
                ErrorType::ExecutionNotRedrivable,
                format!("Execution Not Redrivable: '{arn}': {}", other.reason()),
            ),
        }
    }
}

/// What decides redrivability, taken from an execution at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// STANDARD or EXPRESS.
    pub kind: Kind,
    /// Its status.
    pub status: Status,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it stopped, if it did.
    pub stopped: Option<DateTime<Utc>>,
    /// How many history events it has.
    pub events: usize,
    /// How often it was redriven.
    pub redrives: u32,
}

impl Facts {
    /// The facts of `e` now.
    pub fn of(e: &Execution) -> Facts {
        let p = e.progress();
        Facts {
            kind: e.machine.kind,
            status: p.status,
            started: e.started,
            stopped: p.stopped,
            events: e.history.len(),
            redrives: e.redrives().count,
        }
    }
}

/// Whether an execution with `facts` can be redriven at `now`.
pub fn check(facts: &Facts, now: DateTime<Utc>) -> Result<(), NotRedrivable> {
    if facts.kind == Kind::Express {
        return Err(NotRedrivable::Express);
    }
    match facts.status {
        Status::Running => return Err(NotRedrivable::Running),
        Status::Succeeded => return Err(NotRedrivable::Succeeded),
        Status::Failed | Status::TimedOut | Status::Aborted => {}
    }
    if facts.stopped.is_some_and(|s| now - s > REDRIVABLE_PERIOD) {
        return Err(NotRedrivable::PeriodExceeded);
    }
    let max_open =
        Duration::from_std(sfn_local::clock::STANDARD_MAX_DURATION).unwrap_or(Duration::days(365));
    if now - facts.started > max_open {
        return Err(NotRedrivable::MaxExecutionTime);
    }
    // Room for `ExecutionRedriven` and at least one more event.
    if facts.events + 2 > MAX_EVENTS {
        return Err(NotRedrivable::EventLimit);
    }
    if facts.redrives >= MAX_REDRIVES {
        return Err(NotRedrivable::RedriveLimit);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(now: DateTime<Utc>) -> Facts {
        Facts {
            kind: Kind::Standard,
            status: Status::Failed,
            started: now - Duration::hours(1),
            stopped: Some(now - Duration::minutes(1)),
            events: 10,
            redrives: 0,
        }
    }

    #[test]
    fn failed_timed_out_and_aborted_standard_executions_are_redrivable() {
        let now = Utc::now();
        for status in [Status::Failed, Status::TimedOut, Status::Aborted] {
            let facts = Facts {
                status,
                ..failed(now)
            };
            assert_eq!(check(&facts, now), Ok(()), "{status:?}");
        }
    }

    #[test]
    fn each_limit_has_its_reason() {
        let now = Utc::now();
        let cases = [
            (
                Facts {
                    status: Status::Running,
                    stopped: None,
                    ..failed(now)
                },
                NotRedrivable::Running,
            ),
            (
                Facts {
                    status: Status::Succeeded,
                    ..failed(now)
                },
                NotRedrivable::Succeeded,
            ),
            (
                Facts {
                    kind: Kind::Express,
                    ..failed(now)
                },
                NotRedrivable::Express,
            ),
            (
                Facts {
                    started: now - Duration::days(20),
                    stopped: Some(now - Duration::days(14) - Duration::seconds(1)),
                    ..failed(now)
                },
                NotRedrivable::PeriodExceeded,
            ),
            (
                Facts {
                    started: now - Duration::days(400),
                    ..failed(now)
                },
                NotRedrivable::MaxExecutionTime,
            ),
            (
                Facts {
                    events: MAX_EVENTS - 1,
                    ..failed(now)
                },
                NotRedrivable::EventLimit,
            ),
            (
                Facts {
                    redrives: MAX_REDRIVES,
                    ..failed(now)
                },
                NotRedrivable::RedriveLimit,
            ),
        ];
        for (facts, why) in cases {
            assert_eq!(check(&facts, now), Err(why), "{facts:?}");
        }
        // Just inside the period, and one redrive short of the limit.
        let inside = Facts {
            stopped: Some(now - Duration::days(14) + Duration::seconds(1)),
            redrives: MAX_REDRIVES - 1,
            ..failed(now)
        };
        assert_eq!(check(&inside, now), Ok(()));
    }

    #[test]
    fn the_redrive_limit_is_execution_limit_exceeded_the_rest_not_redrivable() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
        assert_eq!(
            NotRedrivable::RedriveLimit.error(arn).kind,
            ErrorType::ExecutionLimitExceeded
        );
        let err = NotRedrivable::Succeeded.error(arn);
        assert_eq!(err.kind, ErrorType::ExecutionNotRedrivable);
        assert!(err.message.contains("SUCCEEDED"), "{}", err.message);
    }
}
