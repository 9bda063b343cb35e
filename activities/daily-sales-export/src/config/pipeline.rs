//! [`PipelineConfig`]: the daily-sales-export configuration as stored in SSM (with its
//! secret), and [`PipelineSettings`]: the same without the secret, as it travels through
//! the state machine.
//!
//! The parameter holds a JSON document like
//!
//! ```json
//! {
//!   "database_url": "postgres://export:s3cret@db.internal:5432/smartgo",
//!   "bucket": "smartgo-analytics",
//!   "staging_prefix": "staging/daily-sales/",
//!   "lake_prefix": "lake/sales/",
//!   "progress_table": "stepwise-progress",
//!   "tenants": ["acme", "globex"],
//!   "bedrock": { "model_id": "amazon.titan-embed-image-v1", "region": "us-east-1" },
//!   "embed_concurrency": 8,
//!   "image_limits": { "max_bytes": 10485760, "timeout_seconds": 30, "max_dimension": 2048 }
//! }
//! ```
//!
//! `bedrock` and `image_limits` (and each of their fields) may be left out for the
//! defaults. `lake_tables` (`{"table_bucket": "smartgo-lake", "namespace": "sales_lake"}`)
//! is optional: with it, WritePartition commits the day to the `smartgo_sales` Iceberg
//! table instead of writing Hive-style objects under `lake_prefix`. Parsing must never let the secret into an error message: serde's messages
//! quote offending values, so every message is scrubbed of the database URL and its
//! credentials, and the checks here never quote the URL.

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use stepwise_embeddings::{BedrockConfig, ImageLimits, MAX_IMAGE_TIMEOUT_SECONDS};
use stepwise_lake_tables::TablesConfig;
use stepwise_runtime::decode_json;
use stepwise_runtime::{ActivityError, Context};

/// The highest `embed_concurrency` accepted (the Map state's `MaxConcurrency`).
pub const MAX_EMBED_CONCURRENCY: u32 = 100;
/// The pipeline configuration as stored in the SSM parameter, secret included.
///
/// `Debug` shows the database URL as `[REDACTED]`; the type is not `Serialize`, so it
/// cannot end up in an activity's output by accident. Convert it with
/// [`PipelineConfig::settings`].
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// The SmartGo sales database, as an sqlx URL with credentials
    /// (`postgres://user:password@host:5432/smartgo`, `sqlite:///path/smartgo.db`). Secret.
    #[serde(deserialize_with = "secret_string")]
    #[schemars(with = "String")]
    pub database_url: SecretString,
    /// The S3 bucket for staging files and the data lake.
    pub bucket: String,
    /// Key prefix of intermediate files (result sets, embeddings) in `bucket`.
    pub staging_prefix: String,
    /// Key prefix of the Parquet data lake (`tenant_id=/year=/month=` partitions).
    pub lake_prefix: String,
    /// The DynamoDB table recording each run's progress.
    pub progress_table: String,
    /// The tenants whose sales are exported (at least one).
    #[schemars(length(min = 1))]
    pub tenants: Vec<String>,
    /// The embedding model.
    #[serde(default)]
    pub bedrock: BedrockConfig,
    /// How many images are embedded at once (the Map's `MaxConcurrency`), 1 to 100.
    #[schemars(range(min = 1, max = 100))]
    pub embed_concurrency: u32,
    /// Limits on fetched product images.
    #[serde(default)]
    pub image_limits: ImageLimits,
    /// The lake's Iceberg tables (S3 Tables): when given, WritePartition writes the
    /// day's files under the `smartgo_sales` table's location and commits them as one
    /// snapshot replacing the date; when left out, it writes the Hive-style objects
    /// under `lake_prefix` as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lake_tables: Option<TablesConfig>,
}

/// The pipeline configuration without its secret, plus the name of the parameter it came
/// from: what [`super::LoadConfig`] returns and later steps receive. A step that needs
/// the database URL calls [`PipelineConfig::load`] with `config_parameter` (served from
/// the parameter cache), so the secret never enters the execution history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSettings {
    /// The SSM parameter holding the full configuration.
    pub config_parameter: String,
    /// See [`PipelineConfig::bucket`].
    pub bucket: String,
    /// See [`PipelineConfig::staging_prefix`].
    pub staging_prefix: String,
    /// See [`PipelineConfig::lake_prefix`].
    pub lake_prefix: String,
    /// See [`PipelineConfig::progress_table`].
    pub progress_table: String,
    /// See [`PipelineConfig::tenants`].
    pub tenants: Vec<String>,
    /// See [`PipelineConfig::bedrock`].
    pub bedrock: BedrockConfig,
    /// See [`PipelineConfig::embed_concurrency`].
    pub embed_concurrency: u32,
    /// See [`PipelineConfig::image_limits`].
    pub image_limits: ImageLimits,
    /// See [`PipelineConfig::lake_tables`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lake_tables: Option<TablesConfig>,
}

impl PipelineConfig {
    /// Reads and checks the configuration in SSM parameter `parameter`, through the
    /// context's parameter cache. Fails with `NotFound` when the parameter does not
    /// exist, `InvalidInput` naming the field when the document is wrong, and the
    /// classified AWS error otherwise.
    pub async fn load(ctx: &Context, parameter: &str) -> Result<Self, ActivityError> {
        let value = ctx.params().get(ctx.aws(), parameter).await?;
        Self::from_json(parameter, value.expose_secret())
    }

    /// Parses and checks a configuration document read from SSM parameter `parameter`
    /// (named in every error). Failures are `InvalidInput` naming the field, every
    /// problem the checks find at once; no message contains the database URL or its
    /// credentials.
    pub fn from_json(parameter: &str, json: &str) -> Result<Self, ActivityError> {
        let subject = format!("pipeline configuration in SSM parameter {parameter}");
        let document: Value = serde_json::from_str(json).map_err(|e| {
            ActivityError::invalid_input(format!("{subject}: not a JSON document: {e}"))
        })?;
        let secrets = document
            .get("database_url")
            .and_then(Value::as_str)
            .map(url_secrets)
            .unwrap_or_default();
        let config: PipelineConfig = decode_json(document).map_err(|e| {
            let message = scrub(&e.message, &secrets);
            ActivityError::invalid_input(match e.path {
                Some(path) => format!("{subject}: field \"{path}\": {message}"),
                None => format!("{subject}: {message}"),
            })
        })?;
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ActivityError::invalid_input(format!(
                "{subject}: {}",
                problems.join("; ")
            )))
        }
    }

    /// The configuration without its secret, remembering where it came from.
    pub fn settings(&self, parameter: &str) -> PipelineSettings {
        PipelineSettings {
            config_parameter: parameter.to_string(),
            bucket: self.bucket.clone(),
            staging_prefix: self.staging_prefix.clone(),
            lake_prefix: self.lake_prefix.clone(),
            progress_table: self.progress_table.clone(),
            tenants: self.tenants.clone(),
            bedrock: self.bedrock.clone(),
            embed_concurrency: self.embed_concurrency,
            image_limits: self.image_limits.clone(),
            lake_tables: self.lake_tables.clone(),
        }
    }

    /// What is wrong with a decoded configuration, each naming its field; empty when it
    /// is valid. Never quotes the database URL.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, what: String| {
            problems.push(format!("field \"{field}\": {what}"));
        };
        let url = self.database_url.expose_secret();
        if !["postgres://", "postgresql://", "sqlite:"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            problem(
                "database_url",
                "must be a postgres://, postgresql:// or sqlite: URL (value not shown: it is secret)"
                    .into(),
            );
        }
        if let Some(what) = bucket_problem(&self.bucket) {
            problem("bucket", what);
        }
        for (field, prefix) in [
            ("staging_prefix", &self.staging_prefix),
            ("lake_prefix", &self.lake_prefix),
        ] {
            if prefix.starts_with('/') {
                problem(
                    field,
                    format!("must not start with \"/\" (S3 keys do not), got \"{prefix}\""),
                );
            }
        }
        if let Some(what) = table_problem(&self.progress_table) {
            problem("progress_table", what);
        }
        if self.tenants.is_empty() {
            problem("tenants", "must list at least one tenant".into());
        }
        for (i, tenant) in self.tenants.iter().enumerate() {
            let field = format!("tenants[{i}]");
            if tenant.trim().is_empty() {
                problem(&field, "must not be empty".into());
            } else if tenant.contains('/') {
                problem(
                    &field,
                    format!("\"{tenant}\" must not contain \"/\" (it names an S3 partition)"),
                );
            } else if self.tenants[..i].contains(tenant) {
                problem(&field, format!("\"{tenant}\" is listed twice"));
            }
        }
        if self.bedrock.model_id.trim().is_empty() {
            problem("bedrock.model_id", "must not be empty".into());
        }
        if self
            .bedrock
            .region
            .as_deref()
            .is_some_and(|r| r.trim().is_empty())
        {
            problem(
                "bedrock.region",
                "must not be empty (leave it out for the pipeline's region)".into(),
            );
        }
        if !(1..=MAX_EMBED_CONCURRENCY).contains(&self.embed_concurrency) {
            problem(
                "embed_concurrency",
                format!(
                    "must be between 1 and {MAX_EMBED_CONCURRENCY}, got {}",
                    self.embed_concurrency
                ),
            );
        }
        if self.image_limits.max_bytes == 0 {
            problem("image_limits.max_bytes", "must be at least 1, got 0".into());
        }
        if !(1..=MAX_IMAGE_TIMEOUT_SECONDS).contains(&self.image_limits.timeout_seconds) {
            problem(
                "image_limits.timeout_seconds",
                format!(
                    "must be between 1 and {MAX_IMAGE_TIMEOUT_SECONDS} (half of EmbedImage's function timeout), got {}",
                    self.image_limits.timeout_seconds
                ),
            );
        }
        if let Some(Err(e)) = self.lake_tables.as_ref().map(TablesConfig::check) {
            problem("lake_tables", e.to_string());
        }
        if self.image_limits.max_dimension == 0 {
            problem(
                "image_limits.max_dimension",
                "must be at least 1, got 0".into(),
            );
        }
        problems
    }
}

/// What is wrong with an S3 bucket name, if anything (3–63 lowercase letters, digits,
/// dots and hyphens, starting and ending with a letter or digit).
fn bucket_problem(bucket: &str) -> Option<String> {
    let valid_chars = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let valid_ends = bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if (3..=63).contains(&bucket.len()) && valid_chars && valid_ends {
        None
    } else {
        Some(format!(
            "\"{bucket}\" is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
        ))
    }
}

/// What is wrong with a DynamoDB table name, if anything (3–255 letters, digits, `_`,
/// `-`, `.`).
fn table_problem(table: &str) -> Option<String> {
    let valid_chars = table
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if (3..=255).contains(&table.len()) && valid_chars {
        None
    } else {
        Some(format!(
            "\"{table}\" is not a DynamoDB table name (3 to 255 letters, digits, \"_\", \"-\", \".\")"
        ))
    }
}

/// The secret parts of a database URL: the URL itself, its user info and its password.
fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = vec![url.to_string()];
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if let Some((userinfo, _host)) = authority.rsplit_once('@') {
            secrets.push(userinfo.to_string());
            if let Some((_user, password)) = userinfo.split_once(':') {
                secrets.push(password.to_string());
            }
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// `message` with every secret replaced by `***`, both as written and as serde quotes it
/// (escaped, in `Debug` form).
fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_string();
    // Longest first, so the URL goes before the password inside it.
    let mut forms: Vec<String> = secrets
        .iter()
        .flat_map(|s| {
            let quoted = format!("{s:?}");
            let escaped = quoted[1..quoted.len() - 1].to_string();
            [s.clone(), escaped]
        })
        .collect();
    forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for form in forms {
        out = out.replace(&form, "***");
    }
    out
}

fn secret_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SecretString, D::Error> {
    String::deserialize(deserializer).map(SecretString::from)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const PARAM: &str = "/stepwise/daily-sales-export/config";
    const PASSWORD: &str = "Sup3r\"S3cret";

    fn full() -> Value {
        json!({
            "database_url": format!("postgres://export:{PASSWORD}@db.internal:5432/smartgo"),
            "bucket": "smartgo-analytics",
            "staging_prefix": "staging/daily-sales/",
            "lake_prefix": "lake/sales/",
            "progress_table": "stepwise-progress",
            "tenants": ["acme", "globex"],
            "bedrock": {"model_id": "amazon.titan-embed-image-v1", "region": "eu-west-1"},
            "embed_concurrency": 8,
            "image_limits": {"max_bytes": 1000, "timeout_seconds": 5, "max_dimension": 512}
        })
    }

    fn parse(doc: &Value) -> Result<PipelineConfig, ActivityError> {
        PipelineConfig::from_json(PARAM, &doc.to_string())
    }

    fn cause_of(doc: &Value) -> String {
        let err = parse(doc).unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(!err.cause.contains("Sup3r"), "secret leaked: {}", err.cause);
        assert!(err.cause.contains(PARAM), "{}", err.cause);
        err.cause
    }

    #[test]
    fn lake_tables_are_optional_and_their_names_are_checked() {
        assert_eq!(parse(&full()).unwrap().lake_tables, None);
        let mut doc = full();
        doc["lake_tables"] = json!({"table_bucket": "smartgo-lake", "namespace": "sales_lake"});
        let config = parse(&doc).unwrap();
        let tables = config.settings(PARAM).lake_tables.expect("lake_tables");
        assert_eq!(tables.table_bucket, "smartgo-lake");
        doc["lake_tables"]["namespace"] = json!("Sales-Lake");
        let cause = cause_of(&doc);
        assert!(
            cause.contains("field \"lake_tables\": namespace: \"Sales-Lake\""),
            "{cause}"
        );
    }

    #[test]
    fn parses_a_full_document() {
        let config = parse(&full()).unwrap();
        assert_eq!(config.tenants, ["acme", "globex"]);
        assert_eq!(config.bedrock.region.as_deref(), Some("eu-west-1"));
        assert_eq!(config.image_limits.max_dimension, 512);
        assert!(
            config
                .database_url
                .expose_secret()
                .starts_with("postgres://")
        );
    }

    #[test]
    fn optional_sections_take_their_defaults() {
        let mut doc = full();
        let map = doc.as_object_mut().unwrap();
        map.remove("bedrock");
        map.remove("image_limits");
        map.insert("database_url".into(), json!("sqlite:///var/lib/smartgo.db"));
        let config = parse(&doc).unwrap();
        assert_eq!(config.bedrock, BedrockConfig::default());
        assert_eq!(config.bedrock.model_id, "amazon.titan-embed-image-v1");
        assert_eq!(config.image_limits.max_bytes, 10 * 1024 * 1024);
        assert_eq!(config.image_limits.timeout_seconds, 30);
        assert_eq!(config.image_limits.max_dimension, 2048);

        doc["image_limits"] = json!({"timeout_seconds": 10});
        let limits = parse(&doc).unwrap().image_limits;
        assert_eq!((limits.max_bytes, limits.timeout_seconds), (10485760, 10));
    }

    #[test]
    fn settings_drop_the_secret_and_name_the_parameter() {
        let settings = parse(&full()).unwrap().settings(PARAM);
        let json = serde_json::to_value(&settings).unwrap();
        assert_eq!(json["config_parameter"], PARAM);
        assert!(json.get("database_url").is_none());
        assert!(!json.to_string().contains("Sup3r"));
        assert_eq!(json["embed_concurrency"], 8);
    }

    #[test]
    fn debug_redacts_the_database_url() {
        let shown = format!("{:?}", parse(&full()).unwrap());
        assert!(!shown.contains("Sup3r"), "{shown}");
        assert!(!shown.contains("db.internal"), "{shown}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let mut doc = full();
        doc.as_object_mut().unwrap().remove("tenants");
        assert_eq!(
            cause_of(&doc),
            format!("pipeline configuration in SSM parameter {PARAM}: missing field \"tenants\"")
        );
    }

    #[test]
    fn a_wrong_type_names_the_field_path() {
        let mut doc = full();
        doc["image_limits"]["timeout_seconds"] = json!("soon");
        let cause = cause_of(&doc);
        assert!(
            cause.contains("field \"image_limits.timeout_seconds\": expected a non-negative integer up to 4294967295, got \"soon\""),
            "{cause}"
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let mut doc = full();
        doc["bedrock"]["modle_id"] = json!("x");
        let cause = cause_of(&doc);
        assert!(
            cause.contains("field \"bedrock.modle_id\": unknown field \"modle_id\""),
            "{cause}"
        );
    }

    #[test]
    fn out_of_range_values_are_all_reported() {
        let mut doc = full();
        doc["embed_concurrency"] = json!(0);
        doc["tenants"] = json!(["acme", "", "acme", "a/b"]);
        doc["image_limits"]["timeout_seconds"] = json!(61);
        doc["bucket"] = json!("Not_A_Bucket");
        doc["lake_prefix"] = json!("/lake");
        let cause = cause_of(&doc);
        for expected in [
            "field \"embed_concurrency\": must be between 1 and 100, got 0",
            "field \"tenants[1]\": must not be empty",
            "field \"tenants[2]\": \"acme\" is listed twice",
            "field \"tenants[3]\": \"a/b\" must not contain \"/\"",
            "field \"image_limits.timeout_seconds\": must be between 1 and 60 (half of EmbedImage's function timeout), got 61",
            "field \"bucket\": \"Not_A_Bucket\" is not an S3 bucket name",
            "field \"lake_prefix\": must not start with \"/\"",
        ] {
            assert!(cause.contains(expected), "{expected} not in {cause}");
        }
        doc["embed_concurrency"] = json!(101);
        assert!(cause_of(&doc).contains("got 101"));
        doc["tenants"] = json!([]);
        assert!(cause_of(&doc).contains("field \"tenants\": must list at least one tenant"));
    }

    #[test]
    fn the_secret_never_appears_in_an_error() {
        // A bad field next to a password.
        let mut doc = full();
        doc["embed_concurrency"] = json!("eight");
        cause_of(&doc);
        // The URL itself of the wrong type: serde quotes the offending value.
        let mut doc = full();
        doc["database_url"] = json!(["postgres://export:Sup3rS3cret@db/smartgo"]);
        cause_of(&doc);
        // The secret pasted into a field of another type.
        let mut doc = full();
        let url = doc["database_url"].clone();
        doc["embed_concurrency"] = url;
        let cause = cause_of(&doc);
        assert!(cause.contains("field \"embed_concurrency\""), "{cause}");
        // An unsupported scheme is reported without the URL.
        let mut doc = full();
        doc["database_url"] = json!(format!("mysql://export:{PASSWORD}@db/smartgo"));
        let cause = cause_of(&doc);
        assert!(
            cause.contains("field \"database_url\": must be a postgres://"),
            "{cause}"
        );
        assert!(!cause.contains("mysql"), "{cause}");
    }

    #[test]
    fn a_document_that_is_not_json_is_invalid_input() {
        let err =
            PipelineConfig::from_json(PARAM, "{\"database_url\": \"postgres://u:Sup3r@h/db\",")
                .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("not a JSON document"), "{}", err.cause);
        assert!(!err.cause.contains("Sup3r"), "{}", err.cause);
    }

    #[test]
    fn url_secrets_cover_the_credentials() {
        assert_eq!(
            url_secrets("postgres://u:p@ss@h:5432/db?sslmode=require"),
            [
                "postgres://u:p@ss@h:5432/db?sslmode=require",
                "u:p@ss",
                "p@ss"
            ]
        );
        assert_eq!(url_secrets("sqlite:///x.db"), ["sqlite:///x.db"]);
        assert_eq!(
            scrub("string \"a\\\"b\" and a\"b", &["a\"b".into()]),
            "string \"***\" and ***"
        );
    }

    #[test]
    fn the_schema_describes_the_stored_document() {
        let schema = stepwise_contract::schema_of::<PipelineConfig>();
        assert_eq!(schema["properties"]["database_url"]["type"], "string");
        assert_eq!(schema["properties"]["embed_concurrency"]["maximum"], 100);
        assert_eq!(schema["additionalProperties"], false);
        let required = schema["required"].as_array().unwrap();
        assert!(!required.contains(&json!("bedrock")));
        assert!(required.contains(&json!("tenants")));
    }
}
