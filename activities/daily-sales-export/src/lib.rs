//! `stepwise-daily-sales-export`: the activities of the daily-sales-export pipeline and
//! its configuration.
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | the pipeline configuration (SSM SecureString) and `LoadConfig` |
//! | [`query_sales`] | `QuerySales`: the day's sales from SmartGo into a JSONL manifest |
//! | [`embed_image`] | `EmbedImage`: the Map item, one sale's image embedded and staged |
//! | [`write_partition`] | `WritePartition`: sales joined with vectors into the lake's Parquet |
//! | [`record_progress`] | `RecordProgress`: per-tenant progress in DynamoDB |
//! | [`sales`] | the export request and window, the staging key layout |
//!
//! It builds on `stepwise-runtime`, and on the shared `stepwise-embeddings` and
//! `stepwise-lake`. It must not depend on another pipeline's crate: what two pipelines
//! share goes into a shared crate.

pub mod config;
pub mod embed_image;
pub mod query_sales;
pub mod record_progress;
pub mod sales;
pub mod write_partition;

use stepwise_runtime::Registry;

/// This pipeline's activities, as deployed.
pub fn register(registry: Registry) -> Registry {
    registry
        .with(config::LoadConfig)
        .with(embed_image::EmbedImage::new())
        .with(query_sales::QuerySales)
        .with(write_partition::WritePartition)
        .with(record_progress::RecordProgress)
}

/// A registry of this pipeline's activities alone (for its own tests).
#[cfg(test)]
pub(crate) fn registry() -> Registry {
    register(Registry::new())
}
