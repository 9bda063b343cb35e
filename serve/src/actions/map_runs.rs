//! DescribeMapRun: a distributed Map Run's status, settings, live item and
//! child-execution counts and redrives, from the counters the executor keeps for the
//! execution ([`sfn_local::MapRuns`]).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use sfn_local::{MapRun, MapRunCounts};

use crate::App;
use crate::arn;
use crate::error::{ApiError, ErrorType};
use crate::executions::Status;
use crate::protocol::{epoch, request, required};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Describe {
    map_run_arn: Option<String>,
}

/// DescribeMapRun. A run still counted as running in an execution that was stopped
/// answers `ABORTED`, its pending and running children counted as aborted.
pub fn describe(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Describe = request(body)?;
    let map_run_arn = required(req.map_run_arn, "mapRunArn")?;
    arn::parse(&map_run_arn, &["mapRun"], 2)?;
    let not_found = || {
        ApiError::new(
            ErrorType::ResourceNotFound,
            format!("Resource not found: '{map_run_arn}'"),
        )
    };
    let execution = app
        .executions
        .with_map_run(&map_run_arn)
        .ok_or_else(not_found)?;
    let mut run = execution.map_runs.get(&map_run_arn).ok_or_else(not_found)?;
    let progress = execution.progress();
    if progress.status != Status::Running {
        let at = progress.stopped.unwrap_or(run.start_date);
        run = run.stopped_at(at);
    }
    Ok(run_json(&run))
}

/// A Map Run in DescribeMapRun's response shape.
fn run_json(run: &MapRun) -> Value {
    let mut out = json!({
        "mapRunArn": run.map_run_arn,
        "executionArn": run.execution_arn,
        "status": run.status.as_str(),
        "startDate": epoch(run.start_date),
        "maxConcurrency": run.max_concurrency,
        "toleratedFailurePercentage": run.tolerated_failure_percentage,
        "toleratedFailureCount": run.tolerated_failure_count,
        "itemCounts": counts_json(&run.item_counts),
        "executionCounts": counts_json(&run.execution_counts),
        "redriveCount": run.redrive_count,
    });
    if let Some(stop) = run.stop_date {
        out["stopDate"] = epoch(stop);
    }
    if let Some(date) = run.redrive_date {
        out["redriveDate"] = epoch(date);
    }
    out
}

fn counts_json(c: &MapRunCounts) -> Value {
    json!({
        "pending": c.pending,
        "running": c.running,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "timedOut": c.timed_out,
        "aborted": c.aborted,
        "total": c.total,
        "resultsWritten": c.results_written,
        "failuresNotRedrivable": c.failures_not_redrivable,
        "pendingRedrive": c.pending_redrive,
    })
}
