//! `PlanIngest`: counts the source before the Map runs — the Parquet objects under the
//! prefix and their rows (from each file's footer: two ranged reads per object, no
//! data) — and writes the job's run item ([`crate::progress::store`]) with the totals,
//! so progress and ETA have a denominator from the first object on. It also divides the
//! write-rate budget between the Map's concurrent children.
//!
//! An object whose footer cannot be read counts zero rows and is listed in
//! `unreadable`; IngestVectors reports it as a failed object in its turn.
//!
//! # Errors
//! `InvalidInput` for a bad field; S3 and DynamoDB failures as classified.

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt, stream};
use parquet::file::metadata::ParquetMetaDataReader;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::limits::MAX_VECTORS_PER_SECOND;
use crate::progress::store::{ProgressLocation, RUN_SK, key, n, now_ms, now_text, s};

/// Footers read at once.
pub const FOOTER_CONCURRENCY: usize = 16;
/// The most unreadable keys listed in the output (the count is complete).
pub const MAX_UNREADABLE_LISTED: usize = 50;
/// The largest Map concurrency accepted.
pub const MAX_MAP_CONCURRENCY: u32 = 100;

/// Where the Parquet objects are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcePrefix {
    /// The S3 bucket.
    pub bucket: String,
    /// The key prefix: every `.parquet` object under it is ingested (e.g.
    /// `lake/smartgo_sales/tenant_id=t1/year=2026/month=11/`).
    pub prefix: String,
}

/// The write-rate budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateBudget {
    /// Vectors per second for the whole job (default and at most 2,500, S3 Vectors'
    /// per-index limit).
    #[serde(default = "default_rate")]
    pub vectors_per_second: u32,
    /// Objects ingested at once (the Map's MaxConcurrency, 1 to 100).
    pub max_concurrency: u32,
}

fn default_rate() -> u32 {
    MAX_VECTORS_PER_SECOND
}

/// What `PlanIngest` receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanIngestInput {
    /// The source.
    pub source: SourcePrefix,
    /// The job's progress.
    pub progress: ProgressLocation,
    /// The rate budget.
    pub rate: RateBudget,
    /// The execution (for the run item), `$$.Execution.Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
}

/// What `PlanIngest` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanIngestOutput {
    /// Parquet objects under the prefix.
    pub objects: u64,
    /// Rows in them (readable footers only).
    pub vectors: u64,
    /// Objects whose footer could not be read (at most 50 listed).
    pub unreadable: Vec<String>,
    /// How many are unreadable.
    pub unreadable_count: u64,
    /// Each concurrent IngestVectors' share of the rate: `vectors_per_second /
    /// max_concurrency`, at least 1, so the children together stay within the budget.
    pub per_object_vectors_per_second: u32,
}

/// Plans the job. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanIngest;

impl ActivityDef for PlanIngest {
    const NAME: &'static str = "PlanIngest";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 256,
        timeout_seconds: 300,
        permissions: &[
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing { area: Area::Lake },
                reason: "lists the Parquet objects under the source prefix",
            },
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects { area: Area::Lake },
                reason: "reads each object's Parquet footer (ranged reads) for its row count",
            },
            Permission {
                actions: &["dynamodb:UpdateItem"],
                resource: Resource::Table {
                    table: crate::target::PROGRESS_TABLE,
                },
                reason: "writes the job's totals to its progress item",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = PlanIngestInput;
    type Output = PlanIngestOutput;
}

impl Activity for PlanIngest {
    async fn run(
        &self,
        input: PlanIngestInput,
        ctx: &Context,
    ) -> Result<PlanIngestOutput, ActivityError> {
        input.progress.check("progress")?;
        if input.source.bucket.is_empty() {
            return Err(ActivityError::invalid_input(
                "input field \"source.bucket\" is empty",
            ));
        }
        let rate = input.rate;
        if !(1..=MAX_VECTORS_PER_SECOND).contains(&rate.vectors_per_second) {
            return Err(ActivityError::invalid_input(format!(
                "input field \"rate.vectors_per_second\": {} is outside 1 to {MAX_VECTORS_PER_SECOND} (S3 Vectors' per-index write limit)",
                rate.vectors_per_second
            )));
        }
        if !(1..=MAX_MAP_CONCURRENCY).contains(&rate.max_concurrency) {
            return Err(ActivityError::invalid_input(format!(
                "input field \"rate.max_concurrency\": {} is outside 1 to {MAX_MAP_CONCURRENCY}",
                rate.max_concurrency
            )));
        }
        let s3 = ctx.aws().s3().await;
        let keys = parquet_keys(s3, &input.source).await?;
        let bucket = input.source.bucket.as_str();
        let counted: Vec<(String, Option<u64>)> = stream::iter(keys)
            .map(|key| async move {
                let rows = footer_rows(s3, bucket, &key).await?;
                Ok::<_, ActivityError>((key, rows))
            })
            .buffered(FOOTER_CONCURRENCY)
            .try_collect()
            .await?;
        let vectors: u64 = counted.iter().filter_map(|(_, r)| *r).sum();
        let unreadable: Vec<String> = counted
            .iter()
            .filter(|(_, r)| r.is_none())
            .map(|(k, _)| k.clone())
            .collect();
        let objects = counted.len() as u64;
        write_totals(ctx, &input, objects, vectors).await?;
        Ok(PlanIngestOutput {
            objects,
            vectors,
            unreadable_count: unreadable.len() as u64,
            unreadable: unreadable.into_iter().take(MAX_UNREADABLE_LISTED).collect(),
            per_object_vectors_per_second: per_object_rate(rate),
        })
    }
}

/// One concurrent object's share of the budget (at least 1).
pub fn per_object_rate(rate: RateBudget) -> u32 {
    (rate.vectors_per_second / rate.max_concurrency.max(1)).max(1)
}

/// The `.parquet` keys under the prefix, in key order.
async fn parquet_keys(
    s3: &aws_sdk_s3::Client,
    source: &SourcePrefix,
) -> Result<Vec<String>, ActivityError> {
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&source.bucket)
        .prefix(&source.prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.activity_err("S3", "ListObjectsV2")?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|k| k.ends_with(".parquet"))
                .map(str::to_string),
        );
    }
    keys.sort();
    Ok(keys)
}

/// Rows in a Parquet object per its footer; `None` when the footer is unreadable.
async fn footer_rows(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Option<u64>, ActivityError> {
    let tail = ranged(s3, bucket, key, "bytes=-8").await?;
    if tail.len() < 8 || &tail[4..] != b"PAR1" {
        return Ok(None);
    }
    let footer_len = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as usize;
    let footer = ranged(s3, bucket, key, &format!("bytes=-{}", footer_len + 8)).await?;
    if footer.len() != footer_len + 8 {
        return Ok(None);
    }
    Ok(
        ParquetMetaDataReader::decode_metadata(&footer[..footer_len])
            .ok()
            .map(|m| m.file_metadata().num_rows().max(0) as u64),
    )
}

/// A ranged GET's bytes.
async fn ranged(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    range: &str,
) -> Result<Vec<u8>, ActivityError> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(range)
        .send()
        .await
        .activity_err("S3", "GetObject")
        .map_err(|e| ActivityError::new(e.name, format!("s3://{bucket}/{key}: {}", e.cause)))?;
    let body = object.body.collect().await.map_err(|e| {
        ActivityError::transient(format!("s3://{bucket}/{key}: reading the body: {e}"))
    })?;
    Ok(body.into_bytes().to_vec())
}

/// Writes the totals to the run item (the counters and start time of a job that is
/// resumed are kept).
async fn write_totals(
    ctx: &Context,
    input: &PlanIngestInput,
    objects: u64,
    vectors: u64,
) -> Result<(), ActivityError> {
    let mut update = ctx
        .aws()
        .dynamodb()
        .await
        .update_item()
        .table_name(&input.progress.table)
        .set_key(Some(key(&input.progress, RUN_SK)))
        .expression_attribute_values(":o", n(objects))
        .expression_attribute_values(":v", n(vectors))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":started", n(now_ms()))
        .expression_attribute_values(":now", s(now_text()))
        .expression_attribute_values(":rate", n(input.rate.vectors_per_second))
        .expression_attribute_values(
            ":src",
            s(format!(
                "s3://{}/{}",
                input.source.bucket, input.source.prefix
            )),
        );
    let mut expression = "SET objects_total = :o, vectors_total = :v, \
        objects_done = if_not_exists(objects_done, :zero), \
        objects_failed = if_not_exists(objects_failed, :zero), \
        vectors_done = if_not_exists(vectors_done, :zero), \
        started_ms = if_not_exists(started_ms, :started), \
        updated_at = :now, rate_limit = :rate, #src = :src"
        .to_string();
    update = update.expression_attribute_names("#src", "source");
    if let Some(execution) = &input.execution {
        expression.push_str(", execution = :exec");
        update = update.expression_attribute_values(":exec", AttributeValue::S(execution.clone()));
    }
    update
        .update_expression(expression)
        .send()
        .await
        .activity_err("DynamoDB", "UpdateItem")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_between_concurrent_objects() {
        let rate = |v, c| RateBudget {
            vectors_per_second: v,
            max_concurrency: c,
        };
        assert_eq!(per_object_rate(rate(2500, 4)), 625);
        assert_eq!(per_object_rate(rate(2500, 1)), 2500);
        assert_eq!(per_object_rate(rate(10, 100)), 1);
    }
}
