//! `local-s3vectors`: Amazon S3 Vectors' API on loopback, so local runs, tests and
//! benchmarks call S3 Vectors through `aws-sdk-s3vectors` exactly as in AWS, with only
//! the endpoint changed (`AWS_ENDPOINT_URL_S3VECTORS=http://127.0.0.1:PORT`).
//!
//! Served: CreateVectorBucket, GetVectorBucket, ListVectorBuckets, DeleteVectorBucket,
//! CreateIndex, GetIndex, ListIndexes, DeleteIndex, PutVectors, GetVectors,
//! ListVectors (pages and segments), DeleteVectors and QueryVectors — exact k-NN for
//! `cosine` and `euclidean`, with the documented metadata filter language. The
//! documented limits are enforced with the service's error types ([`limits`] cites
//! them), including the per-index write rate (2,500 vectors and 1,000 requests per
//! second, answered with 429 `TooManyRequestsException`). [`Options`] add latency per
//! request (benchmarks), change the write limits, and inject 429/503 faults into a
//! fraction of PutVectors requests (retry tests); [`Stats`] counts requests per
//! operation and vectors written per second.
//!
//! Vectors are held in memory as f32, in one process: nothing persists.

mod error;
pub mod faults;
pub mod filter;
pub mod knn;
pub mod limits;
mod metadata;
mod names;
pub mod options;
mod paging;
mod server;
mod stats;
mod store;
pub mod throttle;
mod vectors;
mod wire;

pub use error::ApiError;
pub use faults::{FaultKind, Faults};
pub use options::Options;
pub use server::{LocalS3Vectors, Shared, router, router_with, serve, serve_with_shutdown};
pub use stats::Stats;
pub use throttle::WriteLimits;
