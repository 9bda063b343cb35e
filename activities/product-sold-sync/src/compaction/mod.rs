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

mod partition;
mod plan;

pub use partition::{CompactPartition, CompactPartitionInput, CompactPartitionOutput};
pub use plan::{
    CompactionRequest, PartitionToCompact, PlanCompaction, PlanCompactionInput,
    PlanCompactionOutput, compaction_day,
};

use stepwise_contract::deploy::{Area, Permission, Resource};

/// Listing the lake (to find partitions and their objects).
pub(crate) const LIST_LAKE: Permission = Permission {
    actions: &["s3:ListBucket"],
    resource: Resource::Listing { area: Area::Lake },
    reason: "lists sales_history partitions and their objects",
};

/// Whether a key is a per-sale object (`<saleId>.parquet`, not a compacted one).
pub(crate) fn is_sale_object(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.ends_with(".parquet") && !name.starts_with(stepwise_lake::COMPACTED_PREFIX)
}
