//! Shapes: what the data-flow check knows about a JSON document at one point of a workflow.
//!
//! A [`Shape`] is a small type language for JSON: scalars, arrays (homogeneous or
//! positional), objects with declared fields, unions, and [`Shape::Any`] for "unknown".
//! Shapes come from JSON Schemas ([`Shape::from_schema`]) and from literal values in
//! payload templates ([`Shape::of_value`]); the propagation in [`super::check`] transforms
//! them the way Step Functions transforms the state document.
//!
//! `Any` is the top of the lattice: it absorbs unions, and nothing is ever reported against
//! it (unknown stays quiet).

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Deepest nesting kept in a shape; anything deeper becomes [`Shape::Any`].
pub const MAX_DEPTH: usize = 32;

/// Most variants kept in a [`Shape::OneOf`]; a larger union becomes [`Shape::Any`].
pub const MAX_VARIANTS: usize = 16;

/// Deepest nesting kept by [`Shape::widen`].
pub const WIDEN_DEPTH: usize = 8;

/// The shape of a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Anything: not known statically. Never produces a problem.
    Any,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// An integral number.
    Integer,
    /// Any number (an integer is a number).
    Number,
    /// A string.
    String,
    /// An array whose items all have the boxed shape.
    Array(Box<Shape>),
    /// An array with one shape per position (Parallel results, literal arrays,
    /// `States.Array`).
    Tuple(Vec<Shape>),
    /// An object.
    Object(ObjectShape),
    /// One of several shapes (nullable fields, `anyOf`/`oneOf`, states reached along several
    /// paths). Built with [`Shape::union`]: flat, without duplicates, without `Any`.
    OneOf(Vec<Shape>),
}

/// The shape of a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectShape {
    /// The declared fields, in declaration order.
    pub fields: IndexMap<String, Field>,
    /// What may appear besides the declared fields.
    pub extra: Extra,
}

/// One declared field of an [`ObjectShape`].
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's shape when it is present.
    pub shape: Shape,
    /// Whether the field is always present.
    pub required: bool,
}

/// What an object may carry besides its declared fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Extra {
    /// Nothing else (`"additionalProperties": false`, literal objects): a consumer with this
    /// shape rejects any other field.
    Denied,
    /// Nothing else is promised: reading another field is an error (the declared fields are
    /// what the author promised), but the document may carry more and a consumer accepts
    /// more.
    Undeclared,
    /// Map-like: any other field may appear, with this shape.
    Allowed(Box<Shape>),
}

impl ObjectShape {
    /// An object with exactly these required fields and nothing else.
    pub fn exact(fields: impl IntoIterator<Item = (String, Shape)>) -> Self {
        ObjectShape {
            fields: fields
                .into_iter()
                .map(|(name, shape)| {
                    (
                        name,
                        Field {
                            shape,
                            required: true,
                        },
                    )
                })
                .collect(),
            extra: Extra::Denied,
        }
    }

    /// The declared field names, comma-separated, for messages.
    pub fn field_list(&self) -> String {
        self.fields
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Shape {
    /// The shape of a literal JSON value: exact types, literal objects closed
    /// ([`Extra::Denied`]) with every field required, literal arrays as [`Shape::Tuple`].
    pub fn of_value(value: &Value) -> Shape {
        Self::of_value_at(value, 0)
    }

    fn of_value_at(value: &Value, depth: usize) -> Shape {
        if depth > MAX_DEPTH {
            return Shape::Any;
        }
        match value {
            Value::Null => Shape::Null,
            Value::Bool(_) => Shape::Bool,
            Value::Number(n) if n.is_i64() || n.is_u64() => Shape::Integer,
            Value::Number(_) => Shape::Number,
            Value::String(_) => Shape::String,
            Value::Array(items) => Shape::Tuple(
                items
                    .iter()
                    .map(|v| Self::of_value_at(v, depth + 1))
                    .collect(),
            ),
            Value::Object(map) => Shape::Object(ObjectShape::exact(
                map.iter()
                    .map(|(k, v)| (k.clone(), Self::of_value_at(v, depth + 1))),
            )),
        }
    }

    /// The shape described by a JSON Schema (draft-07 with subschemas inlined, as
    /// [`stepwise_contract::schema_of`] emits; 2020-12 `prefixItems` is understood too).
    ///
    /// * `type` (a name or a list; `"null"` in a list makes a nullable union), `properties`,
    ///   `required`, `items`, `enum`, `const`, `anyOf`/`oneOf` (a union), `allOf` (merged).
    /// * `additionalProperties: false` closes the object ([`Extra::Denied`]); a schema makes
    ///   it map-like ([`Extra::Allowed`]); absent or `true` gives [`Extra::Undeclared`] when
    ///   properties are declared and `Allowed(Any)` when none are.
    /// * `$ref`, `true`, `{}` and anything not understood are [`Shape::Any`].
    pub fn from_schema(schema: &Value) -> Shape {
        from_schema_at(schema, 0)
    }

    /// The union of `shapes`: nested unions flattened, duplicates removed, `Any` absorbing
    /// everything. An empty union is `Any` (nothing is known); a single shape is itself.
    pub fn union(shapes: impl IntoIterator<Item = Shape>) -> Shape {
        let mut out: Vec<Shape> = Vec::new();
        for shape in shapes {
            let parts = match shape {
                Shape::Any => return Shape::Any,
                Shape::OneOf(parts) => parts,
                other => vec![other],
            };
            for part in parts {
                if part == Shape::Any {
                    return Shape::Any;
                }
                if !out.contains(&part) {
                    out.push(part);
                }
            }
        }
        match out.len() {
            0 => Shape::Any,
            1 => out.pop().unwrap_or(Shape::Any),
            n if n > MAX_VARIANTS => Shape::Any,
            _ => Shape::OneOf(out),
        }
    }

    /// The variants of a union, or the shape itself.
    pub fn variants(&self) -> &[Shape] {
        match self {
            Shape::OneOf(parts) => parts,
            other => std::slice::from_ref(other),
        }
    }

    /// How the value is described in messages: `a string`, `an integer`, `an object`,
    /// `a string or null`, ...
    pub fn describe(&self) -> String {
        match self {
            Shape::OneOf(parts) => {
                let mut names: Vec<&'static str> = Vec::new();
                for part in parts {
                    let name = part.kind_name();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names.join(" or ")
            }
            other => other.kind_name().to_string(),
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Shape::Any => "anything",
            Shape::Null => "null",
            Shape::Bool => "a boolean",
            Shape::Integer => "an integer",
            Shape::Number => "a number",
            Shape::String => "a string",
            Shape::Array(_) | Shape::Tuple(_) => "an array",
            Shape::Object(_) => "an object",
            Shape::OneOf(_) => "one of several types",
        }
    }

    /// This shape with everything nested deeper than [`MAX_DEPTH`] replaced by `Any`.
    pub fn truncated(self) -> Shape {
        self.truncate_at(0)
    }

    fn truncate_at(self, depth: usize) -> Shape {
        if depth >= MAX_DEPTH {
            return Shape::Any;
        }
        match self {
            Shape::Array(item) => Shape::Array(Box::new(item.truncate_at(depth + 1))),
            Shape::Tuple(items) => Shape::Tuple(
                items
                    .into_iter()
                    .map(|s| s.truncate_at(depth + 1))
                    .collect(),
            ),
            Shape::Object(o) => Shape::Object(ObjectShape {
                fields: o
                    .fields
                    .into_iter()
                    .map(|(k, f)| {
                        (
                            k,
                            Field {
                                shape: f.shape.truncate_at(depth + 1),
                                required: f.required,
                            },
                        )
                    })
                    .collect(),
                extra: match o.extra {
                    Extra::Allowed(s) => Extra::Allowed(Box::new(s.truncate_at(depth + 1))),
                    other => other,
                },
            }),
            Shape::OneOf(parts) => Shape::union(parts.into_iter().map(|s| s.truncate_at(depth))),
            other => other,
        }
    }

    /// A coarser shape that covers this one, used to make loops converge: the object
    /// variants of every union are merged into one object (a field missing from some
    /// variant becomes optional), the array variants into one array, and everything nested
    /// deeper than [`WIDEN_DEPTH`] becomes `Any`. Repeated widening of growing shapes
    /// reaches a fixpoint because field names come from a finite document.
    pub fn widen(&self) -> Shape {
        self.widen_at(0)
    }

    fn widen_at(&self, depth: usize) -> Shape {
        if depth >= WIDEN_DEPTH {
            return Shape::Any;
        }
        match self {
            Shape::OneOf(parts) => {
                let mut object: Option<ObjectShape> = None;
                let mut items: Option<Shape> = None;
                let mut others = Vec::new();
                for part in parts {
                    match part {
                        Shape::Object(o) => {
                            object = Some(match object {
                                None => o.clone(),
                                Some(acc) => join_objects(&acc, o),
                            });
                        }
                        Shape::Array(_) | Shape::Tuple(_) => {
                            let item = part.items().unwrap_or(Shape::Any);
                            items = Some(match items {
                                None => item,
                                Some(acc) => Shape::union([acc, item]),
                            });
                        }
                        other => others.push(other.clone()),
                    }
                }
                others.extend(object.map(|o| Shape::Object(o).widen_at(depth)));
                others.extend(items.map(|i| Shape::Array(Box::new(i)).widen_at(depth)));
                Shape::union(others)
            }
            Shape::Object(o) => Shape::Object(ObjectShape {
                fields: o
                    .fields
                    .iter()
                    .map(|(k, f)| {
                        let shape = f.shape.widen_at(depth + 1);
                        (
                            k.clone(),
                            Field {
                                shape,
                                required: f.required,
                            },
                        )
                    })
                    .collect(),
                extra: match &o.extra {
                    Extra::Allowed(s) => Extra::Allowed(Box::new(s.widen_at(depth + 1))),
                    other => other.clone(),
                },
            }),
            Shape::Array(item) => Shape::Array(Box::new(item.widen_at(depth + 1))),
            Shape::Tuple(items) => {
                Shape::Tuple(items.iter().map(|s| s.widen_at(depth + 1)).collect())
            }
            other => other.clone(),
        }
    }

    /// The shape of the items of an array shape (the union of a tuple's positions), or
    /// `None` when no variant is an array. `Any` gives `Some(Any)`.
    pub fn items(&self) -> Option<Shape> {
        match self {
            Shape::Any => Some(Shape::Any),
            Shape::Array(item) => Some((**item).clone()),
            Shape::Tuple(items) => Some(Shape::union(items.iter().cloned())),
            Shape::OneOf(parts) => {
                let items: Vec<Shape> = parts.iter().filter_map(Shape::items).collect();
                if items.is_empty() {
                    None
                } else {
                    Some(Shape::union(items))
                }
            }
            _ => None,
        }
    }

    /// Both constraints at once (`allOf`): object fields are merged, a union is narrowed
    /// variant by variant, `Any` yields to the other side. Contradictions keep the left
    /// side (the check stays quiet rather than inventing an impossible type).
    pub fn meet(&self, other: &Shape) -> Shape {
        match (self, other) {
            (Shape::Any, x) | (x, Shape::Any) => x.clone(),
            (Shape::OneOf(parts), x) | (x, Shape::OneOf(parts)) => {
                Shape::union(parts.iter().map(|p| p.meet(x)))
            }
            (Shape::Object(a), Shape::Object(b)) => {
                let mut fields = a.fields.clone();
                for (name, field) in &b.fields {
                    match fields.get_mut(name) {
                        Some(existing) => {
                            existing.shape = existing.shape.meet(&field.shape);
                            existing.required |= field.required;
                        }
                        None => {
                            fields.insert(name.clone(), field.clone());
                        }
                    }
                }
                let extra = match (&a.extra, &b.extra) {
                    (Extra::Denied, _) | (_, Extra::Denied) => Extra::Denied,
                    (Extra::Undeclared, _) | (_, Extra::Undeclared) => Extra::Undeclared,
                    (Extra::Allowed(x), Extra::Allowed(y)) => Extra::Allowed(Box::new(x.meet(y))),
                };
                Shape::Object(ObjectShape { fields, extra })
            }
            (Shape::Integer, Shape::Number) | (Shape::Number, Shape::Integer) => Shape::Integer,
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(Box::new(a.meet(b))),
            (a, _) => a.clone(),
        }
    }
}

/// One object covering both: every field of either, required only when required in both.
fn join_objects(a: &ObjectShape, b: &ObjectShape) -> ObjectShape {
    let mut fields = IndexMap::new();
    for (name, field) in &a.fields {
        let joined = match b.fields.get(name) {
            Some(other) => Field {
                shape: Shape::union([field.shape.clone(), other.shape.clone()]),
                required: field.required && other.required,
            },
            None => Field {
                shape: field.shape.clone(),
                required: false,
            },
        };
        fields.insert(name.clone(), joined);
    }
    for (name, field) in &b.fields {
        if !fields.contains_key(name) {
            fields.insert(
                name.clone(),
                Field {
                    shape: field.shape.clone(),
                    required: false,
                },
            );
        }
    }
    let extra = match (&a.extra, &b.extra) {
        (Extra::Allowed(x), Extra::Allowed(y)) => {
            Extra::Allowed(Box::new(Shape::union([(**x).clone(), (**y).clone()])))
        }
        (Extra::Allowed(x), _) | (_, Extra::Allowed(x)) => Extra::Allowed(x.clone()),
        (Extra::Denied, Extra::Denied) => Extra::Denied,
        _ => Extra::Undeclared,
    };
    ObjectShape { fields, extra }
}

fn from_schema_at(schema: &Value, depth: usize) -> Shape {
    if depth > MAX_DEPTH {
        return Shape::Any;
    }
    let Value::Object(map) = schema else {
        // `true`, `false` and anything malformed.
        return Shape::Any;
    };
    if map.contains_key("$ref") {
        return Shape::Any;
    }
    let base = base_shape(map, depth);
    let base = match map.get("allOf") {
        Some(Value::Array(parts)) => parts
            .iter()
            .fold(base, |acc, part| acc.meet(&from_schema_at(part, depth + 1))),
        _ => base,
    };
    let alternatives: Vec<&Value> = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|key| map.get(*key))
        .filter_map(Value::as_array)
        .flatten()
        .collect();
    if alternatives.is_empty() {
        base
    } else {
        Shape::union(
            alternatives
                .into_iter()
                .map(|alt| base.meet(&from_schema_at(alt, depth + 1))),
        )
    }
}

/// The shape given by a schema's own keywords (everything but the combinators).
fn base_shape(map: &Map<String, Value>, depth: usize) -> Shape {
    let nullable = map.get("nullable") == Some(&Value::Bool(true));
    let types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let shape = if !types.is_empty() {
        Shape::union(types.into_iter().map(|t| type_shape(t, map, depth)))
    } else if let Some(value) = map.get("const") {
        Shape::of_value(value).widened()
    } else if let Some(Value::Array(values)) = map.get("enum") {
        Shape::union(values.iter().map(|v| Shape::of_value(v).widened()))
    } else if [
        "properties",
        "additionalProperties",
        "required",
        "patternProperties",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
    {
        object_shape(map, depth)
    } else if ["items", "prefixItems"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        array_shape(map, depth)
    } else {
        Shape::Any
    };
    if nullable {
        Shape::union([shape, Shape::Null])
    } else {
        shape
    }
}

fn type_shape(name: &str, map: &Map<String, Value>, depth: usize) -> Shape {
    match name {
        "null" => Shape::Null,
        "boolean" => Shape::Bool,
        "integer" => Shape::Integer,
        "number" => Shape::Number,
        "string" => Shape::String,
        "array" => array_shape(map, depth),
        "object" => object_shape(map, depth),
        _ => Shape::Any,
    }
}

fn array_shape(map: &Map<String, Value>, depth: usize) -> Shape {
    if let Some(Value::Array(prefix)) = map.get("prefixItems") {
        return Shape::Tuple(
            prefix
                .iter()
                .map(|s| from_schema_at(s, depth + 1))
                .collect(),
        );
    }
    match map.get("items") {
        Some(Value::Array(items)) => {
            Shape::Tuple(items.iter().map(|s| from_schema_at(s, depth + 1)).collect())
        }
        Some(item) => Shape::Array(Box::new(from_schema_at(item, depth + 1))),
        None => Shape::Array(Box::new(Shape::Any)),
    }
}

fn object_shape(map: &Map<String, Value>, depth: usize) -> Shape {
    let required: Vec<&str> = match map.get("required") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut fields = IndexMap::new();
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, sub) in props {
            let field = Field {
                shape: from_schema_at(sub, depth + 1),
                required: required.contains(&name.as_str()),
            };
            fields.insert(name.clone(), field);
        }
    }
    for name in &required {
        if !fields.contains_key(*name) {
            fields.insert(
                (*name).to_string(),
                Field {
                    shape: Shape::Any,
                    required: true,
                },
            );
        }
    }
    let extra = if map.contains_key("patternProperties") {
        Extra::Allowed(Box::new(Shape::Any))
    } else {
        match map.get("additionalProperties") {
            Some(Value::Bool(false)) => Extra::Denied,
            None | Some(Value::Bool(true)) if !fields.is_empty() => Extra::Undeclared,
            None | Some(Value::Bool(_)) => Extra::Allowed(Box::new(Shape::Any)),
            Some(sub) => Extra::Allowed(Box::new(from_schema_at(sub, depth + 1))),
        }
    };
    Shape::Object(ObjectShape { fields, extra })
}

impl Shape {
    /// The type of a literal in a schema's `enum`/`const`: scalars as they are, containers
    /// without their literal contents.
    fn widened(self) -> Shape {
        match self {
            Shape::Tuple(items) => Shape::Array(Box::new(Shape::union(items))),
            Shape::Object(_) => Shape::Object(ObjectShape {
                fields: IndexMap::new(),
                extra: Extra::Allowed(Box::new(Shape::Any)),
            }),
            other => other,
        }
    }
}
