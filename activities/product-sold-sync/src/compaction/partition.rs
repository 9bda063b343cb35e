//! `CompactPartition`: merges one partition's per-sale objects from before the cutoff
//! into `compacted-<day>.parquet`, verifies it by reading it back, then deletes them (see
//! the [`super`] module for why a crash at any point loses and duplicates nothing).
//!
//! With `lake_tables` it writes the merged file under the `sales_history` table's
//! location instead ([`super::table_file_name`]), holding the sales no committed
//! compaction holds yet, and deletes nothing: `CommitCompaction` commits the files,
//! `DeleteCommitted` then removes the staged objects.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::ActivityDef;
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_lake::{
    COMPACTED_PREFIX, PARQUET_CONTENT_TYPE, SoldSale, compacted_object_key, decode_sold,
    encode_sold,
};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use stepwise_lake_tables::TablesConfig;

use super::table::{SalesTable, table_file_name};
use super::{LAKE_NAMESPACE, LIST_LAKE, READ_SALES_TABLE, WRITE_SALES_TABLE_DATA, is_sale_object};

/// How many objects are read or deleted at once.
pub const OBJECT_CONCURRENCY: usize = 16;

/// What `CompactPartition` receives (a Map item of the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompactPartitionInput {
    /// The lake's bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The partition's prefix, ending in `/`.
    pub partition: String,
    /// The compacted day, `YYYY-MM-DD` (names the compacted object).
    pub day: String,
    /// Per-sale objects last modified before this (RFC 3339) are merged.
    pub cutoff: String,
    /// The lake's Iceberg tables: write the merged file under `sales_history`'s location
    /// for `CommitCompaction`, and delete nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lake_tables: Option<TablesConfig>,
}

/// What one partition's compaction did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompactPartitionOutput {
    /// The partition.
    pub partition: String,
    /// The compacted object written, when rows were merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// Rows merged into it by this run.
    pub merged: u64,
    /// Its rows after the run.
    pub rows: u64,
    /// Per-sale objects found already merged (by an earlier, interrupted run), deleted.
    pub already_merged: u64,
    /// Per-sale objects deleted.
    pub deleted: u64,
    /// With `lake_tables`: the file written for `CommitCompaction`, its name under the
    /// table's `data/` (`null` when nothing is left to commit, and always without
    /// `lake_tables`).
    #[serde(default)]
    pub table_file: Option<String>,
}

/// The `CompactPartition` activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompactPartition;

impl ActivityDef for CompactPartition {
    const NAME: &'static str = "CompactPartition";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 1024,
        timeout_seconds: 300,
        permissions: &[
            LIST_LAKE,
            Permission {
                actions: &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resource: Resource::Objects { area: Area::Lake },
                reason: "reads per-sale and compacted objects, writes the compacted one, deletes merged per-sale objects",
            },
            LAKE_NAMESPACE,
            READ_SALES_TABLE,
            WRITE_SALES_TABLE_DATA,
        ],
    };
    type Input = CompactPartitionInput;
    type Output = CompactPartitionOutput;
}

fn in_partition(e: ActivityError, what: &str) -> ActivityError {
    ActivityError::new(e.name, format!("{what}: {}", e.cause))
}

/// Reads the per-sale objects `keys`.
async fn read_all(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    keys: &[String],
) -> Result<Vec<(String, Vec<SoldSale>)>, ActivityError> {
    stream::iter(keys.iter().cloned())
        .map(|key| async move {
            let rows = read_rows(s3, bucket, &key).await?;
            Ok::<_, ActivityError>((key, rows))
        })
        .buffer_unordered(OBJECT_CONCURRENCY)
        .try_collect()
        .await
}

/// Encodes `rows` off the async runtime.
async fn encode(rows: Vec<SoldSale>, what: &str) -> Result<Vec<u8>, ActivityError> {
    tokio::task::spawn_blocking(move || encode_sold(&rows))
        .await
        .map_err(|e| ActivityError::permanent(format!("encoding {what}: {e}")))?
        .map_err(|e| ActivityError::permanent(format!("encoding {what}: {e}")))
}

/// Whether `back` holds exactly the sales of `rows`, each once.
fn same_sales(back: &[SoldSale], rows: &[SoldSale]) -> bool {
    let got: BTreeSet<&str> = back.iter().map(|r| r.sale_id.as_str()).collect();
    let expected: BTreeSet<&str> = rows.iter().map(|r| r.sale_id.as_str()).collect();
    back.len() == rows.len() && got == expected
}

pub(crate) async fn read_rows(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<SoldSale>, ActivityError> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .activity_err("S3", "GetObject")
        .map_err(|e| in_partition(e, &format!("reading s3://{bucket}/{key}")))?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| ActivityError::transient(format!("reading s3://{bucket}/{key}: {e}")))?
        .into_bytes();
    decode_sold(bytes).map_err(|e| ActivityError::permanent(format!("s3://{bucket}/{key}: {e}")))
}

/// The partition's objects: compacted keys, and per-sale keys from before `cutoff`.
pub(crate) async fn list(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    partition: &str,
    cutoff: DateTime<Utc>,
) -> Result<(Vec<String>, Vec<String>), ActivityError> {
    let mut compacted = Vec::new();
    let mut small = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(partition)
        .delimiter("/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.activity_err("S3", "ListObjectsV2")?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            let name = key.rsplit('/').next().unwrap_or(key);
            if name.starts_with(COMPACTED_PREFIX) {
                compacted.push(key.to_string());
            } else if is_sale_object(key)
                && object
                    .last_modified()
                    .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))
                    .is_some_and(|t| t < cutoff)
            {
                small.push(key.to_string());
            }
        }
    }
    Ok((compacted, small))
}

impl Activity for CompactPartition {
    async fn run(
        &self,
        input: CompactPartitionInput,
        ctx: &Context,
    ) -> Result<CompactPartitionOutput, ActivityError> {
        let day = NaiveDate::parse_from_str(&input.day, "%Y-%m-%d").map_err(|_| {
            ActivityError::invalid_input(format!(
                "field \"day\": \"{}\" is not a YYYY-MM-DD date",
                input.day
            ))
        })?;
        let cutoff = DateTime::parse_from_rfc3339(&input.cutoff)
            .map_err(|e| {
                ActivityError::invalid_input(format!(
                    "field \"cutoff\": \"{}\" is not an RFC 3339 time: {e}",
                    input.cutoff
                ))
            })?
            .with_timezone(&Utc);
        if !input.partition.ends_with('/') || input.partition.contains("..") {
            return Err(ActivityError::invalid_input(format!(
                "field \"partition\": \"{}\" is not a partition prefix ending in '/'",
                input.partition
            )));
        }
        if let Some(config) = &input.lake_tables {
            return stage_in_table(&input, config, cutoff, ctx).await;
        }
        let bucket = input.bucket.as_str();
        let s3 = ctx.aws().s3().await;
        let (compacted, small) = list(s3, bucket, &input.partition, cutoff).await?;
        let target = compacted_object_key(&input.partition, day);

        // Sales the compacted objects already hold; the target's rows are kept to merge into.
        let mut merged_sales = BTreeSet::new();
        let mut target_rows: BTreeMap<String, SoldSale> = BTreeMap::new();
        for key in &compacted {
            ctx.cancellation.check("reading compacted objects")?;
            let rows = read_rows(s3, bucket, key).await?;
            for row in rows {
                merged_sales.insert(row.sale_id.clone());
                if *key == target {
                    target_rows.insert(row.sale_id.clone(), row);
                }
            }
        }
        let before = target_rows.len() as u64;

        // Per-sale objects: merged already, or to merge now.
        let read = read_all(s3, bucket, &small).await?;
        let mut already = 0u64;
        let mut merged = 0u64;
        for (_, rows) in &read {
            for row in rows {
                if merged_sales.contains(&row.sale_id) {
                    already += 1;
                } else if target_rows
                    .insert(row.sale_id.clone(), row.clone())
                    .is_none()
                {
                    merged += 1;
                }
            }
        }

        let mut written = None;
        if merged > 0 {
            ctx.cancellation.check("writing the compacted object")?;
            let rows: Vec<SoldSale> = target_rows.values().cloned().collect();
            let bytes = encode(rows.clone(), &target).await?;
            s3.put_object()
                .bucket(bucket)
                .key(&target)
                .content_type(PARQUET_CONTENT_TYPE)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .activity_err("S3", "PutObject")
                .map_err(|e| in_partition(e, &format!("writing s3://{bucket}/{target}")))?;
            // Verify before deleting anything: the object as stored holds every row once.
            let back = read_rows(s3, bucket, &target).await?;
            if !same_sales(&back, &rows) {
                return Err(ActivityError::transient(format!(
                    "s3://{bucket}/{target} reads back {} rows, expected {}; nothing was deleted",
                    back.len(),
                    rows.len()
                )));
            }
            written = Some(target.clone());
        }

        let keys: Vec<String> = read.into_iter().map(|(key, _)| key).collect();
        let deleted = stream::iter(keys)
            .map(|key| async move {
                s3.delete_object()
                    .bucket(bucket)
                    .key(&key)
                    .send()
                    .await
                    .activity_err("S3", "DeleteObject")
                    .map_err(|e| in_partition(e, &format!("deleting s3://{bucket}/{key}")))
            })
            .buffer_unordered(OBJECT_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?
            .len() as u64;

        Ok(CompactPartitionOutput {
            partition: input.partition,
            written,
            merged,
            rows: before + merged,
            already_merged: already,
            deleted,
            table_file: None,
        })
    }
}

/// `CompactPartition` with `lake_tables`: merges the partition's staged sales that no
/// committed compaction holds into the day's file under the table's `data/`, verifies it,
/// and deletes nothing. When the day's batch is committed already it does nothing (the
/// committed file is never rewritten). A file an interrupted run wrote and nobody committed
/// stays out of the table (the commit takes only this run's files); S3 Tables'
/// unreferenced-file removal deletes it.
async fn stage_in_table(
    input: &CompactPartitionInput,
    config: &TablesConfig,
    cutoff: DateTime<Utc>,
    ctx: &Context,
) -> Result<CompactPartitionOutput, ActivityError> {
    let name = table_file_name(&input.partition, &input.day)?;
    let table = SalesTable::open(ctx, config).await?;
    let mut out = CompactPartitionOutput {
        partition: input.partition.clone(),
        written: None,
        merged: 0,
        rows: 0,
        already_merged: 0,
        deleted: 0,
        table_file: None,
    };
    if table.committed_days.contains(&input.day) {
        return Ok(out);
    }
    let bucket = input.bucket.as_str();
    let s3 = ctx.aws().s3().await;
    let (_, small) = list(s3, bucket, &input.partition, cutoff).await?;
    let committed = table.committed_sales(ctx, &input.partition).await?;
    let mut rows: BTreeMap<String, SoldSale> = BTreeMap::new();
    for (_, sales) in read_all(s3, bucket, &small).await? {
        for row in sales {
            if committed.contains(&row.sale_id) {
                out.already_merged += 1;
            } else {
                rows.insert(row.sale_id.clone(), row);
            }
        }
    }
    if rows.is_empty() {
        // Every staged sale is in the table already (a replay, or an earlier day's run).
        return Ok(out);
    }
    ctx.cancellation.check("writing the table's data file")?;
    let rows: Vec<SoldSale> = rows.into_values().collect();
    let uri = table.uri(&name);
    let bytes = encode(rows.clone(), &uri).await?;
    table
        .tables
        .put_data_file(&table.location, &name, bytes)
        .await?;
    let back = table.read(&name).await?;
    if !same_sales(&back, &rows) {
        return Err(ActivityError::transient(format!(
            "{uri} reads back {} rows, expected {}",
            back.len(),
            rows.len()
        )));
    }
    out.merged = rows.len() as u64;
    out.rows = out.merged;
    out.written = Some(uri);
    out.table_file = Some(name);
    Ok(out)
}
