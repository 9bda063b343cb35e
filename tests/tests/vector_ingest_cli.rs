//! `stepwise progress vector-ingest` and `stepwise similar` against a job ingested under
//! sfn-local: moto for S3 and DynamoDB, local-s3vectors for S3 Vectors (QueryVectors);
//! and `stepwise progress vector-ingest <execution-arn>` against an execution run by
//! `stepwise serve` (DescribeExecution for the job and status, DescribeMapRun's counts).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use local_s3vectors::LocalS3Vectors;
use serde_json::{Value, json};
use sfn_local::{Options, RegistryTasks, ServiceTasks, Status, TaskRunner, execute};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::vector_lake::{create_progress_table, put_partition, sales};
use stepwise_tests::{MotoServer, unique_id};

/// The debug `stepwise` binary, built once per test process.
fn stepwise() -> PathBuf {
    stepwise_tests::stepwise_bin()
}

struct Job {
    table: String,
    vector_bucket: String,
    s3vectors: LocalS3Vectors,
    /// The workflow's input for job "cli".
    input: Value,
}

/// Two tenants' partitions of 25 sales on moto, the progress table, and local-s3vectors:
/// everything job "cli" needs before it runs.
async fn prepared() -> Job {
    let moto = MotoServer::shared();
    let s3vectors = LocalS3Vectors::start().await.expect("local-s3vectors");
    let services = Services::with_aws(Aws::with_config(moto.sdk_config()));
    let id = unique_id();
    let (bucket, table, vector_bucket) = (
        format!("vic-{id}"),
        format!("vic-progress-{id}"),
        format!("vic-vectors-{id}"),
    );
    services
        .aws
        .s3()
        .await
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    create_progress_table(&services, &table)
        .await
        .expect("table");
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    for tenant in ["t1", "t2"] {
        put_partition(
            &services,
            &bucket,
            "lake",
            tenant,
            date,
            &sales(tenant, date, 0, 25),
        )
        .await
        .expect("partition");
    }
    // One object at a time: the two objects' RecordIngestProgress both ADD to the run's
    // progress item, and moto has no lock around concurrent transactions on one item (one
    // run in CI read `objects_done` 2 with `vectors_done` 25 of 50, most likely an ADD
    // lost between the two). DynamoDB serialises them; the counts are what this test checks.
    let input = json!({
        "source": {"bucket": bucket, "prefix": "lake/"},
        "target": {"vector_bucket": vector_bucket, "index": "sales"},
        "progress": {"table": table, "job": "cli"},
        "max_concurrency": 1, "batch_concurrency": 2, "vectors_per_second": 2500
    });
    Job {
        table,
        vector_bucket,
        s3vectors,
        input,
    }
}

/// Job "cli", ingested by the workflow under sfn-local.
async fn ingested() -> Job {
    let job = prepared().await;
    let services = Services::with_aws(
        Aws::with_config(MotoServer::shared().sdk_config())
            .with_s3vectors_endpoint(job.s3vectors.endpoint()),
    );
    let built = statemachines::vector_ingest::workflow()
        .build()
        .expect("builds");
    let tasks: Arc<dyn TaskRunner> = Arc::new(ServiceTasks::new(
        Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone())),
        services.clone(),
    ));
    let options = Options {
        virtual_time: true,
        state_machine_name: built.name.clone(),
        services: Some(services.clone()),
        ..Options::default()
    };
    let outcome = execute(&built.machine, job.input.clone(), tasks, options)
        .await
        .expect("starts");
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    job
}

fn cli(job: &Job, args: &[&str]) -> Output {
    cli_with(job, &[], args)
}

/// `stepwise ARGS` with moto's and local-s3vectors' environment, plus `env`.
fn cli_with(job: &Job, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(stepwise());
    command.envs(env.iter().copied());
    for (name, value) in MotoServer::shared().env() {
        command.env(name, value);
    }
    command
        .env("AWS_ENDPOINT_URL_S3VECTORS", job.s3vectors.endpoint())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .args(args)
        .output()
        .expect("stepwise runs")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_similar_read_the_ingested_job() {
    let job = ingested().await;

    let report = json_of(&cli(
        &job,
        &[
            "progress",
            "vector-ingest",
            "--table",
            &job.table,
            "--job",
            "cli",
            "--once",
        ],
    ));
    let progress = &report["progress"];
    assert_eq!(progress["objects_total"], 2);
    assert_eq!(progress["objects_done"], 2);
    assert_eq!(progress["vectors_total"], 50);
    assert_eq!(progress["vectors_done"], 50);
    assert_eq!(progress["eta_seconds"], 0);
    let line = report["line"].as_str().expect("line");
    assert!(line.starts_with("2/2 objects · "), "{line}");
    assert!(line.ends_with("ETA 0s"), "{line}");

    // Without --once the bar runs until the job is complete (it is), then prints the same.
    let live = json_of(&cli(
        &job,
        &[
            "progress",
            "vector-ingest",
            "--table",
            &job.table,
            "--job",
            "cli",
            "--interval",
            "0.2",
        ],
    ));
    assert_eq!(live["progress"]["vectors_done"], 50);

    let found = json_of(&cli(
        &job,
        &[
            "similar",
            "--vector-bucket",
            &job.vector_bucket,
            "--index",
            "sales",
            "--sale",
            "t1-2026-11-23-00003",
            "--tenant",
            "t1",
            "--top-k",
            "4",
        ],
    ));
    assert_eq!(found["metadata"]["product_id"], "P-3");
    let neighbours = found["neighbours"].as_array().expect("neighbours");
    assert_eq!(neighbours.len(), 4);
    for n in neighbours {
        assert_eq!(n["metadata"]["tenant_id"], "t1", "{n}");
        assert_eq!(n["metadata"]["product_id"], "P-3", "{n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_with_the_reason() {
    let job = ingested().await;
    let other = cli(
        &job,
        &[
            "progress",
            "daily-sales-export",
            "--table",
            "t",
            "--job",
            "j",
        ],
    );
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("only the vector-ingest workflow"));

    let missing = cli(
        &job,
        &[
            "progress",
            "vector-ingest",
            "--table",
            &job.table,
            "--job",
            "nope",
            "--once",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no progress recorded for job \"nope\""),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    let unknown = cli(
        &job,
        &[
            "similar",
            "--vector-bucket",
            &job.vector_bucket,
            "--index",
            "sales",
            "--sale",
            "nope",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("NotFound: sale nope has no vector"),
        "{stderr}"
    );
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `stepwise serve` on a free port, its integrations and activities on moto and the
/// job's local-s3vectors; its endpoint.
fn serve(job: &Job) -> (Proc, String) {
    let mut child = Command::new(stepwise())
        .args(["serve", "--port", "0"])
        .envs(MotoServer::shared().env())
        .env("AWS_ENDPOINT_URL_S3VECTORS", job.s3vectors.endpoint())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("stepwise serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let server = Proc(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a first line");
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (server, endpoint)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_of_an_execution_reads_its_input_status_and_map_run() {
    let job = prepared().await;
    let (_server, endpoint) = serve(&job);
    let config = aws_sdk_sfn::config::Builder::from(&MotoServer::shared().sdk_config())
        .endpoint_url(&endpoint)
        .build();
    let sfn = aws_sdk_sfn::Client::from_conf(config);
    let built = statemachines::vector_ingest::workflow()
        .build()
        .expect("builds");
    let machine = sfn
        .create_state_machine()
        .name(format!("vector-ingest-{}", unique_id()))
        .definition(serde_json::to_string(&built.machine).expect("definition"))
        .role_arn("arn:aws:iam::123456789012:role/test")
        .send()
        .await
        .expect("CreateStateMachine")
        .state_machine_arn()
        .to_string();
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .input(job.input.to_string())
        .send()
        .await
        .expect("StartExecution")
        .execution_arn()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .expect("DescribeExecution");
        match described.status().as_str() {
            "RUNNING" => {
                assert!(Instant::now() < deadline, "still running after 120 s");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            "SUCCEEDED" => break,
            other => panic!("the execution ended {other}: {:?}", described.cause()),
        }
    }

    let env = [("AWS_ENDPOINT_URL_SFN", endpoint.as_str())];
    let report = json_of(&cli_with(
        &job,
        &env,
        &["progress", "vector-ingest", &execution, "--once"],
    ));
    assert_eq!(report["execution_status"], "SUCCEEDED", "{report}");
    let progress = &report["progress"];
    assert_eq!(progress["objects_done"], 2, "{report}");
    assert_eq!(progress["vectors_done"], 50, "{report}");
    let run = &report["map_run"];
    assert_eq!(run["status"], "SUCCEEDED", "{report}");
    assert_eq!(run["total"], 2, "{report}");
    assert_eq!(run["succeeded"], 2, "{report}");
    assert_eq!(run["failed"], 0, "{report}");
    assert_eq!(run["running"], 0, "{report}");
    let line = report["line"].as_str().expect("line");
    assert!(
        line.starts_with("2/2 objects · ")
            && line.ends_with("map run: 0 running, 2 succeeded, 0 failed"),
        "{line}"
    );

    // Live: the execution has ended, so the bar stops at once with the same report.
    let live = json_of(&cli_with(
        &job,
        &env,
        &["progress", "vector-ingest", &execution, "--interval", "0.2"],
    ));
    assert_eq!(live["map_run"]["succeeded"], 2, "{live}");

    // An execution the server does not know: the Step Functions error, exit 1.
    let unknown = format!("{execution}-nope");
    let missing = cli_with(
        &job,
        &env,
        &["progress", "vector-ingest", &unknown, "--once"],
    );
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("DescribeExecution") && stderr.contains("ExecutionDoesNotExist"),
        "{stderr}"
    );
}
