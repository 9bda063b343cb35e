//! The data-flow check through JSONata states: a field whose whole value is a plain
//! `{% $states.input.a.b %}` path (field names only) is resolved against the state's input
//! shape, and reported when an object on the way has no such field — such a field is
//! undefined at run time, which fails the state with `States.QueryEvaluationError`.
//!
//! Anything else stays quiet: expressions with operators, functions, predicates or
//! indexes, paths through arrays (JSONata maps over them), unions and unknown shapes.
//! A JSONata Pass, Wait, Choice or Succeed without `Output` passes its input's shape on;
//! every other JSONata state's output is unknown.

use super::shape::{Extra, Shape};
use crate::asl::State;
use crate::validate::jsonata::{expression_fields, expression_text};

/// The field names of an expression that is exactly `$states.input.a.b…`, or `None`.
fn input_path(expr: &str) -> Option<Vec<&str>> {
    let rest = expr.trim().strip_prefix("$states.input")?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let names: Vec<&str> = rest.strip_prefix('.')?.split('.').collect();
    let plain = |n: &&str| {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    names.iter().all(plain).then_some(names)
}

/// Why `names` cannot be found in `input`, when an object on the way surely lacks a field.
fn miss(input: &Shape, names: &[&str]) -> Option<String> {
    let mut current = input;
    for (i, name) in names.iter().enumerate() {
        let Shape::Object(object) = current else {
            return None;
        };
        match object.fields.get(*name) {
            Some(field) => current = &field.shape,
            None => {
                if matches!(object.extra, Extra::Allowed(_)) {
                    return None;
                }
                let place = if i == 0 {
                    "the state input".to_string()
                } else {
                    format!("$states.input.{}", names[..i].join("."))
                };
                let has: Vec<&str> = object.fields.keys().map(String::as_str).collect();
                return Some(format!(
                    "no field \"{name}\" in {place} (it has: {})",
                    has.join(", ")
                ));
            }
        }
    }
    None
}

/// The messages of one JSONata state whose input has the shape `input`.
pub(super) fn check(state: &State, input: &Shape) -> Vec<String> {
    let mut messages = Vec::new();
    for (field, text) in expression_fields(state) {
        let Some(expr) = expression_text(&text) else {
            continue;
        };
        if let Some(why) = input_path(expr).and_then(|names| miss(input, &names)) {
            messages.push(format!("{field} \"{}\": {why}", text.trim()));
        }
    }
    messages
}

/// The output shape of a JSONata state whose input has the shape `input`.
pub(super) fn output(state: &State, input: Shape) -> Shape {
    match state {
        State::Pass(s) if s.output.is_none() => input,
        State::Wait(s) if s.output.is_none() => input,
        State::Succeed(s) if s.output.is_none() => input,
        State::Choice(c) if c.output.is_none() && c.choices.iter().all(|r| r.output.is_none()) => {
            input
        }
        _ => Shape::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_input_paths_are_checked() {
        assert_eq!(input_path("$states.input.a.b"), Some(vec!["a", "b"]));
        assert_eq!(input_path(" $states.input "), Some(vec![]));
        assert_eq!(input_path("$states.input.a[0]"), None);
        assert_eq!(input_path("$states.input.a + 1"), None);
        assert_eq!(input_path("$states.inputs.a"), None);
        assert_eq!(input_path("$exists($states.input.a)"), None);
    }
}
