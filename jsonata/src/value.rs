//! Runtime values: JSON plus `undefined`, sequences (arrays with JSONata's flags),
//! functions (lambdas, built-ins, partial applications, transforms) and regexes; with
//! conversion from and to `serde_json::Value` and JavaScript's number formatting.

use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::ast::{LambdaDef, Node};
use crate::env::Env;
use crate::functions::Builtin;

/// An object's fields, in insertion order.
pub type Map = IndexMap<String, Value>;

/// Array flag: a sequence (results of path steps), unwrapped when it holds one item.
pub const SEQ: u8 = 1;
/// Array flag: keep a singleton sequence as an array (`[]`).
pub const KEEP: u8 = 2;
/// Array flag: an array built by a constructor (not flattened by paths).
pub const CONS: u8 = 4;
/// Array flag: the input array wrapped as the outermost context.
pub const OUTER: u8 = 8;

/// A JSONata function value.
#[derive(Debug)]
pub enum Func {
    /// A user lambda with its closure environment and the input it was defined on.
    Lambda {
        /// The definition.
        def: Arc<LambdaDef>,
        /// The defining environment.
        env: Env,
        /// The context value at definition.
        input: Value,
    },
    /// A built-in function.
    Builtin(Builtin),
    /// A partial application: the function and its arguments (`None` = placeholder).
    Partial(Value, Vec<Option<Value>>),
    /// A `|pattern|update,delete|` transform.
    Transform(Arc<(Node, Node, Option<Node>)>, Env),
    /// Function composition made by `f ~> g`.
    Chain(Value, Value),
    /// A regex literal used as a function (returns match objects).
    Regex(Arc<regex::Regex>),
}

/// A runtime value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// No value.
    #[default]
    Undefined,
    /// JSON null.
    Null,
    /// Boolean.
    Bool(bool),
    /// Number (always finite).
    Number(f64),
    /// String.
    String(Arc<str>),
    /// Array with flags (`SEQ`, `KEEP`, `CONS`, `OUTER`).
    Array(Rc<Vec<Value>>, u8),
    /// Object.
    Object(Rc<Map>),
    /// Function.
    Func(Rc<Func>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    /// A plain array.
    pub fn array(v: Vec<Value>) -> Value {
        Value::Array(Rc::new(v), 0)
    }

    /// A sequence.
    pub fn seq(v: Vec<Value>) -> Value {
        Value::Array(Rc::new(v), SEQ)
    }

    /// Whether this is `undefined`.
    pub fn is_undef(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// Whether this is an array.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(..))
    }

    /// Whether this is a function.
    pub fn is_func(&self) -> bool {
        matches!(self, Value::Func(_))
    }

    /// The array's flags (0 for other values).
    pub fn flags(&self) -> u8 {
        match self {
            Value::Array(_, f) => *f,
            _ => 0,
        }
    }

    /// The same array with a flag added.
    pub fn with_flag(self, flag: u8) -> Value {
        match self {
            Value::Array(a, f) => Value::Array(a, f | flag),
            other => other,
        }
    }

    /// The array's items, or the value as a one-item list (nothing for undefined).
    pub fn members(&self) -> Vec<Value> {
        match self {
            Value::Array(a, _) => a.as_ref().clone(),
            Value::Undefined => Vec::new(),
            v => vec![v.clone()],
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// JSONata's type letter for signatures.
    pub fn sig_letter(&self) -> char {
        match self {
            Value::Undefined => 'm',
            Value::Null => 'l',
            Value::Bool(_) => 'b',
            Value::Number(_) => 'n',
            Value::String(_) => 's',
            Value::Array(..) => 'a',
            Value::Object(_) => 'o',
            Value::Func(_) => 'f',
        }
    }

    /// Converts JSON input into a value.
    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(a) => Value::array(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Object(Rc::new(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// Converts to JSON (`None` for undefined; functions become `""` as in JSON.stringify's
    /// replacer of the reference implementation; undefined array items are dropped).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Value::Undefined => return None,
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(a, _) => {
                serde_json::Value::Array(a.iter().filter_map(|v| v.to_json()).collect())
            }
            Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .filter_map(|(k, v)| v.to_json().map(|j| (k.clone(), j)))
                    .collect(),
            ),
            Value::Func(_) => serde_json::Value::String(String::new()),
        })
    }
}

/// A finite number as JSON: an integer when it is one (and fits), else a float.
pub fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Formats a number as JavaScript's `Number.prototype.toString` does.
pub fn js_number(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if !n.is_finite() {
        return if n.is_nan() {
            "NaN".into()
        } else if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let sci = format!("{:e}", n.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let k = digits.len() as i32;
    let sign = if n < 0.0 { "-" } else { "" };
    let e = exp + 1; // position of the decimal point relative to the digits
    let body = if k <= e && e <= 21 {
        format!("{digits}{}", "0".repeat((e - k) as usize))
    } else if 0 < e && e <= 21 {
        format!("{}.{}", &digits[..e as usize], &digits[e as usize..])
    } else if -6 < e && e <= 0 {
        format!("0.{}{digits}", "0".repeat((-e) as usize))
    } else {
        let es = if e > 0 {
            format!("+{}", e - 1)
        } else {
            format!("{}", e - 1)
        };
        if k == 1 {
            format!("{digits}e{es}")
        } else {
            format!("{}.{}e{es}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

/// Rounds to 15 significant digits as the reference implementation does before `$string`.
pub fn precision15(n: f64) -> f64 {
    if n == 0.0 || !n.is_finite() {
        return n;
    }
    format!("{:.14e}", n).parse().unwrap_or(n)
}

/// Deep equality (JSONata's `=` on arrays and objects).
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x, _), Value::Array(y, _)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// The deepest nesting of arrays and objects a value may have (deeper values are refused
/// as they are built: dropping and serialising them recurses).
pub const MAX_NESTING: usize = 200;

/// How deeply a value nests arrays and objects, counting at most to `cap + 1`.
pub fn nesting(v: &Value, cap: usize) -> usize {
    if cap == 0 {
        return match v {
            Value::Array(..) | Value::Object(_) => 1,
            _ => 0,
        };
    }
    match v {
        Value::Array(a, _) => 1 + a.iter().map(|x| nesting(x, cap - 1)).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(|x| nesting(x, cap - 1)).max().unwrap_or(0),
        _ => 0,
    }
}
