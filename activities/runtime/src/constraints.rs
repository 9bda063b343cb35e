//! The constraints an activity's input schema publishes (ranges, lengths, patterns,
//! enums, item counts), enforced at the same boundary as unknown fields.
//!
//! serde decodes the types and rejects unknown fields; it does not know that
//! `timeout_seconds` must lie between 1 and 60 although the schema the activity
//! publishes — and the console, the generator and the data-flow check read — says so.
//! [`Constraints`] checks the input document against that schema (with the `jsonschema`
//! crate), so what the schema promises is what the activity accepts. A violation is
//! `InvalidInput` naming the field.

use serde_json::Value;

use crate::ActivityError;

/// A compiled input schema.
pub struct Constraints {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Constraints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Constraints")
    }
}

impl Constraints {
    /// Compiles `schema` (a JSON Schema, as `ActivityDef::input_schema` gives it).
    pub fn of(schema: &Value) -> Result<Self, String> {
        jsonschema::validator_for(schema)
            .map(|validator| Constraints { validator })
            .map_err(|e| e.to_string())
    }

    /// Checks `input`; the first violation becomes `InvalidInput` naming the field
    /// (`input field "image_limits.timeout_seconds": 61 is greater than the maximum of 60`).
    pub fn check(&self, input: &Value) -> Result<(), ActivityError> {
        match self.validator.iter_errors(input).next() {
            None => Ok(()),
            Some(e) => {
                let path = field_path(e.instance_path().as_str());
                let message = e.to_string();
                Err(ActivityError::invalid_input(if path.is_empty() {
                    format!("input: {message}")
                } else {
                    format!("input field \"{path}\": {message}")
                }))
            }
        }
    }
}

/// A JSON Pointer (`/items/0/quantity`) as the field path serde's messages use
/// (`items[0].quantity`).
fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&segment);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn pointers_read_like_serde_paths() {
        assert_eq!(field_path(""), "");
        assert_eq!(field_path("/items/0/quantity"), "items[0].quantity");
        assert_eq!(field_path("/a~1b/c~0d"), "a/b.c~d");
    }

    #[test]
    fn a_violation_names_the_field_and_the_bound() {
        let schema = json!({
            "type": "object",
            "properties": {
                "limits": {
                    "type": "object",
                    "properties": {"timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 60}}
                },
                "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "mode": {"enum": ["fast", "slow"]}
            }
        });
        let c = Constraints::of(&schema).unwrap();
        assert!(c.check(&json!({"limits": {"timeout_seconds": 60}})).is_ok());
        let err = c
            .check(&json!({"limits": {"timeout_seconds": 61}}))
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert_eq!(
            err.cause,
            "input field \"limits.timeout_seconds\": 61 is greater than the maximum of 60"
        );
        let err = c.check(&json!({"tags": ["a", ""]})).unwrap_err();
        assert!(
            err.cause.starts_with("input field \"tags[1]\": "),
            "{}",
            err.cause
        );
        let err = c.check(&json!({"mode": "medium"})).unwrap_err();
        assert!(
            err.cause.starts_with("input field \"mode\": "),
            "{}",
            err.cause
        );
    }
}
