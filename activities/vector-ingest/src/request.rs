//! The workflow's input: what to ingest, where, under which job, and how fast.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::plan::SourcePrefix;
use crate::progress::store::ProgressLocation;
use crate::target::VectorTarget;

/// The vector-ingest workflow's execution input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestRequest {
    /// The lake partitions to ingest: every `.parquet` object under the prefix.
    pub source: SourcePrefix,
    /// The vector bucket and index (created when missing).
    pub target: VectorTarget,
    /// The progress table and the job (start again with the same job to resume: objects
    /// already done are skipped).
    pub progress: ProgressLocation,
    /// Objects ingested at once (the distributed Map's MaxConcurrency, 1 to 100).
    pub max_concurrency: u32,
    /// `PutVectors` requests in flight per object (1 to 16).
    pub batch_concurrency: u32,
    /// The job's write-rate budget in vectors per second (at most 2,500, S3 Vectors'
    /// per-index limit), shared evenly between the concurrent objects.
    pub vectors_per_second: u32,
}
