//! [`fetch_embeddings`]: many stored embeddings read from S3 at once, with a bound on
//! the requests in flight. Each object is found (a checked vector), missing (no such
//! key) or unreadable (the reason: a damaged object, a failing call); one object's
//! failure never fails the others or the call. Used by `FetchEmbeddings` and, for the
//! images embedded during the Map, by `ClusterImages`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_embeddings::decode_vector;
use stepwise_runtime::aws::errors::classify;

/// One embedding to read: the caller's id and the object's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// The caller's id (echoed in the result).
    pub id: String,
    /// The object key in the bucket.
    pub key: String,
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// The stored vector.
    Found(Vec<f32>),
    /// No object at the key.
    Missing,
    /// The object could not be read or is not a vector: why.
    Unreadable(String),
}

/// What a fetch did, for logs and the step's output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchMetrics {
    /// Objects asked for.
    pub objects: usize,
    /// Found.
    pub found: usize,
    /// Missing.
    pub missing: usize,
    /// Unreadable.
    pub unreadable: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
    /// The most requests in flight at once.
    pub peak_in_flight: usize,
}

/// The results, in the order of the requests, and the metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchReport {
    /// One result per request, in request order.
    pub results: Vec<(String, Fetched)>,
    /// What it took.
    pub metrics: FetchMetrics,
}

/// Reads every requested object of `bucket` with at most `concurrency` (at least 1)
/// `GetObject` calls in flight. Never fails as a whole: each object's outcome is in the
/// report.
pub async fn fetch_embeddings(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    requests: Vec<FetchRequest>,
    concurrency: usize,
) -> FetchReport {
    let started = Instant::now();
    let in_flight = AtomicUsize::new(0);
    let peak = AtomicUsize::new(0);
    let objects = requests.len();
    let pending: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| tracked(s3, bucket, i, request, &in_flight, &peak))
        .collect();
    let mut indexed: Vec<(usize, String, Fetched, u64)> = futures::stream::iter(pending)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    indexed.sort_by_key(|(i, ..)| *i);
    let mut metrics = FetchMetrics {
        objects,
        peak_in_flight: peak.load(Ordering::SeqCst),
        ..FetchMetrics::default()
    };
    let results = indexed
        .into_iter()
        .map(|(_, id, fetched, bytes)| {
            metrics.bytes += bytes;
            match &fetched {
                Fetched::Found(_) => metrics.found += 1,
                Fetched::Missing => metrics.missing += 1,
                Fetched::Unreadable(_) => metrics.unreadable += 1,
            }
            (id, fetched)
        })
        .collect();
    metrics.duration_ms = started.elapsed().as_millis() as u64;
    tracing::info!(
        objects = metrics.objects,
        found = metrics.found,
        missing = metrics.missing,
        unreadable = metrics.unreadable,
        bytes = metrics.bytes,
        duration_ms = metrics.duration_ms,
        peak_in_flight = metrics.peak_in_flight,
        "fetched stored embeddings"
    );
    FetchReport { results, metrics }
}

/// One request, counted in flight while it runs.
async fn tracked(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    i: usize,
    request: FetchRequest,
    in_flight: &AtomicUsize,
    peak: &AtomicUsize,
) -> (usize, String, Fetched, u64) {
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    peak.fetch_max(now, Ordering::SeqCst);
    let (fetched, bytes) = fetch_one(s3, bucket, &request.key).await;
    in_flight.fetch_sub(1, Ordering::SeqCst);
    (i, request.id, fetched, bytes)
}

/// One object: its outcome and the bytes read.
async fn fetch_one(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> (Fetched, u64) {
    let object = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(object) => object,
        Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            return (Fetched::Missing, 0);
        }
        Err(e) => {
            let error = classify("S3", "GetObject", &e);
            return (
                Fetched::Unreadable(format!(
                    "s3://{bucket}/{key}: {}: {}",
                    error.name, error.cause
                )),
                0,
            );
        }
    };
    let bytes = match object.body.collect().await {
        Ok(bytes) => bytes.into_bytes(),
        Err(e) => {
            return (
                Fetched::Unreadable(format!("s3://{bucket}/{key}: reading the body failed: {e}")),
                0,
            );
        }
    };
    let read = bytes.len() as u64;
    match decode_vector(&bytes) {
        Ok(vector) => (Fetched::Found(vector), read),
        Err(why) => (
            Fetched::Unreadable(format!(
                "s3://{bucket}/{key}: not a stored embedding: {why}"
            )),
            read,
        ),
    }
}
