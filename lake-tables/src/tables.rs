//! [`LakeTables`]: the lake's S3 table bucket and namespace, its two tables (created as
//! declared, or checked against the declaration), and the writes the pipelines make —
//! [`LakeTables::append`] and [`LakeTables::replace_date`].

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use chrono::NaiveDate;
use iceberg::io::{FileIO, FileIOBuilder};
use iceberg::spec::{DataFile, Schema};
use iceberg::{Catalog, CatalogBuilder, NamespaceIdent, TableCreation, TableIdent};
use iceberg_catalog_s3tables::{S3TablesCatalog, S3TablesCatalogBuilder};

use crate::commit::{Change, CommitOutcome, CommitRetry, Current, TableRef};
use crate::config::TablesConfig;
use crate::datafile::{data_file, read_footer};
use crate::error::{LakeTablesError, aws_error};
use crate::schema::{BATCH_ID_PROPERTY, Dataset, FORMAT_VERSION, REPLACED_DATE_PROPERTY};
use crate::storage::{SdkS3StorageFactory, parse_s3_uri};

/// One snapshot of a table ([`LakeTables::snapshots`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Its id.
    pub snapshot_id: i64,
    /// The snapshot it was committed on top of.
    pub parent_id: Option<i64>,
    /// Its sequence number (commit order).
    pub sequence_number: i64,
    /// When it was committed, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// `append`, `overwrite`, `delete`, …
    pub operation: String,
    /// The batch an [`LakeTables::append`] committed (`stepwise.batch-id`).
    pub batch_id: Option<String>,
    /// The date a [`LakeTables::replace_date`] replaced (`stepwise.replaced-date`).
    pub replaced_date: Option<String>,
    /// The table's rows after it (`total-records`).
    pub total_records: Option<u64>,
}

/// The lake's table bucket and namespace.
pub struct LakeTables {
    s3: aws_sdk_s3::Client,
    s3tables: aws_sdk_s3tables::Client,
    catalog: S3TablesCatalog,
    file_io: FileIO,
    bucket_arn: String,
    namespace: String,
    retry: CommitRetry,
}

impl std::fmt::Debug for LakeTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeTables")
            .field("bucket_arn", &self.bucket_arn)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// S3 Tables' naming rules for a table bucket and namespace (3–63 characters; lowercase
/// letters, digits and `-` for buckets, `_` for namespaces; starting and ending with a
/// letter or digit).
pub(crate) fn check_name(
    field: &'static str,
    name: &str,
    separator: char,
) -> Result<(), LakeTablesError> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == separator;
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if (3..=63).contains(&name.len())
        && name.chars().all(ok_char)
        && edge(name.chars().next())
        && edge(name.chars().last())
    {
        Ok(())
    } else {
        Err(LakeTablesError::InvalidInput {
            field,
            reason: format!(
                "\"{name}\": 3 to 63 lowercase letters, digits or '{separator}', starting and ending with a letter or digit"
            ),
        })
    }
}

/// The table bucket's name when `bucket` is a table bucket ARN, `None` when it is not an
/// ARN at all.
///
/// # Errors
/// An ARN that is not a table bucket's.
pub(crate) fn bucket_arn_name(bucket: &str) -> Result<Option<&str>, LakeTablesError> {
    if !bucket.starts_with("arn:") {
        return Ok(None);
    }
    let bad = || LakeTablesError::InvalidInput {
        field: "table_bucket",
        reason: format!(
            "\"{bucket}\" is not a table bucket ARN (arn:<partition>:s3tables:<region>:<account>:bucket/<name>)"
        ),
    };
    let parts: Vec<&str> = bucket.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let name = resource.strip_prefix("bucket/").ok_or_else(bad)?;
    if partition.is_empty()
        || *service != "s3tables"
        || region.is_empty()
        || account.len() != 12
        || !account.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    check_name("table_bucket", name, '-')?;
    Ok(Some(name))
}

impl LakeTables {
    /// Finds or creates the table bucket `bucket` and the namespace `namespace` in it,
    /// on the endpoints of `config` (S3 Tables and S3: moto locally, AWS in production).
    ///
    /// `bucket` is a name, looked up with `ListTableBuckets` and created when missing, or
    /// a table bucket ARN (`arn:<partition>:s3tables:<region>:<account>:bucket/<name>`,
    /// what a deployment configures): used as it is, never listed or created, so the
    /// caller needs no account-wide `s3tables:ListTableBuckets` grant.
    ///
    /// # Errors
    /// A bad name or ARN ([`LakeTablesError::InvalidInput`]) or a failed AWS call.
    pub async fn ensure(
        config: &SdkConfig,
        bucket: &str,
        namespace: &str,
    ) -> Result<Self, LakeTablesError> {
        let given_arn = bucket_arn_name(bucket)?;
        if given_arn.is_none() {
            check_name("table_bucket", bucket, '-')?;
        }
        check_name("namespace", namespace, '_')?;
        let s3tables = aws_sdk_s3tables::Client::new(config);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(config)
                .force_path_style(config.endpoint_url().is_some())
                .build(),
        );
        let bucket_arn = match given_arn {
            Some(_) => bucket.to_string(),
            None => ensure_bucket(&s3tables, bucket).await?,
        };
        let factory = Arc::new(SdkS3StorageFactory::new(s3.clone()));
        let file_io = FileIOBuilder::new(factory.clone()).build();
        let catalog = S3TablesCatalogBuilder::default()
            .with_client(s3tables.clone())
            .with_table_bucket_arn(&bucket_arn)
            .with_storage_factory(factory)
            .load("stepwise-lake", HashMap::new())
            .await
            .map_err(LakeTablesError::iceberg(bucket))?;
        let ns = NamespaceIdent::new(namespace.to_string());
        let exists = catalog
            .namespace_exists(&ns)
            .await
            .map_err(LakeTablesError::iceberg(namespace))?;
        if !exists {
            match catalog.create_namespace(&ns, HashMap::new()).await {
                Ok(_) => {}
                // Created by a concurrent run in between: fine.
                Err(_) if catalog.namespace_exists(&ns).await.unwrap_or(false) => {}
                Err(e) => return Err(LakeTablesError::iceberg(namespace)(e)),
            }
        }
        Ok(LakeTables {
            s3,
            s3tables,
            catalog,
            file_io,
            bucket_arn,
            namespace: namespace.to_string(),
            retry: CommitRetry::default(),
        })
    }

    /// [`LakeTables::ensure`] for the tables `config` names, and the table of `dataset`
    /// ([`LakeTables::ensure_table`]): what an activity calls before writing.
    ///
    /// # Errors
    /// As [`LakeTables::ensure`] and [`LakeTables::ensure_table`].
    pub async fn open(
        sdk: &SdkConfig,
        config: &TablesConfig,
        dataset: Dataset,
    ) -> Result<Self, LakeTablesError> {
        let tables = Self::ensure(sdk, &config.table_bucket, &config.namespace).await?;
        tables.ensure_table(dataset).await?;
        Ok(tables)
    }

    /// Writes `bytes` (a lake Parquet file of `dataset`) to `<table location>/data/<name>`
    /// and returns its `s3://` URI, ready for [`LakeTables::append`] or
    /// [`LakeTables::replace_date`]. `location` is [`LakeTables::table_location`]'s answer.
    ///
    /// # Errors
    /// A bad name or location ([`LakeTablesError::InvalidInput`]) or a failed `PutObject`.
    pub async fn put_data_file(
        &self,
        location: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<String, LakeTablesError> {
        if name.is_empty() || name.starts_with('/') || name.split('/').any(|s| s == "..") {
            return Err(LakeTablesError::InvalidInput {
                field: "name",
                reason: format!("\"{name}\" is not a relative key"),
            });
        }
        let uri = format!("{}/data/{name}", location.trim_end_matches('/'));
        let (bucket, key) = parse_s3_uri(&uri).ok_or_else(|| LakeTablesError::InvalidInput {
            field: "location",
            reason: format!("\"{location}\" is not an s3:// location"),
        })?;
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(stepwise_lake::PARQUET_CONTENT_TYPE)
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| aws_error("s3", "PutObject", &e))?;
        Ok(uri)
    }

    /// The same tables with another commit retry policy.
    pub fn with_retry(mut self, retry: CommitRetry) -> Self {
        self.retry = retry;
        self
    }

    /// The table bucket's ARN.
    pub fn bucket_arn(&self) -> &str {
        &self.bucket_arn
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The S3 client the tables read and write files with.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    pub(crate) fn table(&self, dataset: Dataset) -> TableRef<'_> {
        TableRef {
            s3tables: &self.s3tables,
            file_io: &self.file_io,
            bucket_arn: &self.bucket_arn,
            namespace: &self.namespace,
            dataset,
        }
    }

    /// Creates the table of `dataset` as declared ([`Dataset::schema`],
    /// [`Dataset::partition_spec`], the name mapping), or checks that the existing one
    /// has that schema and partition spec. Returns the metadata location.
    ///
    /// # Errors
    /// [`LakeTablesError::TableDiffers`] naming the difference, or a failed call.
    pub async fn ensure_table(&self, dataset: Dataset) -> Result<String, LakeTablesError> {
        let table = self.table(dataset);
        let declared = |reason: String| LakeTablesError::TableDiffers {
            table: table.display(),
            reason,
        };
        let schema = dataset.schema().map_err(declared)?;
        let spec = dataset.partition_spec().map_err(declared)?;
        let ident = TableIdent::new(
            NamespaceIdent::new(self.namespace.clone()),
            dataset.table_name().to_string(),
        );
        let exists = self
            .catalog
            .table_exists(&ident)
            .await
            .map_err(LakeTablesError::iceberg(table.display()))?;
        if !exists {
            let creation = TableCreation::builder()
                .name(dataset.table_name().to_string())
                .schema(schema)
                .partition_spec(spec)
                .properties(dataset.properties().map_err(declared)?)
                .format_version(FORMAT_VERSION)
                .build();
            let created = self
                .catalog
                .create_table(ident.namespace(), creation)
                .await
                .map_err(LakeTablesError::iceberg(table.display()))?;
            tracing::info!(table = %table.display(), "created the Iceberg table");
            return created
                .metadata_location()
                .map(str::to_string)
                .ok_or_else(|| LakeTablesError::TableDiffers {
                    table: table.display(),
                    reason: "created without a metadata location".into(),
                });
        }
        let current = table.load().await?;
        check_declared(&table.display(), &current, &schema, dataset)?;
        Ok(current.location)
    }

    /// The current metadata file of `dataset`'s table (what pyiceberg's
    /// `StaticTable.from_metadata` and Athena's `metadata_location` read).
    ///
    /// # Errors
    /// A failed call, or a table without metadata.
    pub async fn metadata_location(&self, dataset: Dataset) -> Result<String, LakeTablesError> {
        Ok(self.table(dataset).load().await?.location)
    }

    /// The snapshots the table keeps, oldest first (what the demo prints and an operator
    /// checks: which batch or date each one committed).
    ///
    /// # Errors
    /// A failed call, or a table without metadata.
    pub async fn snapshots(&self, dataset: Dataset) -> Result<Vec<SnapshotInfo>, LakeTablesError> {
        let current = self.table(dataset).load().await?;
        let mut snapshots: Vec<SnapshotInfo> = current
            .metadata
            .snapshots()
            .map(|s| {
                let properties = &s.summary().additional_properties;
                SnapshotInfo {
                    snapshot_id: s.snapshot_id(),
                    parent_id: s.parent_snapshot_id(),
                    sequence_number: s.sequence_number(),
                    timestamp_ms: s.timestamp_ms(),
                    operation: s.summary().operation.as_str().to_string(),
                    batch_id: properties.get(BATCH_ID_PROPERTY).cloned(),
                    replaced_date: properties.get(REPLACED_DATE_PROPERTY).cloned(),
                    total_records: properties.get("total-records").and_then(|v| v.parse().ok()),
                }
            })
            .collect();
        snapshots.sort_by_key(|s| s.sequence_number);
        Ok(snapshots)
    }

    /// The paths (`s3://…`) of the data files the table's current snapshot holds: what a
    /// writer checks before adding rows the table may hold already (S3 Tables' warehouse
    /// buckets cannot be listed). Reads the manifest list and every data manifest.
    ///
    /// # Errors
    /// A failed call, or a table without metadata.
    pub async fn live_data_files(&self, dataset: Dataset) -> Result<Vec<String>, LakeTablesError> {
        let table = self.table(dataset);
        let current = table.load().await?;
        Ok(table
            .live_files(&current)
            .await?
            .into_iter()
            .map(|f| f.path)
            .collect())
    }

    /// The table's location (`s3://<warehouse bucket>`): S3 Tables keeps a table's files
    /// in its own warehouse bucket, so writers put the Parquet files under
    /// `<location>/data/` before committing them.
    ///
    /// # Errors
    /// A failed call, or a table without metadata.
    pub async fn table_location(&self, dataset: Dataset) -> Result<String, LakeTablesError> {
        let current = self.table(dataset).load().await?;
        Ok(current
            .metadata
            .location()
            .trim_end_matches('/')
            .to_string())
    }

    /// The [`DataFile`] entries of lake Parquet files (`s3://bucket/key`), from their
    /// footers (see the `datafile` module).
    ///
    /// # Errors
    /// A file that is not a lake file of `dataset` ([`LakeTablesError::DataFile`]) or a
    /// failed call.
    pub async fn data_files(
        &self,
        dataset: Dataset,
        files: &[String],
    ) -> Result<Vec<DataFile>, LakeTablesError> {
        let table = self.table(dataset);
        let schema = dataset
            .schema()
            .map_err(|reason| LakeTablesError::TableDiffers {
                table: table.display(),
                reason,
            })?;
        let mut out = Vec::with_capacity(files.len());
        for uri in files {
            let (size, metadata) = read_footer(&self.s3, uri).await?;
            out.push(data_file(uri, size, &metadata, dataset, &schema, 0)?);
        }
        Ok(out)
    }

    /// Appends `files` to `dataset`'s table as one snapshot whose summary carries
    /// `batch_id` (`stepwise.batch-id`); when a snapshot of the table's history already
    /// carries it, appends nothing (`committed: false`).
    ///
    /// # Errors
    /// An empty batch id or file list ([`LakeTablesError::InvalidInput`]), a bad file,
    /// [`LakeTablesError::CommitConflict`] after the retries, or a failed call.
    pub async fn append(
        &self,
        dataset: Dataset,
        files: &[String],
        batch_id: &str,
    ) -> Result<CommitOutcome, LakeTablesError> {
        if batch_id.trim().is_empty() {
            return Err(LakeTablesError::InvalidInput {
                field: "batch_id",
                reason: "is empty".into(),
            });
        }
        if files.is_empty() {
            return Err(LakeTablesError::InvalidInput {
                field: "files",
                reason: "is empty: an append adds at least one file".into(),
            });
        }
        let files = self.data_files(dataset, files).await?;
        let change = Change::Append {
            files,
            batch_id: batch_id.to_string(),
        };
        self.table(dataset).commit(&change, self.retry).await
    }

    /// Replaces the rows of `date` in `dataset`'s table with `files` in one snapshot
    /// (`overwrite`; `delete` when `files` is empty): every data file whose date bounds
    /// are exactly `date` is removed, `files` (which must hold `date` only) are added.
    /// A re-run leaves one copy of the day.
    ///
    /// # Errors
    /// A file holding other dates too ([`LakeTablesError::MixedDates`] for a file in the
    /// table, [`LakeTablesError::DataFile`] for a new one),
    /// [`LakeTablesError::CommitConflict`] after the retries, or a failed call.
    pub async fn replace_date(
        &self,
        dataset: Dataset,
        date: NaiveDate,
        files: &[String],
    ) -> Result<CommitOutcome, LakeTablesError> {
        let files = self.data_files(dataset, files).await?;
        let change = Change::ReplaceDate { date, files };
        self.table(dataset).commit(&change, self.retry).await
    }
}

async fn ensure_bucket(
    s3tables: &aws_sdk_s3tables::Client,
    name: &str,
) -> Result<String, LakeTablesError> {
    if let Some(arn) = find_bucket(s3tables, name).await? {
        return Ok(arn);
    }
    match s3tables.create_table_bucket().name(name).send().await {
        Ok(created) => Ok(created.arn),
        Err(err) => {
            // Created by a concurrent run in between.
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conflict_exception())
                && let Some(arn) = find_bucket(s3tables, name).await?
            {
                return Ok(arn);
            }
            Err(aws_error("s3tables", "CreateTableBucket", &err))
        }
    }
}

async fn find_bucket(
    s3tables: &aws_sdk_s3tables::Client,
    name: &str,
) -> Result<Option<String>, LakeTablesError> {
    let mut pages = s3tables
        .list_table_buckets()
        .prefix(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("s3tables", "ListTableBuckets", &e))?;
        if let Some(bucket) = page.table_buckets().iter().find(|b| b.name() == name) {
            return Ok(Some(bucket.arn().to_string()));
        }
    }
    Ok(None)
}

/// The existing table has the declared schema (names, types, ids, required) and
/// partitioning.
fn check_declared(
    table: &str,
    current: &Current,
    schema: &Schema,
    dataset: Dataset,
) -> Result<(), LakeTablesError> {
    let differs = |reason: String| LakeTablesError::TableDiffers {
        table: table.to_string(),
        reason,
    };
    let existing = current.metadata.current_schema();
    if existing.as_struct() != schema.as_struct() {
        return Err(differs(format!(
            "its schema is {:?}, declared {:?}",
            existing.as_struct(),
            schema.as_struct()
        )));
    }
    let spec = current.metadata.default_partition_spec();
    let declared = dataset.partition_spec().map_err(differs)?;
    let existing: Vec<_> = spec
        .fields()
        .iter()
        .map(|f| (f.source_id, f.name.clone(), f.transform))
        .collect();
    let wanted: Vec<_> = declared
        .fields()
        .iter()
        .map(|f| (f.source_id, f.name.clone(), f.transform))
        .collect();
    if existing != wanted {
        return Err(differs(format!(
            "its partition spec is {existing:?}, declared {wanted:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_s3_tables_rules() {
        assert!(check_name("table_bucket", "stepwise-lake", '-').is_ok());
        assert!(check_name("namespace", "lake", '_').is_ok());
        let err = check_name("namespace", "Lake-1", '_').unwrap_err();
        assert!(
            err.to_string().starts_with("namespace: \"Lake-1\""),
            "{err}"
        );
        assert!(check_name("table_bucket", "-x-", '-').is_err());
        assert!(check_name("table_bucket", "ab", '-').is_err());
    }

    #[test]
    fn a_table_bucket_arn_names_its_bucket() {
        assert_eq!(
            bucket_arn_name("arn:aws:s3tables:eu-west-1:123456789012:bucket/stepwise-lake")
                .expect("arn"),
            Some("stepwise-lake")
        );
        assert_eq!(bucket_arn_name("stepwise-lake").expect("name"), None);
        for bad in [
            "arn:aws:s3:eu-west-1:123456789012:bucket/stepwise-lake",
            "arn:aws:s3tables:eu-west-1:123:bucket/stepwise-lake",
            "arn:aws:s3tables:eu-west-1:123456789012:table/stepwise-lake",
            "arn:aws:s3tables:eu-west-1:123456789012:bucket/Bad_Name",
        ] {
            let err = bucket_arn_name(bad).expect_err(bad);
            assert!(err.to_string().starts_with("table_bucket"), "{err}");
        }
    }
}
