//! Time: real by default, or virtual, where waits and retry backoff are instant but every
//! timestamp (history, `$$`) moves on as if they had happened.
//!
//! Virtual time is kept per path of execution: a Parallel branch or Map iteration
//! carries its own offset, and a join takes the latest of its branches, so two waits of
//! an hour in parallel branches advance the clock by one hour, not two.
//!
//! Time is bounded by the execution's lifetime (Step Functions: a Standard execution
//! lasts at most one year, an Express one five minutes, or less with the machine's
//! `TimeoutSeconds`). A wait or backoff that would outlast it stops the clock at the
//! deadline and reports [`Expired`], and the executor times the execution out; so no
//! offset or timestamp can overflow, whatever a definition or input asks for.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// The longest a Standard execution may run: one year.
pub const STANDARD_MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);
/// The longest an Express execution may run: five minutes.
pub const EXPRESS_MAX_DURATION: Duration = Duration::from_secs(5 * 60);

/// A wait that would outlast the execution: the clock stopped at its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// The execution's lifetime.
    pub lifetime: Duration,
}

/// The execution's clock.
#[derive(Debug, Clone)]
pub struct Clock {
    started: Instant,
    started_at: DateTime<Utc>,
    virtual_time: bool,
    lifetime: Duration,
}

impl Clock {
    /// A clock starting now, for an execution that may last `lifetime`; `virtual_time`
    /// makes sleeps instant.
    pub fn new(virtual_time: bool, lifetime: Duration) -> Self {
        Self::starting_at(virtual_time, lifetime, None)
    }

    /// [`Clock::new`], with the start time `at` instead of now when given (a child
    /// execution continues its parent's virtual clock).
    pub fn starting_at(virtual_time: bool, lifetime: Duration, at: Option<DateTime<Utc>>) -> Self {
        Clock {
            started: Instant::now(),
            started_at: at.unwrap_or_else(Utc::now),
            virtual_time,
            lifetime,
        }
    }

    /// Whether sleeps are instant.
    pub fn is_virtual(&self) -> bool {
        self.virtual_time
    }

    /// How long the execution may last.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// When the execution started.
    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Now, on a path that has skipped `offset` of virtual time (saturating at the end
    /// of representable time, which a bounded lifetime never reaches).
    pub fn now(&self, offset: Duration) -> DateTime<Utc> {
        chrono::Duration::from_std(self.elapsed(offset))
            .ok()
            .and_then(|d| self.started_at.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Time since the start on a path with `offset`.
    pub fn elapsed(&self, offset: Duration) -> Duration {
        self.started.elapsed().saturating_add(offset)
    }

    /// Whether a path with `offset` has outlived the execution.
    pub fn expired(&self, offset: Duration) -> bool {
        self.elapsed(offset) > self.lifetime
    }

    /// Waits `d`: really, or by adding it to the path's offset. A wait past the
    /// execution's lifetime, or past `deadline` (the elapsed time by which the path's
    /// own child execution must end), waits only until just after it and returns
    /// [`Expired`].
    pub async fn sleep(
        &self,
        d: Duration,
        offset: &mut Duration,
        deadline: Option<Duration>,
    ) -> Result<(), Expired> {
        let end = deadline.map_or(self.lifetime, |d| d.min(self.lifetime));
        let remaining = end.saturating_sub(self.elapsed(*offset));
        let (wait, result) = if d > remaining {
            // Just past the deadline, so the path is seen as expired.
            (
                remaining.saturating_add(Duration::from_millis(1)),
                Err(Expired {
                    lifetime: self.lifetime,
                }),
            )
        } else {
            (d, Ok(()))
        };
        if self.virtual_time {
            *offset = offset.saturating_add(wait);
        } else {
            tokio::time::sleep(wait).await;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_stop_at_the_deadline_and_time_never_overflows() {
        let clock = Clock::new(true, STANDARD_MAX_DURATION);
        let mut offset = Duration::ZERO;
        assert_eq!(
            clock
                .sleep(Duration::from_secs(3600), &mut offset, None)
                .await,
            Ok(())
        );
        assert_eq!(offset, Duration::from_secs(3600));
        let expired = clock.sleep(Duration::MAX, &mut offset, None).await;
        assert_eq!(
            expired,
            Err(Expired {
                lifetime: STANDARD_MAX_DURATION
            })
        );
        assert!(clock.expired(offset));
        assert!(offset < STANDARD_MAX_DURATION + Duration::from_secs(1));
        // Again and again: the offset stays just past the deadline.
        for _ in 0..1000 {
            assert!(clock.sleep(Duration::MAX, &mut offset, None).await.is_err());
        }
        assert!(offset < STANDARD_MAX_DURATION + Duration::from_secs(2));
        assert!(clock.now(offset) > clock.started_at());
        assert_eq!(clock.now(Duration::MAX), DateTime::<Utc>::MAX_UTC);
    }
}
