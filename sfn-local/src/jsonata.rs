//! JSONata in states: `{% … %}` strings in a state's templates (`Arguments`, `Output`,
//! `Assign`, `ItemSelector`, …) evaluated against `$states` and the workflow's variables.
//!
//! A string that is exactly one `{% … %}` expression gives the expression's value; every
//! other string, number, boolean and `null` stays as written; objects and arrays are
//! evaluated member by member. An expression that fails, or whose value is undefined,
//! is `States.QueryEvaluationError` naming the state, the field and the expression.
//!
//! Parsed expressions are kept by their text for the life of the process, so a Map over
//! thousands of items (or many executions of one definition) parses each expression once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use codegen::errors::STATES_QUERY_EVALUATION_ERROR;
use serde_json::{Map, Value};
use stepwise_jsonata::{Binding, Expression, JsonataError, Options};

use crate::failure::Failure;

/// The error a failed JSONata expression raises, as Step Functions names it.
pub const QUERY_EVALUATION_ERROR: &str = STATES_QUERY_EVALUATION_ERROR.as_str();

/// How many parsed expressions the process keeps before it starts over.
const CACHE_CAPACITY: usize = 16_384;

/// The expression inside a `{% … %}` string (surrounding whitespace allowed), or `None`
/// for any other string.
pub fn expression_text(s: &str) -> Option<&str> {
    s.trim()
        .strip_prefix("{%")
        .and_then(|rest| rest.strip_suffix("%}"))
}

/// The parsed expression `text`, from the process-wide cache when it was parsed before.
pub fn parsed(text: &str) -> Result<Arc<Expression>, JsonataError> {
    static CACHE: OnceLock<RwLock<HashMap<String, Arc<Expression>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(e) = cache.read().unwrap_or_else(|p| p.into_inner()).get(text) {
        return Ok(e.clone());
    }
    let expr = Arc::new(Expression::parse(text)?);
    let mut map = cache.write().unwrap_or_else(|p| p.into_inner());
    if map.len() >= CACHE_CAPACITY {
        map.clear();
    }
    map.insert(text.to_string(), expr.clone());
    Ok(expr)
}

/// The members of `$states` a field may read.
#[derive(Debug, Clone, Copy)]
pub struct StatesVar<'a> {
    /// `$states.input`: the state's input.
    pub input: &'a Value,
    /// `$states.result`: the task's, branches' or iterations' result (after the work).
    pub result: Option<&'a Value>,
    /// `$states.errorOutput`: the error a Catch rule handles.
    pub error_output: Option<&'a Value>,
    /// `$states.context`: the context object (`$$` in JSONPath states).
    pub context: &'a Value,
}

/// One evaluation scope: the state, its `$states`, the variables and the limits. It
/// holds them by reference: an expression converts only what it reads (see
/// [`Expression::evaluate_with`]), so a Map's `ItemSelector` over a large input does not
/// copy the input for every item.
pub struct Query<'a> {
    state: String,
    states: StatesVar<'a>,
    vars: &'a Map<String, Value>,
    options: Options,
}

impl<'a> Query<'a> {
    /// A scope for state `state`: `$states` and the variables (as they were before the
    /// state's own `Assign`), `$now()` at `now`, `$random()` from `seed` when given.
    pub fn new(
        state: &str,
        states: StatesVar<'a>,
        vars: &'a Map<String, Value>,
        now: DateTime<Utc>,
        seed: Option<u64>,
    ) -> Self {
        Query {
            state: state.to_string(),
            states,
            vars,
            options: Options {
                now: Some(now),
                random_seed: seed,
                time_limit: Duration::from_secs(5),
                ..Options::default()
            },
        }
    }

    /// Evaluates `expr` with `$states` and the variables bound.
    fn evaluate(&self, expr: &Expression) -> Result<Option<Value>, JsonataError> {
        let mut members: Vec<(&str, &Value)> = Vec::with_capacity(4);
        members.push(("input", self.states.input));
        if let Some(r) = self.states.result {
            members.push(("result", r));
        }
        if let Some(e) = self.states.error_output {
            members.push(("errorOutput", e));
        }
        members.push(("context", self.states.context));
        let mut bindings: Vec<(&str, Binding<'_>)> = Vec::with_capacity(self.vars.len() + 1);
        bindings.extend(
            self.vars
                .iter()
                .map(|(k, v)| (k.as_str(), Binding::Json(v))),
        );
        bindings.push(("states", Binding::Members(&members)));
        expr.evaluate_with(None, &bindings, &self.options)
    }

    /// Evaluates a template: `{% %}` strings at any depth become their values.
    pub fn template(&self, template: &Value, field: &str) -> Result<Value, Failure> {
        match template {
            Value::String(s) => match expression_text(s) {
                Some(expr) => self.expression(expr, field),
                None => Ok(template.clone()),
            },
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (k, v) in map {
                    out.insert(k.clone(), self.template(v, &format!("{field}.{k}"))?);
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.template(v, &format!("{field}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// The value of one expression (the text inside `{% %}`) in field `field`.
    pub fn expression(&self, expr: &str, field: &str) -> Result<Value, Failure> {
        let failed = |what: String| {
            Failure::evaluation(
                QUERY_EVALUATION_ERROR,
                format!(
                    "State \"{}\": the JSONata expression '{}' specified for the field '{field}' {what}",
                    self.state,
                    expr.trim()
                ),
                &self.state,
                field,
            )
        };
        let parsed = parsed(expr).map_err(|e| failed(format!("does not parse: {e}")))?;
        match self.evaluate(&parsed) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(failed("returned nothing (undefined)".into())),
            Err(e) => Err(failed(format!("failed: {e}"))),
        }
    }

    /// A field that must be a boolean (a Choice rule's `Condition`).
    pub fn condition(&self, condition: &Value, field: &str) -> Result<bool, Failure> {
        match self.template(condition, field)? {
            Value::Bool(b) => Ok(b),
            other => Err(Failure::evaluation(
                QUERY_EVALUATION_ERROR,
                format!(
                    "State \"{}\": the field '{field}' evaluated to {other}, not a boolean",
                    self.state
                ),
                &self.state,
                field,
            )),
        }
    }

    /// The variables an `Assign` block sets (its top-level members, evaluated).
    pub fn assign(&self, assign: &Value, field: &str) -> Result<Map<String, Value>, Failure> {
        match self.template(assign, field)? {
            Value::Object(map) => Ok(map),
            other => Err(Failure::evaluation(
                QUERY_EVALUATION_ERROR,
                format!(
                    "State \"{}\": the field '{field}' evaluated to {other}, not an object of variables",
                    self.state
                ),
                &self.state,
                field,
            )),
        }
    }

    /// The error a field of the wrong type raises (an evaluated number that is not one).
    pub fn wrong_type(&self, field: &str, value: &Value, expected: &str) -> Failure {
        Failure::evaluation(
            QUERY_EVALUATION_ERROR,
            format!(
                "State \"{}\": the field '{field}' evaluated to {value}, not {expected}",
                self.state
            ),
            &self.state,
            field,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Runs `f` with a query for state "S" over `input` and the variables `vars`.
    fn with_query<R>(input: Value, vars: Value, f: impl FnOnce(&Query<'_>) -> R) -> R {
        let ctx = json!({"State": {"Name": "S"}});
        let vars = vars.as_object().cloned().unwrap_or_default();
        let q = Query::new(
            "S",
            StatesVar {
                input: &input,
                result: None,
                error_output: None,
                context: &ctx,
            },
            &vars,
            Utc::now(),
            None,
        );
        f(&q)
    }

    #[test]
    fn templates_evaluate_whole_expression_strings_at_any_depth() {
        let out = with_query(json!({"a": 2}), json!({"v": "x"}), |q| {
            q.template(
                &json!({"n": "{% $states.input.a * 3 %}", "l": ["{% $v %}", "literal {% 1 %}"], "k": {"s": "$states.input"}}),
                "Output",
            )
            .unwrap()
        });
        assert_eq!(
            out,
            json!({"n": 6, "l": ["x", "literal {% 1 %}"], "k": {"s": "$states.input"}})
        );
    }

    #[test]
    fn undefined_and_errors_are_query_evaluation_errors_naming_state_and_field() {
        with_query(json!({}), json!({}), |q| {
            let f = q
                .template(&json!({"x": "{% $states.input.nope %}"}), "Output")
                .unwrap_err();
            assert_eq!(f.error, QUERY_EVALUATION_ERROR);
            assert!(f.cause.contains("State \"S\""), "{}", f.cause);
            assert!(f.cause.contains("'Output.x'"), "{}", f.cause);
            assert!(f.cause.contains("undefined"), "{}", f.cause);
            let f = q.expression("1 + 'a'", "Arguments").unwrap_err();
            assert!(f.cause.contains("T2002"), "{}", f.cause);
            let f = q.expression("(", "Arguments").unwrap_err();
            assert!(f.cause.contains("does not parse"), "{}", f.cause);
        });
    }

    #[test]
    fn conditions_must_be_booleans() {
        with_query(json!({"n": 3}), json!({}), |q| {
            assert!(
                q.condition(&json!("{% $states.input.n > 2 %}"), "C")
                    .unwrap()
            );
            assert!(q.condition(&json!("{% $states.input.n %}"), "C").is_err());
        });
    }

    #[test]
    fn a_variable_named_states_is_shadowed_and_whole_reads_see_every_member() {
        with_query(json!({"n": 3}), json!({"states": 1, "v": [1, 2]}), |q| {
            assert_eq!(
                q.expression("$keys($states)", "Output").unwrap(),
                json!(["input", "context"])
            );
            assert_eq!(
                q.expression("$states.input.n + $sum($v)", "Output")
                    .unwrap(),
                json!(6)
            );
        });
    }
}
