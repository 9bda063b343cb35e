//! `QuerySales`: the sales of one export window, read from the SmartGo SQL database and
//! written to S3 as a manifest that the embedding Map reads.
//!
//! # What it does
//!
//! 1. The window is [`crate::sales::export_window`] of the request (the UTC day before
//!    `scheduled_time`, or `date`); the tenants are `request.tenant_id` when given (it
//!    must be one of `config.tenants`) or every configured tenant. Bad input fails with
//!    `InvalidInput` before anything is read or written.
//! 2. The database URL comes from the pipeline configuration in SSM
//!    ([`PipelineConfig::load`], through the parameter cache), never from the input: it
//!    holds a password and Step Functions records every input in the execution history.
//! 3. One query selects the window's rows of those tenants, ordered by
//!    `(tenant_id, sold_at, sale_id)`, and streams them into a JSON Lines manifest (one
//!    [`Sale`] per line) at [`crate::sales::manifest_key`] in the configured bucket. At
//!    most one row and one upload part ([`MANIFEST_PART_SIZE`]) are in memory at a time,
//!    whatever the number of sales. Rows with an empty `image_url` or a non-positive
//!    `quantity` are real sales and are exported; judging images is EmbedImage's job.
//! 4. The output is the window, the counts (every requested tenant, zeros included) and
//!    the manifest's location — never the rows.
//!
//! # One query code path, two databases
//!
//! Production runs PostgreSQL; SQLite is the embedded default of the demo. Both go
//! through `sqlx`'s `Any` driver, so the pool, the parameter binding, the row decoding and
//! the manifest are the same Rust code. The dialects need different SQL text for one
//! thing only, the timestamp comparison (`TIMESTAMPTZ` against RFC 3339 text), so the two
//! statements sit side by side in one module, [`sql`], with the reasons; the DDL both
//! create ([`POSTGRES_SCHEMA`], [`SQLITE_SCHEMA`]) is there too. Every value is a bound
//! parameter.
//!
//! # Why a manifest, read by a distributed Map's ItemReader
//!
//! Step Functions caps a state's input and output at 262,144 bytes (256 KiB). A typical
//! sale serialises to 251 bytes of JSON, so an inline list of `Sale`s in the state
//! exceeds the cap at **1,041 sales** (measured by
//! `tests::an_inline_list_of_sales_exceeds_the_payload_limit_at_1041`; the rest of the
//! state — request, config — lowers it further). A busy day has tens of thousands. A list
//! of bare references is no way out: one S3 key per sale (about 75 bytes) still
//! overflows at 3,496 sales, and costs a `PutObject` per sale. So the result set goes to
//! one S3 object, and a *distributed* Map reads it with an `ItemReader`
//! (`"ReaderConfig": {"InputType": "JSONL"}`), which streams the items from S3 into child
//! workflow executions without them ever passing through the parent's state; only this
//! activity's small output (a few hundred bytes) travels.
//!
//! # Errors
//!
//! - `InvalidInput`: an unreadable window, an empty tenant list, a tenant that is not
//!   configured (named).
//! - `Transient`: the database cannot be reached in time, is busy or shutting down, or
//!   the connection broke (see [`db`] for the table); S3's transient faults.
//! - `Permanent`: the `sales` table or a column is missing (named), the credentials were
//!   refused, the database does not exist, a row does not decode. Causes never contain
//!   the database URL or its password.
//! - `NotFound` / `Throttled` / …: reading the SSM parameter or writing S3, as
//!   [`stepwise_runtime::aws::errors`] classifies them.
//!
//! This module must not log, put the database URL into an output or an error, or retry:
//! retrying is the state machine's business.

pub mod db;
mod manifest;
pub mod sql;

use std::collections::BTreeMap;
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};

use chrono::{DateTime, SecondsFormat, Utc};
use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use stepwise_contract::{ActivityDef, ErrorName};

pub use manifest::{MANIFEST_CONTENT_TYPE, MANIFEST_PART_SIZE};
pub use sql::{
    Dialect, POSTGRES_INSERT_SALE, POSTGRES_SCHEMA, POSTGRES_SELECT_SALES, SALES_TABLE,
    SQLITE_INSERT_SALE, SQLITE_SCHEMA, SQLITE_SELECT_SALES,
};

use crate::config::{PipelineConfig, PipelineSettings};
use crate::sales::{ExportRequest, ExportWindow, Sale, export_window, manifest_key};
use db::Database;
use manifest::ManifestWriter;
use stepwise_runtime::{Activity, ActivityError, Context};

/// Step Functions' limit on a state's input or output, in bytes (256 KiB).
pub const STATE_PAYLOAD_LIMIT: usize = 262_144;

/// The `run_id` of an invocation outside Step Functions (no execution in the context).
pub const LOCAL_RUN_ID: &str = "local";

/// What `QuerySales` receives: the execution input and the configuration LoadConfig
/// returned (the workflow passes `$$.Execution.Input` and `$.config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuerySalesInput {
    /// The export request that started the execution.
    pub request: ExportRequest,
    /// The pipeline configuration without its secret.
    pub config: PipelineSettings,
}

/// The sales of one tenant in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantCount {
    /// The tenant.
    pub tenant_id: String,
    /// Its sales in the window (zero included).
    pub count: u64,
}

/// Where the manifest is: an S3 object of JSON Lines, one [`Sale`] per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestLocation {
    /// The bucket (the configuration's).
    pub bucket: String,
    /// The key: `<staging>/runs/<export_date>/<run_id>/sales.jsonl`.
    pub key: String,
}

/// What `QuerySales` returns: the window, the counts and the manifest's location — never
/// the rows (Step Functions' payload limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuerySalesOutput {
    /// The exported day, `YYYY-MM-DD` (UTC).
    pub export_date: String,
    /// The window's first instant, RFC 3339 (`2026-11-23T00:00:00Z`), inclusive.
    pub window_start: String,
    /// The next day's first instant, RFC 3339, exclusive.
    pub window_end: String,
    /// Sales in the manifest.
    pub count: u64,
    /// Sales per requested tenant, by tenant id (byte order), zeros included.
    pub tenants: Vec<TenantCount>,
    /// The manifest.
    pub manifest: ManifestLocation,
    /// The run's staging prefix (`<staging>/runs/<date>/<run>/`): where later steps of the
    /// same run put their files.
    pub run_prefix: String,
    /// Where the Map's ResultWriter writes its files: `<run prefix>embed-results` (a plain
    /// path for the ResultWriter's `Prefix.$`).
    pub results_prefix: String,
}

/// The last part of [`QuerySalesOutput::results_prefix`].
pub const RESULTS_DIR: &str = "embed-results";

/// Reads the sales of the export window from the SmartGo database into an S3 manifest.
/// See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct QuerySales;

impl ActivityDef for QuerySales {
    const NAME: &'static str = "QuerySales";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 512,
        timeout_seconds: 300,
        permissions: &[
            Permission {
                actions: &["ssm:GetParameter"],
                resource: Resource::ConfigParameter,
                reason: "re-reads the database URL, which never travels through the state machine",
            },
            Permission {
                actions: &["s3:PutObject", "s3:AbortMultipartUpload"],
                resource: Resource::Objects {
                    area: Area::Staging,
                },
                reason: "writes the run's sales manifest (JSON Lines, multipart when large) for the Map's ItemReader, aborting the upload when the query fails",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = QuerySalesInput;
    type Output = QuerySalesOutput;
}

impl Activity for QuerySales {
    async fn run(
        &self,
        input: QuerySalesInput,
        ctx: &Context,
    ) -> Result<QuerySalesOutput, ActivityError> {
        let plan = Plan::new(&input, ctx.execution.as_deref())?;
        let parameter = input.config.config_parameter.as_str();
        let config = PipelineConfig::load(ctx, parameter).await?;
        let database = Database::open(&config.database_url, parameter)?;
        let s3 = ctx.aws().s3().await;
        let mut writer = ManifestWriter::new(
            s3,
            &plan.manifest.bucket,
            &plan.manifest.key,
            MANIFEST_PART_SIZE,
        );
        match export(&database, &plan, &mut writer).await {
            Ok(counts) => {
                writer.finish().await?;
                Ok(plan.output(counts))
            }
            Err(failure) => {
                writer.abort().await;
                if failure.credentials_rejected {
                    // The password may have been rotated: read the parameter again next
                    // time, and drop the pool built on the old URL.
                    ctx.params().invalidate(parameter).await;
                    database.forget();
                }
                Err(failure.error)
            }
        }
    }
}

/// Everything decided from the input alone, before any I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    window: ExportWindow,
    /// The requested tenants, sorted byte-wise, without duplicates.
    tenants: Vec<String>,
    manifest: ManifestLocation,
    run_prefix: String,
}

impl Plan {
    /// The window, the tenants and the manifest location of `input`, for the execution
    /// `execution` (an ARN or a name). `InvalidInput` naming the field when the request
    /// is unusable.
    fn new(input: &QuerySalesInput, execution: Option<&str>) -> Result<Plan, ActivityError> {
        let window = export_window(&input.request).map_err(in_request)?;
        let tenants = select_tenants(input.request.tenant_id.as_deref(), &input.config.tenants)?;
        let run = run_id(execution);
        let key = manifest_key(&input.config.staging_prefix, window.export_date, &run);
        let run_prefix =
            crate::sales::run_prefix(&input.config.staging_prefix, window.export_date, &run);
        Ok(Plan {
            window,
            tenants,
            run_prefix,
            manifest: ManifestLocation {
                bucket: input.config.bucket.clone(),
                key,
            },
        })
    }

    /// The JSON the query binds as `$1`: the tenants as an array of strings.
    fn tenants_json(&self) -> String {
        serde_json::Value::from(self.tenants.clone()).to_string()
    }

    /// The output for `counts` (one per tenant of the plan).
    fn output(self, counts: BTreeMap<String, u64>) -> QuerySalesOutput {
        let tenants: Vec<TenantCount> = self
            .tenants
            .into_iter()
            .map(|tenant_id| TenantCount {
                count: counts.get(&tenant_id).copied().unwrap_or_default(),
                tenant_id,
            })
            .collect();
        QuerySalesOutput {
            export_date: self.window.export_date.to_string(),
            window_start: rfc3339(self.window.start),
            window_end: rfc3339(self.window.end),
            count: tenants.iter().map(|t| t.count).sum(),
            tenants,
            manifest: self.manifest,
            results_prefix: format!("{}{RESULTS_DIR}", self.run_prefix),
            run_prefix: self.run_prefix,
        }
    }
}

/// An [`export_window`] error (`date: …`, `scheduled_time: …`) as the input field it is
/// about.
fn in_request(e: ActivityError) -> ActivityError {
    let cause = match e.cause.split_once(": ") {
        Some((field, rest)) if field == "date" || field == "scheduled_time" => {
            format!("input field \"request.{field}\": {rest}")
        }
        _ => format!("input field \"request\": {}", e.cause),
    };
    ActivityError::new(e.name, cause)
}

/// The tenants to export: `requested` alone when given (it must be configured), else
/// every configured one; sorted byte-wise (the manifest's order), duplicates removed.
fn select_tenants(
    requested: Option<&str>,
    configured: &[String],
) -> Result<Vec<String>, ActivityError> {
    if configured.is_empty() {
        return Err(ActivityError::invalid_input(
            "input field \"config.tenants\": must list at least one tenant",
        ));
    }
    let mut tenants = match requested {
        Some(tenant) if configured.iter().any(|t| t == tenant) => vec![tenant.to_string()],
        Some(tenant) => {
            return Err(ActivityError::invalid_input(format!(
                "input field \"request.tenant_id\": tenant \"{tenant}\" is not configured (configured: {})",
                configured.join(", ")
            )));
        }
        None => configured.to_vec(),
    };
    tenants.sort();
    tenants.dedup();
    Ok(tenants)
}

/// The run id in S3 keys: the execution name — the part of `execution` (an execution ARN
/// or name) after its last `:` — with characters other than letters, digits, `-`, `_`
/// and `.` replaced by `_`; [`LOCAL_RUN_ID`] when there is no execution (or nothing
/// usable is left).
pub fn run_id(execution: Option<&str>) -> String {
    let name = execution
        .map(|e| e.rsplit_once(':').map_or(e, |(_, name)| name).trim())
        .unwrap_or_default();
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.chars().all(|c| c == '.') {
        LOCAL_RUN_ID.to_string()
    } else {
        safe
    }
}

/// RFC 3339 in UTC with a `Z` and no fraction when it is zero.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A failed export: the error, and whether the database refused the credentials.
struct ExportFailure {
    error: ActivityError,
    credentials_rejected: bool,
}

impl From<ActivityError> for ExportFailure {
    fn from(error: ActivityError) -> Self {
        ExportFailure {
            error,
            credentials_rejected: false,
        }
    }
}

/// Streams the window's rows into `writer` and counts them per tenant.
async fn export(
    database: &Database,
    plan: &Plan,
    writer: &mut ManifestWriter<'_>,
) -> Result<BTreeMap<String, u64>, ExportFailure> {
    let mut counts: BTreeMap<String, u64> = plan.tenants.iter().map(|t| (t.clone(), 0)).collect();
    let db_failure = |e: &sqlx::Error| ExportFailure {
        error: database.error(e),
        credentials_rejected: db::classify(e, database.dialect).kind == db::Kind::Credentials,
    };
    let mut rows = sqlx::query(database.dialect.select_sales())
        .bind(plan.tenants_json())
        .bind(rfc3339(plan.window.start))
        .bind(rfc3339(plan.window.end))
        .fetch(&database.pool);
    while let Some(row) = rows.try_next().await.map_err(|e| db_failure(&e))? {
        let sale = sale_from_row(&row, &plan.window).map_err(|e| match e {
            RowError::Sqlx(e) => db_failure(&e),
            RowError::Invalid(e) => ExportFailure::from(e),
        })?;
        match counts.get_mut(&sale.tenant_id) {
            Some(count) => *count += 1,
            None => {
                return Err(ActivityError::permanent(format!(
                    "SmartGo database ({}): sale {} of tenant \"{}\" was returned but that tenant was not requested",
                    database.dialect.label(),
                    sale.sale_id,
                    sale.tenant_id
                ))
                .into());
            }
        }
        writer.push(&sale).await?;
    }
    Ok(counts)
}

/// Why a row could not become a [`Sale`].
enum RowError {
    /// A column is missing or of another type.
    Sqlx(sqlx::Error),
    /// The row's values are unusable.
    Invalid(ActivityError),
}

/// The sale in `row`, with `sold_at` normalised to RFC 3339 UTC and checked to lie in
/// `window` (a guard against a dialect returning what it should not).
fn sale_from_row(row: &AnyRow, window: &ExportWindow) -> Result<Sale, RowError> {
    let get = |column: &str| row.try_get::<String, _>(column).map_err(RowError::Sqlx);
    let get_int = |column: &str| row.try_get::<i64, _>(column).map_err(RowError::Sqlx);
    let sale_id = get("sale_id")?;
    let raw_sold_at = get("sold_at")?;
    let sold_at = DateTime::parse_from_rfc3339(&raw_sold_at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            RowError::Invalid(ActivityError::permanent(format!(
                "SmartGo database: sale {sale_id}: sold_at \"{raw_sold_at}\" is not a timestamp ({e})"
            )))
        })?;
    if sold_at < window.start || sold_at >= window.end {
        return Err(RowError::Invalid(ActivityError::permanent(format!(
            "SmartGo database: sale {sale_id} sold at {} lies outside the window [{}, {})",
            rfc3339(sold_at),
            rfc3339(window.start),
            rfc3339(window.end)
        ))));
    }
    Ok(Sale {
        tenant_id: get("tenant_id")?,
        product_id: get("product_id")?,
        sold_at: rfc3339(sold_at),
        quantity: get_int("quantity")?,
        unit_price_cents: get_int("unit_price_cents")?,
        currency: get("currency")?,
        image_url: get("image_url")?,
        sale_id,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use pretty_assertions::assert_eq;
    use serde_json::{Value, json};

    use super::*;
    use stepwise_runtime::Services;
    use stepwise_runtime::aws::Aws;

    fn settings() -> Value {
        json!({
            "config_parameter": "/stepwise/daily-sales-export/config",
            "bucket": "smartgo-analytics",
            "staging_prefix": "staging/daily-sales/",
            "lake_prefix": "lake/sales/",
            "progress_table": "stepwise-progress",
            "tenants": ["globex", "acme", "initech"],
            "bedrock": {"model_id": "amazon.titan-embed-image-v1"},
            "embed_concurrency": 4,
            "image_limits": {"max_bytes": 10485760, "timeout_seconds": 30, "max_dimension": 2048}
        })
    }

    fn input(request: Value) -> QuerySalesInput {
        let mut request_doc = json!({
            "config_parameter": "/stepwise/daily-sales-export/config",
            "progress_table": "stepwise-progress"
        });
        if let (Some(doc), Some(extra)) = (request_doc.as_object_mut(), request.as_object()) {
            doc.extend(extra.clone());
        }
        stepwise_runtime::decode(json!({"request": request_doc, "config": settings()})).unwrap()
    }

    fn plan(request: Value, execution: Option<&str>) -> Result<Plan, ActivityError> {
        Plan::new(&input(request), execution)
    }

    #[test]
    fn the_window_is_the_utc_day_before_the_schedule_or_the_date() {
        let p = plan(json!({"scheduled_time": "2026-11-24T03:00:00Z"}), None).unwrap();
        let out = p.output(BTreeMap::new());
        assert_eq!(out.export_date, "2026-11-23");
        assert_eq!(out.window_start, "2026-11-23T00:00:00Z");
        assert_eq!(out.window_end, "2026-11-24T00:00:00Z");

        let p = plan(
            json!({"scheduled_time": "2026-11-24T03:00:00Z", "date": "2026-02-28"}),
            None,
        )
        .unwrap();
        assert_eq!(p.window.export_date.to_string(), "2026-02-28");
        assert_eq!(rfc3339(p.window.end), "2026-03-01T00:00:00Z");
    }

    #[test]
    fn an_unreadable_window_is_invalid_input_naming_the_request_field() {
        let err = plan(json!({"date": "23.11.2026"}), None).unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(
            err.cause.starts_with("input field \"request.date\": "),
            "{}",
            err.cause
        );
        let err = plan(json!({}), None).unwrap_err();
        assert!(
            err.cause
                .starts_with("input field \"request\": scheduled_time or date: one is required"),
            "{}",
            err.cause
        );
        let err = plan(json!({"scheduled_time": "soon"}), None).unwrap_err();
        assert!(
            err.cause
                .starts_with("input field \"request.scheduled_time\": \"soon\""),
            "{}",
            err.cause
        );
    }

    #[test]
    fn every_configured_tenant_sorted_or_the_one_requested() {
        let p = plan(json!({"date": "2026-11-23"}), None).unwrap();
        assert_eq!(p.tenants, ["acme", "globex", "initech"]);
        assert_eq!(p.tenants_json(), r#"["acme","globex","initech"]"#);
        let p = plan(json!({"date": "2026-11-23", "tenant_id": "globex"}), None).unwrap();
        assert_eq!(p.tenants, ["globex"]);
        assert_eq!(
            select_tenants(None, &["b".into(), "a".into(), "b".into()]).unwrap(),
            ["a", "b"]
        );
    }

    #[test]
    fn an_unconfigured_tenant_is_invalid_input_naming_it() {
        let err = plan(json!({"date": "2026-11-23", "tenant_id": "umbrella"}), None).unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert_eq!(
            err.cause,
            "input field \"request.tenant_id\": tenant \"umbrella\" is not configured (configured: globex, acme, initech)"
        );
        let err = select_tenants(None, &[]).unwrap_err();
        assert!(err.cause.contains("config.tenants"), "{}", err.cause);
    }

    #[test]
    fn the_run_id_is_the_execution_name() {
        let arn =
            "arn:aws:states:eu-west-1:123456789012:execution:daily-sales-export:run-2026-11-24";
        assert_eq!(run_id(Some(arn)), "run-2026-11-24");
        assert_eq!(run_id(Some("manual_1")), "manual_1");
        assert_eq!(run_id(Some("a/b c")), "a_b_c");
        assert_eq!(run_id(Some("arn:aws:states:x:1:execution:sm:")), "local");
        assert_eq!(run_id(Some("..")), "local");
        assert_eq!(run_id(Some("")), "local");
        assert_eq!(run_id(None), "local");
    }

    #[test]
    fn the_manifest_key_uses_the_export_date_and_the_run_id() {
        let p = plan(
            json!({"scheduled_time": "2026-11-24T03:00:00Z"}),
            Some("arn:aws:states:eu-west-1:1:execution:daily-sales-export:exec-7"),
        )
        .unwrap();
        assert_eq!(
            p.manifest,
            ManifestLocation {
                bucket: "smartgo-analytics".into(),
                key: "staging/daily-sales/runs/2026-11-23/exec-7/sales.jsonl".into()
            }
        );
        let p = plan(json!({"date": "2026-11-23"}), None).unwrap();
        assert_eq!(
            p.manifest.key,
            "staging/daily-sales/runs/2026-11-23/local/sales.jsonl"
        );
    }

    #[test]
    fn the_output_lists_every_requested_tenant_and_never_rows() {
        let p = plan(json!({"date": "2026-11-23"}), Some("exec-1")).unwrap();
        let counts = BTreeMap::from([("globex".to_string(), 2), ("acme".to_string(), 5)]);
        let out = serde_json::to_value(p.output(counts)).unwrap();
        assert_eq!(
            out,
            json!({
                "export_date": "2026-11-23",
                "window_start": "2026-11-23T00:00:00Z",
                "window_end": "2026-11-24T00:00:00Z",
                "count": 7,
                "tenants": [
                    {"tenant_id": "acme", "count": 5},
                    {"tenant_id": "globex", "count": 2},
                    {"tenant_id": "initech", "count": 0}
                ],
                "manifest": {
                    "bucket": "smartgo-analytics",
                    "key": "staging/daily-sales/runs/2026-11-23/exec-1/sales.jsonl"
                },
                "run_prefix": "staging/daily-sales/runs/2026-11-23/exec-1/",
                "results_prefix": "staging/daily-sales/runs/2026-11-23/exec-1/embed-results"
            })
        );
        let schema = QuerySales::output_schema();
        let properties: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(
            properties,
            [
                "export_date",
                "window_start",
                "window_end",
                "count",
                "tenants",
                "manifest",
                "run_prefix",
                "results_prefix"
            ]
        );
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn the_input_rejects_unknown_fields() {
        let input_schema = QuerySales::input_schema();
        assert_eq!(input_schema["required"], json!(["request", "config"]));
        let err = stepwise_runtime::decode::<QuerySalesInput>(json!({
            "request": {"config_parameter": "/p", "progress_table": "t", "date": "2026-11-23"},
            "config": settings(),
            "database_url": "postgres://u:p@h/db"
        }))
        .unwrap_err();
        assert!(
            err.cause.contains("unknown field \"database_url\""),
            "{}",
            err.cause
        );
    }

    /// Services whose AWS endpoint refuses connections: any AWS call would fail with
    /// `Transient`, so an `InvalidInput` proves nothing was read or written.
    fn unreachable_aws() -> Context {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("x", "y", None, None, "test"),
                ),
            )
            .build();
        Context::new(Arc::new(Services {
            aws: Aws::with_config(config),
            params: stepwise_runtime::params::ParameterCache::new(),
        }))
    }

    #[tokio::test]
    async fn a_bad_tenant_fails_before_any_read_or_write() {
        let request = json!({
            "config_parameter": "/stepwise/daily-sales-export/config",
            "progress_table": "stepwise-progress",
            "date": "2026-11-23",
            "tenant_id": "umbrella"
        });
        let mut ctx = unreachable_aws();
        ctx.execution = Some("exec-1".into());
        let err = crate::registry()
            .invoke(
                "QuerySales",
                json!({"request": request, "config": settings()}),
                &ctx,
            )
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("\"umbrella\""), "{}", err.cause);
    }

    #[tokio::test]
    async fn limits_outside_what_the_schema_publishes_are_invalid_input_naming_the_field() {
        let request = json!({
            "config_parameter": "/stepwise/daily-sales-export/config",
            "progress_table": "stepwise-progress",
            "date": "2026-11-23"
        });
        for (field, value, bound) in [
            ("timeout_seconds", 0, "less than the minimum of 1"),
            ("timeout_seconds", 61, "greater than the maximum of 60"),
            ("max_bytes", 0, "less than the minimum of 1"),
        ] {
            let mut config = settings();
            config["image_limits"][field] = json!(value);
            let mut ctx = unreachable_aws();
            ctx.execution = Some("exec-1".into());
            let err = crate::registry()
                .invoke(
                    "QuerySales",
                    json!({"request": request, "config": config}),
                    &ctx,
                )
                .await
                .unwrap_err();
            assert_eq!(err.name.as_str(), "InvalidInput", "{}", err.cause);
            assert_eq!(
                err.cause,
                format!("input field \"config.image_limits.{field}\": {value} is {bound}")
            );
        }
    }

    /// A typical sale: real-looking ids and an S3 image URL.
    fn typical_sale(i: usize) -> Sale {
        Sale {
            sale_id: format!("S-20261123-{i:06}"),
            tenant_id: "acme-outdoor".into(),
            product_id: format!("P-{:06}", i % 5000),
            sold_at: "2026-11-23T14:03:27Z".into(),
            quantity: 2,
            unit_price_cents: 4_999,
            currency: "EUR".into(),
            image_url: format!(
                "s3://smartgo-product-images/acme-outdoor/products/P-{:06}/main.jpg",
                i % 5000
            ),
        }
    }

    /// The smallest N whose JSON array of `item(0..N)` is larger than the state payload
    /// limit, checked by serialising N and N - 1 items.
    fn break_even<T: Serialize>(item: impl Fn(usize) -> T) -> usize {
        let mut size = 2; // []
        let mut n = 0;
        while size <= STATE_PAYLOAD_LIMIT {
            size += serde_json::to_vec(&item(n)).unwrap().len() + usize::from(n > 0);
            n += 1;
        }
        let items: Vec<T> = (0..n).map(&item).collect();
        assert!(serde_json::to_vec(&items).unwrap().len() > STATE_PAYLOAD_LIMIT);
        assert!(serde_json::to_vec(&items[..n - 1]).unwrap().len() <= STATE_PAYLOAD_LIMIT);
        n
    }

    #[test]
    fn an_inline_list_of_sales_exceeds_the_payload_limit_at_1041() {
        assert_eq!(serde_json::to_vec(&typical_sale(7)).unwrap().len(), 251);
        assert_eq!(
            break_even(typical_sale),
            1041,
            "update the module docs and README"
        );
        // Even bare references (one S3 key per sale) overflow at a few thousand.
        let reference = |i: usize| {
            format!("staging/daily-sales/runs/2026-11-23/exec-42/sales/S-20261123-{i:06}.json")
        };
        assert_eq!(
            break_even(reference),
            3496,
            "update the module docs and README"
        );
    }

    #[test]
    fn rows_are_normalised_like_the_manifest_expects() {
        let start = "2026-11-23T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(rfc3339(start), "2026-11-23T00:00:00Z");
        let t = DateTime::parse_from_rfc3339("2026-11-23T14:03:00.000000Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339(t), "2026-11-23T14:03:00Z");
        let t = DateTime::parse_from_rfc3339("2026-11-23T14:03:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339(t), "2026-11-23T14:03:00.250Z");
    }
}
