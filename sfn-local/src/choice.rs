//! Choice rules: every comparison operator, the type tests, And/Or/Not.
//!
//! As in Step Functions: a comparison whose value has the wrong type is false (not an
//! error); a `Variable` that does not resolve is a `States.Runtime` error except for
//! `IsPresent`, which is false; `...Path` operands must resolve.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use codegen::asl::{ChoiceRule, Comparison, ComparisonOp};
use codegen::errors::STATES_DATA_LIMIT_EXCEEDED;
use codegen::path::SelectError;
use serde_json::Value;

use crate::failure::Failure;
use crate::io::{Cache, Env};

/// Whether `rule` holds for `env`.
pub fn holds(rule: &ChoiceRule, env: &Env, cache: &Cache) -> Result<bool, Failure> {
    if let Some(all) = &rule.and {
        for r in all {
            if !holds(r, env, cache)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(any) = &rule.or {
        for r in any {
            if holds(r, env, cache)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(not) = &rule.not {
        return Ok(!holds(not, env, cache)?);
    }
    let (Some(variable), Some(cmp)) = (&rule.variable, rule.comparisons.first()) else {
        return Err(Failure::runtime("a Choice rule without a comparison"));
    };
    let path = cache.path(variable)?;
    let selected = path.select_with(env.input, env.context, env.variables);
    if cmp.op == ComparisonOp::IsPresent {
        return Ok(selected.is_ok() == (cmp.operand == Value::Bool(true)));
    }
    let value = match selected {
        Ok(value) => value,
        Err(SelectError::UnboundVariable { name, .. }) => {
            return Err(Failure::runtime(format!(
                "the variable \"${name}\" used by the Choice rule's Variable (\"{variable}\") is not set"
            )));
        }
        Err(SelectError::NoMatch { .. }) => {
            return Err(Failure::runtime(format!(
                "Invalid path \"{variable}\": the choice state's condition path references an invalid value"
            )));
        }
        Err(e @ SelectError::TooLarge { .. }) => {
            return Err(Failure::new(
                STATES_DATA_LIMIT_EXCEEDED.as_str(),
                e.to_string(),
            ));
        }
    };
    compare(&value, cmp, env, cache)
}

fn compare(value: &Value, cmp: &Comparison, env: &Env, cache: &Cache) -> Result<bool, Failure> {
    use ComparisonOp::*;
    let operand = match cmp.op.operand_kind() {
        codegen::asl::OperandKind::Path => {
            let Value::String(p) = &cmp.operand else {
                return Err(Failure::runtime(format!(
                    "{}: expected a path",
                    cmp.op.name()
                )));
            };
            cache.select(p, env, cmp.op.name())?
        }
        _ => cmp.operand.clone(),
    };
    let expected = operand.as_bool() == Some(true);
    Ok(match cmp.op {
        StringEquals | StringEqualsPath => strings(value, &operand).is_some_and(Ordering::is_eq),
        StringLessThan | StringLessThanPath => {
            strings(value, &operand).is_some_and(Ordering::is_lt)
        }
        StringGreaterThan | StringGreaterThanPath => {
            strings(value, &operand).is_some_and(Ordering::is_gt)
        }
        StringLessThanEquals | StringLessThanEqualsPath => {
            strings(value, &operand).is_some_and(Ordering::is_le)
        }
        StringGreaterThanEquals | StringGreaterThanEqualsPath => {
            strings(value, &operand).is_some_and(Ordering::is_ge)
        }
        StringMatches => match (value, &operand) {
            (Value::String(s), Value::String(pattern)) => wildcard(pattern, s),
            _ => false,
        },
        NumericEquals | NumericEqualsPath => numbers(value, &operand).is_some_and(Ordering::is_eq),
        NumericLessThan | NumericLessThanPath => {
            numbers(value, &operand).is_some_and(Ordering::is_lt)
        }
        NumericGreaterThan | NumericGreaterThanPath => {
            numbers(value, &operand).is_some_and(Ordering::is_gt)
        }
        NumericLessThanEquals | NumericLessThanEqualsPath => {
            numbers(value, &operand).is_some_and(Ordering::is_le)
        }
        NumericGreaterThanEquals | NumericGreaterThanEqualsPath => {
            numbers(value, &operand).is_some_and(Ordering::is_ge)
        }
        BooleanEquals | BooleanEqualsPath => {
            matches!((value, &operand), (Value::Bool(a), Value::Bool(b)) if a == b)
        }
        TimestampEquals | TimestampEqualsPath => {
            timestamps(value, &operand).is_some_and(Ordering::is_eq)
        }
        TimestampLessThan | TimestampLessThanPath => {
            timestamps(value, &operand).is_some_and(Ordering::is_lt)
        }
        TimestampGreaterThan | TimestampGreaterThanPath => {
            timestamps(value, &operand).is_some_and(Ordering::is_gt)
        }
        TimestampLessThanEquals | TimestampLessThanEqualsPath => {
            timestamps(value, &operand).is_some_and(Ordering::is_le)
        }
        TimestampGreaterThanEquals | TimestampGreaterThanEqualsPath => {
            timestamps(value, &operand).is_some_and(Ordering::is_ge)
        }
        IsNull => value.is_null() == expected,
        IsPresent => expected,
        IsNumeric => value.is_number() == expected,
        IsString => value.is_string() == expected,
        IsBoolean => value.is_boolean() == expected,
        IsTimestamp => value.as_str().and_then(timestamp).is_some() == expected,
    })
}

fn strings(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        _ => None,
    }
}

fn numbers(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
                return Some(x.cmp(&y));
            }
            if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                return Some(x.cmp(&y));
            }
            a.as_f64()?.partial_cmp(&b.as_f64()?)
        }
        _ => None,
    }
}

/// An RFC 3339 timestamp (Step Functions requires the `T` and an offset or `Z`).
pub fn timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    if !codegen::validate::is_rfc3339(s) {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

fn timestamps(a: &Value, b: &Value) -> Option<Ordering> {
    let a = timestamp(a.as_str()?)?;
    let b = timestamp(b.as_str()?)?;
    Some(a.cmp(&b))
}

/// `StringMatches`: `*` matches any run of characters, `\*` and `\\` are literal.
fn wildcard(pattern: &str, text: &str) -> bool {
    enum Tok {
        Star,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => toks.push(Tok::Char(chars.next().unwrap_or('\\'))),
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with backtracking to the last star.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| matches!(t, Tok::Star))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn check(rule: Value, input: Value) -> Result<bool, Failure> {
        let rule: ChoiceRule = serde_json::from_value(rule).unwrap();
        let vars = Map::new();
        let env = Env {
            input: &input,
            context: &Value::Null,
            variables: &vars,
        };
        holds(&rule, &env, &Cache::default())
    }

    #[test]
    fn an_unset_variable_in_a_rule_is_named() {
        let err = check(
            json!({"Variable": "$missing", "StringEquals": "x"}),
            json!({}),
        )
        .unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert!(
            err.cause.contains("variable \"$missing\"") && err.cause.contains("not set"),
            "{}",
            err.cause
        );
        assert!(
            !check(
                json!({"Variable": "$missing", "IsPresent": true}),
                json!({})
            )
            .unwrap()
        );
    }

    #[test]
    fn comparisons_with_wrong_types_are_false() {
        assert!(
            !check(
                json!({"Variable": "$.a", "NumericEquals": 1}),
                json!({"a": "1"})
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.a", "NumericEquals": 1}),
                json!({"a": 1.0})
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.a", "StringLessThan": "b"}),
                json!({"a": "a"})
            )
            .unwrap()
        );
    }

    #[test]
    fn missing_variables_fail_except_for_is_present() {
        assert!(!check(json!({"Variable": "$.x", "IsPresent": true}), json!({})).unwrap());
        assert!(check(json!({"Variable": "$.x", "IsPresent": false}), json!({})).unwrap());
        let err = check(json!({"Variable": "$.x", "IsNull": true}), json!({})).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
    }

    #[test]
    fn timestamps_compare_as_instants() {
        let rule = json!({"Variable": "$.t", "TimestampLessThan": "2026-01-01T01:00:00+01:00"});
        assert!(!check(rule.clone(), json!({"t": "2026-01-01T00:00:00Z"})).unwrap());
        assert!(check(rule, json!({"t": "2025-12-31T23:00:00Z"})).unwrap());
        assert!(
            check(
                json!({"Variable": "$.t", "IsTimestamp": true}),
                json!({"t": "2026-01-01T00:00:00Z"})
            )
            .unwrap()
        );
        assert!(
            !check(
                json!({"Variable": "$.t", "IsTimestamp": true}),
                json!({"t": "2026-01-01"})
            )
            .unwrap()
        );
    }

    #[test]
    fn string_matches_handles_stars_and_escapes() {
        assert!(wildcard("log-*.txt", "log-2026.txt"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "aXXbYYc"));
        assert!(!wildcard("a*b", "aXXc"));
        assert!(wildcard(r"a\*b", "a*b"));
        assert!(!wildcard(r"a\*b", "aXb"));
    }

    #[test]
    fn combinators_and_path_operands() {
        let rule = json!({"And": [
            {"Variable": "$.n", "NumericGreaterThanPath": "$.min"},
            {"Not": {"Variable": "$.s", "StringEquals": "stop"}},
            {"Or": [{"Variable": "$.b", "BooleanEquals": true}, {"Variable": "$.z", "IsNull": true}]}
        ]});
        assert!(
            check(
                rule.clone(),
                json!({"n": 5, "min": 3, "s": "go", "b": false, "z": null})
            )
            .unwrap()
        );
        assert!(
            !check(
                rule,
                json!({"n": 5, "min": 3, "s": "stop", "b": true, "z": null})
            )
            .unwrap()
        );
    }
}
