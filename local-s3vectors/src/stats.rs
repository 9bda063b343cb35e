//! Counters a test or benchmark reads: requests per operation, vectors written and
//! deleted, writes refused by the rate limit, injected faults, and vectors written in
//! each second since the endpoint started.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The live counters.
#[derive(Debug)]
pub struct Counters {
    started: Instant,
    requests: Mutex<BTreeMap<&'static str, u64>>,
    vectors_written: AtomicU64,
    vectors_deleted: AtomicU64,
    throttled: AtomicU64,
    faults: AtomicU64,
    written_per_second: Mutex<Vec<u64>>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            started: Instant::now(),
            requests: Mutex::default(),
            vectors_written: AtomicU64::new(0),
            vectors_deleted: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            written_per_second: Mutex::default(),
        }
    }
}

impl Counters {
    pub(crate) fn request(&self, operation: &'static str) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(operation)
            .or_insert(0) += 1;
    }

    pub(crate) fn written(&self, n: u64, at: Instant) {
        self.vectors_written.fetch_add(n, Ordering::Relaxed);
        let second = at.saturating_duration_since(self.started).as_secs() as usize;
        let mut per_second = self
            .written_per_second
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if per_second.len() <= second {
            per_second.resize(second + 1, 0);
        }
        per_second[second] += n;
    }

    pub(crate) fn deleted(&self, n: u64) {
        self.vectors_deleted.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn fault(&self) {
        self.faults.fetch_add(1, Ordering::Relaxed);
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> Stats {
        Stats {
            requests: self
                .requests
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(op, n)| (op.to_string(), *n))
                .collect(),
            vectors_written: self.vectors_written.load(Ordering::Relaxed),
            vectors_deleted: self.vectors_deleted.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            faults_injected: self.faults.load(Ordering::Relaxed),
            written_per_second: self
                .written_per_second
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received per operation (`PutVectors`, …), whatever their outcome.
    pub requests: BTreeMap<String, u64>,
    /// Vectors stored by successful PutVectors requests (an overwrite counts again).
    pub vectors_written: u64,
    /// Keys named by successful DeleteVectors requests.
    pub vectors_deleted: u64,
    /// Writes refused with 429 by the per-index write limits.
    pub throttled: u64,
    /// PutVectors requests failed by fault injection.
    pub faults_injected: u64,
    /// Vectors stored in each whole second since the endpoint started (index 0 is the
    /// first second), by the second their request arrived — the moment the write limits
    /// count them at, so no entry exceeds the vectors-per-second limit.
    pub written_per_second: Vec<u64>,
}

impl Stats {
    /// Requests received for `operation` (`"PutVectors"`, …).
    pub fn requests_for(&self, operation: &str) -> u64 {
        self.requests.get(operation).copied().unwrap_or(0)
    }
}
