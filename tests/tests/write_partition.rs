//! `WritePartition` against moto server's S3, with pyarrow (`scripts/check_parquet.py`)
//! as the independent reader of what it wrote: the schema, row counts, Hive-style keys,
//! zstd and dictionary encoding, failed items with their reasons (from the ResultWriter
//! export or "no staged embedding"), and re-runs that replace instead of duplicating.
//!
//! Every test shares one moto server and uses a bucket of its own.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use stepwise_embeddings::{EMBEDDING_DIM, encode_vector};
use stepwise_runtime::aws::Aws;
use stepwise_runtime::{Context, Services};
use stepwise_tests::{MotoServer, unique_id, workspace_root};

const EXPORT_DATE: &str = "2026-03-09";
const STAGING: &str = "staging/daily-sales/";
const LAKE: &str = "lake/sales/";
const MANIFEST_KEY: &str = "staging/daily-sales/runs/2026-03-09/exec-1/sales.jsonl";
const ACME_KEY: &str =
    "lake/sales/smartgo_sales/tenant_id=acme/year=2026/month=03/2026-03-09.parquet";
const GLOBEX_KEY: &str =
    "lake/sales/smartgo_sales/tenant_id=globex/year=2026/month=03/2026-03-09.parquet";

/// `(sale_id, tenant_id, product_id, currency)`: S-3 gets no staged vector.
const SALES: &[(&str, &str, &str, &str)] = &[
    ("S-1", "acme", "P-1", "EUR"),
    ("S-2", "globex", "P-2", "USD"),
    ("S-3", "acme", "P-1", "EUR"),
    ("S-4", "acme", "P-3", "EUR"),
    ("S-5", "globex", "P-2", "USD"),
];
const WITHOUT_VECTOR: &str = "S-3";

struct Lake {
    s3: aws_sdk_s3::Client,
    bucket: String,
    ctx: Context,
}

impl Lake {
    async fn new() -> Self {
        let moto = MotoServer::shared();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&moto.sdk_config())
                .force_path_style(true)
                .build(),
        );
        let bucket = format!("lake-{}", unique_id());
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create_bucket");
        let ctx = Context::new(Services::with_aws(Aws::with_config(moto.sdk_config())));
        Lake { s3, bucket, ctx }
    }

    async fn put(&self, key: &str, body: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .expect("put_object");
    }

    async fn get(&self, key: &str) -> (Vec<u8>, Option<String>) {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get_object {key}: {e:?}"));
        let content_type = object.content_type().map(str::to_string);
        let body = object
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec();
        (body, content_type)
    }

    async fn keys(&self, prefix: &str) -> Vec<String> {
        let listing = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .send()
            .await
            .expect("list_objects_v2");
        let mut keys: Vec<String> = listing
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect();
        keys.sort();
        keys
    }

    /// The manifest of [`SALES`] and a staged vector for every sale but S-3.
    async fn stage(&self) {
        let lines: Vec<String> = SALES
            .iter()
            .enumerate()
            .map(|(i, (id, tenant, product, currency))| {
                json!({
                    "sale_id": id, "tenant_id": tenant, "product_id": product,
                    "sold_at": format!("2026-03-09T1{i}:15:00Z"), "quantity": i as i64 + 1,
                    "unit_price_cents": 1000 + i as i64, "currency": currency,
                    "image_url": format!("s3://images/{product}.jpg")
                })
                .to_string()
            })
            .collect();
        self.put(MANIFEST_KEY, (lines.join("\n") + "\n").into_bytes())
            .await;
        for (i, (id, ..)) in SALES.iter().enumerate() {
            if *id != WITHOUT_VECTOR {
                self.stage_vector(id, i as f32).await;
            }
        }
    }

    async fn stage_vector(&self, sale_id: &str, seed: f32) {
        let vector: Vec<f32> = (0..EMBEDDING_DIM)
            .map(|j| seed + j as f32 / 1024.0)
            .collect();
        let key = format!("{STAGING}vectors/{EXPORT_DATE}/{sale_id}.f32");
        self.put(&key, encode_vector(&vector)).await;
    }

    fn input(&self, embed_results: Option<Value>) -> Value {
        let mut input = json!({
            "config": {
                "config_parameter": "/stepwise/daily-sales-export/config",
                "bucket": self.bucket, "staging_prefix": STAGING, "lake_prefix": LAKE,
                "progress_table": "progress", "tenants": ["acme", "globex"],
                "bedrock": {"model_id": "amazon.titan-embed-image-v1"}, "embed_concurrency": 4,
                "image_limits": {"max_bytes": 10485760, "timeout_seconds": 30, "max_dimension": 2048}
            },
            "export_date": EXPORT_DATE,
            "manifest": {"bucket": self.bucket, "key": MANIFEST_KEY}
        });
        if let Some(results) = embed_results {
            input["embed_results"] = results;
        }
        input
    }

    async fn write(
        &self,
        embed_results: Option<Value>,
    ) -> Result<Value, stepwise_runtime::ActivityError> {
        stepwise_lambda::all()
            .invoke("WritePartition", self.input(embed_results), &self.ctx)
            .await
    }

    /// Downloads `keys` and summarises them with pyarrow.
    async fn check(&self, keys: &[&str]) -> Vec<Value> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut paths: Vec<PathBuf> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let (body, content_type) = self.get(key).await;
            assert_eq!(
                content_type.as_deref(),
                Some("application/vnd.apache.parquet")
            );
            let path = dir.path().join(format!("{i}.parquet"));
            std::fs::write(&path, body).expect("write");
            paths.push(path);
        }
        check_parquet(&paths)
    }
}

/// Runs `scripts/check_parquet.py` on `paths` with the project's venv.
fn check_parquet(paths: &[PathBuf]) -> Vec<Value> {
    let root = workspace_root();
    let output = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/check_parquet.py"))
        .args(paths)
        .output()
        .expect("run check_parquet.py (scripts/python-env.sh installs pyarrow)");
    assert!(
        output.status.success(),
        "check_parquet.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    summary["files"].as_array().expect("files").clone()
}

#[tokio::test]
async fn writes_one_parquet_file_per_tenant_that_pyarrow_reads() {
    let lake = Lake::new().await;
    lake.stage().await;

    let output = lake.write(None).await.expect("WritePartition");

    assert_eq!(output["rows"], 5);
    assert_eq!(output["embedded"], 4);
    assert_eq!(output["failed_count"], 1);
    assert_eq!(output["failed"][0]["sale_id"], WITHOUT_VECTOR);
    assert_eq!(output["failed"][0]["tenant_id"], "acme");
    assert_eq!(output["failed"][0]["error"], "NoStagedEmbedding");
    let cause = output["failed"][0]["cause"].as_str().expect("cause");
    assert!(
        cause.starts_with(&format!(
            "no staged embedding at s3://{}/{STAGING}vectors/{EXPORT_DATE}/S-3.f32",
            lake.bucket
        )),
        "{cause}"
    );
    assert_eq!(
        output["per_tenant"],
        json!([
            {"tenant_id": "acme", "rows": 3, "failed": 1},
            {"tenant_id": "globex", "rows": 2, "failed": 0}
        ])
    );
    let files = output["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["key"], ACME_KEY);
    assert_eq!(
        (files[0]["tenant_id"].as_str(), files[0]["rows"].as_u64()),
        (Some("acme"), Some(2))
    );
    assert_eq!(files[1]["key"], GLOBEX_KEY);
    assert_eq!(files[1]["rows"], 2);
    assert_eq!(lake.keys(LAKE).await, [ACME_KEY, GLOBEX_KEY]);

    let summaries = lake.check(&[ACME_KEY, GLOBEX_KEY]).await;
    let acme = &summaries[0];
    assert_eq!(
        acme["schema"],
        json!({
            "sale_id": "string",
            "tenant_id": "string",
            "product_id": "string",
            "sold_at": "timestamp[us, tz=UTC]",
            "quantity": "int64",
            "unit_price_cents": "int64",
            "currency": "string",
            "image_url": "string",
            "export_date": "date32[day]",
            "embedding": "fixed_size_list<element: float>[1024]"
        })
    );
    assert_eq!(acme["nullable"], json!([]), "every column is required");
    assert_eq!(acme["num_rows"], 2);
    assert_eq!(acme["embedding_list_size"], 1024);
    assert_eq!(acme["tenant_ids"], json!(["acme"]));
    assert_eq!(acme["distinct_sale_ids"], 2);
    assert_eq!(acme["export_dates"], json!([EXPORT_DATE]));
    assert!(acme["arrow_schema_stored"].as_bool().expect("bool"));
    for (column, codec) in acme["compression"].as_object().expect("compression") {
        assert_eq!(codec, "ZSTD", "{column}");
    }
    let dictionary = acme["dictionary_columns"].as_array().expect("dictionary");
    for column in ["tenant_id", "product_id", "currency"] {
        assert!(
            dictionary.contains(&json!(column)),
            "{column} not in {dictionary:?}"
        );
    }
    for column in ["sale_id", "embedding.list.element"] {
        assert!(
            !dictionary.contains(&json!(column)),
            "{column} in {dictionary:?}"
        );
    }
    let statistics = acme["statistics_columns"].as_array().expect("statistics");
    assert!(statistics.contains(&json!("sold_at")));
    assert!(!statistics.contains(&json!("embedding.list.element")));
    assert_eq!(summaries[1]["tenant_ids"], json!(["globex"]));
    assert_eq!(summaries[1]["num_rows"], 2);
}

#[tokio::test]
async fn failure_reasons_come_from_the_result_writer_export() {
    let lake = Lake::new().await;
    lake.stage().await;
    let map_run = "arn:aws:states:us-east-1:123456789012:mapRun:daily/Embed:1";
    let failed = json!([
        {
            "ExecutionArn": format!("{map_run}:7"),
            "Input": json!({"sale": {"sale_id": WITHOUT_VECTOR, "tenant_id": "acme"}}).to_string(),
            "InputDetails": {"Included": true},
            "Name": "7",
            "Error": "ImageTooLarge",
            "Cause": "s3://images/P-1.jpg is 12582912 bytes, over the 10485760-byte limit",
            "Status": "FAILED"
        }
    ]);
    lake.put(
        "results/run-1/FAILED_0.json",
        failed.to_string().into_bytes(),
    )
    .await;
    let manifest = json!({
        "DestinationBucket": lake.bucket,
        "MapRunArn": map_run,
        "ResultFiles": {
            "FAILED": [{"Key": "results/run-1/FAILED_0.json", "Size": failed.to_string().len()}],
            "PENDING": [],
            "SUCCEEDED": []
        }
    });
    lake.put(
        "results/run-1/manifest.json",
        manifest.to_string().into_bytes(),
    )
    .await;

    let output = lake
        .write(Some(
            json!({"Bucket": lake.bucket, "Key": "results/run-1/manifest.json"}),
        ))
        .await
        .expect("WritePartition");

    assert_eq!(
        output["failed"],
        json!([{
            "sale_id": WITHOUT_VECTOR,
            "tenant_id": "acme",
            "error": "ImageTooLarge",
            "cause": "s3://images/P-1.jpg is 12582912 bytes, over the 10485760-byte limit"
        }])
    );
    assert_eq!(output["embedded"], 4);
}

#[tokio::test]
async fn a_rerun_of_the_same_date_replaces_the_files_instead_of_adding_rows() {
    let lake = Lake::new().await;
    lake.stage().await;
    let first = lake.write(None).await.expect("first run");
    assert_eq!(first["files"][0]["rows"], 2);
    let (acme_first, _) = lake.get(ACME_KEY).await;
    let (globex_first, _) = lake.get(GLOBEX_KEY).await;

    // The same input again writes the same bytes: a re-run is byte-for-byte idempotent.
    let again = lake.write(None).await.expect("identical re-run");
    assert_eq!(again, first, "the same output");
    assert!(
        lake.get(ACME_KEY).await.0 == acme_first,
        "acme's file changed"
    );
    assert!(
        lake.get(GLOBEX_KEY).await.0 == globex_first,
        "globex's file changed"
    );

    // The second run finds the missing embedding too.
    lake.stage_vector(WITHOUT_VECTOR, 9.0).await;
    let second = lake.write(None).await.expect("second run");

    assert_eq!(second["failed_count"], 0);
    assert_eq!(second["failed"], json!([]));
    let keys: Vec<&str> = second["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["key"].as_str())
        .collect();
    assert_eq!(keys, [ACME_KEY, GLOBEX_KEY], "the same keys");
    assert_eq!(
        lake.keys(LAKE).await,
        [ACME_KEY, GLOBEX_KEY],
        "no extra objects"
    );
    let summaries = lake.check(&[ACME_KEY, GLOBEX_KEY]).await;
    assert_eq!(
        summaries[0]["num_rows"], 3,
        "the second run's file replaced the first"
    );
    assert_eq!(summaries[0]["distinct_sale_ids"], 3, "no duplicate rows");
    assert_eq!(summaries[1]["num_rows"], 2);
    assert_eq!(summaries[1]["distinct_sale_ids"], 2);
    assert!(
        lake.get(GLOBEX_KEY).await.0 == globex_first,
        "globex's input did not change, nor did its bytes"
    );
}

#[tokio::test]
async fn an_unusable_staged_vector_is_a_failed_item() {
    let lake = Lake::new().await;
    lake.stage().await;
    lake.put(
        &format!("{STAGING}vectors/{EXPORT_DATE}/S-5.f32"),
        vec![0; 12],
    )
    .await;

    let output = lake.write(None).await.expect("WritePartition");

    let failed = output["failed"].as_array().expect("failed");
    let ids: Vec<&str> = failed
        .iter()
        .filter_map(|f| f["sale_id"].as_str())
        .collect();
    assert_eq!(ids, ["S-3", "S-5"], "manifest order");
    assert_eq!(failed[1]["error"], "InvalidEmbedding");
    assert!(
        failed[1]["cause"]
            .as_str()
            .expect("cause")
            .contains("must be 4096 bytes, found 12"),
        "{}",
        failed[1]["cause"]
    );
    assert_eq!(output["files"][1]["rows"], 1);
}

#[tokio::test]
async fn a_missing_manifest_is_not_found_naming_it() {
    let lake = Lake::new().await;

    let err = lake.write(None).await.unwrap_err();

    assert_eq!(err.name, stepwise_runtime::errors::NOT_FOUND);
    assert!(
        err.cause.starts_with(&format!(
            "the sales manifest s3://{}/{MANIFEST_KEY}:",
            lake.bucket
        )),
        "{}",
        err.cause
    );
    assert!(lake.keys(LAKE).await.is_empty());
}

#[tokio::test]
async fn a_sale_of_an_unconfigured_tenant_fails_before_anything_is_written() {
    let lake = Lake::new().await;
    lake.stage().await;
    let mut manifest = String::from_utf8(lake.get(MANIFEST_KEY).await.0).expect("utf-8");
    manifest.push_str(
        &json!({
            "sale_id": "S-9", "tenant_id": "initech", "product_id": "P-9",
            "sold_at": "2026-03-09T23:00:00Z", "quantity": 1, "unit_price_cents": 1,
            "currency": "EUR", "image_url": "s3://images/P-9.jpg"
        })
        .to_string(),
    );
    lake.put(MANIFEST_KEY, manifest.into_bytes()).await;

    let err = lake.write(None).await.unwrap_err();

    assert_eq!(err.name, stepwise_runtime::errors::PERMANENT);
    assert!(
        err.cause
            .contains("line 6: sale S-9 belongs to tenant \"initech\""),
        "{}",
        err.cause
    );
    assert!(lake.keys(LAKE).await.is_empty());
}
