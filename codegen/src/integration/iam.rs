//! The IAM actions a service-integration Task needs its state machine's role to have, as
//! AWS's "IAM policies for integrated services" pages list them: an optimized
//! integration's action in IAM's spelling (`dynamodb:putItem` → `dynamodb:PutItem`,
//! `lambda:invoke` → `lambda:InvokeFunction`; `startExecution.sync` also describes and
//! stops the child), an AWS SDK integration's `service:Action` with the SDK's service
//! name turned into IAM's prefix (`sfn` → `states`) and the few S3 actions whose IAM name
//! differs (`listObjectsV2` → `s3:ListBucket`).

use super::{Integration, Pattern, parse};

/// The IAM actions the Task with this resource needs; `None` for anything that is not a
/// service integration (activities, Lambda ARNs, placeholders).
pub fn actions(resource: &str) -> Option<Vec<String>> {
    let integration = parse(resource)?;
    Some(actions_of(&integration))
}

fn actions_of(i: &Integration<'_>) -> Vec<String> {
    let prefix = iam_prefix(i.service);
    let main = match (prefix, i.action) {
        ("lambda", "invoke" | "invokeAsync") => "InvokeFunction".to_string(),
        ("s3", "listObjectsV2" | "listObjects" | "headBucket") => "ListBucket".to_string(),
        ("s3", "headObject") => "GetObject".to_string(),
        (_, action) => capitalised(action),
    };
    let mut out = vec![format!("{prefix}:{main}")];
    if !i.sdk
        && i.service == "states"
        && i.action == "startExecution"
        && matches!(i.pattern, Pattern::Sync | Pattern::Sync2)
    {
        out.push("states:DescribeExecution".into());
        out.push("states:StopExecution".into());
    }
    out
}

/// IAM's service prefix for an integration's service name.
fn iam_prefix(service: &str) -> &str {
    match service {
        "sfn" => "states",
        "eventbridge" => "events",
        "cloudwatchlogs" => "logs",
        "sesv2" => "ses",
        "apigatewayv2" => "apigateway",
        "elasticloadbalancingv2" => "elasticloadbalancing",
        other => other,
    }
}

fn capitalised(action: &str) -> String {
    let mut chars = action.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Whether a declared IAM action (possibly ending in `*`) allows `needed`; IAM compares
/// actions case-insensitively.
pub fn allows(declared: &str, needed: &str) -> bool {
    let declared = declared.to_ascii_lowercase();
    let needed = needed.to_ascii_lowercase();
    match declared.strip_suffix('*') {
        Some(prefix) => needed.starts_with(prefix),
        None => declared == needed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrations_map_to_their_iam_actions() {
        let cases: [(&str, &[&str]); 10] = [
            ("arn:aws:states:::dynamodb:putItem", &["dynamodb:PutItem"]),
            (
                "arn:aws:states:::dynamodb:updateItem",
                &["dynamodb:UpdateItem"],
            ),
            ("arn:aws:states:::sqs:sendMessage", &["sqs:SendMessage"]),
            (
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                &["sqs:SendMessage"],
            ),
            ("arn:aws:states:::lambda:invoke", &["lambda:InvokeFunction"]),
            (
                "arn:aws:states:::aws-sdk:s3vectors:putVectors",
                &["s3vectors:PutVectors"],
            ),
            (
                "arn:aws:states:::aws-sdk:sfn:describeMapRun",
                &["states:DescribeMapRun"],
            ),
            (
                "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                &["s3:ListBucket"],
            ),
            ("arn:aws:states:::events:putEvents", &["events:PutEvents"]),
            (
                "arn:aws:states:::states:startExecution.sync:2",
                &[
                    "states:StartExecution",
                    "states:DescribeExecution",
                    "states:StopExecution",
                ],
            ),
        ];
        for (resource, expected) in cases {
            assert_eq!(actions(resource).unwrap(), expected, "{resource}");
        }
        assert_eq!(actions("${Claim}"), None);
        assert_eq!(
            actions("arn:aws:lambda:eu-west-1:123456789012:function:f"),
            None
        );
    }

    #[test]
    fn declared_actions_allow_case_insensitively_and_by_trailing_wildcard() {
        assert!(allows("dynamodb:PutItem", "dynamodb:PutItem"));
        assert!(allows("DynamoDB:putitem", "dynamodb:PutItem"));
        assert!(allows("dynamodb:*", "dynamodb:PutItem"));
        assert!(allows("s3vectors:Put*", "s3vectors:PutVectors"));
        assert!(!allows("dynamodb:GetItem", "dynamodb:PutItem"));
        assert!(!allows("sqs:Send", "sqs:SendMessage"));
    }
}
