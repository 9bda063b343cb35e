//! Amazon S3 Vectors: `aws-sdk:s3vectors:putVectors|getVectors|queryVectors`. Vector
//! data is `{"Float32": [...]}`; metadata and filters are free-form JSON.

use aws_sdk_s3vectors::types::{PutInputVector, VectorData};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::document::{from_json, to_json};
use super::{Call, put};
use crate::failure::Failure;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Data {
    float32: Vec<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct InputVector {
    key: String,
    data: Data,
    metadata: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct PutVectors {
    vector_bucket_name: Option<String>,
    index_name: Option<String>,
    index_arn: Option<String>,
    vectors: Vec<InputVector>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct GetVectors {
    vector_bucket_name: Option<String>,
    index_name: Option<String>,
    index_arn: Option<String>,
    keys: Vec<String>,
    return_data: Option<bool>,
    return_metadata: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct QueryVectors {
    vector_bucket_name: Option<String>,
    index_name: Option<String>,
    index_arn: Option<String>,
    top_k: i32,
    query_vector: Data,
    filter: Option<Value>,
    return_metadata: Option<bool>,
    return_distance: Option<bool>,
}

fn data_json(data: Option<&VectorData>) -> Option<Value> {
    match data {
        Some(VectorData::Float32(values)) => Some(json!({"Float32": values})),
        _ => None,
    }
}

/// Runs the call's S3 Vectors action.
pub(super) async fn run(call: &Call<'_>) -> Result<Value, Failure> {
    let client = call.clients().s3vectors().await;
    match call.integration.action {
        "putVectors" => {
            let p: PutVectors = call.params()?;
            let mut vectors = Vec::with_capacity(p.vectors.len());
            for (i, v) in p.vectors.into_iter().enumerate() {
                vectors.push(
                    PutInputVector::builder()
                        .key(v.key)
                        .data(VectorData::Float32(v.data.float32))
                        .set_metadata(v.metadata.map(from_json))
                        .build()
                        .map_err(|e| call.invalid(&format!("Vectors[{i}]: {e}")))?,
                );
            }
            call.send(
                client
                    .put_vectors()
                    .set_vector_bucket_name(p.vector_bucket_name)
                    .set_index_name(p.index_name)
                    .set_index_arn(p.index_arn)
                    .set_vectors(Some(vectors))
                    .send(),
            )
            .await?;
            Ok(json!({}))
        }
        "getVectors" => {
            let p: GetVectors = call.params()?;
            let r = call
                .send(
                    client
                        .get_vectors()
                        .set_vector_bucket_name(p.vector_bucket_name)
                        .set_index_name(p.index_name)
                        .set_index_arn(p.index_arn)
                        .set_keys(Some(p.keys))
                        .set_return_data(p.return_data)
                        .set_return_metadata(p.return_metadata)
                        .send(),
                )
                .await?;
            let vectors: Vec<Value> = r
                .vectors()
                .iter()
                .map(|v| {
                    let mut m = Map::new();
                    put(&mut m, "Data", data_json(v.data()));
                    m.insert("Key".into(), json!(v.key()));
                    put(&mut m, "Metadata", v.metadata().map(to_json));
                    Value::Object(m)
                })
                .collect();
            Ok(json!({"Vectors": vectors}))
        }
        _ => {
            let p: QueryVectors = call.params()?;
            let r = call
                .send(
                    client
                        .query_vectors()
                        .set_vector_bucket_name(p.vector_bucket_name)
                        .set_index_name(p.index_name)
                        .set_index_arn(p.index_arn)
                        .top_k(p.top_k)
                        .query_vector(VectorData::Float32(p.query_vector.float32))
                        .set_filter(p.filter.map(from_json))
                        .set_return_metadata(p.return_metadata)
                        .set_return_distance(p.return_distance)
                        .send(),
                )
                .await?;
            let vectors: Vec<Value> = r
                .vectors()
                .iter()
                .map(|v| {
                    let mut m = Map::new();
                    put(&mut m, "Distance", v.distance().map(f64::from));
                    m.insert("Key".into(), json!(v.key()));
                    put(&mut m, "Metadata", v.metadata().map(to_json));
                    Value::Object(m)
                })
                .collect();
            let mut out = Map::new();
            put(
                &mut out,
                "DistanceMetric",
                r.distance_metric().map(|m| m.as_str().to_string()),
            );
            out.insert("Vectors".into(), Value::Array(vectors));
            Ok(Value::Object(out))
        }
    }
}
