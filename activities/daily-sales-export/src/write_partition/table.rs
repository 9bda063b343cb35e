//! Where WritePartition's files go when the configuration names the lake's tables
//! (`lake_tables`): under the `smartgo_sales` table's own location, committed together as
//! one snapshot replacing the export date ([`stepwise_lake_tables::LakeTables::replace_date`]).

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_lake_tables::{Dataset, LakeTables, TablesConfig, data_file_name};
use stepwise_runtime::{ActivityError, Context};

/// The snapshot WritePartition committed to `smartgo_sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableCommit {
    /// The table, `<namespace>.smartgo_sales`.
    pub table: String,
    /// The snapshot replacing the date (the table's current one when nothing changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<i64>,
    /// Data files of the date the snapshot removed (an earlier run's).
    pub removed_files: u64,
    /// Rows of the date the snapshot removed.
    pub removed_rows: u64,
    /// The table's metadata file afterwards (what Athena and pyiceberg read).
    pub metadata_location: String,
}

/// The `smartgo_sales` table, open for one export date's files.
pub(super) struct DayWriter {
    tables: LakeTables,
    location: String,
    date: NaiveDate,
    /// Distinguishes this invocation's file names from an earlier run's.
    run: String,
    files: Vec<String>,
}

impl DayWriter {
    /// Opens (creating when missing) the table bucket, namespace and table `config` names.
    pub(super) async fn open(
        ctx: &Context,
        config: &TablesConfig,
        date: NaiveDate,
    ) -> Result<Self, ActivityError> {
        let sdk = ctx.aws().config().await;
        let tables = LakeTables::open(sdk, config, Dataset::SmartgoSales).await?;
        let location = tables.table_location(Dataset::SmartgoSales).await?;
        Ok(DayWriter {
            tables,
            location,
            date,
            run: uuid::Uuid::new_v4().simple().to_string(),
            files: Vec::new(),
        })
    }

    /// Writes one tenant's Parquet file under the table's `data/`; returns its key in the
    /// table's bucket and its `s3://` URI.
    pub(super) async fn put(
        &mut self,
        tenant: &str,
        bytes: Vec<u8>,
    ) -> Result<(String, String), ActivityError> {
        let name = data_file_name(Dataset::SmartgoSales, tenant, self.date, &self.run);
        let uri = self
            .tables
            .put_data_file(&self.location, &name, bytes)
            .await?;
        let key = stepwise_lake_tables::storage::parse_s3_uri(&uri)
            .map(|(_, key)| key.to_string())
            .unwrap_or_else(|| name.clone());
        self.files.push(uri.clone());
        Ok((key, uri))
    }

    /// Commits the files written as one snapshot replacing the date's rows. With no file
    /// written (no sale of the day has an embedding) nothing is committed and the day's
    /// earlier rows stay: this run has nothing better to replace them with.
    pub(super) async fn commit(self) -> Result<Option<TableCommit>, ActivityError> {
        if self.files.is_empty() {
            return Ok(None);
        }
        let outcome = self
            .tables
            .replace_date(Dataset::SmartgoSales, self.date, &self.files)
            .await?;
        Ok(Some(TableCommit {
            table: format!(
                "{}.{}",
                self.tables.namespace(),
                Dataset::SmartgoSales.table_name()
            ),
            snapshot_id: outcome.snapshot_id,
            removed_files: outcome.removed_files as u64,
            removed_rows: outcome.removed_records,
            metadata_location: outcome.metadata_location,
        }))
    }
}
