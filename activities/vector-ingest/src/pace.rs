//! Spacing one object's `PutVectors` requests so that the object never writes more than
//! its share of the index's rate in any one-second window.
//!
//! S3 Vectors limits the vectors written per second *per index* (2,500, see
//! [`crate::limits`]). The workflow runs up to `max_concurrency` objects at once and gives
//! each `budget / max_concurrency` (PlanIngest's share). Those objects do not share
//! memory — in AWS each runs in its own Lambda instance — so the only bound that holds
//! there as well as in one local process is per object: if no object ever writes more
//! than its share in *any* one-second window (not merely on average), the concurrent
//! objects together never exceed the budget, whatever their phase.
//!
//! An even spacing of whole batches does that only when the share is a whole number of
//! batches: 500-vector batches at 625 vectors/s start 0.8 s apart, so some one-second
//! windows hold two of them (1,000 vectors) and four objects can put 4,000 into one
//! second. [`Pacing::new`] therefore sizes the batches so that the share is `k` of them
//! (`k = ⌈share / max batch⌉`, batch = `⌊share / k⌋`) and starts them one
//! [`Pacing::interval`] apart, never catching up after a stall (each start is at least
//! one interval after the previous one, not after a fixed schedule), so any window of
//! [`WINDOW_WITH_SLACK`] holds at most `k` starts.
//!
//! That bounds one call. The Map starts a new object (or the Retry a new attempt of the
//! same object) as soon as a call ends, and a call's last requests started up to one
//! interval before it ended; a new call that started its first request at once could put
//! a window at `k + 1` batches for that slot, and four slots at once over the budget.
//! So a call's own start counts as a start: its first request waits one interval after
//! the call began ([`Pacer::new`]), overlapping the download and decode that come first.
//! Any `max_concurrency` calls in flight can be laid out on `max_concurrency` chains
//! where each call begins after the previous one on its chain ended (the Map starts one
//! only when one ends), so every chain's starts are at least one interval apart across
//! calls too, and the bound holds across objects and retries — without the calls
//! knowing of each other, as in AWS.
//!
//! The index counts a request when it arrives, not when it starts; arrival delays vary.
//! A start here is the moment a request *leaves*: [`crate::paced_http`] holds each
//! request, built and signed, until its start, so the SDK's serialising and signing
//! (tens of milliseconds for a batch of 1024-d vectors, more on a loaded machine) are
//! not part of the delay. What remains is the upload and the service's own queueing.
//! `k` starts are spread over 1.1 s rather than 1 s, so a one-second window of
//! *arrivals* still holds at most `k` batches while the delays of an object's requests
//! differ by less than 0.1 s. The cost is that an object writes at `share / 1.1` (about
//! 91 % of its share); a larger delay spread can still meet the index's 429, which the
//! workflow's Retry answers with backoff.

use std::time::Duration;

use tokio::time::Instant;

/// The span over which an object may start its share: one second plus the arrival-delay
/// spread it tolerates.
pub const WINDOW_WITH_SLACK: Duration = Duration::from_millis(1_100);

/// How an object with a rate share sizes and spaces its batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Vectors per request (at most the requested batch size).
    pub batch_size: u32,
    /// The least time between two request starts.
    pub interval: Duration,
}

impl Pacing {
    /// Pacing for a share of `share` vectors per second with at most `max_batch` vectors
    /// per request (both at least 1).
    pub fn new(share: u32, max_batch: u32) -> Pacing {
        let (share, max_batch) = (share.max(1), max_batch.max(1));
        let per_window = share.div_ceil(max_batch);
        Pacing {
            batch_size: share / per_window,
            interval: WINDOW_WITH_SLACK / per_window,
        }
    }

    /// The vectors per second this pacing writes at most, sustained.
    pub fn rate(&self) -> f64 {
        f64::from(self.batch_size) / self.interval.as_secs_f64()
    }
}

/// When the next request may start: one interval after the previous start.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    last: Instant,
}

impl Pacer {
    /// A pacer for a call that began at `began`: its first request may start one interval
    /// after that (see the [module docs](self)).
    pub fn new(pacing: Pacing, began: Instant) -> Pacer {
        Pacer {
            interval: pacing.interval,
            last: began,
        }
    }

    /// Records a start at the earliest time allowed at or after `now` and returns it.
    pub fn next_start(&mut self, now: Instant) -> Instant {
        let at = now.max(self.last + self.interval);
        self.last = at;
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most vectors `pacing` starts in any window of `window`, over `starts` starts
    /// at the given request times (requests ready at those times).
    fn busiest_window(pacing: Pacing, ready: &[Duration], window: Duration) -> u64 {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(pacing, t0);
        let starts: Vec<Instant> = ready.iter().map(|r| pacer.next_start(t0 + *r)).collect();
        most_in_a_window(&starts, window) * u64::from(pacing.batch_size)
    }

    /// The most of `starts` in any window of `window`.
    fn most_in_a_window(starts: &[Instant], window: Duration) -> u64 {
        starts
            .iter()
            .map(|s| {
                starts
                    .iter()
                    .filter(|t| **t >= *s && **t < *s + window)
                    .count() as u64
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn the_first_request_waits_one_interval_after_the_call_began() {
        let pacing = Pacing::new(625, 500);
        let began = Instant::now();
        let mut pacer = Pacer::new(pacing, began);
        // Ready at once (nothing to download): held to one interval after the start.
        assert_eq!(pacer.next_start(began), began + pacing.interval);
        // Ready later than that (a long download): not held at all.
        let mut pacer = Pacer::new(pacing, began);
        let late = began + Duration::from_secs(2);
        assert_eq!(pacer.next_start(late), late);
    }

    #[test]
    fn calls_one_after_another_on_a_slot_stay_within_the_share() {
        // One Map slot: a call is cut short (a 429, or its object ends) right after its
        // last start, and the next call (a retry, or the next object) begins at once with
        // its first batch ready — the case where a pacer that started at once put three
        // batches of 312 into one window.
        let pacing = Pacing::new(625, 500);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        let mut began = t0;
        for call in 0..6u32 {
            let mut pacer = Pacer::new(pacing, began);
            for _ in 0..=(call % 3) {
                starts.push(pacer.next_start(began));
            }
            // The call ends a moment after its last start; the next begins then.
            began = *starts.last().expect("a start") + Duration::from_millis(1);
        }
        let busiest = most_in_a_window(&starts, WINDOW_WITH_SLACK) * u64::from(pacing.batch_size);
        assert!(busiest <= 625, "{busiest} vectors in one window");
        // Four slots like this one together stay within the budget of 2,500.
        assert!(4 * busiest <= 2_500);
    }

    #[test]
    fn the_share_is_a_whole_number_of_batches() {
        // The workflow's default: 2,500 / 4 objects.
        let p = Pacing::new(625, 500);
        assert_eq!(p.batch_size, 312);
        assert_eq!(p.interval, Duration::from_millis(550));
        assert!(p.rate() > 560.0 && p.rate() <= 625.0, "{}", p.rate());
        // A share below one batch: one smaller batch per window.
        let p = Pacing::new(100, 500);
        assert_eq!((p.batch_size, p.interval), (100, WINDOW_WITH_SLACK));
        // A share of exactly one batch, and a large share.
        assert_eq!(Pacing::new(500, 500).batch_size, 500);
        let p = Pacing::new(2_500, 500);
        assert_eq!((p.batch_size, p.interval), (500, WINDOW_WITH_SLACK / 5));
        // Zero is treated as one, never a division by zero.
        assert_eq!(Pacing::new(0, 0).batch_size, 1);
    }

    #[test]
    fn no_window_holds_more_than_the_share_even_after_a_stall() {
        let second = Duration::from_secs(1);
        for (share, max_batch) in [(625, 500), (100, 500), (2_500, 500), (1_000, 300)] {
            let pacing = Pacing::new(share, max_batch);
            // Requests ready in bursts: all at once, then a 3 s stall, then all at once.
            let mut ready = vec![Duration::ZERO; 20];
            ready.extend(vec![Duration::from_secs(3); 20]);
            let busiest = busiest_window(pacing, &ready, second);
            assert!(
                busiest <= u64::from(share),
                "share {share}: {busiest} vectors in one second"
            );
            // And within 1.1 s (the arrival-delay slack) too.
            let busiest = busiest_window(pacing, &ready, WINDOW_WITH_SLACK);
            assert!(busiest <= u64::from(share), "share {share}: {busiest}");
        }
    }

    #[test]
    fn the_old_schedule_would_have_doubled_a_window() {
        // 500-vector batches at 625/s, 0.8 s apart: two in some second — what this module
        // replaces. Kept as the reason for the batch sizing above.
        let naive = Pacing {
            batch_size: 500,
            interval: Duration::from_millis(800),
        };
        let ready = vec![Duration::ZERO; 10];
        assert_eq!(busiest_window(naive, &ready, Duration::from_secs(1)), 1_000);
    }
}
