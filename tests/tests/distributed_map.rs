//! sfn-local's distributed Map against moto S3: items read with an ItemReader (JSON
//! Lines) with their `$$.Map.Item.Source`, failures tolerated up to the threshold (and
//! `States.ExceedToleratedFailureThreshold` past it, with the results still written),
//! results written by a ResultWriter in Step Functions' format, and child executions kept
//! out of the parent's history.

use std::sync::Arc;

use serde_json::{Value, json};
use sfn_local::{Options, RegistryTasks, Status, execute};
use stepwise_runtime::aws::Aws;
use stepwise_runtime::{Registry, Services};
use stepwise_tests::{MotoServer, unique_id};

async fn s3_text(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get_object");
    String::from_utf8(
        object
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec(),
    )
    .expect("utf-8")
}

/// The test machine: item 7 fails; `tolerance` is the Map's tolerated-failure field.
fn machine_tolerating(tolerance: (&str, u32)) -> codegen::asl::StateMachine {
    let mut doc = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSONL"},
                "Parameters": {"Bucket.$": "$.bucket", "Key": "items.jsonl"}
            },
            "ItemSelector": {"n.$": "$$.Map.Item.Value.n", "index.$": "$$.Map.Item.Index", "source.$": "$$.Map.Item.Source"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Odd?",
                "States": {
                    "Odd?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 7, "Next": "Bad"}], "Default": "Double"},
                    "Bad": {"Type": "Fail", "Error": "SevenIsBad", "Cause": "item 7"},
                    "Double": {"Type": "Pass", "Parameters": {"double.$": "States.MathAdd($.n, $.n)"}, "End": true}
                }
            },
            "MaxConcurrency": 4,
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket.$": "$.bucket", "Prefix": "results"}},
            "ResultPath": "$.map",
            "End": true
        }}
    });
    doc["States"]["Each"][tolerance.0] = json!(tolerance.1);
    codegen::asl::from_value(doc).expect("valid")
}

fn machine() -> codegen::asl::StateMachine {
    machine_tolerating(("ToleratedFailurePercentage", 10))
}

/// A bucket holding `items.jsonl` with `{"n": 1}` to `{"n": 20}`, and an S3 client.
async fn bucket_with_items(moto: &MotoServer) -> (aws_sdk_s3::Client, String) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk_config())
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("dmap-{}", unique_id());
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    let lines: Vec<String> = (1..=20).map(|n| json!({"n": n}).to_string()).collect();
    s3.put_object()
        .bucket(&bucket)
        .key("items.jsonl")
        .body(lines.join("\n").into_bytes().into())
        .send()
        .await
        .expect("put");
    (s3, bucket)
}

#[tokio::test]
async fn reads_items_tolerates_failures_and_writes_results_to_s3() {
    let moto = MotoServer::shared();
    let (s3, bucket) = bucket_with_items(moto).await;

    let services = Services::with_aws(Aws::with_config(moto.sdk_config()));
    let tasks = Arc::new(RegistryTasks::new(Registry::new(), services.clone()));
    let options = Options {
        virtual_time: true,
        services: Some(services),
        ..Options::default()
    };
    let outcome = execute(&machine(), json!({"bucket": bucket}), tasks, options)
        .await
        .expect("starts");
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);

    let output = outcome.output.expect("output");
    let details = &output["map"]["ResultWriterDetails"];
    assert_eq!(details["Bucket"], bucket.as_str());
    let manifest: Value =
        serde_json::from_str(&s3_text(&s3, &bucket, details["Key"].as_str().unwrap()).await)
            .unwrap();
    assert_eq!(manifest["DestinationBucket"], bucket.as_str());
    let failed_key = manifest["ResultFiles"]["FAILED"][0]["Key"]
        .as_str()
        .expect("a FAILED file");
    let failed: Value = serde_json::from_str(&s3_text(&s3, &bucket, failed_key).await).unwrap();
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["Error"], "SevenIsBad");
    assert_eq!(
        serde_json::from_str::<Value>(failed[0]["Input"].as_str().unwrap()).unwrap(),
        json!({"n": 7, "index": 6, "source": format!("s3://{bucket}/items.jsonl")})
    );
    let ok_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .expect("a SUCCEEDED file");
    let succeeded: Value = serde_json::from_str(&s3_text(&s3, &bucket, ok_key).await).unwrap();
    assert_eq!(succeeded.as_array().unwrap().len(), 19);
    assert_eq!(
        serde_json::from_str::<Value>(succeeded[0]["Output"].as_str().unwrap()).unwrap(),
        json!({"double": 2})
    );

    // Child executions keep their own histories: the parent's shows the map run only.
    let kinds: Vec<_> = outcome.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"MapRunStarted") && kinds.contains(&"MapRunSucceeded"),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"PassStateEntered"), "{kinds:?}");
}

#[tokio::test]
async fn a_missing_manifest_fails_with_item_reader_failed() {
    let moto = MotoServer::shared();
    let services = Services::with_aws(Aws::with_config(moto.sdk_config()));
    let tasks = Arc::new(RegistryTasks::new(Registry::new(), services.clone()));
    let options = Options {
        virtual_time: true,
        services: Some(services),
        ..Options::default()
    };
    let bucket = format!("dmap-missing-{}", unique_id());
    let outcome = execute(&machine(), json!({"bucket": bucket}), tasks, options)
        .await
        .expect("starts");
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.expect("failure");
    assert_eq!(failure.error, "States.ItemReaderFailed");
    assert!(failure.cause.contains("items.jsonl"), "{}", failure.cause);
}

#[tokio::test]
async fn past_the_threshold_the_map_fails_and_still_writes_its_results() {
    let moto = MotoServer::shared();
    let (s3, bucket) = bucket_with_items(moto).await;
    let services = Services::with_aws(Aws::with_config(moto.sdk_config()));
    let tasks = Arc::new(RegistryTasks::new(Registry::new(), services.clone()));
    let options = Options {
        virtual_time: true,
        services: Some(services),
        ..Options::default()
    };
    let outcome = execute(
        &machine_tolerating(("ToleratedFailureCount", 0)),
        json!({"bucket": bucket}),
        tasks,
        options,
    )
    .await
    .expect("starts");
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.expect("failure");
    assert_eq!(failure.error, "States.ExceedToleratedFailureThreshold");

    let listing = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("results/")
        .send()
        .await
        .expect("list");
    let manifest_key = listing
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .find(|k| k.ends_with("/manifest.json"))
        .expect("a manifest.json")
        .to_string();
    let manifest: Value =
        serde_json::from_str(&s3_text(&s3, &bucket, &manifest_key).await).unwrap();
    let failed_key = manifest["ResultFiles"]["FAILED"][0]["Key"]
        .as_str()
        .expect("a FAILED file");
    let failed: Value = serde_json::from_str(&s3_text(&s3, &bucket, failed_key).await).unwrap();
    assert_eq!(failed[0]["Error"], "SevenIsBad");
    // A child is named by its item's index.
    assert_eq!(failed[0]["Name"], "6");
    let kinds: Vec<_> = outcome.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"MapRunFailed"), "{kinds:?}");
}
