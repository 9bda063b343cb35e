//! The lake's daily compaction: `PlanCompaction` finds the `sales_history` partitions
//! holding per-sale objects written before the cutoff (00:00 UTC after the compacted
//! day), `CompactPartition` merges one partition's into `compacted-<day>.parquet`.
//!
//! # Why a crash loses and duplicates nothing
//!
//! `CompactPartition` deletes a per-sale object only after a compacted object holding
//! its sale was written *and read back* with the expected rows; before merging, it reads
//! the partition's compacted objects, and a per-sale object whose sale one of them
//! already holds is not merged again, only deleted. So:
//!
//! - a crash before the compacted object is written leaves the partition as it was;
//! - a crash after it, before or during the deletes, leaves rows in both places for a
//!   while — the re-run (or the next day's run) finds them already merged and deletes
//!   the small objects;
//! - a re-run after success finds nothing to do (a no-op: no object is written).
//!
//! A reader listing the partition during a run may see a sale twice between the write
//! and the deletes; after the run ends, every sale is in exactly one object. A sale
//! written again later (a replay after the claim's 24 hours) lands in a new per-sale
//! object with the identical row, which the next run deletes as already merged.
//!
//! # With `lake_tables`: the compaction is the commit into `sales_history`
//!
//! When the request names the lake's Iceberg tables, the day's rows go into the
//! `sales_history` table in one append snapshot tagged `compaction-<day>`:
//!
//! 1. `CompactPartition` (a Map over the plan's partitions) writes each partition's
//!    staged sales that no committed compaction holds to
//!    `<table>/data/tenant_id=T/sold_date_month=YYYY-MM/compacted-<day>.parquet` (one
//!    deterministic name per partition and day) and deletes nothing;
//! 2. `CommitCompaction` appends those files in one snapshot, idempotently by the batch
//!    id (S3 Tables' optimistic concurrency; a lost race is retried, then `Throttled`);
//! 3. `DeleteCommitted` (a Map again) deletes the staged objects whose sales a committed
//!    compacted file holds.
//!
//! A crash before the commit leaves the staged objects: the re-run rewrites the same
//! files and commits once. A crash after the commit, before or during the deletes: the
//! re-run's `CompactPartition` sees the day's batch committed and writes nothing, the
//! commit appends nothing, the deletes finish. A later replay of a sale lands in a new
//! staged object; the next day's run finds its sale committed and only deletes it. So a
//! reader of the table never sees a sale twice; the staged objects are a reader's view
//! only until the deletes end.

mod commit;
mod delete;
mod partition;
mod plan;
mod table;

pub use commit::{CommitCompaction, CommitCompactionInput, CommitCompactionOutput, CompactedFile};
pub use delete::{DeleteCommitted, DeleteCommittedInput, DeleteCommittedOutput};
pub use partition::{CompactPartition, CompactPartitionInput, CompactPartitionOutput};
pub use plan::{
    CompactionRequest, PartitionToCompact, PlanCompaction, PlanCompactionInput,
    PlanCompactionOutput, compaction_day,
};
pub use table::{BATCH_PREFIX, batch_id, table_dir, table_file_name};

use stepwise_contract::deploy::{Area, Permission, Resource};

/// Listing the lake (to find partitions and their objects).
pub(crate) const LIST_LAKE: Permission = Permission {
    actions: &["s3:ListBucket"],
    resource: Resource::Listing { area: Area::Lake },
    reason: "lists sales_history partitions and their objects",
};

/// With `lake_tables`: checking the lake's namespace (every step opens the tables).
pub(crate) const LAKE_NAMESPACE: Permission = Permission {
    actions: &["s3tables:GetNamespace"],
    resource: Resource::LakeNamespace,
    reason: "with lake_tables: checks that the lake's namespace exists in the table bucket (the deployment creates both; given as an ARN the bucket is not listed)",
};

/// With `lake_tables`: `sales_history` as the S3 Tables permissions name it.
const SALES_TABLE: Resource = Resource::LakeTable {
    dataset: stepwise_lake::SALES_HISTORY_DATASET,
};

/// With `lake_tables`: reading `sales_history` (finding it, its metadata file, manifests
/// and data files).
pub(crate) const READ_SALES_TABLE: Permission = Permission {
    actions: &["s3tables:GetTable", "s3tables:GetTableData"],
    resource: SALES_TABLE,
    reason: "with lake_tables: finds sales_history and reads its metadata, manifests and data files through the S3 API of its warehouse location",
};

/// With `lake_tables`: writing files under `sales_history`'s location (data files;
/// for a commit also manifests and the metadata file).
pub(crate) const WRITE_SALES_TABLE_DATA: Permission = Permission {
    actions: &["s3tables:PutTableData"],
    resource: SALES_TABLE,
    reason: "with lake_tables: writes files under sales_history's warehouse location",
};

/// Whether a key is a per-sale object (`<saleId>.parquet`, not a compacted one).
pub(crate) fn is_sale_object(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.ends_with(".parquet") && !name.starts_with(stepwise_lake::COMPACTED_PREFIX)
}
