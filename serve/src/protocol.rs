//! AWS's JSON 1.0 protocol as Step Functions speaks it: `POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Action>` and a JSON body; answers in
//! `application/x-amz-json-1.0`, errors as [`ApiError`]. Any SigV4 signature (or none)
//! is accepted: this is a local tool. Also the request helpers every action uses
//! (decoding the body, required fields, timestamps as epoch seconds).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::App;
use crate::actions;
use crate::error::{ApiError, ErrorType};

/// The content type of requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The prefix of `X-Amz-Target`.
pub const TARGET_PREFIX: &str = "AWSStepFunctions.";

/// The largest request body accepted: a 1 MB definition plus its JSON escaping.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// Handles one API request.
pub async fn handle(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let result = match action(&headers) {
        Ok(action) => match decode_body(&body) {
            Ok(value) => actions::dispatch(&app, action, value).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok(value) => {
            let mut r = value.to_string().into_response();
            r.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(CONTENT_TYPE),
            );
            r
        }
        Err(e) => {
            tracing::debug!(error = %e, "request refused");
            e.into_response()
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

/// The action `X-Amz-Target` names.
fn action(headers: &HeaderMap) -> Result<&str, ApiError> {
    let target = headers
        .get("x-amz-target")
        .ok_or_else(|| {
            ApiError::new(
                ErrorType::UnknownOperationException,
                "Missing X-Amz-Target header: expected AWSStepFunctions.<Action>",
            )
        })?
        .to_str()
        .map_err(|_| {
            ApiError::new(
                ErrorType::UnknownOperationException,
                "X-Amz-Target is not ASCII text",
            )
        })?;
    target.strip_prefix(TARGET_PREFIX).ok_or_else(|| {
        ApiError::new(
            ErrorType::UnknownOperationException,
            format!("Unknown target \"{target}\": expected AWSStepFunctions.<Action>"),
        )
    })
}

/// The request body as a JSON object (an empty body is `{}`).
fn decode_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorType::SerializationException,
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(ApiError::new(
            ErrorType::SerializationException,
            "The request body must be a JSON object",
        ));
    }
    Ok(value)
}

/// Decodes an action's request; a field of the wrong JSON type is a
/// `SerializationException` naming it.
pub fn request<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    serde_json::from_value(body).map_err(|e| {
        ApiError::new(
            ErrorType::SerializationException,
            format!("Cannot decode the request: {e}"),
        )
    })
}

/// A required field's value, or AWS's "must not be null" `ValidationException`.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::missing(field))
}

/// A timestamp as the JSON protocol sends it: epoch seconds, milliseconds as fraction.
pub fn epoch(t: DateTime<Utc>) -> Value {
    Value::from(t.timestamp_millis() as f64 / 1000.0)
}

/// `maxResults`, 0..=1000 (0 means the default, 100).
pub fn page_size(max_results: Option<i64>) -> Result<usize, ApiError> {
    match max_results {
        None | Some(0) => Ok(100),
        Some(n @ 1..=1000) => Ok(n as usize),
        Some(n) => Err(ApiError::constraint(
            "maxResults",
            n,
            "Member must have value less than or equal to 1000 and greater than or equal to 0",
        )),
    }
}
