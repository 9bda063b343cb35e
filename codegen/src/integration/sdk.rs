//! Results of the AWS SDK integrations (`arn:aws:states:::aws-sdk:service:action`) the
//! project uses: the service API's response members in PascalCase, with no HTTP metadata
//! (S3 GetObject's `Body` is a string). Fields the API returns only in some cases
//! (`Item` when the key exists, `Contents` when the prefix holds objects) are optional.

use serde_json::{Value, json};

use super::schema::{
    any, array, boolean, integer, item, map, number, object, string, with_example,
};

const WHEN: &str = "2026-01-01T03:00:00Z";
const ETAG: &str = "\"d41d8cd98f00b204e9800998ecf8427e\"";

/// The result schema of an AWS SDK integration, when known.
pub(super) fn result(service: &str, action: &str) -> Option<Value> {
    Some(match (service, action) {
        ("s3", "getObject") => s3_get_object(),
        ("s3", "headObject") => s3_head_object(),
        ("s3", "putObject") => s3_put_object(),
        ("s3", "listObjectsV2") => s3_list_objects_v2(),
        ("s3", "deleteObject") => s3_delete_object(),
        ("s3", "copyObject") => s3_copy_object(),
        ("dynamodb", "getItem") => dynamodb_get_item(),
        ("dynamodb", "putItem" | "updateItem" | "deleteItem") => dynamodb_write(),
        ("dynamodb", "query") => dynamodb_query(),
        ("dynamodb", "batchWriteItem") => dynamodb_batch_write_item(),
        ("ssm", "getParameter") => ssm_get_parameter(),
        ("sqs", "sendMessage") => sqs_send_message(),
        ("sns", "publish") => sns_publish(),
        ("eventbridge", "putEvents") => eventbridge_put_events(),
        ("s3vectors", "putVectors") => with_example(object(&[], &[]), json!({})),
        ("s3vectors", "getVectors") => s3vectors_get_vectors(),
        ("s3vectors", "queryVectors") => s3vectors_query_vectors(),
        ("sfn", "startExecution") => sfn_start_execution(),
        ("sfn", "describeExecution") => sfn_describe_execution(),
        _ => return None,
    })
}

/// The members HeadObject and GetObject share besides the body.
fn object_head_optional() -> Vec<(&'static str, Value)> {
    vec![
        ("AcceptRanges", string()),
        ("ContentType", string()),
        ("Metadata", map(string())),
        ("VersionId", string()),
        ("ServerSideEncryption", string()),
        ("StorageClass", string()),
        ("CacheControl", string()),
        ("ContentDisposition", string()),
        ("ContentEncoding", string()),
        ("ContentLanguage", string()),
        ("Expires", any()),
        ("DeleteMarker", boolean()),
        ("PartsCount", integer()),
        ("ChecksumCRC32", string()),
        ("ChecksumCRC32C", string()),
        ("ChecksumSHA1", string()),
        ("ChecksumSHA256", string()),
        ("TagCount", integer()),
    ]
}

fn s3_get_object() -> Value {
    let schema = object(
        &[
            ("Body", string()),
            ("ContentLength", integer()),
            ("ETag", string()),
            ("LastModified", any()),
        ],
        &object_head_optional(),
    );
    let example = json!({
        "AcceptRanges": "bytes",
        "Body": "{\"tenant_id\":\"t-1\",\"rows\":42}",
        "ContentLength": 30,
        "ContentType": "application/json",
        "ETag": ETAG,
        "LastModified": WHEN,
        "Metadata": {}
    });
    with_example(schema, example)
}

fn s3_head_object() -> Value {
    let schema = object(
        &[
            ("ContentLength", integer()),
            ("ETag", string()),
            ("LastModified", any()),
        ],
        &object_head_optional(),
    );
    let example = json!({
        "AcceptRanges": "bytes",
        "ContentLength": 30,
        "ContentType": "application/json",
        "ETag": ETAG,
        "LastModified": WHEN,
        "Metadata": {}
    });
    with_example(schema, example)
}

fn s3_put_object() -> Value {
    let schema = object(
        &[("ETag", string())],
        &[
            ("VersionId", string()),
            ("ServerSideEncryption", string()),
            ("Expiration", string()),
            ("SSEKMSKeyId", string()),
            ("BucketKeyEnabled", boolean()),
            ("ChecksumCRC32", string()),
            ("ChecksumCRC32C", string()),
            ("ChecksumSHA1", string()),
            ("ChecksumSHA256", string()),
            ("Size", integer()),
        ],
    );
    let example = json!({"ETag": ETAG, "ServerSideEncryption": "AES256"});
    with_example(schema, example)
}

fn s3_list_objects_v2() -> Value {
    let entry = object(
        &[
            ("ETag", string()),
            ("Key", string()),
            ("LastModified", any()),
            ("Size", integer()),
        ],
        &[
            ("StorageClass", string()),
            ("ChecksumAlgorithm", array(string())),
            ("Owner", any()),
        ],
    );
    let schema = object(
        &[
            ("IsTruncated", boolean()),
            ("KeyCount", integer()),
            ("MaxKeys", integer()),
            ("Name", string()),
        ],
        &[
            ("Contents", array(entry)),
            (
                "CommonPrefixes",
                array(object(&[("Prefix", string())], &[])),
            ),
            ("Prefix", string()),
            ("Delimiter", string()),
            ("EncodingType", string()),
            ("ContinuationToken", string()),
            ("NextContinuationToken", string()),
            ("StartAfter", string()),
        ],
    );
    let example = json!({
        "Contents": [{
            "ETag": ETAG,
            "Key": "exports/2026-01-01/part-0000.jsonl",
            "LastModified": WHEN,
            "Size": 1024,
            "StorageClass": "STANDARD"
        }],
        "IsTruncated": false,
        "KeyCount": 1,
        "MaxKeys": 1000,
        "Name": "stepwise-data",
        "Prefix": "exports/2026-01-01/"
    });
    with_example(schema, example)
}

fn s3_delete_object() -> Value {
    let schema = object(
        &[],
        &[
            ("DeleteMarker", boolean()),
            ("VersionId", string()),
            ("RequestCharged", string()),
        ],
    );
    with_example(schema, json!({}))
}

fn s3_copy_object() -> Value {
    let schema = object(
        &[(
            "CopyObjectResult",
            object(&[("ETag", string()), ("LastModified", any())], &[]),
        )],
        &[
            ("VersionId", string()),
            ("CopySourceVersionId", string()),
            ("ServerSideEncryption", string()),
            ("Expiration", string()),
        ],
    );
    let example = json!({
        "CopyObjectResult": {"ETag": ETAG, "LastModified": WHEN},
        "ServerSideEncryption": "AES256"
    });
    with_example(schema, example)
}

fn consumed_capacity() -> Value {
    object(&[("TableName", string())], &[("CapacityUnits", number())])
}

fn dynamodb_get_item() -> Value {
    let schema = object(
        &[],
        &[("Item", item()), ("ConsumedCapacity", consumed_capacity())],
    );
    let example = json!({"Item": {"pk": {"S": "order#1042"}, "status": {"S": "CLAIMED"}}});
    with_example(schema, example)
}

fn dynamodb_write() -> Value {
    let schema = object(
        &[],
        &[
            ("Attributes", item()),
            ("ConsumedCapacity", consumed_capacity()),
            ("ItemCollectionMetrics", any()),
        ],
    );
    with_example(schema, json!({}))
}

fn dynamodb_query() -> Value {
    let schema = object(
        &[
            ("Count", integer()),
            ("Items", array(item())),
            ("ScannedCount", integer()),
        ],
        &[
            ("LastEvaluatedKey", item()),
            ("ConsumedCapacity", consumed_capacity()),
        ],
    );
    let example = json!({
        "Count": 1,
        "Items": [{"pk": {"S": "tenant#t-1"}, "sk": {"S": "sale#2026-01-01#1042"}}],
        "ScannedCount": 1
    });
    with_example(schema, example)
}

fn dynamodb_batch_write_item() -> Value {
    let schema = object(
        &[("UnprocessedItems", map(array(json!({"type": "object"}))))],
        &[
            ("ItemCollectionMetrics", any()),
            ("ConsumedCapacity", array(consumed_capacity())),
        ],
    );
    with_example(schema, json!({"UnprocessedItems": {}}))
}

fn ssm_get_parameter() -> Value {
    let parameter = object(
        &[
            ("Name", string()),
            ("Type", string()),
            ("Value", string()),
            ("Version", integer()),
        ],
        &[
            ("ARN", string()),
            ("DataType", string()),
            ("LastModifiedDate", any()),
            ("Selector", string()),
            ("SourceResult", string()),
        ],
    );
    let schema = object(&[("Parameter", parameter)], &[]);
    let example = json!({
        "Parameter": {
            "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/stepwise/config",
            "DataType": "text",
            "LastModifiedDate": WHEN,
            "Name": "/stepwise/config",
            "Type": "String",
            "Value": "{\"tenants\":[\"t-1\"]}",
            "Version": 3
        }
    });
    with_example(schema, example)
}

fn sqs_send_message() -> Value {
    let schema = object(
        &[("MD5OfMessageBody", string()), ("MessageId", string())],
        &[
            ("MD5OfMessageAttributes", string()),
            ("MD5OfMessageSystemAttributes", string()),
            ("SequenceNumber", string()),
        ],
    );
    let example = json!({
        "MD5OfMessageBody": "4c1a3c5e3a2b1f0e9d8c7b6a59483726",
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274"
    });
    with_example(schema, example)
}

fn sns_publish() -> Value {
    let schema = object(&[("MessageId", string())], &[("SequenceNumber", string())]);
    with_example(
        schema,
        json!({"MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e"}),
    )
}

fn eventbridge_put_events() -> Value {
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

/// A vector as GetVectors/QueryVectors return it (`Data` and `Metadata` on request).
fn vector(distance: bool) -> Value {
    let mut optional = vec![
        ("Data", object(&[], &[("Float32", array(number()))])),
        ("Metadata", any()),
    ];
    if distance {
        optional.push(("Distance", number()));
    }
    object(&[("Key", string())], &optional)
}

fn s3vectors_get_vectors() -> Value {
    let schema = object(&[("Vectors", array(vector(false)))], &[]);
    let example = json!({
        "Vectors": [{"Key": "product#1042", "Metadata": {"tenant_id": "t-1"}}]
    });
    with_example(schema, example)
}

fn s3vectors_query_vectors() -> Value {
    let schema = object(
        &[("Vectors", array(vector(true)))],
        &[("DistanceMetric", string())],
    );
    let example = json!({
        "DistanceMetric": "cosine",
        "Vectors": [{"Distance": 0.12, "Key": "product#1042", "Metadata": {"tenant_id": "t-1"}}]
    });
    with_example(schema, example)
}

fn sfn_start_execution() -> Value {
    let schema = object(&[("ExecutionArn", string()), ("StartDate", any())], &[]);
    let example = json!({
        "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:child:5f2a4a4e-9f3b-4a8e-9d31-1c8e0d2b7a10",
        "StartDate": WHEN
    });
    with_example(schema, example)
}

fn sfn_describe_execution() -> Value {
    let details = object(&[("Included", boolean())], &[]);
    let schema = object(
        &[
            ("ExecutionArn", string()),
            ("StartDate", any()),
            ("StateMachineArn", string()),
            ("Status", string()),
        ],
        &[
            ("Name", string()),
            ("Input", string()),
            ("InputDetails", details.clone()),
            ("Output", string()),
            ("OutputDetails", details),
            ("StopDate", any()),
            ("Error", string()),
            ("Cause", string()),
            ("TraceHeader", string()),
            ("MapRunArn", string()),
            ("RedriveCount", integer()),
            ("RedriveDate", any()),
            ("RedriveStatus", string()),
            ("RedriveStatusReason", string()),
            ("StateMachineVersionArn", string()),
            ("StateMachineAliasArn", string()),
        ],
    );
    let example = json!({
        "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:child:5f2a4a4e-9f3b-4a8e-9d31-1c8e0d2b7a10",
        "Input": "{\"order_id\":\"1042\"}",
        "InputDetails": {"Included": true},
        "Name": "5f2a4a4e-9f3b-4a8e-9d31-1c8e0d2b7a10",
        "StartDate": WHEN,
        "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child",
        "Status": "RUNNING"
    });
    with_example(schema, example)
}
