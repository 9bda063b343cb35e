//! `demo-jobs-api`: the jobs API on the local server — `make demo` runs it after the
//! group-images demo. It starts moto server and the local Bedrock endpoint, seeds the
//! group-images photos, serves `stepwise serve --jobs-api`'s routes on a free loopback
//! port, then does what a client does: POST /group-images with a bearer token (the 202
//! and its latency), GET the status until the job is done (progress as it goes), and
//! prints the groups. Everything it started stops when it ends.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use local_bedrock::LocalBedrock;
use serde_json::json;
use stepwise_jobs_api::limit::Limit;
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::MotoServer;
use stepwise_tests::group_images_world::GroupImagesWorld;
use stepwise_tests::jobs_api::JobsServer;

type Error = Box<dyn std::error::Error + Send + Sync>;

const PRODUCTS: usize = 5;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo-jobs-api: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(demo()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo-jobs-api: {e}");
            ExitCode::from(1)
        }
    }
}

async fn demo() -> Result<ExitCode, Error> {
    let started = Instant::now();
    eprintln!("==> jobs API: starting moto server, the local Bedrock endpoint and the server");
    let moto = MotoServer::start()?;
    let bedrock = LocalBedrock::start().await?;
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );
    let world = GroupImagesWorld::new(
        "stepwise-demo-jobs",
        "stepwise-demo-jobs-table",
        "/stepwise/demo/group-images/config",
        PRODUCTS,
    );
    world.seed(&services).await?;
    let server = JobsServer::start(
        &moto.sdk_config(),
        services.clone(),
        &world,
        Limit::default(),
    )
    .await?;
    let token = server.token("acme")?;
    println!("jobs API on {}/group-images", server.endpoint);
    println!(
        "token for tenant acme (what `stepwise token --tenant acme` prints): {}…",
        &token[..token.len().min(24)]
    );

    let body = json!({"images": world.images()});
    println!(
        "POST /group-images  Authorization: Bearer …  Idempotency-Key: demo-job-1  ({} images)",
        world.images().len()
    );
    let t = Instant::now();
    let accepted = server
        .post(Some(&token), Some("demo-job-1"), &body.to_string())
        .await?;
    let latency = t.elapsed();
    println!(
        "  → {} in {:.1} ms: {}",
        accepted.status,
        latency.as_secs_f64() * 1000.0,
        accepted.body
    );
    if accepted.status != 202 {
        return Ok(ExitCode::from(1));
    }
    let job = accepted.body["jobId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let again = server
        .post(Some(&token), Some("demo-job-1"), &body.to_string())
        .await?;
    println!(
        "  the same POST again (a client retry) → {} {}: same job",
        again.status, again.body["jobId"]
    );
    let other = server.token("globex")?;
    let theirs = server.get(Some(&other), &job).await?;
    println!(
        "GET /group-images/{job} as tenant globex → {} {}",
        theirs.status, theirs.body
    );

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = String::new();
    let done = loop {
        let status = server.get(Some(&token), &job).await?;
        let line = format!(
            "{} {}/{}",
            status.body["status"].as_str().unwrap_or("?"),
            status.body["progress"]["done"],
            status.body["progress"]["total"]
        );
        if line != last {
            println!("GET /group-images/{job} → {} {line}", status.status);
            last = line;
        }
        let state = status.body["status"].as_str().unwrap_or_default();
        if state == "SUCCEEDED" || state == "FAILED" {
            break status.body;
        }
        if Instant::now() > deadline {
            return Err(format!("job {job} not done after 120 s: {last}").into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if done["status"] != "SUCCEEDED" {
        println!("job failed: {}", done["error"]);
        return Ok(ExitCode::from(1));
    }
    println!("groups:");
    for (i, group) in done["groups"].as_array().into_iter().flatten().enumerate() {
        let members: Vec<&str> = group["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["id"].as_str())
            .collect();
        println!("  {}. {}", i + 1, members.join(", "));
    }
    for failed in done["failedImages"].as_array().into_iter().flatten() {
        println!(
            "  left out: {} ({}: {})",
            failed["id"].as_str().unwrap_or("?"),
            failed["error"].as_str().unwrap_or("?"),
            failed["cause"].as_str().unwrap_or("?")
        );
    }
    println!(
        "the full result: a presigned URL ({} characters) valid 15 minutes",
        done["resultUrl"].as_str().map(str::len).unwrap_or(0)
    );
    eprintln!(
        "==> jobs API demo done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
