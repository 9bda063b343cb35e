//! What the known integrations require of their `Parameters`: the required fields and the
//! JSON types AWS fixes for them and for a few common optional ones. Other fields are not
//! declared and pass unchecked (the AWS SDK integrations accept every member of the API's
//! request), so the check only reports what AWS would certainly refuse: a missing required
//! parameter, or one of the wrong type (`"TableName.$"` pointing at a number).
//!
//! The optimized integrations take some members as JSON where the AWS SDK ones want a
//! string (`sqs:sendMessage`'s `MessageBody`, `states:startExecution`'s `Input`).

use serde_json::Value;

use super::schema::{any, array, boolean, integer, object, string};

/// Parameters and their schemas.
type Fields = Vec<(&'static str, Value)>;

/// The Parameters schema of an integration, when known.
pub(super) fn parameters(service: &str, action: &str, sdk: bool) -> Option<Value> {
    let object_ = || serde_json::json!({"type": "object"});
    let (required, optional): (Fields, Fields) = match (sdk, service, action) {
        (_, "dynamodb", "getItem" | "deleteItem" | "updateItem") => (
            vec![("TableName", string()), ("Key", object_())],
            vec![
                ("ConditionExpression", string()),
                ("UpdateExpression", string()),
                ("ConsistentRead", boolean()),
                ("ReturnValues", string()),
            ],
        ),
        (_, "dynamodb", "putItem") => (
            vec![("TableName", string()), ("Item", object_())],
            vec![
                ("ConditionExpression", string()),
                ("ReturnValues", string()),
            ],
        ),
        (true, "dynamodb", "query") => (
            vec![("TableName", string())],
            vec![
                ("KeyConditionExpression", string()),
                ("IndexName", string()),
                ("Limit", integer()),
                ("ScanIndexForward", boolean()),
                ("ExclusiveStartKey", object_()),
            ],
        ),
        (true, "dynamodb", "batchWriteItem") => (vec![("RequestItems", object_())], vec![]),
        (false, "lambda", "invoke") => (
            vec![("FunctionName", string())],
            vec![
                ("Payload", any()),
                ("Qualifier", string()),
                ("InvocationType", string()),
            ],
        ),
        (false, "sqs", "sendMessage") => (
            vec![("QueueUrl", string()), ("MessageBody", any())],
            vec![("DelaySeconds", integer()), ("MessageGroupId", string())],
        ),
        (true, "sqs", "sendMessage") => (
            vec![("QueueUrl", string()), ("MessageBody", string())],
            vec![("DelaySeconds", integer()), ("MessageGroupId", string())],
        ),
        (false, "sns", "publish") => (
            vec![("Message", any())],
            vec![
                ("TopicArn", string()),
                ("TargetArn", string()),
                ("PhoneNumber", string()),
                ("Subject", string()),
            ],
        ),
        (true, "sns", "publish") => (
            vec![("Message", string())],
            vec![("TopicArn", string()), ("Subject", string())],
        ),
        (false, "events", "putEvents") | (true, "eventbridge", "putEvents") => {
            (vec![("Entries", array(object_()))], vec![])
        }
        (false, "states", "startExecution") => (
            vec![("StateMachineArn", string())],
            vec![("Input", any()), ("Name", string())],
        ),
        (true, "sfn", "startExecution") => (
            vec![("StateMachineArn", string())],
            vec![("Input", string()), ("Name", string())],
        ),
        (true, "sfn", "describeExecution") => (vec![("ExecutionArn", string())], vec![]),
        (true, "s3", "getObject" | "headObject" | "deleteObject") => (
            vec![("Bucket", string()), ("Key", string())],
            vec![("VersionId", string())],
        ),
        (true, "s3", "putObject") => (
            vec![("Bucket", string()), ("Key", string())],
            vec![("ContentType", string())],
        ),
        (true, "s3", "listObjectsV2") => (
            vec![("Bucket", string())],
            vec![
                ("Prefix", string()),
                ("MaxKeys", integer()),
                ("ContinuationToken", string()),
            ],
        ),
        (true, "s3", "copyObject") => (
            vec![
                ("Bucket", string()),
                ("Key", string()),
                ("CopySource", string()),
            ],
            vec![],
        ),
        (true, "ssm", "getParameter") => (
            vec![("Name", string())],
            vec![("WithDecryption", boolean())],
        ),
        (true, "s3vectors", "putVectors") => (
            vec![("Vectors", array(object_()))],
            vec![
                ("VectorBucketName", string()),
                ("IndexName", string()),
                ("IndexArn", string()),
            ],
        ),
        (true, "s3vectors", "getVectors") => (vec![("Keys", array(string()))], vec![]),
        (true, "s3vectors", "queryVectors") => (
            vec![("QueryVector", object_()), ("TopK", integer())],
            vec![],
        ),
        _ => return None,
    };
    Some(object(&required, &optional))
}
