//! JSONPath against shapes: what a path selects ([`resolve`]) and what a `ResultPath`
//! writes ([`assign`]).
//!
//! Resolution mirrors Jayway (which Step Functions uses): a definite path (field names and
//! indexes only) selects one node and fails when a step is missing; an indefinite path
//! yields an array of matches, and only a missing step *before* its first indefinite
//! segment is an error (Jayway's "missing property in path").

use indexmap::IndexMap;

use super::shape::{Extra, Field, ObjectShape, Shape};
use crate::path::{JsonPath, Root, Segment, UnionMember};

/// The documents a path may start from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Docs<'a> {
    /// What `$` refers to.
    pub data: &'a Shape,
    /// How `$` is named in messages (`the state input`, `the result`, ...).
    pub data_name: &'a str,
    /// What `$$` refers to.
    pub context: &'a Shape,
}

/// Why one step failed.
enum StepMiss {
    /// The object has no such field; the declared ones are listed.
    NoField(Vec<String>),
    /// The value is not an object (described).
    NotObject(String),
    /// The tuple is shorter.
    OutOfRange(usize),
    /// The value is not an array (described).
    NotArray(String),
}

/// The shape `path` selects in `docs`, or the message body of why it cannot resolve
/// (`no field "x" in the state input (it has: a, b)`).
pub(crate) fn resolve(path: &JsonPath, docs: Docs<'_>) -> Result<Shape, String> {
    let (start, doc_name) = match path.root() {
        Root::Input => (docs.data, docs.data_name),
        Root::Context => (docs.context, "the context object"),
        // Workflow variables are not tracked: their value could be anything.
        Root::Variable(_) => return Ok(Shape::Any),
    };
    let segments = path.segments();
    let mut current = start.clone();
    let mut definite = 0;
    for segment in segments {
        let step = match segment {
            Segment::Field(name) => step_field(&current, name),
            Segment::Index(index) => step_index(&current, *index),
            _ => break,
        };
        match step {
            Ok(next) => current = next,
            Err(miss) => {
                let place = if definite == 0 {
                    doc_name.to_string()
                } else {
                    JsonPath::new(path.root(), segments[..definite].to_vec()).to_string()
                };
                return Err(describe_miss(segment, &place, miss));
            }
        }
        definite += 1;
    }
    if definite == segments.len() {
        return Ok(current);
    }
    let item = segments[definite..]
        .iter()
        .try_fold(current, |shape, seg| matches_of(&shape, seg));
    Ok(Shape::Array(Box::new(item.unwrap_or(Shape::Any))))
}

fn describe_miss(segment: &Segment, place: &str, miss: StepMiss) -> String {
    let what = match segment {
        Segment::Index(i) => format!("index {i}"),
        Segment::Field(name) => format!("field \"{name}\""),
        other => other.to_string(),
    };
    match miss {
        StepMiss::NoField(has) if has.is_empty() => {
            format!("no {what} in {place} (it has no fields)")
        }
        StepMiss::NoField(has) => format!("no {what} in {place} (it has: {})", has.join(", ")),
        StepMiss::NotObject(kind) | StepMiss::NotArray(kind) => {
            format!("no {what} in {place} (it is {kind})")
        }
        StepMiss::OutOfRange(len) => format!("no {what} in {place} (it has {len} items)"),
    }
}

fn step_field(shape: &Shape, name: &str) -> Result<Shape, StepMiss> {
    match shape {
        Shape::Any => Ok(Shape::Any),
        Shape::Object(o) => match o.fields.get(name) {
            Some(field) => Ok(field.shape.clone()),
            None => match &o.extra {
                Extra::Allowed(extra) => Ok((**extra).clone()),
                Extra::Denied | Extra::Undeclared => {
                    Err(StepMiss::NoField(o.fields.keys().cloned().collect()))
                }
            },
        },
        Shape::OneOf(parts) => {
            let results: Vec<_> = parts.iter().map(|p| step_field(p, name)).collect();
            union_of_steps(results, shape)
        }
        other => Err(StepMiss::NotObject(other.describe())),
    }
}

fn step_index(shape: &Shape, index: i64) -> Result<Shape, StepMiss> {
    match shape {
        Shape::Any => Ok(Shape::Any),
        Shape::Array(item) => Ok((**item).clone()),
        Shape::Tuple(items) => {
            let len = items.len();
            let position = if index < 0 {
                i64::try_from(len).ok().and_then(|l| l.checked_add(index))
            } else {
                Some(index)
            };
            position
                .and_then(|p| usize::try_from(p).ok())
                .and_then(|p| items.get(p))
                .cloned()
                .ok_or(StepMiss::OutOfRange(len))
        }
        Shape::OneOf(parts) => {
            let results: Vec<_> = parts.iter().map(|p| step_index(p, index)).collect();
            union_of_steps(results, shape)
        }
        other => Err(StepMiss::NotArray(other.describe())),
    }
}

/// A step through a union succeeds when it succeeds in some variant (a field present in
/// only some variants counts as present); otherwise the misses are combined.
fn union_of_steps(results: Vec<Result<Shape, StepMiss>>, whole: &Shape) -> Result<Shape, StepMiss> {
    let mut found = Vec::new();
    let mut has: Vec<String> = Vec::new();
    let mut saw_fields = false;
    let mut out_of_range = None;
    for result in results {
        match result {
            Ok(shape) => found.push(shape),
            Err(StepMiss::NoField(names)) => {
                saw_fields = true;
                for name in names {
                    if !has.contains(&name) {
                        has.push(name);
                    }
                }
            }
            Err(StepMiss::OutOfRange(len)) => {
                out_of_range = Some(out_of_range.map_or(len, |l: usize| l.max(len)));
            }
            Err(StepMiss::NotObject(_) | StepMiss::NotArray(_)) => {}
        }
    }
    if !found.is_empty() {
        return Ok(Shape::union(found));
    }
    if saw_fields {
        return Err(StepMiss::NoField(has));
    }
    if let Some(len) = out_of_range {
        return Err(StepMiss::OutOfRange(len));
    }
    Err(StepMiss::NotObject(whole.describe()))
}

/// The shape of every match of `segment` applied to each match of shape `shape`, or `None`
/// when nothing can match (the item shape is then irrelevant).
fn matches_of(shape: &Shape, segment: &Segment) -> Option<Shape> {
    if *shape == Shape::Any {
        return Some(Shape::Any);
    }
    match segment {
        Segment::Field(name) => step_field(shape, name).ok(),
        Segment::Index(index) => step_index(shape, *index).ok(),
        Segment::Wildcard => children(shape),
        Segment::Union(members) => {
            let parts: Vec<Shape> = members
                .iter()
                .filter_map(|m| match m {
                    UnionMember::Field(name) => step_field(shape, name).ok(),
                    UnionMember::Index(index) => step_index(shape, *index).ok(),
                })
                .collect();
            if parts.is_empty() {
                None
            } else {
                Some(Shape::union(parts))
            }
        }
        Segment::Slice { .. } => shape.items(),
        Segment::Filter(_) => match shape {
            Shape::Object(_) => Some(shape.clone()),
            _ => shape.items(),
        },
        Segment::Descent(_) => Some(Shape::Any),
    }
}

/// The values of an object or the items of an array.
fn children(shape: &Shape) -> Option<Shape> {
    match shape {
        Shape::Any => Some(Shape::Any),
        Shape::Array(_) | Shape::Tuple(_) => shape.items(),
        Shape::Object(o) => {
            let mut parts: Vec<Shape> = o.fields.values().map(|f| f.shape.clone()).collect();
            if let Extra::Allowed(extra) = &o.extra {
                parts.push((**extra).clone());
            }
            if parts.is_empty() {
                None
            } else {
                Some(Shape::union(parts))
            }
        }
        Shape::OneOf(parts) => {
            let found: Vec<Shape> = parts.iter().filter_map(children).collect();
            if found.is_empty() {
                None
            } else {
                Some(Shape::union(found))
            }
        }
        _ => None,
    }
}

/// The document after writing `value` at the reference path `segments` of `target`
/// (`ResultPath`): `$` replaces the document, `$.a.b` sets the field, creating objects on
/// the way.
pub(crate) fn assign(target: &Shape, segments: &[Segment], value: Shape) -> Shape {
    let Some((first, rest)) = segments.split_first() else {
        return value;
    };
    match (target, first) {
        (Shape::OneOf(parts), _) => {
            Shape::union(parts.iter().map(|p| assign(p, segments, value.clone())))
        }
        (Shape::Object(o), Segment::Field(name)) => {
            let existing = match o.fields.get(name) {
                Some(field) => field.shape.clone(),
                None => match &o.extra {
                    Extra::Allowed(extra) => (**extra).clone(),
                    Extra::Denied | Extra::Undeclared => fresh_object(),
                },
            };
            let mut object = o.clone();
            object.fields.insert(
                name.clone(),
                Field {
                    shape: assign(&existing, rest, value),
                    required: true,
                },
            );
            Shape::Object(object)
        }
        (Shape::Any, Segment::Field(name)) => {
            let mut fields = IndexMap::new();
            fields.insert(
                name.clone(),
                Field {
                    shape: assign(&Shape::Any, rest, value),
                    required: true,
                },
            );
            Shape::Object(ObjectShape {
                fields,
                extra: Extra::Allowed(Box::new(Shape::Any)),
            })
        }
        (Shape::Tuple(items), Segment::Index(index)) => {
            let position = usize::try_from(*index).ok().filter(|p| *p < items.len());
            match position {
                Some(p) => {
                    let mut items = items.clone();
                    items[p] = assign(&items[p], rest, value);
                    Shape::Tuple(items)
                }
                None => Shape::Any,
            }
        }
        (Shape::Array(item), Segment::Index(_)) => Shape::Array(Box::new(Shape::union([
            (**item).clone(),
            assign(item, rest, value),
        ]))),
        // Writing into a scalar fails at run time (States.ResultPathMatchFailure); writing
        // a field into an array or an index into an object likewise. Stay quiet.
        _ => Shape::Any,
    }
}

/// A new, empty object created by a `ResultPath` step.
fn fresh_object() -> Shape {
    Shape::Object(ObjectShape {
        fields: IndexMap::new(),
        extra: Extra::Denied,
    })
}
