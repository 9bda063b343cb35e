//! What an invocation knows about where it runs, and the shared services it may use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::ActivityError;
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
    /// Set when the runtime is about to stop the invocation: long work checks it between
    /// chunks and winds down (aborting uploads) instead of running on.
    pub cancellation: Cancellation,
    services: Arc<Services>,
}

/// A cancellation signal shared by a runtime and the activity it runs. Cheap to clone
/// (clones share the signal) and readable from blocking threads.
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<AtomicBool>);

impl Cancellation {
    /// A signal not yet raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the signal.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the signal is raised.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// The flag itself, for code that knows no `Context` (an encoder on a blocking
    /// thread): it stops when the flag is set.
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }

    /// `Transient` naming `what` was stopped, when the signal is raised: for
    /// `ctx.cancellation.check("writing the manifest")?` between chunks.
    pub fn check(&self, what: &str) -> Result<(), ActivityError> {
        if self.is_cancelled() {
            Err(ActivityError::transient(format!(
                "stopped {what}: the invocation's deadline is near; a Retry may run it again"
            )))
        } else {
            Ok(())
        }
    }
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
            cancellation: Cancellation::new(),
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
