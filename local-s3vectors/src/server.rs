//! The HTTP side: `POST /<Operation>` with a JSON body, as `aws-sdk-s3vectors` sends
//! it, answered with the service's JSON or error shapes; and [`LocalS3Vectors`], the
//! endpoint in-process on a free loopback port.
//!
//! Every request is counted when it has arrived (its body received), then delayed by the
//! configured latency, then handled on a blocking thread (parsing a 500-vector body and an
//! exact k-NN scan are CPU work). A write counts against the index's write limits, and in
//! the written-per-second counters, at its request's arrival, as the service counts it:
//! the delay and the blocking thread's queueing, which vary with the machine's load, do
//! not move a write into another second (see [`crate::throttle`]).
//! Requests are not authenticated (the SDK signs them; nothing checks the signature).

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::{ApiError, request_id};
use crate::faults::FaultInjector;
use crate::limits::MAX_PAYLOAD_BYTES;
use crate::options::Options;
use crate::stats::{Counters, Stats};
use crate::store::Store;
use crate::throttle::WriteLimiter;
use crate::wire::{
    BucketRef, CreateIndexRequest, CreateVectorBucketRequest, DeleteVectorsRequest,
    GetVectorsRequest, IndexRef, ListRequest, ListVectorsRequest, PutVectorsRequest,
    QueryVectorsRequest,
};

/// The operations served.
const OPERATIONS: [&str; 13] = [
    "CreateVectorBucket",
    "GetVectorBucket",
    "ListVectorBuckets",
    "DeleteVectorBucket",
    "CreateIndex",
    "GetIndex",
    "ListIndexes",
    "DeleteIndex",
    "PutVectors",
    "GetVectors",
    "ListVectors",
    "DeleteVectors",
    "QueryVectors",
];

/// An endpoint's state: the data, the write limits, the fault injector, the counters.
#[derive(Debug)]
pub struct Shared {
    store: RwLock<Store>,
    limiter: WriteLimiter,
    faults: FaultInjector,
    counters: Counters,
    latency: Duration,
}

impl Shared {
    /// Fresh state for an endpoint with `options`.
    pub fn new(options: Options) -> Self {
        Shared {
            store: RwLock::new(Store::new(options.account_id, options.region)),
            limiter: WriteLimiter::new(options.write_limits),
            faults: FaultInjector::new(options.faults),
            counters: Counters::default(),
            latency: options.latency,
        }
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// How many vectors an index holds (`None` when there is no such index).
    pub fn vector_count(&self, bucket: &str, index: &str) -> Option<usize> {
        let store = self.store.read().unwrap_or_else(|p| p.into_inner());
        store
            .index(&IndexRef {
                vector_bucket_name: Some(bucket.to_string()),
                index_name: Some(index.to_string()),
                index_arn: None,
            })
            .ok()
            .map(|index| index.vectors.len())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Rate limit (and, for PutVectors, fault injection) before a write whose request
    /// arrived at `arrived`; the moment the write counts at.
    fn before_write(
        &self,
        index: &str,
        vectors: u32,
        inject: bool,
        arrived: Instant,
    ) -> Result<Instant, ApiError> {
        if inject && let Some(err) = self.faults.next() {
            self.counters.fault();
            return Err(err);
        }
        self.limiter
            .admit(index, vectors, arrived)
            .inspect_err(|_| self.counters.throttled())
    }
}

/// The routes, with default [`Options`].
pub fn router() -> Router {
    router_with(Arc::new(Shared::new(Options::default())))
}

/// The routes over `shared` state.
pub fn router_with(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{operation}", post(dispatch))
        .fallback(|| async {
            ApiError::unknown_operation(
                "local-s3vectors serves POST /<Operation> for the S3 Vectors operations",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
        .with_state(shared)
}

/// Serves [`router`] on `listener` until the future is dropped or fails.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    axum::serve(listener, router()).await
}

/// Serves an endpoint with `options` on `listener` until `shutdown` completes, then
/// finishes the requests in flight and returns.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router_with(Arc::new(Shared::new(options))))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn dispatch(
    State(shared): State<Arc<Shared>>,
    Path(operation): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(operation) = OPERATIONS.iter().copied().find(|op| *op == operation) else {
        return ApiError::unknown_operation(format!(
            "local-s3vectors does not serve {operation:?} (it serves {})",
            OPERATIONS.join(", ")
        ))
        .into_response();
    };
    let arrived = Instant::now();
    shared.counters.request(operation);
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return ApiError::invalid_request(format!(
                "the request body could not be read ({rejection}); the request payload is limited to {MAX_PAYLOAD_BYTES} bytes"
            ))
            .into_response();
        }
    };
    let worker = shared.clone();
    match tokio::task::spawn_blocking(move || handle(&worker, operation, &body, arrived)).await {
        Ok(Ok(json)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (
                    header::HeaderName::from_static("x-amz-request-id"),
                    request_id(),
                ),
            ],
            json,
        )
            .into_response(),
        Ok(Err(err)) => err.into_response(),
        Err(join) => ApiError::internal(format!("{operation} failed: {join}")).into_response(),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_request(format!("the request body is not a valid request: {e}"))
    })
}

fn to_json(value: impl Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(&value)
        .map_err(|e| ApiError::internal(format!("could not encode the response: {e}")))
}

/// One request that arrived at `arrived`: parse, act, encode.
fn handle(
    shared: &Shared,
    operation: &str,
    body: &[u8],
    arrived: Instant,
) -> Result<Vec<u8>, ApiError> {
    match operation {
        "CreateVectorBucket" => {
            let arn = shared
                .write()
                .create_bucket(parse::<CreateVectorBucketRequest>(body)?)?;
            to_json(json!({ "vectorBucketArn": arn }))
        }
        "GetVectorBucket" => {
            let bucket = shared.read().get_bucket(&parse::<BucketRef>(body)?)?;
            to_json(json!({ "vectorBucket": bucket }))
        }
        "ListVectorBuckets" => {
            let (buckets, next) = shared.read().list_buckets(&parse::<ListRequest>(body)?)?;
            to_json(json!({ "vectorBuckets": buckets, "nextToken": next }))
        }
        "DeleteVectorBucket" => {
            shared.write().delete_bucket(&parse::<BucketRef>(body)?)?;
            to_json(json!({}))
        }
        "CreateIndex" => {
            let arn = shared
                .write()
                .create_index(parse::<CreateIndexRequest>(body)?)?;
            to_json(json!({ "indexArn": arn }))
        }
        "GetIndex" => {
            let index = shared.read().get_index(&parse::<IndexRef>(body)?)?;
            to_json(json!({ "index": index }))
        }
        "ListIndexes" => {
            let (indexes, next) = shared.read().list_indexes(&parse::<ListRequest>(body)?)?;
            to_json(json!({ "indexes": indexes, "nextToken": next }))
        }
        "DeleteIndex" => {
            let arn = shared.write().delete_index(&parse::<IndexRef>(body)?)?;
            shared.limiter.forget(&arn);
            to_json(json!({}))
        }
        "PutVectors" => {
            let request = parse::<PutVectorsRequest>(body)?;
            let mut counted_at = arrived;
            let written = shared.write().put_vectors(request, &mut |index, n| {
                counted_at = shared.before_write(index, n, true, arrived)?;
                Ok(())
            })?;
            shared.counters.written(u64::from(written), counted_at);
            to_json(json!({}))
        }
        "GetVectors" => {
            let vectors = shared
                .read()
                .get_vectors(&parse::<GetVectorsRequest>(body)?)?;
            to_json(json!({ "vectors": vectors }))
        }
        "ListVectors" => {
            let (vectors, next) = shared
                .read()
                .list_vectors(&parse::<ListVectorsRequest>(body)?)?;
            to_json(json!({ "vectors": vectors, "nextToken": next }))
        }
        "DeleteVectors" => {
            let request = parse::<DeleteVectorsRequest>(body)?;
            let deleted = shared.write().delete_vectors(&request, &mut |index, n| {
                shared.before_write(index, n, false, arrived).map(|_| ())
            })?;
            shared.counters.deleted(u64::from(deleted));
            to_json(json!({}))
        }
        "QueryVectors" => {
            let request = parse::<QueryVectorsRequest>(body)?;
            let (vectors, metric) = shared.read().query_vectors(&request)?;
            to_json(json!({ "vectors": vectors, "distanceMetric": metric.as_str() }))
        }
        other => Err(ApiError::unknown_operation(format!(
            "local-s3vectors does not serve {other:?}"
        ))),
    }
}

/// The endpoint served in-process on a free loopback port, stopped when dropped: for
/// tests and benchmarks (`AWS_ENDPOINT_URL_S3VECTORS=<endpoint()>`, or an SDK config's
/// endpoint URL).
#[derive(Debug)]
pub struct LocalS3Vectors {
    addr: SocketAddr,
    task: JoinHandle<io::Result<()>>,
    shared: Arc<Shared>,
}

impl LocalS3Vectors {
    /// Binds `127.0.0.1:0` and serves with default [`Options`] on the current Tokio
    /// runtime.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(Options::default()).await
    }

    /// Binds `127.0.0.1:0` and serves with `options` on the current Tokio runtime.
    pub async fn start_with(options: Options) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(options));
        let app = router_with(shared.clone());
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(LocalS3Vectors { addr, task, shared })
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the value of `AWS_ENDPOINT_URL_S3VECTORS`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counters now (requests per operation, vectors written, throttles, faults).
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// How many vectors an index holds (`None` when there is no such index).
    pub fn vector_count(&self, bucket: &str, index: &str) -> Option<usize> {
        self.shared.vector_count(bucket, index)
    }
}

impl Drop for LocalS3Vectors {
    fn drop(&mut self) {
        self.task.abort();
    }
}
