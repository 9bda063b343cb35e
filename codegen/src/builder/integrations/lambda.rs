//! AWS Lambda: `lambda:invoke` (optimized; also with `.waitForTaskToken`). The result is
//! `Payload` (the function's output, parsed from JSON), `StatusCode`, `ExecutedVersion`
//! and the SDK metadata; a function error fails the Task with the function's error name.
//! For an activity of this project prefer [`task`](crate::builder::task), which calls the
//! function directly and has its input and output checked.

use super::{Arg, Params};
use crate::builder::{Retry, Task};

/// How Lambda runs the function (`InvocationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Wait for the function's result (the default).
    RequestResponse,
    /// Queue the event and return at once (`StatusCode` 202, empty `Payload`).
    Event,
    /// Only check the caller's rights and the parameters (`StatusCode` 204).
    DryRun,
}

impl InvocationType {
    fn as_str(self) -> &'static str {
        match self {
            InvocationType::RequestResponse => "RequestResponse",
            InvocationType::Event => "Event",
            InvocationType::DryRun => "DryRun",
        }
    }
}

/// `Invoke`.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoke {
    /// The function: a name, an ARN, or a `${Placeholder}`.
    pub function_name: Arg,
    /// The event: a JSON template, or a path (`Arg::path("$")`, the whole state input).
    pub payload: Option<Arg>,
    /// A version or alias.
    pub qualifier: Option<String>,
    /// How Lambda runs the function.
    pub invocation_type: Option<InvocationType>,
    /// Base64 JSON handed to the function as its client context.
    pub client_context: Option<String>,
    /// Return the last 4 KB of the function's log in `LogResult` (`LogType: Tail`).
    pub log_tail: bool,
}

impl Invoke {
    /// Invokes `function` with `payload`.
    pub fn new(function: impl Into<Arg>, payload: impl Into<Arg>) -> Self {
        Invoke {
            function_name: function.into(),
            payload: Some(payload.into()),
            qualifier: None,
            invocation_type: None,
            client_context: None,
            log_tail: false,
        }
    }

    /// This version or alias.
    pub fn qualifier(mut self, qualifier: impl Into<String>) -> Self {
        self.qualifier = Some(qualifier.into());
        self
    }

    /// How Lambda runs the function.
    pub fn invocation_type(mut self, invocation_type: InvocationType) -> Self {
        self.invocation_type = Some(invocation_type);
        self
    }
}

/// A Task that invokes a function (`arn:aws:states:::lambda:invoke`). Like an activity
/// Task it starts with [`Retry::lambda_service`] (the Lambda service's transient errors,
/// AWS's best practice); your rules follow it.
pub fn invoke(name: impl Into<String>, request: Invoke) -> Task {
    let tail = request.log_tail.then_some("Tail");
    Params::default()
        .arg("FunctionName", &request.function_name)
        .opt_arg("Payload", request.payload.as_ref())
        .text("Qualifier", request.qualifier.as_deref())
        .text(
            "InvocationType",
            request.invocation_type.map(InvocationType::as_str),
        )
        .text("ClientContext", request.client_context.as_deref())
        .text("LogType", tail)
        .task(name, "lambda:invoke")
        .retry(Retry::lambda_service())
}
