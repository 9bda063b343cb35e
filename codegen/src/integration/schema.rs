//! Small JSON Schema builders for the result tables, so each integration's result reads
//! as a list of fields: which are always there, which may be, and their types.

use serde_json::{Map, Value, json};

/// An object whose `required` fields are always present and whose `optional` ones may be.
/// Other fields are not declared (the data-flow check reports a path to one).
pub(super) fn object(required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let mut properties = Map::new();
    for (name, schema) in required.iter().chain(optional) {
        properties.insert((*name).to_string(), schema.clone());
    }
    let names: Vec<&str> = required.iter().map(|(name, _)| *name).collect();
    json!({"type": "object", "properties": properties, "required": names})
}

/// `schema` with `example` as its first (and only) example.
pub(super) fn with_example(mut schema: Value, example: Value) -> Value {
    if let Value::Object(fields) = &mut schema {
        fields.insert("examples".into(), json!([example]));
    }
    schema
}

pub(super) fn string() -> Value {
    json!({"type": "string"})
}

pub(super) fn integer() -> Value {
    json!({"type": "integer"})
}

pub(super) fn number() -> Value {
    json!({"type": "number"})
}

pub(super) fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// Anything: a field whose type AWS does not pin down (dates, which the optimized
/// integrations give as epoch numbers and the SDK ones as strings) or that is the caller's
/// own data (a Lambda `Payload`).
pub(super) fn any() -> Value {
    json!({})
}

/// An array of `item`s.
pub(super) fn array(item: Value) -> Value {
    json!({"type": "array", "items": item})
}

/// A map from names to `value`s (DynamoDB items, S3 metadata, HTTP headers).
pub(super) fn map(value: Value) -> Value {
    json!({"type": "object", "additionalProperties": value})
}

/// A DynamoDB item: attribute names to attribute values (`{"S": "..."}`, `{"N": "1"}`).
pub(super) fn item() -> Value {
    map(json!({"type": "object"}))
}

/// The two metadata objects the optimized integrations built on the Java SDK add.
pub(super) fn java_sdk_metadata() -> [(&'static str, Value); 2] {
    [
        (
            "SdkHttpMetadata",
            object(
                &[
                    ("AllHttpHeaders", map(any())),
                    ("HttpHeaders", map(string())),
                    ("HttpStatusCode", integer()),
                ],
                &[],
            ),
        ),
        (
            "SdkResponseMetadata",
            object(&[("RequestId", string())], &[]),
        ),
    ]
}

/// An example of [`java_sdk_metadata`] for a JSON response of `length` bytes.
pub(super) fn java_sdk_metadata_example(
    request_id: &str,
    length: u32,
) -> [(&'static str, Value); 2] {
    let length = length.to_string();
    [
        (
            "SdkHttpMetadata",
            json!({
                "AllHttpHeaders": {
                    "Content-Length": [length],
                    "Content-Type": ["application/x-amz-json-1.0"],
                    "Date": ["Thu, 01 Jan 2026 03:00:00 GMT"],
                    "x-amzn-RequestId": [request_id]
                },
                "HttpHeaders": {
                    "Content-Length": length,
                    "Content-Type": "application/x-amz-json-1.0",
                    "Date": "Thu, 01 Jan 2026 03:00:00 GMT",
                    "x-amzn-RequestId": request_id
                },
                "HttpStatusCode": 200
            }),
        ),
        ("SdkResponseMetadata", json!({"RequestId": request_id})),
    ]
}

/// `fields` plus `extra` as one JSON object.
pub(super) fn merge(
    fields: Value,
    extra: impl IntoIterator<Item = (&'static str, Value)>,
) -> Value {
    let mut out = match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (name, value) in extra {
        out.insert(name.to_string(), value);
    }
    Value::Object(out)
}
