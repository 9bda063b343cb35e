//! Evaluation of Amazon States Language intrinsic functions (JSONPath mode).
//!
//! A payload-template value whose key ends in `.$` and that starts with `States.Name(` is an
//! intrinsic-function call. [`codegen::intrinsic::parse`] turns the text into a [`Call`] and
//! performs the checks that need no data; this module runs the call against a state's data,
//! its context object and the workflow variables (a [`Scope`]), the way AWS Step Functions
//! does. Nested calls are evaluated inside-out and every argument is evaluated before the
//! function runs.
//!
//! # Errors
//!
//! A failure is an [`IntrinsicFailure`] carrying Step Functions' error name and a cause of
//! the form `The function '<call>' had the following error: <message>`, `<call>` being the
//! text of the whole (outermost) call:
//!
//! * A path argument that selects nothing fails with **`States.Runtime`** (which no
//!   `Retry` or `Catch` handles through `States.ALL`), with the message AWS gives:
//!   `The JsonPath argument for the field '$.nope' could not be found in the input
//!   '{"other":1}'` (the document is printed as compact JSON: the state input for `$`
//!   paths, the context object for `$$` paths). A `$name` path whose variable is not set is
//!   also `States.Runtime` (AWS's wording for that case is not known; ours names the
//!   variable).
//! * Every other evaluation problem (a wrong argument type, an index out of range, invalid
//!   Base64, a wrong number of `{}` placeholders, …) fails with
//!   **`States.IntrinsicFailure`**; the message names the function and, where one argument
//!   is at fault, its one-based position: `States.ArrayLength: argument 1: expected an
//!   array, got a string`. [`evaluate_str`] reports text that does not parse the same way.
//!
//! # Semantics (AWS documentation, plus behaviour recorded against AWS where it is silent)
//!
//! * `States.Format`: each `{}` is replaced by the next argument. Strings are inserted
//!   without quotes; numbers, booleans and `null` as their JSON text; arrays and objects
//!   the way the Java service prints them: `[a, 1]` and `{Arg1=1, Arg2=[]}` (elements
//!   rendered by the same rules, strings unquoted). A template that comes from a path or a
//!   call is parsed with [`codegen::intrinsic::format_template`], so `\{`, `\}`, `\'` and
//!   `\\` are escapes there too. A placeholder count that differs from the number of
//!   remaining arguments is a failure.
//! * `States.StringToJson` parses a string (invalid JSON is a failure);
//!   `States.JsonToString` prints compact JSON.
//! * `States.ArrayPartition(array, size)`: `size` is rounded to the nearest integer, as
//!   the documentation prescribes (halves up, like `States.MathAdd` below), and must be
//!   ≥ 1; the last chunk may be shorter. `States.ArrayContains` and `States.ArrayUnique`
//!   compare values structurally (object key order does not matter; like the service's
//!   Jackson nodes, `1` and `1.0` are different values); `States.ArrayUnique` keeps first
//!   occurrences in order. `States.ArrayRange(start, end, step)`: numbers rounded to the
//!   nearest integer the same way, inclusive `end`, `step` ≠ 0 (negative steps count
//!   down), at most [`MAX_ARRAY_RANGE_LEN`] elements; a range that cannot reach `end` is
//!   empty. `States.ArrayGetItem(array, index)`: a non-negative integer index inside the
//!   array.
//! * `States.Base64Encode` / `States.Base64Decode`: at most [`MAX_ENCODING_INPUT_CHARS`]
//!   characters of input; standard alphabet. Decoding follows the "MIME" flavour the
//!   documentation names as far as line breaks go (ASCII whitespace is skipped, padding is
//!   optional); any other character outside the alphabet is a failure, and so is a result
//!   that is not UTF-8.
//! * `States.Hash(data, algorithm)`: `MD5`, `SHA-1`, `SHA-256`, `SHA-384` or `SHA-512`
//!   (exact spelling), lowercase hex of the UTF-8 bytes. A string is hashed as is; any
//!   other value is hashed as its compact JSON text. The hashed text must be at most
//!   [`MAX_ENCODING_INPUT_CHARS`] characters.
//! * `States.JsonMerge(a, b, false)`: a shallow merge of two objects, `b`'s keys winning;
//!   `true` (deep merge) is not supported by Step Functions and is a failure.
//! * `States.MathAdd(a, b)` and the bounds of `States.MathRandom(start, end[, seed])`:
//!   numbers; a non-integer is rounded to the nearest integer, halves rounding up (Java's
//!   `Math.round`: `1.5 → 2`, `-1.5 → -1`, as recorded against AWS); the rounded values
//!   must lie in the 32-bit range `-2147483648..=2147483647`. `MathAdd` returns the exact
//!   integer sum. `MathRandom` returns an integer in `start..end` (end exclusive) and
//!   requires `start < end`.
//! * `States.StringSplit(string, delimiters)`: every character of `delimiters` is a
//!   separator; empty pieces (from adjacent separators or separators at either end) are
//!   dropped.
//! * `States.UUID()`: a random version-4 UUID, lowercase and hyphenated.
//!
//! Lengths in characters are counted in Unicode scalar values.
//!
//! # Randomness
//!
//! [`evaluate`] and [`evaluate_str`] draw from the thread-local generator
//! ([`rand::rng`]). [`evaluate_with_rng`] and [`evaluate_str_with_rng`] take any
//! [`rand::Rng`], so a test that passes a seeded generator gets the same `States.UUID()`
//! and unseeded `States.MathRandom` values on every run. A `States.MathRandom` call *with*
//! a seed argument never touches that generator: like the service it returns the same
//! number for the same seed, computed as Java's `new java.util.Random(seed).nextInt(end -
//! start) + start` (the JVM generator the service most likely uses; that it yields AWS's
//! exact numbers is not verified).

use std::collections::HashSet;
use std::fmt::Write as _;

use base64::Engine as _;
use codegen::errors::{STATES_DATA_LIMIT_EXCEEDED, STATES_INTRINSIC_FAILURE, STATES_RUNTIME};
use codegen::intrinsic::{
    self, Arg, Call, FormatPiece, FormatTemplate, HASH_ALGORITHMS, Intrinsic, MAX_NESTING,
};
use codegen::path::{JsonPath, Root, SelectError};
use rand::{Rng, RngExt as _};
use serde_json::{Map, Number, Value};
use sha2::Digest as _;

pub use codegen::intrinsic::MAX_ARRAY_RANGE_LEN;

/// The most characters `States.Base64Encode`, `States.Base64Decode` and `States.Hash`
/// accept as input.
pub const MAX_ENCODING_INPUT_CHARS: usize = 10_000;

/// What a call can see: the document `$` paths select from, the context object (`$$`)
/// and the workflow variables (`$name`).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The state's data: `$` refers to it.
    pub input: &'a Value,
    /// The context object: `$$` refers to it (`$$.Execution.Id`, `$$.Map.Item.Value`, …).
    pub context: &'a Value,
    /// The workflow variables set by `Assign`: `$name` refers to `variables["name"]`.
    pub variables: &'a Map<String, Value>,
}

impl<'a> Scope<'a> {
    /// A scope over the given input, context object and variables.
    pub fn new(input: &'a Value, context: &'a Value, variables: &'a Map<String, Value>) -> Self {
        Scope {
            input,
            context,
            variables,
        }
    }
}

/// An intrinsic function failed. `error` is `States.IntrinsicFailure`, or `States.Runtime`
/// when a path argument does not resolve (what AWS reports in that case); `cause` is
/// `The function '<call>' had the following error: <message>`. See the
/// [module documentation](self) for the messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct IntrinsicFailure {
    /// Step Functions' error name.
    pub error: &'static str,
    /// The explanation, naming the call.
    pub cause: String,
}

/// Evaluates a parsed call against `scope`, drawing randomness for `States.UUID` and
/// unseeded `States.MathRandom` from the thread-local generator. The cause of a failure
/// names the call by its canonical text.
///
/// # Errors
/// An [`IntrinsicFailure`] as described in the [module documentation](self).
pub fn evaluate(call: &Call, scope: &Scope) -> Result<Value, IntrinsicFailure> {
    evaluate_with_rng(call, scope, &mut rand::rng())
}

/// Like [`evaluate`], drawing randomness for `States.UUID` and unseeded
/// `States.MathRandom` from `rng` (pass a seeded generator for reproducible results).
///
/// # Errors
/// An [`IntrinsicFailure`] as described in the [module documentation](self).
pub fn evaluate_with_rng<R: Rng + ?Sized>(
    call: &Call,
    scope: &Scope,
    rng: &mut R,
) -> Result<Value, IntrinsicFailure> {
    run(&call.to_string(), call, scope, rng)
}

/// Parses the value of a `.$` field that is an intrinsic call (such as
/// `States.Format('Hello, {}!', $.name)`) and evaluates it like [`evaluate`]. The cause of
/// a failure names the call as written.
///
/// # Errors
/// `States.IntrinsicFailure` when the text is not a valid call, otherwise as
/// [`evaluate`].
pub fn evaluate_str(text: &str, scope: &Scope) -> Result<Value, IntrinsicFailure> {
    evaluate_str_with_rng(text, scope, &mut rand::rng())
}

/// Like [`evaluate_str`], drawing randomness from `rng` as [`evaluate_with_rng`] does.
///
/// # Errors
/// As [`evaluate_str`].
pub fn evaluate_str_with_rng<R: Rng + ?Sized>(
    text: &str,
    scope: &Scope,
    rng: &mut R,
) -> Result<Value, IntrinsicFailure> {
    let call = intrinsic::parse(text).map_err(|error| IntrinsicFailure {
        error: STATES_INTRINSIC_FAILURE.as_str(),
        cause: format!("The function '{text}' could not be parsed: {error}"),
    })?;
    run(text, &call, scope, rng)
}

fn run<R: Rng + ?Sized>(
    text: &str,
    call: &Call,
    scope: &Scope,
    rng: &mut R,
) -> Result<Value, IntrinsicFailure> {
    let mut evaluator = Evaluator {
        scope,
        rng,
        budget: crate::io::PAYLOAD_LIMIT,
    };
    evaluator.call(call, 1).map_err(|problem| {
        let (error, message) = problem.describe();
        IntrinsicFailure {
            error,
            cause: format!("The function '{text}' had the following error: {message}"),
        }
    })
}

/// Why evaluation stopped, before it is worded for the outermost call.
#[derive(Debug)]
enum Problem {
    /// A definite path selected nothing.
    MissingPath { path: String, document: String },
    /// A `$name` path whose variable is not set.
    UnboundVariable { path: String, name: String },
    /// A path argument selecting more than the payload limit (not built).
    TooLarge { path: String, limit: usize },
    /// Anything else: `States.IntrinsicFailure`.
    Invalid {
        function: Intrinsic,
        /// One-based argument position, when one argument is at fault.
        position: Option<usize>,
        message: String,
    },
}

impl Problem {
    fn describe(self) -> (&'static str, String) {
        match self {
            Problem::MissingPath { path, document } => (
                STATES_RUNTIME.as_str(),
                format!(
                    "The JsonPath argument for the field '{path}' could not be found in the input '{document}'"
                ),
            ),
            Problem::TooLarge { path, limit } => (
                STATES_DATA_LIMIT_EXCEEDED.as_str(),
                format!(
                    "The JsonPath arguments of the call, up to '{path}', select more than the limit of {limit} bytes"
                ),
            ),
            Problem::UnboundVariable { path, name } => (
                STATES_RUNTIME.as_str(),
                format!(
                    "The JsonPath argument for the field '{path}' could not be found: the variable ${name} is not set"
                ),
            ),
            Problem::Invalid {
                function,
                position: Some(position),
                message,
            } => (
                STATES_INTRINSIC_FAILURE.as_str(),
                format!("{function}: argument {position}: {message}"),
            ),
            Problem::Invalid {
                function,
                position: None,
                message,
            } => (
                STATES_INTRINSIC_FAILURE.as_str(),
                format!("{function}: {message}"),
            ),
        }
    }
}

fn invalid(function: Intrinsic, position: Option<usize>, message: impl Into<String>) -> Problem {
    Problem::Invalid {
        function,
        position,
        message: message.into(),
    }
}

struct Evaluator<'s, 'a, R: ?Sized> {
    scope: &'s Scope<'a>,
    rng: &'s mut R,
    /// Bytes the call's path arguments may still select: all of them together stay
    /// within the payload limit (`States.Array($, $, …)` cannot copy the input a
    /// hundred thousand times).
    budget: usize,
}

impl<R: Rng + ?Sized> Evaluator<'_, '_, R> {
    fn call(&mut self, call: &Call, depth: usize) -> Result<Value, Problem> {
        let function = call.function;
        if depth > MAX_NESTING {
            return Err(invalid(
                function,
                None,
                format!("calls are nested more than {MAX_NESTING} deep"),
            ));
        }
        let (min, max) = function.arity();
        let count = call.args.len();
        if count < min || max.is_some_and(|max| count > max) {
            let expected = match max {
                Some(max) if max == min => format!("exactly {min}"),
                Some(max) => format!("{min} to {max}"),
                None => format!("at least {min}"),
            };
            return Err(invalid(
                function,
                None,
                format!("expected {expected} arguments, got {count}"),
            ));
        }

        // `States.Format` evaluates its own arguments: a literal template is not a value.
        let mut values = Vec::with_capacity(count);
        if function != Intrinsic::Format {
            for arg in &call.args {
                values.push(self.arg(arg, depth)?);
            }
        }
        let args = Args {
            function,
            values: &values,
        };
        match function {
            Intrinsic::Format => self.format(call, depth),
            Intrinsic::StringToJson => string_to_json(&args),
            Intrinsic::JsonToString => Ok(Value::String(args.get(0)?.to_string())),
            Intrinsic::Array => Ok(Value::Array(values.clone())),
            Intrinsic::ArrayPartition => array_partition(&args),
            Intrinsic::ArrayContains => {
                let needle = args.get(1)?;
                Ok(Value::Bool(args.array(0)?.contains(needle)))
            }
            Intrinsic::ArrayRange => array_range(&args),
            Intrinsic::ArrayGetItem => array_get_item(&args),
            Intrinsic::ArrayLength => Ok(Value::from(args.array(0)?.len())),
            Intrinsic::ArrayUnique => Ok(array_unique(args.array(0)?)),
            Intrinsic::Base64Encode => base64_encode(&args),
            Intrinsic::Base64Decode => base64_decode(&args),
            Intrinsic::Hash => hash(&args),
            Intrinsic::JsonMerge => json_merge(&args),
            Intrinsic::MathRandom => self.math_random(&args),
            Intrinsic::MathAdd => {
                let a = args.rounded_int32(0)?;
                let b = args.rounded_int32(1)?;
                Ok(Value::from(a + b))
            }
            Intrinsic::StringSplit => string_split(&args),
            Intrinsic::UUID => {
                let mut bytes = [0u8; 16];
                self.rng.fill_bytes(&mut bytes);
                let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
                Ok(Value::String(uuid.hyphenated().to_string()))
            }
        }
    }

    fn arg(&mut self, arg: &Arg, depth: usize) -> Result<Value, Problem> {
        Ok(match arg {
            Arg::String(s) => Value::String(s.clone()),
            Arg::Template(template) => Value::String(template_text(template)),
            Arg::Number(n) => Value::Number(n.clone()),
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Null => Value::Null,
            Arg::Path(path) => self.path(path)?,
            Arg::Call(call) => self.call(call, depth + 1)?,
        })
    }

    fn path(&mut self, path: &JsonPath) -> Result<Value, Problem> {
        let scope = self.scope;
        let (value, len) = path
            .select_measured(scope.input, scope.context, scope.variables, self.budget)
            .map_err(|error| match error {
                SelectError::TooLarge { path, .. } => Problem::TooLarge {
                    path,
                    limit: crate::io::PAYLOAD_LIMIT,
                },
                SelectError::NoMatch { path: text, .. } => {
                    let document = match path.root_ref() {
                        Root::Context => scope.context,
                        Root::Input | Root::Variable(_) => scope.input,
                    };
                    Problem::MissingPath {
                        path: text,
                        document: document.to_string(),
                    }
                }
                SelectError::UnboundVariable { path, name } => {
                    Problem::UnboundVariable { path, name }
                }
            })?;
        self.budget -= len;
        Ok(value)
    }

    fn format(&mut self, call: &Call, depth: usize) -> Result<Value, Problem> {
        let function = Intrinsic::Format;
        let Some((first, rest)) = call.args.split_first() else {
            return Err(invalid(function, None, "expected a template argument"));
        };
        let parsed;
        let template = match first {
            Arg::Template(template) => template,
            other => {
                let value = self.arg(other, depth)?;
                let Value::String(text) = &value else {
                    return Err(invalid(
                        function,
                        Some(1),
                        format!("expected a string template, got {}", kind(&value)),
                    ));
                };
                parsed = intrinsic::format_template(text).map_err(|error| {
                    invalid(function, Some(1), format!("invalid template: {error}"))
                })?;
                &parsed
            }
        };
        let mut values = Vec::with_capacity(rest.len());
        for arg in rest {
            values.push(self.arg(arg, depth)?);
        }
        let placeholders = template.placeholder_count();
        if placeholders != values.len() {
            return Err(invalid(
                function,
                None,
                format!(
                    "the template has {placeholders} placeholder{} but {} value{} {} given",
                    plural(placeholders),
                    values.len(),
                    plural(values.len()),
                    if values.len() == 1 { "was" } else { "were" },
                ),
            ));
        }
        let mut out = String::new();
        let mut next = values.iter();
        for piece in template.pieces() {
            match piece {
                FormatPiece::Literal(text) => out.push_str(text),
                FormatPiece::Placeholder => {
                    if let Some(value) = next.next() {
                        render(value, &mut out);
                    }
                }
            }
        }
        Ok(Value::String(out))
    }

    fn math_random(&mut self, args: &Args) -> Result<Value, Problem> {
        let start = args.rounded_int32(0)?;
        let end = args.rounded_int32(1)?;
        if start >= end {
            return Err(invalid(
                args.function,
                Some(2),
                format!("the end ({end}) must be greater than the start ({start})"),
            ));
        }
        let value = match args.values.get(2) {
            Some(_) => {
                let seed = args.rounded_int64(2)?;
                JavaRandom::new(seed).int_in(start, end)
            }
            None => self.rng.random_range(start..end),
        };
        Ok(Value::from(value))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The evaluated arguments of one call, with typed accessors whose errors name the
/// function and the (one-based) argument position.
struct Args<'v> {
    function: Intrinsic,
    values: &'v [Value],
}

impl<'v> Args<'v> {
    fn get(&self, index: usize) -> Result<&'v Value, Problem> {
        self.values
            .get(index)
            .ok_or_else(|| invalid(self.function, Some(index + 1), "the argument is missing"))
    }

    fn wrong_type(&self, index: usize, expected: &str, actual: &Value) -> Problem {
        invalid(
            self.function,
            Some(index + 1),
            format!("expected {expected}, got {}", kind(actual)),
        )
    }

    fn string(&self, index: usize) -> Result<&'v str, Problem> {
        match self.get(index)? {
            Value::String(s) => Ok(s),
            other => Err(self.wrong_type(index, "a string", other)),
        }
    }

    fn array(&self, index: usize) -> Result<&'v [Value], Problem> {
        match self.get(index)? {
            Value::Array(items) => Ok(items),
            other => Err(self.wrong_type(index, "an array", other)),
        }
    }

    fn object(&self, index: usize) -> Result<&'v Map<String, Value>, Problem> {
        match self.get(index)? {
            Value::Object(map) => Ok(map),
            other => Err(self.wrong_type(index, "an object", other)),
        }
    }

    fn boolean(&self, index: usize) -> Result<bool, Problem> {
        match self.get(index)? {
            Value::Bool(b) => Ok(*b),
            other => Err(self.wrong_type(index, "a boolean", other)),
        }
    }

    fn number(&self, index: usize) -> Result<&'v Number, Problem> {
        match self.get(index)? {
            Value::Number(n) => Ok(n),
            other => Err(self.wrong_type(index, "a number", other)),
        }
    }

    /// An integral number (`2.0` counts) that fits in `i64`; anything else is a failure.
    fn integer(&self, index: usize) -> Result<i64, Problem> {
        let n = self.number(index)?;
        integral(n).ok_or_else(|| {
            invalid(
                self.function,
                Some(index + 1),
                format!("expected an integer, got {n}"),
            )
        })
    }

    /// A number rounded like Java's `Math.round`, which must fit in `i64`.
    fn rounded_int64(&self, index: usize) -> Result<i64, Problem> {
        let n = self.number(index)?;
        java_round(n).ok_or_else(|| {
            invalid(
                self.function,
                Some(index + 1),
                format!("the number {n} is out of range"),
            )
        })
    }

    /// A number rounded like Java's `Math.round`, which must fit in `i32`.
    fn rounded_int32(&self, index: usize) -> Result<i64, Problem> {
        let n = self.number(index)?;
        java_round(n)
            .filter(|v| i32::try_from(*v).is_ok())
            .ok_or_else(|| {
                invalid(
                    self.function,
                    Some(index + 1),
                    format!(
                        "expected an integer between {} and {}, got {n}",
                        i32::MIN,
                        i32::MAX
                    ),
                )
            })
    }
}

/// `"a string"`, `"an array"`, … for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An integral number as `i64` (`2.0` counts), `None` when it is fractional or too large.
fn integral(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.is_u64() {
        return None;
    }
    let f = n.as_f64()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
}

/// Java's `Math.round`: the nearest integer, halves rounding towards positive infinity
/// (`2.5 → 3`, `-2.5 → -2`). `None` when the result does not fit in `i64`.
fn java_round(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.is_u64() {
        return None;
    }
    let f = n.as_f64()?;
    if !f.is_finite() {
        return None;
    }
    let floor = f.floor();
    // `f - floor` is exact for every finite double, so halves are detected exactly.
    let rounded = if f - floor >= 0.5 { floor + 1.0 } else { floor };
    (rounded.abs() < 9.0e18).then_some(rounded as i64)
}

/// The template as plain text, placeholders written as `{}` (used only when a template
/// appears somewhere other than `States.Format`'s first argument).
fn template_text(template: &FormatTemplate) -> String {
    let mut out = String::new();
    for piece in template.pieces() {
        match piece {
            FormatPiece::Literal(text) => out.push_str(text),
            FormatPiece::Placeholder => out.push_str("{}"),
        }
    }
    out
}

/// How `States.Format` prints a value: strings bare, scalars as JSON, containers the way
/// Java's `List`/`Map` `toString` does.
fn render(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                render(item, out);
            }
            out.push('}');
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {
            // Writing to a String cannot fail.
            let _ = write!(out, "{value}");
        }
    }
}

fn string_to_json(args: &Args) -> Result<Value, Problem> {
    let text = args.string(0)?;
    serde_json::from_str(text).map_err(|error| {
        invalid(
            args.function,
            Some(1),
            format!("invalid JSON text: {error}"),
        )
    })
}

fn array_partition(args: &Args) -> Result<Value, Problem> {
    let items = args.array(0)?;
    let size = args.rounded_int64(1)?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s >= 1)
        .ok_or_else(|| {
            invalid(
                args.function,
                Some(2),
                format!("the chunk size must be a positive integer, got {size}"),
            )
        })?;
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|chunk| Value::Array(chunk.to_vec()))
            .collect(),
    ))
}

fn array_range(args: &Args) -> Result<Value, Problem> {
    let start = i128::from(args.rounded_int64(0)?);
    let end = i128::from(args.rounded_int64(1)?);
    let step = i128::from(args.rounded_int64(2)?);
    if step == 0 {
        return Err(invalid(args.function, Some(3), "the step must not be zero"));
    }
    let len = if step > 0 && end >= start {
        (end - start) / step + 1
    } else if step < 0 && start >= end {
        (start - end) / -step + 1
    } else {
        0
    };
    if len > i128::from(MAX_ARRAY_RANGE_LEN) {
        return Err(invalid(
            args.function,
            None,
            format!(
                "the range would have {len} elements; at most {MAX_ARRAY_RANGE_LEN} are allowed"
            ),
        ));
    }
    let mut out = Vec::new();
    let mut current = start;
    for _ in 0..len {
        // Every element lies between `start` and `end`, both of which came from `i64`.
        out.push(Value::from(current as i64));
        current += step;
    }
    Ok(Value::Array(out))
}

fn array_get_item(args: &Args) -> Result<Value, Problem> {
    let items = args.array(0)?;
    let index = args.integer(1)?;
    usize::try_from(index)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .ok_or_else(|| {
            invalid(
                args.function,
                Some(2),
                format!(
                    "the index {index} is out of bounds for an array of length {}",
                    items.len()
                ),
            )
        })
}

fn array_unique(items: &[Value]) -> Value {
    let mut seen = HashSet::new();
    Value::Array(
        items
            .iter()
            .filter(|item| {
                let mut key = String::new();
                canonical(item, &mut key);
                seen.insert(key)
            })
            .cloned()
            .collect(),
    )
}

/// Compact JSON with object keys sorted, so that structurally equal values (in the sense
/// of `Value`'s `==`, which ignores key order) have the same text.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}:", Value::String(key.clone()));
                canonical(item, out);
            }
            out.push('}');
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            let _ = write!(out, "{value}");
        }
    }
}

fn check_input_length(args: &Args, text: &str, what: &str) -> Result<(), Problem> {
    let chars = text.chars().count();
    if chars > MAX_ENCODING_INPUT_CHARS {
        return Err(invalid(
            args.function,
            Some(1),
            format!(
                "{what} has {chars} characters; at most {MAX_ENCODING_INPUT_CHARS} are allowed"
            ),
        ));
    }
    Ok(())
}

fn base64_encode(args: &Args) -> Result<Value, Problem> {
    let text = args.string(0)?;
    check_input_length(args, text, "the input")?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
    ))
}

fn base64_decode(args: &Args) -> Result<Value, Problem> {
    let text = args.string(0)?;
    check_input_length(args, text, "the input")?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
        .decode(compact.as_bytes())
        .map_err(|error| invalid(args.function, Some(1), format!("invalid Base64: {error}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| invalid(args.function, Some(1), "the decoded data is not UTF-8 text"))
}

fn hash(args: &Args) -> Result<Value, Problem> {
    let data = args.get(0)?;
    let algorithm = args.string(1)?;
    let text = match data {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    check_input_length(args, &text, "the data")?;
    let bytes = text.as_bytes();
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(invalid(
                args.function,
                Some(2),
                format!(
                    "unsupported hash algorithm '{other}'; expected one of {}",
                    HASH_ALGORITHMS.join(", ")
                ),
            ));
        }
    };
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    Ok(Value::String(hex))
}

fn json_merge(args: &Args) -> Result<Value, Problem> {
    let first = args.object(0)?;
    let second = args.object(1)?;
    if args.boolean(2)? {
        return Err(invalid(
            args.function,
            Some(3),
            "deep merging is not supported; the flag must be false",
        ));
    }
    let mut merged = first.clone();
    for (key, value) in second {
        merged.insert(key.clone(), value.clone());
    }
    Ok(Value::Object(merged))
}

fn string_split(args: &Args) -> Result<Value, Problem> {
    let text = args.string(0)?;
    let delimiters = args.string(1)?;
    Ok(Value::Array(
        text.split(|c: char| delimiters.contains(c))
            .filter(|piece| !piece.is_empty())
            .map(|piece| Value::String(piece.to_owned()))
            .collect(),
    ))
}

/// Java's `java.util.Random` linear congruential generator, for seeded
/// `States.MathRandom`.
struct JavaRandom {
    state: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const ADDEND: u64 = 0xB;
    const MASK: u64 = (1 << 48) - 1;

    /// `new Random(seed)`.
    fn new(seed: i64) -> Self {
        JavaRandom {
            state: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    /// `next(bits)`: the top `bits` bits of the next 48-bit state, as Java's `int`.
    fn next(&mut self, bits: u32) -> i32 {
        self.state = self
            .state
            .wrapping_mul(Self::MULTIPLIER)
            .wrapping_add(Self::ADDEND)
            & Self::MASK;
        (self.state >> (48 - bits)) as u32 as i32
    }

    /// `nextInt()`.
    fn next_int(&mut self) -> i32 {
        self.next(32)
    }

    /// `nextInt(bound)` for `bound > 0`.
    fn next_int_below(&mut self, bound: i32) -> i32 {
        let mut r = self.next(31);
        let m = bound.wrapping_sub(1);
        if bound & m == 0 {
            ((i64::from(bound) * i64::from(r)) >> 31) as i32
        } else {
            let mut u = r;
            loop {
                r = u % bound;
                if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                    return r;
                }
                u = self.next(31);
            }
        }
    }

    /// `nextInt(end - start) + start`, for `start < end` within `i32`; when the span does
    /// not fit in an `int`, `nextInt()` is drawn until it falls in range (as Java's own
    /// bounded generators do).
    fn int_in(&mut self, start: i64, end: i64) -> i64 {
        match i32::try_from(end - start) {
            Ok(span) => i64::from(self.next_int_below(span)) + start,
            Err(_) => loop {
                let r = i64::from(self.next_int());
                if (start..end).contains(&r) {
                    return r;
                }
            },
        }
    }
}

#[cfg(test)]
impl JavaRandom {
    /// `nextDouble()`, to check the generator against values Java is known to produce.
    fn next_double(&mut self) -> f64 {
        let high = i64::from(self.next(26));
        let low = i64::from(self.next(27));
        ((high << 27) + low) as f64 * (1.0 / (1_u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    const EXECUTION_ID: &str = "arn:aws:states:eu-west-1:123456789012:execution:Orders:run-1";

    fn context() -> Value {
        json!({
            "Execution": {"Id": EXECUTION_ID, "Name": "run-1"},
            "StateMachine": {"Id": "arn:aws:states:eu-west-1:123456789012:stateMachine:Orders", "Name": "Orders"},
            "Map": {"Item": {"Index": 2, "Value": {"sku": "A-1"}}}
        })
    }

    fn variables() -> Map<String, Value> {
        let mut variables = Map::new();
        variables.insert("orderId".into(), json!("o-42"));
        variables.insert(
            "order".into(),
            json!({"items": [{"sku": "X"}, {"sku": "Y"}]}),
        );
        variables
    }

    fn run_seeded(text: &str, input: &Value, seed: u64) -> Result<Value, IntrinsicFailure> {
        let context = context();
        let variables = variables();
        let scope = Scope::new(input, &context, &variables);
        evaluate_str_with_rng(text, &scope, &mut StdRng::seed_from_u64(seed))
    }

    fn ok(text: &str, input: Value) -> Value {
        match run_seeded(text, &input, 7) {
            Ok(value) => value,
            Err(failure) => panic!("{text}: unexpected failure {failure}"),
        }
    }

    fn fail(text: &str, input: Value) -> IntrinsicFailure {
        match run_seeded(text, &input, 7) {
            Ok(value) => panic!("{text}: expected a failure, got {value}"),
            Err(failure) => failure,
        }
    }

    /// Asserts an `States.IntrinsicFailure` whose cause contains every fragment.
    fn assert_intrinsic_failure(text: &str, input: Value, fragments: &[&str]) {
        let failure = fail(text, input);
        assert_eq!(failure.error, "States.IntrinsicFailure", "{failure}");
        for fragment in fragments {
            assert!(
                failure.cause.contains(fragment),
                "{text}: cause {:?} lacks {fragment:?}",
                failure.cause
            );
        }
    }

    #[test]
    fn format_documented_examples() {
        let input = json!({"name": "Arnav", "template": "Hello, my name is {}."});
        assert_eq!(
            ok(
                "States.Format('Hello, my name is {}.', $.name)",
                input.clone()
            ),
            json!("Hello, my name is Arnav.")
        );
        assert_eq!(
            ok("States.Format($.template, $.name)", input),
            json!("Hello, my name is Arnav.")
        );
        assert_eq!(
            ok(
                "States.Format('Your name is {}, we are in the year {}', $.name, 2020)",
                json!({"name": "Foo", "zebra": "stripe"})
            ),
            json!("Your name is Foo, we are in the year 2020")
        );
        assert_eq!(
            ok("States.Format('no placeholders')", json!({})),
            json!("no placeholders")
        );
    }

    #[test]
    fn format_renders_values_like_step_functions() {
        let input = json!({
            "s": "", "n": null, "i": 1, "f": 1.1, "t": true,
            "text": "{\"Arg1\": 1, \"Arg2\": []}",
            "obj": {"Arg1": 1, "Arg2": []},
            "list": ["a", 1, null, {"k": "v"}]
        });
        assert_eq!(
            ok(
                "States.Format('[{}] {} {} {} {}', $.s, $.n, $.i, $.f, $.t)",
                input.clone()
            ),
            json!("[] null 1 1.1 true")
        );
        // A string holding JSON is inserted verbatim; an object is printed the Java way.
        assert_eq!(
            ok(
                "States.Format('fst={} and snd={}.', $.text, $.obj)",
                input.clone()
            ),
            json!("fst={\"Arg1\": 1, \"Arg2\": []} and snd={Arg1=1, Arg2=[]}.")
        );
        assert_eq!(
            ok("States.Format('{}', $.list)", input),
            json!("[a, 1, null, {k=v}]")
        );
    }

    #[test]
    fn format_escapes() {
        assert_eq!(
            ok(
                r"States.Format('\{{}\} it\'s a \\ {}', $.a, $.b)",
                json!({"a": "x", "b": 2})
            ),
            json!(r"{x} it's a \ 2")
        );
        // Escapes in string arguments are resolved too, and braces there are plain text.
        assert_eq!(
            ok(r"States.Format('{}', 'it\'s {} \{\}')", json!({})),
            json!("it's {} {}")
        );
        // A template from a path follows the same escaping rules.
        assert_eq!(
            ok(
                "States.Format($.t, $.v)",
                json!({"t": r"\{{}\} \\", "v": "x"})
            ),
            json!(r"{x} \")
        );
    }

    #[test]
    fn format_failures() {
        assert_intrinsic_failure(
            "States.Format('{} and {}', $.a)",
            json!({"a": 1}),
            &["States.Format: the template has 2 placeholders but 1 value was given"],
        );
        assert_intrinsic_failure(
            "States.Format('{}', 1, 2)",
            json!({}),
            &["the template has 1 placeholder but 2 values were given"],
        );
        assert_intrinsic_failure(
            "States.Format($.t, 1)",
            json!({"t": "a { b {}"}),
            &[
                "States.Format: argument 1: invalid template",
                "unescaped '{'",
            ],
        );
        assert_intrinsic_failure(
            "States.Format($.t)",
            json!({"t": ["not", "a", "string"]}),
            &["States.Format: argument 1: expected a string template, got an array"],
        );
    }

    #[test]
    fn string_to_json_and_back() {
        assert_eq!(
            ok(
                "States.StringToJson($.escapedJsonString)",
                json!({"escapedJsonString": "{\"foo\": \"bar\"}"})
            ),
            json!({"foo": "bar"})
        );
        assert_eq!(
            ok(
                "States.StringToJson($.someString)",
                json!({"someString": "{\"number\": 20}", "zebra": "stripe"})
            ),
            json!({"number": 20})
        );
        assert_eq!(
            ok(
                "States.JsonToString($.unescapedJson)",
                json!({"unescapedJson": {"foo": "bar"}})
            ),
            json!("{\"foo\":\"bar\"}")
        );
        assert_eq!(
            ok(
                "States.JsonToString($.someJson)",
                json!({"someJson": {"name": "Foo", "year": 2020}, "zebra": "stripe"})
            ),
            json!("{\"name\":\"Foo\",\"year\":2020}")
        );
        assert_eq!(
            ok(
                "States.StringToJson(States.JsonToString($))",
                json!({"a": [1, "é"]})
            ),
            json!({"a": [1, "é"]})
        );
        assert_intrinsic_failure(
            "States.StringToJson($.s)",
            json!({"s": "{not json"}),
            &["States.StringToJson: argument 1: invalid JSON text"],
        );
        assert_intrinsic_failure(
            "States.StringToJson($.s)",
            json!({"s": 5}),
            &["argument 1: expected a string, got a number"],
        );
    }

    #[test]
    fn array_builds_in_order() {
        assert_eq!(
            ok("States.Array($.Id)", json!({"Id": 123456})),
            json!([123456])
        );
        assert_eq!(
            ok(
                "States.Array('Foo', 2020, $.someJson, null)",
                json!({"someJson": {"random": "abcdefg"}, "zebra": "stripe"})
            ),
            json!(["Foo", 2020, {"random": "abcdefg"}, null])
        );
        assert_eq!(ok("States.Array()", json!({})), json!([]));
    }

    #[test]
    fn array_partition() {
        let input = json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]});
        assert_eq!(
            ok("States.ArrayPartition($.inputArray,4)", input.clone()),
            json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
        );
        assert_eq!(
            ok("States.ArrayPartition($.inputArray, 20)", input.clone()),
            json!([[1, 2, 3, 4, 5, 6, 7, 8, 9]])
        );
        assert_eq!(
            ok("States.ArrayPartition(States.Array(), 2)", json!({})),
            json!([])
        );
        assert_intrinsic_failure(
            "States.ArrayPartition($.inputArray, $.size)",
            json!({"inputArray": [1], "size": 0}),
            &[
                "States.ArrayPartition: argument 2: the chunk size must be a positive integer, got 0",
            ],
        );
        // A non-integer chunk size is rounded to the nearest integer, as documented.
        let five = json!({"inputArray": [1, 2, 3, 4, 5], "down": 2.4, "up": 2.5, "tiny": 0.4});
        assert_eq!(
            ok("States.ArrayPartition($.inputArray, $.down)", five.clone()),
            json!([[1, 2], [3, 4], [5]])
        );
        assert_eq!(
            ok("States.ArrayPartition($.inputArray, $.up)", five.clone()),
            json!([[1, 2, 3], [4, 5]])
        );
        assert_intrinsic_failure(
            "States.ArrayPartition($.inputArray, $.tiny)",
            five,
            &["the chunk size must be a positive integer, got 0"],
        );
        assert_intrinsic_failure(
            "States.ArrayPartition($.inputArray, $.size)",
            json!({"inputArray": [1], "size": "2"}),
            &["argument 2: expected a number, got a string"],
        );
    }

    #[test]
    fn array_contains_compares_deeply() {
        assert_eq!(
            ok(
                "States.ArrayContains($.inputArray, $.lookingFor)",
                json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5})
            ),
            json!(true)
        );
        let input = json!({
            "list": [[1, 2, 3], {"a": 1, "b": [null]}, false],
            "obj": {"b": [null], "a": 1},
            "arr": [1, 2, 3],
            "other": [1, 2]
        });
        assert_eq!(
            ok("States.ArrayContains($.list, $.obj)", input.clone()),
            json!(true)
        );
        assert_eq!(
            ok("States.ArrayContains($.list, $.arr)", input.clone()),
            json!(true)
        );
        assert_eq!(
            ok("States.ArrayContains($.list, $.other)", input.clone()),
            json!(false)
        );
        assert_eq!(
            ok("States.ArrayContains($.list, false)", input.clone()),
            json!(true)
        );
        assert_eq!(
            ok("States.ArrayContains($.list, null)", input),
            json!(false)
        );
    }

    #[test]
    fn array_range() {
        assert_eq!(
            ok("States.ArrayRange(1, 9, 2)", json!({})),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            ok("States.ArrayRange(0, 10, 3)", json!({})),
            json!([0, 3, 6, 9])
        );
        assert_eq!(
            ok("States.ArrayRange(5, 1, -2)", json!({})),
            json!([5, 3, 1])
        );
        assert_eq!(ok("States.ArrayRange(5, 0, 1)", json!({})), json!([]));
        let thousand = ok("States.ArrayRange(0, 999, 1)", json!({}));
        assert_eq!(thousand.as_array().map(Vec::len), Some(1000));
        assert_intrinsic_failure(
            "States.ArrayRange(0, $.end, 1)",
            json!({"end": 1000}),
            &["States.ArrayRange: the range would have 1001 elements; at most 1000 are allowed"],
        );
        assert_intrinsic_failure(
            "States.ArrayRange(0, 5, $.step)",
            json!({"step": 0}),
            &["States.ArrayRange: argument 3: the step must not be zero"],
        );
        // Non-integer arguments are rounded to the nearest integer, as documented.
        assert_eq!(
            ok(
                "States.ArrayRange($.start, $.end, $.step)",
                json!({"start": 1.2, "end": 5.7, "step": 1.6})
            ),
            json!([1, 3, 5])
        );
        assert_eq!(
            ok("States.ArrayRange($.start, 2, 1)", json!({"start": 0.5})),
            json!([1, 2])
        );
        assert_intrinsic_failure(
            "States.ArrayRange(0, 5, $.step)",
            json!({"step": 0.4}),
            &["States.ArrayRange: argument 3: the step must not be zero"],
        );
    }

    #[test]
    fn array_get_item() {
        let input = json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5});
        assert_eq!(
            ok("States.ArrayGetItem($.inputArray, $.index)", input.clone()),
            json!(6)
        );
        assert_eq!(
            ok("States.ArrayGetItem($.inputArray, 0)", input.clone()),
            json!(1)
        );
        assert_intrinsic_failure(
            "States.ArrayGetItem($.inputArray, 9)",
            input.clone(),
            &[
                "States.ArrayGetItem: argument 2: the index 9 is out of bounds for an array of length 9",
            ],
        );
        assert_intrinsic_failure(
            "States.ArrayGetItem($.inputArray, $.negative)",
            json!({"inputArray": [1], "negative": -1}),
            &["the index -1 is out of bounds"],
        );
    }

    #[test]
    fn array_length_and_type_errors() {
        assert_eq!(
            ok(
                "States.ArrayLength($.inputArray)",
                json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]})
            ),
            json!(9)
        );
        assert_eq!(
            ok("States.ArrayLength(States.Array())", json!({})),
            json!(0)
        );
        // A non-definite path yields the array of its matches.
        assert_eq!(
            ok(
                "States.ArrayLength($.items[*].id)",
                json!({"items": [{"id": 1}, {"id": 2}, {"x": 3}]})
            ),
            json!(2)
        );
        assert_intrinsic_failure(
            "States.ArrayLength($.s)",
            json!({"s": "abc"}),
            &["States.ArrayLength: argument 1: expected an array, got a string"],
        );
    }

    #[test]
    fn array_unique_keeps_first_occurrences() {
        assert_eq!(
            ok(
                "States.ArrayUnique($.inputArray)",
                json!({"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]})
            ),
            json!([1, 2, 3, 4])
        );
        assert_eq!(
            ok(
                "States.ArrayUnique($.a)",
                json!({"a": [null, null, true, true, "x", "x", [], [], {"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1, "b": 1}, 1, 1.0]})
            ),
            json!([null, true, "x", [], {"a": 1, "b": 2}, {"a": 1, "b": 1}, 1, 1.0])
        );
    }

    #[test]
    fn base64_round_trip() {
        assert_eq!(
            ok(
                "States.Base64Encode($.input)",
                json!({"input": "Data to encode"})
            ),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        assert_eq!(
            ok(
                "States.Base64Decode($.base64)",
                json!({"base64": "RGF0YSB0byBlbmNvZGU="})
            ),
            json!("Data to encode")
        );
        // Line breaks are skipped and padding is optional.
        assert_eq!(
            ok(
                "States.Base64Decode($.b)",
                json!({"b": "RGF0YSB0\r\nbyBlbmNvZGU"})
            ),
            json!("Data to encode")
        );
        assert_eq!(
            ok(
                "States.Base64Decode(States.Base64Encode('héllo ☃'))",
                json!({})
            ),
            json!("héllo ☃")
        );
    }

    #[test]
    fn base64_failures() {
        assert_intrinsic_failure(
            "States.Base64Decode($.b)",
            json!({"b": "not*base64"}),
            &["States.Base64Decode: argument 1: invalid Base64"],
        );
        assert_intrinsic_failure(
            "States.Base64Decode('/w==')",
            json!({}),
            &["the decoded data is not UTF-8 text"],
        );
        let long = "a".repeat(MAX_ENCODING_INPUT_CHARS + 1);
        assert_intrinsic_failure(
            "States.Base64Encode($.s)",
            json!({ "s": long }),
            &[
                "States.Base64Encode: argument 1: the input has 10001 characters; at most 10000 are allowed",
            ],
        );
        let fits = "é".repeat(MAX_ENCODING_INPUT_CHARS);
        assert!(ok("States.Base64Encode($.s)", json!({ "s": fits })).is_string());
        assert_intrinsic_failure(
            "States.Base64Encode($.s)",
            json!({"s": 1}),
            &["argument 1: expected a string, got a number"],
        );
    }

    #[test]
    fn hash_algorithms() {
        // The documentation's SHA-1 example (the page drops one digit of the digest).
        let input = json!({"Data": "input data", "Algorithm": "SHA-1"});
        assert_eq!(
            ok("States.Hash($.Data, $.Algorithm)", input),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            ok("States.Hash('input data', 'MD5')", json!({})),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            ok("States.Hash('', 'SHA-256')", json!({})),
            json!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        for (algorithm, hex_len) in [("SHA-384", 96), ("SHA-512", 128)] {
            let digest = ok(&format!("States.Hash('x', '{algorithm}')"), json!({}));
            assert_eq!(digest.as_str().map(str::len), Some(hex_len), "{algorithm}");
        }
        // A value that is not a string is hashed as its compact JSON text.
        assert_eq!(
            ok("States.Hash($.v, 'MD5')", json!({"v": {"a": [1, 2]}})),
            ok("States.Hash('\\{\"a\":[1,2]\\}', 'MD5')", json!({}))
        );
    }

    #[test]
    fn hash_failures() {
        assert_intrinsic_failure(
            "States.Hash('x', $.algorithm)",
            json!({"algorithm": "sha-256"}),
            &["States.Hash: argument 2: unsupported hash algorithm 'sha-256'"],
        );
        let long = "a".repeat(MAX_ENCODING_INPUT_CHARS + 1);
        assert_intrinsic_failure(
            "States.Hash($.s, 'MD5')",
            json!({ "s": long }),
            &["the data has 10001 characters"],
        );
    }

    #[test]
    fn json_merge_is_shallow() {
        let input = json!({
            "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
            "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
            "deep": true
        });
        assert_eq!(
            ok("States.JsonMerge($.json1, $.json2, false)", input.clone()),
            json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})
        );
        assert_intrinsic_failure(
            "States.JsonMerge($.json1, $.json2, $.deep)",
            input.clone(),
            &["States.JsonMerge: argument 3: deep merging is not supported"],
        );
        assert_intrinsic_failure(
            "States.JsonMerge($.json1, $.deep, false)",
            input,
            &["States.JsonMerge: argument 2: expected an object, got a boolean"],
        );
    }

    #[test]
    fn math_add() {
        assert_eq!(
            ok(
                "States.MathAdd($.value1, $.step)",
                json!({"value1": 111, "step": -1})
            ),
            json!(110)
        );
        // Rounding recorded against AWS: Java's Math.round on each argument.
        assert_eq!(ok("States.MathAdd(1.49, 1.5)", json!({})), json!(3));
        assert_eq!(ok("States.MathAdd(-1.49, -1.5)", json!({})), json!(-2));
        assert_eq!(ok("States.MathAdd(2.5, -2.5)", json!({})), json!(1));
        assert_eq!(
            ok("States.MathAdd(2147483647, 2147483647)", json!({})),
            json!(4_294_967_294_i64)
        );
        assert_intrinsic_failure(
            "States.MathAdd($.n, 1)",
            json!({"n": 2_147_483_648_i64}),
            &[
                "States.MathAdd: argument 1: expected an integer between -2147483648 and 2147483647, got 2147483648",
            ],
        );
        assert_intrinsic_failure(
            "States.MathAdd(1, $.s)",
            json!({"s": "2"}),
            &["States.MathAdd: argument 2: expected a number, got a string"],
        );
    }

    #[test]
    fn math_random_with_and_without_seed() {
        let input = json!({"start": 1, "end": 999});
        for seed in 0..20 {
            let value = run_seeded("States.MathRandom($.start, $.end)", &input, seed)
                .ok()
                .and_then(|v| v.as_i64());
            assert!(value.is_some_and(|v| (1..999).contains(&v)), "{value:?}");
        }
        // The same generator state gives the same number.
        assert_eq!(
            run_seeded("States.MathRandom(0, 1000000)", &input, 3),
            run_seeded("States.MathRandom(0, 1000000)", &input, 3)
        );
        // A seed argument makes the result independent of the generator.
        let seeded = "States.MathRandom(0, 10, 42)";
        assert_eq!(run_seeded(seeded, &input, 1), Ok(json!(0)));
        assert_eq!(run_seeded(seeded, &input, 2), Ok(json!(0)));
        assert_eq!(ok("States.MathRandom(5, 6)", json!({})), json!(5));
        // Non-integer bounds are rounded: [12.5, 44.51) becomes [13, 45).
        let rounded = ok("States.MathRandom(12.5, 44.51, 7)", json!({}));
        assert!(
            rounded.as_i64().is_some_and(|v| (13..45).contains(&v)),
            "{rounded}"
        );
        assert_intrinsic_failure(
            "States.MathRandom($.a, $.b)",
            json!({"a": 10, "b": 10}),
            &["States.MathRandom: argument 2: the end (10) must be greater than the start (10)"],
        );
        assert_intrinsic_failure(
            "States.MathRandom(1, $.b)",
            json!({"b": "9"}),
            &["argument 2: expected a number, got a string"],
        );
    }

    #[test]
    fn java_random_matches_the_jvm() {
        // Values java.util.Random is known to produce for seed 42.
        assert_eq!(JavaRandom::new(42).next_double(), 0.7275636800328681);
        assert_eq!(JavaRandom::new(42).next_int(), -1_170_105_035);
        assert_eq!(JavaRandom::new(42).next_int_below(10), 0);
        let mut wide = JavaRandom::new(1);
        let value = wide.int_in(i64::from(i32::MIN), i64::from(i32::MAX));
        assert!((i64::from(i32::MIN)..i64::from(i32::MAX)).contains(&value));
    }

    #[test]
    fn string_split() {
        assert_eq!(
            ok(
                "States.StringSplit($.inputString, $.splitter)",
                json!({"inputString": "1,2,3,4,5", "splitter": ","})
            ),
            json!(["1", "2", "3", "4", "5"])
        );
        assert_eq!(
            ok(
                "States.StringSplit($.inputString, $.splitter)",
                json!({"inputString": "This.is+a,test=string", "splitter": ".+,="})
            ),
            json!(["This", "is", "a", "test", "string"])
        );
        assert_eq!(
            ok("States.StringSplit(',a,,b,', ',')", json!({})),
            json!(["a", "b"])
        );
        assert_eq!(
            ok("States.StringSplit('abc', '')", json!({})),
            json!(["abc"])
        );
        assert_intrinsic_failure(
            "States.StringSplit($.n, ',')",
            json!({"n": 12}),
            &["States.StringSplit: argument 1: expected a string, got a number"],
        );
    }

    #[test]
    fn uuid_is_v4_and_reproducible_with_a_seeded_rng() {
        let input = json!({});
        let first = run_seeded("States.UUID()", &input, 11);
        assert_eq!(first, run_seeded("States.UUID()", &input, 11));
        assert_ne!(first, run_seeded("States.UUID()", &input, 12));
        let text = first.ok().and_then(|v| v.as_str().map(str::to_owned));
        let parsed = text.as_deref().and_then(|t| uuid::Uuid::parse_str(t).ok());
        assert_eq!(parsed.map(|u| u.get_version_num()), Some(4));
        assert_eq!(
            text.map(|t| t == t.to_lowercase() && t.len() == 36),
            Some(true)
        );
    }

    #[test]
    fn nested_calls_evaluate_inside_out() {
        let input = json!({
            "ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.2.3"}
        });
        // The documentation's nine-deep example has three placeholders but two values, so
        // it fails exactly as written …
        let documented = "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))";
        assert_intrinsic_failure(
            documented,
            input.clone(),
            &["the template has 3 placeholders but 2 values were given"],
        );
        // … and works with a matching template.
        let fixed = documented.replacen("'{}.{}.{}'", "'{}.{}'", 1);
        assert_eq!(ok(&fixed, input), json!("1.2"));
        assert_eq!(
            ok(
                "States.ArrayGetItem(States.Array(1, 2, 3), States.MathAdd(States.ArrayLength(States.Array(0)), 1))",
                json!({})
            ),
            json!(3)
        );
    }

    #[test]
    fn paths_into_context_and_variables() {
        assert_eq!(
            ok(
                "States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 3)",
                json!({})
            ),
            json!("eu-west-1")
        );
        assert_eq!(
            ok(
                "States.Format('{} #{} {}', $orderId, $$.Map.Item.Index, $order.items[1].sku)",
                json!({})
            ),
            json!("o-42 #2 Y")
        );
        assert_eq!(
            ok("States.JsonToString($$.Map.Item.Value)", json!({})),
            json!("{\"sku\":\"A-1\"}")
        );
    }

    #[test]
    fn unresolved_paths_are_runtime_errors() {
        let failure = fail("States.Format('{}', $.nope)", json!({"other": 1}));
        assert_eq!(
            failure,
            IntrinsicFailure {
                error: "States.Runtime",
                cause: "The function 'States.Format('{}', $.nope)' had the following error: \
                        The JsonPath argument for the field '$.nope' could not be found in the input '{\"other\":1}'"
                    .into(),
            }
        );
        let context_miss = fail("States.Array($$.Execution.Input)", json!({}));
        assert_eq!(context_miss.error, "States.Runtime");
        assert!(
            context_miss
                .cause
                .contains("'$$.Execution.Input' could not be found in the input '{\"Execution\"")
        );
        let unbound = fail("States.Array($missing)", json!({}));
        assert_eq!(unbound.error, "States.Runtime");
        assert!(
            unbound.cause.contains("the variable $missing is not set"),
            "{}",
            unbound.cause
        );
        // The failure of a nested call is reported against the outermost call.
        let nested = fail("States.ArrayLength(States.Array($.a.b))", json!({"a": 1}));
        assert!(
            nested
                .cause
                .starts_with("The function 'States.ArrayLength(States.Array($.a.b))'")
        );
        assert_eq!(nested.error, "States.Runtime");
    }

    #[test]
    fn evaluate_parsed_calls_and_text() {
        let input = json!({"name": "Ada"});
        let context = context();
        let variables = Map::new();
        let scope = Scope::new(&input, &context, &variables);
        let call = match intrinsic::parse("States.Format('hi {}',$.name)") {
            Ok(call) => call,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(evaluate(&call, &scope), Ok(json!("hi Ada")));
        assert!(evaluate_str("States.UUID()", &scope).is_ok_and(|v| v.is_string()));
        // Failures from a parsed call name its canonical text.
        let bad = match intrinsic::parse("States.ArrayLength($.name)") {
            Ok(call) => call,
            Err(error) => panic!("{error}"),
        };
        let failure = evaluate(&bad, &scope).err();
        assert_eq!(
            failure.map(|f| f.to_string()),
            Some(
                "States.IntrinsicFailure: The function 'States.ArrayLength($.name)' had the \
                 following error: States.ArrayLength: argument 1: expected an array, got a string"
                    .to_owned()
            )
        );
        // Text that does not parse is an intrinsic failure naming the text.
        let unparsable = evaluate_str("States.Nope(1)", &scope).err();
        assert_eq!(
            unparsable.as_ref().map(|f| f.error),
            Some("States.IntrinsicFailure")
        );
        assert!(unparsable.is_some_and(|f| f.cause.contains("unknown intrinsic function")));
    }

    #[test]
    fn calls_built_in_code_are_checked() {
        let input = json!({});
        let context = json!({});
        let variables = Map::new();
        let scope = Scope::new(&input, &context, &variables);
        let missing = Call {
            function: Intrinsic::ArrayGetItem,
            args: vec![Arg::Call(Call {
                function: Intrinsic::Array,
                args: vec![],
            })],
        };
        let failure = evaluate(&missing, &scope).err();
        assert!(failure.is_some_and(|f| f.cause.contains("expected exactly 2 arguments, got 1")),);
        let mut deep = Call {
            function: Intrinsic::Array,
            args: vec![],
        };
        for _ in 0..MAX_NESTING {
            deep = Call {
                function: Intrinsic::Array,
                args: vec![Arg::Call(deep)],
            };
        }
        let too_deep = evaluate(&deep, &scope).err();
        assert!(too_deep.is_some_and(|f| f.cause.contains("nested more than 32 deep")));
    }
}
