//! `ClusterImages`: the job's groups. It reads the job's manifest, the packed matrix of
//! the embeddings known before the Map, and the Map's per-item outcomes; reads the
//! embeddings made during the Map ([`crate::fetch::fetch_embeddings`]); clusters every
//! image that has one ([`crate::cluster`]); and writes the full result to S3
//! (`result.json`: groups with their representative — the medoid — cohesion and
//! members, singletons, failed images with their reasons, the threshold). Only a
//! summary travels on.

use std::collections::HashMap;

use aws_sdk_s3::primitives::ByteStream;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::cluster::cluster;
use crate::config::GroupImagesSettings;
use crate::fetch::{FetchRequest, Fetched, fetch_embeddings};
use crate::fetch_embeddings::{FetchEmbeddingsOutput, ManifestItem, ObjectRef};
use crate::keys;
use crate::map_results::{self, ResultWriterDetails};
use crate::matrix::Matrix;

/// The job, the configuration, what FetchEmbeddings and the Map left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterImagesInput {
    /// The tenant.
    pub tenant_id: String,
    /// The job.
    pub job_id: String,
    /// The configuration.
    pub config: GroupImagesSettings,
    /// FetchEmbeddings' output.
    pub fetched: FetchEmbeddingsOutput,
    /// The Map's ResultWriter manifest.
    pub map_results: ResultWriterDetails,
}

/// An image in the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResultImage {
    /// Its id.
    pub id: String,
    /// Where it is.
    pub uri: String,
    /// Its thumbnail's key in the job's bucket, when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

/// A group in the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResultGroup {
    /// The medoid.
    pub representative: ResultImage,
    /// Mean pairwise cosine similarity of the members.
    pub cohesion: f64,
    /// The members, in input order.
    pub members: Vec<ResultImage>,
}

/// An image left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FailedImage {
    /// Its id.
    pub id: String,
    /// Where it is.
    pub uri: String,
    /// The error name.
    pub error: String,
    /// Its cause.
    pub cause: String,
}

/// The full result (`result.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupImagesResult {
    /// The tenant.
    pub tenant_id: String,
    /// The job.
    pub job_id: String,
    /// The cosine-distance threshold used.
    pub threshold: f64,
    /// The bucket the thumbnail keys are in.
    pub bucket: String,
    /// Images in the job.
    pub images: usize,
    /// Groups of two or more photos of one product, largest first.
    pub groups: Vec<ResultGroup>,
    /// Images alike no other.
    pub singletons: Vec<ResultImage>,
    /// Images left out.
    pub failed: Vec<FailedImage>,
}

/// What travels on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterImagesOutput {
    /// The full result.
    pub result: ObjectRef,
    /// Images in the job.
    pub images: usize,
    /// Images clustered (with an embedding).
    pub clustered: usize,
    /// Groups of two or more.
    pub group_count: usize,
    /// Images in no group.
    pub singleton_count: usize,
    /// Images left out.
    pub failed_count: usize,
    /// The size of the largest group (0 when there is none).
    pub largest_group: usize,
    /// The threshold used.
    pub threshold: f64,
}

/// Clusters a job's images (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterImages;

impl ActivityDef for ClusterImages {
    const NAME: &'static str = "ClusterImages";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 1024,
        timeout_seconds: 300,
        permissions: &[
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects {
                    area: Area::Staging,
                },
                reason: "reads the job's manifest, matrix and Map results",
            },
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects {
                    area: Area::Embeddings,
                },
                reason: "reads the embeddings made during the Map",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing {
                    area: Area::Embeddings,
                },
                reason: "a missing embedding is NoSuchKey, not AccessDenied",
            },
            Permission {
                actions: &["s3:PutObject"],
                resource: Resource::Objects {
                    area: Area::Staging,
                },
                reason: "writes the job's result.json",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = ClusterImagesInput;
    type Output = ClusterImagesOutput;
}

impl Activity for ClusterImages {
    async fn run(
        &self,
        input: ClusterImagesInput,
        ctx: &Context,
    ) -> Result<ClusterImagesOutput, ActivityError> {
        let config = &input.config.config;
        let fetched = &input.fetched;
        let threshold = fetched.threshold;
        if !(threshold > 0.0 && threshold <= 2.0) {
            return Err(ActivityError::invalid_input(format!(
                "input field \"fetched.threshold\": must be above 0 and at most 2, got {threshold}"
            )));
        }
        let s3 = ctx.aws().s3().await;

        let manifest_bytes =
            map_results::get(s3, &fetched.manifest.bucket, &fetched.manifest.key).await?;
        let manifest = parse_manifest(&manifest_bytes, &fetched.manifest)?;
        let matrix_bytes =
            map_results::get(s3, &fetched.matrix.bucket, &fetched.matrix.key).await?;
        let known = Matrix::decode(&matrix_bytes).map_err(|e| {
            ActivityError::permanent(format!(
                "s3://{}/{}: {e}",
                fetched.matrix.bucket, fetched.matrix.key
            ))
        })?;
        let known_rows: HashMap<&str, usize> = known
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let outcomes = map_results::read(s3, &input.map_results).await?;

        // What each image has: a failure, or an embedding to read.
        let mut failed = Vec::new();
        let mut to_fetch = Vec::new();
        for item in &manifest {
            if let Some(failure) = outcomes.failed.get(&item.id) {
                failed.push(FailedImage {
                    id: item.id.clone(),
                    uri: item.uri.clone(),
                    error: failure.error.clone(),
                    cause: failure.cause.clone(),
                });
                continue;
            }
            if known_rows.contains_key(item.id.as_str()) {
                continue;
            }
            let key = outcomes
                .succeeded
                .get(&item.id)
                .map(|o| o.embedding_key.clone())
                .or_else(|| item.embedding_key.clone());
            match key {
                Some(key) => to_fetch.push(FetchRequest {
                    id: item.id.clone(),
                    key,
                }),
                None => failed.push(FailedImage {
                    id: item.id.clone(),
                    uri: item.uri.clone(),
                    error: "NoEmbedding".into(),
                    cause: "the image could not be read, and the Map left no outcome for it".into(),
                }),
            }
        }
        let report = fetch_embeddings(
            s3,
            &config.bucket,
            to_fetch,
            config.fetch_concurrency as usize,
        )
        .await;
        let mut late: HashMap<String, Vec<f32>> = HashMap::new();
        let by_id: HashMap<&str, &ManifestItem> =
            manifest.iter().map(|m| (m.id.as_str(), m)).collect();
        for (id, outcome) in report.results {
            let why = match outcome {
                Fetched::Found(vector) => {
                    late.insert(id, vector);
                    continue;
                }
                Fetched::Missing => "no embedding was stored for it".to_string(),
                Fetched::Unreadable(why) => why,
            };
            let uri = by_id
                .get(id.as_str())
                .map(|m| m.uri.clone())
                .unwrap_or_default();
            failed.push(FailedImage {
                id,
                uri,
                error: "NoEmbedding".into(),
                cause: why,
            });
        }
        failed.sort_by_key(|f| by_id.get(f.id.as_str()).map_or(usize::MAX, |m| m.index));

        // The clustered images, in input order.
        let mut clustered: Vec<(&ManifestItem, &[f32])> = Vec::new();
        for item in &manifest {
            if let Some(&row) = known_rows.get(item.id.as_str()) {
                if !outcomes.failed.contains_key(&item.id) {
                    clustered.push((item, known.row(row)));
                }
            } else if let Some(vector) = late.get(&item.id) {
                clustered.push((item, vector.as_slice()));
            }
        }
        let owned: Vec<Vec<f32>> = clustered.iter().map(|(_, v)| v.to_vec()).collect();
        ctx.cancellation.check("before clustering")?;
        let clustering = tokio::task::spawn_blocking(move || {
            let rows: Vec<&[f32]> = owned.iter().map(Vec::as_slice).collect();
            cluster(&rows, threshold)
        })
        .await
        .map_err(|e| ActivityError::permanent(format!("clustering failed: {e}")))?;

        let image = |i: usize| {
            let item = clustered[i].0;
            ResultImage {
                id: item.id.clone(),
                uri: item.uri.clone(),
                thumbnail: outcomes
                    .succeeded
                    .get(&item.id)
                    .map(|o| o.thumbnail.key.clone()),
            }
        };
        let groups: Vec<ResultGroup> = clustering
            .groups
            .iter()
            .map(|g| ResultGroup {
                representative: image(g.medoid),
                cohesion: g.cohesion,
                members: g.members.iter().map(|&m| image(m)).collect(),
            })
            .collect();
        let singletons: Vec<ResultImage> =
            clustering.singletons.iter().map(|&i| image(i)).collect();
        let result = GroupImagesResult {
            tenant_id: input.tenant_id.clone(),
            job_id: input.job_id.clone(),
            threshold,
            bucket: config.bucket.clone(),
            images: manifest.len(),
            groups,
            singletons,
            failed,
        };
        let key = keys::result_key(&fetched.job_prefix);
        let body = serde_json::to_vec_pretty(&result)
            .map_err(|e| ActivityError::permanent(format!("writing result.json: {e}")))?;
        ctx.cancellation.check("before writing the result")?;
        s3.put_object()
            .bucket(&config.bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .activity_err("S3", "PutObject")?;
        tracing::info!(
            job = %input.job_id,
            images = result.images,
            clustered = clustered.len(),
            groups = result.groups.len(),
            failed = result.failed.len(),
            "clustered"
        );
        Ok(ClusterImagesOutput {
            result: ObjectRef {
                bucket: config.bucket.clone(),
                key,
            },
            images: result.images,
            clustered: clustered.len(),
            group_count: result.groups.len(),
            singleton_count: result.singletons.len(),
            failed_count: result.failed.len(),
            largest_group: result.groups.first().map_or(0, |g| g.members.len()),
            threshold,
        })
    }
}

/// The job's manifest lines, in order.
fn parse_manifest(bytes: &[u8], at: &ObjectRef) -> Result<Vec<ManifestItem>, ActivityError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ActivityError::permanent(format!("s3://{}/{}: not UTF-8: {e}", at.bucket, at.key))
    })?;
    let mut items: Vec<ManifestItem> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| {
                ActivityError::permanent(format!(
                    "s3://{}/{} line {}: not a manifest line: {e}",
                    at.bucket,
                    at.key,
                    n + 1
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    items.sort_by_key(|i| i.index);
    Ok(items)
}
