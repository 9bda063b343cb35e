//! A vector's metadata document: its allowed types and its documented size limits.
//!
//! S3 Vectors' metadata is a JSON object whose values are strings, numbers, booleans or
//! lists of those ("S3 Vectors supports string, number, boolean, and list types of
//! metadata", Metadata filtering page of the S3 User Guide). Sizes are measured as the
//! compact JSON encoding: all keys and values within
//! [`MAX_METADATA_BYTES`], the filterable ones (every key not declared non-filterable
//! on the index) within [`MAX_FILTERABLE_METADATA_BYTES`], at most
//! [`MAX_METADATA_KEYS`] keys. Oversized metadata is a 400 `ValidationException`, as the
//! guide says PutVectors answers.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::limits::{MAX_FILTERABLE_METADATA_BYTES, MAX_METADATA_BYTES, MAX_METADATA_KEYS};

/// Checks the metadata of the vector at request member `path` (`/vectors/3/metadata`)
/// against the index's non-filterable keys; `None` (or JSON `null`) is no metadata.
pub fn validate(
    path: &str,
    metadata: Option<Value>,
    non_filterable: &BTreeSet<String>,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let map = match metadata {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(ApiError::validation(
                path,
                format!(
                    "metadata must be a JSON object of keys to values, not {}",
                    kind(&other)
                ),
            ));
        }
    };
    if map.len() > MAX_METADATA_KEYS {
        return Err(ApiError::validation(
            path,
            format!(
                "metadata has {} keys; at most {MAX_METADATA_KEYS} are allowed per vector",
                map.len()
            ),
        ));
    }
    for (key, value) in &map {
        if key.is_empty() {
            return Err(ApiError::validation(
                path,
                "metadata keys must not be empty",
            ));
        }
        check_value(&format!("{path}/{key}"), value)?;
    }
    let total = encoded_len(&map);
    if total > MAX_METADATA_BYTES {
        return Err(ApiError::validation(
            path,
            format!(
                "metadata is {total} bytes; the total metadata per vector is limited to {MAX_METADATA_BYTES} bytes"
            ),
        ));
    }
    let filterable: Map<String, Value> = map
        .iter()
        .filter(|(key, _)| !non_filterable.contains(*key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let filterable_len = encoded_len(&filterable);
    if filterable_len > MAX_FILTERABLE_METADATA_BYTES {
        return Err(ApiError::validation(
            path,
            format!(
                "filterable metadata is {filterable_len} bytes; filterable metadata per vector is limited to {MAX_FILTERABLE_METADATA_BYTES} bytes (declare large keys non-filterable on the index)"
            ),
        ));
    }
    Ok(Some(map))
}

/// A value must be a string, number, boolean or list of those.
fn check_value(path: &str, value: &Value) -> Result<(), ApiError> {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if !matches!(item, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                    return Err(ApiError::validation(
                        format!("{path}/{i}"),
                        format!(
                            "metadata lists hold strings, numbers or booleans, not {}",
                            kind(item)
                        ),
                    ));
                }
            }
            Ok(())
        }
        other => Err(ApiError::validation(
            path,
            format!(
                "metadata values are strings, numbers, booleans or lists of those, not {}",
                kind(other)
            ),
        )),
    }
}

/// The compact JSON encoding's length in bytes.
fn encoded_len(map: &Map<String, Value>) -> usize {
    serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
}

/// A JSON value's kind, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn none() -> BTreeSet<String> {
        BTreeSet::new()
    }

    #[test]
    fn primitives_and_lists_are_accepted_and_null_is_no_metadata() {
        let m = validate(
            "/m",
            Some(json!({"a": "x", "b": 1.5, "c": true, "d": ["x", 2, false]})),
            &none(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(validate("/m", Some(Value::Null), &none()).unwrap(), None);
        assert_eq!(validate("/m", None, &none()).unwrap(), None);
    }

    #[test]
    fn objects_nulls_and_nested_lists_are_refused_naming_the_member() {
        for (metadata, member) in [
            (json!({"a": {"b": 1}}), "/vectors/0/metadata/a"),
            (json!({"a": null}), "/vectors/0/metadata/a"),
            (json!({"a": [[1]]}), "/vectors/0/metadata/a/0"),
            (json!([1, 2]), "/vectors/0/metadata"),
        ] {
            let err = validate("/vectors/0/metadata", Some(metadata), &none()).unwrap_err();
            assert_eq!(err.code, "ValidationException");
            assert_eq!(err.field.as_deref(), Some(member));
        }
    }

    #[test]
    fn the_documented_sizes_are_enforced() {
        let many: Map<String, Value> = (0..=MAX_METADATA_KEYS)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect();
        let err = validate("/m", Some(Value::Object(many)), &none()).unwrap_err();
        assert!(err.message.contains("51 keys"), "{}", err.message);

        let big = "x".repeat(MAX_FILTERABLE_METADATA_BYTES);
        let err = validate("/m", Some(json!({"text": big})), &none()).unwrap_err();
        assert!(err.message.contains("filterable"), "{}", err.message);
        let non_filterable: BTreeSet<String> = ["text".to_string()].into();
        assert!(
            validate("/m", Some(json!({"text": big})), &non_filterable)
                .unwrap()
                .is_some()
        );

        let huge = "x".repeat(MAX_METADATA_BYTES);
        let err = validate("/m", Some(json!({"text": huge})), &non_filterable).unwrap_err();
        assert!(err.message.contains("total metadata"), "{}", err.message);
    }
}
