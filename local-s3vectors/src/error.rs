//! S3 Vectors' errors as the AWS SDK parses them (restJson1): the HTTP status, the error
//! code in the `x-amzn-ErrorType` header and a `{"message": ...}` body
//! (`ValidationException` adds `fieldList`).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One error answer of the service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The modelled error code (`ValidationException`, `NotFoundException`, …).
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// For `ValidationException`: the request member at fault (`/dimension`, …).
    pub field: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 400 `ValidationException` about request member `path` (`/vectors/3/key`, …).
    pub fn validation(path: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(path.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
        }
    }

    /// 400 `ValidationException` about the request as a whole.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    /// 404 `NotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFoundException", message)
    }

    /// 409 `ConflictException`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ConflictException", message)
    }

    /// 402 `ServiceQuotaExceededException` (the status the model gives it).
    pub fn quota_exceeded(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "ServiceQuotaExceededException",
            message,
        )
    }

    /// 429 `TooManyRequestsException`.
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            message,
        )
    }

    /// 503 `ServiceUnavailableException`.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            message,
        )
    }

    /// 500 `InternalServerException`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            message,
        )
    }

    /// 404 `UnknownOperationException` for a path that names no operation.
    pub fn unknown_operation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "UnknownOperationException", message)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    field_list: Vec<FieldBody<'a>>,
}

#[derive(Serialize)]
struct FieldBody<'a> {
    path: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let field_list = self
            .field
            .as_deref()
            .map(|path| {
                vec![FieldBody {
                    path,
                    message: &self.message,
                }]
            })
            .unwrap_or_default();
        let body = serde_json::to_string(&ErrorBody {
            message: &self.message,
            field_list,
        })
        .unwrap_or_else(|_| "{}".to_string());
        (
            self.status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (
                    header::HeaderName::from_static("x-amzn-errortype"),
                    HeaderValue::from_static(self.code),
                ),
                (
                    header::HeaderName::from_static("x-amz-request-id"),
                    request_id(),
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// A fresh request id for a response header.
pub(crate) fn request_id() -> HeaderValue {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("local-s3vectors-{}-{n}", std::process::id()))
        .unwrap_or_else(|_| HeaderValue::from_static("local-s3vectors"))
}
