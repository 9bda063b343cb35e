//! `CommitCompaction`: appends the day's compacted files (written by `CompactPartition`
//! under the `sales_history` table's location) to the table as ONE snapshot tagged with
//! the batch id `compaction-<day>`. Idempotent: when a snapshot of the table already
//! carries the batch, nothing is appended. A commit that keeps losing to concurrent
//! writers fails `Throttled`, which the workflow's Retry retries with backoff.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::ActivityDef;
use stepwise_contract::deploy::{Deployment, Permission, Resource};
use stepwise_lake_tables::{Dataset, TablesConfig};
use stepwise_runtime::{Activity, ActivityError, Context};

use super::plan::MAX_PARTITIONS;
use super::table::{SalesTable, batch_id};
use super::{LAKE_NAMESPACE, READ_SALES_TABLE, WRITE_SALES_TABLE_DATA};
use stepwise_lake::COMPACTED_PREFIX;

/// One partition's result as the workflow passes it on: the file's name under the
/// table's `data/`, `null` when the partition had nothing to commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompactedFile {
    /// `tenant_id=T/sold_date_month=YYYY-MM/compacted-<day>.parquet`, or `null`.
    #[serde(default)]
    pub file: Option<String>,
}

/// What `CommitCompaction` receives.
///
/// Step Functions caps a state's input at 256 KiB, so only the files' names under the
/// table's `data/` travel (about 70 bytes each: at most [`MAX_PARTITIONS`] of them, about
/// 160 KiB), never rows or statistics; the commit reads the footers itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitCompactionInput {
    /// The compacted day, `YYYY-MM-DD` (the batch is `compaction-<day>`).
    pub day: String,
    /// The lake's Iceberg tables.
    pub lake_tables: TablesConfig,
    /// The partitions' results (the compaction Map's output).
    #[schemars(length(max = 2000))]
    pub files: Vec<CompactedFile>,
}

/// What `CommitCompaction` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitCompactionOutput {
    /// The table, `<namespace>.sales_history`.
    pub table: String,
    /// The batch, `compaction-<day>`.
    pub batch_id: String,
    /// False when nothing was appended: the batch was committed already, or no partition
    /// had rows to commit.
    pub committed: bool,
    /// The snapshot carrying the batch (absent when none does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<i64>,
    /// Data files appended.
    pub added_files: u64,
    /// The table's metadata file afterwards (what Athena and pyiceberg read).
    pub metadata_location: String,
}

/// The `CommitCompaction` activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommitCompaction;

impl ActivityDef for CommitCompaction {
    const NAME: &'static str = "CommitCompaction";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 512,
        timeout_seconds: 300,
        permissions: &[
            LAKE_NAMESPACE,
            READ_SALES_TABLE,
            WRITE_SALES_TABLE_DATA,
            Permission {
                actions: &["s3tables:UpdateTableMetadataLocation"],
                resource: Resource::LakeTable {
                    dataset: stepwise_lake::SALES_HISTORY_DATASET,
                },
                reason: "commits the day's append snapshot (the new metadata file) with the table's version token",
            },
        ],
    };
    type Input = CommitCompactionInput;
    type Output = CommitCompactionOutput;
}

/// The names of the files to commit, checked: relative, one per partition, of `day`.
fn checked_files(input: &CommitCompactionInput) -> Result<Vec<String>, ActivityError> {
    if input.files.len() > MAX_PARTITIONS {
        return Err(ActivityError::invalid_input(format!(
            "field \"files\": {} entries, more than the {MAX_PARTITIONS} partitions one run compacts",
            input.files.len()
        )));
    }
    let suffix = format!("/{COMPACTED_PREFIX}{}.parquet", input.day);
    let mut names: Vec<String> = input.files.iter().filter_map(|f| f.file.clone()).collect();
    for name in &names {
        if name.starts_with('/') || name.split('/').any(|s| s == "..") || !name.ends_with(&suffix) {
            return Err(ActivityError::invalid_input(format!(
                "field \"files\": \"{name}\" is not a compacted file of {} under the table's data/",
                input.day
            )));
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

impl Activity for CommitCompaction {
    async fn run(
        &self,
        input: CommitCompactionInput,
        ctx: &Context,
    ) -> Result<CommitCompactionOutput, ActivityError> {
        chrono::NaiveDate::parse_from_str(&input.day, "%Y-%m-%d").map_err(|_| {
            ActivityError::invalid_input(format!(
                "field \"day\": \"{}\" is not a YYYY-MM-DD date",
                input.day
            ))
        })?;
        let names = checked_files(&input)?;
        let batch = batch_id(&input.day);
        let table = SalesTable::open(ctx, &input.lake_tables).await?;
        let name = format!(
            "{}.{}",
            table.tables.namespace(),
            Dataset::SalesHistory.table_name()
        );
        if names.is_empty() {
            // Nothing new: the batch is in the table already, or the day had no rows.
            let snapshot_id = table
                .tables
                .snapshots(Dataset::SalesHistory)
                .await?
                .into_iter()
                .find(|s| s.batch_id.as_deref() == Some(batch.as_str()))
                .map(|s| s.snapshot_id);
            return Ok(CommitCompactionOutput {
                table: name,
                batch_id: batch,
                committed: false,
                snapshot_id,
                added_files: 0,
                metadata_location: table
                    .tables
                    .metadata_location(Dataset::SalesHistory)
                    .await?,
            });
        }
        ctx.cancellation.check("committing the compaction")?;
        let uris: Vec<String> = names.iter().map(|n| table.uri(n)).collect();
        let outcome = table
            .tables
            .append(Dataset::SalesHistory, &uris, &batch)
            .await?;
        tracing::info!(
            table = %name,
            batch = %batch,
            committed = outcome.committed,
            files = outcome.added_files,
            "compaction commit"
        );
        Ok(CommitCompactionOutput {
            table: name,
            batch_id: batch,
            committed: outcome.committed,
            snapshot_id: outcome.snapshot_id,
            added_files: outcome.added_files as u64,
            metadata_location: outcome.metadata_location,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(files: &[Option<&str>]) -> CommitCompactionInput {
        CommitCompactionInput {
            day: "2026-11-30".into(),
            lake_tables: TablesConfig {
                table_bucket: "lake-tables".into(),
                namespace: "lake".into(),
            },
            files: files
                .iter()
                .map(|f| CompactedFile {
                    file: f.map(str::to_string),
                })
                .collect(),
        }
    }

    #[test]
    fn only_the_days_compacted_files_are_committed() {
        let ok = "tenant_id=acme/sold_date_month=2026-11/compacted-2026-11-30.parquet";
        assert_eq!(
            checked_files(&input(&[Some(ok), None, Some(ok)])).unwrap(),
            vec![ok.to_string()]
        );
        assert!(checked_files(&input(&[None])).unwrap().is_empty());
        for bad in [
            "tenant_id=acme/sold_date_month=2026-11/compacted-2026-11-29.parquet",
            "../x/compacted-2026-11-30.parquet",
            "/tenant_id=acme/compacted-2026-11-30.parquet",
        ] {
            let err = checked_files(&input(&[Some(bad)])).unwrap_err();
            assert_eq!(err.name.as_str(), "InvalidInput", "{bad}");
        }
    }
}
