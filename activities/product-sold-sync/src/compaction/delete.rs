//! `DeleteCommitted`: after `CommitCompaction`, deletes one partition's staged per-sale
//! objects from before the cutoff whose sales the `sales_history` table holds (a
//! committed compaction's file). A staged object whose sale no committed file holds is
//! left for the next run, so deleting can never lose a sale, whatever happened before.

use futures::{StreamExt, TryStreamExt, stream};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::ActivityDef;
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_lake_tables::TablesConfig;
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

use super::partition::{OBJECT_CONCURRENCY, list, read_rows};
use super::table::{SalesTable, table_dir};
use super::{LAKE_NAMESPACE, LIST_LAKE, READ_SALES_TABLE};

/// What `DeleteCommitted` receives (a Map item of the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteCommittedInput {
    /// The lake's bucket (the staged objects).
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The partition's prefix, ending in `/`.
    pub partition: String,
    /// Staged objects last modified before this (RFC 3339) are considered.
    pub cutoff: String,
    /// The lake's Iceberg tables.
    pub lake_tables: TablesConfig,
}

/// What `DeleteCommitted` did in one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteCommittedOutput {
    /// The partition.
    pub partition: String,
    /// Staged objects deleted (their sales are in the table).
    pub deleted: u64,
    /// Staged objects left (a sale the table does not hold yet).
    pub left: u64,
}

/// The `DeleteCommitted` activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeleteCommitted;

impl ActivityDef for DeleteCommitted {
    const NAME: &'static str = "DeleteCommitted";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 512,
        timeout_seconds: 300,
        permissions: &[
            LIST_LAKE,
            Permission {
                actions: &["s3:GetObject", "s3:DeleteObject"],
                resource: Resource::Objects { area: Area::Lake },
                reason: "reads staged per-sale objects, deletes those the sales_history table holds",
            },
            LAKE_NAMESPACE,
            READ_SALES_TABLE,
        ],
    };
    type Input = DeleteCommittedInput;
    type Output = DeleteCommittedOutput;
}

impl Activity for DeleteCommitted {
    async fn run(
        &self,
        input: DeleteCommittedInput,
        ctx: &Context,
    ) -> Result<DeleteCommittedOutput, ActivityError> {
        let cutoff = chrono::DateTime::parse_from_rfc3339(&input.cutoff)
            .map_err(|e| {
                ActivityError::invalid_input(format!(
                    "field \"cutoff\": \"{}\" is not an RFC 3339 time: {e}",
                    input.cutoff
                ))
            })?
            .with_timezone(&chrono::Utc);
        if !input.partition.ends_with('/') || input.partition.contains("..") {
            return Err(ActivityError::invalid_input(format!(
                "field \"partition\": \"{}\" is not a partition prefix ending in '/'",
                input.partition
            )));
        }
        table_dir(&input.partition)?;
        let table = SalesTable::open(ctx, &input.lake_tables).await?;
        let bucket = input.bucket.as_str();
        let s3 = ctx.aws().s3().await;
        let (_, staged) = list(s3, bucket, &input.partition, cutoff).await?;
        let committed = table.committed_sales(ctx, &input.partition).await?;
        let committed = &committed;
        let outcomes: Vec<bool> = stream::iter(staged)
            .map(|key| async move {
                let rows = read_rows(s3, bucket, &key).await?;
                if rows.is_empty() || !rows.iter().all(|r| committed.contains(&r.sale_id)) {
                    return Ok::<_, ActivityError>(false);
                }
                s3.delete_object()
                    .bucket(bucket)
                    .key(&key)
                    .send()
                    .await
                    .activity_err("S3", "DeleteObject")?;
                Ok(true)
            })
            .buffer_unordered(OBJECT_CONCURRENCY)
            .try_collect()
            .await?;
        let deleted = outcomes.iter().filter(|d| **d).count() as u64;
        Ok(DeleteCommittedOutput {
            partition: input.partition,
            deleted,
            left: outcomes.len() as u64 - deleted,
        })
    }
}
