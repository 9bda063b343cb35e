//! What an invocation knows about where it runs, and the shared services it may use.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::aws::Aws;
use crate::params::ParameterCache;

/// Process-wide services: the AWS context (and, through it, every client) and the
/// parameter cache. Create one per process and share it across invocations, so warm
/// invocations reuse clients and cached parameters.
#[derive(Debug, Default)]
pub struct Services {
    /// AWS configuration and clients.
    pub aws: Aws,
    /// SSM parameters, cached for a time to live.
    pub params: ParameterCache,
}

impl Services {
    /// Services configured from the standard environment.
    pub fn from_env() -> Arc<Self> {
        Self::with_aws(Aws::from_env())
    }

    /// Services on a given AWS context (tests, tools that already have a configuration),
    /// with a parameter cache of the default TTL.
    pub fn with_aws(aws: Aws) -> Arc<Self> {
        Arc::new(Services {
            aws,
            params: ParameterCache::new(),
        })
    }

    /// The process-wide services configured from the standard environment.
    pub fn shared() -> Arc<Self> {
        static SHARED: OnceLock<Arc<Services>> = OnceLock::new();
        SHARED.get_or_init(Services::from_env).clone()
    }
}

/// The invocation context passed to [`crate::Activity::run`]: the request id, the Step
/// Functions execution and state names when the caller passes them, the invocation's
/// deadline under Lambda, and the shared services.
#[derive(Debug, Clone)]
pub struct Context {
    /// The runtime's request id (Lambda's `awsRequestId`, or a local id).
    pub request_id: Option<String>,
    /// The Step Functions execution name or ARN.
    pub execution: Option<String>,
    /// The state that invoked the activity.
    pub state: Option<String>,
    /// When the runtime stops the invocation (Lambda's deadline); `None` locally.
    pub deadline: Option<SystemTime>,
    services: Arc<Services>,
}

impl Default for Context {
    /// A context on the process-wide services from the environment.
    fn default() -> Self {
        Context::new(Services::shared())
    }
}

impl Context {
    /// A context on `services`.
    pub fn new(services: Arc<Services>) -> Self {
        Context {
            request_id: None,
            execution: None,
            state: None,
            deadline: None,
            services,
        }
    }

    /// The time left before [`Context::deadline`] (zero once it has passed); `None`
    /// without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| {
            d.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        })
    }

    /// The AWS clients.
    pub fn aws(&self) -> &Aws {
        &self.services.aws
    }

    /// The parameter cache: `ctx.params().get(ctx.aws(), name)`.
    pub fn params(&self) -> &ParameterCache {
        &self.services.params
    }

    /// The shared services.
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }
}
