//! The jobs API's promise: a POST answers fast while jobs run. Against the local server
//! (`stepwise serve --jobs-api` in process, moto server, the local Bedrock endpoint), in
//! one run:
//!
//! * **accepted**: 100 POSTs, one after another, each a 10-photo job that really starts
//!   (token check, body validation, StartExecution) while the earlier ones run:
//!   thumbnails, embeddings, clustering;
//! * **refused** (baseline): 100 POSTs with a body the schema refuses (token check and
//!   validation only, nothing written or started), in the same conditions.
//!
//! Reported: p50, p95, p99 and max latency of each, and how many jobs finished meanwhile.
//! Target: p99 of accepted POSTs under 100 ms (the 2-second promise with a wide margin).
//!
//! Run with `cargo bench -p stepwise-tests --bench jobs_api` (or with the profile of your
//! choice: `cargo run`-style `--profile`, see the README).

use std::time::{Duration, Instant};

use local_bedrock::LocalBedrock;
use serde_json::json;
use stepwise_jobs_api::limit::Limit;
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::group_images_world::GroupImagesWorld;
use stepwise_tests::jobs_api::JobsServer;
use stepwise_tests::{MotoServer, unique_id};

const POSTS: usize = 100;
const PRODUCTS: usize = 3;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = percentile(&samples, 99.0);
    println!(
        "{name:<10} n={:<4} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        samples.len(),
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 95.0)),
        ms(p99),
        ms(samples[samples.len() - 1])
    );
    p99
}

async fn bench() -> Result<(), Error> {
    let moto = MotoServer::start()?;
    let bedrock = LocalBedrock::start().await?;
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );
    let id = unique_id();
    let world = GroupImagesWorld::new(
        format!("bench-{id}"),
        format!("bench-jobs-{id}"),
        format!("/bench/{id}/config"),
        PRODUCTS,
    );
    world.seed(&services).await?;
    let limit = Limit {
        per_second: 10_000.0,
        burst: 10_000.0,
    };
    let server = JobsServer::start(&moto.sdk_config(), services.clone(), &world, limit).await?;
    let token = server.token("bench")?;
    let body = json!({"images": world.images()}).to_string();
    let refused_body = json!({"images": []}).to_string();

    // Warm up: connections, the schema validator, the first job under way.
    for _ in 0..3 {
        let a = server.post(Some(&token), None, &body).await?;
        if a.status != 202 {
            return Err(format!("warm-up POST: {} {}", a.status, a.body).into());
        }
    }

    let mut accepted = Vec::with_capacity(POSTS);
    let mut refused = Vec::with_capacity(POSTS);
    let mut jobs = Vec::with_capacity(POSTS);
    for _ in 0..POSTS {
        let t = Instant::now();
        let a = server.post(Some(&token), None, &body).await?;
        accepted.push(t.elapsed());
        if a.status != 202 {
            return Err(format!("POST: {} {}", a.status, a.body).into());
        }
        jobs.push(a.body["jobId"].as_str().unwrap_or_default().to_string());
        let t = Instant::now();
        let r = server.post(Some(&token), None, &refused_body).await?;
        refused.push(t.elapsed());
        if r.status != 400 {
            return Err(format!("refused POST: {} {}", r.status, r.body).into());
        }
    }
    let mut finished = 0;
    for job in &jobs {
        let s = server.get(Some(&token), job).await?;
        let status = s.body["status"].as_str().unwrap_or_default();
        if status == "SUCCEEDED" || status == "FAILED" {
            finished += 1;
        }
    }
    println!(
        "jobs API: {POSTS} POSTs of a {}-photo job, one after another, while the jobs run",
        world.images().len()
    );
    let p99 = report("accepted", accepted);
    report("refused", refused);
    println!(
        "jobs finished while posting: {finished} of {}; executions started: {}",
        jobs.len(),
        server.executions().await?.len()
    );
    println!(
        "target p99 < 100 ms: {}",
        if p99 < Duration::from_millis(100) {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("jobs_api bench: cannot start the runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(bench()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jobs_api bench: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
