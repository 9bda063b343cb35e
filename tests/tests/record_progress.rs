//! `RecordProgress` against moto server's DynamoDB: the item per (tenant, export date),
//! its lifecycle (STARTED → COMPLETED/PARTIAL/FAILED), conditional writes that make
//! retries idempotent and refuse late writes (`ProgressConflict`), the TTL and the bound
//! on recorded failures.
//!
//! Every test shares one moto server and creates a table of its own.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use stepwise_daily_sales_export::record_progress::PROGRESS_CONFLICT;
use stepwise_runtime::aws::Aws;
use stepwise_runtime::{ActivityError, Context, Services};
use stepwise_tests::{MotoServer, unique_id};

const DATE: &str = "2026-03-09";
const EXEC_1: &str = "arn:aws:states:us-east-1:123456789012:execution:daily-sales-export:run-1";
const EXEC_2: &str = "arn:aws:states:us-east-1:123456789012:execution:daily-sales-export:run-2";

type Item = HashMap<String, AttributeValue>;

struct Progress {
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    ctx: Context,
}

impl Progress {
    async fn new() -> Self {
        let moto = MotoServer::shared();
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config());
        let table = format!("progress-{}", unique_id());
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute")
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("key")
        };
        dynamodb
            .create_table()
            .table_name(&table)
            .attribute_definitions(attribute("tenant_id"))
            .attribute_definitions(attribute("export_date"))
            .key_schema(key("tenant_id", KeyType::Hash))
            .key_schema(key("export_date", KeyType::Range))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("create_table");
        let ctx = Context::new(Services::with_aws(Aws::with_config(moto.sdk_config())));
        Progress {
            dynamodb,
            table,
            ctx,
        }
    }

    fn input(&self, status: &str, execution: &str) -> Value {
        json!({
            "table": self.table,
            "request": {
                "config_parameter": "/stepwise/daily-sales-export/config",
                "progress_table": self.table,
                "scheduled_time": "2026-03-10T03:00:00Z"
            },
            "tenants": ["acme", "globex"],
            "status": status,
            "execution": execution
        })
    }

    async fn record(&self, input: Value) -> Result<Value, ActivityError> {
        stepwise_lambda::all()
            .invoke("RecordProgress", input, &self.ctx)
            .await
    }

    async fn item(&self, tenant: &str) -> Item {
        self.dynamodb
            .get_item()
            .table_name(&self.table)
            .key("tenant_id", AttributeValue::S(tenant.into()))
            .key("export_date", AttributeValue::S(DATE.into()))
            .consistent_read(true)
            .send()
            .await
            .expect("get_item")
            .item
            .unwrap_or_default()
    }
}

fn s<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("no string {name} in {item:?}"))
}

fn n(item: &Item, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number {name} in {item:?}"))
}

/// WritePartition's output: acme 100 sales, 30 failed (listed), globex 2, none failed.
fn written() -> Value {
    let failed: Vec<Value> = (0..30)
        .map(|i| json!({"sale_id": format!("S-{i}"), "tenant_id": "acme", "error": "ImageTooLarge", "cause": "too big"}))
        .collect();
    json!({
        "files": [
            {"key": "lake/smartgo_sales/tenant_id=acme/year=2026/month=03/2026-03-09.parquet", "tenant_id": "acme", "rows": 70, "bytes": 1000},
            {"key": "lake/smartgo_sales/tenant_id=globex/year=2026/month=03/2026-03-09.parquet", "tenant_id": "globex", "rows": 2, "bytes": 100}
        ],
        "rows": 102, "embedded": 72, "failed_count": 30, "failed": failed,
        "per_tenant": [
            {"tenant_id": "acme", "rows": 100, "failed": 30},
            {"tenant_id": "globex", "rows": 2, "failed": 0}
        ]
    })
}

fn finished(progress: &Progress, status: &str, execution: &str) -> Value {
    let mut input = progress.input(status, execution);
    input["written"] = written();
    input
}

fn assert_conflict(err: &ActivityError, stored: &str) {
    assert_eq!(err.name, PROGRESS_CONFLICT, "{err}");
    assert!(
        err.cause.contains(&format!("is {stored} by execution")),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn started_then_completed_with_counts_files_and_bounded_failures() {
    let progress = Progress::new().await;

    let output = progress
        .record(progress.input("STARTED", EXEC_1))
        .await
        .expect("STARTED");
    assert_eq!(
        output,
        json!({"export_date": DATE, "status": "STARTED", "tenants": ["acme", "globex"], "proceed": true})
    );
    let started = progress.item("acme").await;
    assert_eq!(s(&started, "status"), "STARTED");
    assert_eq!(s(&started, "execution"), EXEC_1);
    assert!(!started.contains_key("completed_at"));

    progress
        .record(finished(&progress, "PARTIAL", EXEC_1))
        .await
        .expect("PARTIAL");

    let acme = progress.item("acme").await;
    assert_eq!(s(&acme, "status"), "PARTIAL");
    assert_eq!(
        s(&acme, "started_at"),
        s(&started, "started_at"),
        "started_at is kept"
    );
    assert!(DateTime::parse_from_rfc3339(s(&acme, "completed_at")).is_ok());
    assert_eq!(
        (n(&acme, "rows"), n(&acme, "embedded"), n(&acme, "failed")),
        (100, 70, 30)
    );
    let failures = acme["failures"].as_l().expect("a list");
    assert_eq!(failures.len(), 20, "bounded to 20");
    let first = failures[0].as_m().expect("a map");
    assert_eq!(s(first, "sale_id"), "S-0");
    assert_eq!(s(first, "error"), "ImageTooLarge");
    assert_eq!(s(first, "cause"), "too big");
    let files = acme["files"].as_l().expect("a list");
    assert_eq!(files.len(), 1);
    assert!(files[0].as_s().expect("a key").contains("tenant_id=acme"));
    let globex = progress.item("globex").await;
    assert_eq!(
        s(&globex, "status"),
        "COMPLETED",
        "none of globex's sales failed in the PARTIAL run"
    );
    assert_eq!((n(&globex, "rows"), n(&globex, "failed")), (2, 0));
    assert!(globex["failures"].as_l().expect("a list").is_empty());
}

#[tokio::test]
async fn a_retried_write_is_idempotent() {
    let progress = Progress::new().await;
    progress
        .record(progress.input("STARTED", EXEC_1))
        .await
        .expect("STARTED");
    progress
        .record(progress.input("STARTED", EXEC_1))
        .await
        .expect("STARTED again");
    progress
        .record(finished(&progress, "COMPLETED", EXEC_1))
        .await
        .expect("COMPLETED");
    let before = progress.item("acme").await;

    let output = progress
        .record(finished(&progress, "COMPLETED", EXEC_1))
        .await
        .expect("a retried COMPLETED succeeds");

    assert_eq!(output["status"], "COMPLETED");
    assert_eq!(progress.item("acme").await, before, "nothing changed");
}

#[tokio::test]
async fn a_late_started_of_the_same_execution_changes_nothing() {
    let progress = Progress::new().await;
    progress
        .record(progress.input("STARTED", EXEC_1))
        .await
        .expect("STARTED");
    progress
        .record(finished(&progress, "COMPLETED", EXEC_1))
        .await
        .expect("COMPLETED");

    let late = progress
        .record(progress.input("STARTED", EXEC_1))
        .await
        .expect("a late STARTED is answered, not an error");
    assert_eq!(late["proceed"], false, "{late}");
    let acme = progress.item("acme").await;
    assert_eq!(s(&acme, "status"), "COMPLETED");
    assert_eq!(n(&acme, "rows"), 100);

    // A different terminal status of the same execution is refused too.
    let err = progress
        .record(finished(&progress, "FAILED", EXEC_1))
        .await
        .unwrap_err();
    assert_conflict(&err, "COMPLETED");
}

#[tokio::test]
async fn a_second_run_of_a_completed_day_does_nothing_and_says_so() {
    let progress = Progress::new().await;
    progress
        .record(progress.input("STARTED", EXEC_1))
        .await
        .expect("STARTED 1");
    progress
        .record(finished(&progress, "COMPLETED", EXEC_1))
        .await
        .expect("COMPLETED 1");
    let before = (
        progress.item("*").await,
        progress.item("acme").await,
        progress.item("globex").await,
    );
    assert_eq!(s(&before.0, "status"), "COMPLETED", "the day's own record");

    // EventBridge Scheduler starts the same day again.
    let second = progress
        .record(progress.input("STARTED", EXEC_2))
        .await
        .expect("answered");
    assert_eq!(second["proceed"], false, "{second}");
    let reason = second["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("was COMPLETED by execution") && reason.contains(EXEC_1),
        "{reason}"
    );
    assert!(reason.contains("\"rerun\": true"), "{reason}");
    let after = (
        progress.item("*").await,
        progress.item("acme").await,
        progress.item("globex").await,
    );
    assert_eq!(after, before, "nothing recorded");
}

#[tokio::test]
async fn a_rerun_is_a_new_attempt_that_keeps_the_old_result_and_the_old_run_cannot_finish_over_it()
{
    let progress = Progress::new().await;
    progress
        .record(progress.input("STARTED", EXEC_1))
        .await
        .expect("STARTED 1");
    progress
        .record(finished(&progress, "COMPLETED", EXEC_1))
        .await
        .expect("COMPLETED 1");

    let mut rerun = progress.input("STARTED", EXEC_2);
    rerun["request"]["rerun"] = json!(true);
    let output = progress.record(rerun).await.expect("STARTED 2");
    assert_eq!(output["proceed"], true, "{output}");

    let acme = progress.item("acme").await;
    assert_eq!(
        (s(&acme, "status"), s(&acme, "execution")),
        ("STARTED", EXEC_2)
    );
    assert!(
        !acme.contains_key("rows"),
        "the new attempt starts from scratch"
    );
    let previous = acme["previous"].as_m().expect("the old result, kept");
    assert_eq!(previous["status"].as_s().unwrap(), "COMPLETED");
    assert_eq!(previous["execution"].as_s().unwrap(), EXEC_1);
    assert_eq!(previous["rows"].as_n().unwrap(), "100");
    let day = progress.item("*").await;
    assert_eq!(s(&day, "execution"), EXEC_2);
    assert_eq!(
        day["previous"].as_m().expect("kept")["status"]
            .as_s()
            .unwrap(),
        "COMPLETED"
    );

    let err = progress
        .record(finished(&progress, "COMPLETED", EXEC_1))
        .await
        .unwrap_err();
    assert_conflict(&err, "STARTED");
    assert!(
        err.cause.contains("another execution owns the record"),
        "{}",
        err.cause
    );
    assert_eq!(s(&progress.item("acme").await, "execution"), EXEC_2);
}

#[tokio::test]
async fn of_ten_concurrent_runs_of_one_day_exactly_one_proceeds() {
    let progress = Progress::new().await;
    let runs = (0..10).map(|i| {
        let input = progress.input("STARTED", &format!("{EXEC_1}-{i}"));
        let progress = &progress;
        async move { progress.record(input).await.expect("answered") }
    });
    let outputs = futures::future::join_all(runs).await;
    let proceeding: Vec<&Value> = outputs.iter().filter(|o| o["proceed"] == true).collect();
    assert_eq!(proceeding.len(), 1, "{outputs:?}");
    for other in outputs.iter().filter(|o| o["proceed"] == false) {
        assert!(
            other["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("is running in execution"),
            "{other}"
        );
    }
    let owner = s(&progress.item("*").await, "execution").to_string();
    assert_eq!(s(&progress.item("acme").await, "execution"), owner);
    assert_eq!(s(&progress.item("globex").await, "execution"), owner);
}

#[tokio::test]
async fn failed_before_started_records_the_error_under_the_pseudo_tenant() {
    let progress = Progress::new().await;
    let mut input = progress.input("FAILED", EXEC_1);
    input["tenants"] = Value::Null;
    input["error"] = json!({"Error": "NotFound", "Cause": "SSM parameter /x does not exist"});

    let output = progress.record(input.clone()).await.expect("FAILED");
    assert_eq!(output["tenants"], json!(["*"]));
    progress.record(input).await.expect("a retried FAILED");

    let item = progress.item("*").await;
    assert_eq!(s(&item, "status"), "FAILED");
    assert_eq!(s(&item, "error"), "NotFound");
    assert_eq!(s(&item, "cause"), "SSM parameter /x does not exist");
    assert!(!item.contains_key("started_at"));
    assert!(
        !item.contains_key("rows"),
        "no counts without WritePartition's output"
    );
    assert!(progress.item("acme").await.is_empty());
}

#[tokio::test]
async fn items_expire_90_days_after_the_last_write() {
    let progress = Progress::new().await;
    let mut input = progress.input("STARTED", EXEC_1);
    input["request"]["tenant_id"] = json!("globex");

    let output = progress.record(input).await.expect("STARTED");

    assert_eq!(output["tenants"], json!(["globex"]));
    let expected = Utc::now().timestamp() + 90 * 24 * 3600;
    let expires_at = n(&progress.item("globex").await, "expires_at");
    assert!(
        (expires_at - expected).abs() < 120,
        "{expires_at} vs {expected}"
    );
    assert!(
        progress.item("acme").await.is_empty(),
        "only the requested tenant"
    );
}

#[tokio::test]
async fn a_missing_table_is_not_found() {
    let progress = Progress::new().await;
    let mut input = progress.input("STARTED", EXEC_1);
    input["table"] = json!(format!("absent-{}", unique_id()));

    let err = progress.record(input).await.unwrap_err();

    assert_eq!(err.name, stepwise_runtime::errors::NOT_FOUND, "{err}");
    assert!(
        err.cause.starts_with("progress table absent-"),
        "{}",
        err.cause
    );
}
