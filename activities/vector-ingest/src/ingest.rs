//! `IngestVectors`: one Parquet object of the lake into the vector index.
//!
//! # What it does
//!
//! 1. Reads the object's resume point from its progress marker (`rows_committed`, see
//!    [`crate::progress::store`]): an earlier attempt that was throttled, or stopped at
//!    the Lambda deadline, wrote how many of the first rows are in the index.
//! 2. Streams the object to a temporary file (the body is never held in memory), then
//!    reads it on a blocking thread with [`PartitionReader`]: one row group at a time,
//!    `batch_size` rows per batch (default and at most [`MAX_VECTORS_PER_PUT`], S3
//!    Vectors' documented maximum per `PutVectors` call), from the resume point on.
//! 3. Sends each batch with `PutVectors`, up to `concurrency` requests in flight, and —
//!    when `vectors_per_second` is given (PlanIngest's share of the job's budget for one
//!    object) — sizes and spaces them with [`crate::pace`] so that no one-second window
//!    holds more than that share (batches then hold at most `batch_size` vectors, fewer
//!    when the share is not a whole number of them); the first request waits one
//!    interval after the call began, so a call that follows another on the same Map
//!    slot (the next object, or a retry) cannot crowd the previous one's last requests.
//!    The spacing applies when a request *leaves*, after the SDK has serialised and
//!    signed it ([`crate::paced_http`]), so the time those take under load does not move
//!    requests closer together at the index. The orchestrator owns the overall
//!    rate through the Map's MaxConcurrency; since every object stays within its share
//!    in every window, the concurrent objects stay within the budget without sharing
//!    memory (in AWS each runs in its own Lambda instance). There is no retry loop here.
//! 4. On a failed request (throttling: `TooManyRequestsException`, HTTP 429 or 503
//!    `SlowDown` → `Throttled`; a 5xx → `Transient`), it stops starting batches, lets the
//!    ones in flight finish, records the resume point (the rows before the first batch
//!    not written) and fails with the classified error; the state machine's Retry (backoff
//!    with full jitter) runs it again and it carries on from there. Writing by key
//!    overwrites, so a batch sent twice leaves one vector per sale.
//!
//! # Errors
//!
//! - [`UNUSABLE_OBJECT`]: the object is not readable Parquet, lacks a lake column, has
//!   embeddings of another width than the index, holds a row that cannot be written
//!   (null, non-finite component, metadata over S3 Vectors' limits), or S3 Vectors
//!   rejected a batch (`ValidationException`). The workflow records the object as failed
//!   and goes on with the others.
//! - `NotFound`: the object is gone (listed, then deleted).
//! - `InvalidInput` for a bad field; `Throttled` / `Transient` / … as classified.

use std::collections::VecDeque;
use std::io::Write;
use std::time::{Duration, Instant};

use aws_sdk_s3vectors::types::PutInputVector;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_contract::errors::INVALID_INPUT;
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_runtime::aws::errors::{SdkResultExt, classify};
use stepwise_runtime::{Activity, ActivityError, Context};
use tokio::sync::mpsc;

use crate::limits::{MAX_DIMENSION, MAX_VECTORS_PER_PUT};
use crate::pace::{Pacer, Pacing};
use crate::paced_http::{Gate, LEAD, PacedHttpClient, default_http_client};
use crate::parquet_source::{PartitionReader, SourceError, VectorBatch};
use crate::progress::store::{self, ProgressLocation};
use crate::target::VectorTarget;

/// The object cannot be ingested (see the [module docs](self)); not retried.
pub const UNUSABLE_OBJECT: ErrorName = ErrorName::new("UnusableObject");
/// The default number of `PutVectors` requests in flight for one object.
pub const DEFAULT_CONCURRENCY: u32 = 4;
/// The most requests in flight for one object.
pub const MAX_CONCURRENCY: u32 = 16;

/// An S3 object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceObject {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

fn default_concurrency() -> u32 {
    DEFAULT_CONCURRENCY
}

fn default_batch_size() -> u32 {
    MAX_VECTORS_PER_PUT as u32
}

/// What `IngestVectors` receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestVectorsInput {
    /// The Parquet object (a lake partition).
    pub source: SourceObject,
    /// The vector index.
    pub target: VectorTarget,
    /// The index's dimension (EnsureIndex's output).
    pub dimension: u32,
    /// Where the object's resume point is kept.
    pub progress: ProgressLocation,
    /// `PutVectors` requests in flight at once (1 to 16, default 4).
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// Vectors per request (1 to 500, default 500).
    #[serde(default = "default_batch_size")]
    pub batch_size: u32,
    /// This object's share of the job's write rate, vectors per second (none: no
    /// spacing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vectors_per_second: Option<u32>,
}

/// Where the time went, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    /// Streaming the object to the temporary file.
    pub download_ms: u64,
    /// Decoding Parquet and building the requests (on the reader thread).
    pub decode_ms: u64,
    /// `PutVectors` requests from being asked for to their answer (building, signing,
    /// sending, the service), less their hold for the rate share (in `paced_ms`), summed
    /// over requests (they overlap).
    pub put_ms: u64,
    /// Waiting for the rate share: before asking the SDK for a request, and with the
    /// request built, before it is sent (summed over requests).
    pub paced_ms: u64,
    /// From the call's start to its first `PutVectors` request leaving (the resume
    /// point's read, the download, the first batch's decode and the first wait for the
    /// rate share); the whole call when it sent none.
    #[serde(default)]
    pub first_put_ms: u64,
    /// The whole call.
    pub total_ms: u64,
}

/// What `IngestVectors` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestVectorsOutput {
    /// The object's key.
    pub key: String,
    /// Rows (vectors) in the object.
    pub vectors: u64,
    /// Vectors written by this call (the rest were written by an earlier attempt).
    pub written: u64,
    /// The row this call started at (the resume point).
    pub resumed_from: u64,
    /// `PutVectors` requests sent.
    pub requests: u64,
    /// Where the time went.
    pub timings: Timings,
}

/// Ingests one object. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestVectors;

impl ActivityDef for IngestVectors {
    const NAME: &'static str = "IngestVectors";
    const DEPLOYMENT: Deployment = Deployment {
        // One vCPU for zstd and Arrow decoding; memory holds one row group and the
        // batches in flight (the benchmark measures the peak).
        memory_mb: 1769,
        timeout_seconds: 900,
        permissions: &[
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects { area: Area::Lake },
                reason: "reads the Parquet object",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing { area: Area::Lake },
                reason: "an object deleted since the listing reads as NoSuchKey (reported), not AccessDenied",
            },
            Permission {
                actions: &["dynamodb:GetItem", "dynamodb:UpdateItem"],
                resource: Resource::Table {
                    table: crate::target::PROGRESS_TABLE,
                },
                reason: "reads and advances the object's resume point",
            },
            Permission {
                actions: &["s3vectors:PutVectors"],
                resource: Resource::VectorIndex {
                    index: crate::target::SALES_INDEX,
                },
                reason: "writes the object's vectors",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[UNUSABLE_OBJECT];
    type Input = IngestVectorsInput;
    type Output = IngestVectorsOutput;
}

impl Activity for IngestVectors {
    async fn run(
        &self,
        input: IngestVectorsInput,
        ctx: &Context,
    ) -> Result<IngestVectorsOutput, ActivityError> {
        let started = Instant::now();
        check(&input)?;
        let dynamodb = ctx.aws().dynamodb().await;
        let resumed_from =
            store::rows_committed(dynamodb, &input.progress, &input.source.key).await?;

        let file = download(ctx, &input.source).await?;
        let download_ms = started.elapsed().as_millis() as u64;

        let (tx, rx) = mpsc::channel::<VectorBatch>(input.concurrency as usize);
        let dimension = input.dimension as usize;
        let pacing = input
            .vectors_per_second
            .map(|share| Pacing::new(share, input.batch_size));
        let batch_size = pacing.map_or(input.batch_size, |p| p.batch_size) as usize;
        let cancel = ctx.cancellation.clone();
        let reader = tokio::task::spawn_blocking(move || {
            read_batches(file, dimension, batch_size, resumed_from, &tx, &cancel)
        });

        let client = ctx.aws().s3vectors().await;
        let sent = send_batches(client, &input, pacing, resumed_from, rx, ctx, started).await;
        let read = reader.await.map_err(|e| {
            ActivityError::permanent(format!("the Parquet reader thread failed: {e}"))
        })?;

        // The resume point: every row before the first batch not written.
        if sent.committed > resumed_from {
            store::commit_rows(dynamodb, &input.progress, &input.source.key, sent.committed)
                .await?;
        }
        let object = format!("s3://{}/{}", input.source.bucket, input.source.key);
        if let Some(error) = sent.error {
            return Err(ActivityError::new(
                error.name,
                format!(
                    "{object}: {} (rows 0..{} are written; a retry resumes there)",
                    error.cause, sent.committed
                ),
            ));
        }
        let (total_rows, decode) = match read {
            Ok(done) => done,
            Err(SourceError::Stopped) => {
                return Err(ActivityError::transient(format!(
                    "{object}: stopped at row {} before the invocation's deadline; a retry resumes there",
                    sent.committed
                )));
            }
            Err(e) => {
                return Err(ActivityError::new(
                    UNUSABLE_OBJECT,
                    format!("{object}: {e}"),
                ));
            }
        };
        Ok(IngestVectorsOutput {
            key: input.source.key.clone(),
            vectors: total_rows,
            written: sent.committed.saturating_sub(resumed_from),
            resumed_from,
            requests: sent.requests,
            timings: Timings {
                download_ms,
                decode_ms: decode.as_millis() as u64,
                put_ms: sent.put.as_millis() as u64,
                paced_ms: sent.paced.as_millis() as u64,
                first_put_ms: sent
                    .first_put
                    .unwrap_or_else(Instant::now)
                    .duration_since(started)
                    .as_millis() as u64,
                total_ms: started.elapsed().as_millis() as u64,
            },
        })
    }
}

/// Checks the input's fields.
fn check(input: &IngestVectorsInput) -> Result<(), ActivityError> {
    input.target.check("target")?;
    input.progress.check("progress")?;
    let bad = |field: &str, problem: String| {
        Err(ActivityError::invalid_input(format!(
            "input field \"{field}\": {problem}"
        )))
    };
    if input.source.bucket.is_empty() || input.source.key.is_empty() {
        return bad("source", "bucket and key must not be empty".into());
    }
    if !(1..=MAX_DIMENSION).contains(&input.dimension) {
        return bad(
            "dimension",
            format!("{} is outside 1 to {MAX_DIMENSION}", input.dimension),
        );
    }
    if !(1..=MAX_CONCURRENCY).contains(&input.concurrency) {
        return bad(
            "concurrency",
            format!("{} is outside 1 to {MAX_CONCURRENCY}", input.concurrency),
        );
    }
    if !(1..=MAX_VECTORS_PER_PUT as u32).contains(&input.batch_size) {
        return bad(
            "batch_size",
            format!(
                "{} is outside 1 to {MAX_VECTORS_PER_PUT} (S3 Vectors' limit per PutVectors call)",
                input.batch_size
            ),
        );
    }
    if input.vectors_per_second == Some(0) {
        return bad("vectors_per_second", "must be at least 1".into());
    }
    Ok(())
}

/// Streams the object into an anonymous temporary file, returning it rewound.
async fn download(ctx: &Context, source: &SourceObject) -> Result<std::fs::File, ActivityError> {
    let object_name = format!("s3://{}/{}", source.bucket, source.key);
    let object = ctx
        .aws()
        .s3()
        .await
        .get_object()
        .bucket(&source.bucket)
        .key(&source.key)
        .send()
        .await
        .activity_err("S3", "GetObject")
        .map_err(|e| ActivityError::new(e.name, format!("{object_name}: {}", e.cause)))?;
    let file = tempfile::tempfile()
        .map_err(|e| ActivityError::transient(format!("creating a temporary file: {e}")))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut body = object.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ActivityError::transient(format!("{object_name}: reading the body: {e}"))
        })?;
        // Writes to the page cache; small next to the network read.
        writer.write_all(&chunk).map_err(|e| {
            ActivityError::transient(format!("{object_name}: writing the temporary file: {e}"))
        })?;
    }
    let mut file = writer
        .into_inner()
        .map_err(|e| ActivityError::transient(format!("{object_name}: flushing: {e}")))?;
    use std::io::Seek;
    file.rewind()
        .map_err(|e| ActivityError::transient(format!("{object_name}: rewinding: {e}")))?;
    Ok(file)
}

/// The reader thread: batches into `tx` until the end, an error, a closed channel (the
/// sender stopped) or the cancellation. Returns the file's rows and the decode time.
fn read_batches(
    file: std::fs::File,
    dimension: usize,
    batch_size: usize,
    skip: u64,
    tx: &mpsc::Sender<VectorBatch>,
    cancel: &stepwise_runtime::Cancellation,
) -> Result<(u64, Duration), SourceError> {
    let opened = Instant::now();
    let mut reader = PartitionReader::open(file, dimension, batch_size, skip)?;
    let mut decode = opened.elapsed();
    while let Some(batch) = reader.next_batch() {
        let batch = batch?;
        decode += batch.decode;
        if cancel.is_cancelled() {
            return Err(SourceError::Stopped);
        }
        if tx.blocking_send(batch).is_err() {
            break;
        }
    }
    Ok((reader.total_rows, decode))
}

/// What sending found.
struct Sent {
    /// Rows `0..committed` are in the index.
    committed: u64,
    /// Requests sent.
    requests: u64,
    /// Request time (asked for to answered, less the hold at the gate), summed.
    put: Duration,
    /// Time spent waiting for the rate share.
    paced: Duration,
    /// When the first request left.
    first_put: Option<Instant>,
    /// The first failure.
    error: Option<ActivityError>,
}

/// Sends the batches from `rx`, up to `input.concurrency` at once, spaced to the rate
/// share; stops at the first failure or cancellation, letting the requests already sent
/// end (those still held for their slot are not sent).
async fn send_batches(
    client: &aws_sdk_s3vectors::Client,
    input: &IngestVectorsInput,
    pacing: Option<Pacing>,
    resumed_from: u64,
    mut rx: mpsc::Receiver<VectorBatch>,
    ctx: &Context,
    began: Instant,
) -> Sent {
    let mut sent = Sent {
        committed: resumed_from,
        requests: 0,
        put: Duration::ZERO,
        paced: Duration::ZERO,
        first_put: None,
        error: None,
    };
    // Batches in row order: (first row, rows, written yet).
    let mut order: VecDeque<(u64, u64, bool)> = VecDeque::new();
    let mut in_flight = FuturesUnordered::new();
    // The call's start counts as a start (see crate::pace): its first request leaves one
    // interval after `began`, whatever the call before it on this Map slot last sent.
    let began = tokio::time::Instant::from_std(began);
    let gate = Gate::new(pacing, began);
    let client = paced_client(client, &gate);
    // The same schedule, to ask for each request `LEAD` before its slot: it is built and
    // signed by then, and no more than that is built ahead.
    let mut ahead = pacing.map(|p| (Pacer::new(p, began), LEAD.min(p.interval)));
    let mut open = true;
    loop {
        while open && sent.error.is_none() && in_flight.len() < input.concurrency as usize {
            if ctx.cancellation.is_cancelled() {
                sent.error = Some(ActivityError::transient(
                    "stopped before the invocation's deadline",
                ));
                gate.close();
                break;
            }
            let Some(batch) = rx.recv().await else {
                open = false;
                break;
            };
            if let Some((pacer, lead)) = ahead.as_mut() {
                let now = tokio::time::Instant::now();
                let slot = pacer.next_start(now);
                let ask = slot.checked_sub(*lead).unwrap_or(slot);
                if ask > now {
                    sent.paced += ask - now;
                    tokio::time::sleep_until(ask).await;
                }
            }
            let rows = batch.vectors.len() as u64;
            order.push_back((batch.first_row, rows, false));
            // Each request runs as its own task, so requests progress while this loop
            // waits for the reader or the rate share.
            in_flight.push(tokio::spawn(put(
                client.clone(),
                input.target.clone(),
                batch.first_row,
                batch.vectors,
            )));
        }
        let Some(joined) = in_flight.next().await else {
            break;
        };
        let (first_row, took, result) = joined.unwrap_or_else(|e| {
            (
                u64::MAX,
                Duration::ZERO,
                Err(ActivityError::transient(format!(
                    "a PutVectors task failed: {e}"
                ))),
            )
        });
        sent.put += took;
        match result {
            Ok(()) => {
                if let Some(entry) = order.iter_mut().find(|(row, _, _)| *row == first_row) {
                    entry.2 = true;
                }
                while let Some((row, rows, true)) = order.front().copied() {
                    sent.committed = row + rows;
                    order.pop_front();
                }
            }
            Err(e) => {
                // The requests still held for their slot are not sent.
                gate.close();
                if sent.error.is_none() {
                    sent.error = Some(e);
                }
            }
        }
    }
    // Dropping the receiver stops the reader thread at its next batch.
    drop(rx);
    // The requests' time includes their hold at the gate: that is pacing.
    let held = gate.held();
    sent.paced += held;
    sent.put = sent.put.saturating_sub(held);
    sent.first_put = gate.first_passed();
    sent.requests = gate.passed();
    sent
}

/// `client` with its requests passing `gate` (its own HTTP client, or the SDK's default
/// one, underneath).
fn paced_client(
    client: &aws_sdk_s3vectors::Client,
    gate: &std::sync::Arc<Gate>,
) -> aws_sdk_s3vectors::Client {
    let config = client.config();
    let inner = config.http_client().unwrap_or_else(default_http_client);
    aws_sdk_s3vectors::Client::from_conf(
        config
            .to_builder()
            .http_client(PacedHttpClient::new(inner, gate.clone()))
            .build(),
    )
}

/// One `PutVectors` request; the batch's first row, how long it took, and its outcome.
async fn put(
    client: aws_sdk_s3vectors::Client,
    target: VectorTarget,
    first_row: u64,
    vectors: Vec<PutInputVector>,
) -> (u64, Duration, Result<(), ActivityError>) {
    let started = Instant::now();
    let result = client
        .put_vectors()
        .vector_bucket_name(&target.vector_bucket)
        .index_name(&target.index)
        .set_vectors(Some(vectors))
        .send()
        .await;
    let outcome = match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let error = classify("S3 Vectors", "PutVectors", &e);
            // S3 Vectors refused the vectors themselves: this object cannot be written.
            if error.name == INVALID_INPUT {
                Err(ActivityError::new(UNUSABLE_OBJECT, error.cause))
            } else {
                Err(error)
            }
        }
    };
    (first_row, started.elapsed(), outcome)
}
