//! A workflow that uses every service integration constructor of the builder, end to end
//! through `Workflow::build`: the emitted definition is the committed
//! `tests/asl/valid/builder-integrations.json` (which the validator corpus test and
//! `scripts/asl-validator-check.sh` check against npm `asl-validator`), the typed data-flow
//! check reads each integration's result shape, and the generated mock config answers each
//! integration Task with its documented example result.

use std::time::Duration;

use codegen::builder::*;
use codegen::emit::mock_config;
use codegen::integration::example_result;
use codegen::workflow::Workflow;
use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};
use stepwise_contract::deploy::{Area, Distance, Permission, QueueSpec, Resource, VectorIndexSpec};

#[derive(Serialize, JsonSchema)]
struct Event {
    event_id: String,
    tenant: String,
    table: String,
    bucket: String,
    key: String,
    queue_url: String,
}

fn example() -> Event {
    Event {
        event_id: "evt-1".into(),
        tenant: "t-1".into(),
        table: "claims".into(),
        bucket: "stepwise-data".into(),
        key: "exports/2026-01-01/part-0000.jsonl".into(),
        queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/approvals".into(),
    }
}

/// `selector` as the ResultSelector and `path` as the ResultPath.
fn keep(task: Task, selector: Value, path: &str) -> Task {
    task.result_selector(selector).result_path(path)
}

fn tour() -> Chain {
    let key = json!({"pk": {"S.$": "$.event_id"}});
    let claim = dynamodb::put_item(
        "Claim",
        dynamodb::PutItem::new(Arg::path("$.table"), key.clone())
            .condition("attribute_not_exists(pk)")
            .return_item_on_condition_failure(),
    )
    .discard_result();
    let load = keep(
        dynamodb::get_item(
            "Load",
            dynamodb::GetItem::new(Arg::path("$.table"), key.clone()).consistent(),
        ),
        json!({"status.$": "$.Item.status.S"}),
        "$.claim",
    );
    let mark = dynamodb::update_item(
        "Mark",
        dynamodb::UpdateItem::new(Arg::path("$.table"), key.clone(), "SET #s = :s")
            .with(json!({"#s": "status"}), json!({":s": {"S": "DONE"}})),
    )
    .discard_result();
    let sales = keep(
        dynamodb::query(
            "Sales",
            dynamodb::Query::new("sales", "pk = :pk", json!({":pk": {"S.$": "$.tenant"}}))
                .limit(25),
        ),
        json!({"count.$": "$.Count", "more.$": "$.ScannedCount"}),
        "$.sales",
    );
    let batch = dynamodb::batch_write_item(
        "Write batch",
        dynamodb::BatchWriteItem {
            request_items:
                json!({"sales": [{"PutRequest": {"Item": {"pk": {"S.$": "$.event_id"}}}}]}).into(),
        },
    )
    .discard_result();
    let release = dynamodb::delete_item(
        "Release",
        dynamodb::DeleteItem::new(Arg::path("$.table"), key),
    )
    .discard_result();
    let config = keep(
        ssm::get_parameter("Config", ssm::GetParameter::new("/stepwise/config")),
        json!({"value.$": "$.Parameter.Value"}),
        "$.config",
    );
    let object = s3::GetObject::new(Arg::path("$.bucket"), Arg::path("$.key"));
    let manifest = keep(
        s3::get_object("Manifest", object.clone()),
        json!({"body.$": "$.Body"}),
        "$.manifest",
    );
    let head = keep(
        s3::head_object("Head", object),
        json!({"size.$": "$.ContentLength"}),
        "$.head",
    );
    let store = keep(
        s3::put_object(
            "Store",
            s3::PutObject::new(
                Arg::path("$.bucket"),
                "summary.json",
                Arg::path("$.manifest"),
            )
            .content_type("application/json"),
        ),
        json!({"etag.$": "$.ETag"}),
        "$.stored",
    );
    let list = keep(
        s3::list_objects_v2(
            "List",
            s3::ListObjectsV2::new(Arg::path("$.bucket")).prefix("exports/"),
        ),
        json!({"count.$": "$.KeyCount", "truncated.$": "$.IsTruncated"}),
        "$.listing",
    );
    let copy = keep(
        s3::copy_object(
            "Archive",
            s3::CopyObject::new(
                "archive",
                Arg::path("$.key"),
                Arg::path("States.Format('{}/{}', $.bucket, $.key)"),
            ),
        ),
        json!({"etag.$": "$.CopyObjectResult.ETag"}),
        "$.copied",
    );
    let delete = s3::delete_object(
        "Clean up",
        s3::DeleteObject::new(Arg::path("$.bucket"), "summary.json"),
    )
    .discard_result();
    let notify = keep(
        sqs::send_message(
            "Notify",
            sqs::SendMessage::new(Arg::path("$.queue_url"), json!({"event.$": "$.event_id"})),
        ),
        json!({"message_id.$": "$.MessageId"}),
        "$.queued",
    );
    let publish = keep(
        sns::publish(
            "Publish",
            sns::Publish::to_topic(
                "arn:aws:sns:us-east-1:123456789012:sales",
                Arg::path("$.event_id"),
            ),
        ),
        json!({"message_id.$": "$.MessageId"}),
        "$.published",
    );
    let announce = keep(
        events::put_events(
            "Announce",
            events::PutEvents {
                entries: vec![events::Entry::new(
                    "stepwise.sales",
                    "sale.recorded",
                    json!({"event_id.$": "$.event_id"}),
                )],
            },
        ),
        json!({"failed.$": "$.FailedEntryCount"}),
        "$.announced",
    );
    let enrich = keep(
        lambda::invoke(
            "Enrich",
            lambda::Invoke::new(
                "arn:aws:lambda:us-east-1:123456789012:function:enrich",
                Arg::path("$.claim"),
            ),
        ),
        json!({"payload.$": "$.Payload", "version.$": "$.ExecutedVersion"}),
        "$.enriched",
    );
    let index = s3vectors::put_vectors(
        "Index",
        s3vectors::PutVectors::new(
            "embeddings",
            "products",
            json!([{"Key.$": "$.event_id", "Data": {"Float32": [0.25, 0.5]}}]),
        ),
    )
    .discard_result();
    let approve = sqs::send_message(
        "Approve",
        sqs::SendMessage::new(
            Arg::path("$.queue_url"),
            json!({"event.$": "$.event_id", "token.$": "$$.Task.Token"}),
        ),
    )
    .wait_for_task_token(Duration::from_secs(86_400))
    .heartbeat(Duration::from_secs(3_600))
    .result_path("$.approval");
    let child = |name: &str, wait| {
        states::StartExecution::new("${Child}", json!({"event_id.$": "$.event_id"}), wait)
            .name(Arg::path(format!(
                "States.Format('{{}}-{name}', $.event_id)"
            )))
            .linked_to_parent()
    };
    let started = keep(
        states::start_execution("Start child", child("start", states::Wait::No)),
        json!({"arn.$": "$.ExecutionArn"}),
        "$.started",
    );
    let as_string = keep(
        states::start_execution(
            "Run child",
            child("run", states::Wait::ForCompletionOutputAsString),
        ),
        json!({"output.$": "States.StringToJson($.Output)"}),
        "$.child_string",
    );
    let as_json = keep(
        states::start_execution(
            "Run child as JSON",
            child("json", states::Wait::ForCompletion),
        ),
        json!({"status.$": "$.Output.status", "arn.$": "$.ExecutionArn"}),
        "$.child",
    );
    let summary = pass("Summary")
        .parameters(json!({"status.$": "$.claim.status", "approval.$": "$.approval", "child.$": "$.child.status"}));
    Chain::start(claim)
        .then(load)
        .then(mark)
        .then(sales)
        .then(batch)
        .then(release)
        .then(config)
        .then(manifest)
        .then(head)
        .then(store)
        .then(list)
        .then(copy)
        .then(delete)
        .then(notify)
        .then(publish)
        .then(announce)
        .then(enrich)
        .then(index)
        .then(approve)
        .then(started)
        .then(as_string)
        .then(as_json)
        .then(summary)
}

/// `workflow` with the permissions its service integrations need declared (the build
/// refuses an integration Task whose IAM action no workflow permission declares).
fn permitted(workflow: Workflow) -> Workflow {
    const QUEUE: QueueSpec = QueueSpec {
        name: "approvals",
        retention_days: 4,
        reason: "approval requests",
    };
    const INDEX: VectorIndexSpec = VectorIndexSpec {
        name: "products",
        dimension: 3,
        distance: Distance::Cosine,
        non_filterable_metadata_keys: &[],
        reason: "similar products",
    };
    let permissions = [
        Permission {
            actions: &["dynamodb:*"],
            resource: Resource::ProgressTable,
            reason: "claims and reads",
        },
        Permission {
            actions: &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:CopyObject",
                "s3:DeleteObject",
            ],
            resource: Resource::Objects {
                area: Area::Staging,
            },
            reason: "objects",
        },
        Permission {
            actions: &["s3:ListBucket"],
            resource: Resource::Listing {
                area: Area::Staging,
            },
            reason: "lists",
        },
        Permission {
            actions: &["sqs:SendMessage"],
            resource: Resource::Queue { queue: "approvals" },
            reason: "notifies",
        },
        Permission {
            actions: &["events:PutEvents"],
            resource: Resource::EventBus,
            reason: "announces",
        },
        Permission {
            actions: &["ssm:GetParameter"],
            resource: Resource::ConfigParameter,
            reason: "config",
        },
        Permission {
            actions: &["s3vectors:PutVectors"],
            resource: Resource::VectorIndex { index: "products" },
            reason: "indexes",
        },
    ];
    permissions.into_iter().fold(
        workflow.queue(QUEUE).vector_index(INDEX),
        Workflow::permission,
    )
}

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/asl/valid/builder-integrations.json")
}

#[test]
fn every_constructor_builds_into_the_committed_definition() {
    let built = permitted(Workflow::new("integrations-tour", tour()))
        .input(&example())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = std::fs::read_to_string(fixture()).unwrap();
    assert_eq!(built.machine.to_pretty_json(), expected);
}

#[test]
fn a_wrong_field_of_an_integration_result_fails_the_build() {
    let notify = sqs::send_message(
        "Notify",
        sqs::SendMessage::new(Arg::path("$.queue_url"), "hi"),
    )
    .result_selector(json!({"message_id.$": "$.MessageID"}))
    .result_path("$.queued");
    let err = permitted(Workflow::new("w", Chain::start(notify)))
        .input(&example())
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"workflow "w": State "Notify": ResultSelector.message_id.$ "$.MessageID": no field "MessageID" in the result (it has: MD5OfMessageBody, MessageId, SdkHttpMetadata, SdkResponseMetadata, MD5OfMessageAttributes, MD5OfMessageSystemAttributes, SequenceNumber)"#
    );
    // A later state reading a field the integration does not return.
    let load = dynamodb::get_item(
        "Load",
        dynamodb::GetItem::new("t", json!({"pk": {"S": "1"}})),
    )
    .result_path("$.claim");
    let read = pass("Read").parameters(json!({"s.$": "$.claim.Attributes"}));
    let err = permitted(Workflow::new("w", Chain::start(load).then(read)))
        .input(&example())
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"workflow "w": State "Read": Parameters.s.$ "$.claim.Attributes": no field "Attributes" in $.claim (it has: SdkHttpMetadata, SdkResponseMetadata, Item, ConsumedCapacity)"#
    );
}

#[test]
fn the_mock_config_answers_each_integration_with_its_documented_example() {
    let built = permitted(Workflow::new("integrations-tour", tour()))
        .input(&example())
        .build()
        .unwrap();
    let mock = mock_config(&built);
    let case = &mock["StateMachines"]["integrations-tour"]["TestCases"]["HappyPath"];
    let returned = |state: &str| -> Value {
        let response = case[state]
            .as_str()
            .unwrap_or_else(|| panic!("{state} not mocked"));
        mock["MockedResponses"][response]["0"]["Return"].clone()
    };
    let mut tasks = 0;
    for (name, state) in &built.machine.states {
        let codegen::asl::State::Task(task) = state else {
            continue;
        };
        tasks += 1;
        let expected = if task.resource.ends_with(".waitForTaskToken") {
            json!({})
        } else {
            example_result(&task.resource)
                .unwrap_or_else(|| panic!("{name}: no example for {}", task.resource))
        };
        assert_eq!(returned(name), expected, "{name}");
    }
    assert_eq!(tasks, 22);
    // The documented shapes, spot-checked.
    let load = returned("Load");
    assert!(
        load["Item"].is_object() && load["SdkHttpMetadata"]["HttpStatusCode"] == 200,
        "{load}"
    );
    assert!(returned("Notify")["MessageId"].is_string());
    assert_eq!(returned("Announce")["FailedEntryCount"], 0);
    assert!(returned("Enrich")["Payload"].is_object() && returned("Enrich")["StatusCode"] == 200);
    assert!(returned("Run child")["Output"].is_string());
    assert!(returned("Run child as JSON")["Output"].is_object());
    assert!(returned("Manifest")["Body"].is_string());
}

#[test]
fn a_path_of_the_wrong_type_for_an_integration_parameter_fails_the_build() {
    let get = dynamodb::get_item(
        "Load",
        dynamodb::GetItem::new(Arg::path("$"), json!({"pk": {"S.$": "$.event_id"}})),
    );
    let err = permitted(Workflow::new("w", Chain::start(get)))
        .input(&example())
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"workflow "w": State "Load": Parameters of dynamodb:getItem: field "TableName" is an object, expected a string"#
    );
}
