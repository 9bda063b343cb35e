//! Shared by the SDK tests: a client for an endpoint, JSON ⇄ `Document`, small
//! builders, and a deterministic pseudo-random source.

#![allow(dead_code)]

use aws_sdk_s3vectors::Client;
use aws_sdk_s3vectors::config::retry::RetryConfig;
use aws_sdk_s3vectors::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3vectors::types::{DataType, DistanceMetric, PutInputVector, VectorData};
use aws_smithy_types::{Document, Number};
use serde_json::Value;

/// A client for `endpoint`: region us-east-1, static credentials, no SDK retries (a
/// test must see the first throttle).
pub fn client(endpoint: &str) -> Client {
    let config = aws_sdk_s3vectors::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// JSON to a smithy `Document`.
pub fn doc(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Document::Number(Number::PosInt(u))
            } else if let Some(i) = n.as_i64() {
                Document::Number(Number::NegInt(i))
            } else {
                Document::Number(Number::Float(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(doc).collect()),
        Value::Object(map) => {
            Document::Object(map.iter().map(|(k, v)| (k.clone(), doc(v))).collect())
        }
    }
}

/// A smithy `Document` to JSON (numbers as f64, for comparisons).
pub fn json(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(n) => serde_json::json!(n.to_f64_lossy()),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(json).collect()),
        Document::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
    }
}

/// A vector to put.
pub fn vector(key: &str, data: &[f32], metadata: Option<Value>) -> PutInputVector {
    let mut builder = PutInputVector::builder()
        .key(key)
        .data(VectorData::Float32(data.to_vec()));
    if let Some(metadata) = metadata {
        builder = builder.metadata(doc(&metadata));
    }
    builder.build().expect("vector")
}

/// Creates a bucket and an index in it.
pub async fn bucket_and_index(
    client: &Client,
    bucket: &str,
    index: &str,
    dimension: i32,
    metric: DistanceMetric,
) {
    client
        .create_vector_bucket()
        .vector_bucket_name(bucket)
        .send()
        .await
        .expect("create bucket");
    client
        .create_index()
        .vector_bucket_name(bucket)
        .index_name(index)
        .data_type(DataType::Float32)
        .dimension(dimension)
        .distance_metric(metric)
        .send()
        .await
        .expect("create index");
}

/// The error code of a failed SDK call (`ValidationException`, …).
pub fn code<E, R>(result: Result<R, aws_sdk_s3vectors::error::SdkError<E>>) -> String
where
    E: aws_sdk_s3vectors::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let err = result.expect_err("the call should fail");
    err.as_service_error()
        .and_then(|e| e.code())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("not a service error: {err:?}"))
}

/// A deterministic xorshift generator of values in [-1, 1).
pub struct Rng(pub u64);

impl Rng {
    /// The next value in [-1, 1).
    pub fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// A vector of `n` values.
    pub fn vector(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next_f32()).collect()
    }
}
