//! What codegen knows about Step Functions' service integrations — Task resources of the
//! form `arn:aws:states:::service:action[.pattern]` and `arn:aws:states:::aws-sdk:service:action`.
//!
//! * [`parse`] splits a resource into service, action and integration pattern.
//! * [`supports`] says which patterns an optimized integration offers (DynamoDB's has no
//!   `.waitForTaskToken`, for instance), as AWS's integration table lists them.
//! * [`result_schema`] is the JSON Schema of what a known integration returns, as AWS
//!   documents it (top-level fields, their types where AWS fixes them, which are always
//!   present), with a realistic example; [`example_result`] is that example.
//! * [`parameter_schema`] is what it requires of its `Parameters`: the required fields and
//!   the types AWS fixes (undeclared fields pass unchecked).
//! * [`iam::actions`] is the IAM actions its Task needs the state machine's role to have.
//!
//! The data-flow check reads the schemas (so `ResultSelector`/`ResultPath` over an
//! integration result is checked like an activity's), the mock-config emitter the examples,
//! and the builder the patterns. An integration not listed here is unknown: no schema, no
//! problem reported. Nothing here talks to AWS.

pub mod iam;
mod optimized;
mod params;
mod schema;
mod sdk;

use serde_json::Value;

/// How a Task waits for an integration (the resource's suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// No suffix: call the API and continue with its response.
    RequestResponse,
    /// `.sync`: run a job and wait for it to finish.
    Sync,
    /// `.sync:2`: as `.sync`, with the job's output as JSON rather than a string.
    Sync2,
    /// `.waitForTaskToken`: call the API, then wait until `SendTaskSuccess`/`Failure`
    /// delivers the result for `$$.Task.Token`.
    WaitForTaskToken,
}

impl Pattern {
    /// The resource suffix, including its dot (`""` for request-response).
    pub fn suffix(self) -> &'static str {
        match self {
            Pattern::RequestResponse => "",
            Pattern::Sync => ".sync",
            Pattern::Sync2 => ".sync:2",
            Pattern::WaitForTaskToken => ".waitForTaskToken",
        }
    }
}

/// A service integration resource, taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integration<'a> {
    /// The service (`dynamodb`, `s3`, `states`, ...).
    pub service: &'a str,
    /// The API action as Step Functions spells it (`putItem`, `startExecution`).
    pub action: &'a str,
    /// Whether it is an AWS SDK integration (`aws-sdk:`) rather than an optimized one.
    pub sdk: bool,
    /// How the Task waits.
    pub pattern: Pattern,
}

/// Takes `arn:<partition>:states:::[aws-sdk:]service:action[.pattern]` apart; `None` for
/// anything else (activities, Lambda ARNs, `${Placeholder}`s, an unknown suffix).
pub fn parse(resource: &str) -> Option<Integration<'_>> {
    let (partition, rest) = resource.strip_prefix("arn:")?.split_once(":states:::")?;
    if partition.is_empty() || partition.contains(':') {
        return None;
    }
    let (sdk, rest) = match rest.strip_prefix("aws-sdk:") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let (service, call) = rest.split_once(':')?;
    let (action, pattern) = match call.split_once('.') {
        None => (call, Pattern::RequestResponse),
        Some((action, "sync")) => (action, Pattern::Sync),
        Some((action, "sync:2")) => (action, Pattern::Sync2),
        Some((action, "waitForTaskToken")) => (action, Pattern::WaitForTaskToken),
        Some(_) => return None,
    };
    let word = |s: &str, also: char| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == also)
    };
    (word(service, '-') && word(action, '_')).then_some(Integration {
        service,
        action,
        sdk,
        pattern,
    })
}

/// Whether the integration offers `pattern`: `Some` for the integrations listed here
/// (every AWS SDK integration offers request-response and `.waitForTaskToken`, never
/// `.sync`), `None` for an optimized integration this crate does not know.
pub fn supports(integration: &Integration<'_>, pattern: Pattern) -> Option<bool> {
    use Pattern::*;
    if integration.sdk {
        return Some(matches!(pattern, RequestResponse | WaitForTaskToken));
    }
    let patterns: &[Pattern] = match (integration.service, integration.action) {
        ("dynamodb", "getItem" | "putItem" | "updateItem" | "deleteItem") => &[RequestResponse],
        ("lambda", "invoke") => &[RequestResponse, WaitForTaskToken],
        ("sqs", "sendMessage") | ("sns", "publish") | ("events", "putEvents") => {
            &[RequestResponse, WaitForTaskToken]
        }
        ("states", "startExecution") => &[RequestResponse, Sync, Sync2, WaitForTaskToken],
        _ => return None,
    };
    Some(patterns.contains(&pattern))
}

/// The JSON Schema of what the Task with this resource returns, with one realistic example
/// under `examples`, when the integration is known. `None` (unknown) for activities, for
/// integrations not listed here and for `.waitForTaskToken` (the result is whatever the
/// callback sends).
pub fn result_schema(resource: &str) -> Option<Value> {
    let integration = parse(resource)?;
    if integration.sdk {
        return match integration.pattern {
            Pattern::RequestResponse => sdk::result(integration.service, integration.action),
            _ => None,
        };
    }
    optimized::result(integration.service, integration.action, integration.pattern)
}

/// The JSON Schema of the `Parameters` a known integration requires (in every pattern):
/// its required fields and the JSON types AWS fixes; other fields are not declared.
pub fn parameter_schema(resource: &str) -> Option<Value> {
    let integration = parse(resource)?;
    params::parameters(integration.service, integration.action, integration.sdk)
}

/// A realistic example of what the Task with this resource returns (the first example
/// of [`result_schema`]).
pub fn example_result(resource: &str) -> Option<Value> {
    result_schema(resource)?
        .get("examples")?
        .as_array()?
        .first()
        .cloned()
}

#[cfg(test)]
mod tests;
