//! Nested executions (`arn:aws:states:::states:startExecution[.sync[:2]]`): the
//! [`Launcher`] seam that starts a child execution, the in-process [`Catalog`] of known
//! state machines, the [`RemoteLauncher`] that goes through the Step Functions endpoint
//! with `aws-sdk-sfn`, and the request and result shapes Step Functions uses.
//!
//! The executor parses the Task's Parameters ([`StartRequest::from_parameters`]), asks the
//! launcher to start the child, and shapes the result ([`ChildExecution::sync_result`]) or
//! the failure ([`ChildExecution::failure`]). This module knows nothing of the parent's
//! history or clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use codegen::asl::StateMachine;
use codegen::errors::STATES_TASK_FAILED;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use aws_sdk_sfn::operation::RequestId as _;

use crate::clock::{EXPRESS_MAX_DURATION, STANDARD_MAX_DURATION};
use crate::executor::{Options, Outcome, Status, execute};
use crate::failure::Failure;
use crate::tasks::TaskRunner;

/// The resource of a nested execution, request-response.
pub const START_EXECUTION: &str = "arn:aws:states:::states:startExecution";

/// How a `states:startExecution` Task waits for its child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Request-response: the result is `ExecutionArn` and `StartDate`; the child runs on.
    RequestResponse,
    /// `.sync`: waits; the child's `Input` and `Output` as JSON strings.
    Sync,
    /// `.sync:2`: waits; the child's `Input` and `Output` as JSON.
    Sync2,
}

impl Pattern {
    /// The pattern of `resource`, if it is a `states:startExecution` resource.
    pub fn of(resource: &str) -> Option<Pattern> {
        match resource.strip_prefix(START_EXECUTION)? {
            "" => Some(Pattern::RequestResponse),
            ".sync" => Some(Pattern::Sync),
            ".sync:2" => Some(Pattern::Sync2),
            _ => None,
        }
    }
}

/// A child execution to start: the Task's Parameters, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRequest {
    /// `StateMachineArn`.
    pub state_machine_arn: String,
    /// `Input` (a JSON value, or a JSON string that is parsed), `{}` without one.
    pub input: Value,
    /// `Name` (default: a UUID).
    pub name: Option<String>,
}

impl StartRequest {
    /// Checks the Task's Parameters as Step Functions does: `StateMachineArn` (a
    /// string) is required; `Input`, `Name` and `TraceHeader` are optional; any other
    /// field is refused (`States.Runtime` naming it).
    pub fn from_parameters(parameters: &Value) -> Result<StartRequest, Failure> {
        let fields = parameters.as_object().ok_or_else(|| {
            Failure::runtime(format!(
                "states:startExecution takes an object of parameters, not {parameters}"
            ))
        })?;
        if let Some(unknown) = fields
            .keys()
            .find(|k| !["StateMachineArn", "Input", "Name", "TraceHeader"].contains(&k.as_str()))
        {
            return Err(Failure::runtime(format!(
                "states:startExecution does not accept the parameter \"{unknown}\" (it takes StateMachineArn, Input, Name, TraceHeader)"
            )));
        }
        let state_machine_arn = match fields.get("StateMachineArn") {
            Some(Value::String(arn)) if !arn.is_empty() => arn.clone(),
            Some(other) => {
                return Err(Failure::runtime(format!(
                    "states:startExecution: the parameter \"StateMachineArn\" must be a state machine ARN string, not {other}"
                )));
            }
            None => {
                return Err(Failure::runtime(
                    "states:startExecution: the parameter \"StateMachineArn\" is required",
                ));
            }
        };
        let input = match fields.get("Input") {
            None => json!({}),
            Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
                Failure::runtime(format!(
                    "states:startExecution: the parameter \"Input\" is a string that is not JSON: {e}"
                ))
            })?,
            Some(value) => value.clone(),
        };
        let name = match fields.get("Name") {
            None => None,
            Some(Value::String(n)) if valid_name(n) => Some(n.clone()),
            Some(other) => {
                return Err(Failure::runtime(format!(
                    "states:startExecution: the parameter \"Name\" must be 1 to 80 letters, digits, '-' or '_', not {other}"
                )));
            }
        };
        Ok(StartRequest {
            state_machine_arn,
            input,
            name,
        })
    }

    /// The state machine's name: the last part of its ARN.
    pub fn state_machine_name(&self) -> &str {
        machine_name(&self.state_machine_arn)
    }
}

/// The name in a state machine ARN (`arn:aws:states:R:A:stateMachine:NAME[:version]`),
/// or in a definition-substitution placeholder (`${NAME}`).
fn machine_name(arn: &str) -> &str {
    if let Some(name) = arn.strip_prefix("${").and_then(|a| a.strip_suffix('}')) {
        return name;
    }
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "stateMachine", name, ..] => name,
        _ => arn,
    }
}

/// Whether `name` is an execution name Step Functions accepts.
fn valid_name(name: &str) -> bool {
    (1..=80).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A child execution as `DescribeExecution` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildExecution {
    /// `ExecutionArn`.
    pub execution_arn: String,
    /// `StateMachineArn`.
    pub state_machine_arn: String,
    /// `Name`.
    pub name: String,
    /// `Status`: `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// `StartDate`.
    pub start_date: DateTime<Utc>,
    /// `StopDate`, once it ended.
    pub stop_date: Option<DateTime<Utc>>,
    /// `Input`.
    pub input: Value,
    /// `Output`, when it succeeded.
    pub output: Option<Value>,
    /// `Error`, when it failed.
    pub error: Option<String>,
    /// `Cause`, when it failed.
    pub cause: Option<String>,
    /// The `StartExecution` request's id (`SdkResponseMetadata.RequestId`).
    pub request_id: String,
}

/// Step Functions' integration results give dates as epoch milliseconds.
fn millis(d: DateTime<Utc>) -> Value {
    json!(d.timestamp_millis())
}

impl ChildExecution {
    /// The request-response result: `ExecutionArn`, `StartDate`, and the response
    /// metadata Step Functions adds to an optimized integration's result
    /// (`SdkHttpMetadata`, `SdkResponseMetadata`).
    pub fn started_result(&self) -> Value {
        let body = json!({"executionArn": self.execution_arn, "startDate": self.start_date.timestamp_millis() as f64 / 1000.0});
        let length = body.to_string().len().to_string();
        let date = self
            .start_date
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let content_type = "application/x-amz-json-1.0";
        json!({
            "ExecutionArn": self.execution_arn,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {
                    "Content-Length": [length],
                    "Content-Type": [content_type],
                    "Date": [date],
                    "x-amzn-RequestId": [self.request_id]
                },
                "HttpHeaders": {
                    "Content-Length": length,
                    "Content-Type": content_type,
                    "Date": date,
                    "x-amzn-RequestId": self.request_id
                },
                "HttpStatusCode": 200
            },
            "SdkResponseMetadata": {"RequestId": self.request_id},
            "StartDate": millis(self.start_date)
        })
    }

    /// The description, with `Input` and `Output` as JSON strings (`json_strings`, as
    /// `.sync` returns them) or as JSON (as `.sync:2` does).
    fn describe(&self, json_strings: bool) -> Map<String, Value> {
        let shape = |v: &Value| {
            if json_strings {
                Value::String(v.to_string())
            } else {
                v.clone()
            }
        };
        let mut d = Map::new();
        d.insert("ExecutionArn".into(), json!(self.execution_arn));
        d.insert("Input".into(), shape(&self.input));
        d.insert("InputDetails".into(), json!({"Included": true}));
        d.insert("Name".into(), json!(self.name));
        if let Some(output) = &self.output {
            d.insert("Output".into(), shape(output));
            d.insert("OutputDetails".into(), json!({"Included": true}));
        }
        d.insert("StartDate".into(), millis(self.start_date));
        d.insert("StateMachineArn".into(), json!(self.state_machine_arn));
        d.insert("Status".into(), json!(self.status));
        if let Some(stop) = self.stop_date {
            d.insert("StopDate".into(), millis(stop));
        }
        if let Some(error) = &self.error {
            d.insert("Error".into(), json!(error));
        }
        if let Some(cause) = &self.cause {
            d.insert("Cause".into(), json!(cause));
        }
        d
    }

    /// The `.sync` / `.sync:2` result of a child that succeeded.
    pub fn sync_result(&self, pattern: Pattern) -> Value {
        Value::Object(self.describe(pattern == Pattern::Sync))
    }

    /// The failure of a `.sync` / `.sync:2` Task whose child did not succeed:
    /// `States.TaskFailed`, with the child's description (its `Error` and `Cause`
    /// included) as JSON text for the cause, as Step Functions reports it.
    pub fn failure(&self, pattern: Pattern) -> Failure {
        Failure::new(
            STATES_TASK_FAILED.as_str(),
            Value::Object(self.describe(pattern == Pattern::Sync)).to_string(),
        )
    }
}

/// A started child: its ARN and start date at once, and its end when awaited.
pub struct Started {
    /// The child as it started (status `RUNNING`).
    pub execution: ChildExecution,
    /// Resolves to the child's description once it ended. Dropping it does not stop the
    /// child (request-response lets it run on).
    pub done: BoxFuture<'static, Result<ChildExecution, Failure>>,
}

/// What a child inherits from its parent.
#[derive(Clone)]
pub struct Parent {
    /// The parent's task runner (mocks and faults apply to the child too).
    pub tasks: Arc<dyn TaskRunner>,
    /// The parent's options (virtual time, callbacks, activities, launcher, services).
    pub options: Options,
    /// The parent's clock when the Task starts the child: the child's start time.
    pub now: DateTime<Utc>,
}

/// Starts child executions for `states:startExecution` Tasks. [`Catalog`] runs known
/// state machines in-process; `stepwise serve` provides its own so children appear in
/// its `ListExecutions`.
pub trait Launcher: Send + Sync {
    /// Starts the child `request` of `parent`; fails as the Task should fail
    /// (`StepFunctions.StateMachineDoesNotExistException`, ...).
    fn start<'a>(
        &'a self,
        request: StartRequest,
        parent: Parent,
    ) -> BoxFuture<'a, Result<Started, Failure>>;
}

/// One state machine the catalog knows.
#[derive(Clone)]
struct Known {
    machine: Arc<StateMachine>,
    express: bool,
}

/// Runs the children whose state machines it knows in-process, under the parent's options
/// (virtual time continuing from the parent's clock, the same task runner), and hands the
/// others to a [`RemoteLauncher`]. It keeps every child's [`Outcome`] (its own history).
#[derive(Default)]
pub struct Catalog {
    machines: HashMap<String, Known>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    remote: RemoteLauncher,
}

impl Catalog {
    /// A catalog of no state machine (every child goes to the Step Functions endpoint).
    pub fn new() -> Self {
        Self::default()
    }

    /// Knows `machine` as the state machine `name` (a Standard one, or an Express one
    /// when `express`: five minutes at most). `StateMachineArn`s ending in
    /// `stateMachine:NAME` (with any region, account or version) start it.
    pub fn with(mut self, name: &str, machine: StateMachine, express: bool) -> Self {
        self.machines.insert(
            name.to_string(),
            Known {
                machine: Arc::new(machine),
                express,
            },
        );
        self
    }

    /// Sends the children it does not know to `remote` (default: a [`RemoteLauncher`]
    /// configured from the standard environment).
    pub fn with_remote(mut self, remote: RemoteLauncher) -> Self {
        self.remote = remote;
        self
    }

    /// Whether it knows the state machine `name`.
    pub fn knows(&self, name: &str) -> bool {
        self.machines.contains_key(name)
    }

    /// The outcome of every in-process child that ended, in the order they ended.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The outcome of the child `execution_arn`, once it ended.
    pub fn outcome(&self, execution_arn: &str) -> Option<Outcome> {
        self.outcomes()
            .into_iter()
            .find(|o| o.execution_arn == execution_arn)
    }
}

impl Launcher for Catalog {
    fn start<'a>(
        &'a self,
        request: StartRequest,
        parent: Parent,
    ) -> BoxFuture<'a, Result<Started, Failure>> {
        let Some(known) = self.machines.get(request.state_machine_name()).cloned() else {
            return self.remote.start(request, parent);
        };
        Box::pin(async move {
            let name = request
                .name
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let machine_name = request.state_machine_name().to_string();
            let options = Options {
                state_machine_name: machine_name,
                execution_name: Some(name.clone()),
                start_time: Some(parent.now),
                progress: None,
                max_duration: if known.express {
                    EXPRESS_MAX_DURATION
                } else {
                    STANDARD_MAX_DURATION
                },
                ..parent.options
            };
            let execution_arn = crate::executor::execution_arn(&options, &name);
            let state_machine_arn = crate::executor::state_machine_arn(&options);
            let execution = ChildExecution {
                execution_arn,
                state_machine_arn,
                name,
                status: "RUNNING".into(),
                start_date: parent.now,
                stop_date: None,
                input: request.input.clone(),
                output: None,
                error: None,
                cause: None,
                request_id: uuid::Uuid::new_v4().to_string(),
            };
            let outcomes = self.outcomes.clone();
            let started = execution.clone();
            let tasks = parent.tasks;
            let child = tokio::spawn(async move {
                let outcome = execute(&known.machine, request.input, tasks, options)
                    .await
                    .map_err(|e| {
                        Failure::new(
                            STATES_TASK_FAILED.as_str(),
                            format!("the child execution could not start: {e}"),
                        )
                    })?;
                let ended = describe_outcome(&started, &outcome);
                outcomes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(outcome);
                Ok(ended)
            });
            let done: BoxFuture<'static, Result<ChildExecution, Failure>> = Box::pin(async move {
                child.await.map_err(|e| {
                    Failure::runtime(format!("the child execution did not finish: {e}"))
                })?
            });
            Ok(Started { execution, done })
        })
    }
}

/// The description of a child that ended with `outcome`.
fn describe_outcome(started: &ChildExecution, outcome: &Outcome) -> ChildExecution {
    let status = match outcome.status {
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::TimedOut => "TIMED_OUT",
    };
    ChildExecution {
        status: status.into(),
        stop_date: outcome.events.last().map(|e| e.timestamp),
        output: outcome.output.clone(),
        error: outcome.failure.as_ref().map(|f| f.error.clone()),
        cause: outcome.failure.as_ref().map(|f| f.cause.clone()),
        ..started.clone()
    }
}

/// Starts children through the Step Functions endpoint of the standard environment
/// (`AWS_ENDPOINT_URL_SFN`, `AWS_ENDPOINT_URL`, `AWS_REGION`, ...) with `aws-sdk-sfn`,
/// and follows a `.sync` child by polling `DescribeExecution`.
#[derive(Clone)]
pub struct RemoteLauncher {
    services: Option<Arc<stepwise_runtime::Services>>,
    poll: Duration,
}

impl Default for RemoteLauncher {
    fn default() -> Self {
        RemoteLauncher {
            services: None,
            poll: Duration::from_secs(1),
        }
    }
}

impl RemoteLauncher {
    /// Uses the AWS configuration of `services` (default: the parent's services, or the
    /// process-wide ones).
    pub fn with_services(mut self, services: Arc<stepwise_runtime::Services>) -> Self {
        self.services = Some(services);
        self
    }

    /// Polls `DescribeExecution` every `poll` (default one second) while a `.sync` child
    /// runs.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }
}

/// A Step Functions API error as the Task fails with it.
fn api_failure<E>(operation: &str, err: &aws_sdk_sfn::error::SdkError<E>) -> Failure
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match err.as_service_error() {
        Some(service) => {
            let code = service.code().unwrap_or("UnknownError");
            // Named like the SDK's exception class, as optimized integrations name
            // service errors (`DynamoDB.ConditionalCheckFailedException`).
            let suffix = if code.ends_with("Exception") {
                ""
            } else {
                "Exception"
            };
            Failure::new(
                format!("StepFunctions.{code}{suffix}"),
                format!(
                    "{operation}: {} (Service: Sfn, Error Code: {code})",
                    service.message().unwrap_or("no message")
                ),
            )
        }
        None => Failure::new(
            STATES_TASK_FAILED.as_str(),
            format!(
                "{operation}: the Step Functions endpoint failed: {}",
                aws_smithy_types::error::display::DisplayErrorContext(err)
            ),
        ),
    }
}

/// An SDK date as a chrono one.
fn to_chrono(d: &aws_smithy_types::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(d.to_millis().unwrap_or_default()).unwrap_or_default()
}

/// The JSON of a `DescribeExecution` text field (`Input`, `Output`); text that is not
/// JSON stays a string.
fn parse_text(text: Option<&str>) -> Option<Value> {
    text.map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())))
}

impl Launcher for RemoteLauncher {
    fn start<'a>(
        &'a self,
        request: StartRequest,
        parent: Parent,
    ) -> BoxFuture<'a, Result<Started, Failure>> {
        Box::pin(async move {
            let services = self
                .services
                .clone()
                .or(parent.options.services.clone())
                .unwrap_or_else(stepwise_runtime::Services::shared);
            let client = aws_sdk_sfn::Client::new(services.aws.config().await);
            let started = client
                .start_execution()
                .state_machine_arn(&request.state_machine_arn)
                .input(request.input.to_string())
                .set_name(request.name.clone())
                .send()
                .await
                .map_err(|e| api_failure("StartExecution", &e))?;
            let execution_arn = started.execution_arn().to_string();
            let execution = ChildExecution {
                execution_arn: execution_arn.clone(),
                state_machine_arn: request.state_machine_arn.clone(),
                name: execution_arn
                    .rsplit(':')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                status: "RUNNING".into(),
                start_date: to_chrono(started.start_date()),
                stop_date: None,
                input: request.input,
                output: None,
                error: None,
                cause: None,
                request_id: started.request_id().unwrap_or_default().to_string(),
            };
            let poll = self.poll;
            let request_id = execution.request_id.clone();
            let done: BoxFuture<'static, Result<ChildExecution, Failure>> = Box::pin(async move {
                loop {
                    let d = client
                        .describe_execution()
                        .execution_arn(&execution_arn)
                        .send()
                        .await
                        .map_err(|e| api_failure("DescribeExecution", &e))?;
                    let status = d.status().as_str().to_string();
                    if status != "RUNNING" && status != "PENDING_REDRIVE" {
                        return Ok(ChildExecution {
                            execution_arn: d.execution_arn().to_string(),
                            state_machine_arn: d.state_machine_arn().to_string(),
                            name: d.name().unwrap_or_default().to_string(),
                            status,
                            start_date: to_chrono(d.start_date()),
                            stop_date: d.stop_date().map(to_chrono),
                            input: parse_text(d.input()).unwrap_or_else(|| json!({})),
                            output: parse_text(d.output()),
                            error: d.error().map(str::to_string),
                            cause: d.cause().map(str::to_string),
                            request_id: request_id.clone(),
                        });
                    }
                    tokio::time::sleep(poll).await;
                }
            });
            Ok(Started { execution, done })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_parameters() {
        assert_eq!(Pattern::of(START_EXECUTION), Some(Pattern::RequestResponse));
        assert_eq!(
            Pattern::of("arn:aws:states:::states:startExecution.sync"),
            Some(Pattern::Sync)
        );
        assert_eq!(
            Pattern::of("arn:aws:states:::states:startExecution.sync:2"),
            Some(Pattern::Sync2)
        );
        assert_eq!(
            Pattern::of("arn:aws:states:::aws-sdk:sfn:startExecution"),
            None
        );
        let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Child";
        let r = StartRequest::from_parameters(
            &json!({"StateMachineArn": arn, "Input": "{\"a\":1}", "Name": "n-1"}),
        )
        .unwrap();
        assert_eq!(r.input, json!({"a": 1}));
        assert_eq!(r.state_machine_name(), "Child");
        assert_eq!(machine_name("${Child}"), "Child");
        assert_eq!(machine_name(&format!("{arn}:live")), "Child");
        let err = StartRequest::from_parameters(&json!({"StateMachineArn": arn, "Inptu": {}}))
            .unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert!(err.cause.contains("\"Inptu\""), "{}", err.cause);
        let err = StartRequest::from_parameters(&json!({"Input": {}})).unwrap_err();
        assert!(err.cause.contains("\"StateMachineArn\" is required"));
        let err = StartRequest::from_parameters(&json!({"StateMachineArn": arn, "Name": "a b"}))
            .unwrap_err();
        assert!(err.cause.contains("\"Name\""));
    }

    #[test]
    fn results_are_shaped_as_step_functions_gives_them() {
        let start = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let child = ChildExecution {
            execution_arn: "e".into(),
            state_machine_arn: "sm".into(),
            name: "n".into(),
            status: "SUCCEEDED".into(),
            start_date: start,
            stop_date: Some(start + chrono::Duration::seconds(2)),
            input: json!({"in": 1}),
            output: Some(json!({"out": 2})),
            error: None,
            cause: None,
            request_id: "r-1".into(),
        };
        let started = child.started_result();
        assert_eq!(started["ExecutionArn"], "e");
        assert_eq!(started["StartDate"], 1_700_000_000_000_i64);
        assert_eq!(started["SdkResponseMetadata"], json!({"RequestId": "r-1"}));
        assert_eq!(started["SdkHttpMetadata"]["HttpStatusCode"], 200);
        assert_eq!(
            started["SdkHttpMetadata"]["HttpHeaders"]["Date"],
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
        let sync = child.sync_result(Pattern::Sync);
        assert_eq!(sync["Output"], json!("{\"out\":2}"));
        assert_eq!(sync["Input"], json!("{\"in\":1}"));
        assert_eq!(sync["StopDate"], json!(1_700_000_002_000_i64));
        assert_eq!(
            child.sync_result(Pattern::Sync2)["Output"],
            json!({"out": 2})
        );
        let failed = ChildExecution {
            status: "FAILED".into(),
            output: None,
            error: Some("Boom".into()),
            cause: Some("why".into()),
            ..child
        };
        let f = failed.failure(Pattern::Sync2);
        assert_eq!(f.error, "States.TaskFailed");
        let cause: Value = serde_json::from_str(&f.cause).unwrap();
        assert_eq!(cause["Error"], "Boom");
        assert_eq!(cause["Cause"], "why");
        assert_eq!(cause["Status"], "FAILED");
    }
}
