//! Each constructor's Task against the form the AWS Step Functions developer guide
//! documents for the integration (resource ARN and PascalCase Parameters), and the
//! problems `compile` reports for misuse.

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use stepwise_contract::ActivityDef;

use super::*;
use crate::builder::{Chain, Task, compile, task};

/// The Task as compiled into a one-state machine: its ASL without `End`.
fn emitted(task: Task) -> Value {
    let name = task.name.clone();
    let machine = compile(Chain::start(task)).unwrap_or_else(|p| panic!("{p:?}"));
    let mut state = machine.to_value()["States"][&name].clone();
    state.as_object_mut().unwrap().remove("End");
    state
}

/// What `compile` reports for a one-Task chain.
fn problems(task: Task) -> Vec<String> {
    match compile(Chain::start(task)) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn dynamodb_put_item_as_documented() {
    let t = dynamodb::put_item(
        "Put",
        dynamodb::PutItem::new("MyDynamoDBTable", json!({"Column": {"S.$": "$.myValue"}})),
    );
    assert_eq!(
        emitted(t),
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
               "Parameters": {"TableName": "MyDynamoDBTable", "Item": {"Column": {"S.$": "$.myValue"}}}})
    );
}

#[test]
fn dynamodb_conditional_put_returns_the_item_on_conflict() {
    let t = dynamodb::put_item(
        "Claim",
        dynamodb::PutItem::new(Arg::path("$.table"), json!({"pk": {"S.$": "$.event_id"}}))
            .condition("attribute_not_exists(pk) OR #exp < :now")
            .with(
                json!({"#exp": "expires_at"}),
                json!({":now": {"N.$": "States.Format('{}', $.now)"}}),
            )
            .return_item_on_condition_failure()
            .return_values(dynamodb::ReturnOld::AllOld),
    );
    assert_eq!(
        emitted(t)["Parameters"],
        json!({
            "TableName.$": "$.table",
            "Item": {"pk": {"S.$": "$.event_id"}},
            "ConditionExpression": "attribute_not_exists(pk) OR #exp < :now",
            "ExpressionAttributeNames": {"#exp": "expires_at"},
            "ExpressionAttributeValues": {":now": {"N.$": "States.Format('{}', $.now)"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "ReturnValues": "ALL_OLD"
        })
    );
}

#[test]
fn dynamodb_get_update_delete_as_documented() {
    let key = json!({"Column": {"S": "MyEntry"}});
    let get = dynamodb::get_item(
        "Get",
        dynamodb::GetItem::new("MyDynamoDBTable", key.clone()),
    );
    assert_eq!(
        emitted(get),
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
               "Parameters": {"TableName": "MyDynamoDBTable", "Key": {"Column": {"S": "MyEntry"}}}})
    );
    let update = dynamodb::update_item(
        "Update",
        dynamodb::UpdateItem::new("MyDynamoDBTable", key.clone(), "SET MyKey = :myValueRef")
            .values(json!({":myValueRef": {"S": "MyValue"}}))
            .return_values(dynamodb::ReturnValues::UpdatedNew),
    );
    assert_eq!(
        emitted(update),
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
               "Parameters": {"TableName": "MyDynamoDBTable", "Key": {"Column": {"S": "MyEntry"}},
                              "UpdateExpression": "SET MyKey = :myValueRef",
                              "ExpressionAttributeValues": {":myValueRef": {"S": "MyValue"}},
                              "ReturnValues": "UPDATED_NEW"}})
    );
    let delete = dynamodb::delete_item("Delete", dynamodb::DeleteItem::new("MyDynamoDBTable", key));
    assert_eq!(
        emitted(delete),
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:deleteItem",
               "Parameters": {"TableName": "MyDynamoDBTable", "Key": {"Column": {"S": "MyEntry"}}}})
    );
}

#[test]
fn dynamodb_query_and_batch_write_use_the_sdk_integration() {
    let q = dynamodb::query(
        "Sales of the day",
        dynamodb::Query::new(
            "sales",
            "pk = :pk AND begins_with(sk, :day)",
            json!({":pk": {"S.$": "$.tenant"}, ":day": {"S.$": "$.day"}}),
        )
        .index("GSI2")
        .limit(100),
    );
    assert_eq!(
        emitted(q),
        json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:query",
               "Parameters": {"TableName": "sales", "KeyConditionExpression": "pk = :pk AND begins_with(sk, :day)",
                              "ExpressionAttributeValues": {":pk": {"S.$": "$.tenant"}, ":day": {"S.$": "$.day"}},
                              "IndexName": "GSI2", "Limit": 100}})
    );
    let batch = dynamodb::batch_write_item(
        "Write batch",
        dynamodb::BatchWriteItem {
            request_items: Arg::path("$.batch"),
        },
    );
    assert_eq!(
        emitted(batch),
        json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:batchWriteItem",
               "Parameters": {"RequestItems.$": "$.batch"}})
    );
    let too_many: Vec<Value> = (0..26)
        .map(|i| json!({"DeleteRequest": {"Key": {"pk": {"S": i.to_string()}}}}))
        .collect();
    let over = dynamodb::batch_write_item(
        "Write batch",
        dynamodb::BatchWriteItem {
            request_items: json!({"sales": too_many}).into(),
        },
    );
    assert_eq!(
        problems(over),
        vec![
            r#"State "Write batch": Parameters.RequestItems: must map table names to 1 to 25 write requests in all"#
        ]
    );
    assert_eq!(
        problems(dynamodb::query(
            "Q",
            dynamodb::Query::new("t", "pk = :pk", json!({})).limit(0)
        )),
        vec![r#"State "Q": Parameters.Limit: must be at least 1"#]
    );
}

#[test]
fn s3_object_actions_use_the_sdk_integration() {
    let cases = [
        (
            s3::get_object("A", s3::GetObject::new("my-bucket", Arg::path("$.key"))),
            "getObject",
            json!({"Bucket": "my-bucket", "Key.$": "$.key"}),
        ),
        (
            s3::head_object("A", s3::GetObject::new("my-bucket", "a.json")),
            "headObject",
            json!({"Bucket": "my-bucket", "Key": "a.json"}),
        ),
        (
            s3::put_object(
                "A",
                s3::PutObject::new("my-bucket", "a.json", Arg::path("$.doc"))
                    .content_type("application/json"),
            ),
            "putObject",
            json!({"Bucket": "my-bucket", "Key": "a.json", "Body.$": "$.doc", "ContentType": "application/json"}),
        ),
        (
            s3::delete_object("A", s3::DeleteObject::new("my-bucket", "a.json")),
            "deleteObject",
            json!({"Bucket": "my-bucket", "Key": "a.json"}),
        ),
        (
            s3::list_objects_v2(
                "A",
                s3::ListObjectsV2::new("my-bucket")
                    .prefix("exports/")
                    .max_keys(1000)
                    .continuation_token(Arg::path("$.listing.NextContinuationToken")),
            ),
            "listObjectsV2",
            json!({"Bucket": "my-bucket", "Prefix": "exports/", "MaxKeys": 1000,
                "ContinuationToken.$": "$.listing.NextContinuationToken"}),
        ),
        (
            s3::copy_object(
                "A",
                s3::CopyObject::new("archive", "a.json", "my-bucket/a.json"),
            ),
            "copyObject",
            json!({"Bucket": "archive", "Key": "a.json", "CopySource": "my-bucket/a.json"}),
        ),
    ];
    for (t, action, parameters) in cases {
        assert_eq!(
            emitted(t),
            json!({"Type": "Task", "Resource": format!("arn:aws:states:::aws-sdk:s3:{action}"), "Parameters": parameters})
        );
    }
    assert_eq!(
        problems(s3::list_objects_v2(
            "L",
            s3::ListObjectsV2::new("b").max_keys(1001)
        )),
        vec![r#"State "L": Parameters.MaxKeys: must be 1 to 1000"#]
    );
}

#[test]
fn sqs_send_message_as_documented() {
    let mut request = sqs::SendMessage::new(
        "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
        Arg::path("$.input.message"),
    );
    request.message_attributes = Some(json!({
        "my_attribute_no_1": {"DataType": "String", "StringValue": "attribute1"},
        "my_attribute_no_2": {"DataType": "String", "StringValue": "attribute2"}
    }));
    assert_eq!(
        emitted(sqs::send_message("Send message to SQS", request)),
        json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
            "MessageBody.$": "$.input.message",
            "MessageAttributes": {
                "my_attribute_no_1": {"DataType": "String", "StringValue": "attribute1"},
                "my_attribute_no_2": {"DataType": "String", "StringValue": "attribute2"}
            }}})
    );
    let late = sqs::send_message("Late", sqs::SendMessage::new("q", "hi").delay_seconds(901));
    assert_eq!(
        problems(late),
        vec![r#"State "Late": Parameters.DelaySeconds: must be 0 to 900"#]
    );
    let fifo = sqs::send_message(
        "Fifo",
        sqs::SendMessage::new("q.fifo", "hi")
            .fifo(Arg::path("$.tenant"), Arg::path("$.id"))
            .delay_seconds(0),
    );
    assert_eq!(
        emitted(fifo)["Parameters"],
        json!({"QueueUrl": "q.fifo", "MessageBody": "hi", "DelaySeconds": 0,
               "MessageGroupId.$": "$.tenant", "MessageDeduplicationId.$": "$.id"})
    );
}

#[test]
fn sns_publish_as_documented() {
    let t = sns::publish(
        "Send message to SNS",
        sns::Publish::to_topic(
            "arn:aws:sns:us-east-1:123456789012:myTopic",
            Arg::path("$.input.message"),
        )
        .subject("Order"),
    );
    assert_eq!(
        emitted(t),
        json!({"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
               "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:myTopic",
                              "Message.$": "$.input.message", "Subject": "Order"}})
    );
    let sms = sns::publish(
        "Text",
        sns::Publish::new(sns::Target::Phone("+15555550100".into()), "hi"),
    );
    assert_eq!(
        emitted(sms)["Parameters"],
        json!({"PhoneNumber": "+15555550100", "Message": "hi"})
    );
}

#[test]
fn events_put_events_as_documented() {
    let t = events::put_events(
        "Send an EventBridge custom event",
        events::PutEvents {
            entries: vec![
                events::Entry::new("my.source", "MyDetailType", json!({"Message": "MyMessage"}))
                    .bus("MyEventBus"),
            ],
        },
    );
    assert_eq!(
        emitted(t),
        json!({"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
               "Parameters": {"Entries": [{"Detail": {"Message": "MyMessage"}, "DetailType": "MyDetailType",
                                           "Source": "my.source", "EventBusName": "MyEventBus"}]}})
    );
    let entry = events::Entry::new("s", "t", json!({}));
    assert_eq!(
        problems(events::put_events(
            "None",
            events::PutEvents { entries: vec![] }
        )),
        vec![r#"State "None": Parameters.Entries: 0 entries, PutEvents takes 1 to 10"#]
    );
    assert_eq!(
        problems(events::put_events(
            "Many",
            events::PutEvents {
                entries: vec![entry; 11]
            }
        )),
        vec![r#"State "Many": Parameters.Entries: 11 entries, PutEvents takes 1 to 10"#]
    );
}

#[test]
fn lambda_invoke_as_documented_and_retried_like_an_activity() {
    let t = lambda::invoke(
        "CallLambda",
        lambda::Invoke::new(
            "arn:aws:lambda:us-east-1:123456789012:function:MyFunction",
            Arg::path("$"),
        ),
    );
    let state = emitted(t);
    assert_eq!(state["Resource"], "arn:aws:states:::lambda:invoke");
    assert_eq!(
        state["Parameters"],
        json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:MyFunction", "Payload.$": "$"})
    );
    assert_eq!(
        state["Retry"][0]["ErrorEquals"],
        json!([
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
            "Lambda.ClientExecutionTimeoutException"
        ])
    );
    let event = lambda::invoke(
        "Hello",
        lambda::Invoke {
            payload: None,
            ..lambda::Invoke::new("echo", json!({}))
        }
        .invocation_type(lambda::InvocationType::Event),
    );
    assert_eq!(
        emitted(event)["Parameters"],
        json!({"FunctionName": "echo", "InvocationType": "Event"})
    );
}

#[test]
fn wait_for_task_token_as_documented() {
    let review = lambda::invoke(
        "GetManualReview",
        lambda::Invoke::new(
            "arn:aws:lambda:us-east-1:123456789012:function:get-model-review-decision",
            json!({"model.$": "$.new_model", "token.$": "$$.Task.Token"}),
        )
        .qualifier("prod-v1"),
    )
    .wait_for_task_token(Duration::from_secs(3600))
    .heartbeat(Duration::from_secs(600));
    let state = emitted(review);
    assert_eq!(
        state["Resource"],
        "arn:aws:states:::lambda:invoke.waitForTaskToken"
    );
    assert_eq!(
        state["Parameters"],
        json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:get-model-review-decision",
               "Payload": {"model.$": "$.new_model", "token.$": "$$.Task.Token"}, "Qualifier": "prod-v1"})
    );
    assert_eq!(
        (
            state["TimeoutSeconds"].clone(),
            state["HeartbeatSeconds"].clone()
        ),
        (json!(3600), json!(600))
    );

    let queue = sqs::send_message(
        "Send message to SQS",
        sqs::SendMessage::new(
            "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
            json!({"Message": "Hello from Step Functions!", "TaskToken.$": "$$.Task.Token"}),
        ),
    )
    .wait_for_task_token(Duration::from_secs(86_400));
    assert_eq!(
        emitted(queue),
        json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
               "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
                              "MessageBody": {"Message": "Hello from Step Functions!", "TaskToken.$": "$$.Task.Token"}},
               "TimeoutSeconds": 86400})
    );
    // Arg::task_token() passes it as a top-level field too.
    let sdk = s3::put_object("Park", s3::PutObject::new("b", Arg::task_token(), "{}"))
        .wait_for_task_token(Duration::from_secs(60));
    assert_eq!(
        emitted(sdk)["Resource"],
        "arn:aws:states:::aws-sdk:s3:putObject.waitForTaskToken"
    );
}

struct Review;
impl ActivityDef for Review {
    const NAME: &'static str = "Review";
    type Input = Value;
    type Output = Value;
}

#[test]
fn wait_for_task_token_misuse_is_reported() {
    let key = json!({"pk": {"S.$": "$$.Task.Token"}});
    assert_eq!(
        problems(
            dynamodb::get_item("Get", dynamodb::GetItem::new("t", key))
                .wait_for_task_token(Duration::from_secs(60))
        ),
        vec![
            r#"State "Get": wait_for_task_token: the dynamodb:getItem integration does not support .waitForTaskToken"#
        ]
    );
    assert_eq!(
        problems(task::<Review>().wait_for_task_token(Duration::from_secs(60))),
        vec![
            r#"State "Review": wait_for_task_token: Review is an activity; only a service integration (arn:aws:states:::…) waits for a task token"#
        ]
    );
    let child = states::StartExecution::new(
        "${Child}",
        json!({"token.$": "$$.Task.Token"}),
        states::Wait::ForCompletion,
    );
    assert_eq!(
        problems(
            states::start_execution("Child", child).wait_for_task_token(Duration::from_secs(60))
        ),
        vec![
            r#"State "Child": wait_for_task_token: "arn:aws:states:::states:startExecution.sync:2" already waits (.sync:2)"#
        ]
    );
    assert_eq!(
        problems(
            sqs::send_message("Ask", sqs::SendMessage::new("q", "no token"))
                .wait_for_task_token(Duration::from_secs(60))
        ),
        vec![
            r#"State "Ask": waits for a task token, but its Parameters never pass $$.Task.Token (Arg::task_token()), so nothing can complete it"#
        ]
    );
    assert_eq!(
        problems(
            sqs::send_message("Ask", sqs::SendMessage::new("q", Arg::task_token()))
                .wait_for_task_token(Duration::from_millis(1500))
        ),
        vec![r#"State "Ask": TimeoutSeconds: 1.5s is not a whole number of seconds"#]
    );
}

#[test]
fn start_execution_in_its_three_patterns() {
    let input = json!({"Comment": "Hello world!"});
    for (wait, resource) in [
        (states::Wait::No, "arn:aws:states:::states:startExecution"),
        (
            states::Wait::ForCompletionOutputAsString,
            "arn:aws:states:::states:startExecution.sync",
        ),
        (
            states::Wait::ForCompletion,
            "arn:aws:states:::states:startExecution.sync:2",
        ),
    ] {
        let t = states::start_execution(
            "Start new workflow and continue",
            states::StartExecution::new(
                "arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld",
                input.clone(),
                wait,
            )
            .linked_to_parent(),
        );
        assert_eq!(
            emitted(t),
            json!({"Type": "Task", "Resource": resource,
                   "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld",
                                  "Input": {"Comment": "Hello world!", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}}})
        );
    }
    let by_path = states::StartExecution::new("${Child}", Arg::path("$.child"), states::Wait::No)
        .name(Arg::path("$.id"));
    assert_eq!(
        emitted(states::start_execution("Child", by_path.clone()))["Parameters"],
        json!({"StateMachineArn": "${Child}", "Input.$": "$.child", "Name.$": "$.id"})
    );
    assert_eq!(
        problems(states::start_execution("Child", by_path.linked_to_parent())),
        vec![
            r#"State "Child": Parameters.Input: linking the child to its parent needs an input template to add AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID to"#
        ]
    );
}

#[test]
fn s3vectors_put_vectors_and_ssm_get_parameter() {
    let t = s3vectors::put_vectors(
        "Put vectors",
        s3vectors::PutVectors::new("embeddings", "products", Arg::path("$.batch.vectors")),
    );
    assert_eq!(
        emitted(t),
        json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3vectors:putVectors",
               "Parameters": {"VectorBucketName": "embeddings", "IndexName": "products", "Vectors.$": "$.batch.vectors"}})
    );
    let by_arn = s3vectors::PutVectors {
        index: s3vectors::Index::Arn(
            "arn:aws:s3vectors:us-east-1:123456789012:bucket/embeddings/index/products".into(),
        ),
        vectors: json!([{"Key": "p1", "Data": {"Float32": [0.1, 0.2]}}]).into(),
    };
    assert_eq!(
        emitted(s3vectors::put_vectors("Put", by_arn))["Parameters"],
        json!({"IndexArn": "arn:aws:s3vectors:us-east-1:123456789012:bucket/embeddings/index/products",
               "Vectors": [{"Key": "p1", "Data": {"Float32": [0.1, 0.2]}}]})
    );
    let empty = s3vectors::PutVectors::new("b", "i", json!([]));
    assert_eq!(
        problems(s3vectors::put_vectors("Put", empty)),
        vec![r#"State "Put": Parameters.Vectors: must be an array of 1 to 500 vectors"#]
    );
    let p = ssm::get_parameter(
        "Config",
        ssm::GetParameter::new(Arg::path("$.config_parameter")),
    );
    assert_eq!(
        emitted(p),
        json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ssm:getParameter",
               "Parameters": {"Name.$": "$.config_parameter"}})
    );
}

#[test]
fn an_idempotency_claim_catches_the_integration_error_by_its_aws_name() {
    use crate::builder::{Catch, pass};
    use crate::errors::DYNAMODB_CONDITIONAL_CHECK_FAILED;
    let claim = dynamodb::put_item(
        "Claim",
        dynamodb::PutItem::new("claims", json!({"pk": {"S.$": "$.event_id"}}))
            .condition("attribute_not_exists(pk)")
            .return_item_on_condition_failure(),
    )
    .discard_result()
    .catch(
        Catch::on([DYNAMODB_CONDITIONAL_CHECK_FAILED]).result_path("$.conflict"),
        pass("Already claimed"),
    );
    let machine = compile(Chain::start(claim)).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(
        machine.to_value()["States"]["Claim"]["Catch"],
        json!([{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                "ResultPath": "$.conflict", "Next": "Already claimed"}])
    );
}
