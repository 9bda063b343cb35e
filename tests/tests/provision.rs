//! `stepwise-provision` against moto server: every declared kind of resource is created
//! as declared (keys, indexes, TTL, on-demand; retention and SSE; dimension, distance,
//! non-filterable keys), provisioning again reuses it and returns the same
//! substitutions, an existing resource that differs is refused naming the difference, and
//! a workflow whose definition reaches its table and queue through placeholders runs
//! under sfn-local with the returned map and writes to exactly those resources.

use std::sync::Arc;

use aws_sdk_dynamodb::types::{BillingMode, KeyType, TimeToLiveStatus};
use aws_sdk_sqs::types::QueueAttributeName;
use codegen::builder::{Chain, task_resource};
use codegen::resources::Resources;
use codegen::workflow::Workflow;
use serde_json::json;
use sfn_local::{Options, RegistryTasks, ServiceTasks, Status, TaskRunner};
use stepwise_contract::deploy::{
    Distance, IndexSpec, KeyAttr, Permission, QueueSpec, Resource, TableSpec, VectorIndexSpec,
};
use stepwise_provision::{ProvisionError, provision};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::{MotoServer, unique_id};

const SALES: TableSpec = TableSpec {
    name: "sales-history",
    partition_key: KeyAttr::string("PK"),
    sort_key: Some(KeyAttr::string("SK")),
    indexes: &[IndexSpec {
        name: "GSI2",
        partition_key: KeyAttr::string("GSI2PK"),
        sort_key: Some(KeyAttr::string("GSI2SK")),
    }],
    ttl_attribute: Some("ttl"),
    reason: "per-product sale queries",
};

const DLQ: QueueSpec = QueueSpec {
    name: "dead-letters",
    retention_days: 14,
    reason: "events that failed",
};

const PRODUCTS: VectorIndexSpec = VectorIndexSpec {
    name: "products",
    dimension: 1024,
    distance: Distance::Cosine,
    non_filterable_metadata_keys: &["description"],
    reason: "similar products",
};

fn resources() -> Resources {
    Resources {
        tables: vec![SALES],
        queues: vec![DLQ],
        vector_indexes: vec![PRODUCTS],
    }
}

fn prefix() -> String {
    format!("t{}", unique_id())
}

#[tokio::test]
async fn creates_every_declared_resource_as_declared_and_reuses_it_the_second_time() {
    let config = MotoServer::shared().sdk_config();
    let prefix = prefix();
    let map = provision(&config, &resources(), &prefix)
        .await
        .expect("provisions");

    let table = format!("{prefix}-sales-history");
    let queue = format!("{prefix}-dead-letters");
    let bucket = format!("{prefix}-vectors");
    assert_eq!(map["SalesHistoryTableName"], table);
    assert!(
        map["SalesHistoryTableArn"].ends_with(&format!(":table/{table}")),
        "{map:?}"
    );
    assert!(
        map["DeadLettersQueueUrl"].ends_with(&format!("/{queue}")),
        "{map:?}"
    );
    assert!(
        map["DeadLettersQueueArn"].ends_with(&format!(":{queue}")),
        "{map:?}"
    );
    assert_eq!(map["ProductsVectorBucketName"], bucket);
    assert_eq!(map["ProductsIndexName"], "products");
    assert!(
        map["ProductsIndexArn"].ends_with(&format!("bucket/{bucket}/index/products")),
        "{map:?}"
    );
    assert_eq!(map.len(), 7, "{map:?}");

    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let described = dynamodb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let t = described.table().unwrap();
    let keys: Vec<_> = t
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_string(), k.key_type().clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("PK".to_string(), KeyType::Hash),
            ("SK".to_string(), KeyType::Range)
        ]
    );
    assert_eq!(
        t.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let gsi = &t.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("GSI2"));
    assert_eq!(gsi.key_schema()[0].attribute_name(), "GSI2PK");
    assert_eq!(gsi.key_schema()[1].attribute_name(), "GSI2SK");
    let ttl = dynamodb
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name(), Some("ttl"));

    let sqs = aws_sdk_sqs::Client::new(&config);
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&map["DeadLettersQueueUrl"])
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attributes = attributes.attributes().unwrap();
    assert_eq!(
        attributes[&QueueAttributeName::MessageRetentionPeriod],
        (14 * 86_400).to_string()
    );
    assert_eq!(
        attributes[&QueueAttributeName::SqsManagedSseEnabled],
        "true"
    );

    let vectors = aws_sdk_s3vectors::Client::new(&config);
    let index = vectors
        .get_index()
        .vector_bucket_name(&bucket)
        .index_name("products")
        .send()
        .await
        .unwrap();
    let index = index.index().unwrap();
    assert_eq!(index.dimension(), 1024);
    assert_eq!(index.distance_metric().as_str(), "cosine");

    let again = provision(&config, &resources(), &prefix)
        .await
        .expect("provisions again");
    assert_eq!(again, map);
}

#[tokio::test]
async fn an_existing_resource_that_differs_is_refused_naming_the_difference() {
    let config = MotoServer::shared().sdk_config();
    let prefix = prefix();
    let only = |tables: Vec<TableSpec>, indexes: Vec<VectorIndexSpec>| Resources {
        tables,
        queues: vec![],
        vector_indexes: indexes,
    };
    provision(&config, &only(vec![SALES], vec![PRODUCTS]), &prefix)
        .await
        .unwrap();
    let other_keys = TableSpec {
        sort_key: Some(KeyAttr::string("SaleId")),
        ..SALES
    };
    let err = provision(&config, &only(vec![other_keys], vec![]), &prefix)
        .await
        .unwrap_err();
    assert!(matches!(err, ProvisionError::Mismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "table \"{prefix}-sales-history\" exists but differs from its declaration: key schema is [PK HASH, SK RANGE], declared [PK HASH, SaleId RANGE] (delete it or choose another --prefix)"
        )
    );
    let other_dimension = VectorIndexSpec {
        dimension: 512,
        ..PRODUCTS
    };
    let err = provision(&config, &only(vec![], vec![other_dimension]), &prefix)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("vector index \"products\" exists but differs from its declaration: dimension 1024 and distance cosine, declared 512 and cosine"),
        "{err}"
    );
    let err = provision(&config, &resources(), "Bad_Prefix")
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("prefix \"Bad_Prefix\""),
        "{err}"
    );
}

#[tokio::test]
async fn a_workflow_reaches_its_provisioned_table_and_queue_through_substitutions() {
    let config = MotoServer::shared().sdk_config();
    let definition = Chain::start(
        task_resource("Write", "arn:aws:states:::dynamodb:putItem")
            .parameters(json!({
                "TableName": "${SalesHistoryTableName}",
                "Item": {"PK": {"S": "TENANT#t1#PRODUCT#p1"}, "SK": {"S": "SALE#2026-11-30#s1"}}
            }))
            .discard_result(),
    )
    .then(
        task_resource("Dead letter", "arn:aws:states:::sqs:sendMessage")
            .parameters(json!({"QueueUrl": "${DeadLettersQueueUrl}", "MessageBody": "s1"}))
            .discard_result(),
    );
    let built = Workflow::new("provisioned", definition)
        .table(SALES)
        .queue(DLQ)
        .permission(Permission {
            actions: &["dynamodb:PutItem"],
            resource: Resource::Table {
                table: "sales-history",
            },
            reason: "writes the sale",
        })
        .permission(Permission {
            actions: &["sqs:SendMessage"],
            resource: Resource::Queue {
                queue: "dead-letters",
            },
            reason: "dead letters",
        })
        .build()
        .expect("builds");
    assert_eq!(
        built.placeholders.iter().collect::<Vec<_>>(),
        ["DeadLettersQueueUrl", "SalesHistoryTableName"]
    );

    let prefix = prefix();
    let substitutions = provision(&config, &built.resources, &prefix)
        .await
        .expect("provisions");
    let services = Services::with_aws(Aws::with_config(config.clone()));
    let registry = Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone()));
    let tasks: Arc<dyn TaskRunner> = Arc::new(ServiceTasks::new(registry, services));
    let options = Options {
        virtual_time: true,
        state_machine_name: built.name.clone(),
        substitutions,
        ..Options::default()
    };
    let outcome = sfn_local::execute(&built.machine, json!({}), tasks, options)
        .await
        .expect("starts");
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);

    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let items = dynamodb
        .scan()
        .table_name(format!("{prefix}-sales-history"))
        .send()
        .await
        .unwrap();
    assert_eq!(items.count(), 1);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = sqs
        .get_queue_url()
        .queue_name(format!("{prefix}-dead-letters"))
        .send()
        .await
        .unwrap();
    let received = sqs
        .receive_message()
        .queue_url(url.queue_url().unwrap())
        .send()
        .await
        .unwrap();
    let bodies: Vec<_> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    assert_eq!(bodies, ["s1"]);
}

/// The debug `stepwise` binary, with moto's environment.
fn stepwise() -> std::process::Command {
    let bin = stepwise_tests::stepwise_bin();
    let mut cmd = std::process::Command::new(bin);
    cmd.envs(MotoServer::shared().env())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
    cmd
}

#[tokio::test]
async fn exec_applies_substitutions_from_a_file_and_the_command_line_which_wins() {
    let config = MotoServer::shared().sdk_config();
    let prefix = prefix();
    let only_sales = Resources {
        tables: vec![SALES],
        ..Resources::default()
    };
    let map = provision(&config, &only_sales, &prefix).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs.json");
    let mut file_map = serde_json::to_value(&map).unwrap();
    file_map["Tag"] = json!("from-file");
    std::fs::write(&subs, file_map.to_string()).unwrap();
    let definition = dir.path().join("put.asl.json");
    let asl = json!({"StartAt": "Put", "States": {"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": "${SalesHistoryTableName}",
                       "Item": {"PK": {"S": "${Tag}"}, "SK": {"S": "1"}}},
        "End": true}}});
    std::fs::write(&definition, asl.to_string()).unwrap();

    let output = stepwise()
        .args(["exec", "--definition"])
        .arg(&definition)
        .arg("--substitutions")
        .arg(&subs)
        .args(["--substitute", "Tag=from-flag"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let scan = dynamodb
        .scan()
        .table_name(&map["SalesHistoryTableName"])
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = scan
        .items()
        .iter()
        .filter_map(|i| i.get("PK")?.as_s().ok().cloned())
        .collect();
    assert_eq!(keys, ["from-flag"]);

    let bad = stepwise()
        .args(["exec", "--definition"])
        .arg(&definition)
        .args(["--substitute", "no-equals-sign"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("--substitute no-equals-sign: expected NAME=VALUE"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn provision_prints_the_substitutions_and_names_an_unknown_workflow() {
    let output = stepwise()
        .args([
            "provision",
            "--prefix",
            &prefix(),
            "--set",
            "ConfigParameterName=/stepwise/dev/config",
            "--set",
            "GroupImagesConfigParameterName=/stepwise/dev/group-images",
            "--set",
            "LakeBucketName=dev-lake",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["ConfigParameterName"], "/stepwise/dev/config");
    // Every placeholder a generated workflow's definition uses is in the map.
    for workflow in statemachines::all() {
        let built = workflow.build().unwrap();
        let known = codegen::placeholder::Substitutable::new(&built.resources);
        for name in codegen::placeholder::used_in(&built.machine, &known) {
            assert!(
                printed.get(&name).is_some(),
                "{} uses ${{{name}}}",
                built.name
            );
        }
    }

    let unknown = stepwise()
        .args(["provision", "--workflow", "no-such-workflow"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no workflow named \"no-such-workflow\""),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}
