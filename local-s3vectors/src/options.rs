//! How an endpoint behaves beyond the API: added latency, write limits, injected
//! faults, and the account and region its ARNs name.

use std::time::Duration;

use crate::faults::Faults;
use crate::limits::{WRITE_REQUESTS_PER_SECOND, WRITE_VECTORS_PER_SECOND};
use crate::throttle::WriteLimits;

/// The account id in ARNs (moto's default account, so ARNs compare equal with moto's).
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The region in ARNs.
pub const DEFAULT_REGION: &str = "us-east-1";

/// An endpoint's behaviour. `Options::default()` is the service's documented behaviour
/// with no added latency and no faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Added to every request before it is answered (for benchmarks: a network round
    /// trip and the service's own time).
    pub latency: Duration,
    /// Per-index write limits; the documented 2,500 vectors and 1,000 requests per
    /// second by default.
    pub write_limits: WriteLimits,
    /// Fail a fraction of PutVectors requests (retry tests).
    pub faults: Option<Faults>,
    /// The account id ARNs name.
    pub account_id: String,
    /// The region ARNs name.
    pub region: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            latency: Duration::ZERO,
            write_limits: WriteLimits {
                vectors_per_second: Some(WRITE_VECTORS_PER_SECOND),
                requests_per_second: Some(WRITE_REQUESTS_PER_SECOND),
            },
            faults: None,
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            region: DEFAULT_REGION.to_string(),
        }
    }
}

impl Options {
    /// With `latency` added to every request.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// With at most `vectors` vectors written per second per index (`None`: unlimited).
    pub fn with_write_rate(mut self, vectors: Option<u32>) -> Self {
        self.write_limits.vectors_per_second = vectors;
        self
    }

    /// With at most `requests` write requests per second per index (`None`: unlimited).
    pub fn with_write_requests_rate(mut self, requests: Option<u32>) -> Self {
        self.write_limits.requests_per_second = requests;
        self
    }

    /// With a fraction of PutVectors requests failed.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = Some(faults);
        self
    }
}
