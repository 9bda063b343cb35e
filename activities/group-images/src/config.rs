//! The group-images configuration, as stored in an SSM parameter, and
//! `LoadGroupImagesConfig`, which reads it through the runtime's parameter cache (one
//! SSM call per 5 minutes per warm function, not one per job — the replaced system's
//! synchronous config load was what timed out).
//!
//! The parameter (`String` or `SecureString`) holds a JSON document like
//!
//! ```json
//! {
//!   "bucket": "bg-remover-images",
//!   "work_prefix": "staging/group-images/",
//!   "embeddings_prefix": "",
//!   "thumbnails_prefix": "thumbnails/",
//!   "bedrock": { "model_id": "amazon.titan-embed-image-v1" },
//!   "image_limits": { "max_bytes": 10485760, "timeout_seconds": 30, "max_dimension": 2048 },
//!   "thumbnail_edge": 256,
//!   "map_concurrency": 16,
//!   "fetch_concurrency": 32,
//!   "threshold": 0.025,
//!   "retention_days": 30
//! }
//! ```
//!
//! Only `bucket` is required. Embeddings are kept under
//! `<embeddings_prefix>embeddings/<model>/<dimension>/<sha256>` — the default `""` puts
//! them in the permanent top-level `embeddings/` area, not under the expiring staging
//! prefix, so an image seen by any job is never embedded again.

use schemars::JsonSchema;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_contract::deploy::{Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_embeddings::{BedrockConfig, ImageLimits, MAX_IMAGE_TIMEOUT_SECONDS};
use stepwise_runtime::{Activity, ActivityError, Context, decode_json};

/// The default cosine distance under which two groups of photos merge, picked on a sweep
/// of the labelled test set (`tests/tests/group_images_quality.rs`, local-bedrock's
/// hand-written image features): the best for edited photos and inside the range
/// (0.015–0.03) where plain and edited photos both reach an adjusted Rand index of
/// 0.97. Real Titan embeddings need their own calibration: set `threshold` in the
/// config (or per job).
pub const DEFAULT_THRESHOLD: f64 = 0.025;
/// The default thumbnail edge, in pixels.
pub const DEFAULT_THUMBNAIL_EDGE: u32 = 256;
/// The largest thumbnail edge accepted.
pub const MAX_THUMBNAIL_EDGE: u32 = 2048;
/// The highest `map_concurrency` accepted (the Map state's `MaxConcurrency`).
pub const MAX_MAP_CONCURRENCY: u32 = 100;
/// The default number of S3 reads in flight in `FetchEmbeddings`.
pub const DEFAULT_FETCH_CONCURRENCY: u32 = 32;
/// The highest `fetch_concurrency` accepted.
pub const MAX_FETCH_CONCURRENCY: u32 = 256;
/// How long a job record is kept, by default (the jobs table's TTL).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// The configuration as stored in SSM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupImagesConfig {
    /// The bucket of job files, thumbnails and embeddings.
    pub bucket: String,
    /// Key prefix of each job's files (manifest, matrix, Map results, result).
    #[serde(default = "default_work_prefix")]
    pub work_prefix: String,
    /// Key prefix of the content-addressed embeddings store (`""`: top-level `embeddings/`).
    #[serde(default)]
    pub embeddings_prefix: String,
    /// Key prefix of the thumbnails.
    #[serde(default = "default_thumbnails_prefix")]
    pub thumbnails_prefix: String,
    /// The embedding model.
    #[serde(default)]
    pub bedrock: BedrockConfig,
    /// Limits on fetched images.
    #[serde(default)]
    pub image_limits: ImageLimits,
    /// The longest side of a thumbnail, in pixels (aspect kept).
    #[serde(default = "default_thumbnail_edge")]
    #[schemars(range(min = 16, max = 2048))]
    pub thumbnail_edge: u32,
    /// How many images are thumbnailed and embedded at once (the Map's `MaxConcurrency`).
    #[serde(default = "default_map_concurrency")]
    #[schemars(range(min = 1, max = 100))]
    pub map_concurrency: u32,
    /// How many S3 reads `FetchEmbeddings` keeps in flight.
    #[serde(default = "default_fetch_concurrency")]
    #[schemars(range(min = 1, max = 256))]
    pub fetch_concurrency: u32,
    /// The default clustering threshold (cosine distance) when a job names none.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Days a job record is kept (the jobs table's TTL attribute).
    #[serde(default = "default_retention_days")]
    #[schemars(range(min = 1, max = 365))]
    pub retention_days: u32,
}

fn default_work_prefix() -> String {
    "staging/group-images/".into()
}
fn default_thumbnails_prefix() -> String {
    "thumbnails/".into()
}
fn default_thumbnail_edge() -> u32 {
    DEFAULT_THUMBNAIL_EDGE
}
fn default_map_concurrency() -> u32 {
    16
}
fn default_fetch_concurrency() -> u32 {
    DEFAULT_FETCH_CONCURRENCY
}
fn default_threshold() -> f64 {
    DEFAULT_THRESHOLD
}
fn default_retention_days() -> u32 {
    DEFAULT_RETENTION_DAYS
}

/// The configuration as it travels through the state machine: the stored one, the
/// parameter it came from, and when a job record written now expires. (Unknown fields
/// are refused by the flattened [`GroupImagesConfig`].)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupImagesSettings {
    /// The SSM parameter it was read from.
    pub config_parameter: String,
    /// The configuration.
    #[serde(flatten)]
    pub config: GroupImagesConfig,
    /// The job record's expiry, in seconds since the epoch (now + `retention_days`).
    pub expires_at: i64,
}

impl GroupImagesConfig {
    /// Reads and checks the configuration in SSM parameter `parameter` through the
    /// context's parameter cache: `NotFound` naming the parameter when it does not exist,
    /// `InvalidInput` naming the parameter and the field when the document is wrong.
    pub async fn load(ctx: &Context, parameter: &str) -> Result<Self, ActivityError> {
        let value = ctx.params().get(ctx.aws(), parameter).await?;
        Self::from_json(parameter, value.expose_secret())
    }

    /// Parses and checks a configuration document read from `parameter`; every problem
    /// at once, each naming its field.
    pub fn from_json(parameter: &str, json: &str) -> Result<Self, ActivityError> {
        let subject = format!("group-images configuration in SSM parameter {parameter}");
        let document: Value = serde_json::from_str(json).map_err(|e| {
            ActivityError::invalid_input(format!("{subject}: not a JSON document: {e}"))
        })?;
        let config: GroupImagesConfig = decode_json(document).map_err(|e| {
            ActivityError::invalid_input(match e.path {
                Some(path) => format!("{subject}: field \"{path}\": {}", e.message),
                None => format!("{subject}: {}", e.message),
            })
        })?;
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ActivityError::invalid_input(format!(
                "{subject}: {}",
                problems.join("; ")
            )))
        }
    }

    /// What is wrong with a decoded configuration, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, what: String| {
            problems.push(format!("field \"{field}\": {what}"));
        };
        if self.bucket.trim().is_empty() {
            problem("bucket", "must name an S3 bucket".into());
        }
        for (field, prefix) in [
            ("work_prefix", &self.work_prefix),
            ("embeddings_prefix", &self.embeddings_prefix),
            ("thumbnails_prefix", &self.thumbnails_prefix),
        ] {
            if prefix.starts_with('/') {
                problem(
                    field,
                    format!("must not start with \"/\", got \"{prefix}\""),
                );
            } else if !prefix.is_empty() && !prefix.ends_with('/') {
                problem(
                    field,
                    format!("must be empty or end with \"/\", got \"{prefix}\""),
                );
            }
        }
        if self.work_prefix.is_empty() {
            problem("work_prefix", "must not be empty".into());
        }
        if self.bedrock.model_id.trim().is_empty() {
            problem("bedrock.model_id", "must not be empty".into());
        }
        if !(16..=MAX_THUMBNAIL_EDGE).contains(&self.thumbnail_edge) {
            problem(
                "thumbnail_edge",
                format!(
                    "must be between 16 and {MAX_THUMBNAIL_EDGE}, got {}",
                    self.thumbnail_edge
                ),
            );
        }
        if !(1..=MAX_MAP_CONCURRENCY).contains(&self.map_concurrency) {
            problem(
                "map_concurrency",
                format!(
                    "must be between 1 and {MAX_MAP_CONCURRENCY}, got {}",
                    self.map_concurrency
                ),
            );
        }
        if !(1..=MAX_FETCH_CONCURRENCY).contains(&self.fetch_concurrency) {
            problem(
                "fetch_concurrency",
                format!(
                    "must be between 1 and {MAX_FETCH_CONCURRENCY}, got {}",
                    self.fetch_concurrency
                ),
            );
        }
        if !(self.threshold > 0.0 && self.threshold <= 2.0) {
            problem(
                "threshold",
                format!(
                    "must be a cosine distance above 0 and at most 2, got {}",
                    self.threshold
                ),
            );
        }
        if !(1..=365).contains(&self.retention_days) {
            problem(
                "retention_days",
                format!("must be between 1 and 365, got {}", self.retention_days),
            );
        }
        if self.image_limits.max_bytes == 0 {
            problem("image_limits.max_bytes", "must be at least 1, got 0".into());
        }
        if !(1..=MAX_IMAGE_TIMEOUT_SECONDS).contains(&self.image_limits.timeout_seconds) {
            problem(
                "image_limits.timeout_seconds",
                format!(
                    "must be between 1 and {MAX_IMAGE_TIMEOUT_SECONDS}, got {}",
                    self.image_limits.timeout_seconds
                ),
            );
        }
        if self.image_limits.max_dimension == 0 {
            problem(
                "image_limits.max_dimension",
                "must be at least 1, got 0".into(),
            );
        }
        problems
    }
}

/// Which configuration to load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadGroupImagesConfigInput {
    /// The SSM parameter holding the configuration's JSON.
    pub parameter: String,
}

/// Loads and checks the group-images configuration (cached 5 minutes per function) and
/// returns it with the job record's expiry. `NotFound` naming the parameter when it
/// does not exist; `InvalidInput` naming the field when it is wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadGroupImagesConfig;

impl ActivityDef for LoadGroupImagesConfig {
    const NAME: &'static str = "LoadGroupImagesConfig";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 128,
        timeout_seconds: 30,
        permissions: &[Permission {
            actions: &["ssm:GetParameter"],
            resource: Resource::ConfigParameter,
            reason: "reads and checks the group-images configuration",
        }],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = LoadGroupImagesConfigInput;
    type Output = GroupImagesSettings;
}

impl Activity for LoadGroupImagesConfig {
    async fn run(
        &self,
        input: LoadGroupImagesConfigInput,
        ctx: &Context,
    ) -> Result<GroupImagesSettings, ActivityError> {
        let parameter = input.parameter.trim();
        if parameter.is_empty() {
            return Err(ActivityError::invalid_input(
                "input field \"parameter\": must name an SSM parameter",
            ));
        }
        let config = GroupImagesConfig::load(ctx, parameter).await?;
        let expires_at =
            chrono::Utc::now().timestamp() + i64::from(config.retention_days) * 24 * 3600;
        Ok(GroupImagesSettings {
            config_parameter: parameter.to_string(),
            config,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_bucket_is_required() {
        let config = GroupImagesConfig::from_json("/p", r#"{"bucket": "b"}"#).unwrap();
        assert_eq!(config.thumbnail_edge, 256);
        assert_eq!(config.fetch_concurrency, 32);
        assert_eq!(config.embeddings_prefix, "");
        assert_eq!(config.threshold, DEFAULT_THRESHOLD);
        assert_eq!(config.retention_days, 30);
    }

    #[test]
    fn every_problem_names_its_field_and_the_parameter() {
        let err = GroupImagesConfig::from_json(
            "/cfg",
            &json!({"bucket": " ", "thumbnail_edge": 4, "map_concurrency": 0,
                    "threshold": 3.0, "work_prefix": "jobs"})
            .to_string(),
        )
        .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        for field in [
            "/cfg",
            "bucket",
            "thumbnail_edge",
            "map_concurrency",
            "threshold",
            "work_prefix",
        ] {
            assert!(err.cause.contains(field), "{field}: {}", err.cause);
        }
        let err =
            GroupImagesConfig::from_json("/cfg", r#"{"bucket": "b", "colour": 1}"#).unwrap_err();
        assert!(err.cause.contains("colour"), "{}", err.cause);
    }

    #[tokio::test]
    async fn an_empty_parameter_name_is_invalid_input() {
        let err = crate::registry()
            .invoke(
                "LoadGroupImagesConfig",
                json!({"parameter": ""}),
                &Context::default(),
            )
            .await
            .unwrap_err();
        assert!(err.cause.contains("\"parameter\""), "{}", err.cause);
    }
}
