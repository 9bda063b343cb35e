//! Does a shape fit an expected shape? Used for activity inputs (against the activity's
//! input schema) and for paths whose value must have a certain type (`ItemsPath` must be
//! an array, `SecondsPath` a number, ...).
//!
//! The rules lean towards silence: `Any` on either side fits; a union fits when *some*
//! variant fits (on either side); an optional field of the actual shape counts as present;
//! an actual map-like object may hold whatever is required.

use super::shape::{Extra, ObjectShape, Shape};

/// One way an actual shape fails to fit the expected one; paths are dotted field paths
/// inside the checked document (`order.lines[].qty`), empty for the document itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mismatch {
    /// A required field is absent.
    Missing(String),
    /// The value has the wrong JSON type.
    WrongType {
        /// Where.
        path: String,
        /// What it is (`a string`).
        actual: String,
        /// What it should be (`an integer`).
        expected: String,
    },
    /// A field the consumer rejects (`additionalProperties: false`).
    Unexpected(String),
}

/// Every mismatch between `actual` and `expected` (empty when it fits).
pub(crate) fn mismatches(actual: &Shape, expected: &Shape) -> Vec<Mismatch> {
    let mut out = Vec::new();
    collect(actual, expected, "", &mut out);
    out
}

/// Whether `actual` fits `expected`.
pub(crate) fn fits(actual: &Shape, expected: &Shape) -> bool {
    mismatches(actual, expected).is_empty()
}

fn collect(actual: &Shape, expected: &Shape, path: &str, out: &mut Vec<Mismatch>) {
    match (actual, expected) {
        (Shape::Any, _) | (_, Shape::Any) => {}
        (Shape::OneOf(parts), _) => {
            let attempts: Vec<Vec<Mismatch>> = parts
                .iter()
                .map(|p| {
                    let mut found = Vec::new();
                    collect(p, expected, path, &mut found);
                    found
                })
                .collect();
            // When every variant is simply of the wrong type here, say so once for the
            // whole union ("is an integer or null").
            let all_wrong_here = attempts.iter().all(|found| {
                matches!(found.as_slice(), [Mismatch::WrongType { path: p, .. }] if p == path)
            });
            if all_wrong_here && !attempts.is_empty() {
                out.push(wrong_type(path, actual, expected));
            } else if let Some(best) = fewest(attempts.into_iter()) {
                out.extend(best);
            }
        }
        (_, Shape::OneOf(parts)) => {
            let same_kind: Vec<&Shape> = parts.iter().filter(|p| same_kind(actual, p)).collect();
            let attempts = parts.iter().map(|p| {
                let mut found = Vec::new();
                collect(actual, p, path, &mut found);
                found
            });
            let Some(best) = fewest(attempts) else { return };
            if best.is_empty() {
                return;
            }
            if same_kind.is_empty() {
                out.push(wrong_type(path, actual, expected));
            } else if let Some(best) = fewest(same_kind.into_iter().map(|p| {
                let mut found = Vec::new();
                collect(actual, p, path, &mut found);
                found
            })) {
                out.extend(best);
            }
        }
        (Shape::Integer, Shape::Integer | Shape::Number)
        | (Shape::Number, Shape::Number)
        | (Shape::String, Shape::String)
        | (Shape::Bool, Shape::Bool)
        | (Shape::Null, Shape::Null) => {}
        (Shape::Array(a), Shape::Array(e)) => collect(a, e, &item_path(path, None), out),
        (Shape::Tuple(items), Shape::Array(e)) => {
            for (i, item) in items.iter().enumerate() {
                collect(item, e, &item_path(path, Some(i)), out);
            }
        }
        (Shape::Tuple(items), Shape::Tuple(expected)) => {
            for (i, (item, e)) in items.iter().zip(expected).enumerate() {
                collect(item, e, &item_path(path, Some(i)), out);
            }
        }
        // An array of unknown length against positional expectations: not decidable.
        (Shape::Array(_), Shape::Tuple(_)) => {}
        (Shape::Object(a), Shape::Object(e)) => collect_object(a, e, path, out),
        _ => out.push(wrong_type(path, actual, expected)),
    }
}

fn collect_object(
    actual: &ObjectShape,
    expected: &ObjectShape,
    path: &str,
    out: &mut Vec<Mismatch>,
) {
    for (name, want) in &expected.fields {
        let here = field_path(path, name);
        match actual.fields.get(name) {
            Some(have) => collect(&have.shape, &want.shape, &here, out),
            // A map-like document may well carry the field; nothing to say.
            None if matches!(actual.extra, Extra::Allowed(_)) => {}
            None if want.required => out.push(Mismatch::Missing(here)),
            None => {}
        }
    }
    for (name, have) in &actual.fields {
        if expected.fields.contains_key(name) {
            continue;
        }
        match &expected.extra {
            Extra::Denied => out.push(Mismatch::Unexpected(field_path(path, name))),
            Extra::Allowed(extra) => collect(&have.shape, extra, &field_path(path, name), out),
            Extra::Undeclared => {}
        }
    }
}

/// The attempt with the fewest mismatches (the first on ties), `None` for no attempts.
fn fewest(attempts: impl Iterator<Item = Vec<Mismatch>>) -> Option<Vec<Mismatch>> {
    let mut best: Option<Vec<Mismatch>> = None;
    for attempt in attempts {
        if attempt.is_empty() {
            return Some(attempt);
        }
        if best.as_ref().is_none_or(|b| attempt.len() < b.len()) {
            best = Some(attempt);
        }
    }
    best
}

/// Whether two shapes are of the same JSON kind (so that the details of the mismatch are
/// more useful than the kinds).
fn same_kind(a: &Shape, b: &Shape) -> bool {
    matches!(
        (a, b),
        (Shape::Object(_), Shape::Object(_))
            | (
                Shape::Array(_) | Shape::Tuple(_),
                Shape::Array(_) | Shape::Tuple(_)
            )
    )
}

fn wrong_type(path: &str, actual: &Shape, expected: &Shape) -> Mismatch {
    Mismatch::WrongType {
        path: path.to_string(),
        actual: actual.describe(),
        expected: expected.describe(),
    }
}

fn field_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn item_path(path: &str, index: Option<usize>) -> String {
    match index {
        Some(i) => format!("{path}[{i}]"),
        None => format!("{path}[]"),
    }
}
