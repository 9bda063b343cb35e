//! The Lambda runtime adapter: one `bootstrap` binary serves any activity as a Lambda
//! function.
//!
//! [`serve`] reads the function's handler (`_HANDLER`, which CDK sets to the activity's
//! name), checks it names a registered activity — an unknown name fails at init, listing
//! the known ones, and is reported to the Runtime API's `/init/error` — and then answers
//! invocations with `lambda_runtime`. Each payload goes through [`Registry::invoke`], the
//! same serde boundary as in-process runs.
//!
//! # Execution and state names
//!
//! A caller may pass the Step Functions execution and state: when the payload is an object
//! with the reserved key `"__stepwise"` (= [`CALLER_KEY`]), that key is removed before the
//! input is decoded and its `execution` / `state` strings go into the [`Context`] (and the
//! `invocation` log span). A Task's Parameters template passes them like this:
//!
//! ```json
//! { "__stepwise": { "execution.$": "$$.Execution.Id", "state.$": "$$.State.Name" },
//!   "sku.$": "$.sku" }
//! ```
//!
//! Any other content under the key (not an object, a non-string value, an unknown field)
//! fails with `InvalidInput`.
//!
//! # Failures
//!
//! A failed activity is reported with `errorType` = its error name (`Throttled`,
//! `InvalidInput`, `DiscountTooHigh`, …) and `errorMessage` = its cause, which is what
//! Step Functions' Retry and Catch match (`From<ActivityError> for Diagnostic`). A panic
//! inside an activity is caught here and reported as `Permanent` ("activity X panicked:
//! …"), never left as a hung invocation. An activity still running
//! [`DEADLINE_MARGIN`] before the invocation's deadline is stopped and reported as
//! `Transient`, which the workflows' Retry matches; Lambda's own timeout
//! (`Sandbox.Timedout`) would match nothing but `States.ALL`/`States.TaskFailed`.
//!
//! This module must not log payloads (see [`crate::logging`]), must not make AWS calls at
//! init (clients are created on first use), and must not panic on anything the caller
//! sends.

use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use lambda_runtime::{Diagnostic, LambdaEvent, Runtime, service_fn};
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::registry::decode_json;
use crate::{ActivityError, Context, Registry, Services, logging};

/// The reserved payload key carrying the caller's execution and state names.
pub const CALLER_KEY: &str = "__stepwise";

/// The environment variable naming the function's handler: the activity to serve.
pub const HANDLER_ENV: &str = "_HANDLER";
/// How long before Lambda's deadline a still-running activity is stopped with
/// `Transient`: time to report the failure before the runtime kills the function.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// The environment variables `lambda_runtime` needs (it would panic without them).
const RUNTIME_ENV: &[&str] = &[
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// The `errorType` reported to `/init/error` when the handler names no activity (the
/// name Lambda's managed runtimes use for the same mistake).
pub const HANDLER_NOT_FOUND: &str = "Runtime.HandlerNotFound";

/// Why the Lambda runtime could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// `_HANDLER` is not set.
    #[error("{HANDLER_ENV} is not set: set the function's handler to an activity name (known: {})", .known.join(", "))]
    MissingHandler {
        /// The registered activity names.
        known: Vec<&'static str>,
    },
    /// `_HANDLER` names no registered activity.
    #[error("handler \"{handler}\" is not an activity (known: {})", .known.join(", "))]
    UnknownHandler {
        /// The handler as configured.
        handler: String,
        /// The registered activity names.
        known: Vec<&'static str>,
    },
    /// A variable the Lambda execution environment always sets is missing or invalid:
    /// the process does not run under a Lambda Runtime API.
    #[error("{var} is not set or invalid: `serve` runs only under a Lambda Runtime API")]
    NotInLambda {
        /// The variable.
        var: &'static str,
    },
    /// The runtime failed talking to the Runtime API.
    #[error("Lambda runtime failed: {0}")]
    Runtime(#[source] lambda_runtime::Error),
}

impl From<ActivityError> for Diagnostic {
    /// `errorType` = the error name Step Functions matches, `errorMessage` = the cause.
    fn from(error: ActivityError) -> Self {
        Diagnostic {
            error_type: error.name.as_str().to_string(),
            error_message: error.cause,
        }
    }
}

/// The execution and state names a caller passed under [`CALLER_KEY`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caller {
    /// The Step Functions execution (`$$.Execution.Id` or `$$.Execution.Name`).
    #[serde(default)]
    pub execution: Option<String>,
    /// The state that invoked the activity (`$$.State.Name`).
    #[serde(default)]
    pub state: Option<String>,
}

/// Removes [`CALLER_KEY`] from `payload` (when it is an object holding it) and decodes it.
/// A payload without the key gives an empty [`Caller`]; a malformed value fails with
/// `InvalidInput` naming the field (the key is removed either way).
pub fn take_caller(payload: &mut Value) -> Result<Caller, ActivityError> {
    let Some(value) = payload
        .as_object_mut()
        .and_then(|o| o.shift_remove(CALLER_KEY))
    else {
        return Ok(Caller::default());
    };
    decode_json(value).map_err(|e| {
        let field = match e.path {
            Some(path) => format!("{CALLER_KEY}.{path}"),
            None => CALLER_KEY.to_string(),
        };
        ActivityError::invalid_input(format!("input field \"{field}\": {}", e.message))
    })
}

/// One activity served as a Lambda handler, without the runtime: what [`serve`] calls for
/// each invocation (and what tests call directly).
#[derive(Debug, Clone)]
pub struct Handler {
    registry: Registry,
    services: Arc<Services>,
    activity: &'static str,
}

impl Handler {
    /// A handler for the activity called `name` in `registry`; fails with
    /// [`LambdaError::UnknownHandler`] listing the known names.
    pub fn new(
        registry: Registry,
        services: Arc<Services>,
        name: &str,
    ) -> Result<Self, LambdaError> {
        let Some(activity) = registry.names().into_iter().find(|n| *n == name) else {
            return Err(LambdaError::UnknownHandler {
                handler: name.to_string(),
                known: registry.names(),
            });
        };
        Ok(Handler {
            registry,
            services,
            activity,
        })
    }

    /// A handler for the activity named by `_HANDLER`.
    pub fn from_env(registry: Registry, services: Arc<Services>) -> Result<Self, LambdaError> {
        match std::env::var(HANDLER_ENV) {
            Ok(name) if !name.trim().is_empty() => Self::new(registry, services, name.trim()),
            _ => Err(LambdaError::MissingHandler {
                known: registry.names(),
            }),
        }
    }

    /// The activity served.
    pub fn activity(&self) -> &'static str {
        self.activity
    }

    /// Handles one invocation without a deadline; see [`Handler::handle_until`].
    pub async fn handle(
        &self,
        payload: Value,
        request_id: Option<String>,
    ) -> Result<Value, ActivityError> {
        self.handle_until(payload, request_id, None).await
    }

    /// Handles one invocation: takes the caller's names out of `payload`, runs the
    /// activity inside the `invocation` log span, and turns a panic into `Permanent`.
    /// With a `deadline` (Lambda's), an activity still running [`DEADLINE_MARGIN`]
    /// before it is stopped and fails with `Transient`, so the state machine sees a named,
    /// retryable error instead of the runtime killing the function (`Sandbox.Timedout`,
    /// which no Retry on the activity's errors matches).
    pub async fn handle_until(
        &self,
        mut payload: Value,
        request_id: Option<String>,
        deadline: Option<SystemTime>,
    ) -> Result<Value, ActivityError> {
        let mut ctx = Context::new(self.services.clone());
        ctx.request_id = request_id;
        ctx.deadline = deadline;
        let budget = ctx
            .remaining()
            .map(|left| left.saturating_sub(DEADLINE_MARGIN));
        let caller = take_caller(&mut payload);
        if let Ok(caller) = &caller {
            ctx.execution.clone_from(&caller.execution);
            ctx.state.clone_from(&caller.state);
        }
        let name = self.activity;
        logging::logged(name, &ctx, async {
            caller?;
            let invocation = AssertUnwindSafe(self.registry.invoke(name, payload, &ctx)).catch_unwind();
            let outcome = match budget {
                None => invocation.await,
                Some(budget) => match tokio::time::timeout(budget, invocation).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        return Err(ActivityError::transient(format!(
                            "activity {name} was still running {} ms before the function's deadline and was stopped after {} ms; a Retry may run it again",
                            DEADLINE_MARGIN.as_millis(),
                            budget.as_millis()
                        )));
                    }
                },
            };
            match outcome {
                Ok(result) => result,
                Err(panic) => Err(ActivityError::permanent(format!(
                    "activity {name} panicked: {}",
                    panic_message(panic.as_ref())
                ))),
            }
        })
        .await
    }
}

/// The message a panic was raised with.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(message) = panic.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message
    } else {
        "(no message)"
    }
}

/// A failed invocation as handed to `lambda_runtime`. Its `Debug` (which the runtime
/// logs) shows only the error name: the cause goes back to the caller, not to the log.
struct Failure(ActivityError);

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "activity failed with {}", self.0.name)
    }
}

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Self {
        failure.0.into()
    }
}

/// Serves the activity named by `_HANDLER` on the Lambda Runtime API until the runtime
/// stops. Fails before serving anything when the handler names no activity in `registry`
/// (reported to `/init/error` too, so the invocation shows the reason) or when the Lambda
/// environment variables are missing.
pub async fn serve(registry: Registry, services: Arc<Services>) -> Result<(), LambdaError> {
    let handler = match Handler::from_env(registry, services) {
        Ok(handler) => handler,
        Err(e) => {
            report_init_error(HANDLER_NOT_FOUND, &e.to_string()).await;
            return Err(e);
        }
    };
    for var in RUNTIME_ENV {
        if std::env::var(var).map_or(true, |v| v.is_empty()) {
            return Err(LambdaError::NotInLambda { var });
        }
    }
    if std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").is_ok_and(|v| v.parse::<i32>().is_err()) {
        return Err(LambdaError::NotInLambda {
            var: "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        });
    }
    if std::env::var("AWS_LAMBDA_RUNTIME_API").is_ok_and(|v| runtime_api_address(&v).is_none()) {
        return Err(LambdaError::NotInLambda {
            var: "AWS_LAMBDA_RUNTIME_API",
        });
    }
    tracing::debug!(activity = handler.activity(), "serving");
    let handler = Arc::new(handler);
    let service = service_fn(move |event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move {
            let deadline = event.context.deadline();
            handler
                .handle_until(
                    event.payload,
                    Some(event.context.request_id),
                    Some(deadline),
                )
                .await
                .map_err(Failure)
        }
    });
    Runtime::new(service)
        .run()
        .await
        .map_err(LambdaError::Runtime)
}

/// Reports an init failure to the Runtime API's `/init/error` (best effort, bounded by a
/// short timeout), so the invocation that started this environment fails with the reason
/// instead of a bare "runtime exited". Does nothing outside Lambda.
async fn report_init_error(error_type: &str, message: &str) {
    let Some((authority, base_path)) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .as_deref()
        .and_then(runtime_api_address)
        .map(|(a, p)| (a.to_string(), p.to_string()))
    else {
        return;
    };
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string();
    let request = format!(
        "POST {base_path}/2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {authority}\r\n\
         Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: {error_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority.as_str()).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    match tokio::time::timeout(Duration::from_secs(2), exchange).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not report the init error to the Runtime API")
        }
        Err(_) => tracing::warn!("reporting the init error to the Runtime API timed out"),
    }
}

/// Splits `AWS_LAMBDA_RUNTIME_API` into `host:port` and a base path: Lambda sets
/// `host:port`; emulators may set `http://host:port/base`. `None` when there is no
/// authority (or the scheme is not plain HTTP), which `lambda_runtime` could not use.
fn runtime_api_address(api: &str) -> Option<(&str, &str)> {
    let rest = match api.split_once("://") {
        Some(("http", rest)) => rest,
        Some(_) => return None,
        None => api,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    (!authority.is_empty()).then_some((authority, path.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stepwise_contract::ActivityDef;
    use tracing_subscriber::EnvFilter;

    use super::*;
    use crate::Activity;
    use crate::logging::tests::Captured;
    use crate::logging::{Format, subscriber};

    /// Panics on demand.
    struct Boom;

    #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct BoomInput {
        message: String,
    }

    impl ActivityDef for Boom {
        const NAME: &'static str = "Boom";
        type Input = BoomInput;
        type Output = Value;
    }

    impl Activity for Boom {
        async fn run(&self, input: BoomInput, _ctx: &Context) -> Result<Value, ActivityError> {
            tokio::task::yield_now().await;
            panic!("{}", input.message);
        }
    }

    /// Receives a secret and logs everything it holds, at every level.
    struct Secretive;

    #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct SecretiveInput {
        user: String,
        #[serde(deserialize_with = "secret", skip_serializing)]
        #[schemars(with = "String")]
        password: secrecy::SecretString,
    }

    fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<secrecy::SecretString, D::Error> {
        String::deserialize(d).map(Into::into)
    }

    impl ActivityDef for Secretive {
        const NAME: &'static str = "Secretive";
        type Input = SecretiveInput;
        type Output = Value;
    }

    impl Activity for Secretive {
        async fn run(&self, input: SecretiveInput, _ctx: &Context) -> Result<Value, ActivityError> {
            tracing::trace!(?input, "got input");
            tracing::debug!(password = ?input.password, "the password");
            tracing::info!("{input:?}");
            Ok(json!({"user": input.user}))
        }
    }

    /// Sleeps for the given milliseconds, then reports the time it saw left.
    struct Slow;

    #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct SlowInput {
        sleep_ms: u64,
    }

    impl ActivityDef for Slow {
        const NAME: &'static str = "Slow";
        type Input = SlowInput;
        type Output = Value;
    }

    impl Activity for Slow {
        async fn run(&self, input: SlowInput, ctx: &Context) -> Result<Value, ActivityError> {
            let left = ctx.remaining().map(|d| d.as_millis() as u64);
            tokio::time::sleep(Duration::from_millis(input.sleep_ms)).await;
            Ok(json!({"left_ms": left}))
        }
    }

    fn handler(name: &str) -> Handler {
        let registry = crate::testing::registry()
            .with(Boom)
            .with(Secretive)
            .with(Slow);
        Handler::new(registry, Services::from_env(), name).expect("a registered activity")
    }

    #[test]
    fn the_caller_key_is_taken_out_of_the_payload() {
        let mut payload =
            json!({"sku": "A", "__stepwise": {"execution": "arn:exec", "state": "Price"}});
        let caller = take_caller(&mut payload).unwrap();
        assert_eq!(caller.execution.as_deref(), Some("arn:exec"));
        assert_eq!(caller.state.as_deref(), Some("Price"));
        assert_eq!(payload, json!({"sku": "A"}));

        let mut plain = json!({"sku": "A"});
        assert_eq!(take_caller(&mut plain).unwrap(), Caller::default());
        let mut array = json!([1, 2]);
        assert_eq!(take_caller(&mut array).unwrap(), Caller::default());
    }

    #[test]
    fn a_malformed_caller_key_is_invalid_input_naming_the_field() {
        let mut payload = json!({"__stepwise": {"execution": 3}});
        let err = take_caller(&mut payload).unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(
            err.cause
                .starts_with("input field \"__stepwise.execution\""),
            "{}",
            err.cause
        );
        assert_eq!(payload, json!({}));

        let mut typo = json!({"__stepwise": {"excution": "x"}});
        let err = take_caller(&mut typo).unwrap_err();
        assert!(
            err.cause.contains("unknown field \"excution\""),
            "{}",
            err.cause
        );

        let mut scalar = json!({"__stepwise": "x"});
        let err = take_caller(&mut scalar).unwrap_err();
        assert!(
            err.cause.starts_with("input field \"__stepwise\":"),
            "{}",
            err.cause
        );
    }

    #[test]
    fn errors_become_diagnostics_named_for_step_functions() {
        let diagnostic: Diagnostic = ActivityError::throttled("SSM said slow down").into();
        assert_eq!(diagnostic.error_type, "Throttled");
        assert_eq!(diagnostic.error_message, "SSM said slow down");
        let json = serde_json::to_value(&diagnostic).unwrap();
        assert_eq!(
            json,
            json!({"errorType": "Throttled", "errorMessage": "SSM said slow down"})
        );
        let via_failure: Diagnostic = Failure(ActivityError::invalid_input("bad")).into();
        assert_eq!(via_failure.error_type, "InvalidInput");
        assert_eq!(
            format!(
                "{:?}",
                Failure(ActivityError::invalid_input("secret cause"))
            ),
            "activity failed with InvalidInput"
        );
    }

    #[test]
    fn runtime_api_addresses_with_and_without_a_scheme() {
        assert_eq!(
            runtime_api_address("127.0.0.1:9001"),
            Some(("127.0.0.1:9001", ""))
        );
        assert_eq!(
            runtime_api_address("http://127.0.0.1:9000/.rt"),
            Some(("127.0.0.1:9000", "/.rt"))
        );
        assert_eq!(
            runtime_api_address("http://localhost:9000/"),
            Some(("localhost:9000", ""))
        );
        assert_eq!(runtime_api_address("https://x:1"), None);
        assert_eq!(runtime_api_address("http:///path"), None);
        assert_eq!(runtime_api_address(""), None);
    }

    #[test]
    fn unknown_handlers_list_the_known_names() {
        let err =
            Handler::new(crate::testing::registry(), Services::from_env(), "LineTota").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("handler \"LineTota\" is not an activity (known: "),
            "{message}"
        );
        assert!(
            message.contains("LineTotal") && message.contains("Echo"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn invokes_through_the_serde_boundary_without_the_caller_key() {
        let out = handler("LineTotal")
            .handle(
                json!({"sku": "A", "quantity": 2, "unit_price_cents": 100,
                       "__stepwise": {"execution": "e", "state": "s"}}),
                Some("req".into()),
            )
            .await
            .unwrap();
        assert_eq!(
            out,
            json!({"sku": "A", "quantity": 2, "line_total_cents": 200})
        );
    }

    #[tokio::test]
    async fn an_activity_running_into_the_deadline_is_stopped_as_transient() {
        let deadline = SystemTime::now() + DEADLINE_MARGIN + Duration::from_millis(200);
        let started = std::time::Instant::now();
        let err = handler("Slow")
            .handle_until(json!({"sleep_ms": 60_000}), None, Some(deadline))
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "Transient", "{}", err.cause);
        assert!(
            err.cause.starts_with(
                "activity Slow was still running 500 ms before the function's deadline"
            ),
            "{}",
            err.cause
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "stopped at the deadline, not after the sleep"
        );
    }

    #[tokio::test]
    async fn activities_see_the_time_left_and_finish_when_there_is_enough() {
        let deadline = SystemTime::now() + Duration::from_secs(30);
        let out = handler("Slow")
            .handle_until(json!({"sleep_ms": 1}), None, Some(deadline))
            .await
            .unwrap();
        let left = out["left_ms"].as_u64().expect("a deadline was seen");
        assert!((25_000..=30_000).contains(&left), "{left}");
        let without = handler("Slow")
            .handle(json!({"sleep_ms": 1}), None)
            .await
            .unwrap();
        assert_eq!(without["left_ms"], Value::Null);
    }

    #[tokio::test]
    async fn a_panic_is_a_permanent_failure() {
        let err = handler("Boom")
            .handle(json!({"message": "kaboom"}), Some("req".into()))
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "Permanent");
        assert_eq!(err.cause, "activity Boom panicked: kaboom");
    }

    #[tokio::test]
    async fn the_invocation_span_carries_the_ids_and_no_payload_value() {
        let out = Captured::default();
        let _guard = tracing::subscriber::set_default(subscriber(
            Format::Json,
            EnvFilter::new("trace"),
            out.clone(),
        ));
        handler("LineTotal")
            .handle(
                json!({"sku": "SKU-PAYLOAD-7", "quantity": 3, "unit_price_cents": 987_654_321,
                       "__stepwise": {"execution": "arn:aws:states:exec-9", "state": "Price lines"}}),
                Some("req-42".into()),
            )
            .await
            .unwrap();
        let lines = out.json_lines();
        let ours: Vec<&Value> = lines
            .iter()
            .filter(|l| l["span"]["name"] == "invocation")
            .collect();
        assert_eq!(ours.len(), 2, "{lines:?}");
        for line in &ours {
            assert_eq!(line["span"]["request_id"], "req-42");
            assert_eq!(line["span"]["activity"], "LineTotal");
            assert_eq!(line["span"]["execution"], "arn:aws:states:exec-9");
            assert_eq!(line["span"]["state"], "Price lines");
        }
        assert_eq!(ours[1]["outcome"], "ok");
        let text = out.text();
        for value in ["SKU-PAYLOAD-7", "quantity", "987654321", "2962962963"] {
            assert!(!text.contains(value), "{value} leaked into {text}");
        }
    }

    #[tokio::test]
    async fn a_secret_never_reaches_the_log_even_at_trace() {
        const SECRET: &str = "hunter2-Zq9#xV";
        let out = Captured::default();
        let _guard = tracing::subscriber::set_default(subscriber(
            Format::Json,
            EnvFilter::new("trace"),
            out.clone(),
        ));
        let ok = handler("Secretive")
            .handle(
                json!({"user": "alice", "password": SECRET}),
                Some("req".into()),
            )
            .await
            .unwrap();
        assert_eq!(ok, json!({"user": "alice"}));
        // A failing decode of the same payload (unknown field) must not leak it either.
        let _ = handler("Secretive")
            .handle(json!({"user": "bob", "password": SECRET, "extra": 1}), None)
            .await
            .unwrap_err();
        let text = out.text();
        assert!(
            text.contains("got input"),
            "the activity's TRACE line is captured: {text}"
        );
        assert!(
            text.contains("[REDACTED"),
            "secrecy redacts in Debug: {text}"
        );
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
        assert!(
            !text.contains("hunter2"),
            "part of the secret leaked: {text}"
        );
    }
}
