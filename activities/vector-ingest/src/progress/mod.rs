//! `RecordIngestProgress`: after each source object, marks it `DONE` (or `FAILED`, with
//! the error) and updates the job's run item: the counters, the last minute's
//! completions, the rate (vectors per second over the last minute) and the ETA. The
//! layout of the items is in [`store`].
//!
//! Recording is idempotent: the marker and the counters change in one transaction whose
//! condition is the marker's previous status, so a retried call (or a resumed run that
//! meets a marker already `DONE`) counts nothing twice, and an object that failed in an
//! earlier run and succeeds now moves from `objects_failed` to `objects_done`.
//!
//! # Errors
//! `InvalidInput` for a bad field; DynamoDB failures as classified (`Throttled`,
//! `Transient`, … — the state machine retries); [`PROGRESS_CONFLICT`] when another
//! writer changed the marker between the read and the transaction (retried too).

pub mod store;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use store::{
    ProgressLocation, ProgressSnapshot, RATE_WINDOW_MS, RUN_SK, completions, eta_seconds, key, n,
    now_ms, now_text, object_sk, rate, s,
};

/// The object's marker changed between reading it and writing it (a concurrent
/// recording of the same object): retry.
pub const PROGRESS_CONFLICT: ErrorName = ErrorName::new("ProgressConflict");
/// The longest cause stored for a failed object, in characters.
pub const MAX_STORED_CAUSE_CHARS: usize = 2000;
/// Completions kept in the run item's `recent` list before older ones are dropped.
pub const MAX_RECENT: usize = 200;

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectStatus {
    /// Every row written.
    Done,
    /// Not ingested (see the error).
    Failed,
}

impl ObjectStatus {
    fn as_str(self) -> &'static str {
        match self {
            ObjectStatus::Done => "DONE",
            ObjectStatus::Failed => "FAILED",
        }
    }
}

/// A Step Functions error, as a Catch hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepError {
    /// The error name.
    #[serde(rename = "Error")]
    pub error: String,
    /// The cause.
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// What `RecordIngestProgress` receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordIngestProgressInput {
    /// The job's progress table.
    pub progress: ProgressLocation,
    /// The source object's key.
    pub object_key: String,
    /// What happened to it.
    pub status: ObjectStatus,
    /// Vectors written from it (when done).
    #[serde(default)]
    pub vectors: u64,
    /// Why it failed (when failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
}

/// Records one object's outcome. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordIngestProgress;

impl ActivityDef for RecordIngestProgress {
    const NAME: &'static str = "RecordIngestProgress";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 256,
        timeout_seconds: 30,
        permissions: &[Permission {
            actions: &[
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
                "dynamodb:PutItem",
            ],
            resource: Resource::Table {
                table: crate::target::PROGRESS_TABLE,
            },
            reason: "marks the object done or failed and updates the job's counters, rate and ETA (one transaction)",
        }],
    };
    const ERRORS: &'static [ErrorName] = &[PROGRESS_CONFLICT];
    type Input = RecordIngestProgressInput;
    type Output = ProgressSnapshot;
}

impl Activity for RecordIngestProgress {
    async fn run(
        &self,
        input: RecordIngestProgressInput,
        ctx: &Context,
    ) -> Result<ProgressSnapshot, ActivityError> {
        input.progress.check("progress")?;
        if input.object_key.is_empty() {
            return Err(ActivityError::invalid_input(
                "input field \"object_key\" is empty",
            ));
        }
        let client = ctx.aws().dynamodb().await;
        let location = &input.progress;
        let previous = store::get(client, location, &object_sk(&input.object_key))
            .await?
            .and_then(|item| item.get("status")?.as_s().ok().cloned());
        let newly_recorded = previous.as_deref() != Some(input.status.as_str())
            && previous.as_deref() != Some("DONE");
        let item = if newly_recorded {
            record(client, &input, previous.as_deref()).await?;
            if input.status == ObjectStatus::Done {
                Some(append_completion(client, location, input.vectors).await?)
            } else {
                None
            }
        } else {
            None
        };
        let item = match item {
            Some(item) => item,
            None => store::get(client, location, RUN_SK)
                .await?
                .unwrap_or_default(),
        };
        update_rate(client, location, &item).await
    }
}

/// The marker and the counters, in one transaction conditioned on the marker's
/// previous status.
async fn record(
    client: &Client,
    input: &RecordIngestProgressInput,
    previous: Option<&str>,
) -> Result<(), ActivityError> {
    let location = &input.progress;
    let mut marker: HashMap<String, AttributeValue> = key(location, &object_sk(&input.object_key));
    marker.insert("status".into(), s(input.status.as_str()));
    marker.insert("updated_at".into(), s(now_text()));
    marker.insert("vectors".into(), n(input.vectors));
    if input.status == ObjectStatus::Done {
        marker.insert("rows_committed".into(), n(input.vectors));
    }
    if let Some(error) = &input.error {
        marker.insert("error".into(), s(&error.error));
        let cause: String = error.cause.chars().take(MAX_STORED_CAUSE_CHARS).collect();
        if !cause.is_empty() {
            marker.insert("cause".into(), s(cause));
        }
    }
    let mut put = Put::builder()
        .table_name(&location.table)
        .set_item(Some(marker))
        .expression_attribute_names("#s", "status");
    put = match previous {
        Some(status) => put
            .condition_expression("#s = :prev")
            .expression_attribute_values(":prev", s(status)),
        None => put.condition_expression("attribute_not_exists(#s)"),
    };
    let put = put
        .build()
        .map_err(|e| ActivityError::permanent(format!("building the marker write: {e}")))?;

    let key_attr = |k: &str| AttributeValue::Ss(vec![k.to_string()]);
    let mut update = Update::builder()
        .table_name(&location.table)
        .set_key(Some(key(location, RUN_SK)))
        .expression_attribute_values(":now", s(now_text()));
    let mut adds = Vec::new();
    let mut deletes = Vec::new();
    match input.status {
        ObjectStatus::Done => {
            adds.push("objects_done :one, vectors_done :v");
            update = update
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":v", n(input.vectors));
            if previous == Some("FAILED") {
                adds.push("objects_failed :minus");
                deletes.push("failed_keys :k");
                update = update
                    .expression_attribute_values(":minus", n(-1))
                    .expression_attribute_values(":k", key_attr(&input.object_key));
            }
        }
        ObjectStatus::Failed => {
            adds.push("objects_failed :one, failed_keys :k");
            update = update
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":k", key_attr(&input.object_key));
        }
    }
    let mut expression = format!("SET updated_at = :now ADD {}", adds.join(", "));
    if !deletes.is_empty() {
        expression.push_str(&format!(" DELETE {}", deletes.join(", ")));
    }
    let update = update
        .update_expression(expression)
        .build()
        .map_err(|e| ActivityError::permanent(format!("building the counter update: {e}")))?;

    let result = client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().update(update).build())
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_transaction_canceled_exception()) =>
        {
            Err(ActivityError::new(
                PROGRESS_CONFLICT,
                format!(
                    "the marker of {} changed while it was recorded ({}); retry",
                    input.object_key,
                    e.as_service_error()
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                ),
            ))
        }
        Err(e) => Err(e).activity_err("DynamoDB", "TransactWriteItems"),
    }
}

/// Appends a completion to the run item's `recent` list; the item after it.
async fn append_completion(
    client: &Client,
    location: &ProgressLocation,
    vectors: u64,
) -> Result<HashMap<String, AttributeValue>, ActivityError> {
    let entry = AttributeValue::M(HashMap::from([
        ("t".to_string(), n(now_ms())),
        ("n".to_string(), n(vectors)),
    ]));
    let out = client
        .update_item()
        .table_name(&location.table)
        .set_key(Some(key(location, RUN_SK)))
        .update_expression("SET recent = list_append(if_not_exists(recent, :empty), :entry)")
        .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
        .expression_attribute_values(":entry", AttributeValue::L(vec![entry]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .activity_err("DynamoDB", "UpdateItem")?;
    Ok(out.attributes.unwrap_or_default())
}

/// Stores the rate and ETA computed from `item` (dropping completions older than the
/// window when no other writer appended meanwhile); the snapshot.
async fn update_rate(
    client: &Client,
    location: &ProgressLocation,
    item: &HashMap<String, AttributeValue>,
) -> Result<ProgressSnapshot, ActivityError> {
    let mut snapshot = ProgressSnapshot::from_item(&location.job, item);
    let now = now_ms();
    let recent = completions(item);
    let per_second = rate(&recent, now, snapshot.started_ms);
    let remaining = snapshot.vectors_total.saturating_sub(snapshot.vectors_done);
    let eta = eta_seconds(remaining, per_second);
    snapshot.vectors_per_second = per_second;
    snapshot.eta_seconds = eta;
    if item.is_empty() {
        return Ok(snapshot);
    }
    let in_window: Vec<_> = recent
        .iter()
        .filter(|c| c.at_ms > now - RATE_WINDOW_MS)
        .collect();
    let kept: Vec<AttributeValue> = in_window[in_window.len().saturating_sub(MAX_RECENT)..]
        .iter()
        .map(|c| {
            AttributeValue::M(HashMap::from([
                ("t".to_string(), n(c.at_ms)),
                ("n".to_string(), n(c.vectors)),
            ]))
        })
        .collect();
    let mut names = HashMap::new();
    let mut values = HashMap::from([
        (":r".to_string(), n(format!("{per_second:.3}"))),
        (":now".to_string(), s(now_text())),
    ]);
    let mut expression = "SET vectors_per_second = :r, updated_at = :now".to_string();
    let mut condition = None;
    if kept.len() < recent.len() {
        // Trim only if nobody appended since we read: the list's length is unchanged.
        expression.push_str(", recent = :kept");
        values.insert(":kept".into(), AttributeValue::L(kept));
        values.insert(":len".into(), n(recent.len()));
        condition = Some("size(recent) = :len".to_string());
    }
    match eta {
        Some(eta) => {
            expression.push_str(", eta_seconds = :eta");
            values.insert(":eta".into(), n(eta));
        }
        None => {
            expression.push_str(" REMOVE #eta");
            names.insert("#eta".to_string(), "eta_seconds".to_string());
        }
    }
    let send =
        |expression: String, condition: Option<String>, values: HashMap<String, AttributeValue>| {
            client
                .update_item()
                .table_name(&location.table)
                .set_key(Some(key(location, RUN_SK)))
                .update_expression(expression)
                .set_condition_expression(condition)
                .set_expression_attribute_names((!names.is_empty()).then(|| names.clone()))
                .set_expression_attribute_values(Some(values))
                .send()
        };
    match send(expression, condition.clone(), values.clone()).await {
        Ok(_) => {}
        Err(e)
            if condition.is_some()
                && e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            // Someone appended: store the rate without trimming; the next call trims.
            let mut untrimmed = values;
            untrimmed.remove(":kept");
            untrimmed.remove(":len");
            let expression = match eta {
                Some(_) => "SET vectors_per_second = :r, updated_at = :now, eta_seconds = :eta",
                None => "SET vectors_per_second = :r, updated_at = :now REMOVE #eta",
            };
            send(expression.to_string(), None, untrimmed)
                .await
                .activity_err("DynamoDB", "UpdateItem")?;
        }
        Err(e) => return Err(e).activity_err("DynamoDB", "UpdateItem"),
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::store::{Completion, eta_seconds, rate};

    #[test]
    fn the_rate_counts_the_last_minute_only() {
        let now = 1_000_000;
        let recent = [
            Completion {
                at_ms: now - 70_000,
                vectors: 9_999,
            },
            Completion {
                at_ms: now - 30_000,
                vectors: 600,
            },
            Completion {
                at_ms: now - 1_000,
                vectors: 600,
            },
        ];
        assert_eq!(rate(&recent, now, Some(now - 120_000)), 20.0);
        // A job 10 s old divides by 10 s, not a minute.
        assert_eq!(rate(&recent[2..], now, Some(now - 10_000)), 60.0);
        assert_eq!(eta_seconds(1_000, 20.0), Some(50));
        assert_eq!(eta_seconds(1_000, 0.0), None);
    }
}
