//! The one table from service errors to Step Functions error names and causes.
//!
//! Step Functions names a service error `<Prefix>.<Code>` with an `Exception` suffix added
//! when the code lacks one (S3's `NoSuchKey` becomes `S3.NoSuchKeyException`). The prefix
//! depends on the family: the optimized integrations keep their historic names
//! (`DynamoDB.`, `SQS.`, `SNS.`, `EventBridge.`, `Lambda.`), the AWS SDK integrations use
//! the SDK's service name in PascalCase (`DynamoDb.`, `S3.`, `Ssm.`, `Sqs.`, `Sns.`,
//! `EventBridge.`, `Sfn.`, `S3Vectors.`, `Lambda.`). Causes follow AWS's two shapes:
//! `message (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: X; Request ID: R;
//! Proxy: null)` for the optimized family, `message (Service: DynamoDb, Status Code: 400,
//! Request ID: R)` for the SDK family (S3 adds `Extended Request ID`). A call that never
//! got a service answer (connection refused, timeout) is `States.TaskFailed`.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use codegen::errors::{STATES_RUNTIME, STATES_TASK_FAILED};

use super::resource::{Family, Integration, Service};
use crate::failure::Failure;

/// The error-name prefix of `service` in `family`.
pub fn prefix(family: Family, service: Service) -> &'static str {
    match (family, service) {
        (Family::Optimized, Service::DynamoDb) => "DynamoDB",
        (Family::Optimized, Service::Sqs) => "SQS",
        (Family::Optimized, Service::Sns) => "SNS",
        (Family::Sdk, Service::DynamoDb) => "DynamoDb",
        (Family::Sdk, Service::Sqs) => "Sqs",
        (Family::Sdk, Service::Sns) => "Sns",
        (_, Service::EventBridge) => "EventBridge",
        (_, Service::Lambda) => "Lambda",
        (_, Service::S3) => "S3",
        (_, Service::Ssm) => "Ssm",
        (_, Service::Sfn) => "Sfn",
        (_, Service::S3Vectors) => "S3Vectors",
    }
}

/// The service's name in an optimized integration's cause (its Java SDK client name).
fn optimized_service_name(service: Service) -> &'static str {
    match service {
        Service::DynamoDb => "AmazonDynamoDBv2",
        Service::Sqs => "AmazonSQS",
        Service::Sns => "AmazonSNS",
        Service::EventBridge => "AmazonEventBridge",
        Service::Lambda => "AWSLambda",
        Service::S3 => "Amazon S3",
        Service::Ssm => "AWSSimpleSystemsManagement",
        Service::Sfn => "AWSStepFunctions",
        Service::S3Vectors => "AmazonS3Vectors",
    }
}

/// The Step Functions error name of service error `code`.
pub fn error_name(family: Family, service: Service, code: &str) -> String {
    let code = code.rsplit('.').next().unwrap_or(code);
    if code.ends_with("Exception") {
        format!("{}.{code}", prefix(family, service))
    } else {
        format!("{}.{code}Exception", prefix(family, service))
    }
}

/// What a service answered with an error: enough for the name and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The error code (`ConditionalCheckFailedException`, `NoSuchKey`).
    pub code: String,
    /// The service's message.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// The request id, when the service gave one.
    pub request_id: Option<String>,
    /// S3's extended request id (`x-amz-id-2`).
    pub extended_request_id: Option<String>,
}

/// The failure Step Functions reports for `error` of `integration`.
pub fn service_failure(integration: Integration, error: &ServiceError) -> Failure {
    let name = error_name(integration.family, integration.service, &error.code);
    let request_id = error.request_id.as_deref().unwrap_or("null");
    let cause = match integration.family {
        Family::Optimized => format!(
            "{} (Service: {}; Status Code: {}; Error Code: {}; Request ID: {request_id}; Proxy: null)",
            error.message,
            optimized_service_name(integration.service),
            error.status,
            error.code
        ),
        Family::Sdk => {
            let mut cause = format!(
                "{} (Service: {}, Status Code: {}, Request ID: {request_id}",
                error.message,
                prefix(integration.family, integration.service),
                error.status
            );
            if let Some(extended) = &error.extended_request_id {
                cause.push_str(&format!(", Extended Request ID: {extended}"));
            }
            cause.push(')');
            cause
        }
    };
    Failure::new(name, cause)
}

/// The failure for any SDK error of `integration`: a service answer is named by
/// [`service_failure`]; a request the SDK could not build (a parameter it rejects) is
/// `States.Runtime`; no answer at all is `States.TaskFailed`.
pub fn sdk_failure<E>(integration: Integration, error: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let raw = context.raw();
            let header = |name: &str| raw.headers().get(name).map(str::to_string);
            let status = raw.status().as_u16();
            let err = context.err();
            // The modeled error's name (`__type` / `x-amzn-ErrorType` of the JSON
            // protocols): what Step Functions names errors by. SQS's query-compatible
            // code (`AWS.SimpleQueueService.NonExistentQueue`) is only what the SDK
            // reports as `code()`.
            let code = header("x-amzn-errortype")
                .or_else(|| body_type(raw.body().bytes()))
                .map(|t| short_type(&t))
                .or_else(|| err.code().map(str::to_string))
                .unwrap_or_else(|| default_code(status).to_string());
            let message = err
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| default_message(status).to_string());
            let request_id = header("x-amzn-requestid")
                .or_else(|| header("x-amz-request-id"))
                .or_else(|| err.meta().extra("aws_request_id").map(str::to_string));
            let extended_request_id = if integration.service == Service::S3 {
                header("x-amz-id-2")
            } else {
                None
            };
            service_failure(
                integration,
                &ServiceError {
                    code,
                    message,
                    status,
                    request_id,
                    extended_request_id,
                },
            )
        }
        error @ SdkError::ConstructionFailure(_) => Failure::new(
            STATES_RUNTIME.as_str(),
            format!(
                "the parameters of {integration} could not be used to start the task: {}",
                chain(&error)
            ),
        ),
        other => Failure::new(
            STATES_TASK_FAILED.as_str(),
            format!(
                "{integration}: the service did not answer: {}",
                chain(&other)
            ),
        ),
    }
}

/// The `__type` of a JSON error body.
fn body_type(body: Option<&[u8]>) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body?).ok()?;
    value.get("__type")?.as_str().map(str::to_string)
}

/// An error type without its namespace and details:
/// `com.amazonaws.sqs#QueueDoesNotExist` → `QueueDoesNotExist`,
/// `ResourceNotFoundException:http://…` → `ResourceNotFoundException`.
fn short_type(t: &str) -> String {
    let t = t.split(':').next().unwrap_or(t);
    t.rsplit('#').next().unwrap_or(t).to_string()
}

/// The code a bodiless error answer (HEAD requests) stands for.
fn default_code(status: u16) -> &'static str {
    match status {
        404 => "NotFound",
        403 => "Forbidden",
        400 => "BadRequest",
        _ => "Unknown",
    }
}

/// The message of a bodiless error answer.
fn default_message(status: u16) -> &'static str {
    match status {
        404 => "Not Found",
        403 => "Forbidden",
        400 => "Bad Request",
        _ => "Service error",
    }
}

/// An error and its sources, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(family: Family, service: Service) -> Integration {
        Integration {
            family,
            service,
            action: "x",
        }
    }

    fn error(code: &str) -> ServiceError {
        ServiceError {
            code: code.into(),
            message: "The conditional request failed".into(),
            status: 400,
            request_id: Some("R1".into()),
            extended_request_id: None,
        }
    }

    #[test]
    fn dynamodb_names_differ_by_family() {
        let optimized = service_failure(
            integration(Family::Optimized, Service::DynamoDb),
            &error("ConditionalCheckFailedException"),
        );
        assert_eq!(optimized.error, "DynamoDB.ConditionalCheckFailedException");
        assert_eq!(
            optimized.cause,
            "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: R1; Proxy: null)"
        );
        let sdk = service_failure(
            integration(Family::Sdk, Service::DynamoDb),
            &error("ConditionalCheckFailedException"),
        );
        assert_eq!(sdk.error, "DynamoDb.ConditionalCheckFailedException");
        assert_eq!(
            sdk.cause,
            "The conditional request failed (Service: DynamoDb, Status Code: 400, Request ID: R1)"
        );
    }

    #[test]
    fn s3_codes_gain_the_exception_suffix_and_the_extended_id() {
        let mut e = error("NoSuchKey");
        e.message = "The specified key does not exist.".into();
        e.status = 404;
        e.extended_request_id = Some("X2".into());
        let failure = service_failure(integration(Family::Sdk, Service::S3), &e);
        assert_eq!(failure.error, "S3.NoSuchKeyException");
        assert_eq!(
            failure.cause,
            "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: R1, Extended Request ID: X2)"
        );
    }

    #[test]
    fn error_types_lose_their_namespace() {
        assert_eq!(
            short_type("com.amazonaws.sqs#QueueDoesNotExist"),
            "QueueDoesNotExist"
        );
        assert_eq!(
            short_type("ResourceNotFoundException:http://internal.amazon.com/"),
            "ResourceNotFoundException"
        );
        assert_eq!(
            body_type(Some(
                br#"{"__type":"com.amazon.coral.validate#ValidationException","message":"m"}"#
            )),
            Some("com.amazon.coral.validate#ValidationException".into())
        );
        assert_eq!(body_type(Some(b"<Error/>")), None);
    }

    #[test]
    fn every_service_has_its_prefix() {
        let cases = [
            (
                Family::Optimized,
                Service::Sqs,
                "QueueDoesNotExist",
                "SQS.QueueDoesNotExistException",
            ),
            (
                Family::Sdk,
                Service::Sqs,
                "QueueDoesNotExist",
                "Sqs.QueueDoesNotExistException",
            ),
            (
                Family::Optimized,
                Service::Sns,
                "NotFound",
                "SNS.NotFoundException",
            ),
            (
                Family::Sdk,
                Service::Sns,
                "NotFound",
                "Sns.NotFoundException",
            ),
            (
                Family::Optimized,
                Service::EventBridge,
                "ResourceNotFoundException",
                "EventBridge.ResourceNotFoundException",
            ),
            (
                Family::Sdk,
                Service::EventBridge,
                "ResourceNotFoundException",
                "EventBridge.ResourceNotFoundException",
            ),
            (
                Family::Optimized,
                Service::Lambda,
                "ResourceNotFoundException",
                "Lambda.ResourceNotFoundException",
            ),
            (
                Family::Sdk,
                Service::Ssm,
                "ParameterNotFound",
                "Ssm.ParameterNotFoundException",
            ),
            (
                Family::Sdk,
                Service::Sfn,
                "ExecutionDoesNotExist",
                "Sfn.ExecutionDoesNotExistException",
            ),
            (
                Family::Sdk,
                Service::S3Vectors,
                "NotFoundException",
                "S3Vectors.NotFoundException",
            ),
            // Query-protocol codes with a namespace keep their last part.
            (
                Family::Sdk,
                Service::Sqs,
                "AWS.SimpleQueueService.NonExistentQueue",
                "Sqs.NonExistentQueueException",
            ),
        ];
        for (family, service, code, expected) in cases {
            assert_eq!(error_name(family, service, code), expected, "{code}");
        }
    }
}
