//! What a pipeline configures about embedding: the model ([`BedrockConfig`]) and the
//! limits on a fetched image ([`ImageLimits`]), with their defaults.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Bedrock model used when the configuration names none: Titan Multimodal Embeddings.
pub const DEFAULT_MODEL_ID: &str = "amazon.titan-embed-image-v1";
/// The default largest image fetched, in bytes (10 MiB).
pub const DEFAULT_IMAGE_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The default time limit of one image fetch, in seconds.
pub const DEFAULT_IMAGE_TIMEOUT_SECONDS: u32 = 30;
/// The default largest image side, in pixels, before downscaling.
pub const DEFAULT_IMAGE_MAX_DIMENSION: u32 = 2048;
/// The longest image fetch timeout accepted: half of the 120 s function timeout an
/// embedding activity is deployed with (each such activity asserts it at compile time),
/// so a slow image ends as the activity's own `Transient` error with the rest of the time
/// left for Bedrock, never as Lambda killing the function mid-fetch.
pub const MAX_IMAGE_TIMEOUT_SECONDS: u32 = 60;

/// The embedding model and where it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BedrockConfig {
    /// The Bedrock model id.
    #[serde(default = "default_model_id")]
    pub model_id: String,
    /// The Bedrock region, when it differs from the pipeline's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Default for BedrockConfig {
    fn default() -> Self {
        BedrockConfig {
            model_id: default_model_id(),
            region: None,
        }
    }
}

/// Limits on one product image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageLimits {
    /// The largest image fetched, in bytes.
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1))]
    pub max_bytes: u64,
    /// The time limit of one fetch, in seconds (1 to 60: half of EmbedImage's function timeout).
    #[serde(default = "default_timeout_seconds")]
    #[schemars(range(min = 1, max = MAX_IMAGE_TIMEOUT_SECONDS))]
    pub timeout_seconds: u32,
    /// The largest side, in pixels; larger images are downscaled before embedding.
    #[serde(default = "default_max_dimension")]
    #[schemars(range(min = 1))]
    pub max_dimension: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_bytes: DEFAULT_IMAGE_MAX_BYTES,
            timeout_seconds: DEFAULT_IMAGE_TIMEOUT_SECONDS,
            max_dimension: DEFAULT_IMAGE_MAX_DIMENSION,
        }
    }
}

fn default_model_id() -> String {
    DEFAULT_MODEL_ID.to_string()
}

fn default_max_bytes() -> u64 {
    DEFAULT_IMAGE_MAX_BYTES
}

fn default_timeout_seconds() -> u32 {
    DEFAULT_IMAGE_TIMEOUT_SECONDS
}

fn default_max_dimension() -> u32 {
    DEFAULT_IMAGE_MAX_DIMENSION
}
