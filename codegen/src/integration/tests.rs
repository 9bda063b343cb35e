use serde_json::json;

use super::*;

/// Every resource the tables know.
const KNOWN: &[&str] = &[
    "arn:aws:states:::dynamodb:getItem",
    "arn:aws:states:::dynamodb:putItem",
    "arn:aws:states:::dynamodb:updateItem",
    "arn:aws:states:::dynamodb:deleteItem",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::sqs:sendMessage",
    "arn:aws:states:::sns:publish",
    "arn:aws:states:::events:putEvents",
    "arn:aws:states:::states:startExecution",
    "arn:aws:states:::states:startExecution.sync",
    "arn:aws:states:::states:startExecution.sync:2",
    "arn:aws:states:::aws-sdk:s3:getObject",
    "arn:aws:states:::aws-sdk:s3:headObject",
    "arn:aws:states:::aws-sdk:s3:putObject",
    "arn:aws:states:::aws-sdk:s3:listObjectsV2",
    "arn:aws:states:::aws-sdk:s3:deleteObject",
    "arn:aws:states:::aws-sdk:s3:copyObject",
    "arn:aws:states:::aws-sdk:dynamodb:getItem",
    "arn:aws:states:::aws-sdk:dynamodb:putItem",
    "arn:aws:states:::aws-sdk:dynamodb:updateItem",
    "arn:aws:states:::aws-sdk:dynamodb:deleteItem",
    "arn:aws:states:::aws-sdk:dynamodb:query",
    "arn:aws:states:::aws-sdk:dynamodb:batchWriteItem",
    "arn:aws:states:::aws-sdk:ssm:getParameter",
    "arn:aws:states:::aws-sdk:sqs:sendMessage",
    "arn:aws:states:::aws-sdk:sns:publish",
    "arn:aws:states:::aws-sdk:eventbridge:putEvents",
    "arn:aws:states:::aws-sdk:s3vectors:putVectors",
    "arn:aws:states:::aws-sdk:s3vectors:getVectors",
    "arn:aws:states:::aws-sdk:s3vectors:queryVectors",
    "arn:aws:states:::aws-sdk:sfn:startExecution",
    "arn:aws:states:::aws-sdk:sfn:describeExecution",
];

#[test]
fn parse_takes_resources_apart() {
    let sync2 = parse("arn:aws:states:::states:startExecution.sync:2").unwrap();
    assert_eq!(
        (sync2.service, sync2.action, sync2.sdk, sync2.pattern),
        ("states", "startExecution", false, Pattern::Sync2)
    );
    let sdk = parse("arn:aws:states:::aws-sdk:s3vectors:putVectors").unwrap();
    assert_eq!(
        (sdk.service, sdk.action, sdk.sdk, sdk.pattern),
        ("s3vectors", "putVectors", true, Pattern::RequestResponse)
    );
    let token = parse("arn:aws-cn:states:::sqs:sendMessage.waitForTaskToken").unwrap();
    assert_eq!(token.pattern, Pattern::WaitForTaskToken);
    for other in [
        "${PriceLine}",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:us-east-1:123456789012:activity:Review",
        "arn:aws:states:::dynamodb:putItem.later",
        "arn:aws:states:::dynamodb:",
        "arn:aws:states:::dynamodb",
    ] {
        assert_eq!(parse(other), None, "{other}");
    }
}

#[test]
fn patterns_follow_aws_integration_table() {
    let supports_token = |r: &str| supports(&parse(r).unwrap(), Pattern::WaitForTaskToken);
    assert_eq!(
        supports_token("arn:aws:states:::dynamodb:putItem"),
        Some(false)
    );
    assert_eq!(
        supports_token("arn:aws:states:::sqs:sendMessage"),
        Some(true)
    );
    assert_eq!(supports_token("arn:aws:states:::lambda:invoke"), Some(true));
    assert_eq!(
        supports_token("arn:aws:states:::aws-sdk:s3:putObject"),
        Some(true)
    );
    assert_eq!(supports_token("arn:aws:states:::ecs:runTask"), None);
    let sdk = parse("arn:aws:states:::aws-sdk:s3:putObject").unwrap();
    assert_eq!(supports(&sdk, Pattern::Sync), Some(false));
    let start = parse("arn:aws:states:::states:startExecution").unwrap();
    assert_eq!(supports(&start, Pattern::Sync2), Some(true));
}

#[test]
fn every_known_result_has_an_example_that_fits_its_schema() {
    for resource in KNOWN {
        let schema = result_schema(resource).unwrap_or_else(|| panic!("{resource}: no schema"));
        let example = example_result(resource).unwrap_or_else(|| panic!("{resource}: no example"));
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&example)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{resource}: {errors:?}");
        let required = schema["required"].as_array().unwrap();
        for name in required {
            let name = name.as_str().unwrap();
            assert!(
                example.get(name).is_some(),
                "{resource}: example lacks {name}"
            );
        }
    }
}

#[test]
fn documented_top_level_fields() {
    let fields = |resource: &str| -> Vec<String> {
        let schema = result_schema(resource).unwrap();
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let has = |resource: &str, names: &[&str]| {
        let all = fields(resource);
        for name in names {
            assert!(
                all.iter().any(|f| f == name),
                "{resource}: no {name} in {all:?}"
            );
        }
    };
    has(
        "arn:aws:states:::dynamodb:getItem",
        &["Item", "SdkHttpMetadata", "SdkResponseMetadata"],
    );
    has(
        "arn:aws:states:::sqs:sendMessage",
        &["MessageId", "MD5OfMessageBody", "SdkHttpMetadata"],
    );
    has(
        "arn:aws:states:::lambda:invoke",
        &[
            "ExecutedVersion",
            "Payload",
            "StatusCode",
            "SdkHttpMetadata",
        ],
    );
    has(
        "arn:aws:states:::events:putEvents",
        &["Entries", "FailedEntryCount"],
    );
    assert!(!fields("arn:aws:states:::events:putEvents").contains(&"SdkHttpMetadata".into()));
    has("arn:aws:states:::aws-sdk:s3:getObject", &["Body", "ETag"]);
    assert!(!fields("arn:aws:states:::aws-sdk:s3:getObject").contains(&"SdkHttpMetadata".into()));
    // .sync gives the child's output as a string, .sync:2 as JSON.
    let sync = result_schema("arn:aws:states:::states:startExecution.sync").unwrap();
    assert_eq!(sync["properties"]["Output"], json!({"type": "string"}));
    let sync2 = result_schema("arn:aws:states:::states:startExecution.sync:2").unwrap();
    assert_eq!(sync2["properties"]["Output"], json!({}));
    assert!(
        example_result("arn:aws:states:::states:startExecution.sync:2").unwrap()["Output"]
            .is_object()
    );
}

#[test]
fn callbacks_and_unknown_integrations_have_no_result_schema() {
    for resource in [
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "arn:aws:states:::aws-sdk:s3:putObject.waitForTaskToken",
        "arn:aws:states:::ecs:runTask.sync",
        "arn:aws:states:::aws-sdk:s3:getBucketPolicy",
        "${PriceLine}",
    ] {
        assert_eq!(result_schema(resource), None, "{resource}");
    }
}
