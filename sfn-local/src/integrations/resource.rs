//! Which integration a Task's `Resource` names: `arn:aws:states:::<service>:<action>`
//! (an optimized integration) or `arn:aws:states:::aws-sdk:<service>:<action>` (an AWS
//! SDK integration), and whether sfn-local serves it.

use std::fmt;

/// How Step Functions calls the service: the two families name errors and shape results
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `arn:aws:states:::dynamodb:putItem` and the like.
    Optimized,
    /// `arn:aws:states:::aws-sdk:dynamodb:putItem` and the like.
    Sdk,
}

/// A service sfn-local calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Amazon DynamoDB.
    DynamoDb,
    /// Amazon SQS.
    Sqs,
    /// Amazon SNS.
    Sns,
    /// Amazon EventBridge (`events` optimized, `eventbridge` SDK).
    EventBridge,
    /// AWS Lambda.
    Lambda,
    /// Amazon S3.
    S3,
    /// AWS Systems Manager (Parameter Store).
    Ssm,
    /// AWS Step Functions.
    Sfn,
    /// Amazon S3 Vectors.
    S3Vectors,
}

/// An integration sfn-local serves: its family, service and action (as written in the
/// resource, camelCase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Integration {
    /// Optimized or AWS SDK.
    pub family: Family,
    /// The service.
    pub service: Service,
    /// The action (`putItem`, `getObject`, ...).
    pub action: &'static str,
}

impl fmt::Display for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let service = match (self.family, self.service) {
            (Family::Optimized, Service::EventBridge) => "events",
            (_, s) => s.resource_name(),
        };
        match self.family {
            Family::Optimized => write!(f, "arn:aws:states:::{service}:{}", self.action),
            Family::Sdk => write!(f, "arn:aws:states:::aws-sdk:{service}:{}", self.action),
        }
    }
}

impl Service {
    /// The service's name in an AWS SDK integration resource.
    pub fn resource_name(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::Sqs => "sqs",
            Service::Sns => "sns",
            Service::EventBridge => "eventbridge",
            Service::Lambda => "lambda",
            Service::S3 => "s3",
            Service::Ssm => "ssm",
            Service::Sfn => "sfn",
            Service::S3Vectors => "s3vectors",
        }
    }
}

/// Every optimized integration sfn-local serves.
const OPTIMIZED: &[(&str, Service, &[&str])] = &[
    (
        "dynamodb",
        Service::DynamoDb,
        &["getItem", "putItem", "updateItem", "deleteItem"],
    ),
    ("sqs", Service::Sqs, &["sendMessage"]),
    ("sns", Service::Sns, &["publish"]),
    ("events", Service::EventBridge, &["putEvents"]),
    ("lambda", Service::Lambda, &["invoke"]),
];

/// Every AWS SDK integration sfn-local serves.
const SDK: &[(&str, Service, &[&str])] = &[
    (
        "s3",
        Service::S3,
        &[
            "getObject",
            "putObject",
            "headObject",
            "listObjectsV2",
            "deleteObject",
            "copyObject",
        ],
    ),
    (
        "dynamodb",
        Service::DynamoDb,
        &[
            "getItem",
            "putItem",
            "updateItem",
            "deleteItem",
            "query",
            "batchWriteItem",
        ],
    ),
    ("ssm", Service::Ssm, &["getParameter"]),
    ("sqs", Service::Sqs, &["sendMessage"]),
    ("sns", Service::Sns, &["publish"]),
    ("eventbridge", Service::EventBridge, &["putEvents"]),
    (
        "s3vectors",
        Service::S3Vectors,
        &["putVectors", "getVectors", "queryVectors"],
    ),
    (
        "sfn",
        Service::Sfn,
        &["startExecution", "describeExecution"],
    ),
];

/// What a resource is to this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Not a service integration (`${Name}`, a Lambda or activity ARN, ...): another
    /// runner's.
    NotAnIntegration,
    /// An integration sfn-local serves.
    Served(Integration),
    /// A service integration sfn-local does not serve; the text says which ones it does.
    Unsupported(String),
}

/// Reads `resource`. `arn:aws:states:::states:*` (nested executions) is the executor's,
/// so it is [`Parsed::NotAnIntegration`] here.
pub fn parse(resource: &str) -> Parsed {
    let Some(rest) = resource.strip_prefix("arn:aws:states:::") else {
        return Parsed::NotAnIntegration;
    };
    if rest.starts_with("states:") {
        return Parsed::NotAnIntegration;
    }
    let (family, table, rest) = match rest.strip_prefix("aws-sdk:") {
        Some(sdk) => (Family::Sdk, SDK, sdk),
        None => (Family::Optimized, OPTIMIZED, rest),
    };
    let (service, action) = rest.split_once(':').unwrap_or((rest, ""));
    let served =
        table
            .iter()
            .find(|(name, _, _)| *name == service)
            .and_then(|(_, svc, actions)| {
                actions.iter().find(|a| **a == action).map(|a| Integration {
                    family,
                    service: *svc,
                    action: a,
                })
            });
    match served {
        Some(integration) => Parsed::Served(integration),
        None => Parsed::Unsupported(supported_list(family)),
    }
}

/// The integrations of `family` sfn-local serves, for messages.
fn supported_list(family: Family) -> String {
    let table = match family {
        Family::Optimized => OPTIMIZED,
        Family::Sdk => SDK,
    };
    let prefix = match family {
        Family::Optimized => "",
        Family::Sdk => "aws-sdk:",
    };
    table
        .iter()
        .map(|(name, _, actions)| format!("{prefix}{name}:{}", actions.join("|")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_name_integrations() {
        assert_eq!(
            parse("arn:aws:states:::dynamodb:putItem"),
            Parsed::Served(Integration {
                family: Family::Optimized,
                service: Service::DynamoDb,
                action: "putItem"
            })
        );
        assert_eq!(
            parse("arn:aws:states:::aws-sdk:s3:getObject"),
            Parsed::Served(Integration {
                family: Family::Sdk,
                service: Service::S3,
                action: "getObject"
            })
        );
        assert_eq!(
            parse("arn:aws:states:::events:putEvents")
                .clone()
                .served()
                .map(|i| i.to_string()),
            Some("arn:aws:states:::events:putEvents".to_string())
        );
        assert_eq!(parse("${PriceLine}"), Parsed::NotAnIntegration);
        assert_eq!(
            parse("arn:aws:states:::states:startExecution.sync:2"),
            Parsed::NotAnIntegration
        );
        // The optimized family has no query; the SDK family's actions are camelCase.
        assert!(matches!(
            parse("arn:aws:states:::dynamodb:query"),
            Parsed::Unsupported(_)
        ));
        assert!(matches!(
            parse("arn:aws:states:::aws-sdk:s3:GetObject"),
            Parsed::Unsupported(_)
        ));
        assert!(matches!(
            parse("arn:aws:states:::glue:startJobRun.sync"),
            Parsed::Unsupported(list) if list.contains("dynamodb:getItem|putItem")
        ));
    }

    impl Parsed {
        fn served(self) -> Option<Integration> {
            match self {
                Parsed::Served(i) => Some(i),
                _ => None,
            }
        }
    }
}
