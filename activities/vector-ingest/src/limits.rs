//! Amazon S3 Vectors' documented limits that this pipeline works within, in one place.
//!
//! Source: AWS, *Amazon S3 User Guide*, "Limitations and restrictions" for S3 Vectors
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html>):
//!
//! - Vectors per `PutVectors` call: up to 500 ([`MAX_VECTORS_PER_PUT`]).
//! - Request payload size: up to 20 MiB ([`MAX_REQUEST_BYTES`]); 500 vectors of 1,024
//!   `float32` serialise to about 2.5 MB of JSON with their metadata, far below it.
//! - Combined `PutVectors` and `DeleteVectors` requests per second per index: up to 1,000
//!   ([`MAX_WRITE_REQUESTS_PER_SECOND`]).
//! - Combined vectors inserted and deleted per second per index: up to 2,500
//!   ([`MAX_VECTORS_PER_SECOND`]).
//! - Dimension: 1 to 4,096 ([`MAX_DIMENSION`]).
//! - Total metadata per vector: up to 40 KB ([`MAX_METADATA_BYTES`]); filterable
//!   metadata per vector: up to 2 KB ([`MAX_FILTERABLE_METADATA_BYTES`]); metadata keys
//!   per vector: up to 50 ([`MAX_METADATA_KEYS`]); non-filterable metadata keys per index:
//!   up to 10 ([`MAX_NON_FILTERABLE_KEYS`]).
//! - Vector keys: 1 to 1,024 characters ([`MAX_KEY_CHARS`]).
//! - Vectors per `GetVectors` call: up to 100 ([`MAX_VECTORS_PER_GET`]); top-K results
//!   per `QueryVectors` request: up to 100 ([`MAX_TOP_K`]).

/// Vectors in one `PutVectors` request.
pub const MAX_VECTORS_PER_PUT: usize = 500;
/// Bytes in one request's payload (20 MiB).
pub const MAX_REQUEST_BYTES: usize = 20 * 1024 * 1024;
/// `PutVectors` + `DeleteVectors` requests per second per index.
pub const MAX_WRITE_REQUESTS_PER_SECOND: u32 = 1_000;
/// Vectors inserted + deleted per second per index.
pub const MAX_VECTORS_PER_SECOND: u32 = 2_500;
/// The largest dimension of an index.
pub const MAX_DIMENSION: u32 = 4_096;
/// Bytes of metadata per vector, filterable and non-filterable together (40 KB).
pub const MAX_METADATA_BYTES: usize = 40 * 1024;
/// Bytes of filterable metadata per vector (2 KB).
pub const MAX_FILTERABLE_METADATA_BYTES: usize = 2 * 1024;
/// Metadata keys per vector.
pub const MAX_METADATA_KEYS: usize = 50;
/// Non-filterable metadata keys per index.
pub const MAX_NON_FILTERABLE_KEYS: usize = 10;
/// Characters in a vector key.
pub const MAX_KEY_CHARS: usize = 1_024;
/// Keys in one `GetVectors` request.
pub const MAX_VECTORS_PER_GET: usize = 100;
/// Results of one `QueryVectors` request.
pub const MAX_TOP_K: u32 = 100;
