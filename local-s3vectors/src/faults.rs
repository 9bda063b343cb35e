//! Fault injection for retry tests: a chosen fraction of PutVectors requests is
//! answered with 429 `TooManyRequestsException` or 503 `ServiceUnavailableException`
//! before anything is written.
//!
//! Which requests fail is decided per request number (the n-th PutVectors the endpoint
//! receives) by a seeded hash, so a run with the same seed and request order fails the
//! same requests, and failures can come in a row (a retry may fail again).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::ApiError;

/// The error a failed request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 `TooManyRequestsException` (throttling).
    TooManyRequests,
    /// 503 `ServiceUnavailableException` (S3's "SlowDown").
    ServiceUnavailable,
}

impl FaultKind {
    fn error(self) -> ApiError {
        match self {
            FaultKind::TooManyRequests => ApiError::too_many_requests(
                "injected fault: request rate exceeded; retry with backoff",
            ),
            FaultKind::ServiceUnavailable => ApiError::service_unavailable(
                "injected fault: please reduce your request rate (SlowDown); retry with backoff",
            ),
        }
    }
}

/// Which PutVectors requests fail and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// The fraction of requests failed, 0.0 to 1.0.
    pub fraction: f64,
    /// How they fail.
    pub kind: FaultKind,
    /// The seed choosing which requests fail.
    pub seed: u64,
}

/// Decides, request by request.
#[derive(Debug)]
pub struct FaultInjector {
    faults: Option<Faults>,
    seen: AtomicU64,
}

impl FaultInjector {
    /// An injector for `faults` (`None` injects nothing).
    pub fn new(faults: Option<Faults>) -> Self {
        FaultInjector {
            faults,
            seen: AtomicU64::new(0),
        }
    }

    /// The error for the next PutVectors request, if it is to fail.
    pub fn next(&self) -> Option<ApiError> {
        let faults = self.faults?;
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        // The top 53 bits of a splitmix64 hash, as a uniform number in [0, 1).
        let unit = (splitmix64(faults.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 11) as f64
            / (1u64 << 53) as f64;
        (unit < faults.fraction).then(|| faults.kind.error())
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_the_fraction_fails_with_the_chosen_error() {
        let injector = FaultInjector::new(Some(Faults {
            fraction: 0.3,
            kind: FaultKind::ServiceUnavailable,
            seed: 7,
        }));
        let failed: Vec<ApiError> = (0..10_000).filter_map(|_| injector.next()).collect();
        assert!((2_800..3_200).contains(&failed.len()), "{}", failed.len());
        assert!(
            failed
                .iter()
                .all(|e| e.status.as_u16() == 503 && e.code == "ServiceUnavailableException")
        );
        assert!(FaultInjector::new(None).next().is_none());
        let never = FaultInjector::new(Some(Faults {
            fraction: 0.0,
            kind: FaultKind::TooManyRequests,
            seed: 1,
        }));
        assert!((0..1000).all(|_| never.next().is_none()));
    }
}
