//! `stepwise-embeddings`: image embeddings, shared by every pipeline that embeds product
//! photos (daily-sales-export today; group-images and vector-ingest next).
//!
//! One implementation of "this image URL → a checked 1024-float vector": fetch the image
//! (`s3://` or `https://`, within size and time limits), check and decode it, downscale
//! it to what the model accepts, call Bedrock Titan Multimodal Embeddings G1 through
//! `aws-sdk-bedrockruntime`, and check the answer ([`embed_image`]). Beside it, the
//! vector's byte format ([`encode_vector`], [`decode_vector`]) and the limits and model
//! settings a pipeline configures ([`ImageLimits`], [`BedrockConfig`]), and the
//! content-hash key scheme ([`ContentKey`], [`EmbeddingStore`], [`embed_image_stored`]):
//! an image whose bytes were embedded before by the same model and dimension is not sent
//! to Bedrock again.
//!
//! | module | what |
//! | --- | --- |
//! | `source` | the image URL (`s3://`, `https://`) and fetching it with a byte cap |
//! | `prepare` | content type, sniffing, decoding, downscaling and re-encoding (CPU) |
//! | `titan` | the Titan request and response, `InvokeModel` and its errors |
//! | `vector` | the stored vector format (1024 little-endian `f32`s) |
//! | `store` | the content-hash key scheme (`<prefix>embeddings/<model-id>/<dimension>/<sha256-hex>`) and [`EmbeddingStore`]: look up and store an image's embedding by its bytes |
//! | `limits` | [`ImageLimits`] and [`BedrockConfig`] with their defaults |
//!
//! Errors: a problem with the image is [`INVALID_IMAGE`] (bad URL, not a JPEG/PNG/WebP,
//! undecodable, rejected by Bedrock) or [`IMAGE_TOO_LARGE`]; neither is retried. A
//! missing object or a 404 is `NotFound`; throttling is `Throttled`; timeouts, connection
//! failures and 5xx are `Transient`. This crate must not retry (the state machine does),
//! must not put image bytes or vectors into an error or a log line, and knows no
//! pipeline: where a vector is stored is the caller's business.

mod embed;
mod limits;
mod prepare;
mod source;
mod store;
mod titan;
mod vector;

use stepwise_contract::ErrorName;

pub use embed::{
    Embedded, FetchedImage, StoredEmbedding, check_image_url, embed_image, embed_image_stored,
    fetch_image,
};
pub use limits::{
    BedrockConfig, DEFAULT_IMAGE_MAX_BYTES, DEFAULT_IMAGE_MAX_DIMENSION,
    DEFAULT_IMAGE_TIMEOUT_SECONDS, DEFAULT_MODEL_ID, ImageLimits, MAX_IMAGE_TIMEOUT_SECONDS,
};
pub use prepare::{MAX_MODEL_IMAGE_BYTES, TITAN_MAX_DIMENSION};
pub use store::{ContentKey, EMBEDDINGS_DIR, EmbeddingStore, Stored};
pub use vector::{EMBEDDING_DIM, VectorError, decode_vector, encode_vector};

/// The image cannot be used: the URL is not `s3://` or `https://`, the content is not a
/// JPEG, PNG or WebP, it does not decode, or Bedrock rejected it. Per item; not retried.
pub const INVALID_IMAGE: ErrorName = ErrorName::new("InvalidImage");
/// The image is larger than `image_limits.max_bytes` (or too large to decode or to fit
/// the model's limits). Per item; not retried.
pub const IMAGE_TOO_LARGE: ErrorName = ErrorName::new("ImageTooLarge");
