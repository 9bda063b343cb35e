//! The routes: `POST /group-images` (verify the token, take a token from the tenant's
//! bucket, check the body, start the workflow execution named after the job — one
//! StartExecution, as the deployed API's integration does) and
//! `GET /group-images/{jobId}` (verify, limit, then [`status::answer`], the code the
//! status function runs in AWS). Every refusal is an [`ApiError`] body.
//!
//! The POST writes no record: a job is ACCEPTED from the moment its execution exists
//! ([`status::answer`] falls back to DescribeExecution until the workflow's first state
//! records RUNNING), and an Idempotency-Key is the execution name, so StartExecution's
//! own rule decides a retry exactly as in AWS: the same key and body while the job runs
//! answer with that job; another body, another tenant or a finished job → 409.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use stepwise_group_images::GroupImagesInput;

use crate::body;
use crate::contract::{
    Accepted, ApiError, IDEMPOTENCY_HEADER, JOB_ID_PATTERN, JOBS_PATH, JobState,
};
use crate::jwt::Verifier;
use crate::limit::Limiter;
use crate::records::JobStore;
use crate::status::{self, Executions};

/// The API's state.
#[derive(Debug)]
pub struct JobsApi {
    /// The job records and results.
    pub store: JobStore,
    /// Starts executions (the local server's own Step Functions API, or AWS).
    pub sfn: aws_sdk_sfn::Client,
    /// The group-images state machine.
    pub state_machine_arn: String,
    /// Checks tokens.
    pub verifier: Verifier,
    /// Per-tenant request limit.
    pub limiter: Limiter,
}

/// A refusal or a failure, as an HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: ApiError,
}

impl Failure {
    fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            body: ApiError {
                error: error.into(),
                message: message.into(),
            },
        }
    }

    fn internal(message: impl std::fmt::Display) -> Failure {
        tracing::error!(%message, "jobs API failure");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal",
            message.to_string(),
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// The routes, on `/group-images`.
pub fn router(api: Arc<JobsApi>) -> Router {
    Router::new()
        .route(JOBS_PATH, post(start))
        .route(&format!("{JOBS_PATH}/{{job_id}}"), get(status))
        .with_state(api)
}

impl JobsApi {
    fn tenant(&self, headers: &HeaderMap) -> Result<String, Failure> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let tenant = self
            .verifier
            .tenant(authorization)
            .map_err(|e| Failure::new(StatusCode::UNAUTHORIZED, "Unauthorized", e.0))?;
        if !self.limiter.take(&tenant) {
            return Err(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "too many requests for this tenant; retry shortly",
            ));
        }
        Ok(tenant)
    }
}

async fn start(State(api): State<Arc<JobsApi>>, headers: HeaderMap, bytes: Bytes) -> Response {
    match start_job(&api, &headers, &bytes).await {
        Ok(accepted) => (StatusCode::ACCEPTED, axum::Json(accepted)).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn start_job(api: &JobsApi, headers: &HeaderMap, bytes: &[u8]) -> Result<Accepted, Failure> {
    let tenant = api.tenant(headers)?;
    let key = match headers.get(IDEMPOTENCY_HEADER) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if crate::status::JOB_ID.is_match(k) => Some(k.to_string()),
            _ => {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    format!("the {IDEMPOTENCY_HEADER} header must match {JOB_ID_PATTERN}"),
                ));
            }
        },
    };
    let request = body::parse(bytes)
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, "InvalidRequest", e.0))?;
    let job_id = key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let accepted = Accepted {
        job_id: job_id.clone(),
        status: JobState::Accepted,
        status_url: format!("{JOBS_PATH}/{job_id}"),
    };
    let input = GroupImagesInput {
        tenant_id: tenant.clone(),
        job_id: job_id.clone(),
        images: request.images,
        threshold: request.threshold,
    };
    let input = serde_json::to_string(&input).map_err(Failure::internal)?;
    let started = api
        .sfn
        .start_execution()
        .state_machine_arn(&api.state_machine_arn)
        .name(&job_id)
        .input(input)
        .send()
        .await;
    match started {
        Ok(_) => Ok(accepted),
        Err(e) => {
            let conflict = e
                .as_service_error()
                .is_some_and(|s| s.is_execution_already_exists());
            if conflict {
                Err(Failure::new(
                    StatusCode::CONFLICT,
                    "Conflict",
                    format!("{IDEMPOTENCY_HEADER} \"{job_id}\" is already used; choose another"),
                ))
            } else {
                Err(Failure::internal(format!(
                    "cannot start the job: {}",
                    aws_sdk_sfn::error::DisplayErrorContext(&e)
                )))
            }
        }
    }
}

async fn status(
    State(api): State<Arc<JobsApi>>,
    Path(job_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let tenant = match api.tenant(&headers) {
        Ok(tenant) => tenant,
        Err(failure) => return failure.into_response(),
    };
    let executions = Executions {
        sfn: api.sfn.clone(),
        state_machine_arn: api.state_machine_arn.clone(),
    };
    let answer = status::answer(&api.store, &executions, &tenant, &job_id).await;
    let code = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(answer.body)).into_response()
}
