//! `stepwise-lake-tables`: the lake as Amazon S3 Tables — Apache Iceberg tables in an S3
//! table bucket — committed by Stepwise's own code and readable by any Iceberg reader
//! (pyiceberg, Athena, Spark) with no crawler and no DDL.
//!
//! - [`LakeTables::ensure`]: the table bucket and namespace; [`LakeTables::ensure_table`]:
//!   `smartgo_sales` and `sales_history` ([`Dataset`]), schemas derived from the lake's
//!   Arrow schemas, partitioned by tenant and month, with a name mapping for the files'
//!   id-less columns.
//! - [`LakeTables::append`]: one snapshot per batch, idempotent by the batch id in the
//!   snapshot summary. [`LakeTables::replace_date`]: one snapshot replacing a date's files.
//! - [`LakeTables::import_hive`]: the Hive-style objects of earlier runs imported as data
//!   files (copied byte for byte, appended in one snapshot, nothing twice).
//! - Commit conflicts are retried with jittered backoff ([`CommitRetry`]) and end as
//!   [`LakeTablesError::CommitConflict`], whose [`ErrorClass`] is `Throttled`.
//!
//! # What the iceberg crates cover, and what this crate adds
//! `iceberg` 0.10.1 gives the spec types (schemas, partition specs, data files, manifest
//! and manifest-list writers, the table metadata builder, metadata files) and
//! `iceberg-catalog-s3tables` 0.10.1 the catalog (namespaces, table creation with the
//! first metadata file, loading). This crate adds:
//! - an iceberg `Storage` on `aws-sdk-s3` ([`storage`]), replacing the catalog's default
//!   OpenDAL S3 client, so every AWS call goes through the official SDK;
//! - the table bucket (the catalog expects it to exist);
//! - the snapshot producer and commit ([`commit`]): iceberg 0.10's transactions only
//!   fast-append, and neither a custom action nor a custom table commit can be expressed
//!   outside the crate, so overwrite-by-date and the batch check inside the retry loop
//!   are written with the spec types and committed through S3 Tables'
//!   `UpdateTableMetadataLocation` with the version token;
//! - data-file entries from the lake's Parquet footers ([`datafile`]).
//!
//! # Two arrow versions, never mixed
//! iceberg 0.10 depends on arrow/parquet 58; the workspace (and the lake's writer) on 60.
//! No Arrow or Parquet type crosses between them: the lake writes Parquet with 60 as
//! before, this crate reads the footers with 60 and hands iceberg only its own spec
//! types (paths, counts, `Datum` bounds). iceberg's arrow 58 is linked (its reader and
//! writer modules) but unused here.

mod activity;
pub mod commit;
mod config;
pub mod datafile;
pub mod deployment;
mod error;
mod import;
pub mod schema;
pub mod storage;
mod tables;

pub use commit::{CommitOutcome, CommitRetry};
pub use config::{TablesConfig, data_file_name};
pub use error::{ErrorClass, LakeTablesError};
pub use import::{COPIES_IN_FLIGHT, ImportReport, ImportedFile, SkippedFile};
pub use schema::{BATCH_ID_PROPERTY, Dataset, REPLACED_DATE_PROPERTY, SMARTGO_SALES_TABLE};
pub use tables::{LakeTables, SnapshotInfo};
