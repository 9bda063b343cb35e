//! The per-index write limits: vectors written (inserted or deleted) and write requests
//! (PutVectors and DeleteVectors) in any one-second window, answered like the service
//! with 429 `TooManyRequestsException`.
//!
//! A write counts at the moment its request *arrived* (the server passes it in), as the
//! service counts it — not when a busy handler got round to it, which would move writes
//! between seconds by the handler's own, load-dependent delay. Requests are handled
//! concurrently, so writes are admitted out of arrival order: a write is admitted only if
//! every one-second window (aligned anywhere) that contains its arrival stays within the
//! limits with it, counting every write admitted so far whatever its arrival. So no
//! window ever holds more than the limits, whatever the admission order. Refused writes
//! do not count. A batch larger than the vectors-per-second limit can never be admitted
//! (it is refused every time: set the limit to at least the batch size).
//!
//! Arrivals are kept for [`LATE`] plus one second behind the newest one seen; a write
//! whose arrival is older than [`LATE`] behind the newest (a handler stalled that long)
//! counts at that bound instead, so the check stays exact for the moment it is counted
//! at, which [`WriteLimiter::admit`] returns.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(1);

/// How far behind the newest arrival a write may be admitted at its own arrival.
pub const LATE: Duration = Duration::from_secs(10);

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
    /// Admitted writes in arrival order: when, how many vectors.
    writes: VecDeque<(Instant, u32)>,
    /// The newest arrival seen.
    newest: Option<Instant>,
}

impl Window {
    /// The moment a write that arrived at `arrived` counts at: its arrival, or [`LATE`]
    /// behind the newest arrival seen if it is older. Forgets writes no window containing
    /// such a moment can hold.
    fn count_at(&mut self, arrived: Instant) -> Instant {
        let newest = self.newest.map_or(arrived, |n| n.max(arrived));
        self.newest = Some(newest);
        let Some(bound) = newest.checked_sub(LATE) else {
            return arrived;
        };
        if let Some(forget_before) = bound.checked_sub(WINDOW) {
            while self
                .writes
                .front()
                .is_some_and(|(at, _)| *at < forget_before)
            {
                self.writes.pop_front();
            }
        }
        arrived.max(bound)
    }

    /// The most requests and the most vectors admitted in any one-second window that
    /// contains `at` (each maximised on its own).
    fn busiest_around(&self, at: Instant) -> (u64, u64) {
        // A window [s, s + 1 s) contains `at` when at - 1 s < s <= at. Sliding a window
        // right loses nothing until its start passes a write, so the busiest one starts
        // at a write in that range or at `at` itself.
        let from = match at.checked_sub(WINDOW) {
            Some(earliest) => self.writes.partition_point(|(w, _)| *w <= earliest),
            None => 0,
        };
        let starts = self
            .writes
            .range(from..)
            .map(|(w, _)| *w)
            .take_while(|w| *w <= at)
            .chain(std::iter::once(at));
        let (mut requests, mut vectors) = (0u64, 0u64);
        // Two pointers: writes[first..end] are the ones in [start, start + 1 s).
        let (mut first, mut end) = (from, from);
        let (mut in_requests, mut in_vectors) = (0u64, 0u64);
        for start in starts {
            while first < end && self.writes[first].0 < start {
                in_requests -= 1;
                in_vectors -= u64::from(self.writes[first].1);
                first += 1;
            }
            if first == end {
                // Nothing counted yet for this start: skip writes before it.
                while end < self.writes.len() && self.writes[end].0 < start {
                    end += 1;
                }
                first = end;
            }
            while end < self.writes.len() && self.writes[end].0 < start + WINDOW {
                in_requests += 1;
                in_vectors += u64::from(self.writes[end].1);
                end += 1;
            }
            requests = requests.max(in_requests);
            vectors = vectors.max(in_vectors);
        }
        (requests, vectors)
    }

    fn insert(&mut self, at: Instant, vectors: u32) {
        let position = self.writes.partition_point(|(w, _)| *w <= at);
        self.writes.insert(position, (at, vectors));
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

    /// Admits a write of `vectors` vectors to index `index` whose request arrived at
    /// `arrived`, returning the moment it counts at (its arrival unless that is more
    /// than [`LATE`] behind the newest arrival), or refuses it with
    /// `TooManyRequestsException`.
    pub fn admit(&self, index: &str, vectors: u32, arrived: Instant) -> Result<Instant, ApiError> {
        if self.limits.vectors_per_second.is_none() && self.limits.requests_per_second.is_none() {
            return Ok(arrived);
        }
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.entry(index.to_string()).or_default();
        let at = window.count_at(arrived);
        let (requests, written) = window.busiest_around(at);
        if let Some(limit) = self.limits.requests_per_second
            && requests >= u64::from(limit)
        {
            return Err(ApiError::too_many_requests(format!(
                "write request rate exceeded for index: at most {limit} PutVectors and DeleteVectors requests per second; retry with backoff"
            )));
        }
        if let Some(limit) = self.limits.vectors_per_second
            && written + u64::from(vectors) > u64::from(limit)
        {
            return Err(ApiError::too_many_requests(format!(
                "write rate exceeded for index: {written} vectors written in a second with this request's arrival, {vectors} more requested, at most {limit} per second; retry with backoff"
            )));
        }
        window.insert(at, vectors);
        Ok(at)
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

    /// The most requests and vectors in any one-second window of `admitted`.
    fn busiest(admitted: &[(Instant, u32)]) -> (usize, u64) {
        admitted
            .iter()
            .map(|(start, _)| {
                let within: Vec<u32> = admitted
                    .iter()
                    .filter(|(at, _)| *at >= *start && *at < *start + WINDOW)
                    .map(|(_, n)| *n)
                    .collect();
                (within.len(), within.iter().copied().map(u64::from).sum())
            })
            .fold((0, 0), |(r, v), (r2, v2)| (r.max(r2), v.max(v2)))
    }

    #[test]
    fn a_write_admitted_after_a_later_arrival_is_checked_against_the_later_one() {
        let limiter = WriteLimiter::new(WriteLimits {
            vectors_per_second: Some(1000),
            requests_per_second: None,
        });
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        // 600 arrive at 1.5 s and are admitted first; 600 that arrived at 0.8 s are
        // handled later. Checking only the second before 0.8 s would admit them and put
        // 1,200 into [0.8 s, 1.8 s).
        assert_eq!(limiter.admit("i", 600, ms(1500)).unwrap(), ms(1500));
        let err = limiter.admit("i", 600, ms(800)).unwrap_err();
        assert_eq!(err.code, "TooManyRequestsException");
        // 400 at 0.8 s fit: [0.8, 1.8) holds 1,000.
        assert_eq!(limiter.admit("i", 400, ms(800)).unwrap(), ms(800));
        // At 0.2 s: 1,000 would make [0.2 s, 1.2 s) hold 1,400, so refused; 600 make
        // exactly 1,000 there.
        assert!(limiter.admit("i", 1000, ms(200)).is_err());
        limiter.admit("i", 600, ms(200)).unwrap();
        let admitted = [(ms(1500), 600), (ms(800), 400), (ms(200), 600)];
        assert_eq!(busiest(&admitted).1, 1000);
    }

    #[test]
    fn out_of_order_arrivals_never_put_a_window_over_the_limits() {
        let limits = WriteLimits {
            vectors_per_second: Some(2_500),
            requests_per_second: Some(9),
        };
        // A small deterministic generator (no dependency): arrivals 0-40 ms apart, each
        // handled after a delay of 0-600 ms, so admissions come in a shuffled order.
        let mut seed: u64 = 0x5eed;
        let mut next = move |below: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % below
        };
        for round in 0..20 {
            let limiter = WriteLimiter::new(limits);
            let t0 = Instant::now();
            let mut requests: Vec<(Instant, Instant, u32)> = Vec::new();
            let mut arrival = t0;
            for _ in 0..400 {
                arrival += Duration::from_millis(next(40));
                let handled = arrival + Duration::from_millis(next(600));
                requests.push((handled, arrival, 100 + next(401) as u32));
            }
            requests.sort_by_key(|(handled, _, _)| *handled);
            let mut admitted = Vec::new();
            let mut refused = 0;
            for (_, arrival, vectors) in requests {
                match limiter.admit("i", vectors, arrival) {
                    Ok(at) => {
                        assert_eq!(at, arrival, "within LATE a write counts at its arrival");
                        admitted.push((at, vectors));
                    }
                    Err(_) => refused += 1,
                }
            }
            let (most_requests, most_vectors) = busiest(&admitted);
            assert!(
                most_requests <= 9,
                "round {round}: {most_requests} requests"
            );
            assert!(
                most_vectors <= 2_500,
                "round {round}: {most_vectors} vectors"
            );
            // The offered load (about 15,000 vectors/s) is far over the limit: the
            // limiter refused many and still admitted a good share.
            assert!(refused > 0 && admitted.len() > 50, "round {round}");
        }
    }

    #[test]
    fn an_arrival_older_than_late_counts_at_the_bound() {
        let limiter = WriteLimiter::new(WriteLimits {
            vectors_per_second: Some(1000),
            requests_per_second: None,
        });
        let t0 = Instant::now();
        let newest = t0 + LATE + Duration::from_secs(5);
        limiter.admit("i", 100, newest).unwrap();
        // Arrived 15 s before the newest: counted 10 s before it, and checked there.
        let at = limiter.admit("i", 900, t0).unwrap();
        assert_eq!(at, newest - LATE);
        assert!(limiter.admit("i", 200, t0).is_err());
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
