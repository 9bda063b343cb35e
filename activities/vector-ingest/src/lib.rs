//! `stepwise-vector-ingest`: the activities of the vector-ingest pipeline, which loads
//! the lake's sale embeddings (the Parquet partitions daily-sales-export writes) into an
//! Amazon S3 Vectors index, and queries it.
//!
//! | module | what |
//! | --- | --- |
//! | [`ensure_index`] | `EnsureIndex`: the vector bucket and index, created or checked |
//! | [`plan`] | `PlanIngest`: the source's objects and rows, the run's progress item |
//! | [`ingest`] | `IngestVectors`: one Parquet object into the index, `PutVectors` in batches |
//! | [`progress`] | `RecordIngestProgress`: per-object markers and the run's progress, rate, ETA |
//! | [`request`] | the workflow's input |
//! | [`similar`] | `SimilarProducts`: nearest neighbours of a sale's vector (`QueryVectors`) |
//! | [`pace`] | sizing and spacing one object's batches within its rate share |
//! | [`paced_http`] | holding each built request until its slot, just before it is sent |
//! | [`parquet_source`] | streaming a lake partition as `PutVectors` batches |
//! | [`metadata`] | each vector's filterable and non-filterable metadata |
//! | [`limits`] | S3 Vectors' documented limits, cited |
//! | [`target`] | the vector bucket and index names |
//!
//! It builds on `stepwise-runtime` and the shared `stepwise-lake` / `stepwise-embeddings`;
//! it depends on no other pipeline's crate.

pub mod ensure_index;
pub mod ingest;
pub mod limits;
pub mod metadata;
pub mod pace;
pub mod paced_http;
pub mod parquet_source;
pub mod plan;
pub mod progress;
pub mod request;
pub mod similar;
pub mod target;

use stepwise_runtime::Registry;

/// This pipeline's activities, as deployed.
pub fn register(registry: Registry) -> Registry {
    registry
        .with(ensure_index::EnsureIndex)
        .with(plan::PlanIngest)
        .with(ingest::IngestVectors)
        .with(progress::RecordIngestProgress)
        .with(similar::SimilarProducts)
}
