//! Example values from JSON Schemas (for mock responses of activities).

use serde_json::{Map, Value, json};

/// A value that satisfies `schema`: the schema's own `examples`/`default`/`const`/first
/// `enum` value when it has one, otherwise a plain value of the right type with every
/// declared property filled in. Deterministic.
pub fn example_from_schema(schema: &Value) -> Value {
    example(schema, 0)
}

fn example(schema: &Value, depth: usize) -> Value {
    let Value::Object(s) = schema else {
        return json!({});
    };
    if depth > 16 {
        return Value::Null;
    }
    if let Some(Value::Array(examples)) = s.get("examples")
        && let Some(first) = examples.first()
    {
        return first.clone();
    }
    for key in ["const", "default"] {
        if let Some(v) = s.get(key) {
            return v.clone();
        }
    }
    if let Some(Value::Array(values)) = s.get("enum")
        && let Some(first) = values.first()
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = s.get(key) {
            let non_null = variants
                .iter()
                .find(|v| v.get("type") != Some(&json!("null")));
            if let Some(v) = non_null.or(variants.first()) {
                return example(v, depth + 1);
            }
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ => return json!({}),
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(Value::Object(props)) = s.get("properties") {
                for (name, sub) in props {
                    out.insert(name.clone(), example(sub, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = s
                .get("items")
                .map(|i| example(i, depth + 1))
                .unwrap_or(json!({}));
            let min = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            Value::Array(vec![item; usize::try_from(min.min(8)).unwrap_or(1)])
        }
        "string" => Value::String(match s.get("format").and_then(Value::as_str) {
            Some("date-time") => "2026-01-01T03:00:00Z".into(),
            Some("date") => "2026-01-01".into(),
            Some("uri") => "https://example.com/".into(),
            Some("uuid") => "00000000-0000-4000-8000-000000000000".into(),
            _ => "example".into(),
        }),
        "integer" => json!(s.get("minimum").and_then(Value::as_i64).unwrap_or(0).max(0)),
        "number" => json!(
            s.get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                .max(0.0)
        ),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_property_with_a_value_of_its_type() {
        let schema = json!({
            "type": "object",
            "properties": {
                "key": {"type": "string"},
                "count": {"type": "integer", "minimum": 0},
                "when": {"type": "string", "format": "date"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "mode": {"enum": ["FAST", "SLOW"]},
                "maybe": {"type": ["number", "null"]},
                "nested": {"type": "object", "properties": {"ok": {"type": "boolean"}}}
            }
        });
        assert_eq!(
            example_from_schema(&schema),
            json!({"key": "example", "count": 0, "when": "2026-01-01", "tags": ["example"],
                   "mode": "FAST", "maybe": 0.0, "nested": {"ok": false}})
        );
    }
}
