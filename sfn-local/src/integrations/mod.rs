//! AWS service integrations: [`ServiceTasks`] runs `arn:aws:states:::<service>:<action>`
//! (optimized) and `arn:aws:states:::aws-sdk:<service>:<action>` Task resources through
//! the official SDK clients, built from the run's [`Services`] SDK configuration (so the
//! standard environment — `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>` — points them
//! at moto locally and at AWS in production), with Step Functions' parameter names,
//! result shapes and error names. Every other resource goes to the fallback runner.
//!
//! One module per service family; [`errors`] owns the error-name mapping, [`params`] the
//! typed decoding of parameters, [`resource`] which integrations exist.

mod clients;
mod document;
mod dynamodb;
mod dynamodb_json;
pub mod errors;
mod lambda;
mod messaging;
mod metadata;
mod params;
pub mod resource;
mod s3;
mod s3vectors;
mod sfn;
mod ssm;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use stepwise_runtime::Services;

use self::clients::Clients;
use self::metadata::HttpMetadata;
use self::resource::{Family, Integration, Parsed, Service};
use crate::failure::Failure;
use crate::tasks::{TaskFuture, TaskRequest, TaskRunner};

/// Runs the AWS service integrations sfn-local knows and passes every other resource to
/// a fallback runner (the registry's, usually).
pub struct ServiceTasks {
    fallback: Arc<dyn TaskRunner>,
    clients: Clients,
    stats: Stats,
}

impl std::fmt::Debug for ServiceTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceTasks").finish_non_exhaustive()
    }
}

/// Time counters of the integration calls of one [`ServiceTasks`].
#[derive(Debug, Default)]
struct Stats {
    calls: AtomicU64,
    total_ns: AtomicU64,
    sdk_ns: AtomicU64,
}

/// What the integration calls of a [`ServiceTasks`] cost so far: how many, their whole
/// time in the runner, and the part spent inside the SDK call (or, for `lambda:invoke`
/// served by the registry, inside the activity). The rest is sfn-local's own overhead:
/// decoding parameters, building the request, shaping the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallStats {
    /// Integration calls served.
    pub calls: u64,
    /// Their whole time in the runner.
    pub total: Duration,
    /// The part inside the SDK call (request, network, service, response parsing).
    pub in_sdk: Duration,
}

impl CallStats {
    /// sfn-local's own time per call: (total − in SDK) / calls.
    pub fn overhead_per_call(&self) -> Duration {
        if self.calls == 0 {
            return Duration::ZERO;
        }
        self.total.saturating_sub(self.in_sdk) / u32::try_from(self.calls).unwrap_or(u32::MAX)
    }
}

impl ServiceTasks {
    /// Serves the integrations with clients from `services`' SDK configuration; every
    /// other resource goes to `fallback`.
    pub fn new(fallback: Arc<dyn TaskRunner>, services: Arc<Services>) -> Self {
        ServiceTasks {
            fallback,
            clients: Clients::new(services),
            stats: Stats::default(),
        }
    }

    /// Sends `lambda:invoke` of functions the fallback does not serve to the Lambda
    /// Invoke endpoint `endpoint` (`http://127.0.0.1:PORT`), before `LAMBDA_ENDPOINT` and
    /// `AWS_ENDPOINT_URL_LAMBDA`.
    pub fn with_lambda_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.clients.set_lambda_endpoint(endpoint.into());
        self
    }

    /// The cost of the integration calls so far.
    pub fn stats(&self) -> CallStats {
        CallStats {
            calls: self.stats.calls.load(Ordering::Relaxed),
            total: Duration::from_nanos(self.stats.total_ns.load(Ordering::Relaxed)),
            in_sdk: Duration::from_nanos(self.stats.sdk_ns.load(Ordering::Relaxed)),
        }
    }

    async fn serve(
        &self,
        integration: Integration,
        request: &TaskRequest,
    ) -> Result<Value, Failure> {
        let call = Call {
            integration,
            request,
            tasks: self,
        };
        match integration.service {
            Service::DynamoDb => dynamodb::run(&call).await,
            Service::Sqs | Service::Sns | Service::EventBridge => messaging::run(&call).await,
            Service::Lambda => lambda::run(&call).await,
            Service::S3 => s3::run(&call).await,
            Service::Ssm => ssm::run(&call).await,
            Service::Sfn => sfn::run(&call).await,
            Service::S3Vectors => s3vectors::run(&call).await,
        }
    }
}

impl TaskRunner for ServiceTasks {
    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        match resource::parse(resource) {
            Parsed::Served(_) => Ok(()),
            Parsed::NotAnIntegration => self.fallback.check(state, resource),
            Parsed::Unsupported(known) => Err(format!(
                "State \"{state}\": resource \"{resource}\" is an AWS service integration sfn-local does not run (it runs {known}), and no mock is configured for it"
            )),
        }
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        match resource::parse(&request.resource) {
            Parsed::Served(integration) => Box::pin(async move {
                let started = Instant::now();
                let result = self.serve(integration, &request).await;
                self.stats.calls.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .total_ns
                    .fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
                result
            }),
            Parsed::NotAnIntegration => self.fallback.run(request),
            Parsed::Unsupported(known) => Box::pin(async move {
                Err(Failure::runtime(format!(
                    "resource \"{}\" is an AWS service integration sfn-local does not run (it runs {known})",
                    request.resource
                )))
            }),
        }
    }

    fn map_items(&self, state: &str) -> Option<TaskFuture<'_>> {
        self.fallback.map_items(state)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// One integration call under way: what the service modules get.
struct Call<'a> {
    integration: Integration,
    request: &'a TaskRequest,
    tasks: &'a ServiceTasks,
}

impl Call<'_> {
    /// The parameters as `T` (`States.Runtime` naming the parameter when they do not fit).
    fn params<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        params::decode(self.integration, &self.request.state, &self.request.input)
    }

    /// `States.Runtime` about the parameters, `detail` naming the one at fault.
    fn invalid(&self, detail: &str) -> Failure {
        params::invalid(
            self.integration,
            &self.request.state,
            &self.request.input,
            detail,
        )
    }

    fn optimized(&self) -> bool {
        self.integration.family == Family::Optimized
    }

    fn clients(&self) -> &Clients {
        &self.tasks.clients
    }

    /// Awaits one SDK call, timing it, and names its error as Step Functions does.
    async fn send<T, E, F>(&self, call: F) -> Result<T, Failure>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let started = Instant::now();
        let result = call.await;
        self.tasks
            .stats
            .sdk_ns
            .fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
        result.map_err(|e| errors::sdk_failure(self.integration, e))
    }

    /// Times work that belongs to the service call (an in-process Lambda, reading a
    /// streamed response body).
    async fn timed<T>(&self, work: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = work.await;
        self.tasks
            .stats
            .sdk_ns
            .fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
        out
    }

    /// The result: `fields`, plus the HTTP metadata for the optimized family.
    fn finish(&self, mut fields: Map<String, Value>, meta: &HttpMetadata) -> Value {
        if self.optimized() {
            meta.add_to(&mut fields);
        }
        Value::Object(fields)
    }
}

/// Inserts `value` under `key` when it is present.
fn put<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v.into());
    }
}

/// A timestamp as Step Functions prints SDK dates (RFC 3339, UTC).
fn date(t: &aws_smithy_types::DateTime) -> Value {
    Value::String(
        t.fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_else(|_| t.secs().to_string()),
    )
}
