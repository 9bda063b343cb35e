//! What an expression builds, as far as its syntax shows without evaluating it
//! ([`Expression::structure`]): object and array constructors with literal keys, literals,
//! and plain variable paths (`$states.input.order.id`). Everything else is
//! [`Structure::Unknown`].
//!
//! Static checks use it to follow data through an expression (the data-flow check reads
//! `{"id": $states.result.Payload.id}` as "an object whose `id` is the result's
//! `Payload.id`"); it never claims more than the syntax guarantees.

use crate::Expression;
use crate::ast::{Kind, Node};

/// The structure of an expression's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Structure {
    /// `$name.a.b…`: a variable followed by field-name steps only (no predicates, indexes,
    /// wildcards, group-by or bindings). `fields` may be empty (`$name` alone).
    Path {
        /// The variable's name without `$`.
        variable: String,
        /// The field names after it, in order.
        fields: Vec<String>,
    },
    /// `{ "k": v, … }` with string-literal keys, in source order. A value that evaluates
    /// to undefined leaves its key out.
    Object(Vec<(String, Structure)>),
    /// `[ a, b, … ]`. An item that evaluates to an array is spliced in, so positions are
    /// not guaranteed.
    Array(Vec<Structure>),
    /// A string, number, boolean or `null` literal.
    Literal(serde_json::Value),
    /// Anything else: operators, function calls, conditionals, paths with predicates…
    Unknown,
}

impl Structure {
    /// Every [`Structure::Path`] whose value is the expression's value or a member of a
    /// constructor, with the path's variable and fields; depth-first in source order.
    pub fn paths(&self) -> Vec<(&str, &[String])> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<(&'a str, &'a [String])>) {
        match self {
            Structure::Path { variable, fields } => out.push((variable, fields)),
            Structure::Object(pairs) => {
                for (_, v) in pairs {
                    v.collect_paths(out);
                }
            }
            Structure::Array(items) => {
                for v in items {
                    v.collect_paths(out);
                }
            }
            Structure::Literal(_) | Structure::Unknown => {}
        }
    }
}

impl Expression {
    /// The structure of the expression's value (see [`Structure`]).
    pub fn structure(&self) -> Structure {
        of(&self.ast)
    }
}

/// Whether a node carries no annotation that changes what it selects.
fn plain(node: &Node) -> bool {
    node.predicate.is_empty()
        && node.stages.is_empty()
        && node.group.is_none()
        && !node.keep_array
        && !node.keep_singleton_array
        && node.focus.is_none()
        && node.index.is_none()
        && !node.tuple
        && !node.consarray
        && node.ancestor.is_none()
}

fn of(node: &Node) -> Structure {
    if !plain(node) {
        return Structure::Unknown;
    }
    match &node.kind {
        Kind::Str(s) => Structure::Literal(serde_json::Value::String(s.to_string())),
        Kind::Num(n) => serde_json::Number::from_f64(*n)
            .map(|n| {
                let integral = n
                    .as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15);
                match n.as_f64() {
                    Some(f) if integral => serde_json::Value::from(f as i64),
                    _ => serde_json::Value::Number(n),
                }
            })
            .map_or(Structure::Unknown, Structure::Literal),
        Kind::Bool(b) => Structure::Literal(serde_json::Value::Bool(*b)),
        Kind::Null => Structure::Literal(serde_json::Value::Null),
        Kind::Var(name) if !name.is_empty() && &**name != "$" => Structure::Path {
            variable: name.to_string(),
            fields: Vec::new(),
        },
        Kind::Path(steps) => path(steps),
        Kind::ObjectCons(pairs) => {
            let mut out = Vec::with_capacity(pairs.len());
            for (k, v) in pairs.iter() {
                match (&k.kind, plain(k)) {
                    (Kind::Str(key), true) => out.push((key.to_string(), of(v))),
                    _ => return Structure::Unknown,
                }
            }
            Structure::Object(out)
        }
        Kind::ArrayCons(items) => Structure::Array(items.iter().map(of).collect()),
        Kind::Block(items) if items.len() == 1 => of(&items[0]),
        _ => Structure::Unknown,
    }
}

/// `$var.a.b` as a step list: a variable first, then plain field names.
fn path(steps: &[Node]) -> Structure {
    let Some((first, rest)) = steps.split_first() else {
        return Structure::Unknown;
    };
    let variable = match (&first.kind, plain(first)) {
        (Kind::Var(name), true) if !name.is_empty() && &**name != "$" => name.to_string(),
        _ => return Structure::Unknown,
    };
    let mut fields = Vec::with_capacity(rest.len());
    for step in rest {
        match (&step.kind, plain(step)) {
            (Kind::Name(name), true) => fields.push(name.to_string()),
            _ => return Structure::Unknown,
        }
    }
    Structure::Path { variable, fields }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn structure(text: &str) -> Structure {
        Expression::parse(text).unwrap().structure()
    }

    fn p(variable: &str, fields: &[&str]) -> Structure {
        Structure::Path {
            variable: variable.into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn plain_paths_and_constructors_are_followed() {
        assert_eq!(
            structure("$states.result.Payload.id"),
            p("states", &["result", "Payload", "id"])
        );
        assert_eq!(structure("$states"), p("states", &[]));
        assert_eq!(structure("$total"), p("total", &[]));
        assert_eq!(
            structure(
                r#"{"id": $states.result.id, "n": 1, "s": "x", "b": true, "z": null, "f": 1.5}"#
            ),
            Structure::Object(vec![
                ("id".into(), p("states", &["result", "id"])),
                ("n".into(), Structure::Literal(json!(1))),
                ("s".into(), Structure::Literal(json!("x"))),
                ("b".into(), Structure::Literal(json!(true))),
                ("z".into(), Structure::Literal(json!(null))),
                ("f".into(), Structure::Literal(json!(1.5))),
            ])
        );
        assert_eq!(
            structure("[$states.input.a, {\"k\": $x.y}]"),
            Structure::Array(vec![
                p("states", &["input", "a"]),
                Structure::Object(vec![("k".into(), p("x", &["y"]))]),
            ])
        );
        assert_eq!(structure("($states.input.a)"), p("states", &["input", "a"]));
    }

    #[test]
    fn anything_else_is_unknown() {
        for text in [
            "$states.input.a[0]",
            "$states.input.a[b > 1]",
            "$states.input.*",
            "$states.input.**.a",
            "$states.input.a + 1",
            "$exists($states.input.a)",
            "$states.input.a ? 1 : 2",
            "a.b",
            "$.a",
            "$$.a",
            "$states.input.a[]",
            "$states.input.a{b: c}",
            "{$string(x): 1}",
            "$states.input.(a)",
            "$states.input.a@$v",
        ] {
            assert_eq!(structure(text), Structure::Unknown, "{text}");
        }
    }

    #[test]
    fn paths_lists_structural_references() {
        let s = structure(
            r#"{"a": $states.input.a, "b": [$states.result.b], "c": $f($states.input.c)}"#,
        );
        let paths: Vec<(&str, Vec<&str>)> = s
            .paths()
            .into_iter()
            .map(|(v, f)| (v, f.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("states", vec!["input", "a"]),
                ("states", vec!["result", "b"])
            ]
        );
    }
}
