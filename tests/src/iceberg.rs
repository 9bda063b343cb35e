//! Reading a lake table back with **pyiceberg** (`scripts/read_iceberg_table.py`), an
//! Iceberg implementation independent of the Rust crates that wrote it: what the tests
//! assert on and the demos print (schema, partition spec, snapshots, rows per partition
//! and date, distinct sale ids, the previous snapshot's rows).

use std::process::Command;

use serde_json::Value;

use crate::workspace_root;

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
