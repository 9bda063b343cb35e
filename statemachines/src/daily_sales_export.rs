//! `daily-sales-export`: the nightly export of yesterday's SmartGo sales, with an image
//! embedding per sale, to the analytics lake as Parquet.
//!
//! ```text
//! LoadConfig → Record start → QuerySales → Embed images (distributed Map over the
//! manifest: EmbedImage, retried when throttled) → WritePartition → Any failures?
//!   ├─ yes → Record partial ─┐
//!   └─ no  → Record completed┴→ Done
//! Any error → Config loaded? → Record failure → Export failed (Fail, original error)
//! ```
//!
//! The rows never travel through the state machine: QuerySales writes them to S3 as a
//! JSON Lines manifest, the Map reads it with an ItemReader (Standard child executions, so
//! a day of any size fits), its ResultWriter puts the per-item results next to it, and
//! WritePartition reads both. A bad image fails its own item only (up to
//! [`TOLERATED_FAILURE_PERCENTAGE`] of the day); the progress record says PARTIAL and
//! names it.

use std::time::Duration;

use codegen::builder::*;
use codegen::trigger::{DeploymentName, Schedule, SchedulerAttribute};
use codegen::workflow::Workflow;
use serde_json::{Value, json};
use stepwise_contract::deploy::{Area, Permission, Resource};
use stepwise_contract::errors::{THROTTLED, TRANSIENT};
use stepwise_daily_sales_export::config::LoadConfig;
use stepwise_daily_sales_export::embed_image::EmbedImage;
use stepwise_daily_sales_export::query_sales::QuerySales;
use stepwise_daily_sales_export::record_progress::RecordProgress;
use stepwise_daily_sales_export::sales::ExportRequest;
use stepwise_daily_sales_export::write_partition::WritePartition;

/// The name of the workflow (and of its generated files and state machine).
pub const NAME: &str = "daily-sales-export";

/// Share of a day's items that may fail (bad images) before the export fails.
pub const TOLERATED_FAILURE_PERCENTAGE: f64 = 10.0;

/// When EventBridge Scheduler starts the export: 03:00 every day, UTC.
pub const SCHEDULE: &str = "cron(0 3 * * ? *)";

/// The schedule: at [`SCHEDULE`] it passes the deployment's parameter and table and the
/// time it fired; the export covers the UTC day before that time. 03:00 UTC leaves the
/// previous day's late sales time to land; a start Scheduler gives up on (after its
/// retries) goes to the dead-letter queue, where the alarm sees it.
pub fn schedule() -> Schedule {
    Schedule::cron(SCHEDULE)
        .timezone("UTC")
        .input(json!({
            "config_parameter": DeploymentName::ConfigParameter.placeholder(),
            "progress_table": DeploymentName::ProgressTable.placeholder(),
            "scheduled_time": SchedulerAttribute::ScheduledTime.as_str(),
        }))
        .dead_letter_queue()
        .reason("Scheduler fires at 03:00 UTC; the export covers the previous UTC day (the day before scheduled_time)")
}

/// The example input operators can start the workflow with from the console.
pub fn example_input() -> ExportRequest {
    ExportRequest {
        config_parameter: "/stepwise/daily-sales-export/config".into(),
        progress_table: "stepwise-export-progress".into(),
        scheduled_time: None,
        date: Some("2026-11-23".into()),
        tenant_id: None,
        rerun: false,
    }
}

/// Retries for a step that calls AWS: throttling and transient faults, with backoff.
fn aws_retry() -> Retry {
    Retry::on([THROTTLED, TRANSIENT])
        .interval(Duration::from_secs(1))
        .backoff_rate(2.0)
        .max_attempts(5)
        .max_delay(Duration::from_secs(30))
        .full_jitter()
}

/// The Parameters of a RecordProgress call: the tenants come from the loaded config,
/// the counts from WritePartition, the error from a Catch — each only when available.
fn progress(status: &str, with_config: bool, with_written: bool, with_error: bool) -> Value {
    let mut p = json!({
        "table.$": "$$.Execution.Input.progress_table",
        "request.$": "$$.Execution.Input",
        "status": status,
        "execution.$": "$$.Execution.Id",
        "tenants": null,
        "written": null,
        "error": null
    });
    let Some(map) = p.as_object_mut() else {
        return p;
    };
    if with_config {
        map.remove("tenants");
        map.insert("tenants.$".into(), json!("$.config.tenants"));
    }
    if with_written {
        map.remove("written");
        map.insert("written.$".into(), json!("$.written"));
    }
    if with_error {
        map.insert(
            "error".into(),
            json!({"Error.$": "$.error.Error", "Cause.$": "$.error.Cause"}),
        );
    }
    p
}

/// Where every failure goes: record it (with the tenants when the config was loaded),
/// then fail with the original error.
const ON_ERROR: &str = "Config loaded?";

fn catch_all() -> Catch {
    Catch::all().result_path("$.error")
}

/// The workflow description.
pub fn workflow() -> Workflow {
    let failed = fail("Export failed")
        .error_path("$.error.Error")
        .cause_path("$.error.Cause");
    let record_failure = |name: &str, with_config: bool| {
        task::<RecordProgress>()
            .named(name)
            .parameters(progress("FAILED", with_config, false, true))
            .result_path("$.progress")
            .retry(aws_retry())
            .catch(
                Catch::all().result_path("$.record_error"),
                Chain::goto("Export failed"),
            )
    };
    let on_error = choice(ON_ERROR)
        .when(
            Condition::is_present("$.config"),
            Chain::start(record_failure("Record failure", true)).then(failed),
        )
        .otherwise(
            Chain::start(record_failure("Record failure (no config)", false))
                .then_goto("Export failed"),
        );

    let load_config = task::<LoadConfig>()
        .parameters(json!({"parameter.$": "$.config_parameter"}))
        .result_path("$.config")
        .retry(aws_retry())
        .catch(catch_all(), on_error);

    // Record start claims the day: EventBridge Scheduler may start the same day twice (its
    // target retries, and Scheduler gives no execution name), and an operator may start a
    // day that is done. A day already COMPLETED, or being exported by another execution,
    // ends here successfully with the reason, having written nothing; `"rerun": true` in
    // the input exports a completed day again.
    let record_start = task::<RecordProgress>()
        .named("Record start")
        .parameters(progress("STARTED", true, false, false))
        .result_path("$.start")
        .retry(aws_retry())
        .catch(catch_all(), Chain::goto(ON_ERROR));
    let claimed = choice("Day claimed?")
        .when(
            Condition::boolean_equals("$.start.proceed", false),
            // A Pass carries the OutputPath: cfn-lint (E3601) refuses one on a Succeed
            // state, although Step Functions accepts it.
            Chain::start(pass("Nothing to export").output_path("$.start"))
                .then(succeed("Not exported")),
        )
        .otherwise(Chain::empty());

    let query = task::<QuerySales>()
        .parameters(json!({"request.$": "$$.Execution.Input", "config.$": "$.config"}))
        .result_path("$.sales")
        .retry(aws_retry())
        .catch(catch_all(), Chain::goto(ON_ERROR));

    // STANDARD children, not EXPRESS: an item's worst case (EmbedImage up to 120 s per
    // attempt, retried on Transient, Throttled and the Lambda service's errors with
    // backoff) can outlast Express's 5-minute limit, which would end it as States.Timeout
    // and lose its real error; Standard children also keep each item's history.
    let embed = map("Embed images")
        .distributed(
            false,
            Some(ItemReaderSpec::S3JsonLines {
                location: json!({"Bucket.$": "$.sales.manifest.bucket", "Key.$": "$.sales.manifest.key"}),
            }),
        )
        .item_selector(json!({
            "sale.$": "$$.Map.Item.Value",
            "bucket.$": "$.config.bucket",
            "staging_prefix.$": "$.config.staging_prefix",
            "export_date.$": "$.sales.export_date",
            "bedrock.$": "$.config.bedrock",
            "image_limits.$": "$.config.image_limits"
        }))
        .max_concurrency_path("$.config.embed_concurrency")
        .tolerated_failure_percentage(TOLERATED_FAILURE_PERCENTAGE)
        .processor(task::<EmbedImage>().retry(aws_retry()))
        .result_writer(json!({"Bucket.$": "$.sales.manifest.bucket", "Prefix.$": "$.sales.results_prefix"}))
        .label("EmbedImages")
        .result_path("$.embedded")
        .catch(catch_all(), Chain::goto(ON_ERROR));

    let write = task::<WritePartition>()
        .parameters(json!({
            "config.$": "$.config",
            "export_date.$": "$.sales.export_date",
            "manifest.$": "$.sales.manifest",
            "embed_results.$": "$.embedded.ResultWriterDetails"
        }))
        .result_path("$.written")
        .retry(aws_retry())
        .catch(catch_all(), Chain::goto(ON_ERROR));

    let record_end = |name: &str, status: &str| {
        task::<RecordProgress>()
            .named(name)
            .parameters(progress(status, true, true, false))
            .result_path("$.progress")
            .retry(aws_retry())
            .catch(catch_all(), Chain::goto(ON_ERROR))
    };
    let finish = choice("Any failures?")
        .when(
            Condition::numeric_gt("$.written.failed_count", 0),
            record_end("Record partial", "PARTIAL"),
        )
        .otherwise(record_end("Record completed", "COMPLETED"));

    Workflow::new(
        NAME,
        Chain::start(load_config)
            .then(record_start)
            .then(claimed)
            .then(query)
            .then(embed)
            .then(write)
            .then(finish)
            .then(succeed("Done")),
    )
    .comment("Nightly export of yesterday's SmartGo sales with image embeddings to the analytics lake (Parquet).")
    .timeout(Duration::from_secs(6 * 3600))
    .input(&example_input())
    .schedule(schedule())
    .permission(Permission {
        actions: &["s3:GetObject"],
        resource: Resource::Objects { area: Area::Staging },
        reason: "the Map's ItemReader reads the run's sales manifest",
    })
    .permission(Permission {
        actions: &[
            "s3:PutObject",
            "s3:GetObject",
            "s3:ListMultipartUploadParts",
            "s3:AbortMultipartUpload",
        ],
        resource: Resource::Objects { area: Area::Staging },
        reason: "the Map's ResultWriter writes its result files (multipart uploads)",
    })
}
