//! The job records in the jobs table (`pk = TENANT#<tenant>`, `sk = JOB#<job>`, written
//! by the workflow from its first state on), as the API sees them: the record a GET
//! reads (always under the caller's tenant, so another tenant's job is simply not
//! there), and the status built from it, with the groups and a presigned URL of the
//! result once SUCCEEDED.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::presigning::PresigningConfig;
use stepwise_group_images::cluster_images::GroupImagesResult;

use crate::contract::{JobError, JobState, JobStatus, Progress};

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A jobs-table or S3 call that failed.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct StoreError {
    /// The call.
    pub what: &'static str,
    /// Why.
    pub message: String,
}

fn failed(what: &'static str) -> impl Fn(String) -> StoreError {
    move |message| StoreError { what, message }
}

/// A record and what the API needs to read results.
#[derive(Debug, Clone)]
pub struct JobStore {
    /// The jobs table.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// The result objects.
    pub s3: aws_sdk_s3::Client,
    /// The jobs table's name.
    pub table: String,
    /// The bucket of the results (the group-images config's `bucket`).
    pub bucket: String,
    /// How long a presigned result URL lasts.
    pub presign_ttl: Duration,
}

fn key(tenant: &str, job: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (
            "pk".to_string(),
            AttributeValue::S(format!("TENANT#{tenant}")),
        ),
        ("sk".to_string(), AttributeValue::S(format!("JOB#{job}"))),
    ])
}

impl JobStore {
    /// `tenant`'s record of `job`, if it has one.
    pub async fn get(
        &self,
        tenant: &str,
        job: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant, job)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                failed("GetItem on the jobs table")(
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string(),
                )
            })?;
        Ok(out.item)
    }

    /// The status of a record; once SUCCEEDED, with the groups read from the result and
    /// a presigned URL of it.
    pub async fn status(
        &self,
        job: &str,
        item: &HashMap<String, AttributeValue>,
    ) -> Result<JobStatus, StoreError> {
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        let number = |name: &str| match item.get(name) {
            Some(AttributeValue::N(n)) => n.parse::<u64>().ok(),
            _ => None,
        };
        let status = text("status")
            .and_then(|s| JobState::parse(&s))
            .ok_or_else(|| StoreError {
                what: "the job record",
                message: format!("job {job} has no known status"),
            })?;
        let mut out = JobStatus {
            job_id: job.to_string(),
            status,
            progress: Progress {
                done: number("done").unwrap_or(0),
                total: number("total").unwrap_or(0),
            },
            group_count: number("group_count"),
            failed_count: number("failed_count"),
            groups: None,
            singletons: None,
            failed_images: None,
            result_url: None,
            error: None,
        };
        if status == JobState::Failed {
            out.error = Some(JobError {
                error: text("error").unwrap_or_default(),
                cause: text("cause").unwrap_or_default(),
            });
        }
        if status == JobState::Succeeded
            && let Some(result_key) = text("result_key")
        {
            let result = self.result(&result_key).await?;
            out.groups = Some(result.groups);
            out.singletons = Some(result.singletons);
            out.failed_images = Some(result.failed);
            out.result_url = Some(self.presign(&result_key).await?);
        }
        Ok(out)
    }

    async fn result(&self, key: &str) -> Result<GroupImagesResult, StoreError> {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                failed("GetObject of the result")(
                    aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                )
            })?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| failed("reading the result")(e.to_string()))?
            .into_bytes();
        serde_json::from_slice(&bytes).map_err(|e| failed("the result JSON")(e.to_string()))
    }

    async fn presign(&self, key: &str) -> Result<String, StoreError> {
        let config = PresigningConfig::expires_in(self.presign_ttl)
            .map_err(|e| failed("presigning the result")(e.to_string()))?;
        let request = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| {
                failed("presigning the result")(
                    aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                )
            })?;
        Ok(request.uri().to_string())
    }
}
