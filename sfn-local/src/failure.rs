//! Failures as Step Functions reports them (`Error` + `Cause`), and how Retry/Catch rules
//! match them.

use codegen::errors::{
    STATES_ALL, STATES_DATA_LIMIT_EXCEEDED, STATES_RUNTIME, STATES_TASK_FAILED, STATES_TIMEOUT,
};

/// How the cause of the execution's own timeout starts.
const EXECUTION_TIMEOUT: &str = "the execution ran longer than ";

/// An error with Step Functions' `Error` name and `Cause`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct Failure {
    /// The error name (`States.Timeout`, `Throttled`, ...).
    pub error: String,
    /// The human explanation.
    pub cause: String,
    /// How far it reaches.
    reach: Reach,
    /// Where a JSONata expression failed, until the history records it (see
    /// [`Failure::evaluation`]).
    evaluation: Option<Box<Evaluation>>,
}

/// Where a JSONata expression failed: the state and the field (`Output.x`,
/// `Arguments`, `Choices[0].Condition`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The state's name.
    pub state: String,
    /// The field the expression is in.
    pub location: String,
}

/// How far a failure reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Reach {
    /// A state failed: its Retry and Catch rules, and a Map's tolerated failures, may
    /// handle it.
    #[default]
    State,
    /// The execution ran past its `TimeoutSeconds` or the longest an execution may run:
    /// it ends the execution (status `TimedOut`) and nothing on the way handles it.
    Execution,
}

impl Failure {
    /// A failure with any name.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            cause: cause.into(),
            reach: Reach::State,
            evaluation: None,
        }
    }

    /// A failed JSONata expression in field `location` of state `state`: the history
    /// records an `EvaluationFailed` event for it before Retry and Catch apply
    /// ([`Failure::take_evaluation`]).
    pub fn evaluation(
        error: impl Into<String>,
        cause: impl Into<String>,
        state: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        Failure {
            evaluation: Some(Box::new(Evaluation {
                state: state.into(),
                location: location.into(),
            })),
            ..Self::new(error, cause)
        }
    }

    /// Where the JSONata expression failed, if this is such a failure not yet recorded;
    /// afterwards the failure no longer carries it (so enclosing states do not record it
    /// again).
    pub fn take_evaluation(&mut self) -> Option<Evaluation> {
        self.evaluation.take().map(|e| *e)
    }

    /// The execution outlived its `TimeoutSeconds` or the longest an execution may run:
    /// `States.Timeout` that ends the execution (status `TimedOut`), whatever Retry,
    /// Catch or tolerated-failure threshold is on the way. `cause` says what it
    /// outlived ("its TimeoutSeconds (5 s)"); it is prefixed with "the execution ran
    /// longer than " unless it already says so.
    pub fn execution_timeout(cause: impl Into<String>) -> Self {
        let cause = cause.into();
        let cause = if cause.starts_with(EXECUTION_TIMEOUT) {
            cause
        } else {
            format!("{EXECUTION_TIMEOUT}{cause}")
        };
        Failure {
            reach: Reach::Execution,
            ..Self::new(STATES_TIMEOUT.as_str(), cause)
        }
    }

    /// Whether this is the execution's own timeout ([`Failure::execution_timeout`]).
    pub fn is_execution_timeout(&self) -> bool {
        self.reach == Reach::Execution
    }

    /// `States.Runtime`: not retried, not caught by `States.ALL`.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(STATES_RUNTIME.as_str(), cause)
    }

    /// Whether no Retry or Catch can handle it except by naming it explicitly
    /// (`States.Runtime`, `States.DataLimitExceeded`), or at all (the execution's
    /// timeout), and it stops a Map whatever its tolerated failures.
    pub fn is_terminal(&self) -> bool {
        self.is_execution_timeout()
            || self.error == STATES_RUNTIME.as_str()
            || self.error == STATES_DATA_LIMIT_EXCEEDED.as_str()
    }

    /// The error output a Catch passes on: `{"Error": ..., "Cause": ...}`.
    pub fn to_output(&self) -> serde_json::Value {
        serde_json::json!({"Error": self.error, "Cause": self.cause})
    }
}

/// Whether a rule's `ErrorEquals` matches `failure`, with Step Functions' wildcards:
/// `States.ALL` matches everything but the terminal errors; `States.TaskFailed` matches
/// everything but `States.Timeout` and the terminal errors. Nothing matches the
/// execution's own timeout.
pub fn matches(error_equals: &[String], failure: &Failure) -> bool {
    if failure.is_execution_timeout() {
        return false;
    }
    error_equals.iter().any(|pattern| {
        if *pattern == failure.error {
            return true;
        }
        if failure.is_terminal() {
            return false;
        }
        (pattern == STATES_ALL.as_str())
            || (pattern == STATES_TASK_FAILED.as_str() && failure.error != STATES_TIMEOUT.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wildcards_follow_step_functions() {
        let throttled = Failure::new("Throttled", "");
        let timeout = Failure::new("States.Timeout", "");
        let runtime = Failure::runtime("");
        assert!(matches(&list(&["States.ALL"]), &throttled));
        assert!(matches(&list(&["States.TaskFailed"]), &throttled));
        assert!(!matches(&list(&["States.TaskFailed"]), &timeout));
        assert!(matches(&list(&["States.ALL"]), &timeout));
        assert!(!matches(&list(&["States.ALL"]), &runtime));
        assert!(matches(&list(&["States.Runtime"]), &runtime));
        assert!(!matches(&list(&["Transient"]), &throttled));
        let over = Failure::execution_timeout("its TimeoutSeconds (5 s)");
        assert_eq!(
            over.cause,
            "the execution ran longer than its TimeoutSeconds (5 s)"
        );
        assert!(over.is_terminal());
        assert!(!matches(&list(&["States.Timeout", "States.ALL"]), &over));
        assert_eq!(over.error, "States.Timeout");
        assert!(over.is_execution_timeout());
        assert!(!timeout.is_execution_timeout());
        // A state's own States.Timeout with the same words is not the execution's.
        let lookalike = Failure::new("States.Timeout", over.cause.clone());
        assert!(!lookalike.is_execution_timeout());
    }
}
