//! The service's documented limits, each with the page it comes from.
//!
//! Unless noted, the numbers are from AWS's "Limitations and restrictions" page for
//! S3 Vectors (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html>).
//! Name and key lengths are from the API reference's request and data-type pages
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_S3_Vectors.html>).

/// "Dimension value per vector: 1 to 4,096" (limitations page).
pub const MIN_DIMENSION: u32 = 1;
/// "Dimension value per vector: 1 to 4,096" (limitations page).
pub const MAX_DIMENSION: u32 = 4096;

/// "Total metadata per vector: Up to 40 KB (filterable + non-filterable)"
/// (limitations page), measured here as the metadata's compact JSON encoding.
pub const MAX_METADATA_BYTES: usize = 40 * 1024;
/// "Filterable metadata per vector: Up to 2 KB" (limitations page), measured as the
/// compact JSON encoding of the filterable keys and their values.
pub const MAX_FILTERABLE_METADATA_BYTES: usize = 2 * 1024;
/// "Total metadata keys per vector: Up to 50" (limitations page).
pub const MAX_METADATA_KEYS: usize = 50;
/// "Non-filterable metadata keys per vector index: Up to 10" (limitations page;
/// `MetadataConfiguration.nonFilterableMetadataKeys` has 1 to 10 members).
pub const MAX_NON_FILTERABLE_KEYS: usize = 10;
/// `MetadataConfiguration.nonFilterableMetadataKeys`: each 1 to 63 characters
/// (API reference, MetadataConfiguration).
pub const MAX_NON_FILTERABLE_KEY_LEN: usize = 63;

/// "Combined PutVectors and DeleteVectors requests per second per vector index: Up to
/// 1,000" (limitations page).
pub const WRITE_REQUESTS_PER_SECOND: u32 = 1_000;
/// "Combined vectors inserted and deleted per second per vector index: Up to 2,500"
/// (limitations page).
pub const WRITE_VECTORS_PER_SECOND: u32 = 2_500;

/// "Request payload size: Up to 20 MiB" (limitations page).
pub const MAX_PAYLOAD_BYTES: usize = 20 * 1024 * 1024;
/// "Vectors per PutVectors API call: Up to 500" (limitations page).
pub const MAX_PUT_VECTORS: usize = 500;
/// "Vectors per DeleteVectors API call: Up to 500" (limitations page).
pub const MAX_DELETE_VECTORS: usize = 500;
/// "Vectors per GetVectors API call: Up to 100" (limitations page).
pub const MAX_GET_VECTORS: usize = 100;
/// "Top-K results per QueryVectors request: Up to 100" (limitations page).
pub const MAX_TOP_K: u32 = 100;
/// "Vectors listed per page in a ListVectors response: Up to 1,000" (limitations page).
pub const MAX_LIST_VECTORS: u32 = 1_000;
/// ListVectors' page size when `maxResults` is not given (API reference, ListVectors:
/// "the default value is 500").
pub const DEFAULT_LIST_VECTORS: u32 = 500;
/// "Vector buckets listed per page in a ListVectorBuckets response: Up to 500"
/// (limitations page); also the default page size here.
pub const MAX_LIST_BUCKETS: u32 = 500;
/// "Vector indexes listed per page in a ListIndexes response: Up to 500"
/// (limitations page); also the default page size here.
pub const MAX_LIST_INDEXES: u32 = 500;
/// "Segment count for parallel listing in a ListVectors API call: Up to 16"
/// (limitations page).
pub const MAX_SEGMENTS: u32 = 16;

/// "Vector buckets per AWS Region in an account: 10,000" (limitations page).
pub const MAX_BUCKETS: usize = 10_000;
/// "Vector indexes per vector bucket: 10,000" (limitations page).
pub const MAX_INDEXES_PER_BUCKET: usize = 10_000;

/// A vector's key: 1 to 1,024 characters (API reference, PutInputVector).
pub const MAX_KEY_LEN: usize = 1024;
/// Vector bucket and index names: 3 to 63 characters (API reference,
/// CreateVectorBucket and CreateIndex).
pub const MIN_NAME_LEN: usize = 3;
/// Vector bucket and index names: 3 to 63 characters (API reference,
/// CreateVectorBucket and CreateIndex).
pub const MAX_NAME_LEN: usize = 63;
/// `prefix` of ListVectorBuckets and ListIndexes: 1 to 63 characters (API reference).
pub const MAX_PREFIX_LEN: usize = 63;
/// `nextToken` of ListVectors: 1 to 2,048 characters (API reference, ListVectors).
pub const MAX_TOKEN_LEN: usize = 2048;
