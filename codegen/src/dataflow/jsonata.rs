//! The data-flow check through JSONata states: field references `$states.input.a.b`,
//! `$states.result.a.b`, `$states.errorOutput.a` and `$states.context.a` are resolved
//! against the shapes they read, and the shapes a state's `Output`, `Arguments`,
//! `ItemSelector` and Catch `Output` build are followed to the next states.
//!
//! A reference is checked where its value is the field's whole value or a member of an
//! object or array constructor (`{"id": $states.result.Payload.id}`): there a field that
//! an object on the way surely lacks fails the state (a whole `{% %}` value that is
//! undefined is `States.QueryEvaluationError`) or silently drops the member, a mistake
//! either way. References inside operators, function calls, conditionals, predicates
//! (`$exists($states.input.a)`) stay unchecked, as do paths through arrays (JSONata maps
//! over them), unions where some variant has the field, and unknown shapes.
//!
//! What a template builds: a JSON template (`{"a": "{% … %}", "b": 1}`) is an object with
//! exactly those fields; a `{% %}` expression's shape comes from
//! [`stepwise_jsonata::Structure`] (constructors with literal keys, literals, plain
//! paths); anything else is unknown (`Shape::Any`), so a later state is never reported on
//! a guess.

use serde_json::Value;
use stepwise_jsonata::{Expression, Structure};

use super::shape::{Extra, Field, ObjectShape, Shape};
use crate::asl::State;
use crate::validate::jsonata::{expression_fields, expression_text};

/// What `$states.input`, `$states.result`, `$states.errorOutput` and `$states.context`
/// are at one field of a state (`None`: not available there, so not checked).
#[derive(Clone, Copy)]
pub(super) struct Roots<'a> {
    /// The state's input.
    pub input: &'a Shape,
    /// The task, Map or Parallel result (in `Output` and `Assign`).
    pub result: Option<&'a Shape>,
    /// The error output (in a Catch rule's `Output` and `Assign`).
    pub error_output: Option<&'a Shape>,
    /// The context object.
    pub context: &'a Shape,
}

impl<'a> Roots<'a> {
    /// Only the input and the context.
    pub(super) fn input(input: &'a Shape, context: &'a Shape) -> Self {
        Roots {
            input,
            result: None,
            error_output: None,
            context,
        }
    }

    /// `self` with a result.
    pub(super) fn with_result(self, result: &'a Shape) -> Self {
        Roots {
            result: Some(result),
            ..self
        }
    }

    /// `self` with an error output.
    pub(super) fn with_error(self, error_output: &'a Shape) -> Self {
        Roots {
            error_output: Some(error_output),
            ..self
        }
    }
}

/// A resolved reference: its shape, and whether it is surely defined.
struct Resolved {
    shape: Shape,
    defined: bool,
}

impl Resolved {
    fn unknown() -> Self {
        Resolved {
            shape: Shape::Any,
            defined: false,
        }
    }
}

/// Resolves `$variable.fields…`; `Err` with the reason when an object on the way surely
/// lacks a field. Variables other than `$states` are not tracked.
fn resolve(variable: &str, fields: &[String], roots: Roots<'_>) -> Result<Resolved, String> {
    let Some((root, rest)) = fields.split_first().filter(|_| variable == "states") else {
        return Ok(Resolved::unknown());
    };
    let (start, name) = match root.as_str() {
        "input" => (Some(roots.input), "the state input"),
        "result" => (roots.result, "the result"),
        "errorOutput" => (roots.error_output, "the error output"),
        "context" => (Some(roots.context), "the context object"),
        _ => (None, ""),
    };
    let Some(start) = start else {
        return Ok(Resolved::unknown());
    };
    let mut current = Resolved {
        shape: start.clone(),
        defined: true,
    };
    for (i, field) in rest.iter().enumerate() {
        match step(&current.shape, field) {
            Ok((shape, required)) => {
                current = Resolved {
                    shape,
                    defined: current.defined && required,
                }
            }
            Err(has) => {
                let place = if i == 0 {
                    name.to_string()
                } else {
                    format!("$states.{root}.{}", rest[..i].join("."))
                };
                return Err(if has.is_empty() {
                    format!("no field \"{field}\" in {place} (it has no fields)")
                } else {
                    format!(
                        "no field \"{field}\" in {place} (it has: {})",
                        has.join(", ")
                    )
                });
            }
        }
    }
    Ok(current)
}

/// One field step: the field's shape and whether it is always there, or the declared
/// fields when the shape surely has no such field. Arrays (JSONata maps over them),
/// scalars and unknowns give an unknown shape.
fn step(shape: &Shape, name: &str) -> Result<(Shape, bool), Vec<String>> {
    match shape {
        Shape::Object(object) => match object.fields.get(name) {
            Some(field) => Ok((field.shape.clone(), field.required)),
            None => match &object.extra {
                Extra::Allowed(extra) => Ok(((**extra).clone(), false)),
                Extra::Denied | Extra::Undeclared => Err(object.fields.keys().cloned().collect()),
            },
        },
        Shape::OneOf(parts) => {
            let mut found = Vec::new();
            let mut has: Vec<String> = Vec::new();
            let mut required = true;
            for part in parts {
                match step(part, name) {
                    Ok((shape, req)) => {
                        found.push(shape);
                        required &= req;
                    }
                    Err(names) => {
                        required = false;
                        for n in names {
                            if !has.contains(&n) {
                                has.push(n);
                            }
                        }
                    }
                }
            }
            if found.is_empty() {
                Err(has)
            } else {
                Ok((Shape::union(found), required))
            }
        }
        _ => Ok((Shape::Any, false)),
    }
}

/// The shape of a parsed expression's value; the reasons of surely missing references
/// go to `whys`.
fn structure_shape(structure: &Structure, roots: Roots<'_>, whys: &mut Vec<String>) -> Resolved {
    match structure {
        Structure::Path { variable, fields } => match resolve(variable, fields, roots) {
            Ok(resolved) => resolved,
            Err(why) => {
                whys.push(why);
                Resolved::unknown()
            }
        },
        Structure::Object(pairs) => {
            let mut object = ObjectShape::exact([]);
            for (key, value) in pairs {
                let member = structure_shape(value, roots, whys);
                object.fields.insert(
                    key.clone(),
                    Field {
                        shape: member.shape,
                        required: member.defined,
                    },
                );
            }
            Resolved {
                shape: Shape::Object(object),
                defined: true,
            }
        }
        Structure::Array(items) => {
            for item in items {
                structure_shape(item, roots, whys);
            }
            // Items that are arrays are spliced in: positions and item shapes are not sure.
            Resolved {
                shape: Shape::Array(Box::new(Shape::Any)),
                defined: true,
            }
        }
        Structure::Literal(value) => Resolved {
            shape: Shape::of_value(value),
            defined: true,
        },
        Structure::Unknown => Resolved::unknown(),
    }
}

/// The shape of one `{% %}` string (or plain string) at `field`, with its messages.
fn string_shape(text: &str, field: &str, roots: Roots<'_>, messages: &mut Vec<String>) -> Shape {
    let Some(expr) = expression_text(text) else {
        return Shape::String;
    };
    // A syntax error is the validator's to report.
    let Ok(parsed) = Expression::parse(expr) else {
        return Shape::Any;
    };
    let mut whys = Vec::new();
    let resolved = structure_shape(&parsed.structure(), roots, &mut whys);
    for why in whys {
        messages.push(format!("{field} \"{}\": {why}", text.trim()));
    }
    resolved.shape
}

/// The shape a JSONata template (a JSON value with `{% %}` strings at any depth, or one
/// `{% %}` string) builds, checking its references; `field` names where it is.
pub(super) fn template(
    value: &Value,
    field: &str,
    roots: Roots<'_>,
    messages: &mut Vec<String>,
) -> Shape {
    match value {
        Value::String(text) => string_shape(text, field, roots, messages),
        Value::Object(map) => Shape::Object(ObjectShape::exact(map.iter().map(|(k, v)| {
            (
                k.clone(),
                template(v, &format!("{field}.{k}"), roots, messages),
            )
        }))),
        Value::Array(items) => Shape::Tuple(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| template(v, &format!("{field}[{i}]"), roots, messages))
                .collect(),
        ),
        other => Shape::of_value(other),
    }
}

/// The shape a template builds, without reporting anything (its messages come from
/// [`check`]).
pub(super) fn quiet_template(value: &Value, roots: Roots<'_>) -> Shape {
    template(value, "", roots, &mut Vec::new())
}

/// The messages of every expression of one JSONata state: `roots` gives the input and
/// context, `result` the task, Map or Parallel result (seen by `Output` and `Assign`),
/// `error_output` the error a Catch rule sees, `item_context` the context object the
/// `ItemSelector` sees.
pub(super) fn check(
    state: &State,
    roots: Roots<'_>,
    result: Option<&Shape>,
    error_output: &Shape,
    item_context: Option<&Shape>,
) -> Vec<String> {
    let mut messages = Vec::new();
    let has_result = matches!(state, State::Task(_) | State::Map(_) | State::Parallel(_));
    for (field, text) in expression_fields(state) {
        let at = if field.starts_with("Catch[") {
            roots.with_error(error_output)
        } else if has_result && (field.starts_with("Output") || field.starts_with("Assign")) {
            match result {
                Some(result) => roots.with_result(result),
                None => roots,
            }
        } else if field.starts_with("ItemSelector") {
            match item_context {
                Some(context) => Roots { context, ..roots },
                None => roots,
            }
        } else {
            roots
        };
        string_shape(&text, &field, at, &mut messages);
    }
    messages
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shape_of(template_value: Value, input: &Shape, result: &Shape) -> (Shape, Vec<String>) {
        let context = Shape::Any;
        let roots = Roots::input(input, &context).with_result(result);
        let mut messages = Vec::new();
        let shape = template(&template_value, "Output", roots, &mut messages);
        (shape, messages)
    }

    #[test]
    fn constructors_build_known_objects_and_misses_are_named() {
        let input = Shape::of_value(&json!({"order": {"id": "a"}}));
        let result = Shape::of_value(&json!({"Payload": {"id": 1}}));
        let (shape, messages) = shape_of(
            json!(
                "{% {\"id\": $states.result.Payload.id, \"o\": $states.input.order.idd, \"n\": 2} %}"
            ),
            &input,
            &result,
        );
        assert_eq!(
            messages,
            vec![
                "Output \"{% {\"id\": $states.result.Payload.id, \"o\": $states.input.order.idd, \"n\": 2} %}\": no field \"idd\" in $states.input.order (it has: id)"
            ]
        );
        let Shape::Object(object) = shape else {
            panic!("{shape:?}")
        };
        assert_eq!(object.fields["id"].shape, Shape::Integer);
        assert!(object.fields["id"].required);
        assert_eq!(object.fields["o"].shape, Shape::Any);
        assert!(!object.fields["o"].required);
        assert_eq!(object.fields["n"].shape, Shape::Integer);
    }

    #[test]
    fn unknown_roots_and_expressions_stay_quiet() {
        let input = Shape::Any;
        let result = Shape::Any;
        let (shape, messages) = shape_of(
            json!({"a": "{% $states.result.x.y %}", "b": "{% $states.input.q + 1 %}", "c": "plain"}),
            &input,
            &result,
        );
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(
            shape,
            Shape::Object(ObjectShape::exact([
                ("a".to_string(), Shape::Any),
                ("b".to_string(), Shape::Any),
                ("c".to_string(), Shape::String),
            ]))
        );
        let known = Shape::of_value(&json!({"x": 1}));
        let (_, messages) = shape_of(
            json!("{% $exists($states.result.nope) ? $states.result.nope : 0 %}"),
            &input,
            &known,
        );
        assert!(messages.is_empty(), "{messages:?}");
    }
}
