//! `demo-group-images`: the local demo of group-images — `make demo` runs it after the
//! daily-sales-export demo.
//!
//! It starts moto server and the local Bedrock endpoint on free loopback ports, seeds
//! product photos keyed `products/<product-id>/<view>.jpg` (and one corrupt photo), the
//! jobs table and the config, runs the generated group-images state machine under
//! sfn-local with the real activities, prints which photos went together, and writes
//! `target/demo/group-images/result.json` and a contact-sheet PNG of the thumbnails of
//! each group. Everything it started stops when it ends.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use image::{Rgb, RgbImage};
use local_bedrock::LocalBedrock;
use serde_json::{Value, json};
use sfn_local::{Options, RegistryTasks, ServiceTasks, Status, TaskRunner, execute};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::group_images_world::GroupImagesWorld;
use stepwise_tests::{MotoServer, workspace_root};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Products photographed for the demo.
const PRODUCTS: usize = 8;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo-group-images: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(demo()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo-group-images: {e}");
            ExitCode::from(1)
        }
    }
}

async fn demo() -> Result<ExitCode, Error> {
    let started = Instant::now();
    let out_dir = workspace_root().join("target/demo/group-images");
    std::fs::create_dir_all(&out_dir)?;
    eprintln!("==> group-images: starting moto server and the local Bedrock endpoint");
    let moto = MotoServer::start()?;
    let bedrock = LocalBedrock::start().await?;
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );
    let world = GroupImagesWorld::new(
        "stepwise-demo-images",
        "stepwise-demo-jobs",
        "/stepwise/demo/group-images/config",
        PRODUCTS,
    );
    world.seed(&services).await?;
    let images = world.images();
    eprintln!(
        "    s3://{}/products/: {} photos of {PRODUCTS} products and 1 corrupt photo; jobs table {}",
        world.bucket,
        images.len() - 1,
        world.table
    );

    let input = json!({"tenant_id": "demo", "job_id": "demo-job-1", "images": images});
    let registry = Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone()));
    let tasks: Arc<dyn TaskRunner> = Arc::new(ServiceTasks::new(registry, services.clone()));
    let options = Options {
        virtual_time: true,
        state_machine_name: statemachines::group_images::NAME.into(),
        execution_name: Some("demo-job-1".into()),
        services: Some(services.clone()),
        substitutions: world.substitutions(),
        ..Options::default()
    };
    eprintln!("==> running group-images under sfn-local (real activities, moto, local Bedrock)");
    let outcome = execute(&GroupImagesWorld::machine()?, input, tasks, options).await?;
    if outcome.status != Status::Succeeded {
        eprintln!("group-images: {:?}: {:?}", outcome.status, outcome.failure);
        return Ok(ExitCode::from(1));
    }
    let summary = outcome.output.unwrap_or(Value::Null);
    let key = summary["result"]["key"].as_str().ok_or("no result key")?;
    let result = world.json(&services, key).await?;
    std::fs::write(
        out_dir.join("result.json"),
        serde_json::to_vec_pretty(&result)?,
    )?;

    println!(
        "group-images job demo-job-1: Succeeded — {} images, {} groups, {} singletons, {} failed (threshold {})",
        summary["images"],
        summary["group_count"],
        summary["singleton_count"],
        summary["failed_count"],
        summary["threshold"]
    );
    let s3 = services.aws.s3().await;
    for (g, group) in result["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let members: Vec<&str> = group["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["id"].as_str())
            .collect();
        println!(
            "  group {}: {} (representative {}, cohesion {:.3})",
            g + 1,
            members.join(", "),
            group["representative"]["id"].as_str().unwrap_or("?"),
            group["cohesion"].as_f64().unwrap_or(0.0)
        );
        // The contact sheet: the members' thumbnails side by side.
        let mut thumbs = Vec::new();
        for member in group["members"].as_array().into_iter().flatten() {
            let Some(thumb) = member["thumbnail"].as_str() else {
                continue;
            };
            let object = s3
                .get_object()
                .bucket(&world.bucket)
                .key(thumb)
                .send()
                .await?;
            let bytes = object.body.collect().await?.into_bytes();
            thumbs.push(image::load_from_memory(&bytes)?.to_rgb8());
        }
        let width: u32 = thumbs.iter().map(|t| t.width() + 8).sum::<u32>() + 8;
        let height = thumbs.iter().map(RgbImage::height).max().unwrap_or(0) + 16;
        let mut sheet = RgbImage::from_pixel(width.max(16), height, Rgb([255, 255, 255]));
        let mut x = 8;
        for t in &thumbs {
            image::imageops::overlay(&mut sheet, t, i64::from(x), 8);
            x += t.width() + 8;
        }
        let path = out_dir.join(format!("group-{}.png", g + 1));
        sheet.save(&path)?;
    }
    for single in result["singletons"].as_array().into_iter().flatten() {
        println!("  alone: {}", single["id"].as_str().unwrap_or("?"));
    }
    for failed in result["failed"].as_array().into_iter().flatten() {
        println!(
            "  failed: {} — {}: {}",
            failed["id"].as_str().unwrap_or("?"),
            failed["error"].as_str().unwrap_or("?"),
            failed["cause"].as_str().unwrap_or("")
        );
    }
    println!(
        "Bedrock InvokeModel calls: {}; artifacts in {} ({:.1} s)",
        bedrock.invocations().total(),
        out_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
