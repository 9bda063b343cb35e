//! `stepwise lake import`: imports the Hive-style lake objects of earlier runs
//! (`…/tenant_id=T/year=YYYY/month=MM/*.parquet`) into a lake table of S3 Tables
//! (`LakeTables::import_hive`: copied byte for byte under the table's location, appended
//! in one snapshot; files already in the table, or whose tenant and dates it already
//! holds, are skipped), on the endpoints of the standard AWS environment (moto locally).
//!
//! Output: the import report as JSON on stdout (imported, skipped and refused files with
//! reasons, the snapshot and metadata location), progress on stderr; exit 0 when every
//! Parquet object was imported or skipped, 1 when any was refused (the rest are imported:
//! fix or remove the refused ones and run it again).

use std::process::ExitCode;

use clap::Args;
use stepwise_lake_tables::{Dataset, LakeTables};
use stepwise_runtime::aws::Aws;

use super::CliError;
use crate::output;

/// `stepwise lake import` flags.
#[derive(Debug, Args)]
pub struct ImportFlags {
    /// The table to import into.
    #[arg(long, value_name = "TABLE", value_parser = ["smartgo_sales", "sales_history"])]
    pub dataset: String,
    /// Where the Hive-style objects are: `s3://bucket/prefix` (e.g.
    /// `s3://lake/pricing-intelligence/smartgo_sales`).
    #[arg(long = "from", value_name = "S3_URI")]
    pub source: String,
    /// The S3 table bucket: its name (created when missing, as in local runs) or its
    /// ARN (a deployment's `LakeTableBucketArn` output; used as it is).
    #[arg(long, value_name = "NAME|ARN")]
    pub table_bucket: String,
    /// The namespace of the tables (created when missing).
    #[arg(long, value_name = "NAME")]
    pub namespace: String,
    /// Report what would be imported; copy and commit nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the import and prints its report.
pub fn import(flags: ImportFlags) -> Result<ExitCode, CliError> {
    let dataset = Dataset::ALL
        .into_iter()
        .find(|d| d.table_name() == flags.dataset)
        .ok_or_else(|| CliError::Usage(format!("unknown dataset {}", flags.dataset)))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    let report = runtime.block_on(async {
        let aws = Aws::from_env();
        let tables =
            LakeTables::ensure(aws.config().await, &flags.table_bucket, &flags.namespace).await?;
        let progress = |done: usize, total: usize| {
            if done == total || done.is_multiple_of(25) {
                eprintln!("lake import: {done}/{total} files copied");
            }
        };
        tables
            .import_hive(dataset, &flags.source, flags.dry_run, &progress)
            .await
    });
    let report = report.map_err(|e| CliError::Message(format!("lake import: {e}")))?;
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::Message(format!("encoding the report: {e}")))?;
    output::outln(&text)?;
    eprintln!(
        "lake import into {}: {} Parquet objects, {} {} ({} rows), {} skipped, {} refused{}",
        report.table,
        report.found,
        report.imported.len(),
        if report.dry_run {
            "to import"
        } else {
            "imported"
        },
        report.rows,
        report.skipped.len(),
        report.refused.len(),
        match (report.committed, report.snapshot_id) {
            (true, Some(id)) => format!("; snapshot {id}"),
            _ => String::new(),
        }
    );
    for refused in &report.refused {
        eprintln!("refused {}: {}", refused.source, refused.reason);
    }
    Ok(if report.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
