//! Importing the lake's Hive-style objects into a table ([`LakeTables::import_hive`]):
//! the Parquet files the pipelines wrote before the tables existed
//! (`…/tenant_id=T/year=YYYY/month=MM/<name>.parquet`) become data files of the table
//! without being rewritten.
//!
//! - **Copied, not re-encoded.** S3 Tables keeps a table's data in the table's own
//!   warehouse location, and its S3 API has no `CopyObject`: each file is read and put,
//!   byte for byte, under `<table location>/data/hive-import/<key below the prefix>`;
//!   then every copied file is appended in **one** snapshot whose batch id is derived
//!   from the copied paths (`hive-import-<hash>`), so a racing second import of the same
//!   files appends nothing.
//! - **Nothing twice.** A file already imported (its copy is in the table) is skipped, and
//!   so is a file whose tenant and dates the table already holds (rows the pipelines
//!   committed since, or an earlier import of another copy): importing it would count
//!   those rows twice. A re-run after a failure copies what is missing and commits once.
//! - **Nothing lost.** A file that is not a lake file of the dataset (another schema, two
//!   tenants in one file, no statistics) is reported with the reason and the rest are
//!   imported; the sources are never modified or deleted.
//! - Memory: one file's bytes per copy in flight ([`COPIES_IN_FLIGHT`]); the lake writes a
//!   file per tenant and day, megabytes each.

use std::collections::BTreeSet;

use aws_sdk_s3::primitives::ByteStream;
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::commit::{LiveFile, partition_tenant};
use crate::datafile::{data_file, read_footer};
use crate::error::{LakeTablesError, aws_error};
use crate::schema::Dataset;
use crate::tables::LakeTables;

/// How many files are copied at once.
pub const COPIES_IN_FLIGHT: usize = 4;

/// Where imported files go under a table's `data/`.
const IMPORT_DIR: &str = "hive-import";

/// What [`LakeTables::import_hive`] did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The table (`namespace.table`).
    pub table: String,
    /// The `s3://bucket/prefix` imported from.
    pub source: String,
    /// Parquet objects found under the prefix.
    pub found: usize,
    /// Files imported (or, in a dry run, to import).
    pub imported: Vec<ImportedFile>,
    /// Files already in the table, or whose rows it already holds.
    pub skipped: Vec<SkippedFile>,
    /// Files that are not lake files of the dataset, with the reason: not imported.
    pub refused: Vec<SkippedFile>,
    /// Rows imported.
    pub rows: u64,
    /// The snapshot the import committed, or the current one when nothing was committed.
    pub snapshot_id: Option<i64>,
    /// Whether a snapshot was committed.
    pub committed: bool,
    /// The table's metadata file afterwards.
    pub metadata_location: String,
    /// Nothing was copied or committed.
    pub dry_run: bool,
}

/// A file [`LakeTables::import_hive`] imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedFile {
    /// The Hive-style object (`s3://…`).
    pub source: String,
    /// Its copy under the table's location, as the table lists it.
    pub uri: String,
    /// Its tenant.
    pub tenant: String,
    /// The first date of its rows.
    pub first_date: String,
    /// The last date of its rows.
    pub last_date: String,
    /// Its rows.
    pub rows: u64,
}

/// A file [`LakeTables::import_hive`] left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    /// The Hive-style object (`s3://…`).
    pub source: String,
    /// Why it was not imported.
    pub reason: String,
}

/// A source file checked and ready to copy.
struct Planned {
    file: ImportedFile,
    key: String,
    name: String,
}

impl LakeTables {
    /// Imports the Hive-style Parquet files under `source` (`s3://bucket/prefix`) into
    /// `dataset`'s table (created when missing): see the module docs. `progress` is
    /// called with (files copied, files to copy) as the copies finish. With `dry_run`,
    /// reports what it would import and changes nothing.
    ///
    /// # Errors
    /// A `source` that is not `s3://bucket[/prefix]` ([`LakeTablesError::InvalidInput`]),
    /// a failed listing, copy or commit. A failed copy leaves the table unchanged; a
    /// re-run copies again and commits once.
    pub async fn import_hive(
        &self,
        dataset: Dataset,
        source: &str,
        dry_run: bool,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<ImportReport, LakeTablesError> {
        let (bucket, prefix) = parse_source(source)?;
        self.ensure_table(dataset).await?;
        let table = self.table(dataset);
        let current = table.load().await?;
        let location = current
            .metadata
            .location()
            .trim_end_matches('/')
            .to_string();
        let live = table.live_files(&current).await?;
        let live_paths: BTreeSet<&str> = live.iter().map(|f| f.path.as_str()).collect();
        let schema = dataset
            .schema()
            .map_err(|reason| LakeTablesError::TableDiffers {
                table: table.display(),
                reason,
            })?;

        let keys = self.parquet_keys(bucket, prefix).await?;
        let mut report = ImportReport {
            table: table.display(),
            source: source.to_string(),
            found: keys.len(),
            imported: Vec::new(),
            skipped: Vec::new(),
            refused: Vec::new(),
            rows: 0,
            snapshot_id: current.metadata.current_snapshot_id(),
            committed: false,
            metadata_location: current.location.clone(),
            dry_run,
        };
        let mut planned = Vec::new();
        for key in keys {
            let uri = format!("s3://{bucket}/{key}");
            let relative = key[prefix.len()..].trim_start_matches('/');
            if !relative.split('/').any(|s| s.starts_with("tenant_id=")) {
                report.refused.push(SkippedFile {
                    source: uri,
                    reason: "not under a tenant_id=… directory: not a Hive-style lake partition"
                        .into(),
                });
                continue;
            }
            let name = format!("{IMPORT_DIR}/{relative}");
            let copy = format!("{location}/data/{name}");
            if live_paths.contains(copy.as_str()) {
                report.skipped.push(SkippedFile {
                    source: uri,
                    reason: format!("already imported as {copy}"),
                });
                continue;
            }
            // The entry of the source file itself: its tenant, dates and rows.
            let checked = match read_footer(self.s3(), &uri).await {
                Ok((size, footer)) => data_file(&uri, size, &footer, dataset, &schema, 0),
                Err(e) => Err(e),
            };
            let entry = match checked {
                Ok(entry) => entry,
                Err(
                    e @ (LakeTablesError::DataFile { .. } | LakeTablesError::InvalidInput { .. }),
                ) => {
                    report.refused.push(SkippedFile {
                        source: uri,
                        reason: e.to_string(),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            let (first, last) = crate::commit::date_bounds(&table, &entry)?;
            let Some(tenant) = partition_tenant(&entry) else {
                report.refused.push(SkippedFile {
                    source: uri,
                    reason: "has no tenant partition".into(),
                });
                continue;
            };
            if let Some(holder) = overlapping(&live, &tenant, first, last) {
                report.skipped.push(SkippedFile {
                    source: uri,
                    reason: format!(
                        "the table already holds tenant {tenant}'s rows of {} to {} ({}): importing would count them twice",
                        holder.first_date, holder.last_date, holder.path
                    ),
                });
                continue;
            }
            planned.push(Planned {
                file: ImportedFile {
                    source: uri,
                    uri: copy,
                    tenant,
                    first_date: first.to_string(),
                    last_date: last.to_string(),
                    rows: entry.record_count(),
                },
                key,
                name,
            });
        }
        report.rows = planned.iter().map(|p| p.file.rows).sum();
        if dry_run || planned.is_empty() {
            report.imported = planned.into_iter().map(|p| p.file).collect();
            return Ok(report);
        }

        let total = planned.len();
        let copied = std::sync::atomic::AtomicUsize::new(0);
        let uris: Vec<String> = stream::iter(planned.iter())
            .map(|p| async {
                let bytes = self.read_object(bucket, &p.key, &p.file.source).await?;
                let uri = self.put_data_file(&location, &p.name, bytes).await?;
                let done = copied.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(done, total);
                Ok::<_, LakeTablesError>(uri)
            })
            .buffer_unordered(COPIES_IN_FLIGHT)
            .try_collect()
            .await?;
        let outcome = self.append(dataset, &uris, &batch_id(&uris)).await?;
        report.snapshot_id = outcome.snapshot_id;
        report.committed = outcome.committed;
        report.metadata_location = outcome.metadata_location;
        report.imported = planned.into_iter().map(|p| p.file).collect();
        Ok(report)
    }

    /// The keys of the `.parquet` objects under `prefix`, sorted.
    async fn parquet_keys(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<String>, LakeTablesError> {
        let mut pages = self
            .s3()
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("s3", "ListObjectsV2", &e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .filter(|k| k.ends_with(".parquet"))
                    .map(str::to_string),
            );
        }
        keys.sort();
        Ok(keys)
    }

    async fn read_object(
        &self,
        bucket: &str,
        key: &str,
        uri: &str,
    ) -> Result<Vec<u8>, LakeTablesError> {
        let object = self
            .s3()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| aws_error("s3", "GetObject", &e))?;
        let body: ByteStream = object.body;
        let bytes = body
            .collect()
            .await
            .map_err(|e| LakeTablesError::DataFile {
                path: uri.to_string(),
                reason: format!("reading it failed: {e}"),
            })?;
        Ok(bytes.into_bytes().to_vec())
    }
}

/// `s3://bucket[/prefix]` → (bucket, prefix).
fn parse_source(source: &str) -> Result<(&str, &str), LakeTablesError> {
    let bad = || LakeTablesError::InvalidInput {
        field: "source",
        reason: format!("\"{source}\" is not s3://bucket[/prefix]"),
    };
    let rest = source.strip_prefix("s3://").ok_or_else(bad)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(bad());
    }
    Ok((bucket, prefix))
}

/// A file of the table holding rows of `tenant` between `first` and `last`.
fn overlapping<'a>(
    live: &'a [LiveFile],
    tenant: &str,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
) -> Option<&'a LiveFile> {
    live.iter().find(|f| {
        f.tenant.as_deref() == Some(tenant) && f.first_date <= last && first <= f.last_date
    })
}

/// The batch id of an import of `uris`: the same files, the same id.
fn batch_id(uris: &[String]) -> String {
    let mut sorted: Vec<&str> = uris.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut hash = Sha256::new();
    for uri in sorted {
        hash.update(uri.as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{IMPORT_DIR}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_source_is_a_bucket_and_an_optional_prefix() {
        assert_eq!(parse_source("s3://lake/sales").unwrap(), ("lake", "sales"));
        assert_eq!(parse_source("s3://lake").unwrap(), ("lake", ""));
        for bad in ["lake/sales", "s3://", "s3:///sales", "https://lake/sales"] {
            let err = parse_source(bad).unwrap_err();
            assert!(err.to_string().contains("source"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_same_files_give_the_same_batch_in_any_order() {
        let a = vec!["s3://w/data/a".to_string(), "s3://w/data/b".to_string()];
        let b = vec!["s3://w/data/b".to_string(), "s3://w/data/a".to_string()];
        assert_eq!(batch_id(&a), batch_id(&b));
        assert_ne!(batch_id(&a), batch_id(&a[..1]));
        assert!(batch_id(&a).starts_with("hive-import-"));
    }

    #[test]
    fn only_the_same_tenant_and_intersecting_dates_overlap() {
        let live = vec![LiveFile {
            path: "s3://w/data/x".into(),
            tenant: Some("acme".into()),
            first_date: day("2026-11-02"),
            last_date: day("2026-11-04"),
            records: 3,
        }];
        assert!(overlapping(&live, "acme", day("2026-11-04"), day("2026-11-05")).is_some());
        assert!(overlapping(&live, "acme", day("2026-11-01"), day("2026-11-01")).is_none());
        assert!(overlapping(&live, "other", day("2026-11-03"), day("2026-11-03")).is_none());
    }
}
