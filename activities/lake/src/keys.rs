//! The lake's S3 key layout: Hive-style partitions (`tenant_id=/year=/month=`).

use chrono::{Datelike, NaiveDate};

/// Joins a configured prefix (`staging/`, `lake`, or empty) and a rest with one `/`.
pub fn join_prefix(prefix: &str, rest: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        rest.to_string()
    } else {
        format!("{prefix}/{rest}")
    }
}

/// The Parquet file of one tenant, month and export date:
/// `<lake>/smartgo_sales/tenant_id=T/year=YYYY/month=MM/<export_date>.parquet`. A re-run of
/// the same date writes the same key.
pub fn partition_key(lake_prefix: &str, tenant_id: &str, export_date: NaiveDate) -> String {
    join_prefix(
        lake_prefix,
        &format!(
            "smartgo_sales/tenant_id={tenant_id}/year={:04}/month={:02}/{export_date}.parquet",
            export_date.year(),
            export_date.month()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_keys_follow_the_hive_layout() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            partition_key("lake/", "acme", d),
            "lake/smartgo_sales/tenant_id=acme/year=2026/month=03/2026-03-09.parquet"
        );
        assert_eq!(
            partition_key("", "acme", d),
            "smartgo_sales/tenant_id=acme/year=2026/month=03/2026-03-09.parquet"
        );
        assert_eq!(join_prefix("/staging/", "x"), "staging/x");
    }
}
