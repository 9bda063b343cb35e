//! Payload templates (`Parameters`, `ItemSelector`, `ResultSelector`, ...) and intrinsic
//! functions: the shape they build, and every path inside them checked on the way.

use serde_json::Value;

use super::compat::fits;
use super::resolve::{Docs, resolve};
use super::shape::{Field, ObjectShape, Shape};
use crate::intrinsic::{self, Arg, Call, Intrinsic, ValueKind};
use crate::path;

/// The shape of the value a `.$` field (or a path-or-intrinsic field such as `ErrorPath`)
/// produces; unresolvable paths are reported into `problems` as
/// `<place> "<text>": <why>`. Text that is neither a valid path nor a valid call is the
/// validator's business and gives `Any`.
pub(crate) fn dynamic(
    text: &str,
    docs: Docs<'_>,
    place: &str,
    problems: &mut Vec<String>,
) -> Shape {
    if intrinsic::looks_like_call(text) {
        match intrinsic::parse(text) {
            Ok(call) => call_shape(&call, docs, place, problems),
            Err(_) => Shape::Any,
        }
    } else {
        path_shape(text, docs, place, problems)
    }
}

/// The shape a path selects, reporting it when it cannot resolve. Invalid paths give `Any`.
pub(crate) fn path_shape(
    text: &str,
    docs: Docs<'_>,
    place: &str,
    problems: &mut Vec<String>,
) -> Shape {
    let Ok(parsed) = path::parse(text) else {
        return Shape::Any;
    };
    match resolve(&parsed, docs) {
        Ok(shape) => shape,
        Err(why) => {
            problems.push(format!("{place} \"{text}\": {why}"));
            Shape::Any
        }
    }
}

/// The shape a payload template builds. `place` names the template (`Parameters`); nested
/// positions extend it (`Parameters.order.id.$`, `Parameters.lines[0].sku.$`).
pub(crate) fn template(
    value: &Value,
    docs: Docs<'_>,
    place: &str,
    problems: &mut Vec<String>,
) -> Shape {
    match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (key, inner) in map {
                let here = format!("{place}.{key}");
                match (key.strip_suffix(".$"), inner) {
                    (Some(name), Value::String(text)) => {
                        fields.push((name.to_string(), dynamic(text, docs, &here, problems)));
                    }
                    (Some(name), _) => fields.push((name.to_string(), Shape::Any)),
                    (None, _) => fields.push((key.clone(), template(inner, docs, &here, problems))),
                }
            }
            Shape::Object(ObjectShape::exact(fields))
        }
        Value::Array(items) => Shape::Tuple(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| template(item, docs, &format!("{place}[{i}]"), problems))
                .collect(),
        ),
        other => Shape::of_value(other),
    }
}

/// The shape an intrinsic call returns; its path arguments are resolved (and checked
/// against the parameter types) on the way.
fn call_shape(call: &Call, docs: Docs<'_>, place: &str, problems: &mut Vec<String>) -> Shape {
    let args: Vec<Shape> = call
        .args
        .iter()
        .enumerate()
        .map(|(i, arg)| arg_shape(call.function, i, arg, docs, place, problems))
        .collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Shape::Any);
    let items_of = |i: usize| arg(i).items().unwrap_or(Shape::Any);
    match call.function {
        Intrinsic::Format
        | Intrinsic::JsonToString
        | Intrinsic::Base64Encode
        | Intrinsic::Base64Decode
        | Intrinsic::Hash
        | Intrinsic::UUID => Shape::String,
        Intrinsic::StringToJson => Shape::Any,
        Intrinsic::JsonMerge => match (arg(0), arg(1)) {
            (Shape::Object(a), Shape::Object(b)) => {
                let mut merged = a.clone();
                for (name, field) in b.fields {
                    let required =
                        field.required || a.fields.get(&name).is_some_and(|f| f.required);
                    merged.fields.insert(
                        name,
                        Field {
                            shape: field.shape,
                            required,
                        },
                    );
                }
                Shape::Object(merged)
            }
            _ => Shape::Any,
        },
        Intrinsic::Array => Shape::Tuple(args.clone()),
        Intrinsic::ArrayPartition => Shape::Array(Box::new(Shape::Array(Box::new(items_of(0))))),
        Intrinsic::ArrayRange => Shape::Array(Box::new(Shape::Integer)),
        Intrinsic::StringSplit => Shape::Array(Box::new(Shape::String)),
        Intrinsic::ArrayUnique => Shape::Array(Box::new(items_of(0))),
        Intrinsic::ArrayGetItem => items_of(0),
        Intrinsic::ArrayLength | Intrinsic::MathRandom => Shape::Integer,
        Intrinsic::MathAdd => {
            if args.iter().all(|a| matches!(a, Shape::Integer)) {
                Shape::Integer
            } else if args.iter().all(|a| fits(a, &Shape::Number)) {
                Shape::Number
            } else {
                Shape::Any
            }
        }
        Intrinsic::ArrayContains => Shape::Bool,
    }
}

fn arg_shape(
    function: Intrinsic,
    index: usize,
    arg: &Arg,
    docs: Docs<'_>,
    place: &str,
    problems: &mut Vec<String>,
) -> Shape {
    match arg {
        Arg::String(_) | Arg::Template(_) => Shape::String,
        Arg::Number(n) if n.is_i64() || n.is_u64() => Shape::Integer,
        Arg::Number(_) => Shape::Number,
        Arg::Bool(_) => Shape::Bool,
        Arg::Null => Shape::Null,
        Arg::Call(call) => call_shape(call, docs, place, problems),
        Arg::Path(p) => {
            let text = p.to_string();
            let shape = match resolve(p, docs) {
                Ok(shape) => shape,
                Err(why) => {
                    problems.push(format!("{place} \"{text}\": {why}"));
                    return Shape::Any;
                }
            };
            let expected = kind_shape(function.param_kind(index));
            if let Some(expected) = expected.filter(|e| !fits(&shape, e)) {
                problems.push(format!(
                    "{place} \"{text}\": is {}, expected {} (argument {} of {})",
                    shape.describe(),
                    expected.describe(),
                    index + 1,
                    function.name(),
                ));
            }
            shape
        }
    }
}

/// The shape standing for a statically known intrinsic parameter type.
fn kind_shape(kind: ValueKind) -> Option<Shape> {
    match kind {
        ValueKind::Any => None,
        ValueKind::String => Some(Shape::String),
        ValueKind::Number => Some(Shape::Number),
        ValueKind::Integer => Some(Shape::Integer),
        ValueKind::Boolean => Some(Shape::Bool),
        ValueKind::Null => Some(Shape::Null),
        ValueKind::Array => Some(Shape::Array(Box::new(Shape::Any))),
        ValueKind::Object => Some(Shape::Object(ObjectShape {
            fields: indexmap::IndexMap::new(),
            extra: super::shape::Extra::Allowed(Box::new(Shape::Any)),
        })),
    }
}
