//! `vector-ingest`: the lake's sale embeddings (daily-sales-export's Parquet partitions
//! under a prefix) into an Amazon S3 Vectors index — rate-bounded, resumable, with
//! progress and ETA in DynamoDB.
//!
//! ```text
//! EnsureIndex → PlanIngest → Ingest objects (distributed Map over the prefix, ItemReader
//! listObjectsV2, MaxConcurrency from the input):
//!     Parquet? ─ no → Not Parquet
//!       └ yes → Already done? (dynamodb:getItem of the object's marker)
//!                 ├ DONE → Skipped
//!                 └ else → IngestVectors (Retry Throttled/Transient: backoff, full jitter)
//!                            ├ ok → Record done
//!                            └ UnusableObject / NotFound → Record failed
//! → Read progress (dynamodb:getItem of the job's run item) → Done
//! ```
//!
//! The overall write rate is the orchestrator's: at most `max_concurrency` objects at
//! once, each with `batch_concurrency` requests in flight and PlanIngest's share of the
//! `vectors_per_second` budget. A throttled object records how far it got and fails
//! `Throttled`; the Retry (backoff with full jitter) resumes it there. An unusable object
//! (corrupt Parquet, other schema or dimension) is recorded `FAILED` and the others go on;
//! a run that fails (retries exhausted) is resumed by starting it again with the same
//! `progress.job`, which skips the objects already `DONE`.

use std::time::Duration;

use codegen::builder::dynamodb::{GetItem, get_item};
use codegen::builder::*;
use codegen::workflow::Workflow;
use serde_json::json;
use stepwise_contract::deploy::{
    Area, Distance, KeyAttr, KeyKind, Permission, Resource, TableSpec, VectorIndexSpec,
};
use stepwise_contract::errors::{NOT_FOUND, THROTTLED, TRANSIENT};
use stepwise_vector_ingest::ensure_index::{DEFAULT_DIMENSION, EnsureIndex};
use stepwise_vector_ingest::ingest::{IngestVectors, UNUSABLE_OBJECT};
use stepwise_vector_ingest::metadata::NON_FILTERABLE_KEYS;
use stepwise_vector_ingest::plan::{PlanIngest, SourcePrefix};
use stepwise_vector_ingest::progress::store::ProgressLocation;
use stepwise_vector_ingest::progress::{PROGRESS_CONFLICT, RecordIngestProgress};
use stepwise_vector_ingest::request::IngestRequest;
use stepwise_vector_ingest::target::{PROGRESS_TABLE, SALES_INDEX, VectorTarget};

/// The name of the workflow (and of its generated files and state machine).
pub const NAME: &str = "vector-ingest";

/// The example input operators can start the workflow with from the console.
pub fn example_input() -> IngestRequest {
    IngestRequest {
        source: SourcePrefix {
            bucket: "stepwise-data".into(),
            prefix: "lake/smartgo_sales/tenant_id=t1/year=2026/month=11/".into(),
        },
        target: VectorTarget {
            vector_bucket: "stepwise-sales-vectors".into(),
            index: "sales".into(),
        },
        progress: ProgressLocation {
            table: "stepwise-vector-progress".into(),
            job: "t1-2026-11".into(),
        },
        max_concurrency: 4,
        batch_concurrency: 2,
        vectors_per_second: 2500,
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

/// IngestVectors' retries: throttling is expected near the index's limit, so more
/// attempts, each resuming where the last stopped.
fn ingest_retry() -> Retry {
    Retry::on([THROTTLED, TRANSIENT])
        .interval(Duration::from_secs(1))
        .backoff_rate(2.0)
        .max_attempts(10)
        .max_delay(Duration::from_secs(30))
        .full_jitter()
}

/// RecordIngestProgress' retries: AWS faults and a concurrent marker change.
fn progress_retry() -> Retry {
    Retry::on([THROTTLED, TRANSIENT, PROGRESS_CONFLICT])
        .interval(Duration::from_secs(1))
        .backoff_rate(2.0)
        .max_attempts(6)
        .max_delay(Duration::from_secs(10))
        .full_jitter()
}

/// One object: skip it when done, ingest it, record the outcome.
fn per_object() -> Chain {
    let record = |name: &str, status: &str, from_error: bool| {
        let mut parameters = json!({
            "progress.$": "$.progress",
            "object_key.$": "$.object.Key",
            "status": status,
        });
        if let Some(map) = parameters.as_object_mut() {
            if from_error {
                map.insert(
                    "error".into(),
                    json!({"Error.$": "$.error.Error", "Cause.$": "$.error.Cause"}),
                );
            } else {
                map.insert("vectors.$".into(), json!("$.ingested.vectors"));
            }
        }
        task::<RecordIngestProgress>()
            .named(name)
            .parameters(parameters)
            .result_path("$.recorded")
            .retry(progress_retry())
    };
    let marker = get_item(
        "Already done?",
        GetItem::new(
            Arg::path("$.progress.table"),
            json!({
                "pk": {"S.$": "States.Format('job#{}', $.progress.job)"},
                "sk": {"S.$": "States.Format('object#{}', $.object.Key)"}
            }),
        )
        .consistent(),
    )
    .result_path("$.marker")
    .retry(aws_retry());
    let done_before = choice("Done before?")
        .when(
            Condition::and([
                Condition::is_present("$.marker.Item.status.S"),
                Condition::string_equals("$.marker.Item.status.S", "DONE"),
            ]),
            succeed("Skipped"),
        )
        .otherwise(Chain::empty());
    let ingest = task::<IngestVectors>()
        .parameters(json!({
            "source": {"bucket.$": "$.bucket", "key.$": "$.object.Key"},
            "target.$": "$.target",
            "dimension.$": "$.dimension",
            "progress.$": "$.progress",
            "concurrency.$": "$.batch_concurrency",
            "vectors_per_second.$": "$.vectors_per_second"
        }))
        .result_path("$.ingested")
        .retry(ingest_retry())
        .catch(
            Catch::on([UNUSABLE_OBJECT, NOT_FOUND]).result_path("$.error"),
            Chain::start(record("Record failed", "FAILED", true)).then(succeed("Object failed")),
        );
    let parquet = choice("Parquet?")
        .when(
            Condition::not(Condition::string_matches("$.object.Key", "*.parquet")),
            succeed("Not Parquet"),
        )
        .otherwise(Chain::empty());
    Chain::start(parquet)
        .then(marker)
        .then(done_before)
        .then(ingest)
        .then(record("Record done", "DONE", false).output_path("$.recorded"))
}

/// The workflow description.
pub fn workflow() -> Workflow {
    let ensure = task::<EnsureIndex>()
        .parameters(json!({"target.$": "$.target"}))
        .result_path("$.index")
        .retry(aws_retry());
    let plan = task::<PlanIngest>()
        .parameters(json!({
            "source.$": "$.source",
            "progress.$": "$.progress",
            "rate": {
                "vectors_per_second.$": "$.vectors_per_second",
                "max_concurrency.$": "$.max_concurrency"
            },
            "execution.$": "$$.Execution.Id"
        }))
        .result_path("$.plan")
        .retry(aws_retry());
    // STANDARD children: an object's worst case (IngestVectors up to 900 s per attempt,
    // retried with backoff) outlasts Express's 5 minutes.
    let objects = map("Ingest objects")
        .distributed(
            false,
            Some(ItemReaderSpec::S3Objects {
                location: json!({"Bucket.$": "$.source.bucket", "Prefix.$": "$.source.prefix"}),
            }),
        )
        .item_selector(json!({
            "object.$": "$$.Map.Item.Value",
            "bucket.$": "$.source.bucket",
            "target.$": "$.target",
            "dimension.$": "$.index.dimension",
            "progress.$": "$.progress",
            "batch_concurrency.$": "$.batch_concurrency",
            "vectors_per_second.$": "$.plan.per_object_vectors_per_second"
        }))
        .max_concurrency_path("$.max_concurrency")
        .processor(per_object())
        .label("IngestObjects")
        .discard_result();
    let summary = get_item(
        "Read progress",
        GetItem::new(
            Arg::path("$.progress.table"),
            json!({
                "pk": {"S.$": "States.Format('job#{}', $.progress.job)"},
                "sk": {"S": "run"}
            }),
        )
        .consistent(),
    )
    .result_selector(json!({
        "objects_total.$": "$.Item.objects_total.N",
        "objects_done.$": "$.Item.objects_done.N",
        "objects_failed.$": "$.Item.objects_failed.N",
        "vectors_total.$": "$.Item.vectors_total.N",
        "vectors_done.$": "$.Item.vectors_done.N"
    }))
    .result_path("$.summary")
    .retry(aws_retry());

    Workflow::new(
        NAME,
        Chain::start(ensure)
            .then(plan)
            .then(objects)
            .then(summary)
            .then(succeed("Done")),
    )
    .comment("The lake's sale embeddings into an Amazon S3 Vectors index: rate-bounded, resumable, with progress and ETA.")
    .timeout(Duration::from_secs(24 * 3600))
    .input(&example_input())
    .permission(Permission {
        actions: &["s3:ListBucket"],
        resource: Resource::Listing { area: Area::Lake },
        reason: "the Map's ItemReader lists the Parquet objects under the source prefix",
    })
    .permission(Permission {
        actions: &["dynamodb:GetItem"],
        resource: Resource::Table {
            table: PROGRESS_TABLE,
        },
        reason: "reads each object's marker (resume) and the job's progress item (summary)",
    })
    .table(TableSpec {
        name: PROGRESS_TABLE,
        partition_key: KeyAttr {
            name: "pk",
            kind: KeyKind::S,
        },
        sort_key: Some(KeyAttr {
            name: "sk",
            kind: KeyKind::S,
        }),
        indexes: &[],
        ttl_attribute: None,
        reason: "per job: the run's progress item (counts, rate, ETA) and one marker per source object (resume)",
    })
    .vector_index(VectorIndexSpec {
        name: SALES_INDEX,
        dimension: DEFAULT_DIMENSION,
        distance: Distance::Cosine,
        non_filterable_metadata_keys: NON_FILTERABLE_KEYS,
        reason: "the sales' embeddings, keyed by sale id, for nearest-neighbour queries",
    })
}
