//! QueryVectors' metadata filter language, as the S3 User Guide's "Metadata filtering"
//! page documents it: `$eq`, `$ne` (strings, numbers, booleans), `$gt`, `$gte`, `$lt`,
//! `$lte` (numbers), `$in`, `$nin` (non-empty lists of those), `$exists` (boolean),
//! `$and`, `$or` (non-empty lists of filters). A bare value is `$eq`; several keys in one
//! object, or several operators on one key, must all hold. Against a list-valued
//! metadata key, `$eq` (and `$in`, and the comparisons) hold when any element does.
//!
//! Choices where the guide is silent: `$ne` and `$nin` also hold when the key is
//! missing (the complement of `$eq` and `$in`); keys declared non-filterable on the
//! index are invisible to filters (as if missing), since only filterable metadata is
//! indexed for filtering. A malformed filter is a `ValidationException` naming the
//! member at fault under `/filter`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::metadata::kind;

/// A primitive operand: string, number or boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum Primitive {
    /// A string.
    String(String),
    /// A number (compared as f64).
    Number(f64),
    /// A boolean.
    Bool(bool),
}

impl Primitive {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Primitive::String(s.clone())),
            Value::Number(n) => n.as_f64().map(Primitive::Number),
            Value::Bool(b) => Some(Primitive::Bool(*b)),
            _ => None,
        }
    }

    fn equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Primitive::String(a), Value::String(b)) => a == b,
            (Primitive::Number(a), Value::Number(b)) => b.as_f64() == Some(*a),
            (Primitive::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }
}

/// How a numeric comparison compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `$gt`
    Gt,
    /// `$gte`
    Gte,
    /// `$lt`
    Lt,
    /// `$lte`
    Lte,
}

impl Comparison {
    fn holds(self, value: f64, operand: f64) -> bool {
        match self {
            Comparison::Gt => value > operand,
            Comparison::Gte => value >= operand,
            Comparison::Lt => value < operand,
            Comparison::Lte => value <= operand,
        }
    }
}

/// A condition on one metadata key.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `$eq`
    Eq(Primitive),
    /// `$ne`
    Ne(Primitive),
    /// `$gt`, `$gte`, `$lt`, `$lte`
    Compare(Comparison, f64),
    /// `$in`
    In(Vec<Primitive>),
    /// `$nin`
    Nin(Vec<Primitive>),
    /// `$exists`
    Exists(bool),
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every filter holds.
    And(Vec<Filter>),
    /// At least one holds.
    Or(Vec<Filter>),
    /// A condition on a key.
    Key(String, Condition),
}

impl Filter {
    /// Parses a filter document; errors name the member under `/filter`.
    pub fn parse(value: &Value) -> Result<Filter, ApiError> {
        parse_object(value, "/filter")
    }

    /// Whether the metadata matches, with `non_filterable` keys invisible.
    pub fn matches(
        &self,
        metadata: Option<&Map<String, Value>>,
        non_filterable: &BTreeSet<String>,
    ) -> bool {
        match self {
            Filter::And(all) => all.iter().all(|f| f.matches(metadata, non_filterable)),
            Filter::Or(any) => any.iter().any(|f| f.matches(metadata, non_filterable)),
            Filter::Key(key, condition) => {
                let value = if non_filterable.contains(key) {
                    None
                } else {
                    metadata.and_then(|m| m.get(key))
                };
                condition.holds(value)
            }
        }
    }
}

impl Condition {
    fn holds(&self, value: Option<&Value>) -> bool {
        match self {
            Condition::Exists(wanted) => value.is_some() == *wanted,
            Condition::Eq(p) => value.is_some_and(|v| any_element(v, |e| p.equals(e))),
            Condition::Ne(p) => !value.is_some_and(|v| any_element(v, |e| p.equals(e))),
            Condition::In(list) => {
                value.is_some_and(|v| any_element(v, |e| list.iter().any(|p| p.equals(e))))
            }
            Condition::Nin(list) => {
                !value.is_some_and(|v| any_element(v, |e| list.iter().any(|p| p.equals(e))))
            }
            Condition::Compare(how, operand) => value.is_some_and(|v| {
                any_element(v, |e| e.as_f64().is_some_and(|n| how.holds(n, *operand)))
            }),
        }
    }
}

/// `test` on a scalar, or on any element of a list.
fn any_element(value: &Value, test: impl Fn(&Value) -> bool) -> bool {
    match value {
        Value::Array(items) => items.iter().any(test),
        scalar => test(scalar),
    }
}

fn parse_object(value: &Value, path: &str) -> Result<Filter, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::validation(
            path,
            format!("a filter is a JSON object, not {}", kind(value)),
        ));
    };
    if map.is_empty() {
        return Err(ApiError::validation(path, "a filter must not be empty"));
    }
    let mut parts = Vec::with_capacity(map.len());
    for (key, operand) in map {
        let member = format!("{path}/{key}");
        parts.push(match key.as_str() {
            "$and" => Filter::And(parse_list(operand, &member)?),
            "$or" => Filter::Or(parse_list(operand, &member)?),
            op if op.starts_with('$') => {
                return Err(ApiError::validation(
                    member,
                    format!(
                        "unknown operator {op} at the top of a filter (only $and and $or combine filters; key conditions go under a key)"
                    ),
                ));
            }
            _ => parse_key(key, operand, &member)?,
        });
    }
    Ok(single_or_and(parts))
}

fn parse_list(value: &Value, path: &str) -> Result<Vec<Filter>, ApiError> {
    match value {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_object(item, &format!("{path}/{i}")))
            .collect(),
        _ => Err(ApiError::validation(
            path,
            "$and and $or take a non-empty list of filters",
        )),
    }
}

fn parse_key(key: &str, value: &Value, path: &str) -> Result<Filter, ApiError> {
    match value {
        Value::Object(ops) => {
            if ops.is_empty() {
                return Err(ApiError::validation(
                    path,
                    format!("the condition on {key:?} has no operator"),
                ));
            }
            let mut parts = Vec::with_capacity(ops.len());
            for (op, operand) in ops {
                let condition = parse_condition(op, operand, &format!("{path}/{op}"))?;
                parts.push(Filter::Key(key.to_string(), condition));
            }
            Ok(single_or_and(parts))
        }
        other => match Primitive::from_json(other) {
            Some(p) => Ok(Filter::Key(key.to_string(), Condition::Eq(p))),
            None => Err(ApiError::validation(
                path,
                format!(
                    "the value for {key:?} must be a string, number, boolean or an object of operators, not {} (use $in for a list)",
                    kind(other)
                ),
            )),
        },
    }
}

fn parse_condition(op: &str, operand: &Value, path: &str) -> Result<Condition, ApiError> {
    let primitive = || {
        Primitive::from_json(operand).ok_or_else(|| {
            ApiError::validation(
                path,
                format!(
                    "{op} takes a string, number or boolean, not {}",
                    kind(operand)
                ),
            )
        })
    };
    let number = || {
        operand.as_f64().ok_or_else(|| {
            ApiError::validation(path, format!("{op} takes a number, not {}", kind(operand)))
        })
    };
    let list = || -> Result<Vec<Primitive>, ApiError> {
        match operand {
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .map(|item| {
                    Primitive::from_json(item).ok_or_else(|| {
                        ApiError::validation(
                            path,
                            format!(
                                "{op} takes a list of strings, numbers or booleans; it holds {}",
                                kind(item)
                            ),
                        )
                    })
                })
                .collect(),
            _ => Err(ApiError::validation(
                path,
                format!("{op} takes a non-empty list of strings, numbers or booleans"),
            )),
        }
    };
    Ok(match op {
        "$eq" => Condition::Eq(primitive()?),
        "$ne" => Condition::Ne(primitive()?),
        "$gt" => Condition::Compare(Comparison::Gt, number()?),
        "$gte" => Condition::Compare(Comparison::Gte, number()?),
        "$lt" => Condition::Compare(Comparison::Lt, number()?),
        "$lte" => Condition::Compare(Comparison::Lte, number()?),
        "$in" => Condition::In(list()?),
        "$nin" => Condition::Nin(list()?),
        "$exists" => match operand {
            Value::Bool(b) => Condition::Exists(*b),
            other => {
                return Err(ApiError::validation(
                    path,
                    format!("$exists takes a boolean, not {}", kind(other)),
                ));
            }
        },
        other => {
            return Err(ApiError::validation(
                path,
                format!(
                    "unknown operator {other:?} (known: $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists)"
                ),
            ));
        }
    })
}

fn single_or_and(mut parts: Vec<Filter>) -> Filter {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        Filter::And(parts)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn matches(filter: Value, metadata: Value) -> bool {
        let non_filterable: BTreeSet<String> = ["secret".to_string()].into();
        Filter::parse(&filter)
            .unwrap()
            .matches(metadata.as_object(), &non_filterable)
    }

    #[test]
    fn equality_bare_and_explicit_including_list_values() {
        let m = json!({"genre": "drama", "year": 2020, "tags": ["a", "b"], "new": true});
        assert!(matches(json!({"genre": "drama"}), m.clone()));
        assert!(matches(json!({"genre": {"$eq": "drama"}}), m.clone()));
        assert!(!matches(json!({"genre": "comedy"}), m.clone()));
        assert!(matches(json!({"year": 2020.0}), m.clone()));
        assert!(!matches(json!({"year": "2020"}), m.clone()));
        assert!(matches(json!({"tags": {"$eq": "b"}}), m.clone()));
        assert!(!matches(json!({"tags": {"$ne": "b"}}), m.clone()));
        assert!(matches(json!({"new": true}), m.clone()));
        assert!(matches(json!({"genre": {"$ne": "comedy"}}), m.clone()));
        assert!(matches(json!({"missing": {"$ne": "x"}}), m.clone()));
        assert!(!matches(json!({"missing": "x"}), m));
    }

    #[test]
    fn numeric_comparisons_sets_and_existence() {
        let m = json!({"price": 10.5, "tenant": "t1"});
        assert!(matches(json!({"price": {"$gt": 10}}), m.clone()));
        assert!(!matches(json!({"price": {"$gt": 10.5}}), m.clone()));
        assert!(matches(json!({"price": {"$gte": 10.5}}), m.clone()));
        assert!(matches(json!({"price": {"$lt": 11}}), m.clone()));
        assert!(matches(json!({"price": {"$lte": 10.5}}), m.clone()));
        assert!(matches(
            json!({"price": {"$gte": 10, "$lte": 11}}),
            m.clone()
        ));
        assert!(!matches(
            json!({"price": {"$gte": 10, "$lte": 10.4}}),
            m.clone()
        ));
        assert!(!matches(json!({"tenant": {"$gt": 1}}), m.clone()));
        assert!(matches(json!({"tenant": {"$in": ["t0", "t1"]}}), m.clone()));
        assert!(!matches(
            json!({"tenant": {"$nin": ["t0", "t1"]}}),
            m.clone()
        ));
        assert!(matches(json!({"other": {"$nin": ["t0"]}}), m.clone()));
        assert!(matches(json!({"tenant": {"$exists": true}}), m.clone()));
        assert!(matches(json!({"other": {"$exists": false}}), m.clone()));
        assert!(!matches(json!({"other": {"$exists": true}}), m));
    }

    #[test]
    fn and_or_and_implicit_and() {
        let m = json!({"genre": "drama", "year": 2020});
        assert!(matches(json!({"genre": "drama", "year": 2020}), m.clone()));
        assert!(!matches(json!({"genre": "drama", "year": 2021}), m.clone()));
        assert!(matches(
            json!({"$and": [{"genre": "drama"}, {"year": {"$gte": 2020}}]}),
            m.clone()
        ));
        assert!(matches(
            json!({"$or": [{"genre": "comedy"}, {"year": {"$lt": 2021}}]}),
            m.clone()
        ));
        assert!(!matches(
            json!({"$or": [{"genre": "comedy"}, {"year": {"$lt": 2020}}]}),
            m
        ));
    }

    #[test]
    fn non_filterable_keys_are_invisible_to_filters() {
        let m = json!({"secret": "s", "genre": "drama"});
        assert!(!matches(json!({"secret": "s"}), m.clone()));
        assert!(matches(json!({"secret": {"$exists": false}}), m.clone()));
        assert!(matches(json!({"genre": "drama"}), m));
    }

    #[test]
    fn malformed_filters_name_the_member() {
        for (filter, member) in [
            (json!({}), "/filter"),
            (json!([1]), "/filter"),
            (json!({"$not": {"a": 1}}), "/filter/$not"),
            (json!({"a": {"$regex": "x"}}), "/filter/a/$regex"),
            (json!({"a": {"$gt": "x"}}), "/filter/a/$gt"),
            (json!({"a": {"$in": []}}), "/filter/a/$in"),
            (json!({"a": {"$in": [{"b": 1}]}}), "/filter/a/$in"),
            (json!({"a": {"$exists": 1}}), "/filter/a/$exists"),
            (json!({"a": [1, 2]}), "/filter/a"),
            (json!({"a": {}}), "/filter/a"),
            (json!({"$and": []}), "/filter/$and"),
            (json!({"$or": [{"a": null}]}), "/filter/$or/0/a"),
        ] {
            let err = Filter::parse(&filter).unwrap_err();
            assert_eq!(err.code, "ValidationException", "{filter}");
            assert_eq!(
                err.field.as_deref(),
                Some(member),
                "{filter}: {}",
                err.message
            );
        }
    }
}
