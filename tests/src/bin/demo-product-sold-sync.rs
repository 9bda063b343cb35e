//! `demo-product-sold-sync`: the local demo of product-sold-sync (`make demo` runs it
//! after the daily-sales-export demo).
//!
//! It starts moto server on a free loopback port, creates the pipeline's tables, queue
//! and bucket, and feeds 200 generated `carousel.product.sold` deliveries through the
//! generated Express workflow under sfn-local with the real activities, 16 at a time: 179
//! sales, one malformed event, and 20 duplicates — 10 delivered again after the stream,
//! 10 delivered at the same moment as their original. Then it runs the daily compaction
//! with the lake's Iceberg tables (`lake_tables`): the day's staged per-sale objects are
//! committed to `sales_history` as one snapshot and deleted; it prints the table's
//! snapshots and pyiceberg's row counts. Artifacts in `target/demo/product-sold-sync/`:
//! the table's compacted Parquet files under their keys in the table's warehouse,
//! `items.jsonl` (every sales-history item read back) and `dlq.jsonl` (the dead-letter
//! queue's messages); `target/demo/tables/sales_history.metadata.json` (the table's
//! current metadata).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use futures::{StreamExt, stream};
use serde_json::{Value, json};
use sfn_local::{Options, Status, TaskRunner};
use stepwise_lake_tables::storage::parse_s3_uri;
use stepwise_lake_tables::{Dataset, LakeTables};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::iceberg::print_table;
use stepwise_tests::sold_sync::{SoldSyncWorld, event};
use stepwise_tests::{MotoServer, workspace_root};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Unique sales in the stream (one more event is malformed).
const SALES: usize = 179;
/// The malformed event's place in the stream.
const MALFORMED: usize = 57;
/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;
/// The S3 table bucket and namespace of the lake's Iceberg tables (as the export's demo).
const TABLE_BUCKET: &str = "stepwise-demo-lake-tables";
const NAMESPACE: &str = "demo_lake";

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo-product-sold-sync: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(demo()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo-product-sold-sync: {e}");
            ExitCode::from(1)
        }
    }
}

/// The stream: (label, event). Sales are spread over two tenants and three days.
fn deliveries() -> Vec<(String, Value)> {
    let days = ["2026-10-31", "2026-11-29", "2026-11-30"];
    let sale = |n: usize| {
        let tenant = if n % 5 < 2 { "globex" } else { "acme" };
        let product = format!("P-{:03}", n % 40);
        event(
            n,
            tenant,
            &product,
            &format!("S-{n:04}"),
            days[n % 3],
            n.is_multiple_of(2),
        )
    };
    let mut out = Vec::new();
    for n in 0..SALES {
        out.push((format!("sale-{n}"), sale(n)));
        if (20..30).contains(&n) {
            // Delivered again at the same moment (EventBridge's at-least-once delivery).
            out.push((format!("sale-{n}-concurrent-duplicate"), sale(n)));
        }
        if n == MALFORMED {
            let mut bad = sale(1000);
            if let Some(detail) = bad["detail"].as_object_mut() {
                detail.remove("tenantId");
            }
            out.push(("malformed".into(), bad));
        }
    }
    for n in 0..10 {
        out.push((format!("sale-{n}-late-duplicate"), sale(n)));
    }
    out
}

async fn demo() -> Result<ExitCode, Error> {
    let started = Instant::now();
    let out_dir = workspace_root().join("target/demo/product-sold-sync");
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir)?;
    }
    std::fs::create_dir_all(&out_dir)?;

    eprintln!("==> product-sold-sync: starting moto server (loopback, free port)");
    let moto = MotoServer::start()?;
    let services = Services::with_aws(Aws::with_config(moto.sdk_config()));
    let world = SoldSyncWorld::create(services, "demo").await?;
    eprintln!(
        "    tables {} and {}, queue {}, bucket {}",
        world.sales_table, world.idempotency_table, world.queue_url, world.bucket
    );
    let machine = world.machine(&statemachines::product_sold_sync::workflow())?;
    let tasks: Arc<dyn TaskRunner> = world.tasks();

    let stream_of = deliveries();
    eprintln!(
        "==> delivering {} events, {CONCURRENCY} at a time (Express executions under sfn-local, real time)",
        stream_of.len()
    );
    let t0 = Instant::now();
    let outcomes: Vec<(String, sfn_local::Outcome)> = stream::iter(stream_of)
        .map(|(label, e)| {
            let (world, machine, tasks) = (&world, &machine, tasks.clone());
            async move {
                let outcome = world
                    .deliver(machine, e, tasks, world.options(&label, false))
                    .await;
                outcome.map(|o| (label, o))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let took = t0.elapsed();

    let mut written = 0;
    let mut duplicates = BTreeMap::new();
    let mut rejected = Vec::new();
    for (label, o) in &outcomes {
        let last = o.states_entered().last().cloned().unwrap_or_default();
        match (o.status, last.as_str()) {
            (Status::Succeeded, "Synced") => written += 1,
            (Status::Succeeded, "Duplicate delivery") => {
                // Either delivery of a concurrent pair may be the one that waits.
                let n: usize = label
                    .split('-')
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_default();
                let kind = if (20..30).contains(&n) {
                    "concurrent"
                } else {
                    "sequential"
                };
                *duplicates.entry(kind).or_insert(0) += 1;
            }
            _ => {
                let f = o.failure.clone();
                rejected.push((
                    label.clone(),
                    f.map(|f| format!("{}: {}", f.error, f.cause))
                        .unwrap_or_default(),
                ));
            }
        }
    }
    let items = world.items().await?;
    let small = world.keys("pricing-intelligence/").await?;
    let dlq = world.dlq(30).await?;
    println!(
        "product-sold-sync: {} deliveries in {:.1} s ({:.0} events/s)",
        outcomes.len(),
        took.as_secs_f64(),
        outcomes.len() as f64 / took.as_secs_f64()
    );
    println!(
        "sales written: {written} (items in sales-history: {})",
        items.len()
    );
    println!(
        "duplicates skipped: {} ({} concurrent with their original, {} delivered again later)",
        duplicates.values().sum::<usize>(),
        duplicates.get("concurrent").copied().unwrap_or(0),
        duplicates.get("sequential").copied().unwrap_or(0)
    );
    println!("rejected: {}", rejected.len());
    for (label, reason) in &rejected {
        println!("  {label}: {reason}");
    }
    println!("dead-letter queue: {} message(s)", dlq.len());
    println!(
        "lake objects before compaction: {} (one per sale)",
        small.len()
    );

    eprintln!(
        "==> compacting (product-sold-sync-compaction with lake_tables: the objects written today into sales_history)"
    );
    let compaction = world.machine(&statemachines::product_sold_sync_compaction::workflow())?;
    let today = chrono::Utc::now().date_naive().to_string();
    let options = Options {
        virtual_time: true,
        state_machine_name: statemachines::product_sold_sync_compaction::NAME.into(),
        services: Some(world.services.clone()),
        substitutions: world.substitutions(),
        ..Options::default()
    };
    let input = json!({
        "date": today,
        "lake_tables": {"table_bucket": TABLE_BUCKET, "namespace": NAMESPACE}
    });
    let outcome = sfn_local::execute(&compaction, input, tasks.clone(), options).await?;
    if outcome.status != Status::Succeeded {
        println!("compaction: {:?} {:?}", outcome.status, outcome.failure);
        return Ok(ExitCode::from(1));
    }
    let output = outcome.output.unwrap_or_default();
    let files: Vec<String> = output["staged"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["file"].as_str().map(str::to_string))
        .collect();
    let deleted: u64 = output["deleted"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["deleted"].as_u64())
        .sum();
    println!(
        "compaction: {} partitions committed as {} ({} files), {deleted} per-sale objects deleted, {} left",
        files.len(),
        text(&output["commit"]["batch_id"]),
        output["commit"]["added_files"],
        world.keys("pricing-intelligence/").await?.len()
    );
    let tables = LakeTables::ensure(&moto.sdk_config(), TABLE_BUCKET, NAMESPACE).await?;
    let location = tables.table_location(Dataset::SalesHistory).await?;
    for name in &files {
        let uri = format!("{location}/data/{name}");
        let (bucket, key) = parse_s3_uri(&uri).ok_or_else(|| format!("not an s3:// URI: {uri}"))?;
        let bytes = tables
            .s3()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await?
            .body
            .collect()
            .await?
            .into_bytes();
        let path = out_dir.join("sales_history").join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &bytes)?;
        let rows = stepwise_lake::decode_sold(std::fs::File::open(&path)?)?.len();
        println!("  {uri}  rows {rows}  bytes {}", bytes.len());
    }
    let table = print_table(
        &moto,
        TABLE_BUCKET,
        NAMESPACE,
        Dataset::SalesHistory,
        out_dir.parent().unwrap_or(&out_dir),
    )
    .await?;
    let committed = table["current"]["count"].as_u64().unwrap_or_default();
    let distinct = table["current"]["distinct_sale_ids"]
        .as_u64()
        .unwrap_or_default();
    let lines = |values: &[Value]| -> String { values.iter().map(|v| format!("{v}\n")).collect() };
    std::fs::write(out_dir.join("items.jsonl"), lines(&items))?;
    std::fs::write(out_dir.join("dlq.jsonl"), lines(&dlq))?;
    println!(
        "artifacts: {} (sales_history's Parquet files, items.jsonl, dlq.jsonl), ../tables/sales_history.metadata.json; {:.1} s in all",
        out_dir.display(),
        started.elapsed().as_secs_f64()
    );
    let ok = written == SALES
        && items.len() == SALES
        && rejected.len() == 1
        && committed as usize == SALES
        && distinct as usize == SALES;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A JSON value for a summary line: strings without their quotes.
fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}
