//! The function library: the table of built-ins with their signatures, and dispatch to the
//! area modules (strings, numbers, collections, higher-order, date/time, Step Functions).

mod collection;
mod datetime;
mod format;
mod hof;
mod numeric;
mod sfn;
mod string;

use std::sync::OnceLock;

use crate::error::{JsonataError, Result};
use crate::eval::Evaluator;
use crate::signature::Signature;
use crate::value::Value;

pub use string::{regex_match_object, string_of};

/// Name and signature of every built-in (`$eval` is deliberately absent: Step Functions
/// does not offer it).
const TABLE: &[(&str, &str)] = &[
    // Aggregation
    ("sum", "<a<n>:n>"),
    ("count", "<a:n>"),
    ("max", "<a<n>:n>"),
    ("min", "<a<n>:n>"),
    ("average", "<a<n>:n>"),
    // Strings
    ("string", "<x-b?:s>"),
    ("substring", "<s-nn?:s>"),
    ("substringBefore", "<s-s:s>"),
    ("substringAfter", "<s-s:s>"),
    ("lowercase", "<s-:s>"),
    ("uppercase", "<s-:s>"),
    ("length", "<s-:n>"),
    ("trim", "<s-:s>"),
    ("pad", "<s-ns?:s>"),
    ("match", "<s-f<s:o>n?:a<o>>"),
    ("contains", "<s-(sf):b>"),
    ("replace", "<s-(sf)(sf)n?:s>"),
    ("split", "<s-(sf)n?:a<s>>"),
    ("join", "<a<s>s?:s>"),
    ("formatNumber", "<n-so?:s>"),
    ("formatBase", "<n-n?:s>"),
    ("formatInteger", "<n-s:s>"),
    ("parseInteger", "<s-s:n>"),
    ("base64encode", "<s-:s>"),
    ("base64decode", "<s-:s>"),
    ("encodeUrlComponent", "<s-:s>"),
    ("encodeUrl", "<s-:s>"),
    ("decodeUrlComponent", "<s-:s>"),
    ("decodeUrl", "<s-:s>"),
    // Numbers
    ("number", "<(nsb)-:n>"),
    ("floor", "<n-:n>"),
    ("ceil", "<n-:n>"),
    ("round", "<n-n?:n>"),
    ("abs", "<n-:n>"),
    ("sqrt", "<n-:n>"),
    ("power", "<n-n:n>"),
    ("random", "<n?:n>"),
    // Booleans
    ("boolean", "<x-:b>"),
    ("not", "<x-:b>"),
    ("exists", "<x:b>"),
    // Higher-order
    ("map", "<af>"),
    ("filter", "<af>"),
    ("single", "<af?>"),
    ("reduce", "<afj?:j>"),
    ("sift", "<o-f?:o>"),
    ("each", "<o-f:a>"),
    ("sort", "<af?:a>"),
    // Arrays and objects
    ("zip", "<a+>"),
    ("keys", "<x-:a<s>>"),
    ("lookup", "<x-s:x>"),
    ("append", "<xx:a>"),
    ("spread", "<x-:a<o>>"),
    ("merge", "<a<o>:o>"),
    ("reverse", "<a:a>"),
    ("shuffle", "<a:a>"),
    ("distinct", "<x:x>"),
    ("error", "<s?:x>"),
    ("assert", "<bs?:x>"),
    ("type", "<x:s>"),
    ("clone", "<(oa)-:o>"),
    // Date and time
    ("now", "<s?s?:s>"),
    ("millis", "<:n>"),
    ("fromMillis", "<n-s?s?:s>"),
    ("toMillis", "<s-s?:n>"),
    // Step Functions' additions
    ("partition", "<an:a>"),
    ("range", "<nnn?:a>"),
    ("hash", "<ss:s>"),
    ("uuid", "<:s>"),
    ("parse", "<s-:x>"),
];

/// A built-in function (an index into the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin(usize);

fn signatures() -> &'static Vec<Signature> {
    static SIGS: OnceLock<Vec<Signature>> = OnceLock::new();
    SIGS.get_or_init(|| {
        TABLE
            .iter()
            .map(|(_, s)| {
                Signature::parse(s, 0)
                    .unwrap_or_else(|e| panic!("built-in signature {s} is valid: {e}"))
            })
            .collect()
    })
}

impl Builtin {
    /// The built-in of a name, if there is one.
    pub fn by_name(name: &str) -> Option<Builtin> {
        TABLE.iter().position(|(n, _)| *n == name).map(Builtin)
    }

    /// The function's name.
    pub fn name(&self) -> &'static str {
        TABLE[self.0].0
    }

    /// The function's signature.
    pub fn signature(&self) -> &'static Signature {
        &signatures()[self.0]
    }
}

pub(crate) fn err(code: &str, pos: usize, msg: impl Into<String>) -> JsonataError {
    JsonataError::new(code, pos, msg)
}

/// Calls a built-in with validated arguments.
pub fn call(
    ev: &mut Evaluator,
    b: Builtin,
    args: Vec<Value>,
    input: &Value,
    pos: usize,
) -> Result<Value> {
    let a = |i: usize| args.get(i).cloned().unwrap_or_default();
    let name = b.name();
    match name {
        "sum" | "count" | "max" | "min" | "average" => numeric::aggregate(name, &a(0)),
        "string" | "substring" | "substringBefore" | "substringAfter" | "lowercase"
        | "uppercase" | "length" | "trim" | "pad" | "contains" | "split" | "join"
        | "base64encode" | "base64decode" | "encodeUrlComponent" | "encodeUrl"
        | "decodeUrlComponent" | "decodeUrl" => string::call(ev, name, &args, pos),
        "match" | "replace" => string::call_regex(ev, name, &args, input, pos),
        "formatNumber" | "formatBase" | "formatInteger" | "parseInteger" => {
            format::call(name, &args, pos)
        }
        "number" | "floor" | "ceil" | "round" | "abs" | "sqrt" | "power" => {
            numeric::call(name, &args, pos)
        }
        "random" => sfn::random(ev, &a(0)),
        "boolean" => Ok(match crate::eval::truthy(&a(0)) {
            None => Value::Undefined,
            Some(b) => Value::Bool(b),
        }),
        "not" => Ok(match crate::eval::truthy(&a(0)) {
            None => Value::Undefined,
            Some(b) => Value::Bool(!b),
        }),
        "exists" => Ok(Value::Bool(!a(0).is_undef())),
        "map" | "filter" | "single" | "reduce" | "sift" | "each" | "sort" => {
            hof::call(ev, name, &args, input, pos)
        }
        "zip" | "keys" | "lookup" | "append" | "spread" | "merge" | "reverse" | "shuffle"
        | "distinct" | "error" | "assert" | "type" | "clone" => {
            collection::call(ev, name, &args, pos)
        }
        "now" | "millis" | "fromMillis" | "toMillis" => datetime::call(ev, name, &args, pos),
        "partition" | "range" | "hash" | "uuid" | "parse" => sfn::call(ev, name, &args, pos),
        other => Err(err("T1006", pos, format!("Unknown function {other}"))),
    }
}
