//! JSON to the SDK's `Document` (free-form members such as S3 Vectors' `Metadata` and
//! `Filter`) and back.

use aws_smithy_types::{Document, Number};
use serde_json::{Map, Value};

/// `value` as a document.
pub fn from_json(value: Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            Number::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        Value::String(s) => Document::String(s),
        Value::Array(a) => Document::Array(a.into_iter().map(from_json).collect()),
        Value::Object(o) => {
            Document::Object(o.into_iter().map(|(k, v)| (k, from_json(v))).collect())
        }
    }
}

/// `document` as JSON (object keys sorted; a non-finite float becomes `null`).
pub fn to_json(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Document::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), to_json(&o[k]));
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_round_trips() {
        let value = json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}});
        assert_eq!(to_json(&from_json(value.clone())), value);
    }
}
