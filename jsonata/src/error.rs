//! The evaluator's error type: JSONata's error codes (`S0201`, `T2001`, …) with the
//! character position in the expression and, where known, the offending token.

/// A failed parse or evaluation, carrying the reference implementation's error code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} at position {position}: {message}")]
pub struct JsonataError {
    /// JSONata's error code, e.g. `S0201` (syntax) or `T2001` (type).
    pub code: String,
    /// Character offset in the expression where the error was detected.
    pub position: usize,
    /// The token the error concerns, when there is one.
    pub token: Option<String>,
    /// A human-readable description.
    pub message: String,
}

impl JsonataError {
    /// An error with a code, a position and a message.
    pub fn new(code: &str, position: usize, message: impl Into<String>) -> Self {
        JsonataError {
            code: code.to_string(),
            position,
            token: None,
            message: message.into(),
        }
    }

    /// The same error naming the token it concerns.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, JsonataError>;
