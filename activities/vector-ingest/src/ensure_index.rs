//! `EnsureIndex`: makes sure the target vector bucket and index exist with the shape the
//! pipeline writes — created when missing (dimension [`DEFAULT_DIMENSION`], cosine
//! distance, `float32`, the non-filterable metadata keys of [`crate::metadata`]), checked
//! when present. An existing index of another dimension, distance metric or set of
//! non-filterable keys is `InvalidInput` naming both values, before anything is written.
//!
//! Creating races safely: a bucket or index another run created meanwhile
//! (`ConflictException`) is read back and checked like any existing one.

use std::collections::BTreeSet;

use aws_sdk_s3vectors::types::{DataType, DistanceMetric, Index, MetadataConfiguration};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_runtime::aws::errors::classify;
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::limits::MAX_DIMENSION;
use crate::metadata::NON_FILTERABLE_KEYS;
use crate::target::VectorTarget;

/// The dimension of the lake's embeddings (Titan Multimodal Embeddings G1).
pub const DEFAULT_DIMENSION: u32 = stepwise_embeddings::EMBEDDING_DIM as u32;

/// The distance metric of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    /// Cosine distance (the default).
    #[default]
    Cosine,
    /// Euclidean distance.
    Euclidean,
}

impl Distance {
    fn sdk(self) -> DistanceMetric {
        match self {
            Distance::Cosine => DistanceMetric::Cosine,
            Distance::Euclidean => DistanceMetric::Euclidean,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Distance::Cosine => "cosine",
            Distance::Euclidean => "euclidean",
        }
    }
}

fn default_dimension() -> u32 {
    DEFAULT_DIMENSION
}

/// What `EnsureIndex` receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnsureIndexInput {
    /// The vector bucket and index.
    pub target: VectorTarget,
    /// The index's dimension (default 1024, the lake's embeddings).
    #[serde(default = "default_dimension")]
    pub dimension: u32,
    /// The distance metric (default cosine).
    #[serde(default)]
    pub distance: Distance,
}

/// What `EnsureIndex` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnsureIndexOutput {
    /// The vector bucket and index.
    pub target: VectorTarget,
    /// The index's ARN.
    pub index_arn: String,
    /// Its dimension.
    pub dimension: u32,
    /// Its distance metric.
    pub distance: Distance,
    /// Whether this call created the vector bucket.
    pub created_bucket: bool,
    /// Whether this call created the index.
    pub created_index: bool,
}

/// Creates or checks the vector bucket and index. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnsureIndex;

impl ActivityDef for EnsureIndex {
    const NAME: &'static str = "EnsureIndex";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 128,
        timeout_seconds: 60,
        permissions: &[Permission {
            actions: &[
                "s3vectors:GetVectorBucket",
                "s3vectors:CreateVectorBucket",
                "s3vectors:GetIndex",
                "s3vectors:CreateIndex",
            ],
            resource: Resource::VectorIndex {
                index: crate::target::SALES_INDEX,
            },
            reason: "checks the index (creating the bucket and index where the deployment did not, e.g. locally)",
        }],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = EnsureIndexInput;
    type Output = EnsureIndexOutput;
}

impl Activity for EnsureIndex {
    async fn run(
        &self,
        input: EnsureIndexInput,
        ctx: &Context,
    ) -> Result<EnsureIndexOutput, ActivityError> {
        input.target.check("target")?;
        if !(1..=MAX_DIMENSION).contains(&input.dimension) {
            return Err(ActivityError::invalid_input(format!(
                "input field \"dimension\": {} is outside S3 Vectors' 1 to {MAX_DIMENSION}",
                input.dimension
            )));
        }
        let client = ctx.aws().s3vectors().await;
        let target = &input.target;
        let created_bucket = ensure_bucket(client, &target.vector_bucket).await?;
        let (index, created_index) = match get_index(client, target).await? {
            Some(index) => (index, false),
            None => match create_index(client, &input).await? {
                true => (required_index(client, target).await?, true),
                // Another run created it meanwhile: check it like any existing one.
                false => (required_index(client, target).await?, false),
            },
        };
        check_index(&index, &input)?;
        Ok(EnsureIndexOutput {
            target: target.clone(),
            index_arn: index.index_arn().to_string(),
            dimension: input.dimension,
            distance: input.distance,
            created_bucket,
            created_index,
        })
    }
}

/// Creates the vector bucket unless it exists; whether this call created it.
async fn ensure_bucket(
    client: &aws_sdk_s3vectors::Client,
    bucket: &str,
) -> Result<bool, ActivityError> {
    match client
        .get_vector_bucket()
        .vector_bucket_name(bucket)
        .send()
        .await
    {
        Ok(_) => return Ok(false),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) => {}
        Err(e) => return Err(classify("S3 Vectors", "GetVectorBucket", &e)),
    }
    match client
        .create_vector_bucket()
        .vector_bucket_name(bucket)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conflict_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(classify("S3 Vectors", "CreateVectorBucket", &e)),
    }
}

/// The index, or `None` when it does not exist.
async fn get_index(
    client: &aws_sdk_s3vectors::Client,
    target: &VectorTarget,
) -> Result<Option<Index>, ActivityError> {
    match client
        .get_index()
        .vector_bucket_name(&target.vector_bucket)
        .index_name(&target.index)
        .send()
        .await
    {
        Ok(out) => Ok(out.index().cloned()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(classify("S3 Vectors", "GetIndex", &e)),
    }
}

/// The index, which must exist now.
async fn required_index(
    client: &aws_sdk_s3vectors::Client,
    target: &VectorTarget,
) -> Result<Index, ActivityError> {
    get_index(client, target).await?.ok_or_else(|| {
        ActivityError::transient(format!(
            "S3 Vectors GetIndex: index {} in vector bucket {} not found right after it was created",
            target.index, target.vector_bucket
        ))
    })
}

/// Creates the index; `false` when it already existed (a concurrent creation).
async fn create_index(
    client: &aws_sdk_s3vectors::Client,
    input: &EnsureIndexInput,
) -> Result<bool, ActivityError> {
    let mut metadata = MetadataConfiguration::builder();
    for key in NON_FILTERABLE_KEYS {
        metadata = metadata.non_filterable_metadata_keys(*key);
    }
    let metadata = metadata.build().map_err(|e| {
        ActivityError::permanent(format!("building the index's metadata configuration: {e}"))
    })?;
    let dimension = i32::try_from(input.dimension).unwrap_or(i32::MAX);
    match client
        .create_index()
        .vector_bucket_name(&input.target.vector_bucket)
        .index_name(&input.target.index)
        .data_type(DataType::Float32)
        .dimension(dimension)
        .distance_metric(input.distance.sdk())
        .metadata_configuration(metadata)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conflict_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(classify("S3 Vectors", "CreateIndex", &e)),
    }
}

/// Checks an existing index against what the pipeline writes.
fn check_index(index: &Index, input: &EnsureIndexInput) -> Result<(), ActivityError> {
    let name = format!(
        "index {} in vector bucket {}",
        input.target.index, input.target.vector_bucket
    );
    let mut problems = Vec::new();
    if index.dimension() != i32::try_from(input.dimension).unwrap_or(i32::MAX) {
        problems.push(format!(
            "its dimension is {}, the input's \"dimension\" is {}",
            index.dimension(),
            input.dimension
        ));
    }
    if *index.distance_metric() != input.distance.sdk() {
        problems.push(format!(
            "its distance metric is {}, the input's \"distance\" is {}",
            index.distance_metric().as_str().to_lowercase(),
            input.distance.as_str()
        ));
    }
    if *index.data_type() != DataType::Float32 {
        problems.push(format!(
            "its data type is {}, the pipeline writes float32",
            index.data_type().as_str()
        ));
    }
    // An index created with non-filterable keys reports them in `metadataConfiguration`.
    // moto 5.2.5 reports none for any index, so a missing configuration is not taken
    // as a mismatch (on AWS it means the index has no non-filterable keys: every key
    // then counts against the 2 KB filterable limit, and a row over it is refused by
    // PutVectors with ValidationException, reported as UnusableObject).
    let wanted: BTreeSet<&str> = NON_FILTERABLE_KEYS.iter().copied().collect();
    if let Some(found) = index.metadata_configuration().map(|m| {
        m.non_filterable_metadata_keys()
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<&str>>()
    }) && found != wanted
    {
        problems.push(format!(
            "its non-filterable metadata keys are {found:?}, the pipeline writes {wanted:?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ActivityError::invalid_input(format!(
            "{name} does not match: {}; nothing was written (use another index, or the index's own settings)",
            problems.join("; ")
        )))
    }
}
