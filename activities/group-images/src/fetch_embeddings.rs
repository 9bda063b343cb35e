//! `FetchEmbeddings`: what of a job is already embedded. For each image it reads the
//! bytes (within the image limits) to learn their content hash, then reads the stored
//! embeddings of all of them at once ([`crate::fetch::fetch_embeddings`], bounded by
//! `fetch_concurrency`). It writes the job's Map manifest (one JSON line per image:
//! `index`, `id`, `uri`, `embedded`, `embedding_key`) and a packed matrix of the vectors found
//! ([`crate::matrix`]), and returns their keys and the counts — never the vectors.
//!
//! Nothing here fails an image: an image that cannot be read now is listed as
//! unreadable with the reason and still goes to the Map, whose item reports (or, on a
//! transient fault, retries) it.

use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_embeddings::{ContentKey, EMBEDDING_DIM, EmbeddingStore, fetch_image};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::config::{GroupImagesConfig, GroupImagesSettings};
use crate::fetch::{FetchMetrics, FetchRequest, Fetched, fetch_embeddings};
use crate::input::GroupImagesInput;
use crate::keys;
use crate::matrix::Matrix;

/// The most unreadable images listed with their reasons in the output (the rest are
/// counted).
pub const MAX_LISTED_UNREADABLE: usize = 20;

/// The job and the loaded configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchEmbeddingsInput {
    /// The job, as started.
    pub request: GroupImagesInput,
    /// The configuration (LoadGroupImagesConfig's output).
    pub config: GroupImagesSettings,
}

/// An S3 object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

/// One line of the Map's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestItem {
    /// The image's position in the job.
    pub index: usize,
    /// Its id.
    pub id: String,
    /// Where it is.
    pub uri: String,
    /// Whether its embedding is stored already (the Map does not embed it again).
    pub embedded: bool,
    /// The key of its embedding in the content-hash store, when its bytes could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_key: Option<String>,
}

/// An image whose bytes or stored embedding could not be read now, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unreadable {
    /// The image's id.
    pub id: String,
    /// Why (at most 300 characters).
    pub reason: String,
}

/// What is known, where the manifest and matrix are, and the counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchEmbeddingsOutput {
    /// The folder of the job's files.
    pub job_prefix: String,
    /// The Map's manifest (JSON Lines).
    pub manifest: ObjectRef,
    /// Where the Map's ResultWriter puts its files.
    pub results_prefix: String,
    /// The packed matrix of the embeddings found.
    pub matrix: ObjectRef,
    /// Images in the job.
    pub total: usize,
    /// Images whose embedding is stored.
    pub found: usize,
    /// Images with no stored embedding yet.
    pub missing: usize,
    /// Images whose bytes or embedding could not be read now.
    pub unreadable: usize,
    /// The first unreadable images and why.
    pub unreadable_images: Vec<Unreadable>,
    /// The clustering threshold of this job (its own or the configured default).
    pub threshold: f64,
    /// What reading the stored embeddings took.
    pub metrics: FetchMetrics,
}

/// Reads what is already embedded for a job (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchEmbeddings {
    allow_loopback_http: bool,
}

impl FetchEmbeddings {
    /// As deployed: images from `s3://` and `https://`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also `http://` on loopback, for tests and local demos only.
    pub fn allowing_loopback_http() -> Self {
        FetchEmbeddings {
            allow_loopback_http: true,
        }
    }
}

impl ActivityDef for FetchEmbeddings {
    const NAME: &'static str = "FetchEmbeddings";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 1024,
        timeout_seconds: 300,
        permissions: &[
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects { area: Area::Images },
                reason: "reads each image's bytes for its content hash",
            },
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects {
                    area: Area::Embeddings,
                },
                reason: "reads the stored embeddings by content hash",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing {
                    area: Area::Embeddings,
                },
                reason: "an embedding not stored yet is NoSuchKey (missing), not AccessDenied",
            },
            Permission {
                actions: &["s3:PutObject"],
                resource: Resource::Objects {
                    area: Area::Staging,
                },
                reason: "writes the job's Map manifest and packed matrix",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = FetchEmbeddingsInput;
    type Output = FetchEmbeddingsOutput;
}

/// What hashing one image gave.
enum Hashed {
    Key(String),
    Failed(String),
}

/// Reads one image and names its embedding's key.
async fn hash_image(
    ctx: &Context,
    uri: &str,
    config: &GroupImagesConfig,
    store: &EmbeddingStore,
    allow_loopback_http: bool,
) -> Hashed {
    match fetch_image(ctx, uri, &config.image_limits, allow_loopback_http).await {
        Ok(fetched) => {
            let key = ContentKey::of(&config.bedrock.model_id, EMBEDDING_DIM, &fetched.bytes);
            Hashed::Key(store.object_key(&key))
        }
        Err(e) => Hashed::Failed(format!("{}: {}", e.name, e.cause)),
    }
}

impl Activity for FetchEmbeddings {
    async fn run(
        &self,
        input: FetchEmbeddingsInput,
        ctx: &Context,
    ) -> Result<FetchEmbeddingsOutput, ActivityError> {
        let images = input.request.resolve()?;
        let config = &input.config.config;
        let job_prefix = keys::job_prefix(
            &config.work_prefix,
            &input.request.tenant_id,
            &input.request.job_id,
        );
        let store = EmbeddingStore::new(&config.bucket, &config.embeddings_prefix);
        let concurrency = config.fetch_concurrency.max(1) as usize;

        // The content hash of every image, reading them concurrently.
        let hashing: Vec<_> = images
            .iter()
            .map(|image| hash_image(ctx, &image.uri, config, &store, self.allow_loopback_http))
            .collect();
        let hashed: Vec<Hashed> = futures::stream::iter(hashing)
            .buffered(concurrency)
            .collect()
            .await;
        ctx.cancellation
            .check("before reading the stored embeddings")?;

        let requests: Vec<FetchRequest> = images
            .iter()
            .zip(&hashed)
            .filter_map(|(image, hashed)| match hashed {
                Hashed::Key(key) => Some(FetchRequest {
                    id: image.id.clone(),
                    key: key.clone(),
                }),
                Hashed::Failed(_) => None,
            })
            .collect();
        let s3 = ctx.aws().s3().await;
        let report = fetch_embeddings(s3, &config.bucket, requests, concurrency).await;
        let mut outcomes = report.results.into_iter();

        let mut matrix = Matrix::new(EMBEDDING_DIM);
        let mut manifest = String::new();
        let (mut found, mut missing, mut unreadable) = (0, 0, 0);
        let mut unreadable_images = Vec::new();
        for (image, hashed) in images.iter().zip(&hashed) {
            let (embedded, problem) = match hashed {
                Hashed::Failed(why) => (false, Some(format!("the image could not be read: {why}"))),
                Hashed::Key(_) => match outcomes.next() {
                    Some((_, Fetched::Found(vector))) => {
                        matrix.push(image.id.clone(), &vector).map_err(|e| {
                            ActivityError::permanent(format!("packing image {}: {e}", image.id))
                        })?;
                        found += 1;
                        (true, None)
                    }
                    Some((_, Fetched::Missing)) => {
                        missing += 1;
                        (false, None)
                    }
                    Some((_, Fetched::Unreadable(why))) => (false, Some(why)),
                    None => (false, Some("no result for its stored embedding".into())),
                },
            };
            if let Some(why) = problem {
                unreadable += 1;
                if unreadable_images.len() < MAX_LISTED_UNREADABLE {
                    unreadable_images.push(Unreadable {
                        id: image.id.clone(),
                        reason: why.chars().take(300).collect(),
                    });
                }
            }
            let line = ManifestItem {
                index: image.index,
                id: image.id.clone(),
                uri: image.uri.clone(),
                embedded,
                embedding_key: match hashed {
                    Hashed::Key(key) => Some(key.clone()),
                    Hashed::Failed(_) => None,
                },
            };
            manifest.push_str(&serde_json::to_string(&line).map_err(|e| {
                ActivityError::permanent(format!("writing the manifest line of {}: {e}", image.id))
            })?);
            manifest.push('\n');
        }

        ctx.cancellation.check("before writing the manifest")?;
        let manifest_key = keys::manifest_key(&job_prefix);
        let matrix_key = keys::matrix_key(&job_prefix);
        let packed = matrix
            .encode()
            .map_err(|e| ActivityError::permanent(format!("packing the matrix: {e}")))?;
        for (key, body, content_type) in [
            (&manifest_key, manifest.into_bytes(), "application/x-ndjson"),
            (&matrix_key, packed, "application/octet-stream"),
        ] {
            s3.put_object()
                .bucket(&config.bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(body))
                .send()
                .await
                .activity_err("S3", "PutObject")?;
        }
        tracing::info!(
            job = %input.request.job_id,
            total = images.len(),
            found,
            missing,
            unreadable,
            "known embeddings fetched"
        );
        Ok(FetchEmbeddingsOutput {
            manifest: ObjectRef {
                bucket: config.bucket.clone(),
                key: manifest_key,
            },
            results_prefix: keys::results_prefix(&job_prefix),
            matrix: ObjectRef {
                bucket: config.bucket.clone(),
                key: matrix_key,
            },
            job_prefix,
            total: images.len(),
            found,
            missing,
            unreadable,
            unreadable_images,
            threshold: input.request.threshold.unwrap_or(config.threshold),
            metrics: report.metrics,
        })
    }
}
