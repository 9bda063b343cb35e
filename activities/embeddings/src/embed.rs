//! [`embed_image`]: one image URL to one checked vector — fetch, check, prepare, Titan;
//! [`embed_image_stored`]: the same through the content-addressed store, so an image
//! seen before is not embedded again.

use std::time::Duration;

use stepwise_contract::errors;
use stepwise_runtime::{ActivityError, Context};

use crate::limits::{BedrockConfig, ImageLimits};
use crate::store::{ContentKey, EmbeddingStore, Stored};
use crate::{EMBEDDING_DIM, INVALID_IMAGE, prepare, source, titan};

/// A product image's embedding and what it took to make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// The embedding: [`crate::EMBEDDING_DIM`] finite floats.
    pub vector: Vec<f32>,
    /// Size of the fetched image, in bytes.
    pub source_bytes: u64,
    /// Whether the image was resized or re-encoded to fit the model's limits.
    pub downscaled: bool,
}

/// Checks that `url` is one [`embed_image`] can fetch (`s3://bucket/key`, `https://`;
/// `http://` on loopback when allowed), without fetching it: [`INVALID_IMAGE`] naming
/// the URL otherwise.
pub fn check_image_url(url: &str, allow_loopback_http: bool) -> Result<(), ActivityError> {
    source::parse(url, allow_loopback_http)
        .map(|_| ())
        .map_err(|why| ActivityError::new(INVALID_IMAGE, format!("image_url \"{url}\": {why}")))
}

/// Fetches the image at `url` (`s3://` or `https://`; also `http://` on a loopback
/// address when `allow_loopback_http`, for tests and local demos), checks that it is a
/// JPEG, PNG or WebP that decodes, downscales it to fit the model (and re-encodes a WebP
/// as a JPEG, or a PNG when transparent: Titan takes only JPEG and PNG), and embeds it
/// with the configured Bedrock model.
///
/// Errors name the URL (never the bytes); the caller adds which item they belong to.
/// Decoding runs on a blocking thread; a decoder that panics on a malformed image is
/// that image's [`INVALID_IMAGE`].
pub async fn embed_image(
    ctx: &Context,
    url: &str,
    limits: &ImageLimits,
    bedrock: &BedrockConfig,
    allow_loopback_http: bool,
) -> Result<Embedded, ActivityError> {
    let fetched = fetch(ctx, url, limits, allow_loopback_http).await?;
    embed_fetched(ctx, url, fetched, limits, bedrock).await
}

/// [`embed_image`] through a content-addressed [`EmbeddingStore`]: the image is fetched,
/// and when the store holds an embedding of the same bytes by the same model and
/// dimension, that one is returned and Bedrock is not called (`reused`); otherwise the
/// image is embedded and the vector stored under its [`ContentKey`].
pub async fn embed_image_stored(
    ctx: &Context,
    url: &str,
    limits: &ImageLimits,
    bedrock: &BedrockConfig,
    allow_loopback_http: bool,
    store: &EmbeddingStore,
) -> Result<StoredEmbedding, ActivityError> {
    let fetched = fetch(ctx, url, limits, allow_loopback_http).await?;
    let key = ContentKey::of(&bedrock.model_id, EMBEDDING_DIM, &fetched.bytes);
    if let Some(stored) = store
        .lookup(ctx, &key)
        .await?
        .filter(|s| s.max_dimension == limits.max_dimension)
    {
        return Ok(StoredEmbedding {
            embedded: Embedded {
                vector: stored.vector,
                source_bytes: fetched.bytes.len() as u64,
                downscaled: stored.downscaled,
            },
            reused: true,
            object_key: store.object_key(&key),
        });
    }
    let embedded = embed_fetched(ctx, url, fetched, limits, bedrock).await?;
    ctx.cancellation.check("before storing the embedding")?;
    let stored = Stored {
        vector: embedded.vector,
        downscaled: embedded.downscaled,
        max_dimension: limits.max_dimension,
    };
    store.store(ctx, &key, &stored).await?;
    Ok(StoredEmbedding {
        embedded: Embedded {
            vector: stored.vector,
            source_bytes: embedded.source_bytes,
            downscaled: stored.downscaled,
        },
        reused: false,
        object_key: store.object_key(&key),
    })
}

/// An embedding from [`embed_image_stored`], and whether the store already had it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    /// The embedding.
    pub embedded: Embedded,
    /// Whether it came from the store (no Bedrock call).
    pub reused: bool,
    /// Its key in the store's bucket.
    pub object_key: String,
}

/// An image as fetched by [`fetch_image`]: its bytes and the content type its source
/// declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedImage {
    /// The body, at most `image_limits.max_bytes` long.
    pub bytes: Vec<u8>,
    /// `Content-Type` (HTTP) or `ContentType` (S3), when given.
    pub content_type: Option<String>,
}

/// Fetches the image at `url` exactly as [`embed_image`] does (`s3://` or `https://`,
/// loopback `http://` when allowed; `image_limits.max_bytes` and
/// `image_limits.timeout_seconds` enforced, the same error names), without checking what
/// kind of image it is: for steps that decode other formats themselves (thumbnails) or
/// only hash the bytes (the content-hash key).
pub async fn fetch_image(
    ctx: &Context,
    url: &str,
    limits: &ImageLimits,
    allow_loopback_http: bool,
) -> Result<FetchedImage, ActivityError> {
    let fetched = fetch_within_limits(ctx, url, limits, allow_loopback_http).await?;
    Ok(FetchedImage {
        bytes: fetched.bytes,
        content_type: fetched.content_type,
    })
}

/// Fetches the image at `url` within the size and time limits.
async fn fetch_within_limits(
    ctx: &Context,
    url: &str,
    limits: &ImageLimits,
    allow_loopback_http: bool,
) -> Result<source::Fetched, ActivityError> {
    let source = source::parse(url, allow_loopback_http)
        .map_err(|why| ActivityError::new(INVALID_IMAGE, format!("image_url \"{url}\": {why}")))?;
    let timeout = Duration::from_secs(u64::from(limits.timeout_seconds));
    match tokio::time::timeout(timeout, source.fetch(ctx, limits.max_bytes)).await {
        Ok(fetched) => fetched,
        Err(_) => Err(ActivityError::transient(format!(
            "fetching {url} took longer than {} s (image_limits.timeout_seconds)",
            limits.timeout_seconds
        ))),
    }
}

/// Fetches the image at `url` within the limits and checks its content type.
async fn fetch(
    ctx: &Context,
    url: &str,
    limits: &ImageLimits,
    allow_loopback_http: bool,
) -> Result<source::Fetched, ActivityError> {
    let fetched = fetch_within_limits(ctx, url, limits, allow_loopback_http).await?;
    prepare::check_content_type(fetched.content_type.as_deref())
        .map_err(|why| ActivityError::new(INVALID_IMAGE, format!("image {url}: {why}")))?;
    Ok(fetched)
}

/// Prepares a fetched image for the model and embeds it.
async fn embed_fetched(
    ctx: &Context,
    url: &str,
    fetched: source::Fetched,
    limits: &ImageLimits,
    bedrock: &BedrockConfig,
) -> Result<Embedded, ActivityError> {
    let source_bytes = fetched.bytes.len() as u64;

    let max_dimension = limits.max_dimension;
    let (request_body, downscaled) = tokio::task::spawn_blocking(move || {
        prepare::prepare(fetched.bytes, max_dimension)
            .map(|image| (titan::request_body(&image.bytes), image.downscaled))
    })
    .await
    .map_err(|e| {
        // A decoder that panics was handed a malformed image: this item's problem.
        let name = if e.is_panic() {
            INVALID_IMAGE
        } else {
            errors::TRANSIENT
        };
        ActivityError::new(name, format!("image {url}: preparing it failed: {e}"))
    })?
    .map_err(|problem| {
        ActivityError::new(problem.error_name(), format!("image {url}: {problem}"))
    })?;

    ctx.cancellation.check("before calling Bedrock")?;
    let regional;
    let client = match bedrock.region.as_deref() {
        Some(region) => {
            regional = ctx.aws().bedrock_runtime_in(region).await;
            &regional
        }
        None => ctx.aws().bedrock_runtime().await,
    };
    let vector = titan::invoke(client, &bedrock.model_id, request_body).await?;
    Ok(Embedded {
        vector,
        source_bytes,
        downscaled,
    })
}
