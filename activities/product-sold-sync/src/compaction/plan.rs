//! `PlanCompaction`: the day to compact (the UTC day before the schedule fired, or the
//! one asked for), its cutoff, and the `sales_history` partitions holding per-sale
//! objects last modified before the cutoff. Reads only listings; with `lake_tables` it
//! also creates the `sales_history` table when missing (once, before the partitions'
//! steps open it concurrently).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::ActivityDef;
use stepwise_contract::deploy::Deployment;
use stepwise_lake::{SALES_HISTORY_DATASET, join_prefix};
use stepwise_lake_tables::{Dataset, LakeTables};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use super::{LAKE_NAMESPACE, LIST_LAKE, READ_SALES_TABLE, is_sale_object};

/// The most partitions one run plans (the Map's items travel through the state).
pub const MAX_PARTITIONS: usize = 2000;

/// What starts a compaction (the workflow's input): the schedule's payload
/// (`scheduled_time`), or a console start with a `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompactionRequest {
    /// When the schedule fired (RFC 3339): the day before it is compacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<String>,
    /// The day to compact, `YYYY-MM-DD` (instead of `scheduled_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The lake's Iceberg tables: when given, the compaction commits the day's rows to
    /// the `sales_history` table (one snapshot, batch `compaction-<day>`) instead of
    /// writing Hive-style compacted objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lake_tables: Option<stepwise_lake_tables::TablesConfig>,
}

/// What `PlanCompaction` receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanCompactionInput {
    /// The lake's bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The lake's prefix in it.
    pub lake_prefix: String,
    /// The execution's input.
    pub request: CompactionRequest,
}

/// One partition to compact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionToCompact {
    /// The partition's prefix (`…/sales_history/tenant_id=T/year=YYYY/month=MM/`).
    pub partition: String,
    /// Per-sale objects in it from before the cutoff.
    pub objects: u64,
}

/// What `PlanCompaction` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanCompactionOutput {
    /// The lake's bucket.
    pub bucket: String,
    /// The compacted day, `YYYY-MM-DD`.
    pub day: String,
    /// Objects last modified before this (RFC 3339, 00:00 UTC after `day`) are merged.
    pub cutoff: String,
    /// The partitions to compact, in key order.
    pub partitions: Vec<PartitionToCompact>,
}

/// The `PlanCompaction` activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanCompaction;

impl ActivityDef for PlanCompaction {
    const NAME: &'static str = "PlanCompaction";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 256,
        timeout_seconds: 120,
        permissions: &[LIST_LAKE, LAKE_NAMESPACE, READ_SALES_TABLE],
    };
    type Input = PlanCompactionInput;
    type Output = PlanCompactionOutput;
}

/// The day to compact and its cutoff.
///
/// # Errors
/// `InvalidInput` naming `date` or `scheduled_time` when malformed, or when neither is
/// given.
pub fn compaction_day(
    input: &CompactionRequest,
) -> Result<(NaiveDate, DateTime<Utc>), ActivityError> {
    let day = match (&input.date, &input.scheduled_time) {
        (Some(d), _) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            ActivityError::invalid_input(format!(
                "field \"date\": \"{d}\" is not a YYYY-MM-DD date"
            ))
        })?,
        (None, Some(t)) => {
            let fired = DateTime::parse_from_rfc3339(t).map_err(|e| {
                ActivityError::invalid_input(format!(
                    "field \"scheduled_time\": \"{t}\" is not an RFC 3339 time: {e}"
                ))
            })?;
            fired.with_timezone(&Utc).date_naive() - Duration::days(1)
        }
        (None, None) => {
            return Err(ActivityError::invalid_input(
                "field \"scheduled_time\": missing (give scheduled_time or date)",
            ));
        }
    };
    let cutoff = (day + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            ActivityError::invalid_input(format!("field \"date\": {day} is out of range"))
        })?;
    Ok((day, cutoff))
}

impl Activity for PlanCompaction {
    async fn run(
        &self,
        input: PlanCompactionInput,
        ctx: &Context,
    ) -> Result<PlanCompactionOutput, ActivityError> {
        let (day, cutoff) = compaction_day(&input.request)?;
        if let Some(tables) = &input.request.lake_tables {
            // Created here, once, before the Map's partitions open it concurrently.
            tables.check()?;
            let sdk = ctx.aws().config().await;
            LakeTables::open(sdk, tables, Dataset::SalesHistory).await?;
        }
        let root = join_prefix(&input.lake_prefix, &format!("{SALES_HISTORY_DATASET}/"));
        let s3 = ctx.aws().s3().await;
        let mut pages = s3
            .list_objects_v2()
            .bucket(&input.bucket)
            .prefix(&root)
            .into_paginator()
            .send();
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page = page.activity_err("S3", "ListObjectsV2")?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let before = object
                    .last_modified()
                    .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))
                    .is_some_and(|t| t < cutoff);
                if is_sale_object(key) && before {
                    let partition = match key.rfind('/') {
                        Some(i) => key[..=i].to_string(),
                        None => continue,
                    };
                    *counts.entry(partition).or_default() += 1;
                }
            }
        }
        if counts.len() > MAX_PARTITIONS {
            return Err(ActivityError::permanent(format!(
                "{} partitions hold per-sale objects, more than the {MAX_PARTITIONS} one run compacts; run with earlier dates first",
                counts.len()
            )));
        }
        Ok(PlanCompactionOutput {
            bucket: input.bucket,
            day: day.to_string(),
            cutoff: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            partitions: counts
                .into_iter()
                .map(|(partition, objects)| PartitionToCompact { partition, objects })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(date: Option<&str>, scheduled: Option<&str>) -> CompactionRequest {
        CompactionRequest {
            scheduled_time: scheduled.map(str::to_string),
            date: date.map(str::to_string),
            lake_tables: None,
        }
    }

    #[test]
    fn the_day_before_the_schedule_or_the_given_date() {
        let (day, cutoff) = compaction_day(&input(None, Some("2026-12-01T00:30:00Z"))).unwrap();
        assert_eq!(day.to_string(), "2026-11-30");
        assert_eq!(cutoff.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        let (day, _) = compaction_day(&input(Some("2026-11-02"), None)).unwrap();
        assert_eq!(day.to_string(), "2026-11-02");
        let err = compaction_day(&input(Some("yesterday"), None)).unwrap_err();
        assert!(err.cause.contains("\"date\""), "{err}");
        assert!(compaction_day(&input(None, None)).is_err());
    }
}
