//! A JSONata evaluator for Step Functions' JSONata query language.
//!
//! Parse once with [`Expression::parse`], evaluate many times with
//! [`Expression::evaluate`] against a JSON input and variable bindings (Step Functions'
//! `$states` object and workflow variables are plain bindings). Every evaluation is
//! bounded by [`Options`]: evaluation depth, a deadline, and a maximum size for the
//! strings, arrays and objects it builds (256 KiB by default, Step Functions' payload
//! limit). Errors carry JSONata's codes (`S0201`, `T2001`, `D3030`, …) and the position.
//!
//! # Why our own evaluator
//! We ran the reference implementation's test suite (`shared/jsonata-test-suite`, 1,686
//! cases) through the existing Rust crate, `jsonata-rs` 0.3.4 (Stedi): 1,211 passed
//! (71.8 %). Its gaps are spread over the whole language (`$sort` with a comparator,
//! tuple streams, many functions, signatures, error codes) and it offers no result-size
//! bound; its arena-based values cannot be extended from outside the crate. So we wrote
//! our own, following the reference implementation's algorithms; `tests/suite.rs` runs
//! the whole suite and `README.md` gives the current pass rate.
//!
//! # Differences from JavaScript JSONata
//! - `$eval` is not provided (Step Functions does not offer it).
//! - Regexes use the `regex` crate: no look-around, no backreferences (linear time).
//! - Step Functions' additions: `$partition`, `$range`, `$hash`, `$random(seed)`,
//!   `$uuid`, `$parse`.
//! - Stepwise-specific error codes: `U1001` (depth or time budget exceeded, as the
//!   reference test harness names it), `U1002` (result size limit), `D3200`–`D3203`
//!   (bad arguments to the Step Functions functions).

mod ast;
mod env;
mod error;
mod eval;
mod functions;
mod lexer;
mod parser;
mod picture;
mod reads;
mod regex;
mod signature;
mod structure;
mod value;
mod vars;

use std::time::{Duration, Instant};

pub use error::{JsonataError, Result};
pub use structure::Structure;

/// Limits and fixed inputs of one evaluation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Maximum evaluation depth (nested expressions and function calls).
    pub max_depth: usize,
    /// Maximum wall-clock time.
    pub time_limit: Duration,
    /// Maximum size in bytes of any string, array or object built, and of the result.
    pub max_result_bytes: usize,
    /// Seed for `$random()` without an argument, `$shuffle` and `$uuid` (random when absent).
    pub random_seed: Option<u64>,
    /// The time `$now()` and `$millis()` return (the current time when absent).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_depth: 500,
            time_limit: Duration::from_secs(5),
            max_result_bytes: 256 * 1024,
            random_seed: None,
            now: None,
        }
    }
}

/// A variable binding given by reference ([`Expression::evaluate_with`]).
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// A JSON value.
    Json(&'a serde_json::Value),
    /// An object with these members, in order (Step Functions' `$states`), without
    /// building it first.
    Members(&'a [(&'a str, &'a serde_json::Value)]),
}

/// A parsed JSONata expression.
#[derive(Debug, Clone)]
pub struct Expression {
    ast: ast::Node,
    source: String,
    /// What the expression reads of its bindings (only that is converted from JSON).
    reads: reads::Reads,
}

impl Expression {
    /// Parses an expression (syntax errors carry an `S0xxx` code and the position).
    pub fn parse(source: &str) -> Result<Expression> {
        let ast = parser::parse(source)?;
        Ok(Expression {
            reads: reads::Reads::of(&ast),
            ast,
            source: source.to_string(),
        })
    }

    /// The expression's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against an input (`None`: no input) with variable bindings (names without
    /// `$`). Returns `None` when the result is undefined.
    pub fn evaluate(
        &self,
        input: Option<&serde_json::Value>,
        bindings: &serde_json::Map<String, serde_json::Value>,
        options: &Options,
    ) -> Result<Option<serde_json::Value>> {
        let bindings: Vec<(&str, Binding<'_>)> = bindings
            .iter()
            .map(|(k, v)| (k.as_str(), Binding::Json(v)))
            .collect();
        self.evaluate_with(input, &bindings, options)
    }

    /// [`Expression::evaluate`] with bindings given by reference, a later one with the same
    /// name winning: nothing is copied, and only what the expression can read is converted
    /// (a binding it never names is skipped; of an object it reads only as
    /// `$name.member…`, only those members).
    pub fn evaluate_with(
        &self,
        input: Option<&serde_json::Value>,
        bindings: &[(&str, Binding<'_>)],
        options: &Options,
    ) -> Result<Option<serde_json::Value>> {
        let limits = eval::Limits {
            max_depth: options.max_depth,
            deadline: Instant::now().checked_add(options.time_limit),
            max_size: options.max_result_bytes,
        };
        let mut ev = eval::Evaluator::new(limits, options.random_seed);
        if let Some(now) = options.now {
            ev.now = now;
        }
        let root = env::Frame::root();
        ev.track(&root);
        for (name, binding) in bindings {
            let Some(read) = self.reads.binding(name) else {
                continue;
            };
            let wanted = |member: &str| match read {
                reads::Members::All => true,
                reads::Members::Some(members) => members.contains(member),
            };
            let converted = match (binding, read) {
                (Binding::Json(serde_json::Value::Object(object)), reads::Members::Some(_)) => {
                    value::Value::Object(std::rc::Rc::new(
                        object
                            .iter()
                            .filter(|(k, _)| wanted(k))
                            .map(|(k, v)| (k.clone(), value::Value::from_json(v)))
                            .collect(),
                    ))
                }
                (Binding::Json(v), _) => value::Value::from_json(v),
                (Binding::Members(members), _) => value::Value::Object(std::rc::Rc::new(
                    members
                        .iter()
                        .filter(|(k, _)| wanted(k))
                        .map(|(k, v)| (k.to_string(), value::Value::from_json(v)))
                        .collect(),
                )),
            };
            root.bind(name, converted);
        }
        let raw = input.map(value::Value::from_json).unwrap_or_default();
        // `$$` is the input as given; an array input is wrapped in a one-item sequence so that
        // paths treat it as a single context (the reference implementation's outer wrapper).
        root.bind("$", raw.clone());
        let input = match raw {
            v @ value::Value::Array(..) => {
                value::Value::Array(std::rc::Rc::new(vec![v]), value::SEQ | value::OUTER)
            }
            v => v,
        };
        let result = ev.eval(&self.ast, &input, &root)?;
        if has_non_finite(&result) {
            return Err(JsonataError::new(
                "D1001",
                0,
                "Number out of range: the result is not a finite number",
            ));
        }
        let json = result.to_json();
        if let Some(j) = &json {
            let size = serde_json::to_vec(j).map(|b| b.len()).unwrap_or(0);
            ev.check_size(size, 0)?;
        }
        Ok(json)
    }
}

fn has_non_finite(v: &value::Value) -> bool {
    match v {
        value::Value::Number(n) => !n.is_finite(),
        value::Value::Array(a, _) => a.iter().any(has_non_finite),
        value::Value::Object(o) => o.values().any(has_non_finite),
        _ => false,
    }
}
