//! The vector-ingest demo: ingests the Parquet partitions the daily-sales-export demo
//! left in `target/demo/` (run `target/debug/demo` first; `make demo` does) into an S3
//! Vectors index — moto server for S3 and DynamoDB, `local-s3vectors` for S3 Vectors,
//! the generated state machine under sfn-local with the real activities — then finds the
//! nearest neighbours of one sale's vector, which must be sales of the same product.
//! Writes `target/demo/vector-ingest/similar.json` and `progress.json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use local_s3vectors::LocalS3Vectors;
use serde_json::{Value, json};
use sfn_local::{Options, RegistryTasks, ServiceTasks, Status, TaskRunner, execute};
use stepwise_runtime::aws::Aws;
use stepwise_runtime::{Context, Services};
use stepwise_tests::vector_lake::create_progress_table;
use stepwise_tests::{MotoServer, workspace_root};
use stepwise_vector_ingest::progress::store::{ProgressLocation, read_snapshot};

type Error = Box<dyn std::error::Error + Send + Sync>;

const BUCKET: &str = "stepwise-demo-lake";
const TABLE: &str = "stepwise-demo-vector-progress";
const VECTOR_BUCKET: &str = "stepwise-demo-vectors";
const INDEX: &str = "sales";
const JOB: &str = "demo";

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo-vector-ingest: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(demo()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo-vector-ingest: {e}");
            ExitCode::from(1)
        }
    }
}

/// Every `.parquet` file under `dir`, with its path relative to `root` (its S3 key).
fn parquet_files(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            parquet_files(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            let key = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            out.push((path, key));
        }
    }
    Ok(())
}

async fn demo() -> Result<ExitCode, Error> {
    let started = Instant::now();
    let demo_dir = workspace_root().join("target/demo");
    let lake = demo_dir.join("lake");
    let mut files = Vec::new();
    if lake.is_dir() {
        parquet_files(&demo_dir, &lake, &mut files)?;
    }
    if files.is_empty() {
        return Err(format!(
            "no Parquet partitions under {}: run the daily-sales-export demo first (target/debug/demo, or make demo)",
            lake.display()
        )
        .into());
    }
    files.sort();
    let out_dir = demo_dir.join("vector-ingest");
    std::fs::create_dir_all(&out_dir)?;

    eprintln!("==> starting moto server and local-s3vectors (loopback, free ports)");
    let moto = MotoServer::start()?;
    let s3vectors = LocalS3Vectors::start().await?;
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_s3vectors_endpoint(s3vectors.endpoint()),
    );
    let s3 = services.aws.s3().await;
    s3.create_bucket().bucket(BUCKET).send().await?;
    for (path, key) in &files {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(std::fs::read(path)?.into())
            .send()
            .await?;
    }
    create_progress_table(&services, TABLE).await?;
    eprintln!(
        "    {} partitions from the daily-sales-export demo",
        files.len()
    );

    let input = json!({
        "source": {"bucket": BUCKET, "prefix": "lake/"},
        "target": {"vector_bucket": VECTOR_BUCKET, "index": INDEX},
        "progress": {"table": TABLE, "job": JOB},
        "max_concurrency": 4, "batch_concurrency": 2, "vectors_per_second": 2500
    });
    let built = statemachines::vector_ingest::workflow().build()?;
    let tasks: Arc<dyn TaskRunner> = Arc::new(ServiceTasks::new(
        Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone())),
        services.clone(),
    ));
    let options = Options {
        state_machine_name: built.name.clone(),
        services: Some(services.clone()),
        ..Options::default()
    };
    let outcome = execute(&built.machine, input, tasks, options).await?;
    println!("vector-ingest: {:?}", outcome.status);
    if outcome.status != Status::Succeeded {
        println!("  {:?}", outcome.failure);
        return Ok(ExitCode::from(1));
    }

    let location = ProgressLocation {
        table: TABLE.into(),
        job: JOB.into(),
    };
    let snapshot = read_snapshot(services.aws.dynamodb().await, &location)
        .await?
        .ok_or("no progress item was written")?;
    println!(
        "objects {}/{} ({} failed), vectors {}/{}, {:.0} vectors/s over the last minute",
        snapshot.objects_done,
        snapshot.objects_total,
        snapshot.objects_failed,
        snapshot.vectors_done,
        snapshot.vectors_total,
        snapshot.vectors_per_second
    );
    std::fs::write(
        out_dir.join("progress.json"),
        serde_json::to_string_pretty(&snapshot)?,
    )?;

    // The first sale of the first partition, and its nearest neighbours in its tenant.
    let listed = services
        .aws
        .s3vectors()
        .await
        .list_vectors()
        .vector_bucket_name(VECTOR_BUCKET)
        .index_name(INDEX)
        .return_metadata(true)
        .max_results(1)
        .send()
        .await?;
    let first = listed.vectors().first().ok_or("the index is empty")?;
    let ctx = Context::new(services.clone());
    let query = json!({
        "target": {"vector_bucket": VECTOR_BUCKET, "index": INDEX},
        "sale_id": first.key(),
        "top_k": 5,
    });
    let found = stepwise_lambda::all()
        .invoke("SimilarProducts", query, &ctx)
        .await
        .map_err(|e| format!("SimilarProducts: {e}"))?;
    std::fs::write(
        out_dir.join("similar.json"),
        serde_json::to_string_pretty(&found)?,
    )?;
    let product = found["metadata"]["product_id"].clone();
    println!(
        "nearest neighbours of sale {} (product {}):",
        first.key(),
        text(&product)
    );
    let neighbours = found["neighbours"].as_array().cloned().unwrap_or_default();
    for n in &neighbours {
        println!(
            "  {}  {}  {}  distance {}",
            text(&n["sale_id"]),
            text(&n["metadata"]["tenant_id"]),
            text(&n["metadata"]["product_id"]),
            n["distance"]
        );
    }
    println!(
        "artifacts: {}/{{progress,similar}}.json ({:.1} s)",
        out_dir.display(),
        started.elapsed().as_secs_f64()
    );
    let same = neighbours
        .iter()
        .filter(|n| n["metadata"]["product_id"] == product)
        .count();
    if neighbours.is_empty() || neighbours[0]["metadata"]["product_id"] != product {
        println!(
            "the nearest neighbour is not a sale of the same product ({same} of {} are)",
            neighbours.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}
