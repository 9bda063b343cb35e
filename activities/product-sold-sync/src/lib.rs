//! `stepwise-product-sold-sync`: the activities of the product-sold-sync pipeline — each
//! Carousel sale into the sales-history table and the analytics lake, exactly once — and
//! its typed event.
//!
//! | module | what |
//! | --- | --- |
//! | [`event`] | the `carousel.product.sold` EventBridge event, typed and validated |
//! | [`item`] | the sales-history item and lake row of a sale, and their derived values |
//! | [`prepare`] | `Prepare`: validation, the claim's values, the item and the row |
//! | [`lake_object`] | `WriteLakeObject`: one sale's Parquet object at a deterministic key |
//! | [`compaction`] | `PlanCompaction`, `CompactPartition`, `CommitCompaction`, `DeleteCommitted`: the daily merge of per-sale objects, or their commit into the `sales_history` Iceberg table |
//!
//! The claim, the item's put, completing and releasing the claim and the dead-letter send
//! are service integrations of the workflow (`statemachines::product_sold_sync`), not
//! activities. This crate builds on `stepwise-runtime` and the shared `stepwise-lake`
//! and `stepwise-embeddings` (and `stepwise-lake-tables` for the table commit); it must not depend on another pipeline's crate.

pub mod compaction;
pub mod event;
pub mod item;
pub mod lake_object;
pub mod prepare;

use stepwise_contract::ErrorName;
use stepwise_runtime::Registry;

/// Raised by the workflow (a Fail state) when another delivery holds the event's claim
/// and its lock has not expired: the claim is retried with backoff.
pub const CLAIM_HELD: ErrorName = ErrorName::new("ClaimHeld");

/// This pipeline's activities, as deployed.
pub fn register(registry: Registry) -> Registry {
    registry
        .with(prepare::Prepare)
        .with(lake_object::WriteLakeObject)
        .with(compaction::PlanCompaction)
        .with(compaction::CompactPartition)
        .with(compaction::CommitCompaction)
        .with(compaction::DeleteCommitted)
}

/// A registry of this pipeline's activities alone (for its own tests).
#[cfg(test)]
pub(crate) fn registry() -> Registry {
    register(Registry::new())
}
