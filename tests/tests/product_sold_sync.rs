//! product-sold-sync end to end: the generated Express workflow under sfn-local with the
//! real activities and its DynamoDB/SQS integrations against moto server — duplicate
//! deliveries (sequential and concurrent), a crash between the two writes and the
//! redelivery that takes the claim over, two sales of one product, a malformed event, a
//! write that keeps failing (dead-lettered, then replayed), and the daily compaction
//! read back with pyarrow.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use futures::future::join_all;
use serde_json::{Value, json};
use sfn_local::history::EventType;
use sfn_local::{Fault, Faults, Outcome, Status, TaskFuture, TaskRequest, TaskRunner};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::sold_sync::{SoldSyncWorld, event};
use stepwise_tests::{MotoServer, unique_id, workspace_root};
use tokio::sync::Notify;

const LAKE: &str = "pricing-intelligence/sales_history/";

async fn world() -> SoldSyncWorld {
    let services = Services::with_aws(Aws::with_config(MotoServer::shared().sdk_config()));
    SoldSyncWorld::create(services, &unique_id())
        .await
        .expect("the world is created")
}

fn sync_machine(world: &SoldSyncWorld) -> codegen::asl::StateMachine {
    world
        .machine(&statemachines::product_sold_sync::workflow())
        .expect("the workflow builds")
}

async fn deliver(world: &SoldSyncWorld, event: &Value, name: &str, virtual_time: bool) -> Outcome {
    deliver_with(world, event, world.tasks(), name, virtual_time).await
}

async fn deliver_with(
    world: &SoldSyncWorld,
    event: &Value,
    tasks: Arc<dyn TaskRunner>,
    name: &str,
    virtual_time: bool,
) -> Outcome {
    let machine = sync_machine(world);
    world
        .deliver(
            &machine,
            event.clone(),
            tasks,
            world.options(name, virtual_time),
        )
        .await
        .expect("the execution starts")
}

fn entered(outcome: &Outcome, state: &str) -> usize {
    outcome
        .states_entered()
        .iter()
        .filter(|s| *s == state)
        .count()
}

/// How often Task state `name` was scheduled (1 + retries).
fn attempts(outcome: &Outcome, name: &str) -> usize {
    let mut current = None;
    let mut count = 0;
    for event in &outcome.events {
        if matches!(event.kind, EventType::StateEntered(_)) {
            current = event.state_name().map(str::to_string);
        }
        if event.kind == EventType::TaskScheduled && current.as_deref() == Some(name) {
            count += 1;
        }
    }
    count
}

fn succeeded(outcome: &Outcome) {
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
}

fn pyarrow(paths: &[PathBuf]) -> Vec<Value> {
    let root = workspace_root();
    let out = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/check_parquet.py"))
        .args(paths)
        .output()
        .expect("python runs (scripts/python-env.sh installs pyarrow)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    doc["files"].as_array().expect("files").clone()
}

async fn download_all(world: &SoldSyncWorld, dir: &std::path::Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for key in world.keys(LAKE).await.unwrap() {
        let path = dir.join(key.replace('/', "_"));
        std::fs::write(&path, world.object(&key).await.unwrap()).unwrap();
        paths.push(path);
    }
    paths
}

#[tokio::test]
async fn sequential_duplicates_write_once_and_the_rest_are_duplicates() {
    let world = world().await;
    let e = event(1, "acme", "P-1", "S-1", "2026-11-30", true);
    let first = deliver(&world, &e, "first", true).await;
    succeeded(&first);
    assert_eq!(entered(&first, "Synced"), 1, "{:?}", first.states_entered());
    let items = world.items().await.unwrap();
    let keys = world.keys(LAKE).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        keys,
        vec![format!(
            "{LAKE}tenant_id=acme/year=2026/month=11/S-1.parquet"
        )]
    );
    let bytes = world.object(&keys[0]).await.unwrap();
    let item = &items[0];
    assert_eq!(item["PK"], "TENANT#acme#PRODUCT#P-1");
    assert_eq!(item["SK"], "SALE#2026-11-30#S-1");
    assert_eq!(item["GSI2SK"], "DATE#2026-11-30");
    assert_eq!(
        item["embedding"].as_str().unwrap().len(),
        5464,
        "4096 bytes, base64"
    );

    for n in 0..3 {
        let again = deliver(&world, &e, &format!("again-{n}"), true).await;
        succeeded(&again);
        assert_eq!(
            entered(&again, "Duplicate delivery"),
            1,
            "{:?}",
            again.states_entered()
        );
        assert_eq!(
            attempts(&again, "Put sales-history item"),
            0,
            "a duplicate writes nothing"
        );
        assert_eq!(attempts(&again, "WriteLakeObject"), 0);
    }
    assert_eq!(world.items().await.unwrap(), items);
    assert_eq!(world.keys(LAKE).await.unwrap(), keys);
    assert_eq!(world.object(&keys[0]).await.unwrap(), bytes);
    let claims = world.claims().await.unwrap();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0]["status"], "COMPLETED");
    assert_eq!(
        claims[0]["PK"],
        "IDEMPOTENCY#acme#carousel.product.sold#S-1"
    );
    assert!(world.dlq(1).await.unwrap().is_empty());
}

#[tokio::test]
async fn ten_concurrent_deliveries_write_what_one_delivery_writes() {
    let single = world().await;
    let e = event(2, "acme", "P-2", "S-2", "2026-11-30", true);
    succeeded(&deliver(&single, &e, "single", true).await);

    // Real time: the deliveries that lose the claim wait (3 s, then longer) for the one
    // that won, and then find its claim COMPLETED.
    let world = world().await;
    let runs = (0..10).map(|i| {
        let world = world.clone();
        let e = e.clone();
        async move { deliver(&world, &e, &format!("concurrent-{i}"), false).await }
    });
    let outcomes = join_all(runs).await;
    for o in &outcomes {
        succeeded(o);
    }
    let synced = outcomes
        .iter()
        .filter(|o| entered(o, "Synced") == 1)
        .count();
    let duplicates = outcomes
        .iter()
        .filter(|o| entered(o, "Duplicate delivery") == 1)
        .count();
    assert_eq!((synced, duplicates), (1, 9));
    let writes: usize = outcomes
        .iter()
        .map(|o| attempts(o, "Put sales-history item") + attempts(o, "WriteLakeObject"))
        .sum();
    assert_eq!(writes, 2, "one put and one object in all");

    let strip = |items: Vec<Value>| items;
    assert_eq!(
        strip(world.items().await.unwrap()),
        strip(single.items().await.unwrap())
    );
    let keys = world.keys(LAKE).await.unwrap();
    assert_eq!(keys, single.keys(LAKE).await.unwrap());
    assert_eq!(keys.len(), 1);
    assert_eq!(
        world.object(&keys[0]).await.unwrap(),
        single.object(&keys[0]).await.unwrap(),
        "the same bytes as a single delivery"
    );
}

/// A runner that lets the DynamoDB put finish and then "crashes" in the lake write: that
/// task never returns, and the test drops the execution.
struct CrashBeforeLakeWrite {
    inner: Arc<dyn TaskRunner>,
    put_done: Arc<Notify>,
    lake_reached: Arc<Notify>,
}

impl TaskRunner for CrashBeforeLakeWrite {
    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        self.inner.check(state, resource)
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        match request.state.as_str() {
            "WriteLakeObject" => {
                self.lake_reached.notify_one();
                Box::pin(std::future::pending())
            }
            "Put sales-history item" => Box::pin(async move {
                let result = self.inner.run(request).await;
                self.put_done.notify_one();
                result
            }),
            _ => self.inner.run(request),
        }
    }
}

#[tokio::test]
async fn a_crash_between_the_writes_then_a_redelivery_writes_both_once() {
    let world = world().await;
    let e = event(3, "globex", "P-3", "S-3", "2026-11-29", true);
    let crash = Arc::new(CrashBeforeLakeWrite {
        inner: world.tasks(),
        put_done: Arc::new(Notify::new()),
        lake_reached: Arc::new(Notify::new()),
    });
    let (put_done, lake_reached) = (crash.put_done.clone(), crash.lake_reached.clone());
    let run = deliver_with(&world, &e, crash, "crashes", true);
    tokio::select! {
        outcome = run => panic!("the crashing delivery ended: {:?}", outcome.status),
        () = async { put_done.notified().await; lake_reached.notified().await; } => {}
    }
    // The process died here: the item is written, the object is not, the claim is held.
    assert_eq!(world.items().await.unwrap().len(), 1);
    assert!(world.keys(LAKE).await.unwrap().is_empty());
    let claims = world.claims().await.unwrap();
    assert_eq!(claims[0]["status"], "IN_PROGRESS");
    let item_before = world.items().await.unwrap();

    // The redelivery finds the claim held, retries with backoff until the crashed
    // delivery's lock expires (virtual time), takes it over and writes both.
    let redelivery = deliver(&world, &e, "redelivery", true).await;
    succeeded(&redelivery);
    assert_eq!(entered(&redelivery, "Synced"), 1);
    assert!(
        entered(&redelivery, "Claim held") >= 2,
        "it waited for the lock: {:?}",
        redelivery.states_entered()
    );
    assert_eq!(
        world.items().await.unwrap(),
        item_before,
        "the same item, once"
    );
    let keys = world.keys(LAKE).await.unwrap();
    assert_eq!(keys.len(), 1);

    // Identical to what a delivery that never crashed writes.
    let clean = self::world().await;
    succeeded(&deliver(&clean, &e, "clean", true).await);
    assert_eq!(
        world.object(&keys[0]).await.unwrap(),
        clean.object(&keys[0]).await.unwrap()
    );
    assert_eq!(world.items().await.unwrap(), clean.items().await.unwrap());
    let claims = world.claims().await.unwrap();
    assert_eq!(claims[0]["status"], "COMPLETED");
    assert_eq!(
        claims[0]["completed_by"].as_str().unwrap(),
        redelivery.execution_arn
    );
}

#[tokio::test]
async fn two_sales_of_one_product_on_one_day_are_two_items_and_two_rows() {
    let world = world().await;
    for (n, sale) in [(4, "S-4a"), (5, "S-4b")] {
        let e = event(n, "acme", "P-4", sale, "2026-11-30", false);
        succeeded(&deliver(&world, &e, sale, true).await);
    }
    let items = world.items().await.unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["PK"] == "TENANT#acme#PRODUCT#P-4"));
    assert_eq!(items[0]["SK"], "SALE#2026-11-30#S-4a");
    assert_eq!(items[1]["SK"], "SALE#2026-11-30#S-4b");
    assert!(items.iter().all(|i| i.get("embedding").is_none()));
    let dir = tempfile::tempdir().unwrap();
    let files = pyarrow(&download_all(&world, dir.path()).await);
    assert_eq!(files.len(), 2);
    let rows: u64 = files.iter().map(|f| f["num_rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, 2);
}

#[tokio::test]
async fn a_malformed_event_is_dead_lettered_with_the_reason_and_writes_nothing() {
    let world = world().await;
    let mut e = event(6, "acme", "P-6", "S-6", "2026-11-30", false);
    e["detail"].as_object_mut().unwrap().remove("tenantId");
    let outcome = deliver(&world, &e, "malformed", true).await;
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.clone().unwrap();
    assert_eq!(failure.error, "InvalidInput");
    assert!(failure.cause.contains("tenantId"), "{}", failure.cause);
    assert_eq!(attempts(&outcome, "Prepare"), 1, "never retried");
    assert_eq!(entered(&outcome, "Release claim"), 0, "nothing was claimed");
    assert!(world.items().await.unwrap().is_empty());
    assert!(world.claims().await.unwrap().is_empty());
    assert!(world.keys(LAKE).await.unwrap().is_empty());
    let dlq = world.dlq(30).await.unwrap();
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0]["error"], "InvalidInput");
    assert!(dlq[0]["cause"].as_str().unwrap().contains("tenantId"));
    assert_eq!(dlq[0]["event"], e);
    assert_eq!(dlq[0]["execution"], json!(outcome.execution_arn));

    // A negative price and a short embedding too, each naming its field.
    for (field, value) in [("salePrice", json!(-1.0)), ("embedding", json!([0.5, 0.5]))] {
        let mut bad = event(7, "acme", "P-7", "S-7", "2026-11-30", false);
        bad["detail"][field] = value;
        let outcome = deliver(&world, &bad, field, true).await;
        let failure = outcome.failure.unwrap();
        assert_eq!(failure.error, "InvalidInput");
        assert!(failure.cause.contains(field), "{}", failure.cause);
    }
}

#[tokio::test]
async fn a_write_that_keeps_failing_is_dead_lettered_then_replayed_once() {
    let world = world().await;
    let e = event(8, "globex", "P-8", "S-8", "2026-11-30", true);
    let faults: Arc<dyn TaskRunner> = Arc::new(Faults::new(
        world.tasks(),
        [Fault::on("Put sales-history item")
            .attempts(0..=u32::MAX)
            .throw(
                "DynamoDB.ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded",
            )],
    ));
    let outcome = deliver_with(&world, &e, faults, "throttled", true).await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(
        outcome.failure.as_ref().unwrap().error,
        "DynamoDB.ProvisionedThroughputExceededException"
    );
    assert_eq!(
        attempts(&outcome, "Put sales-history item"),
        5,
        "retried 4 times"
    );
    assert_eq!(entered(&outcome, "Release claim"), 1);
    assert!(world.items().await.unwrap().is_empty());
    assert!(
        world.claims().await.unwrap().is_empty(),
        "the claim was released"
    );
    let dlq = world.dlq(1).await.unwrap();
    assert_eq!(dlq.len(), 1);
    assert_eq!(
        dlq[0]["error"],
        "DynamoDB.ProvisionedThroughputExceededException"
    );
    assert_eq!(dlq[0]["event"], e);

    // The fault is gone: `stepwise dlq replay --local` runs the dead letter through the
    // workflow, writes the sale once and deletes the message.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let out = replay_cli(&world, &["--local"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "replayed", "{lines:?}");
    assert!(
        lines[0]["detail"].as_str().unwrap().contains("Synced"),
        "{lines:?}"
    );
    assert_eq!(world.items().await.unwrap().len(), 1);
    assert_eq!(world.keys(LAKE).await.unwrap().len(), 1);
    assert!(
        world.dlq(1).await.unwrap().is_empty(),
        "the message was deleted"
    );
    let again = deliver(&world, &e, "replay-again", true).await;
    assert_eq!(entered(&again, "Duplicate delivery"), 1);
    assert_eq!(world.items().await.unwrap().len(), 1);
}

/// The debug `stepwise` binary, built once per test process.
fn stepwise() -> PathBuf {
    stepwise_tests::stepwise_bin()
}

/// `stepwise dlq replay` on the world's queue with its names, against moto.
fn replay_cli(world: &SoldSyncWorld, extra: &[&str]) -> std::process::Output {
    let mut command = Command::new(stepwise());
    command
        .args(["dlq", "replay", "--queue-url", &world.queue_url])
        .args(extra);
    if extra.contains(&"--local") {
        for (name, value) in world.substitutions() {
            command.arg("--substitute").arg(format!("{name}={value}"));
        }
    }
    command
        .envs(MotoServer::shared().env())
        .output()
        .expect("stepwise runs")
}

#[tokio::test]
async fn dlq_replay_re_puts_the_events_to_the_bus_with_their_sale_ids() {
    let world = world().await;
    // A rule on the bus that forwards Carousel sales to a queue we read.
    let config = world.services.aws.config().await;
    let events = aws_sdk_eventbridge::Client::new(config);
    let sqs = world.sqs().await;
    let capture = sqs
        .create_queue()
        .queue_name(format!("capture-{}", unique_id()))
        .send()
        .await
        .unwrap();
    let capture_url = capture.queue_url().unwrap().to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&capture_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let bus = format!("carousel-{}", unique_id());
    events.create_event_bus().name(&bus).send().await.unwrap();
    let rule = format!("sold-{}", unique_id());
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(
            r#"{"source": ["carousel.products"], "detail-type": ["carousel.product.sold"]}"#,
        )
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("capture")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // Two dead letters: the workflow's own (a sale without saleId) and a malformed body.
    let mut e = event(9, "acme", "P-9", "unused", "2026-11-30", false);
    e["detail"].as_object_mut().unwrap().remove("saleId");
    let letter = json!({"event": e, "error": "Transient", "cause": "x", "execution": "arn:x"});
    for body in [letter.to_string(), "not json".to_string()] {
        sqs.send_message()
            .queue_url(&world.queue_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let out = replay_cli(&world, &["--bus", &bus]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one message could not be replayed"
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcomes: BTreeSet<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        BTreeSet::from(["replayed", "skipped"]),
        "{lines:?}"
    );

    let got = sqs
        .receive_message()
        .queue_url(&capture_url)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    assert_eq!(got.messages().len(), 1);
    let delivered: Value = serde_json::from_str(got.messages()[0].body().unwrap()).unwrap();
    assert_eq!(delivered["source"], "carousel.products");
    let expected_sale =
        stepwise_product_sold_sync::event::derived_sale_id(e["id"].as_str().unwrap());
    assert_eq!(delivered["detail"]["saleId"], json!(expected_sale));
    assert_eq!(delivered["detail"]["productId"], "P-9");
    // The malformed one stays (invisible for a while), the replayed one is gone.
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&world.queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let count = |name: aws_sdk_sqs::types::QueueAttributeName| -> String {
        attrs.attributes().unwrap()[&name].clone()
    };
    assert_eq!(
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages),
        "0"
    );
    assert_eq!(
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        "1"
    );
}

async fn compact(world: &SoldSyncWorld, date: &str, name: &str) -> Value {
    let outcome = compact_with(world, json!({"date": date}), world.tasks(), name).await;
    succeeded(&outcome);
    outcome.output.unwrap()
}

async fn compact_with(
    world: &SoldSyncWorld,
    input: Value,
    tasks: Arc<dyn TaskRunner>,
    name: &str,
) -> Outcome {
    let machine = world
        .machine(&statemachines::product_sold_sync_compaction::workflow())
        .expect("builds");
    let options = sfn_local::Options {
        virtual_time: true,
        state_machine_name: statemachines::product_sold_sync_compaction::NAME.into(),
        execution_name: Some(name.into()),
        services: Some(world.services.clone()),
        substitutions: world.substitutions(),
        ..sfn_local::Options::default()
    };
    sfn_local::execute(&machine, input, tasks, options)
        .await
        .expect("starts")
}

#[tokio::test]
async fn compaction_keeps_every_row_once_and_a_rerun_is_a_no_op() {
    let world = world().await;
    let sales = [
        ("acme", "2026-11-29"),
        ("acme", "2026-11-30"),
        ("acme", "2026-10-31"),
        ("globex", "2026-11-30"),
    ];
    let mut n = 0;
    for (tenant, day) in sales {
        for _ in 0..3 {
            n += 1;
            let e = event(
                n,
                tenant,
                &format!("P-{}", n % 2),
                &format!("S-{n:03}"),
                day,
                n.is_multiple_of(2),
            );
            succeeded(&deliver(&world, &e, &format!("sale-{n}"), true).await);
        }
    }
    let small = world.keys(LAKE).await.unwrap();
    assert_eq!(small.len(), 12);
    let one_small = (small[0].clone(), world.object(&small[0]).await.unwrap());

    // The objects were written today: compacting today merges all of them.
    let today = chrono::Utc::now().date_naive().to_string();
    let out = compact(&world, &today, "compact-1").await;
    let results = out["compacted"].as_array().unwrap();
    assert_eq!(results.len(), 3, "three partitions: {out}");
    let merged: u64 = results.iter().map(|r| r["merged"].as_u64().unwrap()).sum();
    assert_eq!(merged, 12);
    let keys = world.keys(LAKE).await.unwrap();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(
        keys.iter()
            .all(|k| k.ends_with(&format!("compacted-{today}.parquet")))
    );
    let dir = tempfile::tempdir().unwrap();
    let files = pyarrow(&download_all(&world, dir.path()).await);
    let rows: u64 = files.iter().map(|f| f["num_rows"].as_u64().unwrap()).sum();
    let distinct: u64 = files
        .iter()
        .map(|f| f["distinct_sale_ids"].as_u64().unwrap())
        .sum();
    assert_eq!(
        (rows, distinct),
        (12, 12),
        "rows before = rows after, none twice"
    );
    assert!(files.iter().all(|f| f["embedding_list_size"] == 1024));
    let bytes_before: Vec<Vec<u8>> = {
        let mut v = Vec::new();
        for k in &keys {
            v.push(world.object(k).await.unwrap());
        }
        v
    };

    // A re-run finds nothing to do and writes nothing.
    let again = compact(&world, &today, "compact-2").await;
    assert_eq!(again["plan"]["partitions"], json!([]), "{again}");
    assert_eq!(world.keys(LAKE).await.unwrap(), keys);
    for (k, b) in keys.iter().zip(&bytes_before) {
        assert_eq!(&world.object(k).await.unwrap(), b);
    }

    // A run that crashed after writing the compacted file and before deleting a small
    // one leaves both; the next run deletes it without merging it twice.
    world
        .services
        .aws
        .s3()
        .await
        .put_object()
        .bucket(&world.bucket)
        .key(&one_small.0)
        .body(one_small.1.into())
        .send()
        .await
        .unwrap();
    let recovered = compact(&world, &today, "compact-3").await;
    let r = &recovered["compacted"][0];
    assert_eq!(
        (
            r["already_merged"].as_u64(),
            r["merged"].as_u64(),
            r["deleted"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert_eq!(world.keys(LAKE).await.unwrap(), keys);
    let dir = tempfile::tempdir().unwrap();
    let files = pyarrow(&download_all(&world, dir.path()).await);
    let rows: u64 = files.iter().map(|f| f["num_rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, 12);
    let tenants: BTreeSet<String> = files
        .iter()
        .flat_map(|f| f["tenant_ids"].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        tenants.into_iter().collect::<Vec<_>>(),
        vec!["acme", "globex"]
    );
}

/// The tasks with `state` failing on every attempt (a crash at that step).
fn crashing(world: &SoldSyncWorld, state: &str) -> Arc<dyn TaskRunner> {
    Arc::new(Faults::new(
        world.tasks(),
        [Fault::on(state)
            .attempts(0..=u32::MAX)
            .throw("Crashed", "the process died here")],
    ))
}

/// The `sales_history` table's snapshots (Rust's view, for runs that failed).
async fn history_snapshots(tables: &Value) -> Vec<stepwise_lake_tables::SnapshotInfo> {
    let lake = stepwise_lake_tables::LakeTables::ensure(
        &MotoServer::shared().sdk_config(),
        tables["table_bucket"].as_str().unwrap(),
        tables["namespace"].as_str().unwrap(),
    )
    .await
    .expect("the table bucket");
    lake.snapshots(stepwise_lake_tables::Dataset::SalesHistory)
        .await
        .expect("snapshots")
}

/// pyiceberg's view of `sales_history` after a run that committed (or found committed).
fn sales_history(output: &Value) -> Value {
    let location = output["commit"]["metadata_location"]
        .as_str()
        .unwrap_or_else(|| panic!("no commit in {output}"));
    stepwise_tests::iceberg::read_table(location, "sold_date", &MotoServer::shared().endpoint())
}

#[tokio::test]
async fn with_lake_tables_the_compaction_commits_each_day_once_to_sales_history() {
    let world = world().await;
    let tables =
        json!({"table_bucket": format!("e2e-sold-{}", unique_id()), "namespace": "sold_lake"});
    let sales = [
        ("acme", "2026-11-29"),
        ("acme", "2026-10-31"),
        ("globex", "2026-11-30"),
    ];
    let mut n = 0;
    for (tenant, day) in sales {
        for _ in 0..3 {
            n += 1;
            let e = event(
                n,
                tenant,
                "P-1",
                &format!("S-{n:03}"),
                day,
                n.is_multiple_of(2),
            );
            succeeded(&deliver(&world, &e, &format!("sale-{n}"), true).await);
        }
    }
    let staged = world.keys(LAKE).await.unwrap();
    assert_eq!(staged.len(), 9);
    let replayed = (staged[0].clone(), world.object(&staged[0]).await.unwrap());
    let today = chrono::Utc::now().date_naive();
    let input = json!({"date": today.to_string(), "lake_tables": tables});

    // A crash before the commit: the files are staged under the table, nothing is
    // committed, nothing is deleted.
    let crashed = compact_with(
        &world,
        input.clone(),
        crashing(&world, "CommitCompaction"),
        "crash-1",
    )
    .await;
    assert_eq!(
        crashed.failure.as_ref().map(|f| f.error.as_str()),
        Some("Crashed"),
        "{:?}",
        crashed.failure
    );
    assert!(history_snapshots(&tables).await.is_empty());
    assert_eq!(world.keys(LAKE).await.unwrap(), staged);

    // A crash after the commit, before the deletes: the day is one snapshot.
    let crashed = compact_with(
        &world,
        input.clone(),
        crashing(&world, "DeleteCommitted"),
        "crash-2",
    )
    .await;
    assert_eq!(
        crashed.failure.as_ref().map(|f| f.error.as_str()),
        Some("Crashed")
    );
    assert_eq!(entered(&crashed, "CommitCompaction"), 1);
    let snapshots = history_snapshots(&tables).await;
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    let batch = format!("compaction-{today}");
    assert_eq!(snapshots[0].batch_id.as_deref(), Some(batch.as_str()));
    assert_eq!(snapshots[0].total_records, Some(9));
    assert_eq!(
        world.keys(LAKE).await.unwrap(),
        staged,
        "nothing deleted yet"
    );

    // The re-run writes and commits nothing more, and deletes the staged objects.
    let outcome = compact_with(&world, input.clone(), world.tasks(), "recover").await;
    succeeded(&outcome);
    let out = outcome.output.unwrap();
    assert_eq!(out["commit"]["committed"], false, "{out}");
    assert_eq!(out["commit"]["batch_id"], batch.as_str());
    assert_eq!(out["commit"]["snapshot_id"], snapshots[0].snapshot_id);
    assert_eq!(
        out["staged"],
        json!([{"file": null}, {"file": null}, {"file": null}])
    );
    let deleted: u64 = out["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deleted"].as_u64().unwrap())
        .sum();
    assert_eq!(deleted, 9);
    assert!(world.keys(LAKE).await.unwrap().is_empty());
    let table = sales_history(&out);
    let current = &table["current"];
    assert_eq!(current["count"], 9);
    assert_eq!(current["distinct_sale_ids"], 9);
    assert_eq!(
        current["per_partition"],
        json!({"acme/2026-10": 3, "acme/2026-11": 3, "globex/2026-11": 3})
    );
    assert_eq!(table["snapshots"].as_array().map(Vec::len), Some(1));
    assert_eq!(table["snapshots"][0]["operation"], "append");
    assert_eq!(
        table["snapshots"][0]["properties"]["stepwise.batch-id"],
        batch.as_str()
    );

    // A re-run of the same day: no new snapshot.
    let outcome = compact_with(&world, input.clone(), world.tasks(), "rerun").await;
    succeeded(&outcome);
    let out = outcome.output.unwrap();
    assert_eq!(out["commit"]["committed"], false);
    assert_eq!(history_snapshots(&tables).await.len(), 1);

    // The next day: a replay of a committed sale (its staged object again) and three new
    // sales; only the new ones are appended, in one more snapshot.
    world
        .services
        .aws
        .s3()
        .await
        .put_object()
        .bucket(&world.bucket)
        .key(&replayed.0)
        .body(replayed.1.into())
        .send()
        .await
        .unwrap();
    for (tenant, day) in [
        ("globex", "2026-11-30"),
        ("acme", "2026-12-01"),
        ("acme", "2026-12-01"),
    ] {
        n += 1;
        let e = event(n, tenant, "P-2", &format!("S-{n:03}"), day, true);
        succeeded(&deliver(&world, &e, &format!("sale-{n}"), true).await);
    }
    let tomorrow = today + chrono::Duration::days(1);
    let next = json!({"date": tomorrow.to_string(), "lake_tables": tables});
    let outcome = compact_with(&world, next, world.tasks(), "next-day").await;
    succeeded(&outcome);
    let out = outcome.output.unwrap();
    assert_eq!(out["commit"]["committed"], true, "{out}");
    assert_eq!(
        out["commit"]["added_files"], 2,
        "globex/2026-11 and acme/2026-12: {out}"
    );
    assert!(
        world.keys(LAKE).await.unwrap().is_empty(),
        "the replayed object is deleted too"
    );
    let table = sales_history(&out);
    assert_eq!(table["current"]["count"], 12, "the replayed sale once");
    assert_eq!(table["current"]["distinct_sale_ids"], 12);
    assert_eq!(
        table["current"]["per_partition"],
        json!({"acme/2026-10": 3, "acme/2026-11": 3, "acme/2026-12": 2, "globex/2026-11": 4})
    );
    let batches: Vec<&Value> = table["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["properties"]["stepwise.batch-id"])
        .collect();
    assert_eq!(
        batches,
        [&json!(batch), &json!(format!("compaction-{tomorrow}"))]
    );
    // Time travel: the previous snapshot holds the first day's rows.
    assert_eq!(table["previous"]["count"], 9);
    assert_eq!(table["previous"]["distinct_sale_ids"], 9);
}

#[tokio::test]
async fn a_claim_held_past_every_retry_is_dead_lettered_and_left_alone() {
    let world = world().await;
    let e = event(10, "acme", "P-10", "S-10", "2026-11-30", false);
    // Another delivery holds the claim with a lock that outlasts this execution.
    let far = (chrono::Utc::now().timestamp() + 3600).to_string();
    let ddb = world.services.aws.dynamodb().await;
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    ddb.put_item()
        .table_name(&world.idempotency_table)
        .item(
            "PK",
            S("IDEMPOTENCY#acme#carousel.product.sold#S-10".into()),
        )
        .item("SK", S("VERSION".into()))
        .item("status", S("IN_PROGRESS".into()))
        .item("owner", S("someone-else".into()))
        .item("lock_expires_at", N(far))
        .send()
        .await
        .unwrap();
    let before = world.claims().await.unwrap();
    let outcome = deliver(&world, &e, "waits", true).await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.failure.as_ref().unwrap().error, "ClaimHeld");
    assert_eq!(
        entered(&outcome, "Claim held"),
        11,
        "the first try and 10 retries"
    );
    assert_eq!(entered(&outcome, "Release claim"), 0);
    assert_eq!(
        world.claims().await.unwrap(),
        before,
        "the other delivery's claim is untouched"
    );
    assert!(world.items().await.unwrap().is_empty());
    let dlq = world.dlq(30).await.unwrap();
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0]["error"], "ClaimHeld");
    assert_eq!(dlq[0]["event"], e);
}
