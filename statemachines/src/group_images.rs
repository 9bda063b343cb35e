//! `group-images`: which of a tenant's product photos show the same product — the job
//! behind bg-remover's "group these photos" request (the jobs API starts it; issue 17).
//!
//! ```text
//! Start → Record RUNNING (DynamoDB) → LoadGroupImagesConfig → FetchEmbeddings →
//! Thumbnail and embed (distributed Map over the job's manifest: MakeThumbnail →
//!   Embedded already? ─ no → EmbedGroupImage ─┐
//!                     └ yes ──────────────────┴→ Count done (DynamoDB ADD done 1))
//! → ClusterImages → Record SUCCEEDED (DynamoDB) → Done
//! Any error → Config loaded? → Record FAILED (DynamoDB) → Job failed (Fail, original error)
//! ```
//!
//! Nothing large travels through the state machine: the first state keeps only the
//! tenant, the job and the image count (the image list stays in the execution input,
//! which FetchEmbeddings reads); FetchEmbeddings writes the Map's manifest and the
//! packed matrix of known embeddings to S3; the Map reads the manifest with an
//! ItemReader and puts its per-item results in S3 with a ResultWriter; ClusterImages
//! writes the full result to S3. A 500-image job stays far under 256 KiB in every state
//! (tested). A bad photo fails its own item (not retried), up to
//! [`TOLERATED_FAILURE_PERCENTAGE`] of the job; the result lists it with its reason.
//!
//! The job record lives in the jobs table (`pk = TENANT#<tenant>`, `sk = JOB#<job>`),
//! written by direct DynamoDB integrations: RUNNING with `total` and `done` (each Map
//! item adds 1 to `done`), then SUCCEEDED with the result's key and counts, or FAILED
//! with the error; `expires_at` (TTL) once the config is loaded.

use std::time::Duration;

use codegen::builder::dynamodb::{UpdateItem, update_item};
use codegen::builder::*;
use codegen::trigger::DeploymentName;
use codegen::workflow::Workflow;
use serde_json::{Value, json};
use stepwise_contract::deploy::{Area, KeyAttr, Permission, Resource, TableSpec};
use stepwise_contract::errors::{THROTTLED, TRANSIENT};
use stepwise_group_images::cluster_images::ClusterImages;
use stepwise_group_images::config::LoadGroupImagesConfig;
use stepwise_group_images::embed::EmbedGroupImage;
use stepwise_group_images::fetch_embeddings::FetchEmbeddings;
use stepwise_group_images::thumbnail::MakeThumbnail;
use stepwise_group_images::{GroupImagesInput, ImageRef};

/// The name of the workflow (and of its generated files and state machine).
pub const NAME: &str = "group-images";

/// Share of a job's images that may fail (bad photos) before the job fails.
pub const TOLERATED_FAILURE_PERCENTAGE: f64 = 10.0;

/// The jobs table's logical name.
pub const JOBS: &str = "jobs";

/// The jobs table, as the deployment names it (substituted by CDK; by `provision` or
/// the tests locally).
pub const JOBS_TABLE: &str = "${JobsTableName}";

/// The jobs table: one item per job, `pk = TENANT#<tenant>`, `sk = JOB#<job>`, expired
/// 30 days after its last write (`expires_at`).
pub const JOBS_TABLE_SPEC: TableSpec = TableSpec {
    name: JOBS,
    partition_key: KeyAttr::string("pk"),
    sort_key: Some(KeyAttr::string("sk")),
    indexes: &[],
    ttl_attribute: Some("expires_at"),
    reason: "group-images job records: status, progress, result key; the jobs API reads them",
};

/// The SSM parameter holding the configuration, as the deployment names it.
pub const CONFIG_PARAMETER: &str = DeploymentName::GroupImagesConfigParameter.placeholder();

/// The example input operators can start the workflow with from the console.
pub fn example_input() -> GroupImagesInput {
    GroupImagesInput {
        tenant_id: "acme".into(),
        job_id: "job-2026-12-01-0001".into(),
        images: vec![
            ImageRef {
                id: Some("front".into()),
                uri: "s3://bg-remover-images/acme/P-1/front.jpg".into(),
            },
            ImageRef {
                id: Some("side".into()),
                uri: "s3://bg-remover-images/acme/P-1/side.jpg".into(),
            },
            ImageRef {
                id: None,
                uri: "https://cdn.example.com/acme/P-2/front.png".into(),
            },
        ],
        threshold: None,
    }
}

/// Retries for a step that calls AWS: throttling and transient faults, with backoff
/// and full jitter (many Map items retrying at once spread out).
fn aws_retry() -> Retry {
    Retry::on([THROTTLED, TRANSIENT])
        .interval(Duration::from_secs(1))
        .backoff_rate(2.0)
        .max_attempts(6)
        .max_delay(Duration::from_secs(30))
        .full_jitter()
}

/// Retries for a direct DynamoDB write.
fn dynamodb_retry() -> Retry {
    Retry::all()
        .interval(Duration::from_secs(1))
        .backoff_rate(2.0)
        .max_attempts(4)
        .max_delay(Duration::from_secs(10))
        .full_jitter()
}

/// The job record's key, from `$.tenant_id` and `$.job_id` of the state.
fn job_key(prefix: &str) -> Value {
    json!({
        "pk": {"S.$": format!("States.Format('TENANT#{{}}', {prefix}.tenant_id)")},
        "sk": {"S.$": format!("States.Format('JOB#{{}}', {prefix}.job_id)")}
    })
}

/// A job-record update of the jobs table.
fn record(name: &str, expression: &str, names: Value, values: Value) -> Task {
    update_item(
        name,
        UpdateItem::new(JOBS_TABLE, job_key("$"), expression).with(names, values),
    )
    .discard_result()
    .retry(dynamodb_retry())
}

fn catch_all() -> Catch {
    Catch::all().result_path("$.error")
}

/// Where every failure goes.
const ON_ERROR: &str = "Config loaded?";

/// The Map's item: thumbnail, embedding when missing, progress.
fn item_processor() -> Chain {
    let item_input = json!({"image.$": "$.image", "config.$": "$.config"});
    let thumbnail = task::<MakeThumbnail>()
        .parameters(item_input.clone())
        .result_path("$.thumbnail")
        .retry(aws_retry());
    let embed = task::<EmbedGroupImage>()
        .parameters(item_input)
        .result_path("$.embedding")
        .retry(aws_retry());
    // Progress is best effort: a failed count must not fail an image that is done.
    let count = update_item(
        "Count done",
        UpdateItem::new(JOBS_TABLE, job_key("$.job"), "ADD #done :one")
            .with(json!({"#done": "done"}), json!({":one": {"N": "1"}})),
    )
    .discard_result()
    .output_path("$.thumbnail")
    .retry(dynamodb_retry())
    .catch(
        Catch::all().result_path("$.progress_error"),
        Chain::start(pass("Not counted").output_path("$.thumbnail")),
    );
    let embedded = choice("Embedded already?")
        .when(
            Condition::boolean_equals("$.image.embedded", true),
            Chain::goto("Count done"),
        )
        .otherwise(Chain::start(embed).then(count));
    Chain::start(thumbnail).then(embedded)
}

/// The workflow description.
pub fn workflow() -> Workflow {
    let failed = fail("Job failed")
        .error_path("$.error.Error")
        .cause_path("$.error.Cause");
    let failure_names = json!({
        "#status": "status", "#error": "error", "#cause": "cause",
        "#finished": "finished_at", "#expires": "expires_at"
    });
    let failure_values = |with_ttl: bool| {
        let mut v = json!({
            ":failed": {"S": "FAILED"},
            ":error": {"S.$": "$.error.Error"},
            ":cause": {"S.$": "$.error.Cause"},
            ":finished": {"S.$": "$$.State.EnteredTime"}
        });
        if with_ttl && let Some(map) = v.as_object_mut() {
            map.insert(
                ":expires".into(),
                json!({"N.$": "States.Format('{}', $.config.expires_at)"}),
            );
        }
        v
    };
    let record_failure = |name: &str, with_ttl: bool| {
        let mut names = failure_names.clone();
        if !with_ttl && let Some(map) = names.as_object_mut() {
            map.remove("#expires");
        }
        let expression = if with_ttl {
            "SET #status = :failed, #error = :error, #cause = :cause, #finished = :finished, #expires = :expires"
        } else {
            "SET #status = :failed, #error = :error, #cause = :cause, #finished = :finished"
        };
        record(name, expression, names, failure_values(with_ttl)).catch(
            Catch::all().result_path("$.record_error"),
            Chain::goto("Job failed"),
        )
    };
    let on_error = choice(ON_ERROR)
        .when(
            Condition::is_present("$.config"),
            Chain::start(record_failure("Record FAILED", true)).then(failed),
        )
        .otherwise(
            Chain::start(record_failure("Record FAILED (no config)", false))
                .then_goto("Job failed"),
        );

    // Keep only what later states need: the image list stays in the execution input.
    let start = pass("Start").parameters(json!({
        "tenant_id.$": "$.tenant_id",
        "job_id.$": "$.job_id",
        "total.$": "States.ArrayLength($.images)"
    }));
    let running = record(
        "Record RUNNING",
        "SET #status = :running, #total = :total, #done = :zero, #execution = :execution, #started = :started REMOVE #error, #cause",
        json!({
            "#status": "status", "#total": "total", "#done": "done", "#execution": "execution_arn",
            "#started": "started_at", "#error": "error", "#cause": "cause"
        }),
        json!({
            ":running": {"S": "RUNNING"},
            ":total": {"N.$": "States.Format('{}', $.total)"},
            ":zero": {"N": "0"},
            ":execution": {"S.$": "$$.Execution.Id"},
            ":started": {"S.$": "$$.Execution.StartTime"}
        }),
    )
    .catch(catch_all(), on_error);

    let load_config = task::<LoadGroupImagesConfig>()
        .parameters(json!({"parameter": CONFIG_PARAMETER}))
        .result_path("$.config")
        .retry(aws_retry())
        .catch(catch_all(), Chain::goto(ON_ERROR));

    let fetch = task::<FetchEmbeddings>()
        .parameters(json!({"request.$": "$$.Execution.Input", "config.$": "$.config"}))
        .result_path("$.fetched")
        .retry(aws_retry())
        .catch(catch_all(), Chain::goto(ON_ERROR));

    // STANDARD children: an item's worst case (two activities of up to 120 s, retried
    // with backoff) can outlast Express's 5 minutes.
    let images = map("Thumbnail and embed")
        .distributed(
            false,
            Some(ItemReaderSpec::S3JsonLines {
                location: json!({"Bucket.$": "$.fetched.manifest.bucket", "Key.$": "$.fetched.manifest.key"}),
            }),
        )
        .item_selector(json!({
            "image.$": "$$.Map.Item.Value",
            "config.$": "$.config",
            "job": {"tenant_id.$": "$.tenant_id", "job_id.$": "$.job_id"}
        }))
        .max_concurrency_path("$.config.map_concurrency")
        .tolerated_failure_percentage(TOLERATED_FAILURE_PERCENTAGE)
        .processor(item_processor())
        .result_writer(json!({"Bucket.$": "$.fetched.manifest.bucket", "Prefix.$": "$.fetched.results_prefix"}))
        .label("GroupImages")
        .result_path("$.mapped")
        .catch(catch_all(), Chain::goto(ON_ERROR));

    let clustering = task::<ClusterImages>()
        .parameters(json!({
            "tenant_id.$": "$.tenant_id",
            "job_id.$": "$.job_id",
            "config.$": "$.config",
            "fetched.$": "$.fetched",
            "map_results.$": "$.mapped.ResultWriterDetails"
        }))
        .result_path("$.clustered")
        .retry(aws_retry())
        .catch(catch_all(), Chain::goto(ON_ERROR));

    let succeeded = record(
        "Record SUCCEEDED",
        "SET #status = :succeeded, #result = :result, #groups = :groups, #failed = :failed, #clustered = :clustered, #finished = :finished, #expires = :expires",
        json!({
            "#status": "status", "#result": "result_key", "#groups": "group_count",
            "#failed": "failed_count", "#clustered": "clustered", "#finished": "finished_at",
            "#expires": "expires_at"
        }),
        json!({
            ":succeeded": {"S": "SUCCEEDED"},
            ":result": {"S.$": "$.clustered.result.key"},
            ":groups": {"N.$": "States.Format('{}', $.clustered.group_count)"},
            ":failed": {"N.$": "States.Format('{}', $.clustered.failed_count)"},
            ":clustered": {"N.$": "States.Format('{}', $.clustered.clustered)"},
            ":finished": {"S.$": "$$.State.EnteredTime"},
            ":expires": {"N.$": "States.Format('{}', $.config.expires_at)"}
        }),
    )
    .catch(catch_all(), Chain::goto(ON_ERROR));

    Workflow::new(
        NAME,
        Chain::start(start)
            .then(running)
            .then(load_config)
            .then(fetch)
            .then(images)
            .then(clustering)
            .then(succeeded)
            .then(pass("Summary").output_path("$.clustered"))
            .then(succeed("Done")),
    )
    .comment("Groups a tenant's product photos by product: thumbnails, embeddings (reused by content hash), agglomerative clustering.")
    .timeout(Duration::from_secs(2 * 3600))
    .input(&example_input())
    .table(JOBS_TABLE_SPEC)
    .permission(Permission {
        actions: &["dynamodb:UpdateItem"],
        resource: Resource::Table { table: JOBS },
        reason: "writes the job record: RUNNING, progress, SUCCEEDED or FAILED",
    })
    .permission(Permission {
        actions: &["s3:GetObject"],
        resource: Resource::Objects { area: Area::Staging },
        reason: "the Map's ItemReader reads the job's manifest",
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
