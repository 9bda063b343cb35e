//! The progress table's items and the writes to them.
//!
//! One DynamoDB table with a string partition key `pk` and sort key `sk` holds, per job
//! (`pk = "job#<job>"`):
//!
//! | `sk` | item | attributes |
//! | --- | --- | --- |
//! | `run` | the job's progress | `objects_total`, `vectors_total`, `objects_done`, `objects_failed`, `vectors_done`, `recent` (the last minute's completions, `[{t: ms, n: vectors}]`), `vectors_per_second`, `eta_seconds`, `started_ms`, `updated_at`, `execution`, `failed_keys` (string set) |
//! | `object#<key>` | one source object | `status` (`IN_PROGRESS`, `DONE`, `FAILED`), `rows_committed` (the resume point), `vectors`, `updated_at`, `error`, `cause` |
//!
//! A job spans executions: a resumed run (the same `job`) skips the objects marked
//! `DONE` and continues the counters.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_runtime::ActivityError;
use stepwise_runtime::aws::errors::SdkResultExt;

/// The longest job id.
pub const MAX_JOB_CHARS: usize = 200;
/// The window the rate is computed over, in milliseconds.
pub const RATE_WINDOW_MS: i64 = 60_000;

/// Where a job's progress is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressLocation {
    /// The DynamoDB table (`pk`/`sk` strings).
    pub table: String,
    /// The job: one ingest of one source into one index, across the executions that
    /// resume it. Starting again with the same job skips the objects already done.
    pub job: String,
}

impl ProgressLocation {
    /// Checks the fields, naming the one that is wrong (`field` is the input field
    /// holding this location).
    ///
    /// # Errors
    /// `InvalidInput`.
    pub fn check(&self, field: &str) -> Result<(), ActivityError> {
        if self.table.is_empty() {
            return Err(ActivityError::invalid_input(format!(
                "input field \"{field}.table\" is empty"
            )));
        }
        if self.job.is_empty() || self.job.chars().count() > MAX_JOB_CHARS {
            return Err(ActivityError::invalid_input(format!(
                "input field \"{field}.job\" must have 1 to {MAX_JOB_CHARS} characters"
            )));
        }
        Ok(())
    }

    /// The partition key of the job's items.
    pub fn pk(&self) -> String {
        format!("job#{}", self.job)
    }
}

/// The sort key of the run item.
pub const RUN_SK: &str = "run";

/// The sort key of one object's marker.
pub fn object_sk(key: &str) -> String {
    format!("object#{key}")
}

/// The job's progress, as the run item holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressSnapshot {
    /// The job.
    pub job: String,
    /// The execution that last planned it.
    pub execution: Option<String>,
    /// Parquet objects in the source.
    pub objects_total: u64,
    /// Objects ingested.
    pub objects_done: u64,
    /// Objects that could not be ingested (see `failed_keys`).
    pub objects_failed: u64,
    /// Rows (vectors) in the source.
    pub vectors_total: u64,
    /// Vectors written by the objects done.
    pub vectors_done: u64,
    /// Vectors per second over the last minute (or since the start, when shorter).
    pub vectors_per_second: f64,
    /// Seconds until the remaining vectors are written at that rate (`None` without a
    /// rate yet).
    pub eta_seconds: Option<u64>,
    /// The failed objects' keys, sorted.
    pub failed_keys: Vec<String>,
    /// When the job started, milliseconds since the epoch.
    pub started_ms: Option<i64>,
}

impl ProgressSnapshot {
    /// The snapshot of a run item.
    pub fn from_item(job: &str, item: &HashMap<String, AttributeValue>) -> Self {
        let num = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<f64>().ok())
        };
        let count = |name: &str| num(name).map_or(0, |v| v.max(0.0) as u64);
        let mut failed_keys: Vec<String> = item
            .get("failed_keys")
            .and_then(|v| v.as_ss().ok())
            .cloned()
            .unwrap_or_default();
        failed_keys.sort();
        ProgressSnapshot {
            job: job.to_string(),
            execution: item.get("execution").and_then(|v| v.as_s().ok()).cloned(),
            objects_total: count("objects_total"),
            objects_done: count("objects_done"),
            objects_failed: count("objects_failed"),
            vectors_total: count("vectors_total"),
            vectors_done: count("vectors_done"),
            vectors_per_second: num("vectors_per_second").unwrap_or(0.0),
            eta_seconds: num("eta_seconds").map(|v| v.max(0.0) as u64),
            failed_keys,
            started_ms: num("started_ms").map(|v| v as i64),
        }
    }
}

/// One completion in the rate window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// When, milliseconds since the epoch.
    pub at_ms: i64,
    /// Vectors written.
    pub vectors: u64,
}

/// Vectors per second over the last [`RATE_WINDOW_MS`] before `now_ms` (or since
/// `started_ms`, when that is shorter — at least one second).
pub fn rate(recent: &[Completion], now_ms: i64, started_ms: Option<i64>) -> f64 {
    let from = now_ms - RATE_WINDOW_MS;
    let vectors: u64 = recent
        .iter()
        .filter(|c| c.at_ms > from && c.at_ms <= now_ms)
        .map(|c| c.vectors)
        .sum();
    let window_ms = started_ms.map_or(RATE_WINDOW_MS, |s| {
        (now_ms - s).clamp(1_000, RATE_WINDOW_MS)
    });
    vectors as f64 * 1000.0 / window_ms as f64
}

/// Seconds to write `remaining` vectors at `rate`; `None` without a rate.
pub fn eta_seconds(remaining: u64, rate: f64) -> Option<u64> {
    (rate > 0.0).then(|| (remaining as f64 / rate).ceil() as u64)
}

/// The completions a run item's `recent` list holds.
pub fn completions(item: &HashMap<String, AttributeValue>) -> Vec<Completion> {
    let Some(Ok(list)) = item.get("recent").map(|v| v.as_l()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|entry| {
            let map = entry.as_m().ok()?;
            let n = |k: &str| map.get(k)?.as_n().ok()?.parse::<i64>().ok();
            Some(Completion {
                at_ms: n("t")?,
                vectors: n("n")?.max(0) as u64,
            })
        })
        .collect()
}

/// Now, milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Now, RFC 3339.
pub fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A number attribute.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// The key of an item of the job.
pub fn key(location: &ProgressLocation, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(location.pk())),
        ("sk".to_string(), s(sk)),
    ])
}

/// Reads one item of the job (strongly consistent).
pub async fn get(
    client: &Client,
    location: &ProgressLocation,
    sk: &str,
) -> Result<Option<HashMap<String, AttributeValue>>, ActivityError> {
    let out = client
        .get_item()
        .table_name(&location.table)
        .set_key(Some(key(location, sk)))
        .consistent_read(true)
        .send()
        .await
        .activity_err("DynamoDB", "GetItem")?;
    Ok(out.item)
}

/// The job's progress (`None` before PlanIngest wrote it).
pub async fn read_snapshot(
    client: &Client,
    location: &ProgressLocation,
) -> Result<Option<ProgressSnapshot>, ActivityError> {
    Ok(get(client, location, RUN_SK)
        .await?
        .map(|item| ProgressSnapshot::from_item(&location.job, &item)))
}

/// An object's resume point: how many of its first rows are written (0 when unknown).
pub async fn rows_committed(
    client: &Client,
    location: &ProgressLocation,
    object: &str,
) -> Result<u64, ActivityError> {
    Ok(get(client, location, &object_sk(object))
        .await?
        .and_then(|item| item.get("rows_committed")?.as_n().ok()?.parse::<u64>().ok())
        .unwrap_or(0))
}

/// Records that an object's first `rows` rows are written (the next attempt starts
/// there); never moves the point back, never touches a `DONE` marker.
pub async fn commit_rows(
    client: &Client,
    location: &ProgressLocation,
    object: &str,
    rows: u64,
) -> Result<(), ActivityError> {
    let result = client
        .update_item()
        .table_name(&location.table)
        .set_key(Some(key(location, &object_sk(object))))
        .update_expression("SET rows_committed = :r, #s = :p, updated_at = :now")
        .condition_expression(
            "(attribute_not_exists(rows_committed) OR rows_committed < :r) AND (attribute_not_exists(#s) OR #s <> :done)",
        )
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":r", n(rows))
        .expression_attribute_values(":p", s("IN_PROGRESS"))
        .expression_attribute_values(":done", s("DONE"))
        .expression_attribute_values(":now", s(now_text()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(e).activity_err("DynamoDB", "UpdateItem"),
    }
}
