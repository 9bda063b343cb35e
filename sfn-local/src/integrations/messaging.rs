//! Messaging: SQS `sendMessage`, SNS `publish`, EventBridge `putEvents`, in both
//! families. The optimized family turns a JSON `MessageBody`, `Message` or `Detail` into
//! its text, and adds the state machine's and the execution's ARNs to each event's
//! `Resources`; a `putEvents` with failed entries fails the optimized task with
//! `EventBridge.FailedEntry`, as Step Functions does.

use std::collections::HashMap;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_smithy_types::Blob;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::metadata::HttpMetadata;
use super::resource::Service;
use super::{Call, put};
use crate::failure::Failure;

/// A message attribute (SQS and SNS share the shape).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Attribute {
    data_type: String,
    string_value: Option<String>,
    binary_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct SendMessage {
    queue_url: String,
    message_body: Value,
    delay_seconds: Option<i32>,
    message_attributes: Option<HashMap<String, Attribute>>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Publish {
    topic_arn: Option<String>,
    target_arn: Option<String>,
    phone_number: Option<String>,
    message: Value,
    subject: Option<String>,
    message_structure: Option<String>,
    message_attributes: Option<HashMap<String, Attribute>>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct PutEvents {
    entries: Vec<Entry>,
    endpoint_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Entry {
    detail: Option<Value>,
    detail_type: Option<String>,
    source: Option<String>,
    event_bus_name: Option<String>,
    resources: Option<Vec<String>>,
    trace_header: Option<String>,
}

/// Runs the call's messaging action.
pub(super) async fn run(call: &Call<'_>) -> Result<Value, Failure> {
    match call.integration.service {
        Service::Sqs => send_message(call).await,
        Service::Sns => publish(call).await,
        _ => put_events(call).await,
    }
}

/// The text of a body parameter: a string as is; in the optimized family any other JSON
/// as its text, in the SDK family a type error naming `field`.
fn text(call: &Call<'_>, field: &str, value: Value) -> Result<String, Failure> {
    match value {
        Value::String(s) => Ok(s),
        other if call.optimized() => Ok(other.to_string()),
        other => Err(call.invalid(&format!(
            "{field}: invalid type: expected a string, found {other}"
        ))),
    }
}

fn binary(call: &Call<'_>, field: &str, text: Option<String>) -> Result<Option<Blob>, Failure> {
    text.map(|t| {
        STANDARD
            .decode(t)
            .map(Blob::new)
            .map_err(|e| call.invalid(&format!("{field}: not base64: {e}")))
    })
    .transpose()
}

async fn send_message(call: &Call<'_>) -> Result<Value, Failure> {
    use aws_sdk_sqs::types::MessageAttributeValue;
    let p: SendMessage = call.params()?;
    let body = text(call, "MessageBody", p.message_body)?;
    let mut attributes = None;
    if let Some(given) = p.message_attributes {
        let mut converted = HashMap::new();
        for (name, a) in given {
            let field = format!("MessageAttributes.{name}");
            let value = MessageAttributeValue::builder()
                .data_type(a.data_type)
                .set_string_value(a.string_value)
                .set_binary_value(binary(call, &field, a.binary_value)?)
                .build()
                .map_err(|e| call.invalid(&format!("{field}: {e}")))?;
            converted.insert(name, value);
        }
        attributes = Some(converted);
    }
    let meta = HttpMetadata::new();
    let client = call.clients().sqs().await;
    let r = call
        .send(
            client
                .send_message()
                .queue_url(p.queue_url)
                .message_body(body)
                .set_delay_seconds(p.delay_seconds)
                .set_message_attributes(attributes)
                .set_message_deduplication_id(p.message_deduplication_id)
                .set_message_group_id(p.message_group_id)
                .customize()
                .interceptor(meta.clone())
                .send(),
        )
        .await?;
    let mut out = Map::new();
    put(
        &mut out,
        "MD5OfMessageAttributes",
        r.md5_of_message_attributes().map(str::to_string),
    );
    put(
        &mut out,
        "MD5OfMessageBody",
        r.md5_of_message_body().map(str::to_string),
    );
    put(&mut out, "MessageId", r.message_id().map(str::to_string));
    put(
        &mut out,
        "SequenceNumber",
        r.sequence_number().map(str::to_string),
    );
    Ok(call.finish(out, &meta))
}

async fn publish(call: &Call<'_>) -> Result<Value, Failure> {
    use aws_sdk_sns::types::MessageAttributeValue;
    let p: Publish = call.params()?;
    let message = text(call, "Message", p.message)?;
    let mut attributes = None;
    if let Some(given) = p.message_attributes {
        let mut converted = HashMap::new();
        for (name, a) in given {
            let field = format!("MessageAttributes.{name}");
            let value = MessageAttributeValue::builder()
                .data_type(a.data_type)
                .set_string_value(a.string_value)
                .set_binary_value(binary(call, &field, a.binary_value)?)
                .build()
                .map_err(|e| call.invalid(&format!("{field}: {e}")))?;
            converted.insert(name, value);
        }
        attributes = Some(converted);
    }
    let meta = HttpMetadata::new();
    let client = call.clients().sns().await;
    let r = call
        .send(
            client
                .publish()
                .set_topic_arn(p.topic_arn)
                .set_target_arn(p.target_arn)
                .set_phone_number(p.phone_number)
                .message(message)
                .set_subject(p.subject)
                .set_message_structure(p.message_structure)
                .set_message_attributes(attributes)
                .set_message_deduplication_id(p.message_deduplication_id)
                .set_message_group_id(p.message_group_id)
                .customize()
                .interceptor(meta.clone())
                .send(),
        )
        .await?;
    let mut out = Map::new();
    put(&mut out, "MessageId", r.message_id().map(str::to_string));
    put(
        &mut out,
        "SequenceNumber",
        r.sequence_number().map(str::to_string),
    );
    Ok(call.finish(out, &meta))
}

/// The state machine's ARN, from the execution's
/// (`arn:aws:states:R:A:execution:Machine:name` → `arn:aws:states:R:A:stateMachine:Machine`).
fn state_machine_arn(execution: &str) -> Option<String> {
    let parts: Vec<&str> = execution.split(':').collect();
    match parts.as_slice() {
        [
            "arn",
            partition,
            "states",
            region,
            account,
            "execution",
            machine,
            ..,
        ] => Some(format!(
            "arn:{partition}:states:{region}:{account}:stateMachine:{machine}"
        )),
        _ => None,
    }
}

async fn put_events(call: &Call<'_>) -> Result<Value, Failure> {
    let p: PutEvents = call.params()?;
    let execution = call.request.execution.clone();
    let machine = state_machine_arn(&execution);
    let mut entries = Vec::with_capacity(p.entries.len());
    for (i, e) in p.entries.into_iter().enumerate() {
        let detail = e
            .detail
            .map(|d| text(call, &format!("Entries[{i}].Detail"), d))
            .transpose()?;
        let mut resources = e.resources;
        if call.optimized() {
            let list = resources.get_or_insert_with(Vec::new);
            list.extend(machine.clone());
            list.push(execution.clone());
        }
        entries.push(
            PutEventsRequestEntry::builder()
                .set_detail(detail)
                .set_detail_type(e.detail_type)
                .set_source(e.source)
                .set_event_bus_name(e.event_bus_name)
                .set_resources(resources)
                .set_trace_header(e.trace_header)
                .build(),
        );
    }
    let meta = HttpMetadata::new();
    let client = call.clients().eventbridge().await;
    let r = call
        .send(
            client
                .put_events()
                .set_entries(Some(entries))
                .set_endpoint_id(p.endpoint_id)
                .customize()
                .interceptor(meta.clone())
                .send(),
        )
        .await?;
    let results: Vec<Value> = r
        .entries()
        .iter()
        .map(|e| {
            let mut m = Map::new();
            put(&mut m, "ErrorCode", e.error_code().map(str::to_string));
            put(
                &mut m,
                "ErrorMessage",
                e.error_message().map(str::to_string),
            );
            put(&mut m, "EventId", e.event_id().map(str::to_string));
            Value::Object(m)
        })
        .collect();
    let failed = r.failed_entry_count();
    let out = json!({"Entries": results, "FailedEntryCount": failed});
    if call.optimized() && failed > 0 {
        return Err(Failure::new("EventBridge.FailedEntry", out.to_string()));
    }
    // The optimized putEvents returns the API's response only (no HTTP metadata).
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_arn_comes_from_the_execution_arn() {
        assert_eq!(
            state_machine_arn("arn:aws:states:us-east-1:123456789012:execution:Orders:run-1")
                .as_deref(),
            Some("arn:aws:states:us-east-1:123456789012:stateMachine:Orders")
        );
        assert_eq!(state_machine_arn("local"), None);
    }
}
