//! product-sold-sync's throughput against moto server, in the same run:
//!
//! * **workflow**: 1,000 deliveries (900 sales, 100 duplicates delivered after their
//!   originals completed) through the generated Express workflow under sfn-local with the
//!   real activities and integrations, 16 deliveries in flight;
//! * **direct**: the same events through the same service calls issued directly with the
//!   SDK at the same concurrency — per sale the claim's conditional PutItem, the item's
//!   PutItem, the object's PutObject (Prepare's values and the Parquet bytes computed by
//!   the same functions), the claim's UpdateItem; per duplicate the failed claim and its
//!   GetItem — the ceiling moto allows any client. The requests are the workflow's own,
//!   attribute for attribute (the claim's owner is an execution ARN, its event and sale
//!   ids, the completion time, the object's content type), so moto does the same work
//!   for both; `scripts/count_moto_requests.py` counts them from a moto recording.
//!
//! Each run gets fresh tables and bucket and is checked (900 items, 900 objects). Reported:
//! events/s, p50/p95 latency per event, the integration calls' time inside the SDK
//! against sfn-local's own share ([`sfn_local::CallStats`]), and the process's CPU time
//! per event (moto runs in its own process, so this is our side only): the workflow's
//! minus the direct run's is what the orchestration itself costs. Targets: workflow ≥ 90 %
//! of direct throughput, orchestration CPU < 1 ms per event. The pair runs [`ROUNDS`]
//! times in alternating order (moto's speed drifts with the machine's load) and the
//! medians of the per-round ratio and CPU difference are reported.
//!
//! Run with `cargo bench -p stepwise-tests --bench product_sold_sync`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use futures::{StreamExt, stream};
use serde_json::Value;
use sfn_local::{Status, TaskRunner};
use stepwise_product_sold_sync::lake_object::{WriteLakeObjectInput, encode_object};
use stepwise_product_sold_sync::prepare::{PrepareInput, prepare};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::sold_sync::{SoldSyncWorld, event};
use stepwise_tests::{MotoServer, unique_id};

const SALES: usize = 900;
const DUPLICATES: usize = 100;
const CONCURRENCY: usize = 16;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn events() -> Vec<Value> {
    let mut out: Vec<Value> = (0..SALES)
        .map(|n| {
            let tenant = if n % 5 < 2 { "globex" } else { "acme" };
            event(
                n,
                tenant,
                &format!("P-{}", n % 50),
                &format!("S-{n:05}"),
                "2026-11-30",
                !n.is_multiple_of(2),
            )
        })
        .collect();
    // Duplicates of the first sales, delivered at the end (their originals are done).
    let dups: Vec<Value> = out[..DUPLICATES].to_vec();
    out.extend(dups);
    out
}

/// User + system CPU time of this process.
fn cpu() -> Duration {
    // SAFETY: getrusage writes into the struct we pass and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

struct Run {
    wall: Duration,
    cpu: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
    fn pct(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l[((l.len() as f64 - 1.0) * p).round() as usize]
    }
}

async fn workflow_run(
    world: &SoldSyncWorld,
    events: &[Value],
) -> Result<(Run, sfn_local::CallStats), Error> {
    let machine = world.machine(&statemachines::product_sold_sync::workflow())?;
    let service_tasks = world.tasks();
    let tasks: Arc<dyn TaskRunner> = service_tasks.clone();
    let (cpu0, t0) = (cpu(), Instant::now());
    let latencies = stream::iter(events.iter().enumerate())
        .map(|(i, e)| {
            let (machine, tasks) = (&machine, tasks.clone());
            async move {
                let started = Instant::now();
                let o = world
                    .deliver(
                        machine,
                        e.clone(),
                        tasks,
                        world.options(&format!("e-{i}"), false),
                    )
                    .await?;
                if o.status != Status::Succeeded {
                    return Err(format!("delivery {i}: {:?} {:?}", o.status, o.failure).into());
                }
                Ok::<_, Error>(started.elapsed())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let run = Run {
        wall: t0.elapsed(),
        cpu: cpu() - cpu0,
        latencies,
    };
    Ok((run, service_tasks.stats()))
}

fn attrs(item: &Value) -> Result<std::collections::HashMap<String, AttributeValue>, Error> {
    let mut out = std::collections::HashMap::new();
    for (k, v) in item.as_object().ok_or("item")? {
        let a = if let Some(s) = v.get("S").and_then(Value::as_str) {
            AttributeValue::S(s.into())
        } else if let Some(n) = v.get("N").and_then(Value::as_str) {
            AttributeValue::N(n.into())
        } else if let Some(b) = v.get("B").and_then(Value::as_str) {
            use base64::Engine as _;
            AttributeValue::B(base64::engine::general_purpose::STANDARD.decode(b)?.into())
        } else {
            return Err(format!("attribute {k}: {v}").into());
        };
        out.insert(k.clone(), a);
    }
    Ok(out)
}

async fn direct_one(world: &SoldSyncWorld, i: usize, e: &Value) -> Result<(), Error> {
    let ddb = world.services.aws.dynamodb().await;
    let s3 = world.services.aws.s3().await;
    let now = chrono::Utc::now().to_rfc3339();
    let input: PrepareInput = serde_json::from_value(serde_json::json!({"event": e, "now": now}))?;
    let p = prepare(&input)?;
    let event_id = e
        .get("id")
        .and_then(Value::as_str)
        .ok_or("event without id")?;
    // The workflow's owner is its execution's ARN (`$$.Execution.Id`); the same text here,
    // so both sides send requests of the same size.
    let me = format!(
        "arn:aws:states:us-east-1:123456789012:execution:{}:e-{i}",
        statemachines::product_sold_sync::NAME
    );
    let key = || {
        std::collections::HashMap::from([
            ("PK".to_string(), AttributeValue::S(p.claim.pk.clone())),
            ("SK".to_string(), AttributeValue::S("VERSION".into())),
        ])
    };
    let claimed = ddb
        .put_item()
        .table_name(&world.idempotency_table)
        .item("PK", AttributeValue::S(p.claim.pk.clone()))
        .item("SK", AttributeValue::S("VERSION".into()))
        .item("status", AttributeValue::S("IN_PROGRESS".into()))
        .item("owner", AttributeValue::S(me.clone()))
        .item("event_id", AttributeValue::S(event_id.into()))
        .item("sale_id", AttributeValue::S(p.sale_id.clone()))
        .item(
            "lock_expires_at",
            AttributeValue::N(p.claim.lock_expires_at.clone()),
        )
        .item("ttl", AttributeValue::N(p.claim.expires_at.clone()))
        .condition_expression(
            "attribute_not_exists(PK) OR (#status = :in_progress AND #lock < :now)",
        )
        .expression_attribute_names("#status", "status")
        .expression_attribute_names("#lock", "lock_expires_at")
        .expression_attribute_values(":in_progress", AttributeValue::S("IN_PROGRESS".into()))
        .expression_attribute_values(":now", AttributeValue::N(p.claim.now.clone()))
        .send()
        .await;
    if claimed.is_err() {
        let got = ddb
            .get_item()
            .table_name(&world.idempotency_table)
            .set_key(Some(key()))
            .consistent_read(true)
            .send()
            .await?;
        return match got.item().and_then(|i| i.get("status")) {
            Some(AttributeValue::S(s)) if s == "COMPLETED" => Ok(()),
            other => Err(format!("event {i}: claim held: {other:?}").into()),
        };
    }
    let (object_key, bytes) = encode_object(&WriteLakeObjectInput {
        bucket: world.bucket.clone(),
        lake_prefix: statemachines::product_sold_sync::LAKE_PREFIX.into(),
        row: p.row.clone(),
    })?;
    let put_item = ddb
        .put_item()
        .table_name(&world.sales_table)
        .set_item(Some(attrs(&p.item)?))
        .send();
    let put_object = s3
        .put_object()
        .bucket(&world.bucket)
        .key(&object_key)
        .content_type(stepwise_lake::PARQUET_CONTENT_TYPE)
        .body(ByteStream::from(bytes))
        .send();
    let (a, b) = tokio::join!(put_item, put_object);
    a?;
    b?;
    ddb.update_item()
        .table_name(&world.idempotency_table)
        .set_key(Some(key()))
        .update_expression("SET #status = :completed, completed_by = :me, completed_at = :at")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":completed", AttributeValue::S("COMPLETED".into()))
        .expression_attribute_values(":me", AttributeValue::S(me))
        .expression_attribute_values(
            ":at",
            AttributeValue::S(
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
        )
        .send()
        .await?;
    Ok(())
}

async fn direct_run(world: &SoldSyncWorld, events: &[Value]) -> Result<Run, Error> {
    let (cpu0, t0) = (cpu(), Instant::now());
    let latencies = stream::iter(events.iter().enumerate())
        .map(|(i, e)| async move {
            let started = Instant::now();
            direct_one(world, i, e).await?;
            Ok::<_, Error>(started.elapsed())
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Run {
        wall: t0.elapsed(),
        cpu: cpu() - cpu0,
        latencies,
    })
}

async fn check(world: &SoldSyncWorld) -> Result<(), Error> {
    let items = world.items().await?.len();
    let objects = world.keys("pricing-intelligence/").await?.len();
    if (items, objects) != (SALES, SALES) {
        return Err(format!("{items} items and {objects} objects, expected {SALES} each").into());
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Rounds of (direct, workflow) pairs; the order alternates so drift in moto's or the
/// machine's load falls on both sides. `PRODUCT_SOLD_SYNC_ROUNDS` overrides it.
const ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn bench() -> Result<(), Error> {
    let moto = MotoServer::start()?;
    let services = Services::with_aws(Aws::with_config(moto.sdk_config()));
    let events = events();
    let n = events.len() as f64;
    let rounds = std::env::var("PRODUCT_SOLD_SYNC_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(ROUNDS);

    // Warm-up: connections, moto's first requests.
    let warm = SoldSyncWorld::create(services.clone(), &unique_id()).await?;
    direct_run(&warm, &events[..64]).await?;
    workflow_run(&warm, &events[64..128]).await?;

    println!(
        "product-sold-sync against moto server: {} events ({SALES} sales, {DUPLICATES} duplicates), {CONCURRENCY} in flight, {rounds} rounds of direct and workflow runs in alternating order",
        events.len()
    );
    println!("| round | run | events/s | p50 | p95 | CPU per event (this process) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let (mut ratios, mut orchestration, mut direct_rates, mut flow_rates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut all_stats = Vec::new();
    for round in 1..=rounds {
        let mut direct = None;
        let mut flow = None;
        let order = if round % 2 == 1 {
            [false, true]
        } else {
            [true, false]
        };
        for workflow in order {
            let world = SoldSyncWorld::create(services.clone(), &unique_id()).await?;
            if workflow {
                let (run, stats) = workflow_run(&world, &events).await?;
                check(&world).await?;
                flow = Some(run);
                all_stats.push(stats);
            } else {
                direct = Some(direct_run(&world, &events).await?);
                check(&world).await?;
            }
        }
        let (direct, flow) = (
            direct.ok_or("no direct run")?,
            flow.ok_or("no workflow run")?,
        );
        for (name, r) in [
            ("direct SDK calls", &direct),
            ("workflow (sfn-local)", &flow),
        ] {
            println!(
                "| {round} | {name} | {:.1} | {:.1} ms | {:.1} ms | {:.2} ms |",
                r.rate(),
                ms(r.pct(0.5)),
                ms(r.pct(0.95)),
                ms(r.cpu) / n
            );
        }
        ratios.push(flow.rate() / direct.rate() * 100.0);
        orchestration.push((ms(flow.cpu) - ms(direct.cpu)) / n);
        direct_rates.push(direct.rate());
        flow_rates.push(flow.rate());
    }
    println!(
        "median events/s: direct {:.1}, workflow {:.1}",
        median(direct_rates),
        median(flow_rates)
    );
    println!(
        "workflow / direct throughput per round: {} — median {:.1} % (target ≥ 90 %)",
        ratios
            .iter()
            .map(|r| format!("{r:.1} %"))
            .collect::<Vec<_>>()
            .join(", "),
        median(ratios.clone())
    );
    println!(
        "orchestration CPU per event (workflow − direct) per round: {} — median {:.3} ms (target < 1 ms)",
        orchestration
            .iter()
            .map(|c| format!("{c:.3} ms"))
            .collect::<Vec<_>>()
            .join(", "),
        median(orchestration.clone())
    );
    let calls: u64 = all_stats.iter().map(|s| s.calls).sum();
    let total: f64 = all_stats.iter().map(|s| ms(s.total)).sum();
    let in_sdk: f64 = all_stats.iter().map(|s| ms(s.in_sdk)).sum();
    println!(
        "integration calls: {} per round ({:.1} per event), {:.1} ms each in the runner, {:.1} ms inside the SDK call, {:.3} ms sfn-local's own",
        calls / rounds.max(1) as u64,
        calls as f64 / rounds.max(1) as f64 / n,
        total / calls.max(1) as f64,
        in_sdk / calls.max(1) as f64,
        (total - in_sdk) / calls.max(1) as f64
    );
    Ok(())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = runtime.block_on(bench()) {
        eprintln!("product_sold_sync bench: {e}");
        std::process::exit(1);
    }
}
