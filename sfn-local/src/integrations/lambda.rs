//! `lambda:invoke` (optimized): the function name — a name, `name:qualifier`, a full or
//! partial ARN — resolves to an activity of the fallback runner (the registry) when it
//! serves one, else to the Lambda Invoke endpoint named by `LAMBDA_ENDPOINT` or
//! `AWS_ENDPOINT_URL_LAMBDA` (or [`super::ServiceTasks::with_lambda_endpoint`]) through
//! `aws-sdk-lambda`. The result is Step Functions':
//! `{ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode}` (the
//! HTTP metadata only when an endpoint answered). A function error fails the task with
//! the error name the function gave (`errorType`), or `Lambda.Unknown` when it gave none,
//! and the function's error payload as the cause.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::clients::LAMBDA_ENDPOINT_VARS;
use super::errors::{ServiceError, service_failure};
use super::metadata::HttpMetadata;
use super::{Call, put};
use crate::failure::Failure;
use crate::tasks::TaskRequest;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Invoke {
    function_name: String,
    payload: Option<Value>,
    qualifier: Option<String>,
    invocation_type: Option<String>,
    log_type: Option<String>,
    client_context: Option<String>,
}

/// A function name's parts: the name and the qualifier (version or alias), if any.
pub fn function_parts(function: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = function.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name] => (name, None),
        ["arn", _, "lambda", _, _, "function", name, q] => (name, Some(q)),
        [_, "function", name] => (name, None),
        [_, "function", name, q] => (name, Some(q)),
        [name, q] => (name, Some(q)),
        _ => (function, None),
    }
}

/// Runs `lambda:invoke`.
pub(super) async fn run(call: &Call<'_>) -> Result<Value, Failure> {
    let p: Invoke = call.params()?;
    let (name, name_qualifier) = function_parts(&p.function_name);
    let qualifier = p.qualifier.as_deref().or(name_qualifier);
    let activity = format!("${{{name}}}");
    let state = &call.request.state;
    if call.tasks.fallback.check(state, &activity).is_ok() {
        return invoke_activity(call, activity, p.payload.unwrap_or(Value::Null), qualifier).await;
    }
    if call.clients().lambda_endpoint().is_none() {
        return Err(service_failure(
            call.integration,
            &ServiceError {
                code: "ResourceNotFoundException".into(),
                message: format!(
                    "Function not found: {} (sfn-local: no activity named \"{name}\" is registered and neither {} is set)",
                    p.function_name,
                    LAMBDA_ENDPOINT_VARS.join(" nor ")
                ),
                status: 404,
                request_id: None,
                extended_request_id: None,
            },
        ));
    }
    invoke_endpoint(call, p).await
}

async fn invoke_activity(
    call: &Call<'_>,
    resource: String,
    payload: Value,
    qualifier: Option<&str>,
) -> Result<Value, Failure> {
    let request = TaskRequest {
        resource,
        input: payload,
        ..call.request.clone()
    };
    match call.timed(call.tasks.fallback.run(request)).await {
        Ok(output) => Ok(json!({
            "ExecutedVersion": qualifier.unwrap_or("$LATEST"),
            "Payload": output,
            "StatusCode": 200,
        })),
        Err(f) if f.is_terminal() => Err(f),
        Err(f) => {
            let cause = json!({"errorMessage": f.cause, "errorType": f.error}).to_string();
            Err(Failure::new(f.error, cause))
        }
    }
}

async fn invoke_endpoint(call: &Call<'_>, p: Invoke) -> Result<Value, Failure> {
    let payload = p.payload.map(|v| Blob::new(v.to_string().into_bytes()));
    let meta = HttpMetadata::new();
    let client = call.clients().lambda().await;
    let r = call
        .send(
            client
                .invoke()
                .function_name(&p.function_name)
                .set_payload(payload)
                .set_qualifier(p.qualifier)
                .set_invocation_type(p.invocation_type.map(|s| InvocationType::from(s.as_str())))
                .set_log_type(p.log_type.map(|s| LogType::from(s.as_str())))
                .set_client_context(p.client_context)
                .customize()
                .interceptor(meta.clone())
                .send(),
        )
        .await?;
    let body = r
        .payload()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
        .unwrap_or_default();
    if r.function_error().is_some() {
        let error = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("errorType")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "Lambda.Unknown".to_string());
        return Err(Failure::new(error, body));
    }
    let payload = if body.is_empty() {
        Value::String(String::new())
    } else {
        serde_json::from_str(&body).unwrap_or(Value::String(body))
    };
    let mut out = Map::new();
    put(
        &mut out,
        "ExecutedVersion",
        r.executed_version().map(str::to_string),
    );
    put(&mut out, "LogResult", r.log_result().map(str::to_string));
    out.insert("Payload".into(), payload);
    meta.add_to(&mut out);
    out.insert("StatusCode".into(), json!(r.status_code()));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_in_every_form() {
        assert_eq!(function_parts("PriceLine"), ("PriceLine", None));
        assert_eq!(
            function_parts("PriceLine:live"),
            ("PriceLine", Some("live"))
        );
        assert_eq!(
            function_parts("arn:aws:lambda:us-east-1:123456789012:function:PriceLine"),
            ("PriceLine", None)
        );
        assert_eq!(
            function_parts("arn:aws:lambda:us-east-1:123456789012:function:PriceLine:3"),
            ("PriceLine", Some("3"))
        );
        assert_eq!(
            function_parts("123456789012:function:PriceLine"),
            ("PriceLine", None)
        );
    }
}
