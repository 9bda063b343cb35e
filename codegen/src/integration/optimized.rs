//! Results of the optimized integrations (`arn:aws:states:::service:action`), as the AWS
//! Step Functions developer guide documents them (and as recorded executions on AWS show
//! them): the DynamoDB, Lambda, SQS, SNS and `startExecution` request-response results
//! carry the Java SDK's `SdkHttpMetadata`/`SdkResponseMetadata`; EventBridge's does not;
//! `startExecution.sync` returns `DescribeExecution`'s fields with `Input`/`Output` as
//! JSON strings, `.sync:2` with them as JSON.

use serde_json::{Value, json};

use super::Pattern;
use super::schema::{
    any, array, boolean, integer, item, java_sdk_metadata, java_sdk_metadata_example, merge,
    object, string, with_example,
};

const REQUEST_ID: &str = "2SFSN3N8L6HMO2JVQ4JTA5BT2RVV4KQNSO5AEMVJF66Q9ASUAAJG";
const EXECUTION_ARN: &str =
    "arn:aws:states:us-east-1:123456789012:execution:child:5f2a4a4e-9f3b-4a8e-9d31-1c8e0d2b7a10";
const STATE_MACHINE_ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:child";

/// The result schema of an optimized integration, when known.
pub(super) fn result(service: &str, action: &str, pattern: Pattern) -> Option<Value> {
    match (service, action, pattern) {
        ("dynamodb", "getItem", Pattern::RequestResponse) => Some(dynamodb_get_item()),
        ("dynamodb", "putItem" | "updateItem" | "deleteItem", Pattern::RequestResponse) => {
            Some(dynamodb_write())
        }
        ("lambda", "invoke", Pattern::RequestResponse) => Some(lambda_invoke()),
        ("sqs", "sendMessage", Pattern::RequestResponse) => Some(sqs_send_message()),
        ("sns", "publish", Pattern::RequestResponse) => Some(sns_publish()),
        ("events", "putEvents", Pattern::RequestResponse) => Some(events_put_events()),
        ("states", "startExecution", Pattern::RequestResponse) => Some(start_execution()),
        ("states", "startExecution", Pattern::Sync) => Some(describe_execution(false)),
        ("states", "startExecution", Pattern::Sync2) => Some(describe_execution(true)),
        _ => None,
    }
}

/// DynamoDB's `ConsumedCapacity` (with `ReturnConsumedCapacity`).
fn consumed_capacity() -> Value {
    object(
        &[("TableName", string())],
        &[
            ("CapacityUnits", any()),
            ("ReadCapacityUnits", any()),
            ("WriteCapacityUnits", any()),
        ],
    )
}

fn with_metadata(required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let mut all: Vec<(&str, Value)> = required.to_vec();
    all.extend(java_sdk_metadata());
    object(&all, optional)
}

fn dynamodb_get_item() -> Value {
    let schema = with_metadata(
        &[],
        &[("Item", item()), ("ConsumedCapacity", consumed_capacity())],
    );
    let example = merge(
        json!({"Item": {"pk": {"S": "order#1042"}, "status": {"S": "CLAIMED"}, "attempts": {"N": "1"}}}),
        java_sdk_metadata_example(REQUEST_ID, 88),
    );
    with_example(schema, example)
}

/// PutItem, UpdateItem and DeleteItem: `Attributes` only with `ReturnValues`.
fn dynamodb_write() -> Value {
    let schema = with_metadata(
        &[],
        &[
            ("Attributes", item()),
            ("ConsumedCapacity", consumed_capacity()),
            ("ItemCollectionMetrics", any()),
        ],
    );
    with_example(
        schema,
        merge(json!({}), java_sdk_metadata_example(REQUEST_ID, 2)),
    )
}

fn lambda_invoke() -> Value {
    let schema = with_metadata(
        &[("Payload", any()), ("StatusCode", integer())],
        &[("ExecutedVersion", string()), ("LogResult", string())],
    );
    let example = merge(
        json!({"ExecutedVersion": "$LATEST", "Payload": {"ok": true}, "StatusCode": 200}),
        java_sdk_metadata_example("8e0cd6e2-6f5b-4d5c-9b0f-2a4c1b7e3d91", 11),
    );
    with_example(schema, example)
}

fn sqs_send_message() -> Value {
    let schema = with_metadata(
        &[("MD5OfMessageBody", string()), ("MessageId", string())],
        &[
            ("MD5OfMessageAttributes", string()),
            ("MD5OfMessageSystemAttributes", string()),
            ("SequenceNumber", string()),
        ],
    );
    let example = merge(
        json!({
            "MD5OfMessageBody": "4c1a3c5e3a2b1f0e9d8c7b6a59483726",
            "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274"
        }),
        java_sdk_metadata_example("a4b2c9e1-7d3f-5e6a-8b9c-0d1e2f3a4b5c", 106),
    );
    with_example(schema, example)
}

fn sns_publish() -> Value {
    let schema = with_metadata(&[("MessageId", string())], &[("SequenceNumber", string())]);
    let example = merge(
        json!({"MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e"}),
        java_sdk_metadata_example("f187a3c1-376f-11df-8963-01868b7c937a", 294),
    );
    with_example(schema, example)
}

fn events_put_events() -> Value {
    let entry = object(
        &[],
        &[
            ("EventId", string()),
            ("ErrorCode", string()),
            ("ErrorMessage", string()),
        ],
    );
    let schema = object(
        &[("Entries", array(entry)), ("FailedEntryCount", integer())],
        &[],
    );
    let example = json!({
        "Entries": [{"EventId": "11710aed-b79e-4468-a20b-bb3c0c3b4860"}],
        "FailedEntryCount": 0
    });
    with_example(schema, example)
}

fn start_execution() -> Value {
    let schema = with_metadata(&[("ExecutionArn", string()), ("StartDate", any())], &[]);
    let example = merge(
        json!({"ExecutionArn": EXECUTION_ARN, "StartDate": 1767236400123_i64}),
        java_sdk_metadata_example(REQUEST_ID, 160),
    );
    with_example(schema, example)
}

/// `startExecution.sync` (`json_output` false: `Input`/`Output` are JSON strings) and
/// `.sync:2` (they are JSON). The Task succeeds only when the child did, so `Output` is
/// always there.
fn describe_execution(json_output: bool) -> Value {
    let data = if json_output { any() } else { string() };
    let details = object(&[("Included", boolean())], &[]);
    let schema = object(
        &[
            ("ExecutionArn", string()),
            ("Input", data.clone()),
            ("Name", string()),
            ("Output", data),
            ("StartDate", any()),
            ("StateMachineArn", string()),
            ("Status", string()),
            ("StopDate", any()),
        ],
        &[
            ("InputDetails", details.clone()),
            ("OutputDetails", details),
            ("RedriveCount", integer()),
            ("RedriveStatus", string()),
            ("RedriveStatusReason", string()),
            ("TraceHeader", string()),
            ("StateMachineVersionArn", string()),
            ("StateMachineAliasArn", string()),
            ("MapRunArn", string()),
            ("Error", string()),
            ("Cause", string()),
        ],
    );
    let (input, output) = if json_output {
        (json!({"order_id": "1042"}), json!({"status": "DONE"}))
    } else {
        (
            json!("{\"order_id\":\"1042\"}"),
            json!("{\"status\":\"DONE\"}"),
        )
    };
    let example = json!({
        "ExecutionArn": EXECUTION_ARN,
        "Input": input,
        "InputDetails": {"Included": true},
        "Name": "5f2a4a4e-9f3b-4a8e-9d31-1c8e0d2b7a10",
        "Output": output,
        "OutputDetails": {"Included": true},
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
        "StartDate": 1767236400123_i64,
        "StateMachineArn": STATE_MACHINE_ARN,
        "Status": "SUCCEEDED",
        "StopDate": 1767236401456_i64
    });
    with_example(schema, example)
}
