//! Live counters of distributed Map runs ([`MapRuns`]): per Map Run, its status, dates,
//! settings and the item and child-execution counts Step Functions' `DescribeMapRun`
//! answers with, updated by the executor as the children start and end, readable while
//! the execution runs — and a record of each child execution ([`children`]).

mod children;

pub use children::{ChildStatus, KEPT_PAYLOAD_BUDGET, MapRunChild};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use codegen::errors::STATES_TIMEOUT;
use serde_json::Value;

use crate::failure::Failure;
use crate::history::History;

/// The status of a Map Run, as `DescribeMapRun` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRunStatus {
    /// Its children are running.
    Running,
    /// It ended without exceeding its failure tolerance.
    Succeeded,
    /// Too many children failed, or a terminal error stopped it.
    Failed,
    /// The execution was stopped while it ran.
    Aborted,
}

impl MapRunStatus {
    /// `RUNNING`, `SUCCEEDED`, `FAILED` or `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            MapRunStatus::Running => "RUNNING",
            MapRunStatus::Succeeded => "SUCCEEDED",
            MapRunStatus::Failed => "FAILED",
            MapRunStatus::Aborted => "ABORTED",
        }
    }
}

/// Counts of items or of child executions, in `DescribeMapRun`'s fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapRunCounts {
    /// Not started yet.
    pub pending: u64,
    /// Running.
    pub running: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed (a timeout is counted under `timed_out` instead).
    pub failed: u64,
    /// Timed out (`States.Timeout`).
    pub timed_out: u64,
    /// Never run, or stopped, because the run ended early or was aborted.
    pub aborted: u64,
    /// All of them.
    pub total: u64,
    /// Whose results a ResultWriter wrote.
    pub results_written: u64,
    /// Failed ones that cannot be redriven: those of a Map Run that succeeded within
    /// its tolerated failures (a redrive of the execution runs the unsuccessful children
    /// of a failed or aborted Map Run again).
    pub failures_not_redrivable: u64,
    /// Of the pending ones, those a redrive put back and that have not started again.
    pub pending_redrive: u64,
}

/// How one child execution ended, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChildEnd {
    /// It succeeded.
    Succeeded,
    /// It failed.
    Failed,
    /// It timed out.
    TimedOut,
}

/// A snapshot of one Map Run.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRun {
    /// Its ARN (`arn:…:mapRun:<machine>/<state>:<id>`, as in the `MapRunStarted` event).
    pub map_run_arn: String,
    /// The execution it belongs to.
    pub execution_arn: String,
    /// Its status.
    pub status: MapRunStatus,
    /// When it started (on the execution's clock).
    pub start_date: DateTime<Utc>,
    /// When it ended.
    pub stop_date: Option<DateTime<Utc>>,
    /// The children that may run at once (0: no limit).
    pub max_concurrency: u64,
    /// `ToleratedFailurePercentage` (0 when not set).
    pub tolerated_failure_percentage: f64,
    /// `ToleratedFailureCount` (0 when not set).
    pub tolerated_failure_count: u64,
    /// The items' counts.
    pub item_counts: MapRunCounts,
    /// The child executions' counts (one per batch under an ItemBatcher).
    pub execution_counts: MapRunCounts,
    /// How often a redrive of its execution went on with this Map Run.
    pub redrive_count: u32,
    /// When the last redrive started it again.
    pub redrive_date: Option<DateTime<Utc>>,
}

impl MapRun {
    /// This run as its execution's stop leaves it: still running, it becomes `ABORTED`
    /// at `at`, with its pending and running children counted as aborted.
    pub fn stopped_at(mut self, at: DateTime<Utc>) -> MapRun {
        if self.status != MapRunStatus::Running {
            return self;
        }
        self.status = MapRunStatus::Aborted;
        self.stop_date = Some(at);
        for c in [&mut self.item_counts, &mut self.execution_counts] {
            c.aborted += c.pending + c.running;
            c.pending = 0;
            c.pending_redrive = 0;
            c.running = 0;
        }
        self
    }
}

/// The settings a Map Run starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRunStart {
    /// Its ARN.
    pub map_run_arn: String,
    /// The execution it belongs to.
    pub execution_arn: String,
    /// When it started.
    pub start_date: DateTime<Utc>,
    /// `MaxConcurrency` (0: no limit).
    pub max_concurrency: u64,
    /// `ToleratedFailurePercentage` (0 when not set).
    pub tolerated_failure_percentage: f64,
    /// `ToleratedFailureCount` (0 when not set).
    pub tolerated_failure_count: u64,
    /// The number of items in each child execution, in order.
    pub items_per_child: Vec<u64>,
    /// Whether the children are Express executions (their ARNs say `express`).
    pub express_children: bool,
}

/// The Map Runs of one or more executions, by Map Run ARN: a cheap, shared handle (pass
/// it in [`Options::map_runs`](crate::Options::map_runs) and read it while the
/// execution runs).
#[derive(Debug, Clone, Default)]
pub struct MapRuns {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    runs: HashMap<String, MapRun>,
    /// Each Map Run's children, in order.
    children: HashMap<String, Vec<MapRunChild>>,
    /// A child's ARN → its Map Run and index.
    by_child: HashMap<String, (String, usize)>,
    /// Payload bytes children may still keep.
    budget: usize,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            runs: HashMap::new(),
            children: HashMap::new(),
            by_child: HashMap::new(),
            budget: KEPT_PAYLOAD_BUDGET,
        }
    }
}

impl MapRuns {
    /// An empty set.
    pub fn new() -> Self {
        MapRuns::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, MapRun>) -> R) -> R {
        self.with_all(|inner| f(&mut inner.runs))
    }

    fn with_all<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut inner)
    }

    fn with_child(&self, arn: &str, index: usize, f: impl FnOnce(&mut MapRunChild, &mut usize)) {
        self.with_all(|inner| {
            if let Some(c) = inner.children.get_mut(arn).and_then(|c| c.get_mut(index)) {
                f(c, &mut inner.budget);
            }
        });
    }

    /// The children of Map Run `arn`, in order (empty for an unknown run).
    pub fn children(&self, arn: &str) -> Vec<MapRunChild> {
        self.with_all(|inner| inner.children.get(arn).cloned().unwrap_or_default())
    }

    /// The child execution `execution_arn`, if it belongs to a Map Run held.
    pub fn child(&self, execution_arn: &str) -> Option<MapRunChild> {
        self.with_all(|inner| {
            let (run, index) = inner.by_child.get(execution_arn)?;
            inner.children.get(run)?.get(*index).cloned()
        })
    }

    /// The Map Run `arn`, as it is now.
    pub fn get(&self, arn: &str) -> Option<MapRun> {
        self.with(|runs| runs.get(arn).cloned())
    }

    /// Every Map Run held, in no particular order.
    pub fn all(&self) -> Vec<MapRun> {
        self.with(|runs| runs.values().cloned().collect())
    }

    /// The number of Map Runs held.
    pub fn len(&self) -> usize {
        self.with(|runs| runs.len())
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A Map Run starts: all its items and children pending.
    pub fn start(&self, start: MapRunStart) {
        let items: u64 = start.items_per_child.iter().sum();
        let children = start.items_per_child.len() as u64;
        let counts = |n: u64| MapRunCounts {
            pending: n,
            total: n,
            ..MapRunCounts::default()
        };
        let run = MapRun {
            map_run_arn: start.map_run_arn.clone(),
            execution_arn: start.execution_arn,
            status: MapRunStatus::Running,
            start_date: start.start_date,
            stop_date: None,
            max_concurrency: start.max_concurrency,
            tolerated_failure_percentage: start.tolerated_failure_percentage,
            tolerated_failure_count: start.tolerated_failure_count,
            item_counts: counts(items),
            execution_counts: counts(children),
            redrive_count: 0,
            redrive_date: None,
        };
        let arn = start.map_run_arn;
        let children: Vec<MapRunChild> = start
            .items_per_child
            .iter()
            .enumerate()
            .map(|(index, &n)| {
                let name = uuid::Uuid::new_v4().to_string();
                MapRunChild::pending(&arn, index, name, n, start.express_children)
            })
            .collect();
        self.with_all(|inner| {
            for c in &children {
                inner
                    .by_child
                    .insert(c.execution_arn.clone(), (arn.clone(), c.index));
            }
            inner.children.insert(arn.clone(), children);
            inner.runs.insert(arn, run);
        });
    }

    fn update(&self, arn: &str, f: impl FnOnce(&mut MapRun)) {
        self.with(|runs| {
            if let Some(run) = runs.get_mut(arn) {
                f(run);
            }
        });
    }

    /// Child `index` of Map Run `arn`, of `items` items, starts at `at`, recording its
    /// events in `history`.
    pub fn child_started(
        &self,
        arn: &str,
        index: usize,
        items: u64,
        at: DateTime<Utc>,
        history: Option<Arc<History>>,
    ) {
        self.with_child(arn, index, |c, _| c.started(at, history));
        self.update(arn, |run| {
            for (c, n) in [
                (&mut run.item_counts, items),
                (&mut run.execution_counts, 1),
            ] {
                c.pending = c.pending.saturating_sub(n);
                c.pending_redrive = c.pending_redrive.saturating_sub(n);
                c.running += n;
            }
        });
    }

    /// Child `index` of Map Run `arn` got its `input`.
    pub fn child_input(&self, arn: &str, index: usize, input: &Value) {
        self.with_child(arn, index, |c, budget| {
            c.input = children::kept(input, budget);
        });
    }

    /// Child `index` of Map Run `arn`, of `items` items, ended at `at` with `result`.
    pub fn child_ended(
        &self,
        arn: &str,
        index: usize,
        items: u64,
        at: DateTime<Utc>,
        result: &Result<Value, Failure>,
    ) {
        self.with_child(arn, index, |c, budget| c.ended(at, result, budget));
        let end = match result {
            Ok(_) => ChildEnd::Succeeded,
            Err(f) if f.error == STATES_TIMEOUT.as_str() => ChildEnd::TimedOut,
            Err(_) => ChildEnd::Failed,
        };
        self.update(arn, |run| {
            for (c, n) in [
                (&mut run.item_counts, items),
                (&mut run.execution_counts, 1),
            ] {
                c.running = c.running.saturating_sub(n);
                match end {
                    ChildEnd::Succeeded => c.succeeded += n,
                    ChildEnd::Failed => c.failed += n,
                    ChildEnd::TimedOut => c.timed_out += n,
                }
            }
        });
    }

    /// The ResultWriter wrote the results of `items` items in `children` children.
    pub fn results_written(&self, arn: &str, items: u64, children: u64) {
        self.update(arn, |run| {
            run.item_counts.results_written += items;
            run.execution_counts.results_written += children;
        });
    }

    /// The Map Run ends at `at`: the children that never started, or were still
    /// running when a failure stopped it, are counted as aborted.
    pub fn finish(&self, arn: &str, succeeded: bool, at: DateTime<Utc>) {
        self.with_all(|inner| {
            for c in inner.children.get_mut(arn).into_iter().flatten() {
                c.ended_early(at);
            }
        });
        self.update(arn, |run| {
            run.status = if succeeded {
                MapRunStatus::Succeeded
            } else {
                MapRunStatus::Failed
            };
            run.stop_date = Some(at);
            for c in [&mut run.item_counts, &mut run.execution_counts] {
                c.aborted += c.pending + c.running;
                c.pending = 0;
                c.pending_redrive = 0;
                c.running = 0;
                // A Map Run that succeeded is not run again: its tolerated failures
                // stay failed.
                if succeeded {
                    c.failures_not_redrivable = c.failed + c.timed_out + c.aborted;
                }
            }
        });
    }

    /// A redrive (the `count`th) goes on with the Map Run at `at`: RUNNING again, its
    /// failed, timed-out and aborted items and children pending (and pending redrive);
    /// the succeeded ones stay.
    pub fn redrive(&self, arn: &str, count: u32, at: DateTime<Utc>) {
        self.with_all(|inner| {
            for c in inner.children.get_mut(arn).into_iter().flatten() {
                c.redriven(count, at);
            }
        });
        self.update(arn, |run| {
            run.status = MapRunStatus::Running;
            run.stop_date = None;
            run.redrive_count = count;
            run.redrive_date = Some(at);
            for c in [&mut run.item_counts, &mut run.execution_counts] {
                let again = c.failed + c.timed_out + c.aborted;
                c.pending += again;
                c.pending_redrive += again;
                c.failed = 0;
                c.timed_out = 0;
                c.aborted = 0;
                c.results_written = 0;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "arn:aws:states:us-east-1:123456789012:mapRun:M/Items:run";

    #[test]
    fn counts_and_children_move_from_pending_to_running_to_their_end() {
        let runs = MapRuns::new();
        let now = Utc::now();
        runs.start(MapRunStart {
            map_run_arn: RUN.into(),
            execution_arn: "e".into(),
            start_date: now,
            max_concurrency: 2,
            tolerated_failure_percentage: 0.0,
            tolerated_failure_count: 1,
            items_per_child: vec![2, 2, 1],
            express_children: false,
        });
        let timeout = Err(Failure::new(STATES_TIMEOUT.as_str(), "too slow"));
        runs.child_started(RUN, 0, 2, now, None);
        runs.child_input(RUN, 0, &serde_json::json!({"Items": [1, 2]}));
        let run = runs.get(RUN).unwrap();
        assert_eq!(run.item_counts.pending, 3);
        assert_eq!(run.item_counts.running, 2);
        assert_eq!(run.execution_counts.running, 1);
        let children = runs.children(RUN);
        assert_eq!(children.len(), 3);
        assert_eq!(children[0].status, ChildStatus::Running);
        assert_eq!(children[0].input.as_deref(), Some(r#"{"Items":[1,2]}"#));
        assert_eq!(children[1].status, ChildStatus::Pending);
        runs.child_ended(RUN, 0, 2, now, &timeout);
        runs.child_started(RUN, 1, 2, now, None);
        runs.finish(RUN, false, now);
        let run = runs.get(RUN).unwrap();
        assert_eq!(run.status, MapRunStatus::Failed);
        assert_eq!(run.item_counts.timed_out, 2);
        assert_eq!(run.item_counts.aborted, 3);
        assert_eq!(run.execution_counts.aborted, 2);
        assert_eq!(run.execution_counts.failures_not_redrivable, 0);
        assert_eq!(run.item_counts.total, 5);
        let statuses: Vec<ChildStatus> = runs.children(RUN).iter().map(|c| c.status).collect();
        assert_eq!(
            statuses,
            [
                ChildStatus::TimedOut,
                ChildStatus::Aborted,
                ChildStatus::Aborted
            ]
        );
        let first = runs.child(&runs.children(RUN)[0].execution_arn).unwrap();
        assert_eq!(first.error.as_deref(), Some("States.Timeout"));
        // A redrive puts the unsuccessful ones back; the one that starts leaves pending.
        let later = now + chrono::Duration::seconds(5);
        runs.redrive(RUN, 1, later);
        let run = runs.get(RUN).unwrap();
        assert_eq!(run.status, MapRunStatus::Running);
        assert_eq!((run.redrive_count, run.redrive_date), (1, Some(later)));
        assert_eq!(run.stop_date, None);
        assert_eq!(run.item_counts.pending, 5);
        assert_eq!(run.item_counts.pending_redrive, 5);
        assert_eq!(run.execution_counts.pending, 3);
        assert_eq!(run.item_counts.timed_out + run.item_counts.aborted, 0);
        assert!(
            runs.children(RUN)
                .iter()
                .all(|c| c.status == ChildStatus::PendingRedrive && c.redrive_count == 1)
        );
        runs.child_started(RUN, 0, 2, later, None);
        let run = runs.get(RUN).unwrap();
        assert_eq!(run.item_counts.pending_redrive, 3);
        assert_eq!(run.item_counts.running, 2);
        assert_eq!(runs.children(RUN)[0].status, ChildStatus::Running);
    }
}
