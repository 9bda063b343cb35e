//! `WritePartition`: joins the day's sales with their staged embeddings and writes the
//! data lake's Parquet partitions.
//!
//! # What it does
//!
//! 1. Reads the JSON Lines manifest QuerySales wrote (one [`Sale`] per line) and checks
//!    it before anything is written: every line decodes, `sold_at` is RFC 3339, every
//!    tenant is one the configuration lists (tenant ids become S3 key segments), no sale
//!    appears twice.
//! 2. When `embed_results` is given (the embedding Map's `ResultWriterDetails`), reads the
//!    ResultWriter export to learn why children failed (the `results` module).
//! 3. Per tenant, in tenant order: reads each sale's staged vector
//!    ([`crate::sales::vector_key`], 4096 bytes of little-endian `f32`) with at most
//!    [`VECTOR_FETCH_CONCURRENCY`] requests in flight; encodes the sales that have one
//!    into one Parquet file ([`encode_partition`], on a blocking thread) and writes it with
//!    `PutObject` to [`stepwise_lake::partition_key`]
//!    (`<lake>/smartgo_sales/tenant_id=T/year=YYYY/month=MM/<export_date>.parquet`). A
//!    daily export is one file per tenant, and a re-run of the same date writes the same
//!    keys, replacing the earlier files instead of adding duplicate rows. Only one
//!    tenant's vectors are in memory at a time.
//! 4. A sale without a usable vector is a *failed item*, reported in the output (never
//!    dropped silently): with the Map child's `Error`/`Cause` when the ResultWriter export
//!    names it, else `NoStagedEmbedding` ("no staged embedding at s3://…"), or
//!    `InvalidEmbedding` when the staged object is not a finite 1024-float vector. A sale
//!    whose child failed but whose vector is staged (by an earlier run of the same date)
//!    is written: the staged vector is the embedding of the same image.
//!
//! A tenant none of whose sales has an embedding gets no file; a file an earlier run
//! wrote at that key is left as it is (this run has nothing better to replace it with),
//! and the output's `per_tenant` shows the failures.
//!
//! # With the lake's tables (`lake_tables` in the configuration)
//!
//! The files go under the `smartgo_sales` Iceberg table's own location instead
//! (`<location>/data/tenant_id=T/export_date_month=YYYY-MM/<date>-<run>.parquet`, a new
//! name per run so a file an earlier snapshot references is never overwritten), and after
//! the last tenant they are committed as **one snapshot replacing the date**
//! (`replace_date`): the date's earlier files leave the table, these enter it, so a
//! re-run leaves one copy of the day. The table bucket, namespace and table are created
//! when missing. Unlike the Hive layout, the snapshot replaces the whole date: a tenant
//! with no file this run has no rows of the date afterwards — except when no tenant has
//! a file, where nothing is committed and the day stays as it was. A commit that keeps
//! losing to concurrent writers ends `Throttled` (retried by the state machine);
//! S3 Tables faults `Throttled`/`Transient` as classified. Files of a run that failed
//! before committing are in no snapshot: S3 Tables' unreferenced-file removal deletes them.
//!
//! # Errors
//!
//! - `InvalidInput`: `export_date` is not `YYYY-MM-DD`.
//! - `NotFound`: the manifest or the ResultWriter export does not exist.
//! - `Permanent`: the manifest or the export is malformed (the line and the sale named),
//!   a sale of a tenant the configuration does not list, encoding failed.
//! - `Throttled` / `Transient` / …: S3 failures, as [`stepwise_runtime::aws::errors`] classifies them
//!   (the state machine retries; a retry rewrites the same keys, or commits new files
//!   replacing the date again); S3 Tables commit conflicts after the retries: `Throttled`.
//!
//! This module must not log, retry, or delete lake objects.

mod results;
mod table;

pub use table::TableCommit;

use std::collections::{BTreeMap, HashMap, HashSet};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};

use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, NaiveDate};
use futures::{StreamExt, TryStreamExt, stream};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::{ActivityDef, ErrorName};

pub use stepwise_lake::{
    DATA_PAGE_BYTES, DICTIONARY_COLUMNS, EMBEDDING_ELEMENT, ENCODE_CHUNK_ROWS, EncodeError,
    NO_STATISTICS_COLUMNS, PARQUET_CONTENT_TYPE, ROW_GROUP_ROWS, ZSTD_LEVEL, encode_partition,
    encode_partition_until, partition_batch, partition_schema, writer_properties,
};

use crate::config::PipelineSettings;
use crate::query_sales::ManifestLocation;
use crate::sales::vector_key;
use results::Reason;
use stepwise_embeddings::{VectorError, decode_vector};
use stepwise_lake::{Sale, partition_key};
use stepwise_runtime::aws::errors::{SdkResultExt, classify};
use stepwise_runtime::{Activity, ActivityError, Cancellation, Context};

/// How many staged vectors are read at once.
pub const VECTOR_FETCH_CONCURRENCY: usize = 32;
/// The most failed items listed in the output (the count is always complete).
pub const MAX_FAILED_LISTED: usize = 50;
/// The longest cause kept for a failed item, in characters (keeps the output far below
/// Step Functions' 256 KiB payload limit).
pub const MAX_CAUSE_CHARS: usize = 1000;
/// The failed-item error of a sale with no staged vector and no reason from the Map.
pub const NO_STAGED_EMBEDDING: &str = "NoStagedEmbedding";
/// The failed-item error of a sale whose staged vector is unreadable.
pub const INVALID_EMBEDDING: &str = "InvalidEmbedding";

/// Where the embedding Map's ResultWriter put its manifest: the Map's
/// `ResultWriterDetails`, as Step Functions spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultWriterLocation {
    /// The bucket.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// The key of `manifest.json`.
    #[serde(rename = "Key")]
    pub key: String,
}

/// What `WritePartition` receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WritePartitionInput {
    /// The pipeline configuration (bucket, prefixes, tenants).
    pub config: PipelineSettings,
    /// The exported day, `YYYY-MM-DD` (QuerySales' `export_date`).
    pub export_date: String,
    /// The sales manifest QuerySales wrote.
    pub manifest: ManifestLocation,
    /// The embedding Map's `ResultWriterDetails`, for the failure reasons; without it a
    /// sale with no vector is reported as `NoStagedEmbedding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embed_results: Option<ResultWriterLocation>,
}

/// One Parquet file written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionFile {
    /// Its key: in the configured bucket, or, when `uri` is given, in the table's bucket.
    pub key: String,
    /// Its `s3://` URI, when it was written under the `smartgo_sales` table's location
    /// (`lake_tables` configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The tenant it holds.
    pub tenant_id: String,
    /// Rows in it.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// A sale that was not written, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailedSale {
    /// The sale.
    pub sale_id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// The error name (the Map child's `Error`, [`NO_STAGED_EMBEDDING`] or
    /// [`INVALID_EMBEDDING`]).
    pub error: String,
    /// The explanation (at most [`MAX_CAUSE_CHARS`] characters).
    pub cause: String,
}

/// One tenant's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantSummary {
    /// The tenant.
    pub tenant_id: String,
    /// Its sales in the manifest.
    pub rows: u64,
    /// How many of them were not written (so `rows - failed` were).
    pub failed: u64,
}

/// What `WritePartition` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WritePartitionOutput {
    /// The files written, by tenant.
    pub files: Vec<PartitionFile>,
    /// Sales in the manifest.
    pub rows: u64,
    /// Sales written (with their embedding).
    pub embedded: u64,
    /// Sales not written: `rows - embedded`.
    pub failed_count: u64,
    /// The first [`MAX_FAILED_LISTED`] failed sales, in manifest order.
    pub failed: Vec<FailedSale>,
    /// Counts per tenant that has sales in the manifest, by tenant id.
    pub per_tenant: Vec<TenantSummary>,
    /// The snapshot committed to `smartgo_sales` (`lake_tables` configured and at least
    /// one file written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableCommit>,
}

/// Writes the day's Parquet partitions. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct WritePartition;

impl ActivityDef for WritePartition {
    const NAME: &'static str = "WritePartition";
    const DEPLOYMENT: Deployment = Deployment {
        // 1,769 MB is one full vCPU: Parquet encoding is CPU-bound.
        memory_mb: 1769,
        timeout_seconds: 900,
        permissions: &[
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects {
                    area: Area::Staging,
                },
                reason: "reads the sales manifest, the Map's result files and the staged vectors",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing {
                    area: Area::Staging,
                },
                reason: "a vector that was never staged reads as NoSuchKey and is reported, not AccessDenied",
            },
            Permission {
                actions: &["s3:PutObject"],
                resource: Resource::Objects { area: Area::Lake },
                reason: "writes the Parquet partitions",
            },
            Permission {
                actions: &["s3tables:GetNamespace"],
                resource: Resource::LakeNamespace,
                reason: "with lake_tables: checks that the lake's namespace exists in the table bucket (the deployment creates both; given as an ARN the bucket is not listed)",
            },
            Permission {
                actions: &[
                    "s3tables:GetTable",
                    "s3tables:UpdateTableMetadataLocation",
                    "s3tables:GetTableData",
                    "s3tables:PutTableData",
                ],
                resource: Resource::LakeTable {
                    dataset: stepwise_lake_tables::SMARTGO_SALES_TABLE,
                },
                reason: "with lake_tables: finds smartgo_sales and its metadata file, reads its metadata and manifests and the files' footers and writes the day's Parquet files, manifests and metadata through the S3 API of its warehouse location, and commits the snapshot replacing the date",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = WritePartitionInput;
    type Output = WritePartitionOutput;
}

impl Activity for WritePartition {
    async fn run(
        &self,
        input: WritePartitionInput,
        ctx: &Context,
    ) -> Result<WritePartitionOutput, ActivityError> {
        let export_date =
            NaiveDate::parse_from_str(&input.export_date, "%Y-%m-%d").map_err(|e| {
                ActivityError::invalid_input(format!(
                    "input field \"export_date\": \"{}\" is not a YYYY-MM-DD date ({e})",
                    input.export_date
                ))
            })?;
        let s3 = ctx.aws().s3().await;
        let sales = read_manifest(s3, &input.manifest, &input.config.tenants).await?;
        let reasons = match &input.embed_results {
            Some(location) => results::failure_reasons(s3, location).await?,
            None => HashMap::new(),
        };

        let mut by_tenant: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, sale) in sales.iter().enumerate() {
            by_tenant.entry(&sale.tenant_id).or_default().push(i);
        }
        let config = &input.config;
        let mut output = WritePartitionOutput {
            files: Vec::new(),
            rows: sales.len() as u64,
            embedded: 0,
            failed_count: 0,
            failed: Vec::new(),
            per_tenant: Vec::new(),
            table: None,
        };
        let mut day = match &config.lake_tables {
            Some(tables) => Some(table::DayWriter::open(ctx, tables, export_date).await?),
            None => None,
        };
        let mut failures: Vec<(usize, FailedSale)> = Vec::new();
        for (tenant, indices) in by_tenant {
            ctx.cancellation
                .check(&format!("before the partition of tenant {tenant}"))?;
            let fetched = fetch_vectors(s3, config, export_date, &sales, &indices).await?;
            let mut rows = Vec::with_capacity(fetched.len());
            let mut failed = 0u64;
            for (i, outcome) in fetched {
                let sale = &sales[i];
                match outcome {
                    Fetched::Vector(vector) => rows.push((sale.clone(), vector)),
                    Fetched::Missing { key } => {
                        failed += 1;
                        let reason =
                            reasons
                                .get(&sale.sale_id)
                                .cloned()
                                .unwrap_or_else(|| Reason {
                                    error: NO_STAGED_EMBEDDING.to_string(),
                                    cause: format!(
                                        "no staged embedding at s3://{}/{key}",
                                        config.bucket
                                    ),
                                });
                        failures.push((i, failed_sale(sale, reason)));
                    }
                    Fetched::Invalid { key, error } => {
                        failed += 1;
                        let reason = Reason {
                            error: INVALID_EMBEDDING.to_string(),
                            cause: format!(
                                "the staged embedding at s3://{}/{key} is unusable: {error}",
                                config.bucket
                            ),
                        };
                        failures.push((i, failed_sale(sale, reason)));
                    }
                }
            }
            output.per_tenant.push(TenantSummary {
                tenant_id: tenant.to_string(),
                rows: indices.len() as u64,
                failed,
            });
            if rows.is_empty() {
                continue;
            }
            let written = rows.len() as u64;
            let bytes = encode(rows, export_date, &ctx.cancellation).await?;
            let size = bytes.len() as u64;
            let (key, uri) = match day.as_mut() {
                Some(day) => {
                    let (key, uri) = day.put(tenant, bytes).await?;
                    (key, Some(uri))
                }
                None => {
                    let key = partition_key(&config.lake_prefix, tenant, export_date);
                    put_parquet(s3, &config.bucket, &key, bytes).await?;
                    (key, None)
                }
            };
            output.embedded += written;
            output.files.push(PartitionFile {
                key,
                uri,
                tenant_id: tenant.to_string(),
                rows: written,
                bytes: size,
            });
        }
        if let Some(day) = day {
            ctx.cancellation
                .check("before committing to smartgo_sales")?;
            output.table = day.commit().await?;
        }
        output.failed_count = failures.len() as u64;
        failures.sort_by_key(|(i, _)| *i);
        output.failed = failures
            .into_iter()
            .take(MAX_FAILED_LISTED)
            .map(|(_, f)| f)
            .collect();
        Ok(output)
    }
}

/// A failed item of `sale`, its cause bounded to [`MAX_CAUSE_CHARS`].
fn failed_sale(sale: &Sale, reason: Reason) -> FailedSale {
    FailedSale {
        sale_id: sale.sale_id.clone(),
        tenant_id: sale.tenant_id.clone(),
        error: reason.error,
        cause: bounded(&reason.cause, MAX_CAUSE_CHARS),
    }
}

/// `text` cut to at most `max` characters (the last one an ellipsis when cut).
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if text[cut..].chars().nth(1).is_some() => format!("{}…", &text[..cut]),
        _ => text.to_string(),
    }
}

/// Reads an S3 object whole. `what` names it in causes; the error name is the classified
/// one (`NotFound` for a missing key).
pub(crate) async fn get_bytes(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    what: &str,
) -> Result<Vec<u8>, ActivityError> {
    let context = |e: ActivityError| {
        ActivityError::new(e.name, format!("{what} s3://{bucket}/{key}: {}", e.cause))
    };
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .activity_err("S3", "GetObject")
        .map_err(context)?;
    let body = object.body.collect().await.map_err(|e| {
        ActivityError::transient(format!("{what} s3://{bucket}/{key}: reading the body: {e}"))
    })?;
    Ok(body.into_bytes().to_vec())
}

/// Reads and checks the sales manifest (see the [module docs](self)).
async fn read_manifest(
    s3: &aws_sdk_s3::Client,
    manifest: &ManifestLocation,
    tenants: &[String],
) -> Result<Vec<Sale>, ActivityError> {
    let bytes = get_bytes(s3, &manifest.bucket, &manifest.key, "the sales manifest").await?;
    parse_manifest(&bytes, tenants).map_err(|problem| {
        ActivityError::permanent(format!(
            "the sales manifest s3://{}/{} {problem}",
            manifest.bucket, manifest.key
        ))
    })
}

/// Parses a JSON Lines manifest of sales, checking what the lake relies on. The error
/// completes "the sales manifest s3://… ".
fn parse_manifest(bytes: &[u8], tenants: &[String]) -> Result<Vec<Sale>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("is not UTF-8 text: {e}"))?;
    let mut sales = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let tenants: HashSet<&str> = tenants.iter().map(String::as_str).collect();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let sale: Sale = serde_json::from_str(line)
            .map_err(|e| format!("line {n}: not a sale: {}", e.to_string().replace('`', "\"")))?;
        if !tenants.contains(sale.tenant_id.as_str()) {
            return Err(format!(
                "line {n}: sale {} belongs to tenant \"{}\", which the configuration does not list",
                sale.sale_id, sale.tenant_id
            ));
        }
        if DateTime::parse_from_rfc3339(&sale.sold_at).is_err() {
            return Err(format!(
                "line {n}: sale {}: sold_at \"{}\" is not an RFC 3339 timestamp",
                sale.sale_id, sale.sold_at
            ));
        }
        if let Some(first) = seen.insert(sale.sale_id.clone(), n) {
            return Err(format!(
                "line {n}: sale {} is listed twice (first on line {first})",
                sale.sale_id
            ));
        }
        sales.push(sale);
    }
    Ok(sales)
}

/// What reading one staged vector found.
#[derive(Debug)]
enum Fetched {
    /// A valid vector.
    Vector(Vec<f32>),
    /// No object at `key`.
    Missing { key: String },
    /// An object that is not a vector.
    Invalid { key: String, error: VectorError },
}

/// Reads the staged vectors of `sales[indices]`, at most [`VECTOR_FETCH_CONCURRENCY`] at
/// once; returns them in index order. An S3 failure other than a missing key fails the
/// whole call.
async fn fetch_vectors(
    s3: &aws_sdk_s3::Client,
    config: &PipelineSettings,
    export_date: NaiveDate,
    sales: &[Sale],
    indices: &[usize],
) -> Result<Vec<(usize, Fetched)>, ActivityError> {
    let mut fetched: Vec<(usize, Fetched)> = stream::iter(indices.iter().copied())
        .map(|i| async move {
            let key = vector_key(&config.staging_prefix, export_date, &sales[i].sale_id);
            fetch_vector(s3, &config.bucket, key).await.map(|f| (i, f))
        })
        .buffer_unordered(VECTOR_FETCH_CONCURRENCY)
        .try_collect()
        .await?;
    fetched.sort_unstable_by_key(|(i, _)| *i);
    Ok(fetched)
}

/// Reads one staged vector. An object of the wrong size is rejected without reading it.
async fn fetch_vector(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: String,
) -> Result<Fetched, ActivityError> {
    let object = match s3.get_object().bucket(bucket).key(&key).send().await {
        Ok(object) => object,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            return Ok(Fetched::Missing { key });
        }
        Err(err) => {
            let e = classify("S3", "GetObject", &err);
            return Err(ActivityError::new(
                e.name,
                format!("staged embedding s3://{bucket}/{key}: {}", e.cause),
            ));
        }
    };
    let expected = stepwise_embeddings::EMBEDDING_DIM * 4;
    if let Some(length) = object.content_length().filter(|l| *l != expected as i64) {
        return Ok(Fetched::Invalid {
            key,
            error: VectorError::Length {
                expected,
                found: usize::try_from(length).unwrap_or_default(),
            },
        });
    }
    let body = object.body.collect().await.map_err(|e| {
        ActivityError::transient(format!(
            "staged embedding s3://{bucket}/{key}: reading the body: {e}"
        ))
    })?;
    Ok(match decode_vector(&body.into_bytes()) {
        Ok(vector) => Fetched::Vector(vector),
        Err(error) => Fetched::Invalid { key, error },
    })
}

/// Encodes one partition on a blocking thread, which stops between row groups when the
/// invocation is cancelled.
async fn encode(
    rows: Vec<(Sale, Vec<f32>)>,
    export_date: NaiveDate,
    cancellation: &Cancellation,
) -> Result<Vec<u8>, ActivityError> {
    let stop = cancellation.clone();
    let encoded = tokio::task::spawn_blocking(move || {
        encode_partition_until(&rows, export_date, stop.flag())
    })
    .await
    .map_err(|e| ActivityError::permanent(format!("the Parquet encoder did not finish: {e}")))?;
    match encoded {
        Ok(bytes) => Ok(bytes),
        Err(EncodeError::Stopped) => {
            cancellation.check("encoding the partition")?;
            Err(ActivityError::transient("encoding the partition stopped"))
        }
        Err(e) => Err(ActivityError::permanent(format!(
            "encoding the partition: {e}"
        ))),
    }
}

/// Writes one Parquet file.
async fn put_parquet(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
) -> Result<(), ActivityError> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(PARQUET_CONTENT_TYPE)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .activity_err("S3", "PutObject")
        .map(|_| ())
        .map_err(|e| {
            ActivityError::new(e.name, format!("writing s3://{bucket}/{key}: {}", e.cause))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tenants() -> Vec<String> {
        vec!["acme".into(), "globex".into()]
    }

    fn line(id: &str, tenant: &str, sold_at: &str) -> String {
        json!({
            "sale_id": id, "tenant_id": tenant, "product_id": "P-1", "sold_at": sold_at,
            "quantity": 1, "unit_price_cents": 100, "currency": "EUR", "image_url": "s3://i/p.jpg"
        })
        .to_string()
    }

    #[test]
    fn a_manifest_parses_in_order_skipping_blank_lines() {
        let text = format!(
            "{}\n\n{}\n",
            line("S-2", "globex", "2026-03-09T01:00:00Z"),
            line("S-1", "acme", "2026-03-09T02:00:00Z")
        );
        let sales = parse_manifest(text.as_bytes(), &tenants()).expect("sales");
        let ids: Vec<_> = sales.iter().map(|s| s.sale_id.as_str()).collect();
        assert_eq!(ids, ["S-2", "S-1"]);
    }

    #[test]
    fn manifest_problems_name_the_line() {
        let ok = line("S-1", "acme", "2026-03-09T02:00:00Z");
        let cases = [
            (format!("{ok}\n{{\"sale_id\": 1}}"), "line 2: not a sale"),
            (
                line("S-9", "initech", "2026-03-09T02:00:00Z"),
                "line 1: sale S-9 belongs to tenant \"initech\", which the configuration does not list",
            ),
            (
                line("S-3", "acme", "noon"),
                "line 1: sale S-3: sold_at \"noon\" is not an RFC 3339 timestamp",
            ),
            (
                format!("{ok}\n{ok}"),
                "line 2: sale S-1 is listed twice (first on line 1)",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_manifest(text.as_bytes(), &tenants()).unwrap_err();
            assert!(err.starts_with(expected), "{err}");
        }
    }

    #[test]
    fn causes_are_bounded_by_characters() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "ab…");
        assert_eq!(bounded("ééééé", 4), "ééé…");
        assert_eq!(bounded("", 3), "");
    }

    #[tokio::test]
    async fn a_bad_export_date_is_invalid_input() {
        let input = json!({
            "config": {
                "config_parameter": "/p", "bucket": "b", "staging_prefix": "s", "lake_prefix": "l",
                "progress_table": "t", "tenants": ["acme"],
                "bedrock": {"model_id": "m"}, "embed_concurrency": 1,
                "image_limits": {"max_bytes": 1, "timeout_seconds": 1, "max_dimension": 1}
            },
            "export_date": "09/03/2026",
            "manifest": {"bucket": "b", "key": "k"}
        });
        let err = crate::registry()
            .invoke("WritePartition", input, &Context::default())
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("\"export_date\""), "{}", err.cause);
    }

    #[test]
    fn the_input_schema_takes_the_result_writer_details_as_step_functions_spells_them() {
        let schema = WritePartition::input_schema();
        let results = &schema["properties"]["embed_results"];
        assert!(results.to_string().contains("\"Bucket\""), "{results}");
        let required = schema["required"].as_array().expect("required");
        assert!(!required.contains(&json!("embed_results")));
    }
}
