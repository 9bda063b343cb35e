//! The child executions of a distributed Map Run, one record each: name and ARN, status,
//! dates, input and output (within a byte budget), error, redrives and history — what
//! `ListExecutions` with a `mapRunArn` and `DescribeExecution` of a child answer with.
//!
//! A child is `PENDING` until it starts; a redrive of its execution puts the failed,
//! timed-out and aborted ones back as `PENDING_REDRIVE` until they start again. Its ARN
//! follows Step Functions': the Map Run's
//! `arn:…:mapRun:<machine>/<label>:<run id>` becomes
//! `arn:…:execution:<machine>/<label>:<child name>` (`express:` for Express children).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use codegen::errors::STATES_TIMEOUT;
use serde_json::Value;

use crate::failure::Failure;
use crate::history::History;

/// The bytes of children's inputs and outputs one set of Map Runs keeps: past it, a
/// child's input or output is not kept (and reported as not included).
pub const KEPT_PAYLOAD_BUDGET: usize = 64 * 1024 * 1024;

/// A child execution's status, in `ExecutionStatus`'s words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildStatus {
    /// Not started yet (not listed: it has no start date).
    Pending,
    /// Running.
    Running,
    /// Succeeded.
    Succeeded,
    /// Failed.
    Failed,
    /// Timed out.
    TimedOut,
    /// Never finished: its Map Run or execution stopped first.
    Aborted,
    /// Put back by a redrive, not started again yet.
    PendingRedrive,
}

impl ChildStatus {
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`, `PENDING_REDRIVE`, or
    /// `PENDING`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChildStatus::Pending => "PENDING",
            ChildStatus::Running => "RUNNING",
            ChildStatus::Succeeded => "SUCCEEDED",
            ChildStatus::Failed => "FAILED",
            ChildStatus::TimedOut => "TIMED_OUT",
            ChildStatus::Aborted => "ABORTED",
            ChildStatus::PendingRedrive => "PENDING_REDRIVE",
        }
    }

    /// Whether it ended unsuccessfully (what a redrive of the Map Run runs again).
    pub fn unsuccessful(self) -> bool {
        matches!(
            self,
            ChildStatus::Failed | ChildStatus::TimedOut | ChildStatus::Aborted
        )
    }
}

/// One child execution of a Map Run, as it is now.
#[derive(Debug, Clone)]
pub struct MapRunChild {
    /// Its position among the Map Run's children (0-based).
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub execution_arn: String,
    /// The Map Run it belongs to.
    pub map_run_arn: String,
    /// Its status.
    pub status: ChildStatus,
    /// The items it processes (one, or its batch's).
    pub item_count: u64,
    /// When it (last) started.
    pub start_date: Option<DateTime<Utc>>,
    /// When it ended.
    pub stop_date: Option<DateTime<Utc>>,
    /// Its input (JSON text), unless past the budget or not started.
    pub input: Option<Arc<str>>,
    /// Its output (JSON text), when it succeeded and was kept.
    pub output: Option<Arc<str>>,
    /// The error, when it failed or timed out.
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
    /// How often a redrive ran it again.
    pub redrive_count: u32,
    /// When the last redrive put it back.
    pub redrive_date: Option<DateTime<Utc>>,
    /// Its own history, while the executor keeps one.
    pub history: Option<Arc<History>>,
}

impl MapRunChild {
    /// A pending child `index` of the Map Run `map_run_arn`, named `name`.
    pub(super) fn pending(
        map_run_arn: &str,
        index: usize,
        name: String,
        item_count: u64,
        express: bool,
    ) -> MapRunChild {
        MapRunChild {
            index,
            execution_arn: child_arn(map_run_arn, &name, express),
            name,
            map_run_arn: map_run_arn.to_string(),
            status: ChildStatus::Pending,
            item_count,
            start_date: None,
            stop_date: None,
            input: None,
            output: None,
            error: None,
            cause: None,
            redrive_count: 0,
            redrive_date: None,
            history: None,
        }
    }

    /// This child as its execution's stop at `at` leaves it: one still running or
    /// pending is `ABORTED` (a pending one that never started stays unlisted).
    pub fn stopped_at(mut self, at: DateTime<Utc>) -> MapRunChild {
        match self.status {
            ChildStatus::Running | ChildStatus::PendingRedrive => {
                self.status = ChildStatus::Aborted;
                self.stop_date = Some(at);
            }
            ChildStatus::Pending => self.status = ChildStatus::Aborted,
            _ => {}
        }
        self
    }

    /// The ARN of the state machine it runs: the Map Run's, as `stateMachine`.
    pub fn state_machine_arn(&self) -> String {
        self.map_run_arn
            .rsplit_once(':')
            .map(|(head, _)| head.replacen(":mapRun:", ":stateMachine:", 1))
            .unwrap_or_default()
    }

    pub(super) fn started(&mut self, at: DateTime<Utc>, history: Option<Arc<History>>) {
        self.status = ChildStatus::Running;
        self.start_date = Some(at);
        self.stop_date = None;
        self.output = None;
        self.error = None;
        self.cause = None;
        self.history = history;
    }

    pub(super) fn ended(
        &mut self,
        at: DateTime<Utc>,
        result: &Result<Value, Failure>,
        budget: &mut usize,
    ) {
        self.stop_date = Some(at);
        match result {
            Ok(v) => {
                self.status = ChildStatus::Succeeded;
                self.output = kept(v, budget);
            }
            Err(f) => {
                self.status = if f.error == STATES_TIMEOUT.as_str() {
                    ChildStatus::TimedOut
                } else {
                    ChildStatus::Failed
                };
                self.error = Some(f.error.clone());
                self.cause = Some(f.cause.clone());
            }
        }
    }

    pub(super) fn ended_early(&mut self, at: DateTime<Utc>) {
        match self.status {
            ChildStatus::Running => {
                self.status = ChildStatus::Aborted;
                self.stop_date = Some(at);
            }
            // Never started (again): aborted, with the dates it had.
            ChildStatus::Pending | ChildStatus::PendingRedrive => {
                self.status = ChildStatus::Aborted;
            }
            _ => {}
        }
    }

    pub(super) fn redriven(&mut self, count: u32, at: DateTime<Utc>) {
        if self.status.unsuccessful() {
            self.status = ChildStatus::PendingRedrive;
            self.redrive_count = count;
            self.redrive_date = Some(at);
        }
    }
}

/// `v` as JSON text, when it fits what is left of `budget` (which it then uses).
pub(super) fn kept(v: &Value, budget: &mut usize) -> Option<Arc<str>> {
    let text = serde_json::to_string(v).ok()?;
    if text.len() > *budget {
        return None;
    }
    *budget -= text.len();
    Some(text.into())
}

/// `arn:…:mapRun:<machine>/<label>:<run id>` → `arn:…:execution:<machine>/<label>:<name>`.
fn child_arn(map_run_arn: &str, name: &str, express: bool) -> String {
    let kind = if express { ":express:" } else { ":execution:" };
    let head = map_run_arn
        .rsplit_once(':')
        .map_or(map_run_arn, |(head, _)| head);
    format!("{}:{name}", head.replacen(":mapRun:", kind, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RUN: &str = "arn:aws:states:us-east-1:123456789012:mapRun:Export/Items:5f0c";

    #[test]
    fn a_child_is_named_under_its_map_run_as_step_functions_names_it() {
        let c = MapRunChild::pending(RUN, 0, "abc".into(), 1, false);
        assert_eq!(
            c.execution_arn,
            "arn:aws:states:us-east-1:123456789012:execution:Export/Items:abc"
        );
        assert_eq!(
            c.state_machine_arn(),
            "arn:aws:states:us-east-1:123456789012:stateMachine:Export/Items"
        );
        let e = MapRunChild::pending(RUN, 0, "abc".into(), 1, true);
        assert!(e.execution_arn.contains(":express:Export/Items:abc"));
    }

    #[test]
    fn outputs_past_the_budget_are_not_kept() {
        let mut c = MapRunChild::pending(RUN, 0, "a".into(), 1, false);
        let now = Utc::now();
        c.started(now, None);
        let mut budget = 10;
        c.ended(
            now,
            &Ok(json!({"long": "more than ten bytes"})),
            &mut budget,
        );
        assert_eq!(c.status, ChildStatus::Succeeded);
        assert!(c.output.is_none());
        assert_eq!(budget, 10);
        let mut d = MapRunChild::pending(RUN, 1, "b".into(), 1, false);
        d.started(now, None);
        d.ended(now, &Ok(json!(1)), &mut budget);
        assert_eq!(d.output.as_deref(), Some("1"));
        assert_eq!(budget, 9);
    }

    #[test]
    fn a_redrive_puts_back_only_the_unsuccessful_children() {
        let now = Utc::now();
        let mut ok = MapRunChild::pending(RUN, 0, "a".into(), 1, false);
        ok.started(now, None);
        ok.ended(now, &Ok(json!(1)), &mut 100);
        let mut bad = MapRunChild::pending(RUN, 1, "b".into(), 1, false);
        bad.started(now, None);
        bad.ended(now, &Err(Failure::new("States.Timeout", "slow")), &mut 100);
        assert_eq!(bad.status, ChildStatus::TimedOut);
        ok.redriven(1, now);
        bad.redriven(1, now);
        assert_eq!(ok.status, ChildStatus::Succeeded);
        assert_eq!(bad.status, ChildStatus::PendingRedrive);
        assert_eq!((bad.redrive_count, bad.redrive_date), (1, Some(now)));
        let stopped = bad.clone().stopped_at(now);
        assert_eq!(stopped.status, ChildStatus::Aborted);
    }
}
