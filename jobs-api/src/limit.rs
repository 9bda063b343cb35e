//! A token bucket per tenant: `burst` requests at once, refilled at `per_second`. A
//! request with no token left is answered 429.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The limit's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Tokens added per second.
    pub per_second: f64,
    /// The bucket's size.
    pub burst: f64,
}

impl Default for Limit {
    fn default() -> Self {
        Limit {
            per_second: 50.0,
            burst: 100.0,
        }
    }
}

/// Token buckets, one per key.
#[derive(Debug)]
pub struct Limiter {
    limit: Limit,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// Buckets of `limit`.
    pub fn new(limit: Limit) -> Limiter {
        Limiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from `key`'s bucket at `now`; false when it is empty.
    pub fn take_at(&self, key: &str, now: Instant) -> bool {
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (tokens, last) = buckets
            .entry(key.to_string())
            .or_insert((self.limit.burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.limit.per_second).min(self.limit.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes a token from `key`'s bucket now.
    pub fn take(&self, key: &str) -> bool {
        self.take_at(key, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_empties_the_bucket_and_time_refills_it_per_key() {
        let limiter = Limiter::new(Limit {
            per_second: 2.0,
            burst: 3.0,
        });
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.take_at("a", t0)));
        assert!(!limiter.take_at("a", t0));
        assert!(
            limiter.take_at("b", t0),
            "another tenant has its own bucket"
        );
        assert!(limiter.take_at("a", t0 + Duration::from_millis(500)));
        assert!(!limiter.take_at("a", t0 + Duration::from_millis(500)));
    }
}
