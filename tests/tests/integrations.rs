//! sfn-local's AWS service integrations against moto server: every integration runs in a
//! real state machine under sfn-local, succeeds against moto's services, and fails with
//! Step Functions' error name for a service error, which the machine's Retry and Catch
//! match exactly (a catcher with the other family's casing comes first and must not
//! match). `lambda:invoke` runs registry activities in-process and a Lambda Invoke
//! endpoint (a small axum server on 127.0.0.1 speaking the Invoke API).
//!
//! Every test shares one moto server and creates resources of its own.

use std::sync::Arc;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::{Value, json};
use sfn_local::history::EventType;
use sfn_local::{Options, Outcome, RegistryTasks, ServiceTasks, Status, TaskRunner};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::{MotoServer, unique_id};

/// The services of the shared moto server.
fn services() -> Arc<Services> {
    Services::with_aws(Aws::with_config(MotoServer::shared().sdk_config()))
}

/// The integrations over the registry's activities.
fn runner(services: &Arc<Services>) -> Arc<ServiceTasks> {
    let registry = Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone()));
    Arc::new(ServiceTasks::new(registry, services.clone()))
}

async fn run(tasks: Arc<ServiceTasks>, definition: Value, input: Value) -> Outcome {
    let machine = codegen::asl::from_value(definition).expect("valid ASL");
    let tasks: Arc<dyn TaskRunner> = tasks;
    let options = Options {
        virtual_time: true,
        state_machine_name: "integrations".into(),
        ..Options::default()
    };
    sfn_local::execute(&machine, input, tasks, options)
        .await
        .expect("the machine starts")
}

fn succeeded(outcome: &Outcome) -> Value {
    assert_eq!(
        outcome.status,
        Status::Succeeded,
        "failure: {:?}",
        outcome.failure
    );
    outcome.output.clone().expect("an output")
}

/// A Task state: `resource` with `parameters`, its result at `result_path`, then `next`;
/// a service error `error` is caught into `$.error` and goes to `Caught` — after a
/// catcher for `wrong` (the other casing), which goes to `WrongName` and fails the run.
fn task(resource: &str, parameters: Value, result_path: &str, next: &str) -> Value {
    json!({"Type": "Task", "Resource": resource, "Parameters": parameters,
           "ResultPath": result_path, "Next": next})
}

fn failing_task(resource: &str, parameters: Value, wrong: &str, error: &str) -> Value {
    json!({"Type": "Task", "Resource": resource, "Parameters": parameters,
           "Retry": [{"ErrorEquals": [error], "IntervalSeconds": 1, "MaxAttempts": 1}],
           "Catch": [
               {"ErrorEquals": [wrong], "ResultPath": "$.error", "Next": "WrongName"},
               {"ErrorEquals": [error], "ResultPath": "$.error", "Next": "Caught"}
           ],
           "End": true})
}

/// The shared end of the machines: `Caught` succeeds, `WrongName` fails.
fn ends(states: &mut serde_json::Map<String, Value>) {
    states.insert("Caught".into(), json!({"Type": "Pass", "End": true}));
    states.insert(
        "WrongName".into(),
        json!({"Type": "Fail", "Error": "WrongName", "Cause": "the other casing matched"}),
    );
}

fn machine(start: &str, states: Value) -> Value {
    let mut states = states.as_object().cloned().expect("states");
    ends(&mut states);
    json!({"StartAt": start, "States": states})
}

/// How often state `name` was scheduled (1 + retries).
fn attempts(outcome: &Outcome, name: &str) -> usize {
    let mut current = None;
    let mut count = 0;
    for event in &outcome.events {
        if matches!(event.kind, EventType::StateEntered(_)) {
            current = event.state_name().map(str::to_string);
        }
        if event.kind == EventType::TaskScheduled && current.as_deref() == Some(name) {
            count += 1;
        }
    }
    count
}

async fn create_table(services: &Arc<Services>, range: bool) -> String {
    let table = format!("integrations-{}", unique_id());
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key")
    };
    let mut create = services
        .aws
        .dynamodb()
        .await
        .create_table()
        .table_name(&table)
        .attribute_definitions(attribute("pk"))
        .key_schema(key("pk", KeyType::Hash))
        .billing_mode(BillingMode::PayPerRequest);
    if range {
        create = create
            .attribute_definitions(attribute("sk"))
            .key_schema(key("sk", KeyType::Range));
    }
    create.send().await.expect("create table");
    table
}

async fn item_count(services: &Arc<Services>, table: &str) -> i32 {
    services
        .aws
        .dynamodb()
        .await
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("scan")
        .count()
}

// ---------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimized_dynamodb_reads_writes_and_names_a_failed_condition_dynamodb() {
    let services = services();
    let table = create_table(&services, false).await;
    let key = json!({"pk": {"S.$": "$.id"}});
    let definition = machine(
        "Claim",
        json!({
            "Claim": task("arn:aws:states:::dynamodb:putItem", json!({
                "TableName.$": "$.table",
                "Item": {"pk": {"S.$": "$.id"}, "n": {"N": "1"}, "tags": {"SS": ["a", "b"]},
                         "doc": {"M": {"ok": {"BOOL": true}, "none": {"NULL": true}, "l": {"L": [{"S": "x"}]}}}},
                "ConditionExpression": "attribute_not_exists(pk)"
            }), "$.claimed", "Read"),
            "Read": task("arn:aws:states:::dynamodb:getItem",
                json!({"TableName.$": "$.table", "Key": key}), "$.read", "Bump"),
            "Bump": task("arn:aws:states:::dynamodb:updateItem", json!({
                "TableName.$": "$.table", "Key": key,
                "UpdateExpression": "SET n = n + :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
                "ReturnValues": "ALL_NEW"
            }), "$.bumped", "Remove"),
            "Remove": task("arn:aws:states:::dynamodb:deleteItem", json!({
                "TableName.$": "$.table", "Key": key, "ReturnValues": "ALL_OLD"
            }), "$.removed", "Claim again"),
            "Claim again": task("arn:aws:states:::dynamodb:putItem", json!({
                "TableName.$": "$.table", "Item": {"pk": {"S": "twice"}},
                "ConditionExpression": "attribute_not_exists(pk)"
            }), "$.again", "Claim twice"),
            "Claim twice": failing_task("arn:aws:states:::dynamodb:putItem", json!({
                "TableName.$": "$.table", "Item": {"pk": {"S": "twice"}},
                "ConditionExpression": "attribute_not_exists(pk)"
            }), "DynamoDb.ConditionalCheckFailedException", "DynamoDB.ConditionalCheckFailedException"),
        }),
    );
    let tasks = runner(&services);
    let outcome = run(
        tasks.clone(),
        definition,
        json!({"table": table, "id": "order-1"}),
    )
    .await;
    let out = succeeded(&outcome);
    assert_eq!(
        outcome.states_entered().last().map(String::as_str),
        Some("Caught")
    );
    assert_eq!(
        out["read"]["Item"],
        json!({"doc": {"M": {"l": {"L": [{"S": "x"}]}, "none": {"NULL": true}, "ok": {"BOOL": true}}},
               "n": {"N": "1"}, "pk": {"S": "order-1"}, "tags": {"SS": ["a", "b"]}})
    );
    assert_eq!(out["read"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(
        out["read"]["SdkResponseMetadata"]
            .get("RequestId")
            .is_some()
    );
    assert_eq!(out["claimed"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert_eq!(out["bumped"]["Attributes"]["n"], json!({"N": "2"}));
    assert_eq!(out["removed"]["Attributes"]["pk"], json!({"S": "order-1"}));
    assert_eq!(
        out["error"]["Error"],
        "DynamoDB.ConditionalCheckFailedException"
    );
    let cause = out["error"]["Cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: ")
            && cause.ends_with("; Proxy: null)"),
        "{cause}"
    );
    // The Retry on the exact name ran the put twice; the first item is gone, the second stays.
    assert_eq!(attempts(&outcome, "Claim twice"), 2);
    assert_eq!(item_count(&services, &table).await, 1);
    let stats = tasks.stats();
    assert_eq!(stats.calls, 7, "{stats:?}");
    assert!(stats.in_sdk <= stats.total, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_dynamodb_batches_queries_and_names_errors_dynamodb_with_mixed_case() {
    let services = services();
    let table = create_table(&services, true).await;
    let put = |sk: &str| json!({"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": sk}}}});
    let definition = machine(
        "Batch",
        json!({
            "Batch": task("arn:aws:states:::aws-sdk:dynamodb:batchWriteItem", json!({
                "RequestItems": {table.clone(): [put("b"), put("a"), put("c")]}
            }), "$.batch", "Query"),
            "Query": task("arn:aws:states:::aws-sdk:dynamodb:query", json!({
                "TableName": table, "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "p"}}, "Limit": 2
            }), "$.query", "Get"),
            "Get": task("arn:aws:states:::aws-sdk:dynamodb:getItem", json!({
                "TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": "a"}}, "ConsistentRead": true
            }), "$.get", "Update"),
            "Update": task("arn:aws:states:::aws-sdk:dynamodb:updateItem", json!({
                "TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": "a"}},
                "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {":s": {"S": "done"}}, "ReturnValues": "UPDATED_NEW"
            }), "$.update", "Delete"),
            "Delete": task("arn:aws:states:::aws-sdk:dynamodb:deleteItem", json!({
                "TableName": table, "Key": {"pk": {"S": "p"}, "sk": {"S": "c"}}
            }), "$.delete", "Put"),
            "Put": failing_task("arn:aws:states:::aws-sdk:dynamodb:putItem", json!({
                "TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "a"}},
                "ConditionExpression": "attribute_not_exists(pk)"
            }), "DynamoDB.ConditionalCheckFailedException", "DynamoDb.ConditionalCheckFailedException"),
        }),
    );
    let outcome = run(runner(&services), definition, json!({})).await;
    let out = succeeded(&outcome);
    assert_eq!(
        outcome.states_entered().last().map(String::as_str),
        Some("Caught")
    );
    assert_eq!(out["batch"]["UnprocessedItems"], json!({}));
    assert_eq!(out["query"]["Count"], 2);
    assert_eq!(
        out["query"]["Items"],
        json!([{"pk": {"S": "p"}, "sk": {"S": "a"}}, {"pk": {"S": "p"}, "sk": {"S": "b"}}])
    );
    assert_eq!(
        out["query"]["LastEvaluatedKey"],
        json!({"pk": {"S": "p"}, "sk": {"S": "b"}})
    );
    assert_eq!(
        out["get"]["Item"],
        json!({"pk": {"S": "p"}, "sk": {"S": "a"}})
    );
    // (moto adds ConsumedCapacity to writes even when not asked for it.)
    assert_eq!(out["update"]["Attributes"], json!({"state": {"S": "done"}}));
    assert!(
        out["delete"].get("Attributes").is_none(),
        "{}",
        out["delete"]
    );
    assert_eq!(
        out["error"]["Error"],
        "DynamoDb.ConditionalCheckFailedException"
    );
    let cause = out["error"]["Cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: DynamoDb, Status Code: 400, Request ID: "),
        "{cause}"
    );
    assert_eq!(attempts(&outcome, "Put"), 2);
    assert_eq!(item_count(&services, &table).await, 2);

    // A missing table: DynamoDb.ResourceNotFoundException.
    let definition = machine(
        "Get",
        json!({"Get": failing_task("arn:aws:states:::aws-sdk:dynamodb:getItem", json!({
            "TableName": format!("missing-{}", unique_id()), "Key": {"pk": {"S": "p"}}
        }), "DynamoDB.ResourceNotFoundException", "DynamoDb.ResourceNotFoundException")}),
    );
    let out = succeeded(&run(runner(&services), definition, json!({})).await);
    assert_eq!(out["error"]["Error"], "DynamoDb.ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_an_integration_does_not_accept_fail_with_states_runtime_and_call_nothing() {
    let services = services();
    let table = create_table(&services, false).await;
    let cases = [
        (
            "arn:aws:states:::dynamodb:putItem",
            json!({"TableName": table, "Itemm": {"pk": {"S": "x"}}}),
            "unknown field `Itemm`",
        ),
        (
            "arn:aws:states:::aws-sdk:dynamodb:putItem",
            json!({"TableName": table, "Item": {"pk": {"S": "x"}}, "ReturnValues": 3}),
            "[ReturnValues: invalid type: integer `3`",
        ),
        (
            "arn:aws:states:::dynamodb:putItem",
            json!({"TableName": table, "Item": {"pk": {"Q": "x"}}}),
            "[Item.pk.Q: unknown field `Q`",
        ),
        (
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            json!({"QueueUrl": "http://x", "MessageBody": {"not": "a string"}}),
            "[MessageBody: invalid type: expected a string",
        ),
    ];
    for (resource, parameters, expected) in cases {
        let definition = json!({"StartAt": "Put", "States": {"Put": {
            "Type": "Task", "Resource": resource, "Parameters": parameters,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Swallowed"}], "End": true},
            "Swallowed": {"Type": "Pass", "End": true}}});
        let outcome = run(runner(&services), definition, json!({})).await;
        assert_eq!(outcome.status, Status::Failed, "{resource}");
        let failure = outcome.failure.expect("a failure");
        assert_eq!(failure.error, "States.Runtime", "{resource}");
        assert!(
            failure.cause.contains(expected) && failure.cause.contains("'Put'"),
            "{resource}: {}",
            failure.cause
        );
    }
    assert_eq!(item_count(&services, &table).await, 0);
}

#[tokio::test]
async fn an_integration_sfn_local_does_not_run_is_refused_before_the_run() {
    let services = services();
    for resource in [
        "arn:aws:states:::dynamodb:query",
        "arn:aws:states:::aws-sdk:s3:getObjectAcl",
        "arn:aws:states:::glue:startJobRun.sync",
    ] {
        let machine = codegen::asl::from_value(json!({"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": resource, "End": true}}}))
        .expect("valid ASL");
        let tasks: Arc<dyn TaskRunner> = runner(&services);
        let err = sfn_local::execute(&machine, json!({}), tasks, Options::default())
            .await
            .expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("State \"Call\"")
                && text.contains(resource)
                && text.contains("dynamodb:getItem|putItem|updateItem|deleteItem"),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// SQS, SNS, EventBridge
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_send_message_in_both_families() {
    let services = services();
    let sqs = aws_sdk_sqs::Client::new(&MotoServer::shared().sdk_config());
    let queue = sqs
        .create_queue()
        .queue_name(format!("integrations-{}", unique_id()))
        .send()
        .await
        .expect("create queue");
    let url = queue.queue_url().expect("url").to_string();
    let missing = format!("{}-missing", url);
    let definition = machine(
        "Optimized",
        json!({
            "Optimized": task("arn:aws:states:::sqs:sendMessage", json!({
                "QueueUrl": url, "MessageBody": {"order.$": "$.order"},
                "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "order"}}
            }), "$.optimized", "Sdk"),
            "Sdk": task("arn:aws:states:::aws-sdk:sqs:sendMessage", json!({
                "QueueUrl": url, "MessageBody": "plain text", "DelaySeconds": 0
            }), "$.sdk", "Missing"),
            "Missing": failing_task("arn:aws:states:::sqs:sendMessage", json!({
                "QueueUrl": missing, "MessageBody": "lost"
            }), "Sqs.QueueDoesNotExistException", "SQS.QueueDoesNotExistException"),
        }),
    );
    let outcome = run(runner(&services), definition, json!({"order": 7})).await;
    let out = succeeded(&outcome);
    assert_eq!(
        outcome.states_entered().last().map(String::as_str),
        Some("Caught")
    );
    // The optimized integration sends a JSON body as its text; MD5 of that text.
    let body = "{\"order\":7}";
    assert_eq!(out["optimized"]["MD5OfMessageBody"], md5_hex(body));
    assert!(out["optimized"]["MessageId"].is_string());
    assert!(out["optimized"]["MD5OfMessageAttributes"].is_string());
    assert_eq!(out["optimized"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(
        out["sdk"].get("SdkHttpMetadata").is_none(),
        "{}",
        out["sdk"]
    );
    assert_eq!(out["sdk"]["MD5OfMessageBody"], md5_hex("plain text"));
    assert_eq!(out["error"]["Error"], "SQS.QueueDoesNotExistException");
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let mut bodies: Vec<&str> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    bodies.sort_unstable();
    assert_eq!(bodies, vec!["plain text", body]);
}

/// The lowercase hex MD5 of `text` (what SQS returns as `MD5OfMessageBody`).
fn md5_hex(text: &str) -> String {
    use md5::Digest as _;
    md5::Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_publish_in_both_families() {
    let services = services();
    let sns = aws_sdk_sns::Client::new(&MotoServer::shared().sdk_config());
    let topic = sns
        .create_topic()
        .name(format!("integrations-{}", unique_id()))
        .send()
        .await
        .expect("create topic");
    let arn = topic.topic_arn().expect("arn").to_string();
    let missing = format!("{arn}-missing");
    let definition = machine(
        "Optimized",
        json!({
            "Optimized": task("arn:aws:states:::sns:publish", json!({
                "TopicArn": arn, "Message": {"order": 7}, "Subject": "orders"
            }), "$.optimized", "Sdk"),
            "Sdk": task("arn:aws:states:::aws-sdk:sns:publish", json!({
                "TopicArn": arn, "Message": "plain"
            }), "$.sdk", "Missing"),
            "Missing": failing_task("arn:aws:states:::aws-sdk:sns:publish", json!({
                "TopicArn": missing, "Message": "lost"
            }), "SNS.NotFoundException", "Sns.NotFoundException"),
        }),
    );
    let outcome = run(runner(&services), definition, json!({})).await;
    let out = succeeded(&outcome);
    assert_eq!(
        outcome.states_entered().last().map(String::as_str),
        Some("Caught")
    );
    assert!(out["optimized"]["MessageId"].is_string());
    assert_eq!(out["optimized"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(out["sdk"]["MessageId"].is_string());
    assert_eq!(out["error"]["Error"], "Sns.NotFoundException");
    let cause = out["error"]["Cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: Sns, Status Code: 404, Request ID: "),
        "{cause}"
    );

    // The optimized family's casing for the same error.
    let definition = machine(
        "Missing",
        json!({"Missing": failing_task("arn:aws:states:::sns:publish", json!({
            "TopicArn": format!("{arn}-missing"), "Message": "lost"
        }), "Sns.NotFoundException", "SNS.NotFoundException")}),
    );
    let out = succeeded(&run(runner(&services), definition, json!({})).await);
    assert!(
        out["error"]["Cause"]
            .as_str()
            .unwrap()
            .contains("(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; "),
        "{}",
        out["error"]["Cause"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventbridge_put_events_in_both_families() {
    let services = services();
    let missing_bus = format!("missing-{}", unique_id());
    let entry = |bus: &str| {
        json!({"Source": "stepwise.orders", "DetailType": "OrderPriced",
               "Detail": {"order": 7}, "EventBusName": bus})
    };
    let definition = machine(
        "Optimized",
        json!({
            "Optimized": task("arn:aws:states:::events:putEvents",
                json!({"Entries": [entry("default")]}), "$.optimized", "Sdk"),
            "Sdk": task("arn:aws:states:::aws-sdk:eventbridge:putEvents",
                json!({"Entries": [{"Source": "stepwise.orders", "DetailType": "OrderPriced",
                                    "Detail": "{\"order\":8}"}]}), "$.sdk", "Incomplete"),
            // An entry without Detail is refused entry by entry: the optimized integration
            // fails the task with EventBridge.FailedEntry.
            "Incomplete": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {"Entries": [{"Source": "stepwise.orders", "DetailType": "OrderPriced"}]},
                "Catch": [{"ErrorEquals": ["EventBridge.FailedEntry"], "ResultPath": "$.failed_entry", "Next": "Missing bus"}],
                "End": true},
            "Missing bus": failing_task("arn:aws:states:::aws-sdk:eventbridge:putEvents",
                json!({"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": missing_bus}]}),
                "EventBridge.FailedEntry", "EventBridge.ResourceNotFoundException"),
        }),
    );
    let outcome = run(runner(&services), definition, json!({})).await;
    let out = succeeded(&outcome);
    assert_eq!(
        outcome.states_entered().last().map(String::as_str),
        Some("Caught")
    );
    assert_eq!(out["optimized"]["FailedEntryCount"], 0);
    assert!(out["optimized"]["Entries"][0]["EventId"].is_string());
    assert_eq!(out["sdk"]["FailedEntryCount"], 0);
    assert_eq!(out["failed_entry"]["Error"], "EventBridge.FailedEntry");
    let cause: Value =
        serde_json::from_str(out["failed_entry"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["FailedEntryCount"], 1);
    assert_eq!(
        out["error"]["Error"],
        "EventBridge.ResourceNotFoundException"
    );
    assert!(cause["Entries"][0]["ErrorCode"].is_string(), "{cause}");
}

// ---------------------------------------------------------------------------------------
// Lambda
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_invoke_runs_a_registry_activity_by_any_function_name() {
    let services = services();
    let line = json!({"sku": "A-1", "quantity": 2, "unit_price_cents": 150});
    let definition = machine(
        "By ARN",
        json!({
            "By ARN": task("arn:aws:states:::lambda:invoke", json!({
                "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:PriceLine:live",
                "Payload.$": "$.line"
            }), "$.by_arn", "By name"),
            "By name": task("arn:aws:states:::lambda:invoke", json!({
                "FunctionName": "PriceLine", "Payload.$": "$.line"
            }), "$.by_name", "Too generous"),
            "Too generous": failing_task("arn:aws:states:::lambda:invoke", json!({
                "FunctionName": "123456789012:function:PriceLine",
                "Payload": {"sku": "A-1", "quantity": 1, "unit_price_cents": 100, "discount_percent": 95}
            }), "Lambda.Unknown", "DiscountTooHigh"),
        }),
    );
    let outcome = run(runner(&services), definition, json!({"line": line})).await;
    let out = succeeded(&outcome);
    assert_eq!(
        outcome.states_entered().last().map(String::as_str),
        Some("Caught")
    );
    assert_eq!(
        out["by_arn"],
        json!({"ExecutedVersion": "live", "StatusCode": 200,
               "Payload": {"sku": "A-1", "quantity": 2, "line_total_cents": 300}})
    );
    assert_eq!(out["by_name"]["ExecutedVersion"], "$LATEST");
    assert_eq!(out["error"]["Error"], "DiscountTooHigh");
    let cause: Value = serde_json::from_str(out["error"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["errorType"], "DiscountTooHigh");
    assert!(
        cause["errorMessage"]
            .as_str()
            .unwrap()
            .contains("95 % discount"),
        "{cause}"
    );

    // No such activity and no Lambda endpoint: Lambda.ResourceNotFoundException.
    let definition = machine(
        "Nobody",
        json!({"Nobody": failing_task("arn:aws:states:::lambda:invoke",
            json!({"FunctionName": "NoSuchFunction", "Payload": {}}),
            "States.Runtime", "Lambda.ResourceNotFoundException")}),
    );
    let out = succeeded(&run(runner(&services), definition, json!({})).await);
    assert!(
        out["error"]["Cause"]
            .as_str()
            .unwrap()
            .contains("NoSuchFunction"),
        "{}",
        out["error"]
    );
}

/// A Lambda Invoke endpoint on 127.0.0.1: `echo` returns its payload, `boom` fails with
/// an `errorType`, `silent` fails without one, anything else is not found.
async fn lambda_endpoint() -> String {
    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::Path;
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use axum::routing::post;

    async fn invoke(Path(name): Path<String>, body: Bytes) -> (StatusCode, HeaderMap, Bytes) {
        let mut headers = HeaderMap::new();
        headers.insert("x-amzn-requestid", HeaderValue::from_static("req-1"));
        headers.insert(
            "x-amz-executed-version",
            HeaderValue::from_static("$LATEST"),
        );
        match name.as_str() {
            "echo" => (StatusCode::OK, headers, body),
            "boom" => {
                headers.insert(
                    "x-amz-function-error",
                    HeaderValue::from_static("Unhandled"),
                );
                let payload = json!({"errorType": "Boom", "errorMessage": "it broke"});
                (StatusCode::OK, headers, Bytes::from(payload.to_string()))
            }
            "silent" => {
                headers.insert(
                    "x-amz-function-error",
                    HeaderValue::from_static("Unhandled"),
                );
                (
                    StatusCode::OK,
                    headers,
                    Bytes::from_static(b"{\"errorMessage\":\"killed\"}"),
                )
            }
            _ => {
                headers.insert(
                    "x-amzn-errortype",
                    HeaderValue::from_static("ResourceNotFoundException"),
                );
                let payload =
                    json!({"Type": "User", "message": format!("Function not found: {name}")});
                (
                    StatusCode::NOT_FOUND,
                    headers,
                    Bytes::from(payload.to_string()),
                )
            }
        }
    }

    let app = Router::new().route("/2015-03-31/functions/{name}/invocations", post(invoke));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_invoke_calls_a_lambda_endpoint_for_functions_the_registry_lacks() {
    let services = services();
    let endpoint = lambda_endpoint().await;
    let tasks = || {
        let registry = Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone()));
        Arc::new(ServiceTasks::new(registry, services.clone()).with_lambda_endpoint(&endpoint))
    };
    let definition = machine(
        "Echo",
        json!({
            "Echo": task("arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "echo", "Payload": {"hello.$": "$.who"}}), "$.echo", "Boom"),
            "Boom": failing_task("arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "boom", "Payload": {}}), "Lambda.Unknown", "Boom"),
        }),
    );
    let out = succeeded(&run(tasks(), definition, json!({"who": "world"})).await);
    assert_eq!(out["echo"]["Payload"], json!({"hello": "world"}));
    assert_eq!(out["echo"]["StatusCode"], 200);
    assert_eq!(out["echo"]["ExecutedVersion"], "$LATEST");
    assert_eq!(out["echo"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert_eq!(out["echo"]["SdkResponseMetadata"]["RequestId"], "req-1");
    assert_eq!(out["error"]["Error"], "Boom");
    assert_eq!(
        serde_json::from_str::<Value>(out["error"]["Cause"].as_str().unwrap()).unwrap(),
        json!({"errorType": "Boom", "errorMessage": "it broke"})
    );

    let definition = machine(
        "Silent",
        json!({
            "Silent": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "silent", "Payload": {}},
                "Catch": [{"ErrorEquals": ["Lambda.Unknown"], "ResultPath": "$.unknown", "Next": "Missing"}],
                "End": true},
            "Missing": failing_task("arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "missing", "Payload": {}}),
                "Lambda.Unknown", "Lambda.ResourceNotFoundException"),
        }),
    );
    let out = succeeded(&run(tasks(), definition, json!({})).await);
    assert_eq!(out["unknown"]["Error"], "Lambda.Unknown");
    assert_eq!(out["error"]["Error"], "Lambda.ResourceNotFoundException");
    let cause = out["error"]["Cause"].as_str().unwrap();
    assert!(
        cause.contains("Function not found: missing (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: req-1; Proxy: null)"),
        "{cause}"
    );
}

// ---------------------------------------------------------------------------------------
// S3, SSM, Step Functions, S3 Vectors
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_objects_through_the_sdk_integration() {
    let services = services();
    let bucket = format!("integrations-{}", unique_id());
    services
        .aws
        .s3()
        .await
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let s3 = |action: &str| format!("arn:aws:states:::aws-sdk:s3:{action}");
    let definition = machine(
        "Put",
        json!({
            "Put": task(&s3("putObject"), json!({"Bucket": bucket, "Key": "in/a.json",
                "Body": {"total": 300}, "ContentType": "application/json"}), "$.put", "Get"),
            "Get": task(&s3("getObject"), json!({"Bucket": bucket, "Key": "in/a.json"}), "$.get", "Head"),
            "Head": task(&s3("headObject"), json!({"Bucket": bucket, "Key": "in/a.json"}), "$.head", "Copy"),
            "Copy": task(&s3("copyObject"), json!({"Bucket": bucket, "Key": "out/a.json",
                "CopySource": format!("{bucket}/in/a.json")}), "$.copy", "List"),
            "List": task(&s3("listObjectsV2"), json!({"Bucket": bucket, "Prefix": "out/"}), "$.list", "Delete"),
            "Delete": task(&s3("deleteObject"), json!({"Bucket": bucket, "Key": "in/a.json"}), "$.delete", "Gone"),
            "Gone": failing_task(&s3("getObject"), json!({"Bucket": bucket, "Key": "in/a.json"}),
                "S3.NoSuchKey", "S3.NoSuchKeyException"),
        }),
    );
    let outcome = run(runner(&services), definition, json!({})).await;
    let out = succeeded(&outcome);
    assert_eq!(
        outcome.states_entered().last().map(String::as_str),
        Some("Caught")
    );
    assert!(out["put"]["ETag"].is_string());
    assert_eq!(out["get"]["Body"], "{\"total\":300}");
    assert_eq!(out["get"]["ContentType"], "application/json");
    assert_eq!(out["get"]["ContentLength"], 13);
    assert_eq!(out["head"]["ContentLength"], 13);
    assert_eq!(out["head"]["ETag"], out["put"]["ETag"]);
    assert!(out["copy"]["CopyObjectResult"]["ETag"].is_string());
    assert_eq!(out["list"]["KeyCount"], 1);
    assert_eq!(out["list"]["Contents"][0]["Key"], "out/a.json");
    assert_eq!(out["list"]["Contents"][0]["Size"], 13);
    assert_eq!(out["error"]["Error"], "S3.NoSuchKeyException");
    let cause = out["error"]["Cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: S3, Status Code: 404, Request ID: "),
        "{cause}"
    );
    assert_eq!(attempts(&outcome, "Gone"), 2);

    // HEAD has no body: the status names the error.
    let definition = machine(
        "Head",
        json!({"Head": failing_task(&s3("headObject"), json!({"Bucket": bucket, "Key": "nothing"}),
            "S3.NoSuchKeyException", "S3.NotFoundException")}),
    );
    let out = succeeded(&run(runner(&services), definition, json!({})).await);
    assert_eq!(out["error"]["Error"], "S3.NotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssm_get_parameter_and_a_missing_one() {
    let services = services();
    let name = stepwise_tests::unique_name("integrations");
    services
        .aws
        .ssm()
        .await
        .put_parameter()
        .name(&name)
        .value("{\"bucket\":\"b\"}")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .expect("put parameter");
    let definition = machine(
        "Get",
        json!({
            "Get": task("arn:aws:states:::aws-sdk:ssm:getParameter", json!({"Name": name}), "$.got", "Missing"),
            "Missing": failing_task("arn:aws:states:::aws-sdk:ssm:getParameter",
                json!({"Name": format!("{name}/missing"), "WithDecryption": true}),
                "SSM.ParameterNotFoundException", "Ssm.ParameterNotFoundException"),
        }),
    );
    let out = succeeded(&run(runner(&services), definition, json!({})).await);
    assert_eq!(out["got"]["Parameter"]["Value"], "{\"bucket\":\"b\"}");
    assert_eq!(out["got"]["Parameter"]["Name"], name.as_str());
    assert_eq!(out["got"]["Parameter"]["Type"], "String");
    assert_eq!(out["got"]["Parameter"]["Version"], 1);
    assert_eq!(out["error"]["Error"], "Ssm.ParameterNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_functions_start_and_describe_through_the_sdk_integration() {
    let services = services();
    let sfn = aws_sdk_sfn::Client::new(&MotoServer::shared().sdk_config());
    let created = sfn
        .create_state_machine()
        .name(format!("integrations-{}", unique_id()))
        .definition(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string(),
        )
        .role_arn("arn:aws:iam::123456789012:role/x")
        .send()
        .await
        .expect("create state machine");
    let arn = created.state_machine_arn().to_string();
    let definition = machine(
        "Start",
        json!({
            "Start": task("arn:aws:states:::aws-sdk:sfn:startExecution", json!({
                "StateMachineArn": arn, "Name": "child-1", "Input.$": "States.JsonToString($.child)"
            }), "$.started", "Describe"),
            "Describe": task("arn:aws:states:::aws-sdk:sfn:describeExecution", json!({
                "ExecutionArn.$": "$.started.ExecutionArn"
            }), "$.described", "Missing"),
            "Missing": failing_task("arn:aws:states:::aws-sdk:sfn:describeExecution", json!({
                "ExecutionArn": format!("{}:missing", arn.replace(":stateMachine:", ":execution:"))
            }), "States.ExecutionDoesNotExist", "Sfn.ExecutionDoesNotExistException"),
        }),
    );
    let out = succeeded(&run(runner(&services), definition, json!({"child": {"n": 1}})).await);
    let execution = out["started"]["ExecutionArn"].as_str().unwrap();
    assert!(execution.ends_with(":child-1"), "{execution}");
    assert!(out["started"]["StartDate"].is_string());
    assert_eq!(out["described"]["ExecutionArn"], execution);
    assert_eq!(out["described"]["StateMachineArn"], arn.as_str());
    assert_eq!(out["described"]["Input"], "{\"n\":1}");
    assert!(out["described"]["Status"].is_string());
    assert_eq!(out["error"]["Error"], "Sfn.ExecutionDoesNotExistException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_vectors_put_get_and_query() {
    let services = services();
    let vectors = aws_sdk_s3vectors::Client::new(&MotoServer::shared().sdk_config());
    let bucket = format!("integrations-{}", unique_id());
    vectors
        .create_vector_bucket()
        .vector_bucket_name(&bucket)
        .send()
        .await
        .expect("create vector bucket");
    vectors
        .create_index()
        .vector_bucket_name(&bucket)
        .index_name("products")
        .data_type(aws_sdk_s3vectors::types::DataType::Float32)
        .dimension(3)
        .distance_metric(aws_sdk_s3vectors::types::DistanceMetric::Euclidean)
        .send()
        .await
        .expect("create index");
    let v = |action: &str| format!("arn:aws:states:::aws-sdk:s3vectors:{action}");
    let definition = machine(
        "Put",
        json!({
            "Put": task(&v("putVectors"), json!({"VectorBucketName": bucket, "IndexName": "products",
                "Vectors": [
                    {"Key": "a", "Data": {"Float32": [1.0, 0.0, 0.0]}, "Metadata": {"sku": "A-1"}},
                    {"Key": "b", "Data": {"Float32": [0.0, 1.0, 0.0]}, "Metadata": {"sku": "B-2"}}
                ]}), "$.put", "Get"),
            "Get": task(&v("getVectors"), json!({"VectorBucketName": bucket, "IndexName": "products",
                "Keys": ["a"], "ReturnData": true, "ReturnMetadata": true}), "$.get", "Missing"),
            "Missing": failing_task(&v("getVectors"), json!({"VectorBucketName": bucket,
                "IndexName": "missing", "Keys": ["a"]}),
                "S3vectors.NotFoundException", "S3Vectors.NotFoundException"),
        }),
    );
    let out = succeeded(&run(runner(&services), definition, json!({})).await);
    assert_eq!(out["put"], json!({}));
    assert_eq!(
        out["get"]["Vectors"],
        json!([{"Data": {"Float32": [1.0, 0.0, 0.0]}, "Key": "a", "Metadata": {"sku": "A-1"}}])
    );
    assert_eq!(out["error"]["Error"], "S3Vectors.NotFoundException");
}

/// An S3 Vectors `QueryVectors` endpoint on 127.0.0.1 (moto 5.2.5 has no QueryVectors):
/// it records each request body and answers index `products` with one match, any other
/// index with NotFoundException.
async fn query_vectors_endpoint() -> (String, Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::Router;
    use axum::extract::State;
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use axum::routing::post;

    type Seen = Arc<std::sync::Mutex<Vec<Value>>>;
    async fn query(
        State(seen): State<Seen>,
        body: axum::body::Bytes,
    ) -> (StatusCode, HeaderMap, String) {
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let index = request["indexName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        seen.lock().expect("lock").push(request);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-amz-request-id", HeaderValue::from_static("req-v"));
        if index == "products" {
            let answer = json!({"distanceMetric": "euclidean",
                "vectors": [{"key": "a", "distance": 0.25, "metadata": {"sku": "A-1"}}]});
            (StatusCode::OK, headers, answer.to_string())
        } else {
            headers.insert(
                "x-amzn-errortype",
                HeaderValue::from_static("NotFoundException"),
            );
            (
                StatusCode::NOT_FOUND,
                headers,
                json!({"message": "The specified index could not be found"}).to_string(),
            )
        }
    }

    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/QueryVectors", post(query))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_vectors_query_sends_the_request_and_shapes_the_answer() {
    let (endpoint, seen) = query_vectors_endpoint().await;
    let config = MotoServer::shared()
        .sdk_config()
        .into_builder()
        .endpoint_url(endpoint)
        .build();
    let services = Services::with_aws(Aws::with_config(config));
    let v = "arn:aws:states:::aws-sdk:s3vectors:queryVectors";
    let definition = machine(
        "Query",
        json!({
            "Query": task(v, json!({"VectorBucketName": "vectors", "IndexName": "products",
                "TopK": 1, "QueryVector": {"Float32": [0.5, 0.25, 0.0]},
                "Filter": {"sku": {"$eq": "A-1"}}, "ReturnMetadata": true, "ReturnDistance": true}),
                "$.query", "Missing"),
            "Missing": failing_task(v, json!({"VectorBucketName": "vectors", "IndexName": "gone",
                "TopK": 1, "QueryVector": {"Float32": [0.5, 0.25, 0.0]}}),
                "S3vectors.NotFoundException", "S3Vectors.NotFoundException"),
        }),
    );
    let out = succeeded(&run(runner(&services), definition, json!({})).await);
    assert_eq!(
        out["query"],
        json!({"DistanceMetric": "euclidean",
               "Vectors": [{"Distance": 0.25, "Key": "a", "Metadata": {"sku": "A-1"}}]})
    );
    assert_eq!(out["error"]["Error"], "S3Vectors.NotFoundException");
    assert_eq!(
        out["error"]["Cause"],
        "The specified index could not be found (Service: S3Vectors, Status Code: 404, Request ID: req-v)"
    );
    let requests = seen.lock().expect("lock").clone();
    assert_eq!(
        requests[0],
        json!({"vectorBucketName": "vectors", "indexName": "products", "topK": 1,
               "queryVector": {"float32": [0.5, 0.25, 0.0]}, "filter": {"sku": {"$eq": "A-1"}},
               "returnMetadata": true, "returnDistance": true})
    );
}
