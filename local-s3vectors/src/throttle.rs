//! The per-index write limits: vectors written (inserted or deleted) and write requests
//! (PutVectors and DeleteVectors) in any one-second window, answered like the service
//! with 429 `TooManyRequestsException`.
//!
//! The window slides: a write is admitted only if, with it, the writes of the last
//! second stay within the limit, so no second (aligned anywhere) ever holds more than
//! the limit. Refused writes do not count. A batch larger than the vectors-per-second
//! limit can never be admitted (it is refused every time: set the limit to at least
//! the batch size).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(1);

/// The limits, `None` meaning unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteLimits {
    /// Vectors inserted or deleted per second per index.
    pub vectors_per_second: Option<u32>,
    /// PutVectors and DeleteVectors requests per second per index.
    pub requests_per_second: Option<u32>,
}

#[derive(Debug, Default)]
struct Window {
    /// Admitted writes: when, how many vectors.
    writes: VecDeque<(Instant, u32)>,
    vectors: u64,
}

impl Window {
    fn expire(&mut self, now: Instant) {
        while let Some(&(at, n)) = self.writes.front() {
            if now.duration_since(at) < WINDOW {
                break;
            }
            self.writes.pop_front();
            self.vectors -= u64::from(n);
        }
    }
}

/// Admits or refuses writes per index.
#[derive(Debug)]
pub struct WriteLimiter {
    limits: WriteLimits,
    windows: Mutex<HashMap<String, Window>>,
}

impl WriteLimiter {
    /// A limiter enforcing `limits`.
    pub fn new(limits: WriteLimits) -> Self {
        WriteLimiter {
            limits,
            windows: Mutex::default(),
        }
    }

    /// The limits enforced.
    pub fn limits(&self) -> WriteLimits {
        self.limits
    }

    /// Admits a write of `vectors` vectors to index `index` at `now`, or refuses it with
    /// `TooManyRequestsException`.
    pub fn admit(&self, index: &str, vectors: u32, now: Instant) -> Result<(), ApiError> {
        if self.limits.vectors_per_second.is_none() && self.limits.requests_per_second.is_none() {
            return Ok(());
        }
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.entry(index.to_string()).or_default();
        window.expire(now);
        if let Some(limit) = self.limits.requests_per_second
            && window.writes.len() as u64 >= u64::from(limit)
        {
            return Err(ApiError::too_many_requests(format!(
                "write request rate exceeded for index: at most {limit} PutVectors and DeleteVectors requests per second; retry with backoff"
            )));
        }
        if let Some(limit) = self.limits.vectors_per_second
            && window.vectors + u64::from(vectors) > u64::from(limit)
        {
            return Err(ApiError::too_many_requests(format!(
                "write rate exceeded for index: {} vectors written in the last second, {vectors} more requested, at most {limit} per second; retry with backoff",
                window.vectors
            )));
        }
        window.writes.push_back((now, vectors));
        window.vectors += u64::from(vectors);
        Ok(())
    }

    /// Forgets an index's window (it was deleted).
    pub fn forget(&self, index: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_per_second_slide_with_the_window() {
        let limiter = WriteLimiter::new(WriteLimits {
            vectors_per_second: Some(1000),
            requests_per_second: None,
        });
        let t0 = Instant::now();
        limiter.admit("i", 500, t0).unwrap();
        limiter
            .admit("i", 500, t0 + Duration::from_millis(400))
            .unwrap();
        let err = limiter
            .admit("i", 1, t0 + Duration::from_millis(999))
            .unwrap_err();
        assert_eq!(err.code, "TooManyRequestsException");
        assert_eq!(err.status.as_u16(), 429);
        // Another index has its own window.
        limiter.admit("j", 500, t0).unwrap();
        // The first batch leaves the window after a second; the refused one never counted.
        limiter
            .admit("i", 500, t0 + Duration::from_millis(1000))
            .unwrap();
        assert!(
            limiter
                .admit("i", 1, t0 + Duration::from_millis(1300))
                .is_err()
        );
        limiter
            .admit("i", 500, t0 + Duration::from_millis(1400))
            .unwrap();
    }

    #[test]
    fn requests_per_second_are_limited_too_and_none_is_unlimited() {
        let limiter = WriteLimiter::new(WriteLimits {
            vectors_per_second: None,
            requests_per_second: Some(3),
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.admit("i", 1, t0).unwrap();
        }
        assert!(limiter.admit("i", 1, t0).is_err());
        let free = WriteLimiter::new(WriteLimits {
            vectors_per_second: None,
            requests_per_second: None,
        });
        for _ in 0..10_000 {
            free.admit("i", 500, t0).unwrap();
        }
    }
}
