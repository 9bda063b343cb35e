//! Snapshots committed by this crate: an append (tagged with a batch id, skipped when a
//! snapshot of the table's history already carries it) or the replacement of one date's
//! files, written with the iceberg crate's spec types (manifest and manifest list
//! writers, the table metadata builder) and committed with S3 Tables'
//! `UpdateTableMetadataLocation` and the table's version token — Iceberg's optimistic
//! concurrency. A commit that loses to another writer (`ConflictException`) reloads the
//! table and redoes the whole snapshot (including the batch-id check) after a jittered
//! exponential backoff, up to [`CommitRetry::attempts`] times; then it is
//! [`LakeTablesError::CommitConflict`] (`Throttled`).
//!
//! Why not iceberg's `Transaction`: iceberg 0.10 has only `fast_append` (no delete-files
//! or overwrite action), its `TransactionAction` trait is crate-private and
//! `TableCommit` cannot be built outside the crate, so neither a custom action nor a
//! custom commit can go through `Catalog::update_table`; and its retry loop re-applies
//! an append on the refreshed table without re-checking the batch id, so two racing
//! runs of one batch would both append.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;
use iceberg::io::FileIO;
use iceberg::spec::{
    DataFile, FormatVersion, Literal, MAIN_BRANCH, ManifestContentType, ManifestFile, ManifestList,
    ManifestListWriter, ManifestWriterBuilder, Operation, PrimitiveLiteral, Snapshot,
    SnapshotSummaryCollector, Summary, TableMetadata,
};
use iceberg::{Error as IcebergError, ErrorKind, MetadataLocation};
use uuid::Uuid;

use crate::datafile::day;
use crate::error::{LakeTablesError, aws_error};
use crate::schema::{BATCH_ID_PROPERTY, Dataset, REPLACED_DATE_PROPERTY};

/// How a commit that lost to a concurrent writer is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitRetry {
    /// Attempts in all (the first included).
    pub attempts: u32,
    /// The first backoff; doubled after each conflict.
    pub base: Duration,
    /// The longest backoff.
    pub max: Duration,
}

impl Default for CommitRetry {
    fn default() -> Self {
        CommitRetry {
            attempts: 8,
            base: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }
}

impl CommitRetry {
    /// The backoff after the `n`th conflict (1-based): full jitter over
    /// `min(max, base * 2^(n-1))`.
    pub fn backoff(&self, n: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
            .min(self.max);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=millis))
    }
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    /// The new snapshot; when nothing was committed, the one that already carried the
    /// batch (or the current one, `None` for a table without snapshots).
    pub snapshot_id: Option<i64>,
    /// False when nothing was committed (the batch was already in the table).
    pub committed: bool,
    /// Data files added.
    pub added_files: usize,
    /// Data files removed (replaced).
    pub removed_files: usize,
    /// Rows removed (replaced).
    pub removed_records: u64,
    /// How many attempts the commit took (1 without conflict).
    pub attempts: u32,
    /// The table's metadata file afterwards.
    pub metadata_location: String,
}

/// One change to a table.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// Add these files, once per batch id.
    Append {
        /// The files.
        files: Vec<DataFile>,
        /// The batch.
        batch_id: String,
    },
    /// Remove every file of this date, add these.
    ReplaceDate {
        /// The date.
        date: NaiveDate,
        /// The files.
        files: Vec<DataFile>,
    },
}

/// The table as S3 Tables has it now.
pub(crate) struct Current {
    pub metadata: TableMetadata,
    pub location: String,
    pub version_token: String,
}

/// Where a table lives in S3 Tables.
pub(crate) struct TableRef<'a> {
    pub s3tables: &'a aws_sdk_s3tables::Client,
    pub file_io: &'a FileIO,
    pub bucket_arn: &'a str,
    pub namespace: &'a str,
    pub dataset: Dataset,
}

impl TableRef<'_> {
    pub fn display(&self) -> String {
        format!("{}.{}", self.namespace, self.dataset.table_name())
    }

    /// The table's metadata and version token.
    pub async fn load(&self) -> Result<Current, LakeTablesError> {
        let table = self
            .s3tables
            .get_table()
            .table_bucket_arn(self.bucket_arn)
            .namespace(self.namespace)
            .name(self.dataset.table_name())
            .send()
            .await
            .map_err(|e| aws_error("s3tables", "GetTable", &e))?;
        let location = table
            .metadata_location()
            .ok_or_else(|| LakeTablesError::TableDiffers {
                table: self.display(),
                reason: "exists without a metadata location (a create that failed half-way): delete the table and ensure it again".into(),
            })?
            .to_string();
        let metadata = TableMetadata::read_from(self.file_io, &location)
            .await
            .map_err(LakeTablesError::iceberg(self.display()))?;
        Ok(Current {
            metadata,
            location,
            version_token: table.version_token,
        })
    }

    /// Commits `change`, retrying conflicts (see the module docs).
    pub async fn commit(
        &self,
        change: &Change,
        retry: CommitRetry,
    ) -> Result<CommitOutcome, LakeTablesError> {
        let attempts = retry.attempts.max(1);
        for attempt in 1..=attempts {
            let current = self.load().await?;
            let produced = produce(self, &current, change).await?;
            let mut outcome = match produced {
                Produced::Nothing(snapshot_id) => {
                    return Ok(CommitOutcome {
                        snapshot_id,
                        committed: false,
                        added_files: 0,
                        removed_files: 0,
                        removed_records: 0,
                        attempts: attempt,
                        metadata_location: current.location,
                    });
                }
                Produced::Snapshot(outcome) => outcome,
            };
            let sent = self
                .s3tables
                .update_table_metadata_location()
                .table_bucket_arn(self.bucket_arn)
                .namespace(self.namespace)
                .name(self.dataset.table_name())
                .version_token(&current.version_token)
                .metadata_location(&outcome.metadata_location)
                .send()
                .await;
            match sent {
                Ok(_) => {
                    outcome.attempts = attempt;
                    tracing::info!(
                        table = %self.display(),
                        snapshot_id = ?outcome.snapshot_id,
                        added_files = outcome.added_files,
                        removed_files = outcome.removed_files,
                        attempt,
                        "committed an Iceberg snapshot"
                    );
                    return Ok(outcome);
                }
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_conflict_exception()) =>
                {
                    tracing::warn!(table = %self.display(), attempt, "commit conflict; retrying");
                    if attempt < attempts {
                        tokio::time::sleep(retry.backoff(attempt)).await;
                    }
                }
                Err(err) => return Err(aws_error("s3tables", "UpdateTableMetadataLocation", &err)),
            }
        }
        Err(LakeTablesError::CommitConflict {
            table: self.display(),
            attempts,
        })
    }
}

impl TableRef<'_> {
    /// The manifests of `current`'s current snapshot (none without a snapshot).
    async fn current_manifests(
        &self,
        current: &Current,
    ) -> Result<Vec<ManifestFile>, LakeTablesError> {
        let metadata = &current.metadata;
        let Some(snapshot) = metadata.current_snapshot() else {
            return Ok(Vec::new());
        };
        let bytes = self
            .file_io
            .new_input(snapshot.manifest_list())
            .map_err(LakeTablesError::iceberg(self.display()))?
            .read()
            .await
            .map_err(LakeTablesError::iceberg(self.display()))?;
        let list = ManifestList::parse_with_version(&bytes, metadata.format_version())
            .map_err(LakeTablesError::iceberg(self.display()))?;
        // Collected: the iterator is not `Send`, and callers await while walking it.
        Ok(list.consume_entries().into_iter().collect())
    }

    /// The data files of `current`'s current snapshot: what a reader of the table reads.
    pub async fn live_files(&self, current: &Current) -> Result<Vec<LiveFile>, LakeTablesError> {
        let mut out = Vec::new();
        for manifest_file in self.current_manifests(current).await? {
            if manifest_file.content != ManifestContentType::Data {
                continue;
            }
            let manifest = manifest_file
                .load_manifest(self.file_io)
                .await
                .map_err(LakeTablesError::iceberg(self.display()))?;
            for entry in manifest.entries().iter().filter(|e| e.is_alive()) {
                let file = entry.data_file();
                let (first_date, last_date) = date_bounds(self, file)?;
                out.push(LiveFile {
                    path: file.file_path().to_string(),
                    tenant: partition_tenant(file),
                    first_date,
                    last_date,
                    records: file.record_count(),
                });
            }
        }
        Ok(out)
    }
}

/// A data file in a table's current snapshot ([`TableRef::live_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveFile {
    /// Its `s3://` URI.
    pub path: String,
    /// Its tenant partition value.
    pub tenant: Option<String>,
    /// The first date of its rows.
    pub first_date: NaiveDate,
    /// The last date of its rows.
    pub last_date: NaiveDate,
    /// Its rows.
    pub records: u64,
}

/// The tenant of a data file: the first partition field (`identity(tenant_id)`, see
/// [`Dataset::partition_spec`]).
pub(crate) fn partition_tenant(file: &DataFile) -> Option<String> {
    match file.partition().fields().first() {
        Some(Some(Literal::Primitive(PrimitiveLiteral::String(tenant)))) => Some(tenant.clone()),
        _ => None,
    }
}

/// The snapshot that carries `batch_id` among the main branch's ancestors (those the
/// table still keeps).
pub(crate) fn snapshot_with_batch(metadata: &TableMetadata, batch_id: &str) -> Option<i64> {
    let mut next = metadata.current_snapshot_id();
    while let Some(id) = next {
        let snapshot = metadata.snapshot_by_id(id)?;
        if snapshot
            .summary()
            .additional_properties
            .get(BATCH_ID_PROPERTY)
            .is_some_and(|b| b == batch_id)
        {
            return Some(id);
        }
        next = snapshot.parent_snapshot_id();
    }
    None
}

enum Produced {
    /// Nothing to do; the table's current snapshot.
    Nothing(Option<i64>),
    /// The metadata file is written; `metadata_location` is where.
    Snapshot(CommitOutcome),
}

fn unexpected(table: &TableRef<'_>, message: String) -> LakeTablesError {
    LakeTablesError::iceberg(table.display())(IcebergError::new(ErrorKind::Unexpected, message))
}

/// Writes the manifests, manifest list and metadata file of `change` on top of
/// `current` (nothing is visible until the metadata location is updated).
async fn produce(
    table: &TableRef<'_>,
    current: &Current,
    change: &Change,
) -> Result<Produced, LakeTablesError> {
    let metadata = &current.metadata;
    if metadata.format_version() != FormatVersion::V2 {
        return Err(LakeTablesError::TableDiffers {
            table: table.display(),
            reason: format!(
                "format version {} (this crate writes v2)",
                metadata.format_version()
            ),
        });
    }
    let (added, date, batch_id) = match change {
        Change::Append { files, batch_id } => {
            if let Some(id) = snapshot_with_batch(metadata, batch_id) {
                return Ok(Produced::Nothing(Some(id)));
            }
            (files, None, Some(batch_id.as_str()))
        }
        Change::ReplaceDate { date, files } => (files, Some(*date), None),
    };
    let schema = metadata.current_schema().clone();
    let spec = metadata.default_partition_spec().clone();
    let snapshot_id = new_snapshot_id(metadata);
    let commit_uuid = Uuid::new_v4();
    let next_seq = metadata.next_sequence_number();
    let mut counter = 0u32;
    let mut manifest_path = || {
        counter += 1;
        format!(
            "{}/metadata/{commit_uuid}-m{}.avro",
            metadata.location().trim_end_matches('/'),
            counter - 1
        )
    };
    let mut summary = SnapshotSummaryCollector::default();

    // The current snapshot's manifests, rewritten where they hold files of the date.
    let mut manifests: Vec<ManifestFile> = Vec::new();
    let mut removed_files = 0usize;
    let mut removed_records = 0u64;
    if metadata.current_snapshot().is_some() {
        for manifest_file in table.current_manifests(current).await? {
            let Some(date) = date else {
                manifests.push(manifest_file);
                continue;
            };
            if manifest_file.content != ManifestContentType::Data {
                manifests.push(manifest_file);
                continue;
            }
            let manifest = manifest_file
                .load_manifest(table.file_io)
                .await
                .map_err(LakeTablesError::iceberg(table.display()))?;
            let mut remove = Vec::new();
            for entry in manifest.entries().iter().filter(|e| e.is_alive()) {
                if covers_only(table, entry.data_file(), date)? {
                    remove.push(entry.file_path().to_string());
                }
            }
            if remove.is_empty() {
                manifests.push(manifest_file);
                continue;
            }
            let output = table
                .file_io
                .new_output(manifest_path())
                .map_err(LakeTablesError::iceberg(table.display()))?;
            let mut writer = ManifestWriterBuilder::new(
                output,
                Some(snapshot_id),
                schema.clone(),
                (*spec).clone(),
            )
            .build_v2_data();
            for entry in manifest.entries().iter().filter(|e| e.is_alive()) {
                let seq = entry.sequence_number().ok_or_else(|| {
                    unexpected(
                        table,
                        format!("{} has no sequence number", entry.file_path()),
                    )
                })?;
                let file_seq = entry.file_sequence_number.or(Some(seq));
                let data_file = entry.data_file().clone();
                if remove.iter().any(|p| p == entry.file_path()) {
                    removed_files += 1;
                    removed_records += data_file.record_count();
                    summary.remove_file(&data_file, schema.clone(), spec.clone());
                    writer
                        .add_delete_file(data_file, seq, file_seq)
                        .map_err(LakeTablesError::iceberg(table.display()))?;
                } else {
                    let added_by = entry.snapshot_id().ok_or_else(|| {
                        unexpected(table, format!("{} has no snapshot id", entry.file_path()))
                    })?;
                    writer
                        .add_existing_file(data_file, added_by, seq, file_seq)
                        .map_err(LakeTablesError::iceberg(table.display()))?;
                }
            }
            manifests.push(
                writer
                    .write_manifest_file()
                    .await
                    .map_err(LakeTablesError::iceberg(table.display()))?,
            );
        }
    }

    // The new files.
    if !added.is_empty() {
        let output = table
            .file_io
            .new_output(manifest_path())
            .map_err(LakeTablesError::iceberg(table.display()))?;
        let mut writer =
            ManifestWriterBuilder::new(output, Some(snapshot_id), schema.clone(), (*spec).clone())
                .build_v2_data();
        for file in added {
            if let Some(date) = date {
                check_date(table, file, date)?;
            }
            summary.add_file(file, schema.clone(), spec.clone());
            writer
                .add_file(file.clone(), -1)
                .map_err(LakeTablesError::iceberg(table.display()))?;
        }
        manifests.push(
            writer
                .write_manifest_file()
                .await
                .map_err(LakeTablesError::iceberg(table.display()))?,
        );
    }

    let operation = match (added.is_empty(), removed_files == 0) {
        (false, true) => Operation::Append,
        (false, false) => Operation::Overwrite,
        (true, false) => Operation::Delete,
        // Replacing a date with nothing where the table has nothing of it.
        (true, true) => return Ok(Produced::Nothing(metadata.current_snapshot_id())),
    };
    let mut properties = summary.build();
    if let Some(batch_id) = batch_id {
        properties.insert(BATCH_ID_PROPERTY.to_string(), batch_id.to_string());
    }
    if let Some(date) = date {
        properties.insert(REPLACED_DATE_PROPERTY.to_string(), date.to_string());
    }
    add_totals(
        &mut properties,
        metadata.current_snapshot().map(|s| s.summary()),
    );

    let list_path = format!(
        "{}/metadata/snap-{snapshot_id}-0-{commit_uuid}.avro",
        metadata.location().trim_end_matches('/')
    );
    let list_output = table
        .file_io
        .new_output(&list_path)
        .map_err(LakeTablesError::iceberg(table.display()))?;
    let mut list_writer = ManifestListWriter::v2(
        list_output
            .writer()
            .await
            .map_err(LakeTablesError::iceberg(table.display()))?,
        snapshot_id,
        metadata.current_snapshot_id(),
        next_seq,
    );
    list_writer
        .add_manifests(manifests.into_iter())
        .map_err(LakeTablesError::iceberg(table.display()))?;
    list_writer
        .close()
        .await
        .map_err(LakeTablesError::iceberg(table.display()))?;

    let snapshot = Snapshot::builder()
        .with_snapshot_id(snapshot_id)
        .with_parent_snapshot_id(metadata.current_snapshot_id())
        .with_sequence_number(next_seq)
        .with_timestamp_ms(chrono::Utc::now().timestamp_millis())
        .with_manifest_list(list_path)
        .with_summary(Summary {
            operation,
            additional_properties: properties,
        })
        .with_schema_id(metadata.current_schema_id())
        .build();
    let next = metadata
        .clone()
        .into_builder(Some(current.location.clone()))
        .set_branch_snapshot(snapshot, MAIN_BRANCH)
        .and_then(|b| b.build())
        .map_err(LakeTablesError::iceberg(table.display()))?
        .metadata;
    let location = MetadataLocation::from_str(&current.location)
        .map_err(LakeTablesError::iceberg(table.display()))?
        .with_next_version()
        .with_new_metadata(&next);
    next.write_to(table.file_io, &location)
        .await
        .map_err(LakeTablesError::iceberg(table.display()))?;
    Ok(Produced::Snapshot(CommitOutcome {
        snapshot_id: Some(snapshot_id),
        committed: true,
        added_files: added.len(),
        removed_files,
        removed_records,
        attempts: 0,
        metadata_location: location.to_string(),
    }))
}

/// Whether `file` holds rows of `date` only (it is replaced), of other dates only (it
/// stays); a file with rows of `date` and others is [`LakeTablesError::MixedDates`].
fn covers_only(
    table: &TableRef<'_>,
    file: &DataFile,
    date: NaiveDate,
) -> Result<bool, LakeTablesError> {
    let (lower, upper) = date_bounds(table, file)?;
    if upper < date || lower > date {
        return Ok(false);
    }
    if lower == date && upper == date {
        return Ok(true);
    }
    Err(LakeTablesError::MixedDates {
        table: table.display(),
        date: date.to_string(),
        path: file.file_path().to_string(),
        lower: lower.to_string(),
        upper: upper.to_string(),
    })
}

/// A file added by `replace_date` must hold that date only.
fn check_date(
    table: &TableRef<'_>,
    file: &DataFile,
    date: NaiveDate,
) -> Result<(), LakeTablesError> {
    let (lower, upper) = date_bounds(table, file)?;
    if lower == date && upper == date {
        return Ok(());
    }
    Err(LakeTablesError::DataFile {
        path: file.file_path().to_string(),
        reason: format!(
            "holds {} from {lower} to {upper}, not only the replaced date {date}",
            table.dataset.date_column()
        ),
    })
}

/// The first and last date of `file`'s rows, from its manifest entry's bounds.
pub(crate) fn date_bounds(
    table: &TableRef<'_>,
    file: &DataFile,
) -> Result<(NaiveDate, NaiveDate), LakeTablesError> {
    let missing = || LakeTablesError::DataFile {
        path: file.file_path().to_string(),
        reason: format!(
            "its manifest entry has no bounds for {}, so which dates it holds is unknown",
            table.dataset.date_column()
        ),
    };
    let schema = table
        .dataset
        .schema()
        .map_err(|reason| LakeTablesError::TableDiffers {
            table: table.display(),
            reason,
        })?;
    let id = schema
        .field_by_name(table.dataset.date_column())
        .map(|f| f.id)
        .ok_or_else(missing)?;
    let lower = file
        .lower_bounds()
        .get(&id)
        .and_then(day)
        .ok_or_else(missing)?;
    let upper = file
        .upper_bounds()
        .get(&id)
        .and_then(day)
        .ok_or_else(missing)?;
    Ok((lower, upper))
}

/// A positive snapshot id no snapshot of the table has.
fn new_snapshot_id(metadata: &TableMetadata) -> i64 {
    loop {
        let (a, b) = Uuid::new_v4().as_u64_pair();
        let id = ((a ^ b) & (i64::MAX as u64)) as i64;
        if id != 0 && metadata.snapshot_by_id(id).is_none() {
            return id;
        }
    }
}

/// `total-*` from the previous snapshot's totals and this snapshot's `added-*` /
/// `deleted-*` (iceberg 0.10's own helper for this is crate-private).
fn add_totals(properties: &mut HashMap<String, String>, previous: Option<&Summary>) {
    let get = |map: &HashMap<String, String>, key: &str| -> i64 {
        map.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    let empty = HashMap::new();
    let before = previous.map_or(&empty, |s| &s.additional_properties);
    let totals = [
        ("total-data-files", "added-data-files", "deleted-data-files"),
        ("total-records", "added-records", "deleted-records"),
        ("total-files-size", "added-files-size", "removed-files-size"),
        (
            "total-delete-files",
            "added-delete-files",
            "removed-delete-files",
        ),
        (
            "total-position-deletes",
            "added-position-deletes",
            "removed-position-deletes",
        ),
        (
            "total-equality-deletes",
            "added-equality-deletes",
            "removed-equality-deletes",
        ),
    ];
    for (total, added, removed) in totals {
        let value = get(before, total) + get(properties, added) - get(properties, removed);
        properties.insert(total.to_string(), value.max(0).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let retry = CommitRetry {
            attempts: 5,
            base: Duration::from_millis(100),
            max: Duration::from_millis(400),
        };
        for _ in 0..50 {
            assert!(retry.backoff(1) <= Duration::from_millis(100));
            assert!(retry.backoff(3) <= Duration::from_millis(400));
            assert!(retry.backoff(30) <= Duration::from_millis(400));
        }
    }

    #[test]
    fn totals_carry_over_and_subtract_removed_files() {
        let previous = Summary {
            operation: Operation::Append,
            additional_properties: HashMap::from([
                ("total-data-files".to_string(), "4".to_string()),
                ("total-records".to_string(), "40".to_string()),
            ]),
        };
        let mut now = HashMap::from([
            ("added-data-files".to_string(), "1".to_string()),
            ("added-records".to_string(), "7".to_string()),
            ("deleted-data-files".to_string(), "2".to_string()),
            ("deleted-records".to_string(), "20".to_string()),
        ]);
        add_totals(&mut now, Some(&previous));
        assert_eq!(now["total-data-files"], "3");
        assert_eq!(now["total-records"], "27");
        assert_eq!(now["total-delete-files"], "0");
    }
}
