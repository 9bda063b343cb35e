//! The progress items in DynamoDB: what one tenant's item holds ([`TenantRecord`]) and
//! the conditional writes (see the [parent module](super) for the rules).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use futures::{StreamExt, stream};

use super::{
    ALL_TENANTS, MAX_FAILURES_RECORDED, MAX_STORED_CAUSE_CHARS, PROGRESS_CONFLICT, Plan,
    ProgressStatus, RecordProgressInput, TTL_DAYS, WRITE_CONCURRENCY,
};
use crate::write_partition::WritePartitionOutput;
use stepwise_runtime::ActivityError;
use stepwise_runtime::aws::errors::{SdkResultExt, classify};

/// One tenant's share of WritePartition's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// The tenant (or [`ALL_TENANTS`]).
    pub tenant_id: String,
    /// The status stored for this tenant: the run's, except that a PARTIAL run records
    /// COMPLETED for a tenant none of whose sales failed.
    pub status: ProgressStatus,
    /// Whether WritePartition's output was given (counts are only stored then).
    pub has_counts: bool,
    /// Its sales.
    pub rows: u64,
    /// Those written.
    pub embedded: u64,
    /// Those not written.
    pub failed: u64,
    /// At most [`MAX_FAILURES_RECORDED`] `(sale_id, error, cause)`, in manifest order.
    pub failures: Vec<(String, String, String)>,
    /// The Parquet keys written for it.
    pub files: Vec<String>,
}

impl TenantRecord {
    /// The record of `tenant` in a run ending (or starting) with `status`, from
    /// WritePartition's output (zeros for a tenant without sales; the totals for
    /// [`ALL_TENANTS`]).
    pub fn of(
        tenant: &str,
        status: ProgressStatus,
        written: Option<&WritePartitionOutput>,
    ) -> Self {
        let Some(written) = written else {
            return TenantRecord {
                tenant_id: tenant.to_string(),
                status,
                has_counts: false,
                rows: 0,
                embedded: 0,
                failed: 0,
                failures: Vec::new(),
                files: Vec::new(),
            };
        };
        let all = tenant == ALL_TENANTS;
        let (rows, failed) = if all {
            (written.rows, written.failed_count)
        } else {
            written
                .per_tenant
                .iter()
                .find(|t| t.tenant_id == tenant)
                .map(|t| (t.rows, t.failed))
                .unwrap_or_default()
        };
        TenantRecord {
            tenant_id: tenant.to_string(),
            status: match status {
                ProgressStatus::Partial if failed == 0 => ProgressStatus::Completed,
                other => other,
            },
            has_counts: true,
            rows,
            embedded: rows.saturating_sub(failed),
            failed,
            failures: written
                .failed
                .iter()
                .filter(|f| all || f.tenant_id == tenant)
                .take(MAX_FAILURES_RECORDED)
                .map(|f| (f.sale_id.clone(), f.error.clone(), f.cause.clone()))
                .collect(),
            files: written
                .files
                .iter()
                .filter(|f| all || f.tenant_id == tenant)
                .map(|f| f.key.clone())
                .collect(),
        }
    }
}

/// Writes every tenant's terminal item, [`WRITE_CONCURRENCY`] at a time; the first error
/// in tenant order wins, after all have finished. (STARTED goes through [`super::claim`].)
pub(crate) async fn write_all(
    dynamodb: &aws_sdk_dynamodb::Client,
    plan: &Plan,
    input: &RecordProgressInput,
    records: &[TenantRecord],
) -> Result<(), ActivityError> {
    let now = Utc::now();
    // By index: a closure over `&TenantRecord` items trips the compiler's higher-ranked
    // lifetime check on the `Send` future the Activity trait requires.
    let results: Vec<Result<(), ActivityError>> = stream::iter(0..records.len())
        .map(|i| write_one(dynamodb, plan, input, &records[i], now))
        .buffered(WRITE_CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect()
}

/// How a conditional write ended.
enum Written {
    Done,
    /// The condition failed; the stored item, when DynamoDB returned it.
    ConditionFailed(Option<HashMap<String, AttributeValue>>),
}

/// Writes one tenant's terminal item.
async fn write_one(
    dynamodb: &aws_sdk_dynamodb::Client,
    plan: &Plan,
    input: &RecordProgressInput,
    record: &TenantRecord,
    now: DateTime<Utc>,
) -> Result<(), ActivityError> {
    let written = finish(dynamodb, plan, input, record, now).await?;
    let stored = match written {
        Written::Done => return Ok(()),
        Written::ConditionFailed(Some(item)) => item,
        Written::ConditionFailed(None) => read(dynamodb, plan, &record.tenant_id).await?,
    };
    judge_conflict(plan, input, record, &stored)
}

/// After a failed condition: success when `stored` already holds this execution and
/// status (a retried write), [`PROGRESS_CONFLICT`] otherwise.
fn judge_conflict(
    plan: &Plan,
    input: &RecordProgressInput,
    record: &TenantRecord,
    stored: &HashMap<String, AttributeValue>,
) -> Result<(), ActivityError> {
    let tenant = &record.tenant_id;
    let text = |name: &str| {
        stored
            .get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
    };
    if stored.is_empty() {
        return Err(ActivityError::transient(format!(
            "progress of tenant {tenant} on {}: the item changed while it was written; try again",
            plan.export_date
        )));
    }
    let (status, execution) = (text("status"), text("execution"));
    if status == Some(record.status.as_str()) && execution == Some(input.execution.as_str()) {
        return Ok(());
    }
    Err(ActivityError::new(
        PROGRESS_CONFLICT,
        format!(
            "progress of tenant {tenant} on {} in table {} is {} by execution {}; not recording {} by execution {} over it ({})",
            plan.export_date,
            plan.table,
            status.unwrap_or("(no status)"),
            execution.unwrap_or("(none)"),
            record.status.as_str(),
            input.execution,
            if execution == Some(input.execution.as_str()) {
                "a late or repeated write of the same execution"
            } else {
                "another execution owns the record"
            }
        ),
    ))
}

/// Names and values of an expression, with every attribute name aliased.
#[derive(Default)]
pub(super) struct Expression {
    pub(super) names: HashMap<String, String>,
    pub(super) values: HashMap<String, AttributeValue>,
}

impl Expression {
    /// `#name`, registered.
    pub(super) fn name(&mut self, name: &str) -> String {
        let alias = format!("#{name}");
        self.names.insert(alias.clone(), name.to_string());
        alias
    }

    /// `:alias`, registered with `value`.
    pub(super) fn value(&mut self, alias: &str, value: AttributeValue) -> String {
        let alias = format!(":{alias}");
        self.values.insert(alias.clone(), value);
        alias
    }
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn timestamp(at: DateTime<Utc>) -> AttributeValue {
    s(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

pub(super) fn expires_at(now: DateTime<Utc>) -> AttributeValue {
    n((now + Duration::days(TTL_DAYS)).timestamp())
}

pub(super) fn key(plan: &Plan, tenant: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("tenant_id".to_string(), s(tenant)),
        ("export_date".to_string(), s(&plan.export_date)),
    ])
}

/// COMPLETED / PARTIAL / FAILED: updates the item STARTED by this execution (or creates
/// it), keeping `started_at`.
async fn finish(
    dynamodb: &aws_sdk_dynamodb::Client,
    plan: &Plan,
    input: &RecordProgressInput,
    record: &TenantRecord,
    now: DateTime<Utc>,
) -> Result<Written, ActivityError> {
    let mut expr = Expression::default();
    let mut sets: Vec<(&str, AttributeValue)> = vec![
        ("status", s(record.status.as_str())),
        ("execution", s(&input.execution)),
        ("updated_at", timestamp(now)),
        ("completed_at", timestamp(now)),
        ("expires_at", expires_at(now)),
    ];
    if record.has_counts {
        sets.push(("rows", n(record.rows)));
        sets.push(("embedded", n(record.embedded)));
        sets.push(("failed", n(record.failed)));
        let failures = record
            .failures
            .iter()
            .map(|(sale_id, error, cause)| {
                AttributeValue::M(HashMap::from([
                    ("sale_id".to_string(), s(sale_id)),
                    ("error".to_string(), s(error)),
                    ("cause".to_string(), s(cause)),
                ]))
            })
            .collect();
        sets.push(("failures", AttributeValue::L(failures)));
        sets.push((
            "files",
            AttributeValue::L(record.files.iter().map(s).collect()),
        ));
    }
    if let Some(error) = &input.error {
        sets.push(("error", s(&error.error)));
        let cause = error.cause.as_deref().unwrap_or_default();
        sets.push((
            "cause",
            s(cause
                .chars()
                .take(MAX_STORED_CAUSE_CHARS)
                .collect::<String>()),
        ));
    }
    let assignments: Vec<String> = sets
        .into_iter()
        .map(|(name, value)| format!("{} = {}", expr.name(name), expr.value(name, value)))
        .collect();
    let update = format!("SET {}", assignments.join(", "));
    let condition = format!(
        "attribute_not_exists({}) OR ({} = {} AND {} = {})",
        expr.name("tenant_id"),
        expr.name("execution"),
        expr.value("execution", s(&input.execution)),
        expr.name("status"),
        expr.value("started", s(ProgressStatus::Started.as_str())),
    );
    let result = dynamodb
        .update_item()
        .table_name(&plan.table)
        .set_key(Some(key(plan, &record.tenant_id)))
        .update_expression(update)
        .condition_expression(condition)
        .set_expression_attribute_names(Some(expr.names))
        .set_expression_attribute_values(Some(expr.values))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match result {
        Ok(_) => Ok(Written::Done),
        Err(err) => match err.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(e)) => {
                Ok(Written::ConditionFailed(e.item().cloned()))
            }
            _ => Err(in_table(plan, classify("DynamoDB", "UpdateItem", &err))),
        },
    }
}

/// The stored item (consistent read), empty when there is none.
pub(super) async fn read(
    dynamodb: &aws_sdk_dynamodb::Client,
    plan: &Plan,
    tenant: &str,
) -> Result<HashMap<String, AttributeValue>, ActivityError> {
    let output = dynamodb
        .get_item()
        .table_name(&plan.table)
        .set_key(Some(key(plan, tenant)))
        .consistent_read(true)
        .send()
        .await
        .activity_err("DynamoDB", "GetItem")
        .map_err(|e| in_table(plan, e))?;
    Ok(output.item.unwrap_or_default())
}

/// `e` with the table named in its cause.
pub(super) fn in_table(plan: &Plan, e: ActivityError) -> ActivityError {
    ActivityError::new(
        e.name,
        format!("progress table {}: {}", plan.table, e.cause),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn written() -> WritePartitionOutput {
        let failed: Vec<_> = (0..30)
            .map(|i| json!({"sale_id": format!("S-{i}"), "tenant_id": if i % 3 == 0 { "globex" } else { "acme" }, "error": "E", "cause": "C"}))
            .collect();
        serde_json::from_value(json!({
            "files": [
                {"key": "lake/acme.parquet", "tenant_id": "acme", "rows": 80, "bytes": 10},
                {"key": "lake/globex.parquet", "tenant_id": "globex", "rows": 5, "bytes": 10}
            ],
            "rows": 115, "embedded": 85, "failed_count": 30,
            "failed": failed,
            "per_tenant": [
                {"tenant_id": "acme", "rows": 100, "failed": 20},
                {"tenant_id": "globex", "rows": 15, "failed": 10}
            ]
        }))
        .expect("an output")
    }

    #[test]
    fn a_tenant_gets_its_own_counts_failures_and_files() {
        let w = written();
        let acme = TenantRecord::of("acme", ProgressStatus::Partial, Some(&w));
        assert_eq!((acme.rows, acme.embedded, acme.failed), (100, 80, 20));
        assert_eq!(acme.failures.len(), MAX_FAILURES_RECORDED);
        assert_eq!(acme.failures[0].0, "S-1");
        assert_eq!(acme.files, ["lake/acme.parquet"]);
        let globex = TenantRecord::of("globex", ProgressStatus::Partial, Some(&w));
        assert_eq!(globex.failures.len(), 10);
        let none = TenantRecord::of("initech", ProgressStatus::Partial, Some(&w));
        assert_eq!((none.rows, none.failed, none.has_counts), (0, 0, true));
        assert!(none.files.is_empty());
    }

    #[test]
    fn a_partial_run_records_completed_for_a_tenant_without_failures() {
        let mut w = written();
        w.per_tenant[1].failed = 0;
        let status = |tenant, run| TenantRecord::of(tenant, run, Some(&w)).status;
        assert_eq!(
            status("acme", ProgressStatus::Partial),
            ProgressStatus::Partial
        );
        assert_eq!(
            status("globex", ProgressStatus::Partial),
            ProgressStatus::Completed
        );
        assert_eq!(
            status("initech", ProgressStatus::Partial),
            ProgressStatus::Completed
        );
        assert_eq!(
            status("globex", ProgressStatus::Failed),
            ProgressStatus::Failed
        );
        assert_eq!(
            status(ALL_TENANTS, ProgressStatus::Partial),
            ProgressStatus::Partial
        );
    }

    #[test]
    fn the_pseudo_tenant_gets_the_totals_and_nothing_without_output() {
        let w = written();
        let all = TenantRecord::of(ALL_TENANTS, ProgressStatus::Partial, Some(&w));
        assert_eq!((all.rows, all.embedded, all.failed), (115, 85, 30));
        assert_eq!(all.failures.len(), MAX_FAILURES_RECORDED);
        assert_eq!(all.files.len(), 2);
        assert!(!TenantRecord::of("acme", ProgressStatus::Started, None).has_counts);
    }
}
