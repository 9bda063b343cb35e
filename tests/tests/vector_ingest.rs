//! vector-ingest end to end: the generated state machine under sfn-local with the real
//! activities, against moto server (S3, DynamoDB, S3 Vectors — the correctness oracle)
//! and, for QueryVectors and injected throttling, the loopback `local-s3vectors`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3vectors::types::{DataType, DistanceMetric};
use chrono::NaiveDate;
use local_s3vectors::{FaultKind, Faults, LocalS3Vectors, Options as LocalOptions};
use serde_json::{Value, json};
use sfn_local::{
    Options, Outcome, RegistryTasks, ServiceTasks, Status, TaskFuture, TaskRequest, TaskRunner,
    execute,
};
use stepwise_runtime::Activity;
use stepwise_runtime::aws::Aws;
use stepwise_runtime::{Context, Services};
use stepwise_tests::vector_lake::{create_progress_table, put_partition, sales};
use stepwise_tests::{MotoServer, unique_id};
use stepwise_vector_ingest::metadata::to_json;
use stepwise_vector_ingest::similar::{SimilarProducts, SimilarProductsInput};
use stepwise_vector_ingest::target::VectorTarget;

const LAKE: &str = "lake";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("a date")
}

struct Setup {
    services: Arc<Services>,
    bucket: String,
    table: String,
    vector_bucket: String,
    /// The local endpoint, when S3 Vectors is served by it instead of moto.
    local: Option<LocalS3Vectors>,
}

async fn setup(local: Option<LocalOptions>) -> Setup {
    let moto = MotoServer::shared();
    let (aws, local) = match local {
        Some(options) => {
            let server = LocalS3Vectors::start_with(options)
                .await
                .expect("local-s3vectors");
            (
                Aws::with_config(moto.sdk_config()).with_s3vectors_endpoint(server.endpoint()),
                Some(server),
            )
        }
        None => (Aws::with_config(moto.sdk_config()), None),
    };
    let services = Services::with_aws(aws);
    let id = unique_id();
    let setup = Setup {
        services,
        bucket: format!("vi-{id}"),
        table: format!("vi-progress-{id}"),
        vector_bucket: format!("vi-vectors-{id}"),
        local,
    };
    setup
        .services
        .aws
        .s3()
        .await
        .create_bucket()
        .bucket(&setup.bucket)
        .send()
        .await
        .expect("bucket");
    create_progress_table(&setup.services, &setup.table)
        .await
        .expect("table");
    setup
}

impl Setup {
    fn input(&self, prefix: &str, index: &str, job: &str, max_concurrency: u32) -> Value {
        json!({
            "source": {"bucket": self.bucket, "prefix": prefix},
            "target": {"vector_bucket": self.vector_bucket, "index": index},
            "progress": {"table": self.table, "job": job},
            "max_concurrency": max_concurrency,
            "batch_concurrency": 2,
            "vectors_per_second": 2500
        })
    }

    fn target(&self, index: &str) -> VectorTarget {
        VectorTarget {
            vector_bucket: self.vector_bucket.clone(),
            index: index.into(),
        }
    }

    /// Runs the workflow; `tasks` serves the activities, sfn-local's own integrations
    /// (DynamoDB GetItem) the rest.
    async fn run(&self, input: Value, tasks: Arc<dyn TaskRunner>) -> Outcome {
        let tasks: Arc<dyn TaskRunner> = Arc::new(ServiceTasks::new(tasks, self.services.clone()));
        let built = statemachines::vector_ingest::workflow()
            .build()
            .expect("builds");
        let options = Options {
            virtual_time: true,
            state_machine_name: built.name.clone(),
            services: Some(self.services.clone()),
            seed: Some(7),
            ..Options::default()
        };
        execute(&built.machine, input, tasks, options)
            .await
            .expect("starts")
    }

    fn tasks(&self) -> Arc<RecordingTasks> {
        Arc::new(RecordingTasks {
            inner: RegistryTasks::new(stepwise_lambda::all(), self.services.clone()),
            calls: Mutex::new(Vec::new()),
            fail_key: None,
        })
    }

    /// Every key in the index (ListVectors, all pages).
    async fn keys(&self, index: &str) -> Vec<String> {
        let client = self.services.aws.s3vectors().await;
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_vectors()
                .vector_bucket_name(&self.vector_bucket)
                .index_name(index)
                .set_next_token(token)
                .send()
                .await
                .expect("list vectors");
            keys.extend(page.vectors().iter().map(|v| v.key().to_string()));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        keys
    }

    /// The job's run item.
    async fn run_item(
        &self,
        job: &str,
    ) -> Option<std::collections::HashMap<String, AttributeValue>> {
        self.services
            .aws
            .dynamodb()
            .await
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("job#{job}")))
            .key("sk", AttributeValue::S("run".into()))
            .consistent_read(true)
            .send()
            .await
            .expect("get item")
            .item
    }

    /// An object's marker status.
    async fn marker(&self, job: &str, key: &str) -> Option<(String, Option<String>)> {
        let item = self
            .services
            .aws
            .dynamodb()
            .await
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("job#{job}")))
            .key("sk", AttributeValue::S(format!("object#{key}")))
            .consistent_read(true)
            .send()
            .await
            .expect("get item")
            .item?;
        let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
        Some((text("status")?, text("error")))
    }

    /// Writes `tenants × dates` partitions of `rows` sales each; the rows by key.
    async fn lake(
        &self,
        tenants: &[&str],
        dates: &[NaiveDate],
        rows: usize,
    ) -> (
        Vec<String>,
        BTreeMap<String, (stepwise_lake::Sale, Vec<f32>)>,
    ) {
        let mut keys = Vec::new();
        let mut all = BTreeMap::new();
        for tenant in tenants {
            for date in dates {
                let rows = sales(tenant, *date, 0, rows);
                let key = put_partition(&self.services, &self.bucket, LAKE, tenant, *date, &rows)
                    .await
                    .expect("partition");
                keys.push(key);
                for (sale, vector) in rows {
                    all.insert(sale.sale_id.clone(), (sale, vector));
                }
            }
        }
        (keys, all)
    }
}

fn num(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> f64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from {item:?}"))
}

/// The real activities, recording each IngestVectors call's object key, optionally
/// failing the IngestVectors of one key with `Permanent` (an error the Map does not
/// catch, so the run fails).
struct RecordingTasks {
    inner: RegistryTasks,
    calls: Mutex<Vec<String>>,
    fail_key: Option<String>,
}

impl RecordingTasks {
    fn ingested(&self) -> Vec<String> {
        let mut calls = self.calls.lock().expect("lock").clone();
        calls.sort();
        calls
    }
}

impl TaskRunner for RecordingTasks {
    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        self.inner.check(state, resource)
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        if request.resource == "${IngestVectors}" {
            let key = request.input["source"]["key"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            self.calls.lock().expect("lock").push(key.clone());
            if self.fail_key.as_deref() == Some(key.as_str()) {
                return Box::pin(async move {
                    Err(sfn_local::Failure::new(
                        "Permanent",
                        format!("injected: {key}"),
                    ))
                });
            }
        }
        self.inner.run(request)
    }
}

fn assert_succeeded(outcome: &Outcome) -> &Value {
    assert_eq!(
        outcome.status,
        Status::Succeeded,
        "failure: {:?}",
        outcome.failure
    );
    outcome.output.as_ref().expect("output")
}

#[tokio::test]
async fn ingests_partitions_reads_back_the_parquet_values_and_reruns_without_duplicates() {
    let setup = setup(None).await;
    let (keys, rows) = setup.lake(&["t1", "t2"], &[day(22), day(23)], 30).await;
    // Something that is not Parquet under the prefix is passed over.
    setup
        .services
        .aws
        .s3()
        .await
        .put_object()
        .bucket(&setup.bucket)
        .key(format!("{LAKE}/smartgo_sales/_SUCCESS"))
        .body(Vec::new().into())
        .send()
        .await
        .expect("marker file");

    let prefix = format!("{LAKE}/smartgo_sales/");
    let tasks = setup.tasks();
    let outcome = setup
        .run(setup.input(&prefix, "sales", "first", 2), tasks.clone())
        .await;
    let output = assert_succeeded(&outcome);
    assert_eq!(
        output["summary"],
        json!({"objects_total": "4", "objects_done": "4", "objects_failed": "0",
               "vectors_total": "120", "vectors_done": "120"})
    );
    assert_eq!(output["index"]["created_index"], true);
    assert_eq!(
        tasks.ingested(),
        keys.iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );

    let stored: BTreeSet<String> = setup.keys("sales").await.into_iter().collect();
    assert_eq!(stored, rows.keys().cloned().collect::<BTreeSet<_>>());

    // A sample read back equals the Parquet values, metadata included.
    let sample: Vec<&String> = rows.keys().step_by(17).collect();
    let got = setup
        .services
        .aws
        .s3vectors()
        .await
        .get_vectors()
        .vector_bucket_name(&setup.vector_bucket)
        .index_name("sales")
        .set_keys(Some(sample.iter().map(|k| k.to_string()).collect()))
        .return_data(true)
        .return_metadata(true)
        .send()
        .await
        .expect("get vectors");
    assert_eq!(got.vectors().len(), sample.len());
    for vector in got.vectors() {
        let (sale, embedding) = &rows[vector.key()];
        assert_eq!(
            vector.data().and_then(|d| d.as_float32().ok()),
            Some(embedding),
            "{}",
            vector.key()
        );
        let metadata = to_json(vector.metadata().expect("metadata"));
        assert_eq!(metadata["tenant_id"], json!(sale.tenant_id));
        assert_eq!(metadata["product_id"], json!(sale.product_id));
        assert_eq!(metadata["price_cents"], json!(sale.unit_price_cents));
        assert_eq!(metadata["sold_at"], json!(sale.sold_at));
        assert_eq!(metadata["sold_date"], json!(&sale.sold_at[..10]));
    }

    // The progress item: totals, counters, a rate and no time left.
    let item = setup.run_item("first").await.expect("run item");
    assert_eq!(num(&item, "vectors_done"), 120.0);
    assert_eq!(num(&item, "objects_done"), 4.0);
    assert!(num(&item, "vectors_per_second") > 0.0, "{item:?}");
    assert_eq!(num(&item, "eta_seconds"), 0.0);

    // A re-run (a new job) writes every vector again: the same keys, no duplicates.
    let tasks = setup.tasks();
    let outcome = setup
        .run(setup.input(&prefix, "sales", "second", 4), tasks.clone())
        .await;
    let output = assert_succeeded(&outcome);
    assert_eq!(output["summary"]["vectors_done"], "120");
    assert_eq!(output["index"]["created_index"], false);
    assert_eq!(tasks.ingested().len(), 4);
    let again = setup.keys("sales").await;
    assert_eq!(again.len(), 120);
    assert_eq!(again.into_iter().collect::<BTreeSet<_>>(), stored);

    // The same job again: every object is done, nothing is read.
    let tasks = setup.tasks();
    let outcome = setup
        .run(setup.input(&prefix, "sales", "second", 4), tasks.clone())
        .await;
    assert_succeeded(&outcome);
    assert!(tasks.ingested().is_empty(), "{:?}", tasks.ingested());
}

#[tokio::test]
async fn an_index_of_another_dimension_fails_clearly_before_anything_is_written() {
    let setup = setup(None).await;
    setup.lake(&["t1"], &[day(23)], 10).await;
    let client = setup.services.aws.s3vectors().await;
    client
        .create_vector_bucket()
        .vector_bucket_name(&setup.vector_bucket)
        .send()
        .await
        .expect("vector bucket");
    client
        .create_index()
        .vector_bucket_name(&setup.vector_bucket)
        .index_name("small")
        .data_type(DataType::Float32)
        .dimension(512)
        .distance_metric(DistanceMetric::Cosine)
        .send()
        .await
        .expect("index");

    let tasks = setup.tasks();
    let outcome = setup
        .run(
            setup.input(&format!("{LAKE}/"), "small", "mismatch", 2),
            tasks.clone(),
        )
        .await;
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.expect("failure");
    assert_eq!(failure.error, "InvalidInput");
    assert!(
        failure
            .cause
            .contains("its dimension is 512, the input's \"dimension\" is 1024"),
        "{}",
        failure.cause
    );
    assert!(
        failure.cause.contains("nothing was written"),
        "{}",
        failure.cause
    );
    assert!(tasks.ingested().is_empty());
    assert!(setup.keys("small").await.is_empty());
    assert!(
        setup.run_item("mismatch").await.is_none(),
        "no progress was recorded"
    );
}

#[tokio::test]
async fn a_corrupt_object_is_reported_and_the_others_are_ingested() {
    let setup = setup(None).await;
    let (_, rows) = setup.lake(&["t1", "t2"], &[day(23)], 12).await;
    let corrupt =
        format!("{LAKE}/smartgo_sales/tenant_id=t3/year=2026/month=11/2026-11-23.parquet");
    setup
        .services
        .aws
        .s3()
        .await
        .put_object()
        .bucket(&setup.bucket)
        .key(&corrupt)
        .body(b"PAR1 this is not a parquet file PAR1".to_vec().into())
        .send()
        .await
        .expect("corrupt object");

    let outcome = setup
        .run(
            setup.input(&format!("{LAKE}/"), "sales", "corrupt", 3),
            setup.tasks(),
        )
        .await;
    let output = assert_succeeded(&outcome);
    assert_eq!(output["summary"]["objects_total"], "3");
    assert_eq!(output["summary"]["objects_done"], "2");
    assert_eq!(output["summary"]["objects_failed"], "1");
    assert_eq!(output["summary"]["vectors_done"], "24");
    let (status, error) = setup.marker("corrupt", &corrupt).await.expect("marker");
    assert_eq!(status, "FAILED");
    assert_eq!(error.as_deref(), Some("UnusableObject"));
    let item = setup.run_item("corrupt").await.expect("run item");
    assert_eq!(
        item.get("failed_keys")
            .and_then(|v| v.as_ss().ok())
            .cloned(),
        Some(vec![corrupt.clone()])
    );
    let stored: BTreeSet<String> = setup.keys("sales").await.into_iter().collect();
    assert_eq!(stored, rows.keys().cloned().collect::<BTreeSet<_>>());
}

#[tokio::test]
async fn a_resumed_run_reads_only_the_objects_not_done() {
    let setup = setup(None).await;
    let (keys, rows) = setup.lake(&["t1", "t2", "t3"], &[day(23)], 8).await;
    let input = setup.input(&format!("{LAKE}/"), "sales", "resume", 1);

    // The first run fails on the second object (an error the Map does not catch).
    let failing = Arc::new(RecordingTasks {
        inner: RegistryTasks::new(stepwise_lambda::all(), setup.services.clone()),
        calls: Mutex::new(Vec::new()),
        fail_key: Some(keys[1].clone()),
    });
    let outcome = setup.run(input.clone(), failing.clone()).await;
    assert_eq!(outcome.status, Status::Failed, "{:?}", outcome.output);
    let mut done = BTreeSet::new();
    for key in &keys {
        if let Some((status, _)) = setup.marker("resume", key).await
            && status == "DONE"
        {
            done.insert(key.clone());
        }
    }
    assert!(
        done.contains(&keys[0]),
        "the first object was done: {done:?}"
    );
    assert!(!done.contains(&keys[1]));

    // Started again with the same job: only the objects not done are read.
    let tasks = setup.tasks();
    let outcome = setup.run(input, tasks.clone()).await;
    let output = assert_succeeded(&outcome);
    let expected: Vec<String> = keys
        .iter()
        .filter(|k| !done.contains(*k))
        .cloned()
        .collect();
    assert_eq!(tasks.ingested(), expected);
    assert_eq!(output["summary"]["objects_done"], "3");
    assert_eq!(output["summary"]["vectors_done"], "24");
    let stored: BTreeSet<String> = setup.keys("sales").await.into_iter().collect();
    assert_eq!(stored, rows.keys().cloned().collect::<BTreeSet<_>>());
}

#[tokio::test]
async fn throttled_puts_are_retried_and_every_vector_lands_exactly_once() {
    let options = LocalOptions::default().with_faults(Faults {
        fraction: 0.3,
        kind: FaultKind::TooManyRequests,
        seed: 18,
    });
    let setup = setup(Some(options)).await;
    // 4 objects of 1,200 rows, 4 at once with the 2,500 vectors/s budget: each object's
    // share is 625/s, written as two 312-vector batches per 1.1 s (see
    // stepwise_vector_ingest::pace), so 4 PutVectors per object.
    let (_, rows) = setup.lake(&["t1", "t2"], &[day(22), day(23)], 1200).await;
    let outcome = setup
        .run(
            setup.input(&format!("{LAKE}/"), "sales", "throttled", 4),
            setup.tasks(),
        )
        .await;
    let output = assert_succeeded(&outcome);
    assert_eq!(output["summary"]["vectors_done"], "4800");
    let local = setup.local.as_ref().expect("local endpoint");
    let stats = local.stats();
    assert!(stats.faults_injected > 0, "{stats:?}");
    assert_eq!(
        local.vector_count(&setup.vector_bucket, "sales"),
        Some(4800)
    );
    let stored: BTreeSet<String> = setup.keys("sales").await.into_iter().collect();
    assert_eq!(stored, rows.keys().cloned().collect::<BTreeSet<_>>());
    // A throttled object resumes where it stopped: each refused request (an injected
    // fault, or the endpoint's own per-index write limit when the four objects' puts
    // bunch up) costs at most itself and the one other batch in flight
    // (`batch_concurrency` 2) that is sent again — not the whole object.
    let puts = stats.requests_for("PutVectors");
    let refused = stats.faults_injected + stats.throttled;
    assert!(
        puts <= 16 + 2 * refused,
        "{puts} PutVectors for 16 batches, {} faults and {} write-limit refusals",
        stats.faults_injected,
        stats.throttled
    );
}

#[tokio::test]
async fn similar_products_stay_within_the_tenant_when_asked() {
    let setup = setup(Some(LocalOptions::default())).await;
    setup.lake(&["t1", "t2"], &[day(23)], 40).await;
    let outcome = setup
        .run(
            setup.input(&format!("{LAKE}/"), "sales", "similar", 2),
            setup.tasks(),
        )
        .await;
    assert_succeeded(&outcome);

    let ctx = Context::new(setup.services.clone());
    let query = |tenant: Option<&str>| SimilarProductsInput {
        target: setup.target("sales"),
        sale_id: "t1-2026-11-23-00007".into(),
        top_k: 10,
        tenant_id: tenant.map(str::to_string),
    };
    let product = "P-2"; // sale 7 of 5 products
    let within = SimilarProducts
        .run(query(Some("t1")), &ctx)
        .await
        .expect("query");
    assert_eq!(within.metadata["product_id"], product);
    // t1 has 8 sales of the product: the 7 others come first, then other products.
    assert_eq!(within.neighbours.len(), 10);
    for n in &within.neighbours {
        assert_eq!(n.metadata["tenant_id"], "t1", "{n:?}");
        assert_ne!(n.sale_id, "t1-2026-11-23-00007");
    }
    let nearest: Vec<&Value> = within
        .neighbours
        .iter()
        .take(7)
        .map(|n| &n.metadata["product_id"])
        .collect();
    assert!(nearest.iter().all(|p| **p == json!(product)), "{nearest:?}");

    let everyone = SimilarProducts.run(query(None), &ctx).await.expect("query");
    assert_eq!(everyone.neighbours.len(), 10);
    assert!(
        everyone
            .neighbours
            .iter()
            .any(|n| n.metadata["tenant_id"] == "t2"),
        "without the filter the other tenant's sales of the product are neighbours too"
    );
    assert!(
        everyone
            .neighbours
            .iter()
            .all(|n| n.metadata["product_id"] == product)
    );
    let distances: Vec<f32> = everyone
        .neighbours
        .iter()
        .filter_map(|n| n.distance)
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");

    let missing = SimilarProducts
        .run(
            SimilarProductsInput {
                sale_id: "nope".into(),
                ..query(None)
            },
            &ctx,
        )
        .await
        .expect_err("no such sale");
    assert_eq!(missing.name.as_str(), "NotFound");
}
