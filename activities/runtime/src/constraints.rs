//! The constraints an activity's input schema publishes (ranges, lengths, patterns,
//! enums, item counts), enforced at the same boundary as unknown fields.
//!
//! serde decodes the types and rejects unknown fields; it does not know that
//! `timeout_seconds` must lie between 1 and 60 although the schema the activity
//! publishes — and the console, the generator and the data-flow check read — says so.
//! [`Constraints`] checks the decoded document against that schema, so what the schema
//! promises is what the activity accepts. A violation is `InvalidInput` naming the field.
//!
//! Why not a general JSON Schema validator: the `jsonschema` crate did this first and
//! put the Lambda artifact over its 25 MB budget (25.6 MB stripped, from 22.0 MiB). The
//! schemas here are schemars' (subschemas inlined, types already enforced by serde), so
//! the keywords that matter are few and listed below; patterns use `regex-lite`, which
//! the AWS SDK already links. A keyword not listed (`$ref`, `if`, `dependentSchemas`,
//! formats) constrains nothing here — serde's types still apply.
//!
//! Keywords: `type`, `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`,
//! `exclusiveMaximum`, `multipleOf`, `minLength`, `maxLength` (in characters), `pattern`,
//! `minItems`, `maxItems`, `uniqueItems`, `items`, `prefixItems`, `properties`,
//! `additionalProperties`, `required`, `minProperties`, `maxProperties`, `allOf`,
//! `anyOf`, `oneOf`, `not`.

use std::collections::HashMap;

use regex_lite::Regex;
use serde_json::{Map, Value};

use crate::ActivityError;

/// A compiled input schema.
#[derive(Debug, Clone)]
pub struct Constraints {
    schema: Value,
    /// Every `pattern` of the schema, compiled once.
    patterns: Patterns,
}

/// Compiled patterns by their source text.
type Patterns = HashMap<String, Regex>;

impl Constraints {
    /// Takes `schema` (a JSON Schema, as `ActivityDef::input_schema` gives it), checking
    /// that every `pattern` in it compiles.
    pub fn of(schema: &Value) -> Result<Self, String> {
        let mut patterns = Patterns::new();
        compile_patterns(schema, &mut patterns)?;
        Ok(Constraints {
            schema: schema.clone(),
            patterns,
        })
    }

    /// Checks `input`; the first violation becomes `InvalidInput` naming the field
    /// (`input field "image_limits.timeout_seconds": 61 is greater than the maximum of 60`).
    pub fn check(&self, input: &Value) -> Result<(), ActivityError> {
        let mut path = Vec::new();
        match violation(&self.schema, input, &mut path, &self.patterns) {
            None => Ok(()),
            Some((path, message)) => Err(ActivityError::invalid_input(if path.is_empty() {
                format!("input: {message}")
            } else {
                format!("input field \"{path}\": {message}")
            })),
        }
    }
}

fn compile_patterns(schema: &Value, out: &mut Patterns) -> Result<(), String> {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(pattern)) = map.get("pattern")
                && !out.contains_key(pattern)
            {
                let compiled = Regex::new(pattern)
                    .map_err(|e| format!("pattern \"{pattern}\" does not compile: {e}"))?;
                out.insert(pattern.clone(), compiled);
            }
            map.values().try_for_each(|v| compile_patterns(v, out))
        }
        Value::Array(items) => items.iter().try_for_each(|v| compile_patterns(v, out)),
        _ => Ok(()),
    }
}

/// A path segment: a field or an index.
enum Segment<'a> {
    Field(&'a str),
    Index(usize),
}

/// The field path serde's messages use (`items[0].quantity`).
fn render(path: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The first violation of `schema` by `value`: where and what.
fn violation<'v>(
    schema: &Value,
    value: &'v Value,
    path: &mut Vec<Segment<'v>>,
    patterns: &Patterns,
) -> Option<(String, String)> {
    let schema = match schema {
        Value::Bool(true) => return None,
        Value::Bool(false) => return Some((render(path), format!("{value} is not allowed"))),
        Value::Object(schema) => schema,
        _ => return None,
    };
    let here = |message: String, path: &[Segment<'_>]| Some((render(path), message));

    if let Some(kind) = schema.get("type") {
        let ok = match kind {
            Value::String(t) => has_type(value, t),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| has_type(value, t)),
            _ => true,
        };
        if !ok {
            return here(format!("{value} is not of type {kind}"), path);
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.iter().any(|o| same(o, value))
    {
        return here(
            format!("{value} is not one of {}", Value::Array(options.clone())),
            path,
        );
    }
    if let Some(expected) = schema.get("const")
        && !same(expected, value)
    {
        return here(format!("{expected} was expected"), path);
    }
    if let Some(n) = value.as_f64()
        && let Some(message) = number_violation(schema, value, n)
    {
        return here(message, path);
    }
    if let Value::String(s) = value {
        let chars = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && chars < min
        {
            return here(
                format!("{value} is shorter than {min} character{}", plural(min)),
                path,
            );
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && chars > max
        {
            return here(
                format!("{value} is longer than {max} character{}", plural(max)),
                path,
            );
        }
        if let Some(Value::String(pattern)) = schema.get("pattern") {
            let matches = patterns.get(pattern).is_some_and(|re| re.is_match(s));
            if !matches {
                return here(format!("{value} does not match \"{pattern}\""), path);
            }
        }
    }
    if let Value::Array(items) = value
        && let Some(found) = array_violation(schema, items, path, patterns)
    {
        return Some(found);
    }
    if let Value::Object(members) = value
        && let Some(found) = object_violation(schema, members, path, patterns)
    {
        return Some(found);
    }
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for sub in all {
            if let Some(found) = violation(sub, value, path, patterns) {
                return Some(found);
            }
        }
    }
    if let Some(Value::Array(any)) = schema.get("anyOf") {
        let mut first = None;
        for sub in any {
            match violation(sub, value, path, patterns) {
                None => {
                    first = None;
                    break;
                }
                Some(found) => {
                    first.get_or_insert(found);
                }
            }
        }
        if let Some(found) = first {
            return Some(found);
        }
    }
    if let Some(Value::Array(one)) = schema.get("oneOf") {
        let mut passing = 0;
        let mut first = None;
        for sub in one {
            match violation(sub, value, path, patterns) {
                None => passing += 1,
                Some(found) => {
                    first.get_or_insert(found);
                }
            }
        }
        match (passing, first) {
            (1, _) => {}
            (0, Some(found)) => return Some(found),
            _ => {
                return here(
                    format!(
                        "{value} is valid under more than one of the schemas listed in the 'oneOf' keyword"
                    ),
                    path,
                );
            }
        }
    }
    if let Some(not) = schema.get("not")
        && violation(not, value, path, patterns).is_none()
    {
        return here(format!("{value} should not be valid under {not}"), path);
    }
    None
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn number_violation(schema: &Map<String, Value>, value: &Value, n: f64) -> Option<String> {
    let bound = |key: &str| {
        schema
            .get(key)
            .and_then(Value::as_f64)
            .map(|b| (b, &schema[key]))
    };
    if let Some((min, shown)) = bound("minimum")
        && n < min
    {
        return Some(format!("{value} is less than the minimum of {shown}"));
    }
    if let Some((max, shown)) = bound("maximum")
        && n > max
    {
        return Some(format!("{value} is greater than the maximum of {shown}"));
    }
    if let Some((min, shown)) = bound("exclusiveMinimum")
        && n <= min
    {
        return Some(format!(
            "{value} is less than or equal to the minimum of {shown}"
        ));
    }
    if let Some((max, shown)) = bound("exclusiveMaximum")
        && n >= max
    {
        return Some(format!(
            "{value} is greater than or equal to the maximum of {shown}"
        ));
    }
    if let Some((step, shown)) = bound("multipleOf")
        && step > 0.0
        && ((n / step).round() * step - n).abs() > f64::EPSILON * n.abs().max(1.0)
    {
        return Some(format!("{value} is not a multiple of {shown}"));
    }
    None
}

fn array_violation<'v>(
    schema: &Map<String, Value>,
    items: &'v [Value],
    path: &mut Vec<Segment<'v>>,
    patterns: &Patterns,
) -> Option<(String, String)> {
    let len = items.len() as u64;
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
        && len < min
    {
        return Some((
            render(path),
            format!("the array has {len} item{}, fewer than {min}", plural(len)),
        ));
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
        && len > max
    {
        return Some((
            render(path),
            format!("the array has {len} items, more than {max}"),
        ));
    }
    if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
        for (i, item) in items.iter().enumerate() {
            if items[..i].iter().any(|other| same(other, item)) {
                return Some((
                    render(path),
                    format!("the array has non-unique elements ({item} again at [{i}])"),
                ));
            }
        }
    }
    let prefix = schema.get("prefixItems").and_then(Value::as_array);
    for (i, item) in items.iter().enumerate() {
        let sub = match prefix.and_then(|p| p.get(i)) {
            Some(sub) => Some(sub),
            None => schema.get("items"),
        };
        if let Some(sub) = sub {
            path.push(Segment::Index(i));
            let found = violation(sub, item, path, patterns);
            path.pop();
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

fn object_violation<'v>(
    schema: &Map<String, Value>,
    members: &'v Map<String, Value>,
    path: &mut Vec<Segment<'v>>,
    patterns: &Patterns,
) -> Option<(String, String)> {
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !members.contains_key(name) {
                return Some((render(path), format!("\"{name}\" is a required property")));
            }
        }
    }
    let count = members.len() as u64;
    if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
        && count < min
    {
        return Some((
            render(path),
            format!("the object has {count} properties, fewer than {min}"),
        ));
    }
    if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
        && count > max
    {
        return Some((
            render(path),
            format!("the object has {count} properties, more than {max}"),
        ));
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, member) in members {
        let sub = match properties.and_then(|p| p.get(name)) {
            Some(sub) => Some(sub),
            None => schema.get("additionalProperties"),
        };
        if let Some(sub) = sub {
            path.push(Segment::Field(name));
            let found = violation(sub, member, path, patterns);
            path.pop();
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

/// JSON equality, with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "limits": {
                    "type": "object",
                    "properties": {"timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 60}}
                },
                "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 3},
                "mode": {"enum": ["fast", "slow"]},
                "code": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "note": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]},
                "status": {"oneOf": [{"const": "STARTED"}, {"const": "DONE"}]}
            }
        })
    }

    fn cause(input: Value) -> String {
        Constraints::of(&schema())
            .unwrap()
            .check(&input)
            .unwrap_err()
            .cause
    }

    #[test]
    fn a_violation_names_the_field_and_the_bound() {
        let c = Constraints::of(&schema()).unwrap();
        assert!(c.check(&json!({"limits": {"timeout_seconds": 60}})).is_ok());
        let err = c
            .check(&json!({"limits": {"timeout_seconds": 61}}))
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert_eq!(
            err.cause,
            "input field \"limits.timeout_seconds\": 61 is greater than the maximum of 60"
        );
        assert_eq!(
            cause(json!({"limits": {"timeout_seconds": 0}})),
            "input field \"limits.timeout_seconds\": 0 is less than the minimum of 1"
        );
        assert_eq!(
            cause(json!({"tags": ["a", ""]})),
            "input field \"tags[1]\": \"\" is shorter than 1 character"
        );
        assert_eq!(
            cause(json!({"tags": ["a", "b", "c", "d"]})),
            "input field \"tags\": the array has 4 items, more than 3"
        );
        assert!(
            cause(json!({"mode": "medium"}))
                .starts_with("input field \"mode\": \"medium\" is not one of")
        );
        assert_eq!(
            cause(json!({"code": "usa"})),
            "input field \"code\": \"usa\" does not match \"^[A-Z]{2}$\""
        );
    }

    #[test]
    fn optional_and_enumerated_values_follow_their_branches() {
        let c = Constraints::of(&schema()).unwrap();
        assert!(
            c.check(&json!({"note": null, "status": "DONE", "code": "US"}))
                .is_ok()
        );
        assert!(c.check(&json!({"note": "short"})).is_ok());
        assert!(cause(json!({"note": "too long"})).starts_with("input field \"note\": "));
        assert!(cause(json!({"status": "LATER"})).starts_with("input field \"status\": "));
    }

    #[test]
    fn a_pattern_that_does_not_compile_is_refused_up_front() {
        assert!(Constraints::of(&json!({"pattern": "("})).is_err());
    }

    #[test]
    fn the_published_schemas_of_real_types_accept_their_own_values() {
        #[derive(serde::Serialize, schemars::JsonSchema)]
        struct Limits {
            #[schemars(range(min = 1, max = 60))]
            timeout: u32,
            #[schemars(length(min = 1))]
            names: Vec<String>,
            maybe: Option<String>,
        }
        let schema = stepwise_contract::schema_of::<Limits>();
        let c = Constraints::of(&schema).unwrap();
        let ok = serde_json::to_value(Limits {
            timeout: 30,
            names: vec!["a".into()],
            maybe: None,
        })
        .unwrap();
        assert!(c.check(&ok).is_ok(), "{schema}");
        let mut bad = ok.clone();
        bad["timeout"] = json!(61);
        assert!(c.check(&bad).is_err());
        let mut bad = ok;
        bad["names"] = json!([]);
        assert!(c.check(&bad).is_err());
    }
}
