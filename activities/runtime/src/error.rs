//! [`ActivityError`]: an error name Step Functions matches on, and a human cause.

use std::fmt;

use stepwise_contract::{ErrorName, errors};

/// How an activity fails. `name` is what Step Functions sees as `Error` (and matches in
/// Retry/Catch); `cause` is the human explanation (`Cause`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ActivityError {
    /// The error name.
    pub name: ErrorName,
    /// What went wrong, for people.
    pub cause: String,
}

impl fmt::Display for ActivityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.cause)
    }
}

impl ActivityError {
    /// An error with any name (use the activity's own constants).
    pub fn new(name: ErrorName, cause: impl Into<String>) -> Self {
        ActivityError {
            name,
            cause: cause.into(),
        }
    }

    /// Bad input: never retried.
    pub fn invalid_input(cause: impl Into<String>) -> Self {
        Self::new(errors::INVALID_INPUT, cause)
    }

    /// Throttled by a downstream service: retried with backoff.
    pub fn throttled(cause: impl Into<String>) -> Self {
        Self::new(errors::THROTTLED, cause)
    }

    /// A transient fault: retried.
    pub fn transient(cause: impl Into<String>) -> Self {
        Self::new(errors::TRANSIENT, cause)
    }

    /// Something the input refers to does not exist.
    pub fn not_found(cause: impl Into<String>) -> Self {
        Self::new(errors::NOT_FOUND, cause)
    }

    /// A failure retrying will not fix.
    pub fn permanent(cause: impl Into<String>) -> Self {
        Self::new(errors::PERMANENT, cause)
    }
}
