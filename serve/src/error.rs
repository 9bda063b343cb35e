//! The API's errors: Step Functions' error types, with the message AWS's JSON 1.0
//! protocol carries (`{"__type": "...", "message": "..."}`, HTTP 400).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The error types the server answers with, named as Step Functions names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// The state machine does not exist (or was deleted).
    StateMachineDoesNotExist,
    /// A state machine of that name exists with another definition or configuration.
    StateMachineAlreadyExists,
    /// The operation is not supported by the machine's type (STANDARD or EXPRESS).
    StateMachineTypeNotSupported,
    /// The execution does not exist (or is no longer retained).
    ExecutionDoesNotExist,
    /// An execution of that name exists and the idempotent-name rule does not apply.
    ExecutionAlreadyExists,
    /// The execution cannot be redriven.
    ExecutionNotRedrivable,
    /// Too many executions, or redrives of one execution.
    ExecutionLimitExceeded,
    /// The definition is not valid ASL.
    InvalidDefinition,
    /// An ARN is malformed or of the wrong resource type.
    InvalidArn,
    /// A name breaks Step Functions' naming rules.
    InvalidName,
    /// The execution input is not JSON or is too large.
    InvalidExecutionInput,
    /// A task output is not JSON or is too large.
    InvalidOutput,
    /// A pagination token is not one this server handed out.
    InvalidToken,
    /// No task has this token.
    TaskDoesNotExist,
    /// The task's heartbeat or timeout expired.
    TaskTimedOut,
    /// The activity does not exist.
    ActivityDoesNotExist,
    /// The Map Run does not exist.
    ResourceNotFound,
    /// A field breaks a constraint (missing, too long, out of range).
    ValidationException,
    /// The body is not JSON, or a field has the wrong JSON type.
    SerializationException,
    /// `X-Amz-Target` names no Step Functions action.
    UnknownOperationException,
}

impl ErrorType {
    /// The `__type` AWS sends.
    pub fn as_str(self) -> &'static str {
        use ErrorType as E;
        match self {
            E::StateMachineDoesNotExist => "StateMachineDoesNotExist",
            E::StateMachineAlreadyExists => "StateMachineAlreadyExists",
            E::StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            E::ExecutionDoesNotExist => "ExecutionDoesNotExist",
            E::ExecutionAlreadyExists => "ExecutionAlreadyExists",
            E::ExecutionNotRedrivable => "ExecutionNotRedrivable",
            E::ExecutionLimitExceeded => "ExecutionLimitExceeded",
            E::InvalidDefinition => "InvalidDefinition",
            E::InvalidArn => "InvalidArn",
            E::InvalidName => "InvalidName",
            E::InvalidExecutionInput => "InvalidExecutionInput",
            E::InvalidOutput => "InvalidOutput",
            E::InvalidToken => "InvalidToken",
            E::TaskDoesNotExist => "TaskDoesNotExist",
            E::TaskTimedOut => "TaskTimedOut",
            E::ActivityDoesNotExist => "ActivityDoesNotExist",
            E::ResourceNotFound => "ResourceNotFound",
            E::ValidationException => "ValidationException",
            E::SerializationException => "SerializationException",
            E::UnknownOperationException => "UnknownOperationException",
        }
    }
}

/// An error answer: its type and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.as_str())]
pub struct ApiError {
    /// The error type.
    pub kind: ErrorType,
    /// What is wrong, naming the field or resource.
    pub message: String,
}

impl ApiError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// `ValidationException` for a required field that is missing, in AWS's words.
    pub fn missing(field: &str) -> Self {
        Self::new(
            ErrorType::ValidationException,
            format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ),
        )
    }

    /// `ValidationException` for a field breaking a constraint, in AWS's words.
    pub fn constraint(field: &str, value: impl std::fmt::Display, constraint: &str) -> Self {
        Self::new(
            ErrorType::ValidationException,
            format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
            ),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"__type": self.kind.as_str(), "message": self.message}).to_string();
        let mut response = (StatusCode::BAD_REQUEST, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static(crate::protocol::CONTENT_TYPE),
        );
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(self.kind.as_str()),
        );
        response
    }
}
