//! The S3 key layout of the export: staging (per run, per sale) and the lake (Hive-style
//! partitions).

use chrono::{Datelike, NaiveDate};

/// Joins a configured prefix (`staging/`, `lake`, or empty) and a rest with one `/`.
fn join(prefix: &str, rest: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        rest.to_string()
    } else {
        format!("{prefix}/{rest}")
    }
}

/// The staging prefix of one run: `<staging>/runs/<export_date>/<run_id>/`.
pub fn run_prefix(staging_prefix: &str, export_date: NaiveDate, run_id: &str) -> String {
    join(staging_prefix, &format!("runs/{export_date}/{run_id}/"))
}

/// The manifest of one run: `<run prefix>sales.jsonl`.
pub fn manifest_key(staging_prefix: &str, export_date: NaiveDate, run_id: &str) -> String {
    format!(
        "{}sales.jsonl",
        run_prefix(staging_prefix, export_date, run_id)
    )
}

/// The staged embedding of one sale — deterministic, so a retried or re-run embedding
/// overwrites instead of duplicating: `<staging>/vectors/<export_date>/<sale_id>.f32`.
pub fn vector_key(staging_prefix: &str, export_date: NaiveDate, sale_id: &str) -> String {
    join(
        staging_prefix,
        &format!("vectors/{export_date}/{sale_id}.f32"),
    )
}

/// The Parquet file of one tenant, month and export date:
/// `<lake>/smartgo_sales/tenant_id=T/year=YYYY/month=MM/<export_date>.parquet`. A re-run of
/// the same date writes the same key.
pub fn partition_key(lake_prefix: &str, tenant_id: &str, export_date: NaiveDate) -> String {
    join(
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
    fn keys_follow_the_layout() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            partition_key("lake/", "acme", d),
            "lake/smartgo_sales/tenant_id=acme/year=2026/month=03/2026-03-09.parquet"
        );
        assert_eq!(
            partition_key("", "acme", d),
            "smartgo_sales/tenant_id=acme/year=2026/month=03/2026-03-09.parquet"
        );
        assert_eq!(
            vector_key("staging", d, "S-1"),
            "staging/vectors/2026-03-09/S-1.f32"
        );
        assert_eq!(
            manifest_key("/staging/", d, "exec-1"),
            "staging/runs/2026-03-09/exec-1/sales.jsonl"
        );
    }
}
