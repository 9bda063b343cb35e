//! `GET /group-images/{jobId}`, once for both sides: the local server's route and the
//! status function API Gateway calls in AWS answer with [`answer`], so the same record
//! and result give the same status code and body.
//!
//! The caller's tenant (from the verified token, never a header) keys the record, so
//! another tenant's job is not there, like a missing one (404). A job whose execution
//! exists but has no record yet — in AWS the POST only starts the execution, and the
//! workflow's first state writes the record — is found with DescribeExecution: its
//! input names its tenant (put there by the POST from the claims), and a running one is
//! ACCEPTED. Once SUCCEEDED the answer carries the groups, the failed images and a
//! presigned URL of the full result ([`JobStore::status`]).

use std::sync::LazyLock;

use regex_lite::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::contract::{ApiError, JOB_ID_PATTERN, JobError, JobState, JobStatus, Progress};
use crate::records::{JobStore, StoreError};

/// A status code and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body: a [`JobStatus`] or an [`ApiError`].
    pub body: Value,
}

impl Answer {
    /// An error answer.
    pub fn error(status: u16, body: &ApiError) -> Answer {
        Answer {
            status,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
        }
    }
}

/// Where the job executions are: the Step Functions client and the state machine the
/// POST starts.
#[derive(Debug, Clone)]
pub struct Executions {
    /// The client (the local server's Step Functions API, or AWS).
    pub sfn: aws_sdk_sfn::Client,
    /// The state machine; executions are named after the jobs.
    pub state_machine_arn: String,
}

/// A job id as the contract allows it ([`JOB_ID_PATTERN`]); the local routes use it too.
pub(crate) static JOB_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(JOB_ID_PATTERN).expect("the job id pattern compiles"));

/// The execution ARN of `job` on `state_machine_arn`
/// (`arn:…:stateMachine:<name>` → `arn:…:execution:<name>:<job>`).
pub fn execution_arn(state_machine_arn: &str, job: &str) -> Option<String> {
    let (prefix, name) = state_machine_arn.split_once(":stateMachine:")?;
    Some(format!("{prefix}:execution:{name}:{job}"))
}

/// The part of an execution's input the status reads.
#[derive(Debug, Deserialize)]
struct ExecutionInput {
    tenant_id: String,
    #[serde(default)]
    images: Vec<Value>,
}

impl Executions {
    /// The status of `tenant`'s `job` from its execution, when it has one but no record:
    /// running → ACCEPTED, failed / timed out / aborted → FAILED with the execution's
    /// error. None when there is no such execution, it is another tenant's, or it
    /// succeeded (its record has expired: the job is gone).
    pub async fn status(&self, tenant: &str, job: &str) -> Result<Option<JobStatus>, StoreError> {
        let Some(arn) = execution_arn(&self.state_machine_arn, job) else {
            return Err(StoreError {
                what: "the state machine ARN",
                message: format!("{} is no state machine ARN", self.state_machine_arn),
            });
        };
        let described = match self
            .sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_execution_does_not_exist()) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(StoreError {
                    what: "DescribeExecution of the job",
                    message: aws_sdk_sfn::error::DisplayErrorContext(&e).to_string(),
                });
            }
        };
        let Some(input) = described
            .input()
            .and_then(|i| serde_json::from_str::<ExecutionInput>(i).ok())
        else {
            return Ok(None);
        };
        if input.tenant_id != tenant {
            return Ok(None);
        }
        use aws_sdk_sfn::types::ExecutionStatus;
        let (status, error) = match described.status() {
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive => {
                (JobState::Accepted, None)
            }
            ExecutionStatus::Succeeded => return Ok(None),
            other => (
                JobState::Failed,
                Some(JobError {
                    error: described
                        .error()
                        .map(str::to_string)
                        .unwrap_or_else(|| other.as_str().to_string()),
                    cause: described.cause().unwrap_or_default().to_string(),
                }),
            ),
        };
        Ok(Some(JobStatus {
            job_id: job.to_string(),
            status,
            progress: Progress {
                done: 0,
                total: input.images.len() as u64,
            },
            group_count: None,
            failed_count: None,
            groups: None,
            singletons: None,
            failed_images: None,
            result_url: None,
            error,
        }))
    }
}

/// The status of `tenant`'s `job`: its record (with the result once SUCCEEDED), else its
/// execution; None when the tenant has no such job.
pub async fn lookup(
    store: &JobStore,
    executions: &Executions,
    tenant: &str,
    job: &str,
) -> Result<Option<JobStatus>, StoreError> {
    if !JOB_ID.is_match(job) {
        return Ok(None);
    }
    match store.get(tenant, job).await? {
        Some(item) if item.contains_key("status") => store.status(job, &item).await.map(Some),
        // No record yet, or only its key: moto's UpdateItem creates the item before it
        // applies the update (DynamoDB's is atomic), and a GET can read it in between.
        _ => executions.status(tenant, job).await,
    }
}

/// The answer to `GET /group-images/{job}` for `tenant`: 200 with the [`JobStatus`], 404
/// when the tenant has no such job, 500 when a call failed.
pub async fn answer(store: &JobStore, executions: &Executions, tenant: &str, job: &str) -> Answer {
    match lookup(store, executions, tenant, job).await {
        Ok(Some(status)) => Answer {
            status: 200,
            body: serde_json::to_value(&status).unwrap_or(Value::Null),
        },
        Ok(None) => Answer::error(404, &ApiError::not_found()),
        Err(e) => {
            tracing::error!(error = %e, job, "jobs API failure");
            Answer::error(500, &ApiError::new("Internal", e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arns_follow_the_state_machine() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:eu-west-1:123456789012:stateMachine:group-images",
                "job-1"
            )
            .as_deref(),
            Some("arn:aws:states:eu-west-1:123456789012:execution:group-images:job-1")
        );
        assert_eq!(execution_arn("arn:aws:lambda:x", "job-1"), None);
    }
}
