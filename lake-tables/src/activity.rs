//! How an activity reports a [`LakeTablesError`]: as the `ActivityError` its
//! [`ErrorClass`] names, so the state machine's Retry (`Throttled`, `Transient`) retries
//! commit conflicts and service faults and never bad input.

use stepwise_runtime::ActivityError;

use crate::error::{ErrorClass, LakeTablesError};

impl From<LakeTablesError> for ActivityError {
    fn from(err: LakeTablesError) -> Self {
        let cause = err.to_string();
        match err.class() {
            ErrorClass::InvalidInput => ActivityError::invalid_input(cause),
            ErrorClass::Throttled => ActivityError::throttled(cause),
            ErrorClass::Transient => ActivityError::transient(cause),
            ErrorClass::Permanent => ActivityError::permanent(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_commit_is_throttled_for_the_state_machine() {
        let err: ActivityError = LakeTablesError::CommitConflict {
            table: "lake.smartgo_sales".into(),
            attempts: 8,
        }
        .into();
        assert_eq!(err.name.as_str(), "Throttled");
        assert!(err.cause.contains("lake.smartgo_sales"), "{}", err.cause);
        let err: ActivityError = LakeTablesError::InvalidInput {
            field: "files",
            reason: "is empty".into(),
        }
        .into();
        assert_eq!(err.name.as_str(), "InvalidInput");
    }
}
