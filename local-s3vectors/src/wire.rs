//! The JSON bodies of the operations served, with the field names of S3 Vectors' API
//! reference (the shapes `aws-sdk-s3vectors` serialises and parses). Members the
//! service accepts but this endpoint does not act on (`tags`, `queryMode`) are read and
//! ignored; unknown members are ignored, as a restJson1 service does.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A vector's data: the union `VectorData`, whose only member is `float32`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorData {
    /// The values (as float32: wider numbers are narrowed, as the service does).
    pub float32: Vec<f32>,
}

/// `encryptionConfiguration`: recorded and returned, never applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionConfiguration {
    /// `AES256` or `aws:kms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<String>,
    /// The KMS key for `aws:kms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
}

/// `metadataConfiguration` of an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataConfiguration {
    /// Metadata keys stored and returned but not usable in filters.
    pub non_filterable_metadata_keys: Vec<String>,
}

/// Names a vector bucket: by name or by ARN.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketRef {
    /// The bucket's name.
    pub vector_bucket_name: Option<String>,
    /// The bucket's ARN.
    pub vector_bucket_arn: Option<String>,
}

/// Names an index: bucket name and index name, or the index ARN.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexRef {
    /// The bucket's name.
    pub vector_bucket_name: Option<String>,
    /// The index's name.
    pub index_name: Option<String>,
    /// The index's ARN.
    pub index_arn: Option<String>,
}

/// CreateVectorBucket's request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVectorBucketRequest {
    /// The new bucket's name.
    pub vector_bucket_name: Option<String>,
    /// Its encryption settings.
    pub encryption_configuration: Option<EncryptionConfiguration>,
}

/// ListVectorBuckets' and ListIndexes' paging members.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRequest {
    /// For ListIndexes: the bucket's name.
    pub vector_bucket_name: Option<String>,
    /// For ListIndexes: the bucket's ARN.
    pub vector_bucket_arn: Option<String>,
    /// Page size.
    pub max_results: Option<i64>,
    /// The previous page's token.
    pub next_token: Option<String>,
    /// Only names starting with this.
    pub prefix: Option<String>,
}

/// CreateIndex's request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIndexRequest {
    /// The bucket's name.
    pub vector_bucket_name: Option<String>,
    /// The bucket's ARN.
    pub vector_bucket_arn: Option<String>,
    /// The new index's name.
    pub index_name: Option<String>,
    /// `float32`.
    pub data_type: Option<String>,
    /// 1 to 4,096.
    pub dimension: Option<i64>,
    /// `cosine` or `euclidean`.
    pub distance_metric: Option<String>,
    /// Non-filterable keys.
    pub metadata_configuration: Option<MetadataConfiguration>,
    /// Encryption settings.
    pub encryption_configuration: Option<EncryptionConfiguration>,
}

/// One vector of a PutVectors request.
#[derive(Debug, Clone, Deserialize)]
pub struct PutInputVector {
    /// The key.
    pub key: Option<String>,
    /// The values.
    pub data: Option<VectorData>,
    /// The metadata document.
    pub metadata: Option<Value>,
}

/// PutVectors' request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutVectorsRequest {
    /// The bucket's name (with `indexName`).
    pub vector_bucket_name: Option<String>,
    /// The index's name (with `vectorBucketName`).
    pub index_name: Option<String>,
    /// The index's ARN (instead of the names).
    pub index_arn: Option<String>,
    /// The vectors.
    pub vectors: Option<Vec<PutInputVector>>,
}

/// GetVectors' request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetVectorsRequest {
    /// The bucket's name (with `indexName`).
    pub vector_bucket_name: Option<String>,
    /// The index's name (with `vectorBucketName`).
    pub index_name: Option<String>,
    /// The index's ARN (instead of the names).
    pub index_arn: Option<String>,
    /// The keys.
    pub keys: Option<Vec<String>>,
    /// Whether to return the data.
    #[serde(default)]
    pub return_data: bool,
    /// Whether to return the metadata.
    #[serde(default)]
    pub return_metadata: bool,
}

/// DeleteVectors' request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteVectorsRequest {
    /// The bucket's name (with `indexName`).
    pub vector_bucket_name: Option<String>,
    /// The index's name (with `vectorBucketName`).
    pub index_name: Option<String>,
    /// The index's ARN (instead of the names).
    pub index_arn: Option<String>,
    /// The keys.
    pub keys: Option<Vec<String>>,
}

/// ListVectors' request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListVectorsRequest {
    /// The bucket's name (with `indexName`).
    pub vector_bucket_name: Option<String>,
    /// The index's name (with `vectorBucketName`).
    pub index_name: Option<String>,
    /// The index's ARN (instead of the names).
    pub index_arn: Option<String>,
    /// Page size (1 to 1,000; 500 by default).
    pub max_results: Option<i64>,
    /// The previous page's token.
    pub next_token: Option<String>,
    /// Whether to return the data.
    #[serde(default)]
    pub return_data: bool,
    /// Whether to return the metadata.
    #[serde(default)]
    pub return_metadata: bool,
    /// Parallel listing: how many segments.
    pub segment_count: Option<i64>,
    /// Parallel listing: which segment (0-based).
    pub segment_index: Option<i64>,
}

/// QueryVectors' request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryVectorsRequest {
    /// The bucket's name (with `indexName`).
    pub vector_bucket_name: Option<String>,
    /// The index's name (with `vectorBucketName`).
    pub index_name: Option<String>,
    /// The index's ARN (instead of the names).
    pub index_arn: Option<String>,
    /// How many neighbours (1 to 100).
    pub top_k: Option<i64>,
    /// The query vector.
    pub query_vector: Option<VectorData>,
    /// The metadata filter.
    pub filter: Option<Value>,
    /// Whether to return the metadata.
    #[serde(default)]
    pub return_metadata: bool,
    /// Whether to return the distance.
    #[serde(default)]
    pub return_distance: bool,
    /// A later page of results (not served: every answer is one page).
    pub next_token: Option<String>,
}

/// A vector bucket in GetVectorBucket's answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorBucketBody {
    /// Its name.
    pub vector_bucket_name: String,
    /// Its ARN.
    pub vector_bucket_arn: String,
    /// When it was created (epoch seconds).
    pub creation_time: f64,
    /// Its encryption settings.
    pub encryption_configuration: EncryptionConfiguration,
}

/// A vector bucket in ListVectorBuckets' answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorBucketSummary {
    /// Its name.
    pub vector_bucket_name: String,
    /// Its ARN.
    pub vector_bucket_arn: String,
    /// When it was created (epoch seconds).
    pub creation_time: f64,
}

/// An index in GetIndex's answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexBody {
    /// Its bucket's name.
    pub vector_bucket_name: String,
    /// Its name.
    pub index_name: String,
    /// Its ARN.
    pub index_arn: String,
    /// When it was created (epoch seconds).
    pub creation_time: f64,
    /// `float32`.
    pub data_type: &'static str,
    /// Its dimension.
    pub dimension: u32,
    /// `cosine` or `euclidean`.
    pub distance_metric: &'static str,
    /// Its non-filterable keys, when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_configuration: Option<MetadataConfiguration>,
    /// Its encryption settings, when given at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_configuration: Option<EncryptionConfiguration>,
}

/// An index in ListIndexes' answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexSummary {
    /// Its bucket's name.
    pub vector_bucket_name: String,
    /// Its name.
    pub index_name: String,
    /// Its ARN.
    pub index_arn: String,
    /// When it was created (epoch seconds).
    pub creation_time: f64,
}

/// A vector in GetVectors' and ListVectors' answers.
#[derive(Debug, Clone, Serialize)]
pub struct OutputVector {
    /// Its key.
    pub key: String,
    /// Its values, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<VectorData>,
    /// Its metadata, when asked for and present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// A vector in QueryVectors' answer.
#[derive(Debug, Clone, Serialize)]
pub struct QueryOutputVector {
    /// Its key.
    pub key: String,
    /// Its distance to the query vector, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<f32>,
    /// Its metadata, when asked for and present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// Requests that name an index.
pub trait NamesIndex {
    /// The index named.
    fn index_ref(&self) -> IndexRef;
}

macro_rules! names_index {
    ($($t:ty),*) => {$(
        impl NamesIndex for $t {
            fn index_ref(&self) -> IndexRef {
                IndexRef {
                    vector_bucket_name: self.vector_bucket_name.clone(),
                    index_name: self.index_name.clone(),
                    index_arn: self.index_arn.clone(),
                }
            }
        }
    )*};
}

names_index!(
    IndexRef,
    PutVectorsRequest,
    GetVectorsRequest,
    DeleteVectorsRequest,
    ListVectorsRequest,
    QueryVectorsRequest
);
