//! AWS SDK errors mapped to [`ActivityError`]s by what they mean, in one place.
//!
//! Every activity that calls AWS turns an SDK failure into one of the standard error
//! names through [`classify`] (or [`SdkResultExt::activity_err`] for `?`), so the state
//! machine's Retry and Catch see the same name for the same fault whatever the service:
//!
//! | what happened | name |
//! | --- | --- |
//! | a throttling code (`ThrottlingException`, `SlowDown`, …) or HTTP 429 | `Throttled` |
//! | timeout, connection/IO failure, unreadable response, an internal/unavailable code or HTTP 5xx | `Transient` |
//! | a not-found code (`ResourceNotFoundException`, `NoSuchKey`, `ParameterNotFound`, …) or HTTP 404 | `NotFound` |
//! | a validation code (`ValidationException`, `InvalidParameterValue`, …) or a request that could not be built | `InvalidInput` |
//! | anything else (`AccessDenied*`, `UnrecognizedClientException`, other 4xx, unknown) | `Permanent` |
//!
//! A known error code wins over the HTTP status (S3 sends `SlowDown` with 503; it is
//! throttling). The cause names the service and operation, the AWS error code, the HTTP
//! status, AWS's message and the request id, so an operator reading the execution history
//! can act on it.
//!
//! This module must not retry, sleep or log: retrying is the state machine's business,
//! and errors an activity expects (a conditional check that failed, an object that may be
//! absent) are matched by the activity on the typed SDK error *before* it classifies the
//! rest. Causes carry only what AWS returned about the failure, never request payloads.

use std::error::Error;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::ErrorKind;
use stepwise_contract::{ErrorName, errors};

use crate::ActivityError;

/// Error codes that mean "slow down" (the AWS SDKs' own throttling list).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "SlowDown",
    "PriorRequestNotComplete",
    "TransactionInProgressException",
    "EC2ThrottledException",
];

/// Error codes of faults on the service's side that a later attempt may not meet.
pub const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ModelNotReadyException",
    "ModelTimeoutException",
];

/// Error codes that say the thing asked for does not exist.
pub const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "NoSuchKey",
    "NoSuchBucket",
    "NotFound",
    // S3 Vectors: a vector bucket or index that does not exist (HTTP 404).
    "NotFoundException",
    "ParameterNotFound",
    "ParameterVersionNotFound",
];

/// Error codes that say the request itself is invalid.
pub const INVALID_INPUT_CODES: &[&str] = &[
    "ValidationException",
    "ValidationError",
    "InvalidParameterException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "InvalidRequest",
    "InvalidArgument",
    "SerializationException",
];

/// The error name an AWS error code maps to, or `None` for a code this module does not
/// know (the HTTP status then decides, see [`name_for_status`]).
pub fn name_for_code(code: &str) -> Option<ErrorName> {
    if THROTTLING_CODES.contains(&code) {
        Some(errors::THROTTLED)
    } else if TRANSIENT_CODES.contains(&code) {
        Some(errors::TRANSIENT)
    } else if NOT_FOUND_CODES.contains(&code) {
        Some(errors::NOT_FOUND)
    } else if INVALID_INPUT_CODES.contains(&code) {
        Some(errors::INVALID_INPUT)
    } else {
        None
    }
}

/// The error name an HTTP error status maps to when the error code is unknown or absent:
/// 429 `Throttled`, 5xx `Transient`, 404 `NotFound`, anything else `Permanent`.
pub fn name_for_status(status: u16) -> ErrorName {
    match status {
        429 => errors::THROTTLED,
        500..=599 => errors::TRANSIENT,
        404 => errors::NOT_FOUND,
        _ => errors::PERMANENT,
    }
}

/// Maps an SDK error to an [`ActivityError`] by its meaning (see the module docs for the
/// table). `service` and `operation` name the call in the cause (`"SSM"`,
/// `"GetParameter"`).
///
/// Match the errors your activity expects on the typed error first
/// ([`SdkError::as_service_error`]); classify the rest.
pub fn classify<E>(service: &str, operation: &str, err: &SdkError<E, HttpResponse>) -> ActivityError
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let call = format!("{service} {operation}");
    match err {
        SdkError::ServiceError(service_err) => {
            let status = service_err.raw().status().as_u16();
            let source = service_err.err();
            let meta = source.meta();
            let code = meta.code().filter(|c| !c.is_empty());
            let name = code
                .and_then(name_for_code)
                .unwrap_or_else(|| name_for_status(status));
            let message = match meta.message().filter(|m| !m.is_empty()) {
                Some(message) => message.to_string(),
                None => chain(source),
            };
            let mut cause = match code {
                Some(code) => format!("{call}: {code} (HTTP {status})"),
                None => format!("{call}: HTTP {status} without an error code"),
            };
            if !message.is_empty() {
                cause.push_str(": ");
                cause.push_str(&message);
            }
            if let Some(id) = request_id(meta, service_err.raw()) {
                cause.push_str(&format!(" (request id {id})"));
            }
            ActivityError::new(name, cause)
        }
        SdkError::TimeoutError(_) => {
            ActivityError::transient(format!("{call}: timed out{}", detail(err)))
        }
        SdkError::DispatchFailure(dispatch) => {
            let (name, what) = match dispatch.as_connector_error() {
                Some(c) if c.is_timeout() => (errors::TRANSIENT, "timed out"),
                Some(c) if c.is_io() => (errors::TRANSIENT, "could not reach the service"),
                // The HTTP client refused the request itself (an invalid URI or header):
                // sending it again changes nothing.
                Some(c) if c.is_user() => {
                    (errors::PERMANENT, "the HTTP client rejected the request")
                }
                Some(c) => match c.as_other() {
                    Some(ErrorKind::ThrottlingError) => (errors::THROTTLED, "throttled"),
                    Some(ErrorKind::ClientError) => {
                        (errors::PERMANENT, "the HTTP client rejected the request")
                    }
                    _ => (errors::TRANSIENT, "could not send the request"),
                },
                None => (errors::TRANSIENT, "could not send the request"),
            };
            ActivityError::new(name, format!("{call}: {what}{}", detail(err)))
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            ActivityError::transient(format!(
                "{call}: unreadable response (HTTP {status}){}",
                detail(err)
            ))
        }
        SdkError::ConstructionFailure(_) => ActivityError::invalid_input(format!(
            "{call}: the request could not be built{}",
            detail(err)
        )),
        // `SdkError` is non-exhaustive: a kind added later is not known to be safe to retry.
        _ => ActivityError::permanent(format!("{call}: {}", chain(err))),
    }
}

/// `?`-friendly [`classify`]: `client.get_parameter()...send().await.activity_err("SSM", "GetParameter")?`.
pub trait SdkResultExt<T> {
    /// Maps the error, if any, through [`classify`].
    fn activity_err(self, service: &str, operation: &str) -> Result<T, ActivityError>;
}

impl<T, E> SdkResultExt<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + Error + 'static,
{
    fn activity_err(self, service: &str, operation: &str) -> Result<T, ActivityError> {
        self.map_err(|err| classify(service, operation, &err))
    }
}

/// `": <source chain>"` of an SDK error, or nothing when it has no source.
fn detail<E, R>(err: &SdkError<E, R>) -> String
where
    E: Error + 'static,
    R: std::fmt::Debug,
{
    match err.source() {
        Some(source) => format!(": {}", chain(source)),
        None => String::new(),
    }
}

/// An error and its sources, `outer: inner: innermost`, skipping a source whose text is
/// already part of the previous one.
fn chain(err: &(dyn Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(source) = next {
        let text = source.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = source.source();
    }
    out
}

/// The request id AWS returned, from the parsed metadata or the response headers.
fn request_id<'a>(
    meta: &'a aws_smithy_types::error::ErrorMetadata,
    raw: &'a HttpResponse,
) -> Option<&'a str> {
    meta.extra("aws_request_id")
        .or_else(|| raw.headers().get("x-amzn-requestid"))
        .or_else(|| raw.headers().get("x-amz-request-id"))
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use std::io;

    use aws_sdk_ssm::operation::get_parameter::GetParameterError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    type Err = SdkError<GetParameterError, HttpResponse>;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty())
    }

    fn service(code: Option<&str>, message: &str, status: u16) -> Err {
        let mut meta = ErrorMetadata::builder().message(message);
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(GetParameterError::generic(meta.build()), response(status))
    }

    fn name_of(err: &Err) -> &'static str {
        classify("SSM", "GetParameter", err).name.as_str()
    }

    #[test]
    fn every_listed_code_maps_to_its_class_whatever_the_status() {
        let table: [(&[&str], &str); 4] = [
            (THROTTLING_CODES, "Throttled"),
            (TRANSIENT_CODES, "Transient"),
            (NOT_FOUND_CODES, "NotFound"),
            (INVALID_INPUT_CODES, "InvalidInput"),
        ];
        for (codes, expected) in table {
            for code in codes {
                for status in [400, 403, 503] {
                    assert_eq!(
                        name_of(&service(Some(code), "m", status)),
                        expected,
                        "{code} with HTTP {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn throttling_cause_names_the_call_the_code_and_the_message() {
        let err = classify(
            "SSM",
            "GetParameter",
            &service(Some("ThrottlingException"), "slow down", 400),
        );
        assert_eq!(err.name, errors::THROTTLED);
        assert_eq!(
            err.cause,
            "SSM GetParameter: ThrottlingException (HTTP 400): slow down"
        );
    }

    #[test]
    fn the_brief_examples_map_as_documented() {
        for (code, status, expected) in [
            ("SlowDown", 503, "Throttled"),
            ("ProvisionedThroughputExceededException", 400, "Throttled"),
            ("InternalServerError", 500, "Transient"),
            ("ModelTimeoutException", 408, "Transient"),
            ("ParameterNotFound", 400, "NotFound"),
            ("NoSuchKey", 404, "NotFound"),
            ("ValidationException", 400, "InvalidInput"),
            ("InvalidParameterValue", 400, "InvalidInput"),
            ("AccessDeniedException", 400, "Permanent"),
            ("AccessDenied", 403, "Permanent"),
            ("UnrecognizedClientException", 400, "Permanent"),
            ("ConditionalCheckFailedException", 400, "Permanent"),
            ("SomethingNew", 400, "Permanent"),
            ("SomethingNew", 502, "Transient"),
            ("SomethingNew", 429, "Throttled"),
            ("SomethingNew", 404, "NotFound"),
        ] {
            assert_eq!(
                name_of(&service(Some(code), "m", status)),
                expected,
                "{code} HTTP {status}"
            );
        }
    }

    #[test]
    fn s3_vectors_errors_map_by_meaning() {
        // S3 Vectors' documented errors (PutVectors, QueryVectors, CreateIndex, ...).
        for (code, status, expected) in [
            ("TooManyRequestsException", 429, "Throttled"),
            ("SlowDown", 503, "Throttled"),
            ("ServiceUnavailableException", 503, "Transient"),
            ("InternalServerException", 500, "Transient"),
            ("RequestTimeoutException", 408, "Transient"),
            ("NotFoundException", 404, "NotFound"),
            ("ValidationException", 400, "InvalidInput"),
            ("ConflictException", 409, "Permanent"),
            ("ServiceQuotaExceededException", 402, "Permanent"),
            ("AccessDeniedException", 403, "Permanent"),
        ] {
            assert_eq!(
                name_of(&service(Some(code), "m", status)),
                expected,
                "{code} HTTP {status}"
            );
        }
    }

    #[test]
    fn statuses_without_a_code_decide_by_themselves() {
        for (status, expected) in [
            (429, "Throttled"),
            (500, "Transient"),
            (502, "Transient"),
            (503, "Transient"),
            (504, "Transient"),
            (404, "NotFound"),
            (400, "Permanent"),
            (401, "Permanent"),
            (403, "Permanent"),
            (409, "Permanent"),
        ] {
            assert_eq!(
                name_of(&service(None, "", status)),
                expected,
                "HTTP {status}"
            );
        }
        let err = classify("SSM", "GetParameter", &service(None, "", 503));
        assert!(
            err.cause
                .starts_with("SSM GetParameter: HTTP 503 without an error code"),
            "{}",
            err.cause
        );
    }

    #[test]
    fn an_empty_code_counts_as_no_code() {
        assert_eq!(name_of(&service(Some(""), "", 429)), "Throttled");
    }

    #[test]
    fn the_request_id_is_part_of_the_cause() {
        let meta = ErrorMetadata::builder()
            .code("AccessDeniedException")
            .message("not allowed")
            .custom("aws_request_id", "req-123")
            .build();
        let err: Err = SdkError::service_error(GetParameterError::generic(meta), response(400));
        let err = classify("SSM", "GetParameter", &err);
        assert_eq!(err.name, errors::PERMANENT);
        assert_eq!(
            err.cause,
            "SSM GetParameter: AccessDeniedException (HTTP 400): not allowed (request id req-123)"
        );
    }

    #[test]
    fn timeouts_are_transient() {
        let err: Err = SdkError::timeout_error(io::Error::new(
            io::ErrorKind::TimedOut,
            "operation timeout (all attempts including retries) occurred after 3s",
        ));
        let err = classify("S3", "GetObject", &err);
        assert_eq!(err.name, errors::TRANSIENT);
        assert_eq!(
            err.cause,
            "S3 GetObject: timed out: operation timeout (all attempts including retries) occurred after 3s"
        );
    }

    #[test]
    fn dispatch_failures_are_transient_unless_the_client_rejected_the_request() {
        let io_err: Err = SdkError::dispatch_failure(ConnectorError::io(Box::new(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "connection refused",
        ))));
        let err = classify("DynamoDB", "PutItem", &io_err);
        assert_eq!(err.name, errors::TRANSIENT);
        assert!(
            err.cause
                .starts_with("DynamoDB PutItem: could not reach the service: "),
            "{}",
            err.cause
        );
        assert!(err.cause.contains("connection refused"), "{}", err.cause);

        let timeout: Err = SdkError::dispatch_failure(ConnectorError::timeout(Box::new(
            io::Error::new(io::ErrorKind::TimedOut, "connect timeout"),
        )));
        assert_eq!(name_of(&timeout), "Transient");

        let other: Err = SdkError::dispatch_failure(ConnectorError::other(
            Box::new(io::Error::other("incomplete message")),
            Some(ErrorKind::TransientError),
        ));
        assert_eq!(name_of(&other), "Transient");

        let unknown: Err = SdkError::dispatch_failure(ConnectorError::other(
            Box::new(io::Error::other("???")),
            None,
        ));
        assert_eq!(name_of(&unknown), "Transient");

        let throttled: Err = SdkError::dispatch_failure(ConnectorError::other(
            Box::new(io::Error::other("busy")),
            Some(ErrorKind::ThrottlingError),
        ));
        assert_eq!(name_of(&throttled), "Throttled");

        let user: Err = SdkError::dispatch_failure(ConnectorError::user(Box::new(
            io::Error::other("invalid URI"),
        )));
        assert_eq!(name_of(&user), "Permanent");
    }

    #[test]
    fn unreadable_responses_are_transient() {
        let err: Err =
            SdkError::response_error(io::Error::other("unexpected end of JSON"), response(200));
        let err = classify("Bedrock", "InvokeModel", &err);
        assert_eq!(err.name, errors::TRANSIENT);
        assert_eq!(
            err.cause,
            "Bedrock InvokeModel: unreadable response (HTTP 200): unexpected end of JSON"
        );
    }

    #[test]
    fn requests_that_cannot_be_built_are_invalid_input() {
        let err: Err = SdkError::construction_failure(io::Error::other(
            "name was not specified but it is required",
        ));
        let err = classify("SSM", "GetParameter", &err);
        assert_eq!(err.name, errors::INVALID_INPUT);
        assert_eq!(
            err.cause,
            "SSM GetParameter: the request could not be built: name was not specified but it is required"
        );
    }

    #[test]
    fn the_extension_trait_maps_results() {
        let ok: Result<u8, Err> = Ok(1);
        assert_eq!(ok.activity_err("SSM", "GetParameter"), Ok(1));
        let failed: Result<u8, Err> = Err(service(Some("ThrottlingException"), "x", 400));
        let err = failed.activity_err("SSM", "GetParameter").unwrap_err();
        assert_eq!(err.name, errors::THROTTLED);
    }
}
