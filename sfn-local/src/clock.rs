//! Time: real by default, or virtual, where waits and retry backoff are instant but every
//! timestamp (history, `$$`) moves on as if they had happened.
//!
//! Virtual time is kept per path of execution: a Parallel branch or Map iteration
//! carries its own offset, and a join takes the latest of its branches, so two waits of
//! an hour in parallel branches advance the clock by one hour, not two.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// The execution's clock.
#[derive(Debug, Clone)]
pub struct Clock {
    started: Instant,
    started_at: DateTime<Utc>,
    virtual_time: bool,
}

impl Clock {
    /// A clock starting now; `virtual_time` makes sleeps instant.
    pub fn new(virtual_time: bool) -> Self {
        Clock {
            started: Instant::now(),
            started_at: Utc::now(),
            virtual_time,
        }
    }

    /// Whether sleeps are instant.
    pub fn is_virtual(&self) -> bool {
        self.virtual_time
    }

    /// When the execution started.
    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Now, on a path that has skipped `offset` of virtual time.
    pub fn now(&self, offset: Duration) -> DateTime<Utc> {
        let elapsed = self.started.elapsed() + offset;
        self.started_at + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }

    /// Time since the start on a path with `offset`.
    pub fn elapsed(&self, offset: Duration) -> Duration {
        self.started.elapsed() + offset
    }

    /// Waits `d`: really, or by adding it to the path's offset.
    pub async fn sleep(&self, d: Duration, offset: &mut Duration) {
        if self.virtual_time {
            *offset += d;
        } else {
            tokio::time::sleep(d).await;
        }
    }
}
