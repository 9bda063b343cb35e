//! Lambda's `Invoke` (`POST /2015-03-31/functions/{name}/invocations`) for every activity
//! of the registry, through the same handler the `bootstrap` binary runs in Lambda
//! (`stepwise_runtime::lambda::Handler`): RequestResponse answers with the output, or
//! with `X-Amz-Function-Error: Unhandled` and `{"errorType", "errorMessage"}`; Event
//! answers 202 and runs in the background; DryRun answers 204.
//!
//! A function is found by the activity's name, by the CDK app's construct id
//! (`<Pascal>Function`) or by the physical name CloudFormation derives from it
//! (`<Stack>-<Pascal>Function<hash>-<suffix>`), each also as a function ARN or with a
//! `:qualifier`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stepwise_runtime::Services;
use stepwise_runtime::lambda::Handler;

use crate::App;

/// The activity a function name (or ARN, with or without a qualifier) stands for.
pub fn resolve<'a>(names: &[&'a str], function: &str) -> Option<&'a str> {
    let name = match function.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => (*name).to_string(),
        [name, ..] => (*name).to_string(),
        [] => return None,
    };
    names.iter().copied().find(|activity| {
        let construct = format!("{}Function", pascal(activity));
        name == *activity
            || name == construct
            || name
                .split('-')
                .any(|part| part.strip_prefix(&construct).is_some_and(is_hash))
    })
}

/// The CDK app's `pascal()`: words split on non-alphanumerics, each capitalised.
fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// CloudFormation's hash after a logical id: 8 hex digits (or nothing, when truncated).
fn is_hash(rest: &str) -> bool {
    rest.is_empty() || (rest.len() == 8 && rest.chars().all(|c| c.is_ascii_hexdigit()))
}

fn error(status: StatusCode, kind: &'static str, message: String) -> Response {
    let mut r = (
        status,
        json!({"Type": "User", "Message": message, "message": message, "__type": kind}).to_string(),
    )
        .into_response();
    r.headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(kind));
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Handles one Invoke.
pub async fn invoke(
    State(app): State<Arc<App>>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let names = app.registry.names();
    let Some(activity) = resolve(&names, &function) else {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!(
                "Function not found: arn:aws:lambda:{}:{}:function:{function} (activities: {})",
                app.config.account.region,
                app.config.account.account,
                names.join(", ")
            ),
        );
    };
    let payload: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    format!("Could not parse request body into json: {e}"),
                );
            }
        }
    };
    let handler = match Handler::new(app.registry.clone(), Services::shared(), activity) {
        Ok(h) => h,
        Err(e) => {
            return error(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                e.to_string(),
            );
        }
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let kind = headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse");
    let mut response = match kind {
        "RequestResponse" => match handler.handle(payload, Some(request_id.clone())).await {
            Ok(output) => (StatusCode::OK, output.to_string()).into_response(),
            Err(e) => {
                let body = json!({"errorType": e.name.as_str(), "errorMessage": e.cause});
                let mut r = (StatusCode::OK, body.to_string()).into_response();
                r.headers_mut().insert(
                    "x-amz-function-error",
                    HeaderValue::from_static("Unhandled"),
                );
                r
            }
        },
        "Event" => {
            let id = request_id.clone();
            tokio::spawn(async move {
                if let Err(e) = handler.handle(payload, Some(id)).await {
                    tracing::info!(activity = handler.activity(), error = %e.name.as_str(), "asynchronous invocation failed");
                }
            });
            StatusCode::ACCEPTED.into_response()
        }
        "DryRun" => StatusCode::NO_CONTENT.into_response(),
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                format!(
                    "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, not \"{other}\""
                ),
            );
        }
    };
    let h = response.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-amzn-requestid", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_resolve_by_activity_construct_and_cloudformation_name() {
        let names = ["ValidateOrder", "load-config"];
        assert_eq!(resolve(&names, "ValidateOrder"), Some("ValidateOrder"));
        assert_eq!(
            resolve(&names, "ValidateOrder:$LATEST"),
            Some("ValidateOrder")
        );
        assert_eq!(
            resolve(
                &names,
                "arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder"
            ),
            Some("ValidateOrder")
        );
        assert_eq!(
            resolve(&names, "ValidateOrderFunction"),
            Some("ValidateOrder")
        );
        assert_eq!(resolve(&names, "LoadConfigFunction"), Some("load-config"));
        assert_eq!(
            resolve(
                &names,
                "StepwiseStack-ValidateOrderFunction1A2B3C4D-xYz09AbCdEf"
            ),
            Some("ValidateOrder")
        );
        assert_eq!(resolve(&names, "Nope"), None);
        assert_eq!(
            resolve(&names, "StepwiseStack-ValidateOrderFunctionXYZ-1"),
            None
        );
    }
}
