//! GetExecutionHistory: the live history of an execution (readable while it runs), in
//! pages, oldest or newest first, with or without its payloads.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sfn_local::history::{Event, EventType};

use crate::App;
use crate::actions::map_run_children;
use crate::arn;
use crate::error::ApiError;
use crate::executions::Status;
use crate::pagination;
use crate::protocol::{epoch, page_size, request, required};

/// The payload fields `includeExecutionData: false` leaves out.
const PAYLOADS: &[&str] = &[
    "input",
    "output",
    "parameters",
    "inputDetails",
    "outputDetails",
];

/// One event as the API returns it: epoch-second timestamps, details under their key.
pub fn event_json(event: &Event, include_data: bool) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(event.id));
    map.insert("previousEventId".into(), json!(event.previous_event_id));
    map.insert("timestamp".into(), epoch(event.timestamp));
    map.insert("type".into(), json!(event.kind.as_str()));
    if let Some(details) = &event.details {
        let mut details = details.clone();
        if !include_data && let Value::Object(d) = &mut details {
            for field in PAYLOADS {
                d.remove(*field);
            }
        }
        map.insert(event.kind.details_key(), details);
    }
    Value::Object(map)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Get {
    execution_arn: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    reverse_order: Option<bool>,
    include_execution_data: Option<bool>,
}

/// GetExecutionHistory.
pub fn get(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Get = request(body)?;
    let arn = required(req.execution_arn, "executionArn")?;
    arn::parse(&arn, &["execution", "express"], 2)?;
    // A distributed Map's child has its own history.
    let history = match app.executions.get(&arn) {
        Ok(e) => e.history.clone(),
        Err(missing) => map_run_children::history(app, &arn).ok_or(missing)?,
    };
    let limit = page_size(req.max_results)?;
    let reverse = req.reverse_order.unwrap_or(false);
    let scope = format!("GetExecutionHistory:{arn}:{reverse}");
    let skip = req
        .next_token
        .as_deref()
        .map(|t| pagination::decode(&scope, t))
        .transpose()?
        .unwrap_or(0) as usize;
    let mut events = history.events();
    if reverse {
        events.reverse();
    }
    let include = req.include_execution_data.unwrap_or(true);
    let page: Vec<Value> = events
        .iter()
        .skip(skip)
        .take(limit)
        .map(|e| event_json(e, include))
        .collect();
    let mut out = json!({"events": page});
    // While the execution runs, more events may come: a client paging oldest first
    // gets a token after a full page.
    if skip + limit < events.len() {
        out["nextToken"] = json!(pagination::encode(&scope, (skip + limit) as u64));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListMapRuns {
    execution_arn: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// ListMapRuns: the distributed Map runs of an execution, from its history (each
/// `MapRunStarted`, ended by the `MapRunSucceeded` / `MapRunFailed` that follows it on
/// its path).
pub fn list_map_runs(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: ListMapRuns = request(body)?;
    let arn = required(req.execution_arn, "executionArn")?;
    arn::parse(&arn, &["execution"], 2)?;
    let execution = app.executions.get(&arn)?;
    let limit = page_size(req.max_results)?;
    let scope = format!("ListMapRuns:{arn}");
    let skip = req
        .next_token
        .as_deref()
        .map(|t| pagination::decode(&scope, t))
        .transpose()?
        .unwrap_or(0) as usize;
    let events = execution.history.events();
    let progress = execution.progress();
    let stopped = |started_id: u64| {
        events.iter().find_map(|e| {
            if !matches!(e.kind, EventType::MapRunSucceeded | EventType::MapRunFailed) {
                return None;
            }
            // Walk back along its path to the run it ends.
            let mut id = e.previous_event_id;
            while id > 0 {
                let prev = events.get(usize::try_from(id).ok()?.checked_sub(1)?)?;
                if prev.kind == EventType::MapRunStarted {
                    return (prev.id == started_id).then_some(e.timestamp);
                }
                id = prev.previous_event_id;
            }
            None
        })
    };
    let runs: Vec<Value> = events
        .iter()
        .filter(|e| e.kind == EventType::MapRunStarted)
        .filter_map(|e| {
            let map_run = e.details.as_ref()?.get("mapRunArn")?.as_str()?.to_string();
            // arn:…:mapRun:<machine>/<label>:<id> → arn:…:stateMachine:<machine>/<label>
            let machine = map_run
                .rsplit_once(':')
                .map(|(head, _)| head.replacen(":mapRun:", ":stateMachine:", 1))?;
            let mut run = json!({
                "executionArn": arn,
                "mapRunArn": &map_run,
                "stateMachineArn": machine,
                "startDate": epoch(e.timestamp),
            });
            // The live counters know a redriven run's latest stop; the history, the
            // first run's.
            let stop = match execution.map_runs.get(&map_run) {
                Some(live) if progress.status == Status::Running => live.stop_date,
                Some(live) => {
                    let at = progress.stopped.unwrap_or(live.start_date);
                    live.stopped_at(at).stop_date
                }
                None => stopped(e.id),
            };
            if let Some(t) = stop {
                run["stopDate"] = epoch(t);
            }
            Some(run)
        })
        .collect();
    let page: Vec<Value> = runs.iter().skip(skip).take(limit).cloned().collect();
    let mut out = json!({"mapRuns": page});
    if skip + limit < runs.len() {
        out["nextToken"] = json!(pagination::encode(&scope, (skip + limit) as u64));
    }
    Ok(out)
}
