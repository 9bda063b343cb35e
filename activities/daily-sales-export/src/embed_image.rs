//! `EmbedImage`: the fan-out item of daily-sales-export. For one sale it fetches the
//! product image (S3 or HTTPS, within the configured size and time limits), checks that
//! it is a JPEG, PNG or WebP that decodes, downscales it when it exceeds what the model
//! accepts (and re-encodes a WebP, which Titan does not take), embeds it with Bedrock Titan Multimodal Embeddings G1 (1024 floats) and stages the
//! vector in S3 at the sale's deterministic key. Only the key travels on. Embeddings are
//! also kept by the image's content hash (`<staging>/embeddings/<model-id>/1024/<sha256>`,
//! [`stepwise_embeddings::EmbeddingStore`]): an image whose bytes were embedded before by
//! the same model is not sent to Bedrock again, whichever sale or day it belongs to. The embedding
//! itself is [`stepwise_embeddings::embed_image`], shared with the other pipelines; this
//! module is the daily export's item: its input (a [`Sale`]) and where the vector goes.
//!
//! Errors: a per-item problem with the image is [`INVALID_IMAGE`] (bad URL, not a
//! JPEG/PNG/WebP, undecodable, rejected by Bedrock) or [`IMAGE_TOO_LARGE`]; neither is
//! retried, and the workflow records them per sale. A missing object or a 404 is
//! `NotFound`; throttling is `Throttled`; timeouts, connection failures and 5xx are
//! `Transient` (retried by the state machine). This module must not retry, and it must
//! not put image bytes or vectors into an output, an error or a log line.

use aws_sdk_s3::primitives::ByteStream;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_embeddings::{
    BedrockConfig, EMBEDDING_DIM, EmbeddingStore, ImageLimits, MAX_IMAGE_TIMEOUT_SECONDS,
    check_image_url, embed_image_stored, encode_vector,
};
pub use stepwise_embeddings::{
    IMAGE_TOO_LARGE, INVALID_IMAGE, MAX_MODEL_IMAGE_BYTES, TITAN_MAX_DIMENSION,
};
use stepwise_lake::Sale;
use stepwise_runtime::aws::errors::{SdkResultExt, classify};
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::sales::{embeddings_prefix, vector_key};

// The image fetch may take up to half of the function's time, leaving the rest for Bedrock.
const _: () = assert!(EmbedImage::DEPLOYMENT.timeout_seconds >= 2 * MAX_IMAGE_TIMEOUT_SECONDS);

/// One sale to embed, with the settings the Map passes to every item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbedImageInput {
    /// The sale; its `image_url` is embedded.
    pub sale: Sale,
    /// The bucket of the staged vectors.
    pub bucket: String,
    /// Key prefix of intermediate files in `bucket`.
    pub staging_prefix: String,
    /// The exported day, `YYYY-MM-DD` (part of the vector's key).
    #[schemars(with = "String", extend("format" = "date"))]
    pub export_date: NaiveDate,
    /// The embedding model and its region.
    #[serde(default)]
    pub bedrock: BedrockConfig,
    /// Limits on the fetched image.
    #[serde(default)]
    pub image_limits: ImageLimits,
}

/// Where the sale's vector went: small, it travels through the state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbedImageOutput {
    /// The sale embedded.
    pub sale_id: String,
    /// The S3 key of the staged vector (in the input's bucket): 1024 little-endian `f32`s.
    pub vector_key: String,
    /// The vector's length (1024).
    pub dimensions: u32,
    /// Size of the fetched image, in bytes.
    pub source_bytes: u64,
    /// Whether the image was resized or re-encoded to fit the model's limits.
    pub downscaled: bool,
}

/// Embeds one sale's product image with Bedrock and stages the vector in S3 at
/// [`vector_key`] (deterministic: a retry or a re-run overwrites it).
///
/// Plain `http://` URLs are refused ([`INVALID_IMAGE`]); [`EmbedImage::allowing_loopback_http`]
/// additionally accepts `http://` on a loopback address, for tests and local demos that
/// serve images from this machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbedImage {
    allow_loopback_http: bool,
}

impl EmbedImage {
    /// The activity as deployed: images from `s3://` and `https://` only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accepts `http://` URLs whose host is a loopback address (`127.0.0.0/8`,
    /// `[::1]`, `localhost`). For tests and local runs only; `registry::all()` never
    /// registers it.
    pub fn allowing_loopback_http() -> Self {
        EmbedImage {
            allow_loopback_http: true,
        }
    }
}

impl ActivityDef for EmbedImage {
    const NAME: &'static str = "EmbedImage";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 1024,
        timeout_seconds: 120,
        permissions: &[
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects { area: Area::Images },
                reason: "fetches product images given as s3:// URLs",
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
                actions: &["s3:PutObject"],
                resource: Resource::Objects {
                    area: Area::Staging,
                },
                reason: "stages the vector at its deterministic key",
            },
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects {
                    area: Area::Staging,
                },
                reason: "HeadObject: a retried item whose vector is already staged is not embedded again",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing {
                    area: Area::Staging,
                },
                reason: "a vector not staged yet is a 404 (NotFound), not AccessDenied",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[INVALID_IMAGE, IMAGE_TOO_LARGE];
    type Input = EmbedImageInput;
    type Output = EmbedImageOutput;
}

impl Activity for EmbedImage {
    async fn run(
        &self,
        input: EmbedImageInput,
        ctx: &Context,
    ) -> Result<EmbedImageOutput, ActivityError> {
        check(&input)?;
        let sale_id = input.sale.sale_id.as_str();
        let url = input.sale.image_url.as_str();
        let in_sale =
            |e: ActivityError| ActivityError::new(e.name, format!("sale {sale_id}: {}", e.cause));

        // A URL that cannot be fetched fails before any call.
        check_image_url(url, self.allow_loopback_http).map_err(in_sale)?;
        let key = vector_key(&input.staging_prefix, input.export_date, sale_id);
        let source = source_tag(&input.bedrock.model_id, url);
        // A retry (or a re-run) whose vector is already staged for the same image and
        // model is done: Bedrock is not called twice for one image.
        if let Some(staged) = staged(ctx, &input.bucket, &key, &source)
            .await
            .map_err(in_sale)?
        {
            tracing::info!(sale_id, vector_key = %key, "the vector is already staged; not embedding again");
            return Ok(EmbedImageOutput {
                sale_id: sale_id.to_string(),
                vector_key: key,
                dimensions: EMBEDDING_DIM as u32,
                source_bytes: staged.source_bytes,
                downscaled: staged.downscaled,
            });
        }

        ctx.cancellation
            .check("before fetching the image")
            .map_err(in_sale)?;
        let store = EmbeddingStore::new(&input.bucket, embeddings_prefix(&input.staging_prefix));
        let stored = embed_image_stored(
            ctx,
            url,
            &input.image_limits,
            &input.bedrock,
            self.allow_loopback_http,
            &store,
        )
        .await
        .map_err(in_sale)?;
        let reused = stored.reused;
        let embedded = stored.embedded;
        let (embedding, source_bytes, downscaled) =
            (embedded.vector, embedded.source_bytes, embedded.downscaled);
        ctx.cancellation
            .check("before staging the vector")
            .map_err(in_sale)?;

        ctx.aws()
            .s3()
            .await
            .put_object()
            .bucket(&input.bucket)
            .key(&key)
            .content_type("application/octet-stream")
            .metadata(META_SOURCE, &source)
            .metadata(META_SOURCE_BYTES, source_bytes.to_string())
            .metadata(META_DOWNSCALED, downscaled.to_string())
            .body(ByteStream::from(encode_vector(&embedding)))
            .send()
            .await
            .activity_err("S3", "PutObject")
            .map_err(in_sale)?;
        tracing::info!(sale_id, vector_key = %key, source_bytes, downscaled, reused, "embedded the product image");

        Ok(EmbedImageOutput {
            sale_id: sale_id.to_string(),
            vector_key: key,
            dimensions: EMBEDDING_DIM as u32,
            source_bytes,
            downscaled,
        })
    }
}

/// Object metadata of a staged vector: which image and model made it (a SHA-256 of
/// both), and the output fields a retry returns without embedding again.
const META_SOURCE: &str = "stepwise-source";
const META_SOURCE_BYTES: &str = "stepwise-source-bytes";
const META_DOWNSCALED: &str = "stepwise-downscaled";

/// A SHA-256 of the model and the image URL: S3 metadata is ASCII, URLs need not be.
fn source_tag(model_id: &str, url: &str) -> String {
    let digest = Sha256::new()
        .chain_update(model_id.as_bytes())
        .chain_update([0])
        .chain_update(url.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a staged vector's metadata says about it.
struct Staged {
    source_bytes: u64,
    downscaled: bool,
}

/// The vector staged at `key` for the same image and model, if any (`HeadObject`: the
/// vector itself is checked by WritePartition when it reads it).
async fn staged(
    ctx: &Context,
    bucket: &str,
    key: &str,
    source: &str,
) -> Result<Option<Staged>, ActivityError> {
    let head = ctx
        .aws()
        .s3()
        .await
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await;
    let head = match head {
        Ok(head) => head,
        Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => return Ok(None),
        Err(e) => return Err(classify("S3", "HeadObject", &e)),
    };
    let metadata = head.metadata();
    let field = |name: &str| metadata.and_then(|m| m.get(name)).map(String::as_str);
    if head.content_length() != Some((EMBEDDING_DIM * 4) as i64)
        || field(META_SOURCE) != Some(source)
    {
        return Ok(None);
    }
    match (
        field(META_SOURCE_BYTES).and_then(|v| v.parse().ok()),
        field(META_DOWNSCALED).and_then(|v| v.parse().ok()),
    ) {
        (Some(source_bytes), Some(downscaled)) => Ok(Some(Staged {
            source_bytes,
            downscaled,
        })),
        _ => Ok(None),
    }
}

/// Checks what the types cannot: names that end up in S3 keys and limits of zero.
fn check(input: &EmbedImageInput) -> Result<(), ActivityError> {
    let sale_id = &input.sale.sale_id;
    if sale_id.trim().is_empty() {
        return Err(ActivityError::invalid_input(
            "input field \"sale.sale_id\": must not be empty",
        ));
    }
    if sale_id.contains('/') || sale_id == "." || sale_id == ".." {
        return Err(ActivityError::invalid_input(format!(
            "input field \"sale.sale_id\": \"{sale_id}\" cannot name an S3 object (no \"/\", \".\" or \"..\")"
        )));
    }
    if input.bucket.trim().is_empty() {
        return Err(ActivityError::invalid_input(
            "input field \"bucket\": must not be empty",
        ));
    }
    if input.bedrock.model_id.trim().is_empty() {
        return Err(ActivityError::invalid_input(
            "input field \"bedrock.model_id\": must not be empty",
        ));
    }
    let limits = &input.image_limits;
    for (field, value) in [
        ("max_bytes", limits.max_bytes),
        ("timeout_seconds", u64::from(limits.timeout_seconds)),
        ("max_dimension", u64::from(limits.max_dimension)),
    ] {
        if value == 0 {
            return Err(ActivityError::invalid_input(format!(
                "input field \"image_limits.{field}\": must be at least 1"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn input() -> Value {
        json!({
            "sale": {
                "sale_id": "S-1", "tenant_id": "acme", "product_id": "P-1",
                "sold_at": "2026-03-09T10:00:00Z", "quantity": 1, "unit_price_cents": 999,
                "currency": "EUR", "image_url": "ftp://images.example.com/p1.jpg"
            },
            "bucket": "smartgo-analytics",
            "staging_prefix": "staging/",
            "export_date": "2026-03-09",
            "bedrock": {"model_id": "amazon.titan-embed-image-v1"},
            "image_limits": {"max_bytes": 1000, "timeout_seconds": 5, "max_dimension": 2048}
        })
    }

    async fn invoke(input: Value) -> ActivityError {
        stepwise_runtime::Registry::new()
            .with(EmbedImage::new())
            .invoke("EmbedImage", input, &Context::default())
            .await
            .unwrap_err()
    }

    #[test]
    fn the_definition_names_its_errors() {
        let names = EmbedImage::error_names();
        assert!(names.contains(&INVALID_IMAGE) && names.contains(&IMAGE_TOO_LARGE));
        let schema = EmbedImage::input_schema();
        assert_eq!(schema["properties"]["export_date"]["format"], "date");
        assert_eq!(schema["additionalProperties"], false);
        let required = schema["required"].as_array().unwrap();
        for field in ["sale", "bucket", "staging_prefix", "export_date"] {
            assert!(required.contains(&json!(field)), "{field}");
        }
    }

    #[tokio::test]
    async fn unsupported_urls_are_invalid_images_naming_the_sale_before_any_call() {
        for url in [
            "ftp://images.example.com/p1.jpg",
            "http://images.example.com/p1.jpg",
            "",
            "s3://bucket-only",
        ] {
            let mut doc = input();
            doc["sale"]["image_url"] = json!(url);
            let err = invoke(doc).await;
            assert_eq!(err.name, INVALID_IMAGE, "{url}: {err}");
            assert!(
                err.cause.starts_with("sale S-1: image_url"),
                "{}",
                err.cause
            );
        }
    }

    #[tokio::test]
    async fn bad_input_is_invalid_input() {
        let mut doc = input();
        doc["export_date"] = json!("09/03/2026");
        let err = invoke(doc).await;
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("\"export_date\""), "{}", err.cause);

        let mut doc = input();
        doc["sale"]["sale_id"] = json!("../S-1");
        let err = invoke(doc).await;
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("sale.sale_id"), "{}", err.cause);

        let mut doc = input();
        doc["image_limits"]["max_bytes"] = json!(0);
        assert!(invoke(doc).await.cause.contains("image_limits.max_bytes"));

        let mut doc = input();
        doc["resize"] = json!(true);
        assert!(invoke(doc).await.cause.contains("unknown field \"resize\""));
    }

    #[test]
    fn defaults_fill_the_model_and_limits() {
        let mut doc = input();
        doc.as_object_mut().unwrap().remove("bedrock");
        doc.as_object_mut().unwrap().remove("image_limits");
        let input: EmbedImageInput = serde_json::from_value(doc).unwrap();
        assert_eq!(input.bedrock.model_id, "amazon.titan-embed-image-v1");
        assert_eq!(input.image_limits.timeout_seconds, 30);
    }
}
