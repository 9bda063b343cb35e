//! S3 Vectors: the deployment's vector bucket and its indexes (float32, the declared
//! dimension, distance and non-filterable metadata keys); an existing index is reused
//! when its dimension and distance match.

use aws_sdk_s3vectors::Client;
use aws_sdk_s3vectors::types::{DataType, DistanceMetric, MetadataConfiguration};
use stepwise_contract::deploy::{Distance, VectorIndexSpec};

use crate::ProvisionError;

/// An index that exists.
pub(crate) struct Index {
    pub name: String,
    pub arn: String,
}

/// Creates the vector bucket `bucket`, or reuses it.
pub(crate) async fn ensure_bucket(client: &Client, bucket: &str) -> Result<(), ProvisionError> {
    const KIND: &str = "vector bucket";
    match client
        .get_vector_bucket()
        .vector_bucket_name(bucket)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            client
                .create_vector_bucket()
                .vector_bucket_name(bucket)
                .send()
                .await
                .map_err(|e| ProvisionError::service(KIND, bucket, "CreateVectorBucket", e))?;
            tracing::info!(bucket, "vector bucket created");
            Ok(())
        }
        Err(e) => Err(ProvisionError::service(KIND, bucket, "GetVectorBucket", e)),
    }
}

fn metric(distance: Distance) -> DistanceMetric {
    match distance {
        Distance::Cosine => DistanceMetric::Cosine,
        Distance::Euclidean => DistanceMetric::Euclidean,
    }
}

/// Creates the index of `spec` (named by its logical name) in `bucket`, or reuses it.
pub(crate) async fn ensure_index(
    client: &Client,
    bucket: &str,
    spec: &VectorIndexSpec,
) -> Result<Index, ProvisionError> {
    const KIND: &str = "vector index";
    let name = spec.name;
    let get = |client: &Client| {
        client
            .get_index()
            .vector_bucket_name(bucket)
            .index_name(name)
            .send()
    };
    match get(client).await {
        Ok(out) => {
            let Some(index) = out.index() else {
                return Err(ProvisionError::Service {
                    kind: KIND,
                    name: name.to_string(),
                    operation: "GetIndex",
                    message: "the response has no index".into(),
                });
            };
            let declared = u32::try_from(index.dimension()).ok() == Some(spec.dimension)
                && *index.distance_metric() == metric(spec.distance);
            if !declared {
                return Err(ProvisionError::Mismatch {
                    kind: KIND,
                    name: name.to_string(),
                    difference: format!(
                        "dimension {} and distance {}, declared {} and {}",
                        index.dimension(),
                        index.distance_metric().as_str(),
                        spec.dimension,
                        spec.distance.as_str()
                    ),
                });
            }
            Ok(Index {
                name: name.to_string(),
                arn: index.index_arn().to_string(),
            })
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            let dimension =
                i32::try_from(spec.dimension).map_err(|_| ProvisionError::Mismatch {
                    kind: KIND,
                    name: name.to_string(),
                    difference: format!("dimension {} does not fit the API", spec.dimension),
                })?;
            let mut request = client
                .create_index()
                .vector_bucket_name(bucket)
                .index_name(name)
                .data_type(DataType::Float32)
                .dimension(dimension)
                .distance_metric(metric(spec.distance));
            if !spec.non_filterable_metadata_keys.is_empty() {
                let mut config = MetadataConfiguration::builder();
                for key in spec.non_filterable_metadata_keys {
                    config = config.non_filterable_metadata_keys(*key);
                }
                request = request.metadata_configuration(
                    config
                        .build()
                        .map_err(|e| ProvisionError::service(KIND, name, "CreateIndex", e))?,
                );
            }
            let created = request
                .send()
                .await
                .map_err(|e| ProvisionError::service(KIND, name, "CreateIndex", e))?;
            let arn = match created.index_arn().filter(|arn| !arn.is_empty()) {
                Some(arn) => arn.to_string(),
                None => get(client)
                    .await
                    .map_err(|e| ProvisionError::service(KIND, name, "GetIndex", e))?
                    .index()
                    .map(|i| i.index_arn().to_string())
                    .unwrap_or_default(),
            };
            tracing::info!(bucket, index = name, "vector index created");
            Ok(Index {
                name: name.to_string(),
                arn,
            })
        }
        Err(e) => Err(ProvisionError::service(KIND, name, "GetIndex", e)),
    }
}
