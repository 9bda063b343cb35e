//! `demo`: the local demo of daily-sales-export — the README's first command runs it.
//!
//! It starts moto server (S3, DynamoDB, SSM) and the local Bedrock endpoint on free
//! loopback ports, seeds the pipeline's world (the SSM SecureString config, a SQLite
//! SmartGo database with sales over several days, generated product photos in S3 with
//! one corrupt image, the progress table), runs the generated daily-sales-export state
//! machine under sfn-local with the real activities and a progress display, prints a
//! summary, and copies the run's artifacts to `target/demo/`. Everything it started
//! stops when it ends.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use local_bedrock::LocalBedrock;
use serde_json::Value;
use sfn_local::progress::ProgressDisplay;
use sfn_local::{Options, RegistryTasks, Status, execute};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::world::World;
use stepwise_tests::{MotoServer, workspace_root};

const BUCKET: &str = "stepwise-demo-lake";
const TABLE: &str = "stepwise-demo-export-progress";
const PARAMETER: &str = "/stepwise/demo/daily-sales-export/config";

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(demo()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::from(1)
        }
    }
}

async fn demo() -> Result<ExitCode, Error> {
    let started = Instant::now();
    let out_dir = workspace_root().join("target/demo");
    std::fs::create_dir_all(&out_dir)?;

    eprintln!("==> starting moto server and the local Bedrock endpoint (loopback, free ports)");
    let moto = MotoServer::start()?;
    let bedrock = LocalBedrock::start().await?;
    eprintln!(
        "    moto {}  bedrock {}",
        moto.endpoint(),
        bedrock.endpoint()
    );
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );

    let scheduled = Utc::now()
        .date_naive()
        .and_hms_opt(3, 0, 0)
        .ok_or("no 03:00 today")?
        .and_utc();
    let export_date = scheduled.date_naive() - Duration::days(1);
    eprintln!("==> seeding: export date {export_date} (the day before the 03:00 UTC schedule)");
    let db = out_dir.join("smartgo.db");
    let world = World::new(BUCKET, TABLE, PARAMETER);
    let sales = world.seed_database(&db, export_date).await?;
    eprintln!(
        "    SQLite SmartGo database {} with {} sales over 4 days",
        db.display(),
        sales
    );
    world.seed_aws(&services, &db).await?;

    let workflow = statemachines::daily_sales_export::workflow().build()?;
    let input =
        world.scheduled_input(&scheduled.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    eprintln!("==> running daily-sales-export under sfn-local with the real activities");
    let tasks = Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone()));
    let options = Options {
        virtual_time: true,
        state_machine_name: workflow.name.clone(),
        execution_name: Some(format!("demo-{export_date}")),
        progress: Some(ProgressDisplay::new()),
        services: Some(services.clone()),
        ..Options::default()
    };
    let outcome = execute(&workflow.machine, input, tasks, options).await?;
    let history = sfn_local::history::to_json(&outcome.events);
    std::fs::write(
        out_dir.join("history.json"),
        serde_json::to_string_pretty(&history)?,
    )?;

    println!();
    println!("daily-sales-export for {export_date}: {:?}", outcome.status);
    let entered = outcome.states_entered();
    println!(
        "states run: {} ({})",
        entered.len(),
        dedup(&entered).join(" → ")
    );
    let Some(output) = outcome
        .output
        .clone()
        .filter(|_| outcome.status == Status::Succeeded)
    else {
        let f = outcome
            .failure
            .unwrap_or_else(|| sfn_local::Failure::new("Unknown", ""));
        println!("failed: {}: {}", f.error, f.cause);
        return Ok(ExitCode::from(1));
    };
    let written = &output["written"];
    println!(
        "items: {} sales, {} embedded, {} failed",
        output["sales"]["count"], written["embedded"], written["failed_count"]
    );
    for f in written["failed"].as_array().into_iter().flatten() {
        println!(
            "  failed {} ({}): {}: {}",
            text(&f["sale_id"]),
            text(&f["tenant_id"]),
            text(&f["error"]),
            text(&f["cause"])
        );
    }
    println!("parquet files:");
    let s3 = services.aws.s3().await;
    for file in written["files"].as_array().into_iter().flatten() {
        let key = file["key"].as_str().unwrap_or_default();
        println!(
            "  s3://{BUCKET}/{key}  rows {}  bytes {}",
            file["rows"], file["bytes"]
        );
        let object = s3.get_object().bucket(BUCKET).key(key).send().await?;
        let bytes = object.body.collect().await?.into_bytes();
        let local = out_dir.join(key);
        if let Some(parent) = local.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&local, &bytes)?;
    }
    let records = world.progress_records(&services, export_date).await?;
    println!("progress records (DynamoDB {TABLE}):");
    for r in &records {
        println!(
            "  {} {}: {} (rows {}, embedded {}, failed {})",
            text(&r["tenant_id"]),
            text(&r["export_date"]),
            text(&r["status"]),
            r["rows"],
            r["embedded"],
            r["failed"]
        );
    }
    std::fs::write(
        out_dir.join("progress.json"),
        serde_json::to_string_pretty(&records)?,
    )?;
    println!(
        "artifacts in {}: the Parquet files under their S3 keys, history.json, progress.json",
        display_relative(&out_dir)
    );
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// A JSON value for a summary line: strings without their quotes.
fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn dedup(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

fn display_relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}
