//! `product-sold-sync-compaction`: the daily merge of the lake's per-sale objects
//! (product-sold-sync writes one small Parquet object per sale) into one file per
//! partition and day.
//!
//! ```text
//! PlanCompaction → Lake tables?
//!   ├─ no:  Compact partitions (Map: CompactPartition, 4 at a time) → Compacted
//!   └─ yes: Stage partitions (Map: CompactPartition with lake_tables) → CommitCompaction
//!           → Delete committed (Map: DeleteCommitted) → Committed
//! ```
//!
//! With `lake_tables` in the input the day's rows are committed to the `sales_history`
//! Iceberg table in one snapshot tagged `compaction-<day>` (idempotent: a re-run never
//! appends the batch twice), and only then are the staged per-sale objects deleted. Only
//! the compacted files' names (about 70 bytes each) travel from the Map to the commit
//! (Step Functions caps a state's input and output at 256 KiB). The state also holds the
//! plan's partition list, so near the plan's 2000-partition cap the two together can
//! approach the limit; sfn-local enforces it (`States.DataLimitExceeded`).
//!
//! Standard, scheduled at 00:30 UTC: it compacts the UTC day before (every per-sale
//! object last modified before 00:00). Each partition's step verifies the merged file
//! before deleting anything and skips sales already merged, so the workflow is
//! re-runnable and a crash at any point loses and duplicates nothing (see
//! `stepwise_product_sold_sync::compaction`).

use std::time::Duration;

use codegen::builder::*;
use codegen::trigger::{DeploymentName, Schedule, SchedulerAttribute};
use codegen::workflow::Workflow;
use serde_json::json;
use stepwise_contract::errors::{THROTTLED, TRANSIENT};
use stepwise_product_sold_sync::compaction::{
    CommitCompaction, CompactPartition, CompactionRequest, DeleteCommitted, PlanCompaction,
};

use crate::product_sold_sync::{LAKE_BUCKET, LAKE_PREFIX};

/// The name of the workflow.
pub const NAME: &str = "product-sold-sync-compaction";
/// When EventBridge Scheduler starts it: 00:30 every day, UTC.
pub const SCHEDULE: &str = "cron(30 0 * * ? *)";
/// How many partitions are compacted at once.
pub const PARTITION_CONCURRENCY: u32 = 4;

/// The schedule: at [`SCHEDULE`] it passes the time it fired and the deployment's lake
/// tables (the stack's table bucket ARN and namespace); the run compacts the UTC day
/// before and commits it to `sales_history`.
pub fn schedule() -> Schedule {
    Schedule::cron(SCHEDULE)
        .timezone("UTC")
        .input(json!({
            "scheduled_time": SchedulerAttribute::ScheduledTime.as_str(),
            "lake_tables": {
                "table_bucket": DeploymentName::LakeTableBucket.placeholder(),
                "namespace": DeploymentName::LakeNamespace.placeholder(),
            },
        }))
        .dead_letter_queue()
        .reason("Scheduler fires at 00:30 UTC, after the day's last per-sale objects landed; the run merges the previous UTC day's objects")
}

/// The example input: compact one given day.
pub fn example_input() -> CompactionRequest {
    CompactionRequest {
        scheduled_time: None,
        date: Some("2026-11-30".into()),
        lake_tables: None,
    }
}

fn retry() -> Retry {
    Retry::on([THROTTLED, TRANSIENT])
        .interval(Duration::from_secs(2))
        .backoff_rate(2.0)
        .max_attempts(5)
        .max_delay(Duration::from_secs(60))
        .full_jitter()
}

/// The workflow description.
pub fn workflow() -> Workflow {
    let plan = task::<PlanCompaction>()
        .parameters(json!({"bucket": LAKE_BUCKET, "lake_prefix": LAKE_PREFIX, "request.$": "$"}))
        .result_path("$.plan")
        .retry(retry());
    let compact = map("Compact partitions")
        .items_path("$.plan.partitions")
        .item_selector(json!({
            "bucket.$": "$.plan.bucket",
            "partition.$": "$$.Map.Item.Value.partition",
            "day.$": "$.plan.day",
            "cutoff.$": "$.plan.cutoff"
        }))
        .max_concurrency(PARTITION_CONCURRENCY)
        .processor(task::<CompactPartition>().retry(retry()))
        .result_path("$.compacted");
    let hive = Chain::start(compact).then(succeed("Compacted"));

    // With lake tables: stage each partition's file under the table, commit them all in
    // one snapshot, then delete the staged per-sale objects the table holds.
    let stage = map("Stage partitions")
        .items_path("$.plan.partitions")
        .item_selector(json!({
            "bucket.$": "$.plan.bucket",
            "partition.$": "$$.Map.Item.Value.partition",
            "day.$": "$.plan.day",
            "cutoff.$": "$.plan.cutoff",
            "lake_tables.$": "$.lake_tables"
        }))
        .max_concurrency(PARTITION_CONCURRENCY)
        .processor(
            task::<CompactPartition>()
                .named("StagePartition")
                .retry(retry())
                .result_selector(json!({"file.$": "$.table_file"})),
        )
        .result_path("$.staged");
    let commit = task::<CommitCompaction>()
        .parameters(json!({
            "day.$": "$.plan.day",
            "lake_tables.$": "$.lake_tables",
            "files.$": "$.staged"
        }))
        .result_path("$.commit")
        .retry(retry());
    let delete = map("Delete committed")
        .items_path("$.plan.partitions")
        .item_selector(json!({
            "bucket.$": "$.plan.bucket",
            "partition.$": "$$.Map.Item.Value.partition",
            "cutoff.$": "$.plan.cutoff",
            "lake_tables.$": "$.lake_tables"
        }))
        .max_concurrency(PARTITION_CONCURRENCY)
        .processor(task::<DeleteCommitted>().retry(retry()))
        .result_path("$.deleted");
    let tables = Chain::start(stage)
        .then(commit)
        .then(delete)
        .then(succeed("Committed"));

    let path = choice("Lake tables?")
        .when(Condition::is_present("$.lake_tables"), tables)
        .otherwise(hive);
    Workflow::new(NAME, Chain::start(plan).then(path))
    .comment("Daily merge of the previous day's per-sale sales_history objects into one Parquet file per partition, or (with lake_tables) their commit into the sales_history Iceberg table in one snapshot.")
    .timeout(Duration::from_secs(2 * 3600))
    .input(&example_input())
    .schedule(schedule())
}
