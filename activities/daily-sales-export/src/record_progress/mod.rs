//! `RecordProgress`: one DynamoDB item per (tenant, export date) saying how the day's
//! export went, written so that a late or retried write never undoes a later state.
//!
//! # The item
//!
//! Key: partition key `tenant_id` (S), sort key `export_date` (S, `YYYY-MM-DD`). Other
//! attributes:
//!
//! | attribute | when | what |
//! | --- | --- | --- |
//! | `status` | always | `STARTED`, `COMPLETED`, `PARTIAL` or `FAILED` (a PARTIAL run records `COMPLETED` for a tenant none of whose sales failed) |
//! | `execution` | always | the execution ARN (or name) that wrote it |
//! | `previous` | a new attempt | the item this attempt replaced (one level deep) |
//! | `rerun` | a requested re-run | `true` |
//! | `started_at` | STARTED | RFC 3339, kept by the terminal write |
//! | `updated_at` | always | RFC 3339, the last write |
//! | `completed_at` | terminal | RFC 3339 |
//! | `rows`, `embedded`, `failed` | terminal, with `written` | the tenant's counts (N) |
//! | `failures` | terminal, with `written` | at most [`MAX_FAILURES_RECORDED`] maps `{sale_id, error, cause}` |
//! | `files` | terminal, with `written` | the Parquet keys written (L of S) |
//! | `error`, `cause` | FAILED, with `error` | the Catch's `Error` and `Cause` |
//! | `expires_at` | always | TTL: epoch seconds, now + [`TTL_DAYS`] days |
//!
//! # Tenants
//!
//! The request's `tenant_id` when it names one; else the `tenants` of the configuration;
//! else (the configuration was never loaded — LoadConfig failed — so nobody knows the
//! tenants) the single pseudo-tenant [`ALL_TENANTS`] (`"*"`), whose item records the
//! failure of the whole run. Per-tenant counts and failures come from `written`
//! (WritePartition's output); the pseudo-tenant gets the totals.
//!
//! # Who runs a day, and conditional writes
//!
//! - `STARTED` first *claims the day* (the [`claim`] module): the pseudo-tenant's item
//!   [`ALL_TENANTS`] for a run of every tenant, the tenant's item for a run of one. A day
//!   already `COMPLETED`, or `STARTED` by another execution less than
//!   [`STALE_AFTER_HOURS`] ago, is not claimed: the output says `"proceed": false` with
//!   the reason, nothing is written, and the workflow ends successfully ("Nothing to
//!   export"). EventBridge Scheduler may start one day twice, and two concurrent runs
//!   race on one conditional write: exactly one proceeds. A request with `"rerun": true`
//!   claims a completed day. Under the claim every tenant's item is started anew, the old
//!   result kept under `previous` (a new attempt, not a lost record).
//! - `COMPLETED` / `PARTIAL` / `FAILED` update each tenant's item — and the day's claim
//!   item, with the totals — only when it is `STARTED` by the same execution, or absent
//!   (a run that failed before it recorded STARTED).
//! - When the condition fails and the item already holds this very (execution, status),
//!   the write was a retry: success, nothing changes. Any other failed condition is
//!   [`PROGRESS_CONFLICT`] (never retried), and its cause says what is stored.
//!
//! Every attribute name goes through expression attribute names (`status` is a DynamoDB
//! reserved word, and so are others). Tenants are written with a few requests in flight;
//! the first failure in tenant order is returned after every write has finished, and a
//! retry of the activity re-writes only what is missing (the others are idempotent).
//!
//! This module must not log or retry; it writes only the progress table.

mod claim;
mod store;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};

use claim::Claimed;
use futures::{StreamExt, stream};

use crate::sales::{ExportRequest, export_window};
use crate::write_partition::WritePartitionOutput;
use stepwise_runtime::{Activity, ActivityError, Context};

pub use claim::STALE_AFTER_HOURS;
pub use store::TenantRecord;

/// A progress write that would overwrite a record it must not (a late STARTED over a
/// terminal status of the same execution, a terminal status over another execution's
/// run). Not retried: the cause says what is stored.
pub const PROGRESS_CONFLICT: ErrorName = ErrorName::new("ProgressConflict");
/// The pseudo-tenant of a run whose tenants are unknown (the configuration never loaded).
pub const ALL_TENANTS: &str = "*";
/// The most failed sales recorded in one item.
pub const MAX_FAILURES_RECORDED: usize = 20;
/// How long a progress item lives (the `expires_at` TTL), in days.
pub const TTL_DAYS: i64 = 90;
/// How many tenants' items are written at once.
pub const WRITE_CONCURRENCY: usize = 8;
/// The longest `cause` stored for a FAILED run, in characters.
pub const MAX_STORED_CAUSE_CHARS: usize = 4000;

/// The state of one tenant's export of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProgressStatus {
    /// The run began.
    Started,
    /// Every sale was written.
    Completed,
    /// The run finished, but some sales were not written (see `failures`).
    Partial,
    /// The run failed (see `error` and `cause`).
    Failed,
}

impl ProgressStatus {
    /// The stored value: `STARTED`, `COMPLETED`, `PARTIAL` or `FAILED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProgressStatus::Started => "STARTED",
            ProgressStatus::Completed => "COMPLETED",
            ProgressStatus::Partial => "PARTIAL",
            ProgressStatus::Failed => "FAILED",
        }
    }

    /// Whether the status ends a run.
    pub const fn is_terminal(self) -> bool {
        !matches!(self, ProgressStatus::Started)
    }
}

/// An error as a Catch's `ResultPath` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaughtError {
    /// The error name.
    #[serde(rename = "Error")]
    pub error: String,
    /// The cause.
    #[serde(rename = "Cause", default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// What `RecordProgress` receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordProgressInput {
    /// The progress table (the configuration's, or the request's when the configuration
    /// could not be loaded).
    pub table: String,
    /// The export request that started the execution: gives the export date (and the
    /// tenant when it names one).
    pub request: ExportRequest,
    /// The configured tenants; `null` when the configuration was never loaded.
    #[serde(default)]
    pub tenants: Option<Vec<String>>,
    /// The status to record.
    pub status: ProgressStatus,
    /// The execution ARN (or name): `$$.Execution.Id`.
    pub execution: String,
    /// WritePartition's output, for the counts, failures and files; `null` when it did
    /// not run. Not accepted with STARTED.
    #[serde(default)]
    pub written: Option<WritePartitionOutput>,
    /// The caught error of a FAILED run. Only accepted with FAILED.
    #[serde(default)]
    pub error: Option<CaughtError>,
}

/// What `RecordProgress` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordProgressOutput {
    /// The exported day, `YYYY-MM-DD`.
    pub export_date: String,
    /// The status recorded.
    pub status: ProgressStatus,
    /// The tenants whose items were written (or found already written by this execution).
    pub tenants: Vec<String>,
    /// Whether the run goes on: `false` when STARTED found the day exported already or
    /// another execution exporting it (nothing was written then); always `true` for the
    /// other statuses.
    pub proceed: bool,
    /// Why the run does not go on, when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Records the export's progress in DynamoDB. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordProgress;

impl ActivityDef for RecordProgress {
    const NAME: &'static str = "RecordProgress";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 128,
        timeout_seconds: 30,
        permissions: &[Permission {
            actions: &[
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            resource: Resource::ProgressTable,
            reason: "records each run's status with conditional writes, reading the item on a conflict",
        }],
    };
    const ERRORS: &'static [ErrorName] = &[PROGRESS_CONFLICT];
    type Input = RecordProgressInput;
    type Output = RecordProgressOutput;
}

impl Activity for RecordProgress {
    async fn run(
        &self,
        input: RecordProgressInput,
        ctx: &Context,
    ) -> Result<RecordProgressOutput, ActivityError> {
        let plan = Plan::new(&input)?;
        let dynamodb = ctx.aws().dynamodb().await;
        let now = chrono::Utc::now();
        // The claim item: the pseudo-tenant for a run of every tenant, the tenant's own
        // item for a run of one.
        let day = input
            .request
            .tenant_id
            .clone()
            .unwrap_or_else(|| ALL_TENANTS.to_string());
        if input.status == ProgressStatus::Started {
            if let Claimed::No(reason) =
                claim::claim(dynamodb, &plan, &input, &day, input.request.rerun, now).await?
            {
                return Ok(RecordProgressOutput {
                    export_date: plan.export_date,
                    status: input.status,
                    tenants: Vec::new(),
                    proceed: false,
                    reason: Some(reason),
                });
            }
            // Under the day's claim every tenant is (re)started, keeping its old result.
            let tenants: Vec<&String> = plan.tenants.iter().filter(|t| **t != day).collect();
            let results: Vec<Result<Claimed, ActivityError>> = stream::iter(0..tenants.len())
                .map(|i| claim::claim(dynamodb, &plan, &input, tenants[i], true, now))
                .buffered(WRITE_CONCURRENCY)
                .collect()
                .await;
            for result in results {
                if let Claimed::No(reason) = result? {
                    return Err(ActivityError::new(PROGRESS_CONFLICT, reason));
                }
            }
        } else {
            let mut records: Vec<TenantRecord> = plan
                .tenants
                .iter()
                .map(|t| TenantRecord::of(t, input.status, input.written.as_ref()))
                .collect();
            if day == ALL_TENANTS && !plan.tenants.iter().any(|t| t == ALL_TENANTS) {
                records.push(TenantRecord::of(
                    ALL_TENANTS,
                    input.status,
                    input.written.as_ref(),
                ));
            }
            store::write_all(dynamodb, &plan, &input, &records).await?;
        }
        Ok(RecordProgressOutput {
            export_date: plan.export_date,
            status: input.status,
            tenants: plan.tenants,
            proceed: true,
            reason: None,
        })
    }
}

/// What the input decides before any write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The table, trimmed.
    pub table: String,
    /// `YYYY-MM-DD`.
    pub export_date: String,
    /// The tenants, in the order given, without duplicates.
    pub tenants: Vec<String>,
}

impl Plan {
    /// Checks the input (`InvalidInput` naming the field).
    fn new(input: &RecordProgressInput) -> Result<Self, ActivityError> {
        let table = input.table.trim();
        if table.is_empty() {
            return Err(ActivityError::invalid_input(
                "input field \"table\": must name a DynamoDB table",
            ));
        }
        if input.execution.trim().is_empty() {
            return Err(ActivityError::invalid_input(
                "input field \"execution\": must name the execution",
            ));
        }
        if input.error.is_some() && input.status != ProgressStatus::Failed {
            return Err(ActivityError::invalid_input(format!(
                "input field \"error\": only a FAILED status records an error, not {}",
                input.status.as_str()
            )));
        }
        if input.written.is_some() && input.status == ProgressStatus::Started {
            return Err(ActivityError::invalid_input(
                "input field \"written\": a STARTED status has nothing written yet",
            ));
        }
        let window = export_window(&input.request).map_err(|e| {
            ActivityError::invalid_input(format!(
                "input field \"request.{}",
                e.cause.replacen(':', "\":", 1)
            ))
        })?;
        let tenants = match (&input.request.tenant_id, &input.tenants) {
            (Some(tenant), _) => {
                if tenant.trim().is_empty() {
                    return Err(ActivityError::invalid_input(
                        "input field \"request.tenant_id\": must not be empty",
                    ));
                }
                vec![tenant.clone()]
            }
            (None, Some(tenants)) => {
                if tenants.is_empty() {
                    return Err(ActivityError::invalid_input(
                        "input field \"tenants\": must list at least one tenant (or be null when the configuration was not loaded)",
                    ));
                }
                let mut unique: Vec<String> = Vec::with_capacity(tenants.len());
                for (i, tenant) in tenants.iter().enumerate() {
                    if tenant.trim().is_empty() {
                        return Err(ActivityError::invalid_input(format!(
                            "input field \"tenants[{i}]\": must not be empty"
                        )));
                    }
                    if !unique.contains(tenant) {
                        unique.push(tenant.clone());
                    }
                }
                unique
            }
            (None, None) => vec![ALL_TENANTS.to_string()],
        };
        Ok(Plan {
            table: table.to_string(),
            export_date: window.export_date.to_string(),
            tenants,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn input(extra: Value) -> RecordProgressInput {
        let mut doc = json!({
            "table": "progress",
            "request": {"config_parameter": "/p", "progress_table": "progress", "date": "2026-03-09"},
            "tenants": ["acme", "globex", "acme"],
            "status": "STARTED",
            "execution": "arn:aws:states:us-east-1:1:execution:daily:run-1"
        });
        if let (Some(doc), Some(extra)) = (doc.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                doc.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(doc).expect("an input")
    }

    fn cause(extra: Value) -> String {
        let err = Plan::new(&input(extra)).unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        err.cause
    }

    #[test]
    fn tenants_come_from_the_request_the_config_or_the_pseudo_tenant() {
        let plan = Plan::new(&input(json!({}))).expect("a plan");
        assert_eq!(plan.tenants, ["acme", "globex"]);
        assert_eq!(plan.export_date, "2026-03-09");
        let plan = Plan::new(&input(json!({"request": {
            "config_parameter": "/p", "progress_table": "t",
            "scheduled_time": "2026-03-10T03:00:00Z", "tenant_id": "globex"
        }})))
        .expect("a plan");
        assert_eq!(
            (plan.tenants, plan.export_date),
            (vec!["globex".to_string()], "2026-03-09".to_string())
        );
        let plan = Plan::new(&input(json!({"tenants": null}))).expect("a plan");
        assert_eq!(plan.tenants, [ALL_TENANTS]);
    }

    #[test]
    fn inconsistent_input_is_invalid_naming_the_field() {
        assert!(cause(json!({"table": " "})).contains("\"table\""));
        assert!(cause(json!({"execution": ""})).contains("\"execution\""));
        assert!(cause(json!({"tenants": []})).contains("\"tenants\""));
        assert!(cause(json!({"tenants": ["a", ""]})).contains("\"tenants[1]\""));
        assert!(cause(json!({"error": {"Error": "E", "Cause": "C"}})).contains("\"error\""));
        let written = json!({"files": [], "rows": 0, "embedded": 0, "failed_count": 0, "failed": [], "per_tenant": []});
        assert!(cause(json!({"written": written})).contains("\"written\""));
        let bad_date = cause(
            json!({"request": {"config_parameter": "/p", "progress_table": "t", "date": "9.3.2026"}}),
        );
        assert!(
            bad_date.starts_with("input field \"request.date\":"),
            "{bad_date}"
        );
    }

    #[test]
    fn statuses_are_spelled_in_capitals() {
        for status in [
            ProgressStatus::Started,
            ProgressStatus::Completed,
            ProgressStatus::Partial,
            ProgressStatus::Failed,
        ] {
            assert_eq!(
                serde_json::to_value(status).expect("json"),
                json!(status.as_str())
            );
        }
        assert!(!ProgressStatus::Started.is_terminal());
        assert!(ProgressStatus::Partial.is_terminal());
    }

    #[test]
    fn progress_conflict_is_a_declared_error_name() {
        assert!(RecordProgress::error_names().contains(&PROGRESS_CONFLICT));
    }
}
