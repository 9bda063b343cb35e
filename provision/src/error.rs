//! What can go wrong while provisioning: a bad prefix, a service call that failed (named
//! by resource and operation), an existing resource that differs from its declaration.

/// Why provisioning stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The prefix cannot start resource names.
    #[error(
        "prefix \"{0}\": expected lower-case letters, digits and single '-', starting with a letter, at most {max} characters",
        max = crate::PREFIX_MAX
    )]
    Prefix(String),
    /// A service call failed.
    #[error("{kind} \"{name}\": {operation} failed: {message}")]
    Service {
        /// `table`, `queue`, `vector bucket` or `vector index`.
        kind: &'static str,
        /// The resource's deployed name.
        name: String,
        /// The API operation.
        operation: &'static str,
        /// The SDK's error, with its context.
        message: String,
    },
    /// The resource exists and differs from its declaration.
    #[error(
        "{kind} \"{name}\" exists but differs from its declaration: {difference} (delete it or choose another --prefix)"
    )]
    Mismatch {
        /// `table`, `queue` or `vector index`.
        kind: &'static str,
        /// The resource's deployed name.
        name: String,
        /// What differs.
        difference: String,
    },
    /// A table did not become active in time.
    #[error("table \"{0}\" did not become ACTIVE within 120 seconds")]
    NotActive(String),
}

impl ProvisionError {
    /// A failed call of `operation` on the resource, with the SDK error's full context.
    pub(crate) fn service<E: std::error::Error>(
        kind: &'static str,
        name: &str,
        operation: &'static str,
        error: E,
    ) -> Self {
        ProvisionError::Service {
            kind,
            name: name.to_string(),
            operation,
            message: aws_smithy_types::error::display::DisplayErrorContext(error).to_string(),
        }
    }
}
