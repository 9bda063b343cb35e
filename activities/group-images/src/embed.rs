//! `EmbedGroupImage`: the Map item's embedding, for an image FetchEmbeddings found no
//! stored embedding of. It is [`stepwise_embeddings::embed_image_stored`] — the one
//! implementation daily-sales-export's EmbedImage uses too — over the configured
//! content-hash store: the vector is stored under the image's content key, and an image
//! embedded meanwhile (by another job or an earlier attempt) is not sent to Bedrock again.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_embeddings::{EmbeddingStore, MAX_IMAGE_TIMEOUT_SECONDS, embed_image_stored};
pub use stepwise_embeddings::{IMAGE_TOO_LARGE, INVALID_IMAGE};
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::config::GroupImagesSettings;
use crate::fetch_embeddings::ManifestItem;

/// One Map item to embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbedGroupImageInput {
    /// The image (a line of the job's manifest).
    pub image: ManifestItem,
    /// The configuration.
    pub config: GroupImagesSettings,
}

/// Where the embedding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbedGroupImageOutput {
    /// The image's id.
    pub id: String,
    /// The embedding's key in the content-hash store (in the config's bucket).
    pub embedding_key: String,
    /// Whether the store had it already (no Bedrock call).
    pub reused: bool,
    /// Whether the image was downscaled for the model.
    pub downscaled: bool,
}

/// Embeds one image through the content-hash store (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbedGroupImage {
    allow_loopback_http: bool,
}

impl EmbedGroupImage {
    /// As deployed: images from `s3://` and `https://`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also `http://` on loopback, for tests and local demos only.
    pub fn allowing_loopback_http() -> Self {
        EmbedGroupImage {
            allow_loopback_http: true,
        }
    }
}

impl ActivityDef for EmbedGroupImage {
    const NAME: &'static str = "EmbedGroupImage";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 1024,
        timeout_seconds: 120,
        permissions: &[
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects { area: Area::Images },
                reason: "fetches the image given as an s3:// URL",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing { area: Area::Images },
                reason: "a missing image is NoSuchKey (NotFound), not AccessDenied",
            },
            Permission {
                actions: &["bedrock:InvokeModel"],
                resource: Resource::FoundationModel,
                reason: "embeds the image with the configured Titan model",
            },
            Permission {
                actions: &["s3:GetObject", "s3:PutObject"],
                resource: Resource::Objects {
                    area: Area::Embeddings,
                },
                reason: "looks up and stores the embedding at its content-hash key",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing {
                    area: Area::Embeddings,
                },
                reason: "an embedding not stored yet is NoSuchKey, not AccessDenied",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[INVALID_IMAGE, IMAGE_TOO_LARGE];
    type Input = EmbedGroupImageInput;
    type Output = EmbedGroupImageOutput;
}

// The image fetch may take up to half of the function's time, leaving the rest for Bedrock.
const _: () = assert!(EmbedGroupImage::DEPLOYMENT.timeout_seconds >= 2 * MAX_IMAGE_TIMEOUT_SECONDS);

impl Activity for EmbedGroupImage {
    async fn run(
        &self,
        input: EmbedGroupImageInput,
        ctx: &Context,
    ) -> Result<EmbedGroupImageOutput, ActivityError> {
        let config = &input.config.config;
        let image = &input.image;
        let store = EmbeddingStore::new(&config.bucket, &config.embeddings_prefix);
        let stored = embed_image_stored(
            ctx,
            &image.uri,
            &config.image_limits,
            &config.bedrock,
            self.allow_loopback_http,
            &store,
        )
        .await
        .map_err(|e| ActivityError::new(e.name, format!("image {}: {}", image.id, e.cause)))?;
        tracing::info!(image = %image.id, reused = stored.reused, "embedded");
        Ok(EmbedGroupImageOutput {
            id: image.id.clone(),
            embedding_key: stored.object_key,
            reused: stored.reused,
            downscaled: stored.embedded.downscaled,
        })
    }
}
