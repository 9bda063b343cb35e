//! Reading a lake table back with **pyiceberg** (`scripts/read_iceberg_table.py`), an
//! Iceberg implementation independent of the Rust crates that wrote it: what the tests
//! assert on and the demos print (schema, partition spec, snapshots, rows per partition
//! and date, distinct sale ids, the previous snapshot's rows).

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use stepwise_lake_tables::storage::parse_s3_uri;
use stepwise_lake_tables::{Dataset, LakeTables};

use crate::{MotoServer, workspace_root};

/// pyiceberg's view of the table whose current metadata file is `metadata_location`,
/// its files served by the S3 endpoint `endpoint` (moto). `date_column` is the table's
/// date column (`export_date`, `sold_date`).
///
/// # Panics
/// When the project's Python environment (`.venv`, `scripts/python-env.sh`) is missing
/// or pyiceberg fails: a missing tool is a test failure, never a skip.
pub fn read_table(metadata_location: &str, date_column: &str, endpoint: &str) -> Value {
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} missing: run scripts/python-env.sh (it installs pyiceberg)",
        python.display()
    );
    let output = Command::new(python)
        .arg(root.join("scripts/read_iceberg_table.py"))
        .args([metadata_location, date_column, endpoint])
        .output()
        .expect("run read_iceberg_table.py");
    assert!(
        output.status.success(),
        "pyiceberg failed on {metadata_location}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("read_iceberg_table.py prints JSON")
}

/// What the demos do with a lake table: print its snapshots (from its metadata: id,
/// operation, the batch or date each committed, total rows) and pyiceberg's row counts,
/// and copy its current metadata JSON to `<out_dir>/tables/<table>.metadata.json`.
/// Returns pyiceberg's view ([`read_table`]).
///
/// # Errors
/// A failed S3 Tables or S3 call, or a metadata location that is not an `s3://` URI.
///
/// # Panics
/// As [`read_table`].
pub async fn print_table(
    moto: &MotoServer,
    table_bucket: &str,
    namespace: &str,
    dataset: Dataset,
    out_dir: &Path,
) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let tables = LakeTables::ensure(&moto.sdk_config(), table_bucket, namespace).await?;
    let name = format!("{namespace}.{}", dataset.table_name());
    println!("Iceberg table {name} (S3 table bucket {table_bucket}):");
    for s in tables.snapshots(dataset).await? {
        let what = match (&s.batch_id, &s.replaced_date) {
            (Some(batch), _) => format!(" (batch {batch})"),
            (None, Some(date)) => format!(" (replaces {date})"),
            (None, None) => String::new(),
        };
        println!(
            "  snapshot {} {}{what}  total rows {}",
            s.snapshot_id,
            s.operation,
            s.total_records.map(|n| n.to_string()).unwrap_or_default()
        );
    }
    let location = tables.metadata_location(dataset).await?;
    let table = read_table(&location, dataset.date_column(), &moto.endpoint());
    let current = &table["current"];
    println!(
        "  pyiceberg reads {} rows, {} distinct sale ids; per tenant/month {}",
        current["count"], current["distinct_sale_ids"], current["per_partition"]
    );
    let (bucket, key) =
        parse_s3_uri(&location).ok_or_else(|| format!("not an s3:// URI: {location}"))?;
    let object = tables
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await?;
    let dir = out_dir.join("tables");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join(format!("{}.metadata.json", dataset.table_name())),
        object.body.collect().await?.into_bytes(),
    )?;
    Ok(table)
}
