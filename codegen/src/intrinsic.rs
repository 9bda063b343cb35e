//! Amazon States Language intrinsic functions: parsing and static checks.
//!
//! In the JSONPath query language, a payload-template value whose key ends in `.$` is either
//! a path or an intrinsic-function call such as `States.Format('Hello, {}!', $.name)` or
//! `States.ArrayGetItem(States.Array(1, 2, 3), $$.Map.Item.Index)`. [`looks_like_call`]
//! decides which of the two a value is; [`parse`] turns a call into a [`Call`] tree and
//! performs the checks that need no data; [`Display`](std::fmt::Display) on [`Call`] prints
//! the canonical text (`parse(&c.to_string()) == Ok(c)`). Evaluation is not part of this
//! module.
//!
//! # Syntax (from the AWS "Intrinsic functions" documentation)
//!
//! ```text
//! call := "States." Name "(" ws (arg (ws "," ws arg)*)? ws ")"
//! arg  := 'string' | number | true | false | null | path | call
//! ```
//!
//! * String literals are single-quoted; the only escapes are `\'`, `\{`, `\}` and `\\`.
//! * Numbers follow JSON syntax and may be negative and fractional (`-1`, `2.5`, `1e3`).
//! * A path starts with `$` (or `$$`, or `$name` for a workflow variable set by `Assign`)
//!   and runs to the first `,`, `)` or whitespace that is not inside brackets; it is parsed
//!   with [`crate::path::parse`], so `$['a, b']` and `$.items[?(@.x == 'p, q')]` are single
//!   arguments and `$orderId` / `$order.items[0]` are variable references.
//! * Whitespace is allowed around arguments, not before the `(` or around the whole call.
//!
//! # `States.Format` templates
//!
//! A string literal is stored unescaped in [`Arg::String`], except the *first* argument of
//! `States.Format`, which is stored already split into a [`FormatTemplate`]
//! ([`Arg::Template`]): literal text (escapes resolved) and `{}` placeholders, so that an
//! evaluator can tell an escaped `\{` from a placeholder. An unescaped `{` that does not
//! start `{}`, or an unescaped `}` that does not end it, is an error in a template (it is
//! accepted verbatim in other string literals). [`format_template`] applies the same rules
//! to template text obtained elsewhere, e.g. the value of a path passed as the template.
//!
//! # Static checks
//!
//! Besides syntax, unknown names and arity, [`parse`] rejects arguments whose type is known
//! without data (literals, and nested calls with a fixed result type — see
//! [`Intrinsic::param_kind`] and [`Intrinsic::return_kind`]) when it cannot be right, and:
//! `States.Hash` algorithms other than MD5, SHA-1, SHA-256, SHA-384 and SHA-512;
//! `States.ArrayRange` literals that are not integers, a zero step or more than 1000
//! elements; `States.MathRandom` literal bounds with `start >= end`; `States.JsonMerge` with
//! a literal `true` deep-merge flag (only shallow merges exist); a literal chunk size below 1
//! for `States.ArrayPartition`; a literal negative index for `States.ArrayGetItem`.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde_json::Number;

use crate::path::{self, JsonPath, PathError};

/// Deepest nesting of calls inside calls accepted by [`parse`]; protects the
/// recursive-descent parser against stack exhaustion on hostile input.
pub const MAX_NESTING: usize = 32;

/// The most elements `States.ArrayRange` may produce.
pub const MAX_ARRAY_RANGE_LEN: u64 = 1000;

/// The algorithms `States.Hash` accepts.
pub const HASH_ALGORITHMS: [&str; 5] = ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

/// An ASL intrinsic function.
#[allow(clippy::upper_case_acronyms)] // `UUID` mirrors the ASL name `States.UUID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    /// `States.Format(template, values…)`
    Format,
    /// `States.StringToJson(string)`
    StringToJson,
    /// `States.JsonToString(value)`
    JsonToString,
    /// `States.Array(values…)`
    Array,
    /// `States.ArrayPartition(array, chunkSize)`
    ArrayPartition,
    /// `States.ArrayContains(array, value)`
    ArrayContains,
    /// `States.ArrayRange(start, end, step)`
    ArrayRange,
    /// `States.ArrayGetItem(array, index)`
    ArrayGetItem,
    /// `States.ArrayLength(array)`
    ArrayLength,
    /// `States.ArrayUnique(array)`
    ArrayUnique,
    /// `States.Base64Encode(string)`
    Base64Encode,
    /// `States.Base64Decode(string)`
    Base64Decode,
    /// `States.Hash(value, algorithm)`
    Hash,
    /// `States.JsonMerge(object, object, false)`
    JsonMerge,
    /// `States.MathRandom(start, end[, seed])`
    MathRandom,
    /// `States.MathAdd(number, number)`
    MathAdd,
    /// `States.StringSplit(string, delimiters)`
    StringSplit,
    /// `States.UUID()`
    UUID,
}

/// The JSON type of an argument or result, as far as it is known statically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// Any JSON value (or not known without data).
    Any,
    /// A string.
    String,
    /// A number (integer or not).
    Number,
    /// An integral number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// `null`.
    Null,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl ValueKind {
    /// Whether a value of kind `actual` may be passed where `self` is expected. [`Any`]
    /// on either side is always accepted; an integer is a number; a number is not
    /// necessarily an integer.
    ///
    /// [`Any`]: ValueKind::Any
    pub fn accepts(self, actual: ValueKind) -> bool {
        self == actual
            || matches!(
                (self, actual),
                (ValueKind::Any, _) | (_, ValueKind::Any) | (ValueKind::Number, ValueKind::Integer)
            )
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Any => "any value",
            ValueKind::String => "a string",
            ValueKind::Number => "a number",
            ValueKind::Integer => "an integer",
            ValueKind::Boolean => "a boolean",
            ValueKind::Null => "null",
            ValueKind::Array => "an array",
            ValueKind::Object => "an object",
        })
    }
}

impl Intrinsic {
    /// Every intrinsic function, in documentation order.
    pub const ALL: [Intrinsic; 18] = [
        Intrinsic::Format,
        Intrinsic::StringToJson,
        Intrinsic::JsonToString,
        Intrinsic::Array,
        Intrinsic::ArrayPartition,
        Intrinsic::ArrayContains,
        Intrinsic::ArrayRange,
        Intrinsic::ArrayGetItem,
        Intrinsic::ArrayLength,
        Intrinsic::ArrayUnique,
        Intrinsic::Base64Encode,
        Intrinsic::Base64Decode,
        Intrinsic::Hash,
        Intrinsic::JsonMerge,
        Intrinsic::MathRandom,
        Intrinsic::MathAdd,
        Intrinsic::StringSplit,
        Intrinsic::UUID,
    ];

    /// The full ASL name, e.g. `"States.Format"`.
    pub fn name(&self) -> &'static str {
        match self {
            Intrinsic::Format => "States.Format",
            Intrinsic::StringToJson => "States.StringToJson",
            Intrinsic::JsonToString => "States.JsonToString",
            Intrinsic::Array => "States.Array",
            Intrinsic::ArrayPartition => "States.ArrayPartition",
            Intrinsic::ArrayContains => "States.ArrayContains",
            Intrinsic::ArrayRange => "States.ArrayRange",
            Intrinsic::ArrayGetItem => "States.ArrayGetItem",
            Intrinsic::ArrayLength => "States.ArrayLength",
            Intrinsic::ArrayUnique => "States.ArrayUnique",
            Intrinsic::Base64Encode => "States.Base64Encode",
            Intrinsic::Base64Decode => "States.Base64Decode",
            Intrinsic::Hash => "States.Hash",
            Intrinsic::JsonMerge => "States.JsonMerge",
            Intrinsic::MathRandom => "States.MathRandom",
            Intrinsic::MathAdd => "States.MathAdd",
            Intrinsic::StringSplit => "States.StringSplit",
            Intrinsic::UUID => "States.UUID",
        }
    }

    /// Looks a function up by its full, case-sensitive ASL name (`"States.Format"`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The accepted number of arguments: `(min, max)`, `max` being `None` when unbounded.
    pub fn arity(&self) -> (usize, Option<usize>) {
        match self {
            Intrinsic::Format => (1, None),
            Intrinsic::Array => (0, None),
            Intrinsic::UUID => (0, Some(0)),
            Intrinsic::StringToJson
            | Intrinsic::JsonToString
            | Intrinsic::ArrayLength
            | Intrinsic::ArrayUnique
            | Intrinsic::Base64Encode
            | Intrinsic::Base64Decode => (1, Some(1)),
            Intrinsic::ArrayPartition
            | Intrinsic::ArrayContains
            | Intrinsic::ArrayGetItem
            | Intrinsic::Hash
            | Intrinsic::MathAdd
            | Intrinsic::StringSplit => (2, Some(2)),
            Intrinsic::MathRandom => (2, Some(3)),
            Intrinsic::ArrayRange | Intrinsic::JsonMerge => (3, Some(3)),
        }
    }

    /// The type of the function's result ([`ValueKind::Any`] when it depends on data).
    pub fn return_kind(&self) -> ValueKind {
        match self {
            Intrinsic::Format
            | Intrinsic::JsonToString
            | Intrinsic::Base64Encode
            | Intrinsic::Base64Decode
            | Intrinsic::Hash
            | Intrinsic::UUID => ValueKind::String,
            Intrinsic::Array
            | Intrinsic::ArrayPartition
            | Intrinsic::ArrayRange
            | Intrinsic::ArrayUnique
            | Intrinsic::StringSplit => ValueKind::Array,
            Intrinsic::ArrayContains => ValueKind::Boolean,
            Intrinsic::ArrayLength | Intrinsic::MathRandom | Intrinsic::MathAdd => {
                ValueKind::Integer
            }
            Intrinsic::JsonMerge => ValueKind::Object,
            Intrinsic::StringToJson | Intrinsic::ArrayGetItem => ValueKind::Any,
        }
    }

    /// The type expected for the argument at zero-based `index` ([`ValueKind::Any`] when
    /// anything goes or the index is past the parameters).
    pub fn param_kind(&self, index: usize) -> ValueKind {
        use ValueKind as K;
        let params: &[ValueKind] = match self {
            Intrinsic::Format => &[K::String],
            Intrinsic::StringToJson | Intrinsic::Base64Encode | Intrinsic::Base64Decode => {
                &[K::String]
            }
            Intrinsic::JsonToString | Intrinsic::Array | Intrinsic::UUID => &[],
            Intrinsic::ArrayPartition | Intrinsic::ArrayGetItem => &[K::Array, K::Integer],
            Intrinsic::ArrayContains => &[K::Array, K::Any],
            Intrinsic::ArrayRange => &[K::Integer, K::Integer, K::Integer],
            Intrinsic::ArrayLength | Intrinsic::ArrayUnique => &[K::Array],
            Intrinsic::Hash => &[K::Any, K::String],
            Intrinsic::JsonMerge => &[K::Object, K::Object, K::Boolean],
            Intrinsic::MathRandom => &[K::Number, K::Number, K::Number],
            Intrinsic::MathAdd => &[K::Number, K::Number],
            Intrinsic::StringSplit => &[K::String, K::String],
        };
        params.get(index).copied().unwrap_or(K::Any)
    }
}

impl fmt::Display for Intrinsic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One argument of a [`Call`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Arg {
    /// A string literal, unescaped (`'it\'s'` is `it's`). Not used for the template of
    /// `States.Format`, which is an [`Arg::Template`].
    String(String),
    /// The first argument of `States.Format` when it is a string literal.
    Template(FormatTemplate),
    /// A number literal.
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A JSONPath (`$…` or `$$…`).
    Path(JsonPath),
    /// A nested intrinsic-function call.
    Call(Call),
}

impl Arg {
    /// The argument's type when it is known without data: literals, and calls whose
    /// result type is fixed. `None` for paths and for calls returning [`ValueKind::Any`].
    pub fn static_kind(&self) -> Option<ValueKind> {
        match self {
            Arg::String(_) | Arg::Template(_) => Some(ValueKind::String),
            Arg::Number(n) if number_as_int(n).is_some() => Some(ValueKind::Integer),
            Arg::Number(_) => Some(ValueKind::Number),
            Arg::Bool(_) => Some(ValueKind::Boolean),
            Arg::Null => Some(ValueKind::Null),
            Arg::Path(_) => None,
            Arg::Call(call) => match call.function.return_kind() {
                ValueKind::Any => None,
                kind => Some(kind),
            },
        }
    }

    /// True for string, number, boolean and null literals (including templates).
    pub fn is_literal(&self) -> bool {
        !matches!(self, Arg::Path(_) | Arg::Call(_))
    }
}

/// A parsed intrinsic-function call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Call {
    /// The function called.
    pub function: Intrinsic,
    /// Its arguments, in order.
    pub args: Vec<Arg>,
}

impl Call {
    /// Every path used by this call and the calls nested in it, in textual order.
    pub fn paths(&self) -> Vec<&JsonPath> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a JsonPath>) {
        for arg in &self.args {
            match arg {
                Arg::Path(path) => out.push(path),
                Arg::Call(call) => call.collect_paths(out),
                _ => {}
            }
        }
    }

    /// Runs the checks [`parse`] performs (arity, argument types, literal constraints) on a
    /// call built in code. Offsets in the error refer to the call's canonical text
    /// (its [`Display`](fmt::Display) output).
    ///
    /// # Errors
    /// The [`IntrinsicError`] that parsing the canonical text reports.
    pub fn validate(&self) -> Result<(), IntrinsicError> {
        parse(&self.to_string()).map(|_| ())
    }
}

/// Canonical text: `States.Name(arg, arg)` with `", "` between arguments, string literals
/// single-quoted with `'`, `\`, `{` and `}` escaped, and paths in their canonical form.
impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.function.name())?;
        f.write_char('(')?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{arg}")?;
        }
        f.write_char(')')
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::String(s) => {
                f.write_char('\'')?;
                for c in s.chars() {
                    write_escaped_char(f, c)?;
                }
                f.write_char('\'')
            }
            Arg::Template(template) => write!(f, "'{template}'"),
            Arg::Number(n) => write!(f, "{n}"),
            Arg::Bool(b) => write!(f, "{b}"),
            Arg::Null => f.write_str("null"),
            Arg::Path(path) => write!(f, "{path}"),
            Arg::Call(call) => write!(f, "{call}"),
        }
    }
}

impl FromStr for Call {
    type Err = IntrinsicError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

fn write_escaped_char(f: &mut impl fmt::Write, c: char) -> fmt::Result {
    if matches!(c, '\'' | '\\' | '{' | '}') {
        f.write_char('\\')?;
    }
    f.write_char(c)
}

/// A piece of a `States.Format` template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FormatPiece {
    /// Literal text, escapes resolved (`\{` is stored as `{`).
    Literal(String),
    /// A `{}` placeholder, replaced by the next argument.
    Placeholder,
}

/// A `States.Format` template split into literal text and `{}` placeholders.
///
/// Pieces are normalised: no empty literals and no two literals in a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FormatTemplate {
    pieces: Vec<FormatPiece>,
}

impl FormatTemplate {
    /// Builds a template from pieces, merging adjacent literals and dropping empty ones.
    pub fn from_pieces(pieces: impl IntoIterator<Item = FormatPiece>) -> Self {
        let mut out: Vec<FormatPiece> = Vec::new();
        for piece in pieces {
            match piece {
                FormatPiece::Literal(text) if text.is_empty() => {}
                FormatPiece::Literal(text) => match out.last_mut() {
                    Some(FormatPiece::Literal(previous)) => previous.push_str(&text),
                    _ => out.push(FormatPiece::Literal(text)),
                },
                FormatPiece::Placeholder => out.push(FormatPiece::Placeholder),
            }
        }
        FormatTemplate { pieces: out }
    }

    /// The pieces in order.
    pub fn pieces(&self) -> &[FormatPiece] {
        &self.pieces
    }

    /// How many `{}` placeholders the template has.
    pub fn placeholder_count(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, FormatPiece::Placeholder))
            .count()
    }
}

/// The template in escaped intrinsic syntax, without the surrounding quotes
/// (`Hello, {}! \{x\}`); [`format_template`] parses it back.
impl fmt::Display for FormatTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.pieces {
            match piece {
                FormatPiece::Literal(text) => {
                    text.chars().try_for_each(|c| write_escaped_char(f, c))?
                }
                FormatPiece::Placeholder => f.write_str("{}")?,
            }
        }
        Ok(())
    }
}

/// Parses `States.Format` template text in escaped intrinsic syntax, without surrounding
/// quotes: `\'`, `\{`, `\}` and `\\` are escapes, `{}` is a placeholder, an unescaped `'` is
/// literal. Use it for templates that are not literals (e.g. supplied through a path).
///
/// # Errors
/// [`IntrinsicError::BadEscape`], [`IntrinsicError::DanglingEscape`] or
/// [`IntrinsicError::UnescapedBrace`], with offsets relative to `raw`.
pub fn format_template(raw: &str) -> Result<FormatTemplate, IntrinsicError> {
    let chars: Vec<char> = raw.chars().collect();
    template_from(&chars, 0)
}

fn template_from(chars: &[char], base: usize) -> Result<FormatTemplate, IntrinsicError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => match chars.get(i + 1) {
                Some(&escaped @ ('\'' | '{' | '}' | '\\')) => {
                    text.push(escaped);
                    i += 2;
                }
                Some(&found) => {
                    return Err(IntrinsicError::BadEscape {
                        offset: base + i,
                        found,
                    });
                }
                None => return Err(IntrinsicError::DanglingEscape { offset: base + i }),
            },
            '{' if chars.get(i + 1) == Some(&'}') => {
                pieces.push(FormatPiece::Literal(std::mem::take(&mut text)));
                pieces.push(FormatPiece::Placeholder);
                i += 2;
            }
            '{' | '}' => {
                return Err(IntrinsicError::UnescapedBrace {
                    offset: base + i,
                    brace: c,
                });
            }
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    pieces.push(FormatPiece::Literal(text));
    Ok(FormatTemplate::from_pieces(pieces))
}

/// Why an intrinsic-function call was rejected. Offsets are zero-based *character* offsets
/// into the parsed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntrinsicError {
    /// The text does not start with `States.`.
    #[error("expected an intrinsic function call starting with 'States.' at offset {offset}")]
    NotACall {
        /// Character offset.
        offset: usize,
    },
    /// `States.Name` is not an intrinsic function.
    #[error("unknown intrinsic function `{name}` at offset {offset}")]
    UnknownFunction {
        /// The full name as written.
        name: String,
        /// Offset of the name.
        offset: usize,
    },
    /// An unexpected character.
    #[error("unexpected {found:?} at offset {offset}: expected {expected}")]
    Unexpected {
        /// Character offset.
        offset: usize,
        /// The character found.
        found: char,
        /// What would have been valid.
        expected: &'static str,
    },
    /// The text ends too early.
    #[error("unexpected end of input at offset {offset}: expected {expected}")]
    UnexpectedEnd {
        /// Character offset (the length of the text).
        offset: usize,
        /// What would have been valid.
        expected: &'static str,
    },
    /// A call's `(` is never closed.
    #[error("{function}: the call at offset {offset} is missing its closing ')'")]
    UnclosedCall {
        /// The function.
        function: &'static str,
        /// Offset of the call.
        offset: usize,
    },
    /// A string literal has no closing quote.
    #[error("unterminated string literal starting at offset {offset}")]
    UnterminatedString {
        /// Offset of the opening quote.
        offset: usize,
    },
    /// A backslash escape other than `\'`, `\{`, `\}` or `\\`.
    #[error(
        "invalid escape '\\{found}' at offset {offset}: only \\', \\{{, \\}} and \\\\ are allowed"
    )]
    BadEscape {
        /// Offset of the backslash.
        offset: usize,
        /// The escaped character.
        found: char,
    },
    /// Template text ends with a lone backslash ([`format_template`] only).
    #[error("dangling '\\' at offset {offset}: escape a backslash as \\\\")]
    DanglingEscape {
        /// Offset of the backslash.
        offset: usize,
    },
    /// Two commas in a row, or a comma right after `(` or before `)`.
    #[error("{function}: empty argument at offset {offset}")]
    EmptyArgument {
        /// The function.
        function: &'static str,
        /// Where the argument should start.
        offset: usize,
    },
    /// A malformed or out-of-range number.
    #[error("invalid number `{text}` at offset {offset}")]
    InvalidNumber {
        /// Offset of the number.
        offset: usize,
        /// The number's text.
        text: String,
    },
    /// A bare word that is not `true`, `false` or `null`.
    #[error(
        "unexpected `{word}` at offset {offset}: expected a 'string', a number, true, false, null, a $path or a States.* call"
    )]
    UnknownWord {
        /// Offset of the word.
        offset: usize,
        /// The word.
        word: String,
    },
    /// A path argument that is not a valid JSONPath; `source` carries the offset inside
    /// the path.
    #[error("invalid path argument `{path}` at offset {offset}: {source}")]
    Path {
        /// Offset where the path starts.
        offset: usize,
        /// The path's text.
        path: String,
        /// Why the path is invalid.
        source: PathError,
    },
    /// Wrong number of arguments.
    #[error("{function} takes {}, got {got} (call at offset {offset})", arity_text(.min, .max))]
    Arity {
        /// The function.
        function: &'static str,
        /// Minimum number of arguments.
        min: usize,
        /// Maximum number of arguments, if bounded.
        max: Option<usize>,
        /// Number of arguments given.
        got: usize,
        /// Offset of the call.
        offset: usize,
    },
    /// An argument that is statically known to be wrong.
    #[error("{function}: argument {position} at offset {offset}: {message}")]
    InvalidArgument {
        /// The function.
        function: &'static str,
        /// One-based argument position.
        position: usize,
        /// Offset of the argument.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// A `{` or `}` in a `States.Format` template that is neither escaped nor part of `{}`.
    #[error(
        "unescaped '{brace}' at offset {offset} in a States.Format template: use {{}} for a placeholder or escape it as \\{brace}"
    )]
    UnescapedBrace {
        /// Offset of the brace.
        offset: usize,
        /// The brace.
        brace: char,
    },
    /// Text after the closing `)` of the call.
    #[error("unexpected {found:?} at offset {offset} after the end of the call")]
    TrailingText {
        /// Offset of the first extra character.
        offset: usize,
        /// The character.
        found: char,
    },
    /// Calls nested deeper than [`MAX_NESTING`].
    #[error("intrinsic function calls nested more than {MAX_NESTING} deep at offset {offset}")]
    TooDeep {
        /// Offset of the call that exceeds the limit.
        offset: usize,
    },
}

impl IntrinsicError {
    /// The character offset the error refers to (for [`IntrinsicError::Path`], where the
    /// path starts).
    pub fn offset(&self) -> usize {
        match self {
            IntrinsicError::NotACall { offset }
            | IntrinsicError::UnknownFunction { offset, .. }
            | IntrinsicError::Unexpected { offset, .. }
            | IntrinsicError::UnexpectedEnd { offset, .. }
            | IntrinsicError::UnclosedCall { offset, .. }
            | IntrinsicError::UnterminatedString { offset }
            | IntrinsicError::BadEscape { offset, .. }
            | IntrinsicError::DanglingEscape { offset }
            | IntrinsicError::EmptyArgument { offset, .. }
            | IntrinsicError::InvalidNumber { offset, .. }
            | IntrinsicError::UnknownWord { offset, .. }
            | IntrinsicError::Path { offset, .. }
            | IntrinsicError::Arity { offset, .. }
            | IntrinsicError::InvalidArgument { offset, .. }
            | IntrinsicError::UnescapedBrace { offset, .. }
            | IntrinsicError::TrailingText { offset, .. }
            | IntrinsicError::TooDeep { offset } => *offset,
        }
    }
}

fn arity_text(min: &usize, max: &Option<usize>) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match *max {
        Some(max) if max == *min => format!("exactly {min} argument{}", plural(*min)),
        Some(max) => format!("{min} to {max} arguments"),
        None => format!("at least {min} argument{}", plural(*min)),
    }
}

/// True when `s` starts with `States.`, a function name and `(` — i.e. it should be parsed
/// as an intrinsic call rather than as a path. The rest of the text is not examined, and
/// the name need not be a known function (so that [`parse`] can report it).
pub fn looks_like_call(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("States.") else {
        return false;
    };
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    name_len > 0 && rest.as_bytes().get(name_len) == Some(&b'(')
}

/// Parses an intrinsic-function call and runs the static checks described in the module
/// documentation.
///
/// # Errors
/// An [`IntrinsicError`] naming the problem, the function involved and the character
/// offset.
pub fn parse(s: &str) -> Result<Call, IntrinsicError> {
    let mut parser = Parser {
        chars: s.chars().collect(),
        pos: 0,
    };
    let call = parser.call(1)?;
    if let Some(found) = parser.peek() {
        return Err(IntrinsicError::TrailingText {
            offset: parser.pos,
            found,
        });
    }
    Ok(call)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn text(&self, start: usize) -> String {
        self.chars[start..self.pos].iter().collect()
    }

    fn error_here(&self, expected: &'static str) -> IntrinsicError {
        match self.peek() {
            Some(found) => IntrinsicError::Unexpected {
                offset: self.pos,
                found,
                expected,
            },
            None => IntrinsicError::UnexpectedEnd {
                offset: self.pos,
                expected,
            },
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, IntrinsicError> {
        let start = self.pos;
        if depth > MAX_NESTING {
            return Err(IntrinsicError::TooDeep { offset: start });
        }
        if !self.starts_with("States.") {
            return Err(IntrinsicError::NotACall { offset: start });
        }
        self.pos += "States.".len();
        let name_start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        if self.pos == name_start {
            return Err(self.error_here("a function name after 'States.'"));
        }
        let name = self.text(start);
        let function = Intrinsic::from_name(&name).ok_or(IntrinsicError::UnknownFunction {
            name,
            offset: start,
        })?;
        if self.peek() != Some('(') {
            return Err(self.error_here("'(' right after the function name"));
        }
        self.pos += 1;

        let mut args = Vec::new();
        let mut offsets = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let at = self.pos;
                match self.peek() {
                    Some(',' | ')') => {
                        return Err(IntrinsicError::EmptyArgument {
                            function: function.name(),
                            offset: at,
                        });
                    }
                    None => {
                        return Err(IntrinsicError::UnclosedCall {
                            function: function.name(),
                            offset: start,
                        });
                    }
                    Some(_) => {}
                }
                let template = function == Intrinsic::Format && args.is_empty();
                args.push(self.arg(depth, template)?);
                offsets.push(at);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    None => {
                        return Err(IntrinsicError::UnclosedCall {
                            function: function.name(),
                            offset: start,
                        });
                    }
                    Some(_) => return Err(self.error_here("',' or ')' after an argument")),
                }
            }
        }

        let (min, max) = function.arity();
        if args.len() < min || max.is_some_and(|max| args.len() > max) {
            return Err(IntrinsicError::Arity {
                function: function.name(),
                min,
                max,
                got: args.len(),
                offset: start,
            });
        }
        check_args(function, &args, &offsets)?;
        Ok(Call { function, args })
    }

    fn arg(&mut self, depth: usize, template: bool) -> Result<Arg, IntrinsicError> {
        match self.peek() {
            Some('\'') => {
                let (start, end) = self.string_literal()?;
                let content = &self.chars[start..end];
                if template {
                    template_from(content, start).map(Arg::Template)
                } else {
                    Ok(Arg::String(unescape(content)))
                }
            }
            Some('$') => self.path().map(Arg::Path),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number().map(Arg::Number),
            Some(_) if self.starts_with("States.") => self.call(depth + 1).map(Arg::Call),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                match self.text(start).as_str() {
                    "true" => Ok(Arg::Bool(true)),
                    "false" => Ok(Arg::Bool(false)),
                    "null" => Ok(Arg::Null),
                    word => Err(IntrinsicError::UnknownWord {
                        offset: start,
                        word: word.to_owned(),
                    }),
                }
            }
            Some('"') => Err(self.error_here("an argument (string literals use single quotes)")),
            _ => Err(self.error_here(
                "an argument: a 'string', a number, true, false, null, a $path or a States.* call",
            )),
        }
    }

    /// Scans a single-quoted literal at the current position, validating escapes, and
    /// returns the character range of its content.
    fn string_literal(&mut self) -> Result<(usize, usize), IntrinsicError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(IntrinsicError::UnterminatedString { offset: open }),
                Some('\\') => match self.peek_at(1) {
                    Some('\'' | '{' | '}' | '\\') => self.pos += 2,
                    Some(found) => {
                        return Err(IntrinsicError::BadEscape {
                            offset: self.pos,
                            found,
                        });
                    }
                    None => return Err(IntrinsicError::UnterminatedString { offset: open }),
                },
                Some('\'') => {
                    let end = self.pos;
                    self.pos += 1;
                    return Ok((start, end));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Reads a path argument: up to the first `,`, `)` or whitespace outside brackets and
    /// quotes.
    fn path(&mut self) -> Result<JsonPath, IntrinsicError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == '\\' {
                    self.pos = (self.pos + 2).min(self.chars.len());
                    continue;
                }
                if c == q {
                    quote = None;
                }
            } else {
                match c {
                    '\'' | '"' if depth > 0 => quote = Some(c),
                    '[' => depth += 1,
                    ']' => depth = depth.saturating_sub(1),
                    ',' | ')' if depth == 0 => break,
                    c if c.is_whitespace() && depth == 0 => break,
                    _ => {}
                }
            }
            self.pos += 1;
        }
        let text = self.text(start);
        path::parse(&text).map_err(|source| IntrinsicError::Path {
            offset: start,
            path: text,
            source,
        })
    }

    fn number(&mut self) -> Result<Number, IntrinsicError> {
        let start = self.pos;
        self.pos += 1;
        while let Some(c) = self.peek() {
            let after_exponent = matches!(self.chars.get(self.pos - 1), Some('e' | 'E'));
            if c.is_ascii_digit()
                || matches!(c, '.' | 'e' | 'E')
                || (matches!(c, '+' | '-') && after_exponent)
            {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = self.text(start);
        Number::from_str(&text).map_err(|_| IntrinsicError::InvalidNumber {
            offset: start,
            text,
        })
    }
}

/// Resolves the escapes of a literal's content (already validated by the scanner).
fn unescape(content: &[char]) -> String {
    let mut out = String::with_capacity(content.len());
    let mut chars = content.iter();
    while let Some(&c) = chars.next() {
        if c == '\\' {
            if let Some(&escaped) = chars.next() {
                out.push(escaped);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An integral number literal as `i128` (`2.0` counts as integral).
fn number_as_int(n: &Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    // Integral floats well inside i128's range convert exactly.
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
}

fn literal_int(arg: Option<&Arg>) -> Option<i128> {
    match arg {
        Some(Arg::Number(n)) => number_as_int(n),
        _ => None,
    }
}

/// The static checks that need no data.
fn check_args(function: Intrinsic, args: &[Arg], offsets: &[usize]) -> Result<(), IntrinsicError> {
    let invalid = |index: usize, message: String| IntrinsicError::InvalidArgument {
        function: function.name(),
        position: index + 1,
        offset: offsets.get(index).copied().unwrap_or_default(),
        message,
    };

    for (i, arg) in args.iter().enumerate() {
        let expected = function.param_kind(i);
        if let Some(actual) = arg.static_kind()
            && !expected.accepts(actual)
        {
            let what = if arg.is_literal() {
                format!("{actual} literal")
            } else {
                format!("a call returning {actual}")
            };
            return Err(invalid(i, format!("expected {expected}, got {what}")));
        }
    }

    match function {
        Intrinsic::Hash => {
            if let Some(Arg::String(algorithm)) = args.get(1)
                && !HASH_ALGORITHMS.contains(&algorithm.as_str())
            {
                return Err(invalid(
                    1,
                    format!(
                        "unsupported hash algorithm '{algorithm}'; expected one of {}",
                        HASH_ALGORITHMS.join(", ")
                    ),
                ));
            }
        }
        Intrinsic::ArrayRange => {
            let step = literal_int(args.get(2));
            if step == Some(0) {
                return Err(invalid(2, "the step must not be zero".to_owned()));
            }
            if let (Some(start), Some(end), Some(step)) =
                (literal_int(args.first()), literal_int(args.get(1)), step)
            {
                let len = if step > 0 && end >= start {
                    (end - start) / step + 1
                } else if step < 0 && start >= end {
                    (start - end) / -step + 1
                } else {
                    0
                };
                if len > i128::from(MAX_ARRAY_RANGE_LEN) {
                    return Err(invalid(
                        0,
                        format!(
                            "the range would have {len} elements; at most {MAX_ARRAY_RANGE_LEN} are allowed"
                        ),
                    ));
                }
            }
        }
        Intrinsic::MathRandom => {
            if let (Some(Arg::Number(start)), Some(Arg::Number(end))) = (args.first(), args.get(1))
                && path::compare_numbers(start, end) != Some(std::cmp::Ordering::Less)
            {
                return Err(invalid(
                    1,
                    format!("the end ({end}) must be greater than the start ({start})"),
                ));
            }
        }
        Intrinsic::JsonMerge => {
            if let Some(Arg::Bool(true)) = args.get(2) {
                return Err(invalid(
                    2,
                    "deep merging is not supported; the flag must be false".to_owned(),
                ));
            }
        }
        Intrinsic::ArrayPartition => {
            if let Some(size) = literal_int(args.get(1))
                && size < 1
            {
                return Err(invalid(
                    1,
                    format!("the chunk size must be at least 1, got {size}"),
                ));
            }
        }
        Intrinsic::ArrayGetItem => {
            if let Some(index) = literal_int(args.get(1))
                && index < 0
            {
                return Err(invalid(
                    1,
                    format!("the index must not be negative, got {index}"),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Call {
        match parse(s) {
            Ok(call) => call,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn err(s: &str) -> IntrinsicError {
        match parse(s) {
            Ok(call) => panic!("{s:?} should be rejected, parsed as {call:?}"),
            Err(e) => e,
        }
    }

    fn path_arg(s: &str) -> Arg {
        match crate::path::parse(s) {
            Ok(p) => Arg::Path(p),
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn string(s: &str) -> Arg {
        Arg::String(s.to_owned())
    }

    fn round_trip(s: &str) -> Call {
        let call = ok(s);
        let text = call.to_string();
        assert_eq!(
            parse(&text),
            Ok(call.clone()),
            "{s:?} displayed as {text:?}"
        );
        call
    }

    #[test]
    fn names_and_arity() {
        for function in Intrinsic::ALL {
            assert_eq!(Intrinsic::from_name(function.name()), Some(function));
            assert_eq!(function.to_string(), function.name());
        }
        assert_eq!(Intrinsic::from_name("States.format"), None);
        assert_eq!(Intrinsic::from_name("Format"), None);
        assert_eq!(Intrinsic::Format.arity(), (1, None));
        assert_eq!(Intrinsic::MathRandom.arity(), (2, Some(3)));
        assert_eq!(Intrinsic::UUID.arity(), (0, Some(0)));
    }

    #[test]
    fn every_function_parses() {
        let cases = [
            ("States.Format('Hello, {}!', $.name)", Intrinsic::Format, 2),
            ("States.Format('plain')", Intrinsic::Format, 1),
            ("States.StringToJson($.s)", Intrinsic::StringToJson, 1),
            ("States.JsonToString($.o)", Intrinsic::JsonToString, 1),
            ("States.Array()", Intrinsic::Array, 0),
            (
                "States.Array(1, 'two', true, null, $.x)",
                Intrinsic::Array,
                5,
            ),
            (
                "States.ArrayPartition($.a, 4)",
                Intrinsic::ArrayPartition,
                2,
            ),
            (
                "States.ArrayContains($.a, $.v)",
                Intrinsic::ArrayContains,
                2,
            ),
            ("States.ArrayRange(1, 9, 2)", Intrinsic::ArrayRange, 3),
            ("States.ArrayGetItem($.a, 0)", Intrinsic::ArrayGetItem, 2),
            ("States.ArrayLength($.a)", Intrinsic::ArrayLength, 1),
            ("States.ArrayUnique($.a)", Intrinsic::ArrayUnique, 1),
            ("States.Base64Encode($.s)", Intrinsic::Base64Encode, 1),
            ("States.Base64Decode('aGk=')", Intrinsic::Base64Decode, 1),
            ("States.Hash($.v, 'SHA-256')", Intrinsic::Hash, 2),
            ("States.JsonMerge($.a, $.b, false)", Intrinsic::JsonMerge, 3),
            ("States.MathRandom(1, 999)", Intrinsic::MathRandom, 2),
            (
                "States.MathRandom($.lo, $.hi, 1234)",
                Intrinsic::MathRandom,
                3,
            ),
            ("States.MathAdd($.n, -1)", Intrinsic::MathAdd, 2),
            ("States.StringSplit($.csv, ',')", Intrinsic::StringSplit, 2),
            ("States.UUID()", Intrinsic::UUID, 0),
        ];
        for (text, function, count) in cases {
            let call = round_trip(text);
            assert_eq!(call.function, function, "{text}");
            assert_eq!(call.args.len(), count, "{text}");
        }
        let covered: std::collections::HashSet<Intrinsic> =
            cases.iter().map(|(_, f, _)| *f).collect();
        assert_eq!(covered.len(), Intrinsic::ALL.len());
    }

    #[test]
    fn argument_values() {
        let call = ok("States.Array('a', -1, 2.5, 1e3, true, false, null, $, $$.Execution.Id)");
        assert_eq!(
            call.args,
            vec![
                string("a"),
                Arg::Number((-1).into()),
                Arg::Number(Number::from_f64(2.5).expect("finite")),
                Arg::Number(Number::from_f64(1000.0).expect("finite")),
                Arg::Bool(true),
                Arg::Bool(false),
                Arg::Null,
                path_arg("$"),
                path_arg("$$.Execution.Id"),
            ]
        );
        let spaced = ok("States.MathAdd(  $.n ,-1  )");
        assert_eq!(spaced.args, vec![path_arg("$.n"), Arg::Number((-1).into())]);
        assert_eq!(spaced.to_string(), "States.MathAdd($.n, -1)");
    }

    #[test]
    fn nested_calls() {
        let call = ok("States.ArrayGetItem(States.Array(1,2,3), $$.Map.Item.Index)");
        assert_eq!(call.function, Intrinsic::ArrayGetItem);
        assert_eq!(
            call.args,
            vec![
                Arg::Call(Call {
                    function: Intrinsic::Array,
                    args: vec![
                        Arg::Number(1.into()),
                        Arg::Number(2.into()),
                        Arg::Number(3.into())
                    ],
                }),
                path_arg("$$.Map.Item.Index"),
            ]
        );
        let deep = ok(
            "States.Format('{} has {} items', States.JsonToString($.who), States.ArrayLength(States.StringSplit($.csv, ',')))",
        );
        assert_eq!(deep.args.len(), 3);
        assert_eq!(
            deep.paths()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            ["$.who", "$.csv"]
        );
    }

    #[test]
    fn escapes_and_templates() {
        let call = ok("States.Format('Hello, {}! \\{x\\} it\\'s \\\\', $.name)");
        let Arg::Template(template) = &call.args[0] else {
            panic!("the first Format argument is a template");
        };
        assert_eq!(
            template.pieces(),
            &[
                FormatPiece::Literal("Hello, ".into()),
                FormatPiece::Placeholder,
                FormatPiece::Literal("! {x} it's \\".into()),
            ]
        );
        assert_eq!(template.placeholder_count(), 1);
        assert_eq!(template.to_string(), "Hello, {}! \\{x\\} it\\'s \\\\");

        let plain = ok("States.StringToJson('\\{\"a\": \"it\\'s\"\\} {raw} \\\\')");
        assert_eq!(plain.args, vec![string("{\"a\": \"it's\"} {raw} \\")]);
        assert_eq!(
            plain.to_string(),
            "States.StringToJson('\\{\"a\": \"it\\'s\"\\} \\{raw\\} \\\\')"
        );

        // The same text outside Format's first argument stays a plain string.
        let later = ok("States.Format('{}', 'a {} b')");
        assert_eq!(later.args[1], string("a {} b"));

        assert_eq!(
            format_template("{}-{} \\{ok\\} 'q'"),
            Ok(FormatTemplate::from_pieces([
                FormatPiece::Placeholder,
                FormatPiece::Literal("-".into()),
                FormatPiece::Placeholder,
                FormatPiece::Literal(" {ok} 'q'".into()),
            ]))
        );
        assert_eq!(format_template(""), Ok(FormatTemplate::default()));
        assert_eq!(
            format_template("a { b"),
            Err(IntrinsicError::UnescapedBrace {
                offset: 2,
                brace: '{'
            })
        );
        assert_eq!(
            format_template("a } b"),
            Err(IntrinsicError::UnescapedBrace {
                offset: 2,
                brace: '}'
            })
        );
        assert_eq!(
            format_template("\\n"),
            Err(IntrinsicError::BadEscape {
                offset: 0,
                found: 'n'
            })
        );
        assert_eq!(
            format_template("x\\"),
            Err(IntrinsicError::DanglingEscape { offset: 1 })
        );
    }

    #[test]
    fn paths_with_brackets_and_quotes() {
        let call = ok("States.Format('{} {}', $['a, b'], $.x[?(@.y == 'p, q)')].z)");
        assert_eq!(call.args[1], path_arg("$['a, b']"));
        assert_eq!(call.args[2], path_arg("$.x[?(@.y == 'p, q)')].z"));
        let spaced = ok("States.Array($['a b'], $[\"c ]d\"], $['it\\'s'])");
        assert_eq!(
            spaced.args,
            vec![
                path_arg("$['a b']"),
                path_arg("$[\"c ]d\"]"),
                path_arg("$['it\\'s']")
            ]
        );
        round_trip("States.Array($['a b'], $[\"c ]d\"], $['it\\'s'], $..x[1:2])");
    }

    #[test]
    fn variable_path_arguments() {
        let call = ok("States.Format('{} x{}', $orderId, $order.items[0].sku)");
        assert_eq!(call.args[1], path_arg("$orderId"));
        assert_eq!(call.args[2], path_arg("$order.items[0].sku"));
        let Arg::Path(first) = &call.args[1] else {
            panic!("expected a path argument");
        };
        assert_eq!(first.root(), path::Root::Variable("orderId".into()));
        assert_eq!(
            call.paths()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            ["$orderId", "$order.items[0].sku"]
        );
        round_trip("States.Format('{}', $orderId)");
        round_trip("States.ArrayGetItem($items, States.MathAdd($i, 1))");
        round_trip("States.Array($.[0], $v.['a b'], $.l[?(@.k == AMOUNT)])");
        assert_eq!(
            ok("States.Array($.[0], $.l[?(@.k==AMOUNT)])").to_string(),
            "States.Array($[0], $.l[?(@.k == 'AMOUNT')])"
        );
        assert!(matches!(
            err("States.Format('{}', $order-id)"),
            IntrinsicError::Path { offset: 20, .. }
        ));
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "States.Format('Hello, {}! \\{x\\}', $.name)",
            "States.ArrayGetItem(States.Array(1,2,3), $$.Map.Item.Index)",
            "States.MathAdd($.n, -1)",
            "States.MathAdd(0.5, -2.25)",
            "States.StringToJson($.s)",
            "States.Hash($.v, 'SHA-256')",
            "States.Array('\\'', '\\\\', '\\{\\}', '', 'é ü')",
            "States.Format('{}', States.Format('{}{}', $.a, $['b c']))",
            "States.Array($.items[?(@.price < 10 && @.tag == 'x, y')])",
            "States.UUID()",
            "States.Array()",
        ] {
            round_trip(text);
        }
        let built = Call {
            function: Intrinsic::Format,
            args: vec![
                Arg::Template(FormatTemplate::from_pieces([
                    FormatPiece::Literal("{".into()),
                    FormatPiece::Placeholder,
                    FormatPiece::Literal("}".into()),
                ])),
                string("it's"),
            ],
        };
        assert_eq!(built.to_string(), "States.Format('\\{{}\\}', 'it\\'s')");
        assert_eq!(built.validate(), Ok(()));
        assert_eq!(built.to_string().parse::<Call>(), Ok(built));
    }

    #[test]
    fn looks_like_call_detects_calls() {
        assert!(looks_like_call("States.Format('x')"));
        assert!(looks_like_call("States.Nope(")); // unknown names are still calls
        assert!(!looks_like_call("$.States.Format"));
        assert!(!looks_like_call("States.Format"));
        assert!(!looks_like_call("States.('x')"));
        assert!(!looks_like_call("States.Format ('x')"));
        assert!(!looks_like_call(" States.Format('x')"));
        assert!(!looks_like_call(""));
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(err(""), IntrinsicError::NotACall { offset: 0 });
        assert_eq!(err("$.a"), IntrinsicError::NotACall { offset: 0 });
        assert_eq!(
            err("States.Nope(1)"),
            IntrinsicError::UnknownFunction {
                name: "States.Nope".into(),
                offset: 0
            }
        );
        assert_eq!(
            err("States.Array(States.format(1))"),
            IntrinsicError::UnknownFunction {
                name: "States.format".into(),
                offset: 13
            }
        );
        assert_eq!(
            err("States.Array(1"),
            IntrinsicError::UnclosedCall {
                function: "States.Array",
                offset: 0
            }
        );
        assert_eq!(
            err("States.Array(States.Array(1)"),
            IntrinsicError::UnclosedCall {
                function: "States.Array",
                offset: 0
            }
        );
        assert_eq!(
            err("States.Array(1))"),
            IntrinsicError::TrailingText {
                offset: 15,
                found: ')'
            }
        );
        assert_eq!(
            err("States.UUID() x"),
            IntrinsicError::TrailingText {
                offset: 13,
                found: ' '
            }
        );
        assert_eq!(
            err("States.Format('abc, $.x)"),
            IntrinsicError::UnterminatedString { offset: 14 }
        );
        assert_eq!(
            err("States.Format('a\\nb')"),
            IntrinsicError::BadEscape {
                offset: 16,
                found: 'n'
            }
        );
        assert_eq!(
            err("States.Array('a\\\"')"),
            IntrinsicError::BadEscape {
                offset: 15,
                found: '"'
            }
        );
        assert_eq!(
            err("States.Array(1,,2)"),
            IntrinsicError::EmptyArgument {
                function: "States.Array",
                offset: 15
            }
        );
        assert_eq!(
            err("States.Array(1, )"),
            IntrinsicError::EmptyArgument {
                function: "States.Array",
                offset: 16
            }
        );
        assert_eq!(
            err("States.Array(,1)"),
            IntrinsicError::EmptyArgument {
                function: "States.Array",
                offset: 13
            }
        );
        assert!(matches!(
            err("States.Array(\"x\")"),
            IntrinsicError::Unexpected {
                offset: 13,
                found: '"',
                ..
            }
        ));
        assert!(matches!(
            err("States.Array(1 2)"),
            IntrinsicError::Unexpected {
                offset: 15,
                found: '2',
                ..
            }
        ));
        assert!(matches!(
            err("States.UUID ()"),
            IntrinsicError::Unexpected {
                offset: 11,
                found: ' ',
                ..
            }
        ));
        assert_eq!(
            err("States.Array(yes)"),
            IntrinsicError::UnknownWord {
                offset: 13,
                word: "yes".into()
            }
        );
        assert_eq!(
            err("States.Array(1.)"),
            IntrinsicError::InvalidNumber {
                offset: 13,
                text: "1.".into()
            }
        );
        assert_eq!(
            err("States.Array(-)"),
            IntrinsicError::InvalidNumber {
                offset: 13,
                text: "-".into()
            }
        );
        assert!(matches!(
            err("States.Format('{}', $.a b)"),
            IntrinsicError::Unexpected {
                offset: 24,
                found: 'b',
                ..
            }
        ));
        let path_error = err("States.Array($.a, $.b[?(@.c =~ /x/)])");
        assert!(
            matches!(&path_error, IntrinsicError::Path { offset: 18, path, .. } if path == "$.b[?(@.c =~ /x/)]"),
            "{path_error:?}"
        );
        assert!(matches!(
            err("States.Array($.)"),
            IntrinsicError::Path { offset: 13, .. }
        ));
        assert!(matches!(
            err("States.Format('a { b')"),
            IntrinsicError::UnescapedBrace {
                offset: 17,
                brace: '{'
            }
        ));
        let deep = format!("{}1{}", "States.Array(".repeat(40), ")".repeat(40));
        assert!(matches!(parse(&deep), Err(IntrinsicError::TooDeep { .. })));
        let fine = format!(
            "{}1{}",
            "States.Array(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn arity_errors() {
        assert_eq!(
            err("States.UUID(1)"),
            IntrinsicError::Arity {
                function: "States.UUID",
                min: 0,
                max: Some(0),
                got: 1,
                offset: 0
            }
        );
        assert_eq!(
            err("States.Format()").to_string(),
            "States.Format takes at least 1 argument, got 0 (call at offset 0)"
        );
        assert_eq!(
            err("States.Hash($.a)").to_string(),
            "States.Hash takes exactly 2 arguments, got 1 (call at offset 0)"
        );
        assert_eq!(
            err("States.MathRandom(1, 2, 3, 4)").to_string(),
            "States.MathRandom takes 2 to 3 arguments, got 4 (call at offset 0)"
        );
        assert!(matches!(
            err("States.Array(States.JsonMerge($.a, $.b))"),
            IntrinsicError::Arity {
                function: "States.JsonMerge",
                got: 2,
                offset: 13,
                ..
            }
        ));
    }

    #[test]
    fn static_checks() {
        let invalid = |s: &str| match err(s) {
            IntrinsicError::InvalidArgument {
                position, message, ..
            } => (position, message),
            other => panic!("{s:?}: expected InvalidArgument, got {other:?}"),
        };
        // States.Format's template must be a string literal, a path or a string-valued call.
        assert_eq!(invalid("States.Format(1, $.a)").0, 1);
        assert_eq!(invalid("States.Format(null)").0, 1);
        assert_eq!(invalid("States.Format(States.Array())").0, 1);
        ok("States.Format($.template, $.a)");
        ok("States.Format(States.JsonToString($.t))");
        // Hash algorithms.
        for algorithm in HASH_ALGORITHMS {
            ok(&format!("States.Hash($.v, '{algorithm}')"));
        }
        let (position, message) = invalid("States.Hash($.v, 'SHA-1024')");
        assert_eq!(position, 2);
        assert!(message.contains("SHA-1024"), "{message}");
        assert_eq!(invalid("States.Hash($.v, 256)").0, 2);
        ok("States.Hash($.v, $.algorithm)");
        // ArrayRange.
        ok("States.ArrayRange(0, 999, 1)");
        ok("States.ArrayRange(10, 0, -1)");
        ok("States.ArrayRange(5, 0, 1)");
        assert!(
            invalid("States.ArrayRange(0, 1000, 1)")
                .1
                .contains("1001 elements")
        );
        assert!(invalid("States.ArrayRange(1, 9, 0)").1.contains("zero"));
        assert!(invalid("States.ArrayRange($.a, $.b, 0)").1.contains("zero"));
        assert_eq!(invalid("States.ArrayRange(1.5, 9, 1)").0, 1);
        assert_eq!(invalid("States.ArrayRange('1', 9, 1)").0, 1);
        ok("States.ArrayRange($.start, 100000, 1)");
        // MathRandom.
        ok("States.MathRandom(-5, 5.5)");
        assert!(
            invalid("States.MathRandom(10, 10)")
                .1
                .contains("greater than")
        );
        assert!(
            invalid("States.MathRandom(10, 1)")
                .1
                .contains("greater than")
        );
        assert_eq!(invalid("States.MathRandom('1', 2)").0, 1);
        // JsonMerge.
        assert_eq!(invalid("States.JsonMerge($.a, $.b, true)").0, 3);
        assert_eq!(invalid("States.JsonMerge($.a, 'x', false)").0, 2);
        // Types of literals and nested calls.
        assert_eq!(invalid("States.ArrayLength('abc')").0, 1);
        assert!(
            invalid("States.ArrayLength(States.UUID())")
                .1
                .contains("a call returning a string")
        );
        ok("States.ArrayLength(States.StringSplit($.s, ','))");
        ok("States.ArrayLength(States.StringToJson($.s))");
        assert_eq!(invalid("States.MathAdd($.n, 'one')").0, 2);
        assert_eq!(invalid("States.ArrayPartition($.a, 0)").0, 2);
        assert_eq!(invalid("States.ArrayGetItem($.a, -1)").0, 2);
        assert_eq!(invalid("States.ArrayGetItem($.a, 0.5)").0, 2);
        assert_eq!(invalid("States.Base64Encode(42)").0, 1);
        // Errors name the function and the argument's offset.
        assert_eq!(
            err("States.Array(1, States.Hash($.v, 'MD4'))").to_string(),
            "States.Hash: argument 2 at offset 33: unsupported hash algorithm 'MD4'; expected one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
        );
    }
}
