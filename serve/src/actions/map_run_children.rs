//! A distributed Map Run's child executions: `ListExecutions` with a `mapRunArn`,
//! `DescribeExecution` and `GetExecutionHistory` of a child, from the records the
//! executor keeps for its execution ([`sfn_local::MapRunChild`]).
//!
//! A child that failed, timed out or was aborted in a Map Run its execution can redrive
//! is `REDRIVABLE_BY_MAP_RUN` (it is not redriven on its own: redriving the parent
//! execution runs it again), and `PENDING_REDRIVE` from that redrive until it starts.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Value, json};
use sfn_local::{ChildStatus, MapRunChild, MapRunStatus};

use crate::App;
use crate::error::{ApiError, ErrorType};
use crate::executions::{Execution, Status};
use crate::pagination;
use crate::protocol::{epoch, page_size};
use crate::redrive::{self, Facts, NotRedrivable};

/// What `ListExecutions` asked for, besides the Map Run.
pub struct ListRequest<'a> {
    /// `statusFilter`.
    pub status_filter: Option<&'a str>,
    /// `redriveFilter`: redriven (`true`) or not.
    pub redriven: Option<bool>,
    /// `maxResults`.
    pub max_results: Option<i64>,
    /// `nextToken`.
    pub next_token: Option<&'a str>,
}

/// The child `c` as its execution's state leaves it: children of a stopped execution
/// that were still running are aborted.
fn as_now(parent: &Execution, c: MapRunChild) -> MapRunChild {
    let p = parent.progress();
    match (p.status, p.stopped) {
        (Status::Running, _) => c,
        (_, Some(at)) => c.stopped_at(at),
        (_, None) => c,
    }
}

/// ListExecutions of the Map Run `map_run_arn`: its children that started, newest first.
pub fn list(app: &Arc<App>, map_run_arn: &str, req: ListRequest<'_>) -> Result<Value, ApiError> {
    let status = match req.status_filter {
        None => None,
        Some(s) => Some(parse_status(s)?),
    };
    let not_found = || {
        ApiError::new(
            ErrorType::ResourceNotFound,
            format!("Resource not found: '{map_run_arn}'"),
        )
    };
    let parent = app
        .executions
        .with_map_run(map_run_arn)
        .ok_or_else(not_found)?;
    let limit = page_size(req.max_results)?;
    let scope = format!(
        "ListExecutions:{map_run_arn}:{}:{:?}",
        req.status_filter.unwrap_or(""),
        req.redriven
    );
    let skip = req
        .next_token
        .map(|t| pagination::decode(&scope, t))
        .transpose()?
        .unwrap_or(0) as usize;
    let mut children: Vec<MapRunChild> = parent
        .map_runs
        .children(map_run_arn)
        .into_iter()
        .map(|c| as_now(&parent, c))
        .filter(|c| c.start_date.is_some())
        .filter(|c| status.is_none_or(|s| c.status == s))
        .filter(|c| req.redriven.is_none_or(|r| (c.redrive_count > 0) == r))
        .collect();
    children.sort_by(|a, b| b.start_date.cmp(&a.start_date).then(b.index.cmp(&a.index)));
    let items: Vec<Value> = children
        .iter()
        .skip(skip)
        .take(limit)
        .map(|c| {
            let mut item = json!({
                "executionArn": c.execution_arn,
                "stateMachineArn": c.state_machine_arn(),
                "name": c.name,
                "status": c.status.as_str(),
                "mapRunArn": c.map_run_arn,
                "itemCount": c.item_count,
            });
            if let Some(t) = c.start_date {
                item["startDate"] = epoch(t);
            }
            if let Some(t) = c.stop_date.filter(|_| c.status != ChildStatus::Running) {
                item["stopDate"] = epoch(t);
            }
            if let Some(d) = c.redrive_date {
                item["redriveCount"] = json!(c.redrive_count);
                item["redriveDate"] = epoch(d);
            }
            item
        })
        .collect();
    let mut out = json!({"executions": items});
    if skip + limit < children.len() {
        out["nextToken"] = json!(pagination::encode(&scope, (skip + limit) as u64));
    }
    Ok(out)
}

/// A child's `statusFilter`: an execution status, or `PENDING_REDRIVE`.
fn parse_status(text: &str) -> Result<ChildStatus, ApiError> {
    Ok(match text {
        "PENDING_REDRIVE" => ChildStatus::PendingRedrive,
        other => match Status::parse(other)? {
            Status::Running => ChildStatus::Running,
            Status::Succeeded => ChildStatus::Succeeded,
            Status::Failed => ChildStatus::Failed,
            Status::TimedOut => ChildStatus::TimedOut,
            Status::Aborted => ChildStatus::Aborted,
        },
    })
}

/// DescribeExecution of the child `arn`, if it is one.
pub fn describe(app: &Arc<App>, arn: &str) -> Option<Value> {
    let (parent, child) = app.executions.with_child(arn)?;
    let c = as_now(&parent, child);
    let mut out = json!({
        "executionArn": c.execution_arn,
        "stateMachineArn": c.state_machine_arn(),
        "name": c.name,
        "status": c.status.as_str(),
        "mapRunArn": c.map_run_arn,
        "itemCount": c.item_count,
        "redriveCount": c.redrive_count,
    });
    if let Some(t) = c.start_date {
        out["startDate"] = epoch(t);
    }
    if let Some(t) = c.stop_date.filter(|_| c.status != ChildStatus::Running) {
        out["stopDate"] = epoch(t);
    }
    match &c.input {
        Some(text) => {
            out["input"] = json!(text);
            out["inputDetails"] = json!({"included": true});
        }
        None => out["inputDetails"] = json!({"included": false}),
    }
    if c.status == ChildStatus::Succeeded {
        match &c.output {
            Some(text) => {
                out["output"] = json!(text);
                out["outputDetails"] = json!({"included": true});
            }
            None => out["outputDetails"] = json!({"included": false}),
        }
    }
    if c.status.unsuccessful() || c.status == ChildStatus::PendingRedrive {
        if let Some(e) = &c.error {
            out["error"] = json!(e);
        }
        if let Some(cause) = &c.cause {
            out["cause"] = json!(cause);
        }
    }
    if let Some(d) = c.redrive_date {
        out["redriveDate"] = epoch(d);
    }
    match redrivable(&parent, &c) {
        Ok(()) => out["redriveStatus"] = json!("REDRIVABLE_BY_MAP_RUN"),
        Err(why) => {
            out["redriveStatus"] = json!("NOT_REDRIVABLE");
            out["redriveStatusReason"] = json!(why.reason());
        }
    }
    Some(out)
}

/// Whether a redrive of `parent` would run the child `c` again.
fn redrivable(parent: &Execution, c: &MapRunChild) -> Result<(), NotRedrivable> {
    match c.status {
        ChildStatus::Running | ChildStatus::Pending | ChildStatus::PendingRedrive => {
            return Err(NotRedrivable::Running);
        }
        ChildStatus::Succeeded => return Err(NotRedrivable::Succeeded),
        ChildStatus::Failed | ChildStatus::TimedOut | ChildStatus::Aborted => {}
    }
    // The failures a Map Run tolerated are not run again: the Map succeeded.
    if parent
        .map_runs
        .get(&c.map_run_arn)
        .is_some_and(|run| run.status == MapRunStatus::Succeeded)
    {
        return Err(NotRedrivable::Succeeded);
    }
    redrive::check(&Facts::of(parent), Utc::now())
}

/// RedriveExecution of a child: refused, naming the execution to redrive instead.
pub fn refuse_redrive(app: &Arc<App>, arn: &str) -> Option<ApiError> {
    let (parent, _) = app.executions.with_child(arn)?;
    Some(ApiError::new(
        ErrorType::ExecutionNotRedrivable,
        format!(
            "Execution Not Redrivable: '{arn}' is a child execution of a Map Run: redrive its parent execution '{}', which runs its unsuccessful children again",
            parent.arn
        ),
    ))
}

/// The history of the child `arn`, if it is one whose events are kept.
pub fn history(app: &Arc<App>, arn: &str) -> Option<Arc<sfn_local::history::History>> {
    let (_, child) = app.executions.with_child(arn)?;
    child.history
}
