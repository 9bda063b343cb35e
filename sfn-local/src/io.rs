//! Input and output processing: InputPath/OutputPath selection, payload templates
//! (`.$` keys with paths and intrinsic functions), ResultPath, and the payload limit.
//!
//! Parsed paths and intrinsic calls are cached, so a Map over thousands of items parses
//! each template once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use codegen::errors::{
    STATES_DATA_LIMIT_EXCEEDED, STATES_INTRINSIC_FAILURE, STATES_RESULT_PATH_MATCH_FAILURE,
};
use codegen::intrinsic::{self, Call};
use codegen::path::{self, JsonPath, SelectError};
use serde_json::{Map, Value};

use crate::failure::Failure;
use crate::intrinsics::{self, Scope};

/// Step Functions' limit on a state's input, output or task result, in bytes.
pub const PAYLOAD_LIMIT: usize = 262_144;

/// What paths and templates are evaluated against.
pub struct Env<'a> {
    /// The state's (effective) input.
    pub input: &'a Value,
    /// The context object (`$$`).
    pub context: &'a Value,
    /// Workflow variables (`$name`).
    pub variables: &'a Map<String, Value>,
}

/// Parsed paths and intrinsic calls, by text.
#[derive(Debug, Default)]
pub struct Cache {
    paths: RwLock<HashMap<String, Arc<JsonPath>>>,
    calls: RwLock<HashMap<String, Arc<Call>>>,
}

impl Cache {
    /// The parsed path `text`.
    pub fn path(&self, text: &str) -> Result<Arc<JsonPath>, Failure> {
        if let Some(p) = self
            .paths
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(text)
        {
            return Ok(p.clone());
        }
        let parsed = Arc::new(
            path::parse(text)
                .map_err(|e| Failure::runtime(format!("invalid path \"{text}\": {e}")))?,
        );
        self.paths
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(text.to_string(), parsed.clone());
        Ok(parsed)
    }

    /// The parsed intrinsic call `text`.
    pub fn call(&self, text: &str) -> Result<Arc<Call>, Failure> {
        if let Some(c) = self
            .calls
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(text)
        {
            return Ok(c.clone());
        }
        let parsed = Arc::new(intrinsic::parse(text).map_err(|e| {
            Failure::new(
                STATES_INTRINSIC_FAILURE.as_str(),
                format!("invalid intrinsic function \"{text}\": {e}"),
            )
        })?);
        self.calls
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(text.to_string(), parsed.clone());
        Ok(parsed)
    }

    /// Selects `text` from `env` (`$` = input, `$$` = context, `$x` = variable `x`).
    pub fn select(&self, text: &str, env: &Env, field: &str) -> Result<Value, Failure> {
        self.select_measured(text, env, field, PAYLOAD_LIMIT)
            .map(|(value, _)| value)
    }

    /// [`Cache::select`] within `limit` bytes, with the result's length.
    fn select_measured(
        &self,
        text: &str,
        env: &Env,
        field: &str,
        limit: usize,
    ) -> Result<(Value, usize), Failure> {
        let p = self.path(text)?;
        p.select_measured(env.input, env.context, env.variables, limit)
            .map_err(|e| match e {
                SelectError::TooLarge { limit, .. } => Failure::new(
                    STATES_DATA_LIMIT_EXCEEDED.as_str(),
                    format!(
                        "the JSONPath \"{text}\" specified for the field \"{field}\" selects more than the limit of {limit} bytes"
                    ),
                ),
                SelectError::UnboundVariable { name, .. } => Failure::runtime(format!(
                    "the variable \"${name}\" used by the field \"{field}\" (\"{text}\") is not set"
                )),
                SelectError::NoMatch { .. } => Failure::runtime(format!(
                    "the JSONPath \"{text}\" specified for the field \"{field}\" could not be found in the input {}",
                    truncate(env.input)
                )),
            })
    }

    /// Applies an optional path field (InputPath / OutputPath): absent = everything,
    /// `null` = `{}`.
    pub fn apply_path(
        &self,
        path: &Option<Option<String>>,
        value: &Value,
        field: &str,
        env: &Env,
    ) -> Result<Value, Failure> {
        match path {
            None => Ok(value.clone()),
            Some(None) => Ok(Value::Object(Map::new())),
            Some(Some(p)) if p == "$" => Ok(value.clone()),
            Some(Some(p)) => {
                let env = Env {
                    input: value,
                    context: env.context,
                    variables: env.variables,
                };
                self.select(p, &env, field)
            }
        }
    }

    /// Evaluates a payload template: every `key.$` becomes `key` with the value of its
    /// path or intrinsic function.
    ///
    /// The result is bounded while it is built: once the values filled in add up to more
    /// than the payload limit, it fails with `States.DataLimitExceeded` (many keys that
    /// each select the whole input would otherwise build many times the limit first).
    pub fn template(&self, template: &Value, env: &Env, field: &str) -> Result<Value, Failure> {
        let mut budget = PAYLOAD_LIMIT;
        self.template_within(template, env, field, &mut budget, None)
    }

    /// [`Cache::template`] for a template whose top-level `key` (see [`whole_input_key`])
    /// copies the whole input, when the caller no longer needs the input: the input is
    /// moved into that key instead of being copied, and its size is `input_len` (the
    /// length of its JSON text, already known) instead of being measured again. Every
    /// other key is evaluated against the input first, as usual.
    #[allow(clippy::too_many_arguments)]
    pub fn template_moving_input(
        &self,
        template: &Value,
        key: &str,
        input: Value,
        input_len: usize,
        context: &Value,
        variables: &Map<String, Value>,
        field: &str,
    ) -> Result<Value, Failure> {
        let mut budget = PAYLOAD_LIMIT
            .checked_sub(input_len)
            .ok_or_else(|| over_limit(field))?;
        let env = Env {
            input: &input,
            context,
            variables,
        };
        let mut out = self.template_within(template, &env, field, &mut budget, Some(key))?;
        let name = key.strip_suffix(".$").unwrap_or(key);
        if let Some(slot) = out.get_mut(name) {
            *slot = input;
        }
        Ok(out)
    }

    /// Evaluates `template` within `budget` bytes. A top-level key equal to `moved` is
    /// left `null`, holding its place for the value the caller moves in.
    fn template_within(
        &self,
        template: &Value,
        env: &Env,
        field: &str,
        budget: &mut usize,
        moved: Option<&str>,
    ) -> Result<Value, Failure> {
        match template {
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (key, value) in map {
                    if moved == Some(key.as_str()) {
                        let name = key.strip_suffix(".$").unwrap_or(key);
                        out.insert(name.to_string(), Value::Null);
                        continue;
                    }
                    match (key.strip_suffix(".$"), value) {
                        (Some(name), Value::String(expr)) => {
                            let here = format!("{field}.{key}");
                            let (value, len) = if intrinsic::looks_like_call(expr) {
                                let value = self.expression(expr, env, &here)?;
                                let len = path::json_len_within(&value, *budget)
                                    .ok_or_else(|| over_limit(field))?;
                                (value, len)
                            } else {
                                self.select_measured(expr, env, &here, *budget)
                                    .map_err(|f| {
                                        if f.error == STATES_DATA_LIMIT_EXCEEDED.as_str() {
                                            over_limit(field)
                                        } else {
                                            f
                                        }
                                    })?
                            };
                            *budget -= len;
                            out.insert(name.to_string(), value);
                        }
                        _ => {
                            let value = self.template_within(value, env, field, budget, None)?;
                            out.insert(key.clone(), value);
                        }
                    }
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .map(|i| self.template_within(i, env, field, budget, None))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// The value of a `.$` expression: an intrinsic call or a path.
    pub fn expression(&self, expr: &str, env: &Env, field: &str) -> Result<Value, Failure> {
        if intrinsic::looks_like_call(expr) {
            let call = self.call(expr)?;
            let scope = Scope {
                input: env.input,
                context: env.context,
                variables: env.variables,
            };
            intrinsics::evaluate(&call, &scope).map_err(|f| Failure::new(f.error, f.cause))
        } else {
            self.select(expr, env, field)
        }
    }
}

/// The JSON text of `value` (compact, as `Value::to_string` writes it, but written
/// straight into a buffer rather than through `fmt`).
pub fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
}

/// The JSON text of `object` whose member `name` has the known JSON text `member_text`:
/// that member is copied in, not serialised again (a Pass that wraps its input in a new
/// level costs the new level). `None` when `object` is not an object or has no `name`.
pub fn text_with_member(object: &Value, name: &str, member_text: &str) -> Option<String> {
    let map = object.as_object()?;
    if !map.contains_key(name) {
        return None;
    }
    let mut out = Vec::with_capacity(member_text.len() + 64);
    out.push(b'{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, key).ok()?;
        out.push(b':');
        if key == name {
            out.extend_from_slice(member_text.as_bytes());
        } else {
            serde_json::to_writer(&mut out, value).ok()?;
        }
    }
    out.push(b'}');
    String::from_utf8(out).ok()
}

/// Whether `a` and `b` serialise to the same JSON text: the same members in the same
/// order, the same numbers written the same way (`1` is not `1.0`, `0.0` is not `-0.0`).
/// A walk over the two values, much cheaper than writing either (no number formatting).
pub fn same_text(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => {
            x == y && x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits)
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_text(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_text(va, vb))
        }
        _ => false,
    }
}

/// The JSON text of a state's `output` when its `input`'s text is `input_text`, written
/// without serialising again what the state passed on unchanged:
///
/// * `output` is `input` (ResultPath `null`, a Succeed, …): `input_text`;
/// * `output` is the object `input` with members added at its end (ResultPath `$.new`,
///   which appends a member the input did not have): `input_text` with the new members'
///   text spliced in before its closing brace;
/// * otherwise `output` serialised.
///
/// The result is always exactly [`json_text`]`(output)`: members keep their order (the
/// maps preserve insertion order), and a value is reused only where [`same_text`] holds.
pub fn derived_text(output: &Value, input: &Value, input_text: &str) -> String {
    if same_text(output, input) {
        return input_text.to_string();
    }
    if let (Value::Object(out), Value::Object(inp)) = (output, input)
        && out.len() > inp.len()
        && let Some(head) = input_text.strip_suffix('}')
        && out
            .iter()
            .zip(inp)
            .all(|((ka, va), (kb, vb))| ka == kb && same_text(va, vb))
    {
        let mut text = Vec::with_capacity(input_text.len() + 64);
        text.extend_from_slice(head.as_bytes());
        for (i, (key, value)) in out.iter().enumerate().skip(inp.len()) {
            if i > 0 {
                text.push(b',');
            }
            let written = serde_json::to_writer(&mut text, key).and_then(|()| {
                text.push(b':');
                serde_json::to_writer(&mut text, value)
            });
            if written.is_err() {
                return json_text(output);
            }
        }
        text.push(b'}');
        return String::from_utf8(text).unwrap_or_else(|_| json_text(output));
    }
    json_text(output)
}

/// The top-level key of a payload template that copies the whole input (`"k.$": "$"`;
/// the last one when there are several), if any.
/// `None` when another key of the template fills the same member (`"x"` beside `"x.$"`).
pub fn whole_input_key(template: &Value) -> Option<&str> {
    let map = template.as_object()?;
    let key = map
        .iter()
        .rev()
        .find(|(key, value)| key.ends_with(".$") && value.as_str() == Some("$"))
        .map(|(key, _)| key.as_str())?;
    let name = key.strip_suffix(".$").unwrap_or(key);
    let fills = |k: &String| k.strip_suffix(".$").unwrap_or(k) == name;
    (map.keys().filter(|k| fills(k)).count() == 1).then_some(key)
}

fn over_limit(field: &str) -> Failure {
    Failure::new(
        STATES_DATA_LIMIT_EXCEEDED.as_str(),
        format!("the values of {field} add up to more than the limit of {PAYLOAD_LIMIT} bytes"),
    )
}

/// Applies ResultPath: absent = the result replaces the input, `null` = the input is kept,
/// a reference path = the result is placed there.
pub fn apply_result_path(
    cache: &Cache,
    result_path: &Option<Option<String>>,
    input: &Value,
    result: Value,
) -> Result<Value, Failure> {
    match result_path {
        None => Ok(result),
        Some(None) => Ok(input.clone()),
        Some(Some(p)) if p == "$" => Ok(result),
        Some(Some(p)) => {
            let path = cache.path(p)?;
            let mut out = input.clone();
            path.assign(&mut out, result).map_err(|e| {
                Failure::new(
                    STATES_RESULT_PATH_MATCH_FAILURE.as_str(),
                    format!(
                        "unable to apply ResultPath \"{p}\" to the input {}: {e}",
                        truncate(input)
                    ),
                )
            })?;
            Ok(out)
        }
    }
}

/// Fails with `States.DataLimitExceeded` when a payload of `size` bytes is over the limit.
pub fn check_len(size: usize, what: &str, state: &str) -> Result<(), Failure> {
    if size > PAYLOAD_LIMIT {
        return Err(Failure::new(
            STATES_DATA_LIMIT_EXCEEDED.as_str(),
            format!(
                "the {what} of state \"{state}\" is {size} bytes, more than the limit of {PAYLOAD_LIMIT} bytes"
            ),
        ));
    }
    Ok(())
}

/// The length of `value` as compact JSON, without allocating the text.
pub fn serialized_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a Value into a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// A short rendering of a value for messages.
pub fn truncate(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 200 {
        text
    } else {
        let mut short: String = text.chars().take(200).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_member_with_known_text_is_spliced_in_exactly() {
        let inner = json!({"a": [1, "two\"\n", null], "é": {"b": 2.5}});
        let outer = json!({"first": true, "x": inner.clone(), "k\"ey": "v"});
        let spliced = text_with_member(&outer, "x", &json_text(&inner)).unwrap();
        assert_eq!(spliced, outer.to_string());
        assert_eq!(json_text(&outer), outer.to_string());
        assert_eq!(text_with_member(&outer, "y", "1"), None);
        assert_eq!(text_with_member(&json!([1]), "x", "1"), None);
    }

    fn env<'a>(input: &'a Value, context: &'a Value, vars: &'a Map<String, Value>) -> Env<'a> {
        Env {
            input,
            context,
            variables: vars,
        }
    }

    #[test]
    fn templates_resolve_paths_context_and_intrinsics() {
        let cache = Cache::default();
        let input = json!({"a": {"b": 1}, "list": [1, 2]});
        let context = json!({"Execution": {"Id": "exec-1"}});
        let vars = Map::new();
        let out = cache
            .template(
                &json!({"x.$": "$.a.b", "nested": {"id.$": "$$.Execution.Id"}, "n.$": "States.ArrayLength($.list)", "lit": [{"y.$": "$.a"}]}),
                &env(&input, &context, &vars),
                "Parameters",
            )
            .unwrap();
        assert_eq!(
            out,
            json!({"x": 1, "nested": {"id": "exec-1"}, "n": 2, "lit": [{"y": {"b": 1}}]})
        );
    }

    #[test]
    fn a_missing_path_is_a_runtime_error_naming_the_field() {
        let cache = Cache::default();
        let input = json!({"a": 1});
        let vars = Map::new();
        let err = cache
            .template(
                &json!({"x.$": "$.nope"}),
                &env(&input, &Value::Null, &vars),
                "Parameters",
            )
            .unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert!(
            err.cause.contains("\"$.nope\"") && err.cause.contains("\"Parameters.x.$\""),
            "{}",
            err.cause
        );
    }

    #[test]
    fn an_unset_variable_is_reported_as_a_variable() {
        let cache = Cache::default();
        let input = json!({"a": 1});
        let vars = Map::new();
        let err = cache
            .template(
                &json!({"x.$": "$missing.field"}),
                &env(&input, &Value::Null, &vars),
                "Parameters",
            )
            .unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert!(
            err.cause.contains("variable \"$missing\"")
                && err.cause.contains("is not set")
                && !err.cause.contains("input"),
            "{}",
            err.cause
        );
    }

    #[test]
    fn result_path_null_keeps_input_and_paths_merge() {
        let cache = Cache::default();
        let input = json!({"a": 1});
        assert_eq!(
            apply_result_path(&cache, &Some(None), &input, json!(2)).unwrap(),
            input
        );
        assert_eq!(
            apply_result_path(&cache, &None, &input, json!(2)).unwrap(),
            json!(2)
        );
        assert_eq!(
            apply_result_path(&cache, &Some(Some("$.r.s".into())), &input, json!(2)).unwrap(),
            json!({"a": 1, "r": {"s": 2}})
        );
        let err =
            apply_result_path(&cache, &Some(Some("$.a.b".into())), &input, json!(2)).unwrap_err();
        assert_eq!(err.error, "States.ResultPathMatchFailure");
    }

    #[test]
    fn sizes_are_measured_as_compact_json() {
        assert_eq!(
            serialized_len(&json!({"a": [1, "x"]})),
            r#"{"a":[1,"x"]}"#.len()
        );
        let big = json_text(&json!("x".repeat(PAYLOAD_LIMIT)));
        assert_eq!(
            check_len(big.len(), "output", "S").unwrap_err().error,
            "States.DataLimitExceeded"
        );
        let fits = json_text(&json!("x".repeat(PAYLOAD_LIMIT - 2)));
        assert!(check_len(fits.len(), "output", "S").is_ok());
    }

    #[test]
    fn derived_text_is_the_outputs_own_text() {
        let input = json!({"event": {"n": [1, 2.5, -0.0, "x"]}, "id": "e-1"});
        let text = json_text(&input);
        let mut appended = input.clone();
        appended["prepared"] = json!({"a": [0.1, null, true]});
        appended["outcome"] = json!("claimed");
        let mut replaced = input.clone();
        replaced["id"] = json!("e-2");
        let mut reordered = Map::new();
        reordered.insert("id".into(), json!("e-1"));
        reordered.insert("event".into(), input["event"].clone());
        let cases = [
            input.clone(),
            appended,
            replaced,
            Value::Object(reordered),
            json!({"event": {"n": [1, 2.5, 0.0, "x"]}, "id": "e-1"}),
            json!({"event": {"n": [1.0, 2.5, -0.0, "x"]}, "id": "e-1"}),
            json!({"event": {"n": [1, 2.5, -0.0, "x"]}}),
            json!([input.clone()]),
            Value::Null,
        ];
        for output in cases {
            assert_eq!(
                derived_text(&output, &input, &text),
                json_text(&output),
                "{output}"
            );
        }
        let empty = json!({});
        let grown = json!({"x": 1});
        assert_eq!(derived_text(&grown, &empty, "{}"), r#"{"x":1}"#);
        assert!(same_text(&input, &input.clone()));
        assert!(!same_text(&json!(0.0), &json!(-0.0)));
        assert!(!same_text(&json!(1), &json!(1.0)));
    }
}
