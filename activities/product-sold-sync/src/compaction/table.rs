//! The compaction as the commit into the `sales_history` Iceberg table (when the request
//! names `lake_tables`): where a partition's compacted file goes under the table's
//! location, which batches the table already holds, and which sales its committed
//! compacted files hold.
//!
//! Every compaction of `day` commits as one append snapshot tagged with the batch id
//! `compaction-<day>` ([`batch_id`]); its files are named
//! `tenant_id=T/sold_date_month=YYYY-MM/compacted-<day>.parquet` under the table's
//! `data/` ([`table_file_name`]), one per partition and day, so a re-run before the commit
//! rewrites the same objects. A sale counts as committed when a data file of the table's
//! current snapshot under the partition's directory holds it: that is what
//! `CompactPartition` skips and what `DeleteCommitted` requires before deleting a staged
//! per-sale object. (S3 Tables' warehouse buckets cannot be listed, and delete nothing:
//! the committed files are found through the table's manifests.)

use std::collections::BTreeSet;

use stepwise_lake::{COMPACTED_PREFIX, SoldSale};
use stepwise_lake_tables::storage::parse_s3_uri;
use stepwise_lake_tables::{Dataset, LakeTables, TablesConfig};
use stepwise_runtime::{ActivityError, Context};

use super::partition::read_rows;

/// The prefix of a compaction's batch id (`compaction-<day>`).
pub const BATCH_PREFIX: &str = "compaction-";

/// The batch id a compaction of `day` (`YYYY-MM-DD`) commits with.
pub fn batch_id(day: &str) -> String {
    format!("{BATCH_PREFIX}{day}")
}

/// The directory under the table's `data/` of a Hive partition
/// (`…/tenant_id=T/year=YYYY/month=MM/` → `tenant_id=T/sold_date_month=YYYY-MM/`).
///
/// # Errors
/// `InvalidInput` naming `partition` when it does not end in those three directories.
pub fn table_dir(partition: &str) -> Result<String, ActivityError> {
    let bad = || {
        ActivityError::invalid_input(format!(
            "field \"partition\": \"{partition}\" does not end in tenant_id=T/year=YYYY/month=MM/"
        ))
    };
    let mut parts = partition.trim_end_matches('/').rsplit('/');
    let month = parts
        .next()
        .and_then(|s| s.strip_prefix("month="))
        .ok_or_else(bad)?;
    let year = parts
        .next()
        .and_then(|s| s.strip_prefix("year="))
        .ok_or_else(bad)?;
    let tenant = parts
        .next()
        .and_then(|s| s.strip_prefix("tenant_id="))
        .ok_or_else(bad)?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if tenant.is_empty() || !digits(year, 4) || !digits(month, 2) {
        return Err(bad());
    }
    Ok(format!(
        "tenant_id={tenant}/{}_month={year}-{month}/",
        Dataset::SalesHistory.date_column()
    ))
}

/// The name under the table's `data/` of a partition's compacted file of `day`.
///
/// # Errors
/// As [`table_dir`].
pub fn table_file_name(partition: &str, day: &str) -> Result<String, ActivityError> {
    Ok(format!(
        "{}{COMPACTED_PREFIX}{day}.parquet",
        table_dir(partition)?
    ))
}

/// The `sales_history` table, open, with the compaction batches it holds.
pub(crate) struct SalesTable {
    pub(crate) tables: LakeTables,
    /// `s3://<warehouse bucket>` (no trailing `/`).
    pub(crate) location: String,
    /// Days whose compaction batch a snapshot of the table carries.
    pub(crate) committed_days: BTreeSet<String>,
}

impl SalesTable {
    /// Opens (creating when missing) the table bucket, namespace and `sales_history`.
    pub(crate) async fn open(ctx: &Context, config: &TablesConfig) -> Result<Self, ActivityError> {
        config.check()?;
        let sdk = ctx.aws().config().await;
        let tables = LakeTables::open(sdk, config, Dataset::SalesHistory).await?;
        let location = tables.table_location(Dataset::SalesHistory).await?;
        let committed_days = tables
            .snapshots(Dataset::SalesHistory)
            .await?
            .into_iter()
            .filter_map(|s| s.batch_id)
            .filter_map(|b| b.strip_prefix(BATCH_PREFIX).map(str::to_string))
            .collect();
        Ok(SalesTable {
            tables,
            location,
            committed_days,
        })
    }

    /// The `s3://` URI of a name under the table's `data/`.
    pub(crate) fn uri(&self, name: &str) -> String {
        format!("{}/data/{name}", self.location)
    }

    /// `(bucket, key)` of a name under the table's `data/`.
    pub(crate) fn object(&self, name: &str) -> Result<(String, String), ActivityError> {
        let uri = self.uri(name);
        parse_s3_uri(&uri)
            .map(|(b, k)| (b.to_string(), k.to_string()))
            .ok_or_else(|| {
                ActivityError::permanent(format!("the table's location {uri} is not an s3:// URI"))
            })
    }

    /// Reads one of the table's files.
    pub(crate) async fn read(&self, name: &str) -> Result<Vec<SoldSale>, ActivityError> {
        let (bucket, key) = self.object(name)?;
        read_rows(self.tables.s3(), &bucket, &key).await
    }

    /// The sales the table's data files of a partition hold (the files of its current
    /// snapshot under the partition's directory).
    pub(crate) async fn committed_sales(
        &self,
        ctx: &Context,
        partition: &str,
    ) -> Result<BTreeSet<String>, ActivityError> {
        let dir = self.uri(&table_dir(partition)?);
        let mut sales = BTreeSet::new();
        for uri in self.tables.live_data_files(Dataset::SalesHistory).await? {
            let Some(name) = uri.strip_prefix(&dir) else {
                continue;
            };
            if name.contains('/') {
                continue;
            }
            ctx.cancellation.check("reading committed files")?;
            let name = format!("{}{name}", table_dir(partition)?);
            sales.extend(self.read(&name).await?.into_iter().map(|r| r.sale_id));
        }
        Ok(sales)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_maps_to_its_table_directory_and_file() {
        let p = "pricing-intelligence/sales_history/tenant_id=acme/year=2026/month=11/";
        assert_eq!(
            table_dir(p).unwrap(),
            "tenant_id=acme/sold_date_month=2026-11/"
        );
        assert_eq!(
            table_file_name(p, "2026-11-30").unwrap(),
            "tenant_id=acme/sold_date_month=2026-11/compacted-2026-11-30.parquet"
        );
        assert_eq!(batch_id("2026-11-30"), "compaction-2026-11-30");
        let err = table_dir("sales_history/tenant_id=acme/month=11/").unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("\"partition\""), "{}", err.cause);
        assert!(table_dir("x/tenant_id=/year=2026/month=11/").is_err());
    }
}
