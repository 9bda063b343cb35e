//! `demo`: the local demo of daily-sales-export — the README's first command runs it.
//!
//! It starts moto server (S3, DynamoDB, SSM) and the local Bedrock endpoint on free
//! loopback ports, seeds the pipeline's world (the SSM SecureString config, a SQLite
//! SmartGo database with sales over several days, generated product photos in S3 with
//! one corrupt image, the progress table), runs the generated daily-sales-export state
//! machine under sfn-local with the real activities and a progress display, prints a
//! summary, and copies the run's artifacts to `target/demo/`. The lake is the
//! `smartgo_sales` Iceberg table in an S3 table bucket (moto's S3 Tables): the demo prints
//! its snapshots and pyiceberg's row counts, and copies the current metadata JSON to
//! `target/demo/tables/`. Everything it started stops when it ends.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use local_bedrock::LocalBedrock;
use serde_json::Value;
use sfn_local::progress::ProgressDisplay;
use sfn_local::{Options, RegistryTasks, Status, execute};
use stepwise_lake_tables::Dataset;
use stepwise_lake_tables::storage::parse_s3_uri;
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::iceberg::print_table;
use stepwise_tests::world::World;
use stepwise_tests::{MotoServer, workspace_root};

const BUCKET: &str = "stepwise-demo-lake";
const TABLE: &str = "stepwise-demo-export-progress";
const PARAMETER: &str = "/stepwise/demo/daily-sales-export/config";
const TABLE_BUCKET: &str = "stepwise-demo-lake-tables";
const NAMESPACE: &str = "demo_lake";

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
    // An earlier demo's lake files (another date, or the Hive layout) would be ingested
    // by the vector-ingest demo alongside this run's.
    for stale in ["lake", "tables"] {
        let dir = out_dir.join(stale);
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir)?;
        }
    }

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
    let world = World::new(BUCKET, TABLE, PARAMETER).with_lake_tables(TABLE_BUCKET, NAMESPACE);
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
    println!("parquet files (the smartgo_sales table's data files):");
    let s3 = services.aws.s3().await;
    for file in written["files"].as_array().into_iter().flatten() {
        let uri = file["uri"].as_str().unwrap_or_default();
        println!("  {uri}  rows {}  bytes {}", file["rows"], file["bytes"]);
        let (bucket, key) = parse_s3_uri(uri).ok_or_else(|| format!("not an s3:// URI: {uri}"))?;
        let object = s3.get_object().bucket(bucket).key(key).send().await?;
        let bytes = object.body.collect().await?.into_bytes();
        // Under lake/ like the Hive layout's files (the vector-ingest demo reads them there).
        let local = out_dir.join("lake/smartgo_sales").join(key);
        if let Some(parent) = local.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&local, &bytes)?;
    }
    print_table(
        &moto,
        TABLE_BUCKET,
        NAMESPACE,
        Dataset::SmartgoSales,
        &out_dir,
    )
    .await?;
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
        "artifacts in {}: the table's Parquet files under lake/smartgo_sales/, tables/smartgo_sales.metadata.json, history.json, progress.json",
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
