//! daily-sales-export end to end: the generated state machine under sfn-local with the
//! real activities, against moto server (S3, DynamoDB, SSM), the local Bedrock endpoint
//! and a SQLite SmartGo database — with fault injection, a re-run of the same date, a
//! broken config, and the Parquet files read back by pyarrow.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use chrono::NaiveDate;
use local_bedrock::LocalBedrock;
use serde_json::{Value, json};
use sfn_local::{Fault, Faults, Options, Outcome, RegistryTasks, Status, TaskRunner, execute};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::iceberg::read_table;
use stepwise_tests::world::{PRODUCTS, TENANTS, VIEWS, World, broken_sale};
use stepwise_tests::{MotoServer, unique_id, workspace_root};

const SCHEDULED: &str = "2026-11-24T03:00:00Z";

fn export_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
}

struct Setup {
    world: World,
    services: Arc<Services>,
    bedrock: LocalBedrock,
    _dir: tempfile::TempDir,
    db: PathBuf,
}

async fn setup() -> Setup {
    setup_world(|world| world).await
}

async fn setup_world(shape: impl FnOnce(World) -> World) -> Setup {
    let moto = MotoServer::shared();
    let bedrock = LocalBedrock::start().await.expect("local bedrock");
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );
    let id = unique_id();
    let world = shape(World::new(
        format!("e2e-{id}"),
        format!("e2e-progress-{id}"),
        format!("/e2e/{id}/config"),
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("smartgo.db");
    world
        .seed_database(&db, export_date())
        .await
        .expect("database");
    world.seed_aws(&services, &db).await.expect("aws");
    Setup {
        world,
        services,
        bedrock,
        _dir: dir,
        db,
    }
}

async fn run(setup: &Setup, input: Value, tasks: Arc<dyn TaskRunner>, name: &str) -> Outcome {
    let built = statemachines::daily_sales_export::workflow()
        .build()
        .expect("builds");
    let options = Options {
        virtual_time: true,
        state_machine_name: built.name.clone(),
        execution_name: Some(name.to_string()),
        services: Some(setup.services.clone()),
        seed: Some(11),
        ..Options::default()
    };
    execute(&built.machine, input, tasks, options)
        .await
        .expect("starts")
}

fn real_tasks(setup: &Setup) -> Arc<dyn TaskRunner> {
    Arc::new(RegistryTasks::new(
        stepwise_lambda::all(),
        setup.services.clone(),
    ))
}

async fn s3_json(setup: &Setup, key: &str) -> Value {
    let s3 = setup.services.aws.s3().await;
    let object = s3
        .get_object()
        .bucket(&setup.world.bucket)
        .key(key)
        .send()
        .await
        .expect("get_object");
    serde_json::from_slice(&object.body.collect().await.expect("body").into_bytes()).expect("json")
}

async fn keys_under(setup: &Setup, prefix: &str) -> Vec<String> {
    let s3 = setup.services.aws.s3().await;
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&setup.world.bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        keys.extend(
            page.expect("list")
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    keys.sort();
    keys
}

async fn download(setup: &Setup, key: &str, dir: &Path) -> PathBuf {
    let s3 = setup.services.aws.s3().await;
    let object = s3
        .get_object()
        .bucket(&setup.world.bucket)
        .key(key)
        .send()
        .await
        .expect("get_object");
    let path = dir.join(key.replace('/', "_"));
    std::fs::write(
        &path,
        object.body.collect().await.expect("body").into_bytes(),
    )
    .expect("write");
    path
}

fn pyarrow_summaries(paths: &[PathBuf]) -> Vec<Value> {
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

#[tokio::test]
async fn throttling_a_corrupt_image_and_a_rerun() {
    let setup = setup().await;
    let input = setup.world.scheduled_input(SCHEDULED);

    // Bedrock throttles 30 % of the items on their first attempt, and for another 10 %
    // the first attempt embeds and stages the vector, then its result is lost (the state
    // retries an item whose side effect already happened).
    let faults = Arc::new(Faults::new(
        real_tasks(&setup),
        [
            Fault::on("EmbedImage")
                .items_where(|i| i % 10 < 3)
                .first_attempts(1)
                .throw("Throttled", "Rate exceeded"),
            Fault::on("EmbedImage")
                .items_where(|i| i % 10 == 5)
                .first_attempts(1)
                .after_the_task_ran()
                .throw("Transient", "the response was lost"),
        ],
    ));
    let outcome = run(&setup, input.clone(), faults.clone(), "first").await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(
        faults.injected().len(),
        80,
        "30 % of 200 first attempts throttled, 10 % lost after running"
    );
    // Embeddings are kept by the image's content hash: the 199 good sales show 18
    // product photos, and Bedrock embeds each photo once, not once per sale (the corrupt
    // image never reaches it), although 20 items ran twice. Items embedding the same new
    // photo at the same moment may each call Bedrock; they are all in flight at once, so
    // at most 8 (the Map's concurrency) per photo.
    let photos = (PRODUCTS * VIEWS) as u64;
    let first_calls = setup.bedrock.invocations().total();
    assert!(
        (photos..=photos * 8).contains(&first_calls),
        "{first_calls} Bedrock calls for {photos} photos"
    );
    let stored = keys_under(
        &setup,
        "staging/embeddings/amazon.titan-embed-image-v1/1024/",
    )
    .await;
    assert_eq!(
        stored.len() as u64,
        photos,
        "one stored embedding per photo: {stored:?}"
    );
    let output = outcome.output.expect("output");
    let written = &output["written"];
    assert_eq!(
        output["sales"]["count"], 200,
        "only the export date's sales"
    );
    assert_eq!(written["embedded"], 199);
    assert_eq!(written["failed_count"], 1);
    assert_eq!(
        written["failed"][0]["sale_id"],
        broken_sale(export_date()).as_str()
    );
    assert_eq!(written["failed"][0]["error"], "InvalidImage");

    // Every item embedded exactly once: one success per sale in the ResultWriter files.
    let manifest = s3_json(
        &setup,
        output["embedded"]["ResultWriterDetails"]["Key"]
            .as_str()
            .unwrap(),
    )
    .await;
    let succeeded_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .expect("SUCCEEDED file")
        .to_string();
    let succeeded = s3_json(&setup, &succeeded_key).await;
    let mut sale_ids: Vec<String> = succeeded
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(e["Input"].as_str().unwrap()).unwrap()["sale"]["sale_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let total = sale_ids.len();
    sale_ids.sort();
    sale_ids.dedup();
    assert_eq!((total, sale_ids.len()), (199, 199));
    let vectors = keys_under(&setup, &format!("staging/vectors/{}/", export_date())).await;
    assert_eq!(vectors.len(), 199);

    // The progress records: PARTIAL for the tenant with the corrupt image, naming it.
    let records = setup
        .world
        .progress_records(&setup.services, export_date())
        .await
        .expect("records");
    let acme = records
        .iter()
        .find(|r| r["tenant_id"] == "acme")
        .expect("acme record");
    assert_eq!(acme["status"], "PARTIAL");
    assert_eq!(acme["failed"], 1);
    assert!(
        acme["failures"]
            .to_string()
            .contains(&broken_sale(export_date())),
        "{acme}"
    );

    // The Parquet files, read back with pyarrow.
    let lake = keys_under(&setup, "lake/").await;
    assert_eq!(
        lake,
        TENANTS
            .iter()
            .map(|(t, _)| format!(
                "lake/smartgo_sales/tenant_id={t}/year=2026/month=11/2026-11-23.parquet"
            ))
            .collect::<Vec<_>>()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for key in &lake {
        paths.push(download(&setup, key, dir.path()).await);
    }
    let summaries = pyarrow_summaries(&paths);
    let rows: Vec<u64> = summaries
        .iter()
        .map(|s| s["num_rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [119, 80]);
    for (summary, (tenant, _)) in summaries.iter().zip(TENANTS) {
        assert_eq!(summary["embedding_list_size"], 1024);
        assert_eq!(summary["tenant_ids"], json!([tenant]));
        assert_eq!(summary["export_dates"], json!(["2026-11-23"]));
        assert_eq!(summary["distinct_sale_ids"], summary["num_rows"]);
    }

    // A re-run of the same date writes the same keys, without duplicate rows, and
    // embeds nothing again: every vector is staged already.
    let again = run(&setup, input, real_tasks(&setup), "second").await;
    assert_eq!(again.status, Status::Succeeded, "{:?}", again.failure);
    assert_eq!(setup.bedrock.invocations().total(), first_calls);
    assert_eq!(keys_under(&setup, "lake/").await, lake);
    let mut paths = Vec::new();
    for key in &lake {
        paths.push(download(&setup, key, dir.path()).await);
    }
    let rows: Vec<u64> = pyarrow_summaries(&paths)
        .iter()
        .map(|s| s["num_rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [119, 80]);
}

#[tokio::test]
async fn a_completed_day_started_again_exports_nothing_unless_asked_to_rerun() {
    let setup = setup().await;
    // globex has no corrupt image: its day ends COMPLETED.
    let mut input = setup.world.scheduled_input(SCHEDULED);
    input["tenant_id"] = json!("globex");
    let first = run(&setup, input.clone(), real_tasks(&setup), "first").await;
    assert_eq!(first.status, Status::Succeeded, "{:?}", first.failure);
    let calls = setup.bedrock.invocations().total();
    let lake = keys_under(&setup, "lake/").await;

    // EventBridge Scheduler delivers the same start again.
    let again = run(&setup, input.clone(), real_tasks(&setup), "again").await;
    assert_eq!(again.status, Status::Succeeded, "{:?}", again.failure);
    assert_eq!(
        again.states_entered(),
        [
            "LoadConfig",
            "Record start",
            "Day claimed?",
            "Nothing to export",
            "Not exported"
        ]
    );
    let output = again.output.expect("output");
    assert_eq!(output["proceed"], false);
    assert!(
        output["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("was COMPLETED by execution"),
        "{output}"
    );
    assert_eq!(
        setup.bedrock.invocations().total(),
        calls,
        "nothing embedded"
    );

    // Asked explicitly, it exports the day again as a new attempt.
    input["rerun"] = json!(true);
    let rerun = run(&setup, input, real_tasks(&setup), "rerun").await;
    assert_eq!(rerun.status, Status::Succeeded, "{:?}", rerun.failure);
    assert!(
        rerun
            .states_entered()
            .contains(&"WritePartition".to_string())
    );
    assert_eq!(keys_under(&setup, "lake/").await, lake, "the same files");
    let records = setup
        .world
        .progress_records(&setup.services, export_date())
        .await
        .expect("records");
    let globex = records
        .iter()
        .find(|r| r["tenant_id"] == "globex")
        .expect("globex record");
    assert_eq!(globex["status"], "COMPLETED");
    assert_eq!(globex["previous"]["status"], "COMPLETED", "{globex}");
}

/// Every object under `prefix`, with its bytes.
async fn objects_under(setup: &Setup, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let s3 = setup.services.aws.s3().await;
    let mut out = Vec::new();
    for key in keys_under(setup, prefix).await {
        let object = s3
            .get_object()
            .bucket(&setup.world.bucket)
            .key(&key)
            .send()
            .await
            .expect("get_object");
        out.push((key, object.body.collect().await.expect("body").to_vec()));
    }
    out
}

#[tokio::test]
async fn a_second_export_over_the_same_images_makes_no_bedrock_call() {
    let setup = setup().await;
    let mut input = setup.world.scheduled_input(SCHEDULED);
    input["tenant_id"] = json!("globex");
    let first = run(&setup, input.clone(), real_tasks(&setup), "first").await;
    assert_eq!(first.status, Status::Succeeded, "{:?}", first.failure);
    let calls = setup.bedrock.invocations().total();
    assert!(calls > 0);
    let vectors_prefix = format!("staging/vectors/{}/", export_date());
    let vectors = objects_under(&setup, &vectors_prefix).await;
    assert_eq!(vectors.len(), 80, "one staged vector per globex sale");
    let lake = objects_under(&setup, "lake/").await;

    // The per-sale vectors are gone (a new day's sales, or staging expired): only the
    // embeddings kept by content hash can spare Bedrock the work.
    let s3 = setup.services.aws.s3().await;
    for (key, _) in &vectors {
        s3.delete_object()
            .bucket(&setup.world.bucket)
            .key(key)
            .send()
            .await
            .expect("delete_object");
    }
    input["rerun"] = json!(true);
    let second = run(&setup, input, real_tasks(&setup), "second").await;
    assert_eq!(second.status, Status::Succeeded, "{:?}", second.failure);
    assert_eq!(
        setup.bedrock.invocations().total(),
        calls,
        "no image is sent to Bedrock again"
    );
    // The export's output is unchanged: the same counts, the same vectors staged byte
    // for byte, the same lake files.
    let (a, b) = (
        first.output.expect("output"),
        second.output.expect("output"),
    );
    assert_eq!(a["written"], b["written"]);
    assert_eq!(a["sales"]["count"], b["sales"]["count"]);
    assert_eq!(objects_under(&setup, &vectors_prefix).await, vectors);
    let lake_again = objects_under(&setup, "lake/").await;
    assert_eq!(
        lake_again.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        lake.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (key, bytes) in lake.iter().chain(&lake_again) {
        let path = dir
            .path()
            .join(format!("{}-{}", paths.len(), key.replace('/', "_")));
        std::fs::write(&path, bytes).expect("write");
        paths.push(path);
    }
    let mut summaries = pyarrow_summaries(&paths);
    for summary in &mut summaries {
        summary.as_object_mut().expect("a summary").remove("path");
    }
    let (before, after) = summaries.split_at(lake.len());
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_config_missing_a_field_records_failed_naming_it() {
    let setup = setup().await;
    let mut config = setup.world.config(&setup.db);
    config.as_object_mut().unwrap().remove("bucket");
    let parameter = format!("{}-broken", setup.world.parameter);
    setup
        .services
        .aws
        .ssm()
        .await
        .put_parameter()
        .name(&parameter)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .value(config.to_string())
        .send()
        .await
        .expect("put_parameter");
    let input = json!({"config_parameter": parameter, "progress_table": setup.world.table, "scheduled_time": SCHEDULED});
    let outcome = run(&setup, input, real_tasks(&setup), "broken-config").await;
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.clone().expect("failure");
    assert_eq!(failure.error, "InvalidInput");
    assert!(failure.cause.contains("bucket"), "{}", failure.cause);
    assert_eq!(
        outcome.states_entered(),
        [
            "LoadConfig",
            "Config loaded?",
            "Record failure (no config)",
            "Export failed"
        ]
    );
    // Without a config the tenants are unknown: the record is for every tenant ("*").
    let dynamodb = setup.services.aws.dynamodb().await;
    let item = dynamodb
        .get_item()
        .table_name(&setup.world.table)
        .key(
            "tenant_id",
            aws_sdk_dynamodb::types::AttributeValue::S("*".into()),
        )
        .key(
            "export_date",
            aws_sdk_dynamodb::types::AttributeValue::S(export_date().to_string()),
        )
        .send()
        .await
        .expect("get_item");
    let record = stepwise_tests::world::to_json(item.item().expect("a FAILED record"));
    assert_eq!(record["status"], "FAILED");
    assert!(
        record["cause"]
            .as_str()
            .unwrap_or_default()
            .contains("bucket"),
        "{record}"
    );
    // Nothing was exported.
    assert!(keys_under(&setup, "lake/").await.is_empty());
}

/// pyiceberg's view of the `smartgo_sales` table after the run that output `output`.
fn smartgo_sales(output: &Value) -> Value {
    let location = output["written"]["table"]["metadata_location"]
        .as_str()
        .unwrap_or_else(|| panic!("no table commit in {}", output["written"]));
    read_table(location, "export_date", &MotoServer::shared().endpoint())
}

#[tokio::test]
async fn with_lake_tables_the_day_is_one_snapshot_of_smartgo_sales_and_a_rerun_replaces_it() {
    let id = unique_id();
    let setup =
        setup_world(|world| world.with_lake_tables(format!("e2e-lake-{id}"), "sales_lake")).await;
    let mut input = setup.world.scheduled_input(SCHEDULED);
    let first = run(&setup, input.clone(), real_tasks(&setup), "first").await;
    assert_eq!(first.status, Status::Succeeded, "{:?}", first.failure);
    let output = first.output.expect("output");
    let written = &output["written"];
    assert_eq!(written["embedded"], 199);
    assert_eq!(written["table"]["table"], "sales_lake.smartgo_sales");
    assert_eq!(written["table"]["removed_files"], 0);
    // The files are under the table's location, not the Hive prefix.
    assert!(keys_under(&setup, "lake/").await.is_empty());
    for file in written["files"].as_array().expect("files") {
        let uri = file["uri"].as_str().expect("uri");
        assert!(
            uri.contains("/data/tenant_id=")
                && uri.contains("export_date_month=2026-11/2026-11-23-"),
            "{uri}"
        );
    }

    let table = smartgo_sales(&output);
    let current = &table["current"];
    assert_eq!(current["count"], 199);
    assert_eq!(current["distinct_sale_ids"], 199);
    assert_eq!(current["per_date"], json!({"2026-11-23": 199}));
    assert_eq!(
        current["per_partition"],
        json!({"acme/2026-11": 119, "globex/2026-11": 80})
    );
    assert_eq!(current["embedding_lengths"], json!([1024]));
    let snapshots = table["snapshots"].as_array().expect("snapshots");
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    assert_eq!(snapshots[0]["operation"], "append");
    assert_eq!(
        snapshots[0]["properties"]["stepwise.replaced-date"],
        "2026-11-23"
    );

    // A re-run of the date: one new snapshot replacing the day, the same rows once.
    input["rerun"] = json!(true);
    let again = run(&setup, input, real_tasks(&setup), "rerun").await;
    assert_eq!(again.status, Status::Succeeded, "{:?}", again.failure);
    let output = again.output.expect("output");
    assert_eq!(output["written"]["table"]["removed_files"], 2);
    assert_eq!(output["written"]["table"]["removed_rows"], 199);
    let table = smartgo_sales(&output);
    assert_eq!(table["current"]["count"], 199, "the day once, not twice");
    assert_eq!(table["current"]["distinct_sale_ids"], 199);
    assert_eq!(table["current"]["per_date"], json!({"2026-11-23": 199}));
    let operations: Vec<&Value> = table["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| &s["operation"])
        .collect();
    assert_eq!(operations, [&json!("append"), &json!("overwrite")]);
    assert_eq!(table["snapshots"][1]["total_records"], "199");
    // Time travel: the previous snapshot holds the first run's copy of the day.
    assert_eq!(table["previous"]["count"], 199);
}

/// `stepwise lake import` as an operator runs it on the export's Hive-style output
/// (what deployments wrote before the tables): the day's files land in `smartgo_sales`
/// byte for byte, once, and a second import adds nothing.
#[tokio::test]
async fn stepwise_lake_import_brings_a_hive_export_into_smartgo_sales_once() {
    let setup = setup().await;
    let outcome = run(
        &setup,
        setup.world.scheduled_input(SCHEDULED),
        real_tasks(&setup),
        "hive",
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let hive = keys_under(&setup, "lake/smartgo_sales/").await;
    assert_eq!(hive.len(), 2, "{hive:?}");

    let id = unique_id();
    let table_bucket = format!("import-{id}");
    let source = format!("s3://{}/lake/smartgo_sales", setup.world.bucket);
    let import = || {
        let output = Command::new(stepwise_tests::stepwise_bin())
            .args([
                "lake",
                "import",
                "--dataset",
                "smartgo_sales",
                "--from",
                &source,
            ])
            .args(["--table-bucket", &table_bucket, "--namespace", "imported"])
            .envs(MotoServer::shared().env())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .output()
            .expect("stepwise runs");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(
            output.status.success(),
            "stepwise lake import failed:\n{stderr}"
        );
        let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
        (report, stderr)
    };

    let (report, stderr) = import();
    assert_eq!(report["found"], 2, "{report}");
    assert_eq!(
        report["imported"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    assert_eq!(report["rows"], 199);
    assert_eq!(report["committed"], true);
    assert!(stderr.contains("2/2 files copied"), "{stderr}");
    let location = report["metadata_location"]
        .as_str()
        .expect("metadata location");
    let table = read_table(location, "export_date", &MotoServer::shared().endpoint());
    assert_eq!(table["current"]["count"], 199);
    assert_eq!(table["current"]["distinct_sale_ids"], 199);
    assert_eq!(table["current"]["per_date"], json!({"2026-11-23": 199}));
    assert_eq!(
        table["current"]["per_partition"],
        json!({"acme/2026-11": 119, "globex/2026-11": 80})
    );
    assert_eq!(table["current"]["embedding_lengths"], json!([1024]));

    let (again, _) = import();
    assert_eq!(again["imported"], json!([]), "{again}");
    assert_eq!(again["committed"], false);
    assert_eq!(again["skipped"].as_array().map(Vec::len), Some(2));
    assert_eq!(again["snapshot_id"], report["snapshot_id"]);
    // The sources are untouched.
    assert_eq!(keys_under(&setup, "lake/smartgo_sales/").await, hive);
}
