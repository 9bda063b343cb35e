//! [`TablesConfig`]: where a deployment's lake tables are (table bucket and namespace), as
//! a pipeline's configuration names them, and [`data_file_name`]: where a writer puts a
//! data file under a table's location.

use chrono::{Datelike, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where the lake's Iceberg tables are: an S3 table bucket and a namespace in it (the
/// tables themselves are [`crate::Dataset`]s). What a pipeline's configuration carries
/// as `lake_tables`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TablesConfig {
    /// The S3 table bucket: its name (3-63 lowercase letters, digits and `-`), found by
    /// name and created when missing; or its ARN
    /// (`arn:aws:s3tables:<region>:<account>:bucket/<name>`, a deployment's
    /// `LakeTableBucketArn` stack output), used as it is and never created.
    #[schemars(length(min = 3, max = 2048))]
    pub table_bucket: String,
    /// The namespace holding the tables (3-63 lowercase letters, digits and `_`).
    #[schemars(length(min = 3, max = 63))]
    pub namespace: String,
}

impl TablesConfig {
    /// Checks the names against S3 Tables' rules.
    ///
    /// # Errors
    /// [`crate::LakeTablesError::InvalidInput`] naming the field.
    pub fn check(&self) -> Result<(), crate::LakeTablesError> {
        if crate::tables::bucket_arn_name(&self.table_bucket)?.is_none() {
            crate::tables::check_name("table_bucket", &self.table_bucket, '-')?;
        }
        crate::tables::check_name("namespace", &self.namespace, '_')
    }
}

/// The key under a table's `data/` of a new data file of `tenant` and `date`:
/// `tenant_id=<tenant>/<date_column>_month=<YYYY-MM>/<date>-<unique>.parquet` (Hive-style
/// directories for people browsing the bucket; Iceberg reads the partition from the
/// manifest, not the path). `unique` keeps a re-run from overwriting a file an earlier
/// snapshot still references (time travel reads it).
pub fn data_file_name(
    dataset: crate::Dataset,
    tenant: &str,
    date: NaiveDate,
    unique: &str,
) -> String {
    format!(
        "tenant_id={tenant}/{}_month={:04}-{:02}/{date}-{unique}.parquet",
        dataset.date_column(),
        date.year(),
        date.month()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dataset;

    #[test]
    fn data_files_are_grouped_by_tenant_and_month() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        assert_eq!(
            data_file_name(Dataset::SmartgoSales, "acme", date, "r1"),
            "tenant_id=acme/export_date_month=2026-11/2026-11-23-r1.parquet"
        );
    }

    #[test]
    fn the_config_names_its_fields() {
        let err = serde_json::from_str::<TablesConfig>(r#"{"table_bucket": "b"}"#).unwrap_err();
        assert!(err.to_string().contains("namespace"), "{err}");
    }
}
