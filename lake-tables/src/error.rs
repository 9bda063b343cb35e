//! [`LakeTablesError`]: why a table could not be created, read or committed, and the
//! [`ErrorClass`] an activity maps it to (`Throttled`, `Transient`, …).

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What an activity should do with an error: the Step Functions error name it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad input (a file that is not a lake file of this table, …): never retried.
    InvalidInput,
    /// The service asked to slow down, or every commit attempt lost to a concurrent
    /// writer: retried with backoff.
    Throttled,
    /// A fault that may pass (network, 5xx): retried.
    Transient,
    /// A failure retrying will not fix (a table that differs from its declaration, …).
    Permanent,
}

/// Why a lake table operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LakeTablesError {
    /// An AWS call (S3 Tables or S3) failed.
    #[error("{service} {operation}: {message}")]
    Aws {
        /// The service (`s3tables`, `s3`).
        service: &'static str,
        /// The operation (`UpdateTableMetadataLocation`, …).
        operation: &'static str,
        /// The error as the SDK describes it (code and message).
        message: String,
        /// How to treat it.
        class: ErrorClass,
    },
    /// Every commit attempt found the table changed by another writer in between.
    #[error(
        "table {table}: commit lost to concurrent writers {attempts} times (optimistic concurrency); retry later"
    )]
    CommitConflict {
        /// The table.
        table: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The iceberg crate refused or failed an operation (metadata, manifests).
    #[error("table {table}: iceberg: {source}")]
    Iceberg {
        /// The table.
        table: String,
        /// The iceberg error (boxed: it is large).
        #[source]
        source: Box<iceberg::Error>,
    },
    /// A data file cannot be added to the table as it is.
    #[error("data file {path}: {reason}")]
    DataFile {
        /// The file's `s3://` URI.
        path: String,
        /// Why.
        reason: String,
    },
    /// An argument is unusable (empty batch id, a file URI that is not `s3://bucket/key`, …).
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The existing table, namespace or bucket is not what this crate declares.
    #[error("table {table}: {reason}")]
    TableDiffers {
        /// The table.
        table: String,
        /// The difference.
        reason: String,
    },
    /// Replacing a date would need rewriting a file (it holds rows of other dates too),
    /// which this crate does not do: the lake writes one date per file.
    #[error(
        "table {table}: replacing {date} needs rewriting {path}, which holds rows of {lower} to {upper}"
    )]
    MixedDates {
        /// The table.
        table: String,
        /// The date being replaced.
        date: String,
        /// The file.
        path: String,
        /// Its earliest date.
        lower: String,
        /// Its latest date.
        upper: String,
    },
}

impl LakeTablesError {
    /// How an activity should treat this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            LakeTablesError::Aws { class, .. } => *class,
            LakeTablesError::CommitConflict { .. } => ErrorClass::Throttled,
            LakeTablesError::Iceberg { source, .. } => {
                if source.retryable() {
                    ErrorClass::Transient
                } else {
                    ErrorClass::Permanent
                }
            }
            LakeTablesError::DataFile { .. } | LakeTablesError::InvalidInput { .. } => {
                ErrorClass::InvalidInput
            }
            LakeTablesError::TableDiffers { .. } | LakeTablesError::MixedDates { .. } => {
                ErrorClass::Permanent
            }
        }
    }

    pub(crate) fn iceberg(table: impl Into<String>) -> impl FnOnce(iceberg::Error) -> Self {
        let table = table.into();
        move |source| LakeTablesError::Iceberg {
            table,
            source: Box::new(source),
        }
    }
}

/// The class of an AWS error code and HTTP status: throttling codes and 429 are
/// `Throttled`, 5xx and no response at all `Transient`, the rest `Permanent` (the same
/// split as `stepwise-runtime`'s SDK error mapping, which this crate does not link).
pub(crate) fn class_of(code: Option<&str>, status: Option<u16>) -> ErrorClass {
    const THROTTLING: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestThrottled",
        "RequestThrottledException",
    ];
    if code.is_some_and(|c| THROTTLING.contains(&c)) || status == Some(429) || status == Some(503) {
        return ErrorClass::Throttled;
    }
    match status {
        None => ErrorClass::Transient,
        Some(s) if s >= 500 => ErrorClass::Transient,
        Some(_) => ErrorClass::Permanent,
    }
}

/// A [`LakeTablesError::Aws`] from an SDK error (S3 and S3 Tables share the SDK's error type).
pub(crate) fn aws_error<E>(
    service: &'static str,
    operation: &'static str,
    err: &aws_sdk_s3::error::SdkError<E>,
) -> LakeTablesError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_string);
    let message = match (&code, err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.clone(),
        _ => aws_smithy_types::error::display::DisplayErrorContext(err).to_string(),
    };
    LakeTablesError::Aws {
        service,
        operation,
        message,
        class: class_of(code.as_deref(), status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_conflicts_are_retried_and_bad_input_is_not() {
        assert_eq!(class_of(Some("SlowDown"), Some(503)), ErrorClass::Throttled);
        assert_eq!(class_of(None, Some(429)), ErrorClass::Throttled);
        assert_eq!(
            class_of(Some("InternalError"), Some(500)),
            ErrorClass::Transient
        );
        assert_eq!(class_of(None, None), ErrorClass::Transient);
        assert_eq!(
            class_of(Some("NotFoundException"), Some(404)),
            ErrorClass::Permanent
        );
        let conflict = LakeTablesError::CommitConflict {
            table: "lake.smartgo_sales".into(),
            attempts: 8,
        };
        assert_eq!(conflict.class(), ErrorClass::Throttled);
        let bad = LakeTablesError::InvalidInput {
            field: "batch_id",
            reason: "is empty".into(),
        };
        assert_eq!(bad.class(), ErrorClass::InvalidInput);
    }
}
