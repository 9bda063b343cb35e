//! The jobs API's contract, once, as Rust types: the POST body ([`JobRequest`]), the
//! 202 answer ([`Accepted`]), the GET answer ([`JobStatus`]) and the error body
//! ([`ApiError`]). The OpenAPI document ([`crate::openapi`]) and the request validation
//! of both the local server and API Gateway come from these types' JSON Schemas.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_group_images::ImageRef;
use stepwise_group_images::cluster_images::{FailedImage, ResultGroup, ResultImage};

/// The path of the jobs collection.
pub const JOBS_PATH: &str = "/group-images";
/// The header that makes a retried POST return the same job.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// What an Idempotency-Key (and so a job id) may be: a Step Functions execution name's
/// safe subset.
pub const JOB_ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,80}$";
/// The JWT claim that carries the tenant by default (a Cognito custom attribute).
pub const DEFAULT_TENANT_CLAIM: &str = "custom:tenant";

/// `POST /group-images`: which of these photos show the same product?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The images, 1 to 500: `s3://bucket/key` or `https://…` (JPEG, PNG or WebP).
    #[schemars(length(min = 1, max = 500))]
    pub images: Vec<ImageRef>,
    /// The cosine distance under which two groups merge (0 < t ≤ 2); the configured
    /// default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 2.0))]
    pub threshold: Option<f64>,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Accepted; the workflow has not recorded its start yet.
    Accepted,
    /// Running: thumbnails and embeddings under way.
    Running,
    /// Done: the groups are ready.
    Succeeded,
    /// Failed: `error` says why.
    Failed,
}

impl JobState {
    /// The state a job record's `status` names.
    pub fn parse(text: &str) -> Option<JobState> {
        match text {
            "ACCEPTED" => Some(JobState::Accepted),
            "RUNNING" => Some(JobState::Running),
            "SUCCEEDED" => Some(JobState::Succeeded),
            "FAILED" => Some(JobState::Failed),
            _ => None,
        }
    }
}

/// The 202 answer to a POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Accepted {
    /// The job's id (the workflow execution's name).
    pub job_id: String,
    /// Always `ACCEPTED`.
    pub status: JobState,
    /// Where to poll: `/group-images/{jobId}`.
    pub status_url: String,
}

/// How far a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// Images thumbnailed and embedded so far.
    pub done: u64,
    /// Images in the job (0 until the workflow records its start).
    pub total: u64,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobError {
    /// The error name, e.g. `ConfigMissing`.
    pub error: String,
    /// Its cause.
    pub cause: String,
}

/// The answer to `GET /group-images/{jobId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobStatus {
    /// The job's id.
    pub job_id: String,
    /// Where it is.
    pub status: JobState,
    /// Images done of the total.
    pub progress: Progress,
    /// Groups found (SUCCEEDED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_count: Option<u64>,
    /// Images left out (SUCCEEDED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_count: Option<u64>,
    /// The groups: two or more photos of one product each, largest first (SUCCEEDED;
    /// the local server reads them from the result; see the README for AWS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<ResultGroup>>,
    /// Photos alike no other (SUCCEEDED, with `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub singletons: Option<Vec<ResultImage>>,
    /// Images left out and why (SUCCEEDED, with `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_images: Option<Vec<FailedImage>>,
    /// A short-lived presigned URL of the full result JSON (SUCCEEDED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
    /// Why it failed (FAILED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// A stable code: `InvalidRequest`, `Unauthorized`, `NotFound`, `Conflict`,
    /// `TooManyRequests`, `Internal`.
    pub error: String,
    /// What is wrong, naming the field or the problem.
    pub message: String,
}

impl ApiError {
    /// An error body.
    pub fn new(error: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            error: error.into(),
            message: message.into(),
        }
    }

    /// The 404 body: a missing job and another tenant's job look the same.
    pub fn not_found() -> ApiError {
        ApiError::new("NotFound", "no such job")
    }
}
