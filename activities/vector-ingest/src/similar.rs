//! `SimilarProducts`: the nearest neighbours of one sale's vector in the index
//! (`GetVectors` for the sale's vector, then `QueryVectors` top-k), optionally only
//! among one tenant's sales (a metadata filter on `tenant_id`, so another tenant's
//! vectors are never returned). The sale itself is left out of the neighbours.
//!
//! # Errors
//! `InvalidInput` for a bad field; `NotFound` when the sale has no vector in the index
//! (or the index does not exist); S3 Vectors failures as classified.

use std::collections::HashMap;

use aws_smithy_types::Document;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_contract::deploy::{Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::limits::MAX_TOP_K;
use crate::metadata::to_json;
use crate::target::VectorTarget;

fn default_top_k() -> u32 {
    10
}

/// What `SimilarProducts` receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarProductsInput {
    /// The vector index.
    pub target: VectorTarget,
    /// The sale whose neighbours are wanted (its vector's key).
    pub sale_id: String,
    /// How many neighbours (1 to 99, default 10).
    #[serde(default = "default_top_k")]
    pub top_k: u32,
    /// Only this tenant's sales (a `tenant_id` filter); none: every tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// One neighbour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Neighbour {
    /// Its sale id (the vector's key).
    pub sale_id: String,
    /// Its distance from the sale's vector (the index's metric).
    pub distance: Option<f32>,
    /// Its metadata.
    pub metadata: Value,
}

/// What `SimilarProducts` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarProductsOutput {
    /// The sale asked about.
    pub sale_id: String,
    /// Its metadata.
    pub metadata: Value,
    /// The tenant filter applied, if any.
    pub tenant_id: Option<String>,
    /// The nearest sales first.
    pub neighbours: Vec<Neighbour>,
}

/// Finds a sale's nearest neighbours. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct SimilarProducts;

impl ActivityDef for SimilarProducts {
    const NAME: &'static str = "SimilarProducts";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 256,
        timeout_seconds: 30,
        permissions: &[Permission {
            actions: &["s3vectors:GetVectors", "s3vectors:QueryVectors"],
            resource: Resource::VectorIndex {
                index: crate::target::SALES_INDEX,
            },
            reason: "reads the sale's vector and queries its neighbours",
        }],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = SimilarProductsInput;
    type Output = SimilarProductsOutput;
}

impl Activity for SimilarProducts {
    async fn run(
        &self,
        input: SimilarProductsInput,
        ctx: &Context,
    ) -> Result<SimilarProductsOutput, ActivityError> {
        input.target.check("target")?;
        if input.sale_id.is_empty() {
            return Err(ActivityError::invalid_input(
                "input field \"sale_id\" is empty",
            ));
        }
        if !(1..MAX_TOP_K).contains(&input.top_k) {
            return Err(ActivityError::invalid_input(format!(
                "input field \"top_k\": {} is outside 1 to {} (S3 Vectors returns at most {MAX_TOP_K}, one of them the sale itself)",
                input.top_k,
                MAX_TOP_K - 1
            )));
        }
        if input.tenant_id.as_deref() == Some("") {
            return Err(ActivityError::invalid_input(
                "input field \"tenant_id\" is empty",
            ));
        }
        let client = ctx.aws().s3vectors().await;
        let target = &input.target;
        let found = client
            .get_vectors()
            .vector_bucket_name(&target.vector_bucket)
            .index_name(&target.index)
            .keys(&input.sale_id)
            .return_data(true)
            .return_metadata(true)
            .send()
            .await
            .activity_err("S3 Vectors", "GetVectors")?;
        let Some(vector) = found.vectors().iter().find(|v| v.key() == input.sale_id) else {
            return Err(ActivityError::not_found(format!(
                "sale {} has no vector in index {} of vector bucket {}",
                input.sale_id, target.index, target.vector_bucket
            )));
        };
        let data = vector.data().cloned().ok_or_else(|| {
            ActivityError::transient(format!(
                "S3 Vectors GetVectors returned sale {}'s vector without its data",
                input.sale_id
            ))
        })?;
        let mut query = client
            .query_vectors()
            .vector_bucket_name(&target.vector_bucket)
            .index_name(&target.index)
            .top_k(input.top_k as i32 + 1)
            .query_vector(data)
            .return_metadata(true)
            .return_distance(true);
        if let Some(tenant) = &input.tenant_id {
            query = query.filter(tenant_filter(tenant));
        }
        let result = query
            .send()
            .await
            .activity_err("S3 Vectors", "QueryVectors")?;
        let neighbours = result
            .vectors()
            .iter()
            .filter(|v| v.key() != input.sale_id)
            .take(input.top_k as usize)
            .map(|v| Neighbour {
                sale_id: v.key().to_string(),
                distance: v.distance(),
                metadata: v.metadata().map_or(Value::Null, to_json),
            })
            .collect();
        Ok(SimilarProductsOutput {
            sale_id: input.sale_id.clone(),
            metadata: vector.metadata().map_or(Value::Null, to_json),
            tenant_id: input.tenant_id.clone(),
            neighbours,
        })
    }
}

/// `{"tenant_id": {"$eq": tenant}}`.
pub fn tenant_filter(tenant: &str) -> Document {
    Document::Object(HashMap::from([(
        "tenant_id".to_string(),
        Document::Object(HashMap::from([(
            "$eq".to_string(),
            Document::String(tenant.to_string()),
        )])),
    )]))
}
