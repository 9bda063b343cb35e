//! Amazon States Language JSONPath (the `JSONPath` query-language mode).
//!
//! ASL uses JSONPath for `InputPath`, `OutputPath`, `ItemsPath`, the `.$` values of payload
//! templates, the Choice `Variable` and `…Path` operands, Wait `SecondsPath` /
//! `TimestampPath` and, restricted to *reference paths*, `ResultPath`. AWS Step Functions
//! evaluates these with the Jayway JSONPath implementation; this module mirrors the part of
//! Jayway that ASL documents use.
//!
//! * [`parse`] turns the text into a [`JsonPath`] (a [`Root`] plus [`Segment`]s), reporting
//!   the character offset of the first problem in a [`PathError`].
//! * [`JsonPath::is_reference_path`] and [`JsonPath::is_definite`] answer the validator's
//!   questions; [`JsonPath::segments`] lets the data-flow checker walk a schema.
//! * [`JsonPath::select`] evaluates a path against a document and the context object
//!   ([`JsonPath::select_with`] also takes the workflow variables), and
//!   [`JsonPath::assign`] writes a `ResultPath`.
//! * [`Display`](std::fmt::Display) prints the canonical text; `parse(&p.to_string()) == Ok(p)`
//!   for every path produced by [`parse`].
//!
//! # Grammar
//!
//! ```text
//! path      := root segment*
//! root      := "$" | "$$" | "$" varname        ($ = state data, $$ = context object,
//!                                               $name = workflow variable)
//! varname   := (letter | "_") (letter | digit | "_")*     at most 80 characters
//! segment   := "." name                        Field
//!            | "." "*"                         Wildcard
//!            | ".." (name | "*" | bracket)     Descent
//!            | "."? bracket                    (Jayway accepts `$.[0]` for `$[0]`)
//! bracket   := "[" ws inner ws "]"
//! inner     := "*"                             Wildcard
//!            | quoted (ws "," ws quoted)*      Field (one name) or Union (several)
//!            | int (ws "," ws int)*            Index (one) or Union (several)
//!            | int? ":" int? (":" int?)?       Slice (start:end:step, Python semantics)
//!            | "?" ws "(" filter ")"           Filter
//! quoted    := '…' | "…"                       escapes: \' \" \\
//! ```
//!
//! A dot-notation `name` is one or more characters that are not whitespace, control
//! characters or any of `. [ ] ( ) ' " , * ? = ! < > & | \`; every other name must be
//! bracket-quoted (`$['a b']`, `$["x.y"]`). Field names may be empty only when quoted.
//!
//! Workflow variables (set by `Assign`, usable from JSONPath-mode states since November
//! 2024) are written `$name`: a `$` immediately followed by a letter or `_` starts a
//! [`Root::Variable`] (`$orderId`, `$order.items[0].sku`); `$`, `$$`, `$.` and `$[` keep
//! their meaning.
//!
//! Like Jayway, a `.` directly before a bracket is ignored: `$.[0]`, `$.a.[0].b` and
//! `$.[*].['x', 'y']` are the same paths as `$[0]`, `$.a[0].b` and `$[*]['x','y']`, and
//! [`Display`](std::fmt::Display) prints them without the dot. (`$..[0]` is still a
//! descent.)
//!
//! Filters (`[?(…)]`) support `@` (the node under test) and `$` / `$$` / `$name` paths made
//! of field names and indexes only, the comparisons `== != < <= > >=`, the literals `null`,
//! `true`, `false`, numbers and quoted strings, existence tests (`[?(@.isbn)]`), `!`, `&&`,
//! `||` and parentheses. `=~` and Jayway's word operators (`in`, `nin`, `size`, …) are
//! rejected. As in Jayway, an unquoted word matching `[A-Za-z_][A-Za-z0-9_-]*` that is not
//! `true`, `false` or `null` is a string literal (`[?(@.Type == AMOUNT_PAID)]` compares
//! with `'AMOUNT_PAID'`); it is printed quoted.
//!
//! # Evaluation semantics (Jayway)
//!
//! * A *definite* path (only field names and indexes) selects one value or fails with
//!   [`SelectError::NoMatch`].
//! * Any other path returns a JSON array of every match (possibly empty). Matches appear in
//!   document order, except that a [`Segment::Union`] yields its members in the order they
//!   are written (`$.a[1,0]` gives element 1 first), as Jayway does.
//! * Negative indexes count from the end of the array; indexes out of range match nothing.
//! * A [`Segment::Wildcard`] selects the values of an object (in document order) or the
//!   items of an array; on a scalar it selects nothing.
//! * A [`Segment::Filter`] applied to an array tests every item; applied to an object it
//!   tests the object itself (Jayway behaviour); scalars are never selected.
//! * Inside filters, a comparison whose operand path does not exist is false, except `!=`
//!   which is the negation of `==` (so it is true). `==` compares numbers numerically and
//!   everything else structurally; `<`, `<=`, `>`, `>=` compare two numbers or two strings
//!   (by code point) and are false for any other combination.
//!
//! # Descent representation
//!
//! `..x` is [`Segment::Descent`] wrapping the selector that follows the two dots:
//! `$..name` is `Descent(Field("name"))`, `$..*` is `Descent(Wildcard)`, `$..[0]` is
//! `Descent(Index(0))`, `$..['a','b']` is `Descent(Union(…))`, `$..[?(…)]` is
//! `Descent(Filter(…))`. The boxed segment is never itself a `Descent`. Evaluation visits the
//! current node and all its descendants in pre-order and applies the inner selector to each
//! one — except for a filter, where (like Jayway) every visited *object* that satisfies the
//! filter is selected once.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde_json::{Map, Number, Value};

/// Deepest nesting of `!` and parentheses accepted inside one filter expression; protects
/// the recursive-descent parser against stack exhaustion on hostile input.
pub const MAX_FILTER_DEPTH: usize = 64;

/// Longest workflow-variable name Step Functions accepts (in characters).
pub const MAX_VARIABLE_NAME_LEN: usize = 80;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Root {
    /// `$`: the state's data (its input, or whatever document the field applies to).
    Input,
    /// `$$`: the context object (`$$.Execution.Id`, `$$.Map.Item.Value`, …).
    Context,
    /// `$name`: a workflow variable set by an `Assign` field (the name is stored without
    /// the `$`). [`parse`] only produces names that start with a letter or `_`, continue
    /// with letters, digits or `_`, and are at most [`MAX_VARIABLE_NAME_LEN`] characters.
    Variable(String),
}

impl Root {
    /// The variable's name (without `$`) for a [`Root::Variable`], `None` otherwise.
    pub fn variable(&self) -> Option<&str> {
        match self {
            Root::Variable(name) => Some(name),
            Root::Input | Root::Context => None,
        }
    }
}

/// A parsed ASL JSONPath: a [`Root`] followed by zero or more [`Segment`]s.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath {
    root: Root,
    segments: Vec<Segment>,
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// `.name`, `['name']` or `["name"]`: the member `name` of an object.
    Field(String),
    /// `[3]` or `[-1]`: an array item; negative indexes count from the end.
    Index(i64),
    /// `.*` or `[*]`: every value of an object or every item of an array.
    Wildcard,
    /// `..x`: apply the boxed selector to the current node and every descendant (see the
    /// module documentation). The boxed segment is never a `Descent` itself.
    Descent(Box<Segment>),
    /// `[0,1]` or `['a','b']`: several members or items, in the written order. [`parse`]
    /// only produces unions of two or more members of the same kind.
    Union(Vec<UnionMember>),
    /// `[start:end:step]` with Python slice semantics; `step` is never `Some(0)` after
    /// [`parse`].
    Slice {
        /// First index (inclusive); negative counts from the end.
        start: Option<i64>,
        /// Last index (exclusive); negative counts from the end.
        end: Option<i64>,
        /// Stride; negative walks backwards. Defaults to 1.
        step: Option<i64>,
    },
    /// `[?(expr)]`: the items of an array (or the object itself) that satisfy `expr`.
    Filter(FilterExpr),
}

/// One member of a [`Segment::Union`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UnionMember {
    /// A quoted member name.
    Field(String),
    /// An array index (negative counts from the end).
    Index(i64),
}

/// A filter condition, the `expr` of `[?(expr)]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FilterExpr {
    /// `@.x` or `$.x` on its own: true when the path exists.
    Exists(FilterPath),
    /// `left op right`.
    Compare {
        /// Left operand.
        left: Operand,
        /// Comparison operator.
        op: CompareOp,
        /// Right operand.
        right: Operand,
    },
    /// `!expr`.
    Not(Box<FilterExpr>),
    /// `a && b`.
    And(Box<FilterExpr>, Box<FilterExpr>),
    /// `a || b`.
    Or(Box<FilterExpr>, Box<FilterExpr>),
}

/// A path inside a filter. Only [`Segment::Field`] and [`Segment::Index`] segments appear.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FilterPath {
    /// `@…`: relative to the node under test.
    Current(Vec<Segment>),
    /// `$…` or `$$…`: relative to the data document or the context object.
    Absolute(JsonPath),
}

/// An operand of a filter comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operand {
    /// A path whose value is compared.
    Path(FilterPath),
    /// A literal value.
    Literal(Literal),
}

/// A literal inside a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number such as `10`, `-1.5` or `2e3`.
    Number(Number),
    /// A quoted string (unescaped).
    String(String),
}

impl Literal {
    /// The literal as a JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Number(n) => Value::Number(n.clone()),
            Literal::String(s) => Value::String(s.clone()),
        }
    }
}

/// A filter comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// Why a path failed to parse. Every variant except [`PathError::Empty`] carries the
/// zero-based *character* offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The text is empty.
    #[error("empty path: a path must start with '$'")]
    Empty,
    /// The text does not start with `$`.
    #[error("path must start with '$', found {found:?} at offset {offset}")]
    MissingRoot {
        /// Character offset.
        offset: usize,
        /// The character found instead.
        found: char,
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
    #[error("unexpected end of path at offset {offset}: expected {expected}")]
    UnexpectedEnd {
        /// Character offset (the length of the text).
        offset: usize,
        /// What would have been valid.
        expected: &'static str,
    },
    /// A `.` or `..` is not followed by a field name (`$.`, `$.a.`, `$..`).
    #[error("empty field name at offset {offset}: '.' and '..' must be followed by a name")]
    EmptyName {
        /// Character offset where the name should start.
        offset: usize,
    },
    /// A `[` is never closed.
    #[error("unclosed '[' at offset {offset}")]
    UnclosedBracket {
        /// Offset of the `[`.
        offset: usize,
    },
    /// A quoted string has no closing quote.
    #[error("unterminated string starting at offset {offset}")]
    UnterminatedString {
        /// Offset of the opening quote.
        offset: usize,
    },
    /// A backslash escape other than `\'`, `\"` or `\\`.
    #[error(
        "invalid escape '\\{found}' at offset {offset}: only \\', \\\" and \\\\ are allowed in quoted names"
    )]
    InvalidEscape {
        /// Offset of the backslash.
        offset: usize,
        /// The escaped character.
        found: char,
    },
    /// A number that is malformed or out of range.
    #[error("invalid number {text:?} at offset {offset}")]
    InvalidNumber {
        /// Offset of the number.
        offset: usize,
        /// The number's text.
        text: String,
    },
    /// A slice with `step` 0.
    #[error("slice step must not be zero (offset {offset})")]
    ZeroStep {
        /// Offset of the step.
        offset: usize,
    },
    /// A union mixing quoted names and indexes.
    #[error("union at offset {offset} mixes field names and indexes")]
    MixedUnion {
        /// Offset of the offending member.
        offset: usize,
    },
    /// A filter operator this implementation does not support (`=~`, `in`, `nin`, …).
    #[error("unsupported filter operator {operator:?} at offset {offset}")]
    UnsupportedOperator {
        /// Offset of the operator.
        offset: usize,
        /// The operator's text.
        operator: String,
    },
    /// A word that is not `true`, `false` or `null` where a filter operand was expected.
    #[error(
        "unknown literal {word:?} at offset {offset}: expected '@', '$', a quoted string, a number, true, false or null"
    )]
    UnknownLiteral {
        /// Offset of the word.
        offset: usize,
        /// The word.
        word: String,
    },
    /// A filter path using something other than field names and indexes.
    #[error("filter paths may only use field names and indexes (offset {offset})")]
    IndefiniteFilterPath {
        /// Offset of the offending segment.
        offset: usize,
    },
    /// A literal used as a whole filter condition (`[?(1)]`).
    #[error("a literal is not a condition (offset {offset}): compare it with a path")]
    BareLiteral {
        /// Offset of the literal.
        offset: usize,
    },
    /// Filter parentheses or negations nested deeper than [`MAX_FILTER_DEPTH`].
    #[error("filter expression nested more than {MAX_FILTER_DEPTH} levels deep at offset {offset}")]
    TooDeep {
        /// Offset where the limit was exceeded.
        offset: usize,
    },
    /// A `$name` variable reference whose name is longer than [`MAX_VARIABLE_NAME_LEN`].
    #[error(
        "variable name at offset {offset} is {len} characters long: at most {MAX_VARIABLE_NAME_LEN} are allowed"
    )]
    VariableNameTooLong {
        /// Offset of the name's first character (after the `$`).
        offset: usize,
        /// The name's length in characters.
        len: usize,
    },
}

impl PathError {
    /// The character offset of the problem (`None` only for [`PathError::Empty`]).
    pub fn offset(&self) -> Option<usize> {
        match self {
            PathError::Empty => None,
            PathError::MissingRoot { offset, .. }
            | PathError::Unexpected { offset, .. }
            | PathError::UnexpectedEnd { offset, .. }
            | PathError::EmptyName { offset }
            | PathError::UnclosedBracket { offset }
            | PathError::UnterminatedString { offset }
            | PathError::InvalidEscape { offset, .. }
            | PathError::InvalidNumber { offset, .. }
            | PathError::ZeroStep { offset }
            | PathError::MixedUnion { offset }
            | PathError::UnsupportedOperator { offset, .. }
            | PathError::UnknownLiteral { offset, .. }
            | PathError::IndefiniteFilterPath { offset }
            | PathError::BareLiteral { offset }
            | PathError::TooDeep { offset }
            | PathError::VariableNameTooLong { offset, .. } => Some(*offset),
        }
    }
}

/// A definite path selected nothing. Step Functions reports this as `States.Runtime` or
/// `States.ParameterPathFailure`, depending on the field; the caller picks the name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// The longest matching prefix of the path has no `segment`.
    #[error("path `{path}` selected nothing: `{prefix}` is {found} and has no `{segment}`")]
    NoMatch {
        /// The whole path.
        path: String,
        /// The longest prefix that matched.
        prefix: String,
        /// The segment that failed to match.
        segment: String,
        /// What the prefix selected ("an object", "a string", …).
        found: &'static str,
    },
    /// The selection serialises to more than the limit given to
    /// [`JsonPath::select_within`]; it was not built.
    #[error("path `{path}` selects more than {limit} bytes")]
    TooLarge {
        /// The whole path.
        path: String,
        /// The limit, in bytes of compact JSON.
        limit: usize,
    },
    /// A `$name` path refers to a variable that has no value (not assigned, or not passed
    /// to [`JsonPath::select_with`]).
    #[error("path `{path}` refers to the variable ${name}, which is not set")]
    UnboundVariable {
        /// The whole path.
        path: String,
        /// The variable's name, without `$`.
        name: String,
    },
}

/// Why [`JsonPath::assign`] failed. The structural variants correspond to Step Functions'
/// `States.ResultPathMatchFailure`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    /// Only reference paths (field names and non-negative indexes) can be written.
    #[error(
        "cannot write `{path}`: only reference paths (field names and non-negative indexes) can be written"
    )]
    NotReferencePath {
        /// The path.
        path: String,
    },
    /// The context object (`$$`) cannot be written.
    #[error("cannot write `{path}`: the context object ($$) is read-only")]
    ContextRoot {
        /// The path.
        path: String,
    },
    /// A workflow variable (`$name`) cannot be written by a `ResultPath`; variables are
    /// set with `Assign`.
    #[error("cannot write `{path}`: variables are set with Assign, not through a path")]
    VariableRoot {
        /// The path.
        path: String,
    },
    /// A field segment met something that is not an object.
    #[error(
        "cannot write `{path}`: `{prefix}` is {found}, not an object, so `{segment}` cannot be set"
    )]
    NotAnObject {
        /// The path.
        path: String,
        /// The prefix that is not an object.
        prefix: String,
        /// The field segment that could not be applied.
        segment: String,
        /// What the prefix holds ("a string", "null", …).
        found: &'static str,
    },
    /// An index segment met something that is not an array (or a value that does not
    /// exist yet: arrays are never created).
    #[error(
        "cannot write `{path}`: `{prefix}` is {found}, not an array, so `{segment}` cannot be set"
    )]
    NotAnArray {
        /// The path.
        path: String,
        /// The prefix that is not an array.
        prefix: String,
        /// The index segment that could not be applied.
        segment: String,
        /// What the prefix holds ("an object", "missing", …).
        found: &'static str,
    },
    /// An index segment is past the end of the array.
    #[error("cannot write `{path}`: index {index} is out of bounds for `{prefix}` (length {len})")]
    IndexOutOfBounds {
        /// The path.
        path: String,
        /// The array's path.
        prefix: String,
        /// The index.
        index: i64,
        /// The array's length.
        len: usize,
    },
}

/// Parses an ASL JSONPath.
///
/// # Errors
/// A [`PathError`] naming the problem and its character offset.
pub fn parse(s: &str) -> Result<JsonPath, PathError> {
    let mut p = Parser::new(s);
    let root = p.root()?;
    let segments = p.segments()?;
    if let Some(c) = p.peek() {
        return Err(PathError::Unexpected {
            offset: p.pos,
            found: c,
            expected: "'.', '[' or the end of the path",
        });
    }
    Ok(JsonPath { root, segments })
}

impl FromStr for JsonPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl JsonPath {
    /// Builds a path from parts. Keep to the invariants [`parse`] guarantees (no nested
    /// `Descent`, unions of two or more members, filter paths of fields and indexes) if the
    /// path must survive a [`Display`](fmt::Display) / [`parse`] round trip unchanged.
    pub fn new(root: Root, segments: Vec<Segment>) -> Self {
        JsonPath { root, segments }
    }

    /// `$`: the whole state data.
    pub fn input() -> Self {
        JsonPath::new(Root::Input, Vec::new())
    }

    /// Where the path starts (a clone; see [`JsonPath::root_ref`] to borrow it).
    pub fn root(&self) -> Root {
        self.root.clone()
    }

    /// Where the path starts, borrowed.
    pub fn root_ref(&self) -> &Root {
        &self.root
    }

    /// The segments after the root.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Returns this path with `segment` appended.
    pub fn child(mut self, segment: Segment) -> Self {
        self.segments.push(segment);
        self
    }

    /// True for a bare `$`, `$$` or `$name` (no segments).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// True when every segment is a [`Segment::Field`] or a non-negative
    /// [`Segment::Index`]: the ASL *reference path* rule (used by `ResultPath`). The root is
    /// not considered; a `ResultPath` must additionally start with `$` (not `$$` or a
    /// `$name` variable).
    pub fn is_reference_path(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_)) || matches!(s, Segment::Index(i) if *i >= 0))
    }

    /// True when the path selects at most one node: every segment is a [`Segment::Field`]
    /// or a [`Segment::Index`] (negative indexes allowed).
    pub fn is_definite(&self) -> bool {
        self.segments.iter().all(Segment::is_definite)
    }

    /// Evaluates the path with no workflow variables: `data` is the document `$` refers
    /// to; `context` is the context object `$$` refers to (and is also used by `$$` paths
    /// inside filters). Same as [`JsonPath::select_with`] with an empty variable map, so a
    /// `$name` path fails with [`SelectError::UnboundVariable`].
    ///
    /// # Errors
    /// See [`JsonPath::select_with`].
    pub fn select(&self, data: &Value, context: &Value) -> Result<Value, SelectError> {
        self.select_with(data, context, &Map::new())
    }

    /// Evaluates the path. `data` is the document `$` refers to, `context` the context
    /// object `$$` refers to and `variables` the workflow variables `$name` refers to
    /// (all three are also used by the absolute paths inside filters, where an unset
    /// variable is a missing operand).
    ///
    /// A definite path returns the selected value; any other path returns a JSON array of
    /// all matches (possibly empty).
    ///
    /// # Errors
    /// [`SelectError::UnboundVariable`] when the path starts with a variable that is not in
    /// `variables`; [`SelectError::NoMatch`] when a definite path selects nothing.
    pub fn select_with(
        &self,
        data: &Value,
        context: &Value,
        variables: &Map<String, Value>,
    ) -> Result<Value, SelectError> {
        let eval = Eval {
            data,
            context,
            variables,
        };
        let Some(start) = eval.start(&self.root) else {
            return Err(self.unbound());
        };
        if self.is_definite() {
            let mut node = start;
            for (i, segment) in self.segments.iter().enumerate() {
                match step_definite(segment, node) {
                    Some(next) => node = next,
                    None => {
                        return Err(SelectError::NoMatch {
                            path: self.to_string(),
                            prefix: self.prefix_text(i),
                            segment: segment.to_string(),
                            found: kind_of(node),
                        });
                    }
                }
            }
            Ok(node.clone())
        } else {
            Ok(Value::Array(
                eval.matches(self, start).into_iter().cloned().collect(),
            ))
        }
    }

    /// Like [`JsonPath::select_with`], but fails with [`SelectError::TooLarge`] as soon as
    /// the result is known to serialise to more than `limit` bytes of compact JSON, before
    /// anything is copied: the matches are found by reference and their sizes counted one
    /// by one, each count stopping at the remaining budget. So `$..*` over a deeply nested
    /// document costs at most `limit` bytes of counting and no copy, instead of building
    /// a result many times the document's size and measuring it afterwards.
    ///
    /// # Errors
    /// See [`JsonPath::select_with`], and [`SelectError::TooLarge`].
    pub fn select_within(
        &self,
        data: &Value,
        context: &Value,
        variables: &Map<String, Value>,
        limit: usize,
    ) -> Result<Value, SelectError> {
        self.select_measured(data, context, variables, limit)
            .map(|(value, _)| value)
    }

    /// [`JsonPath::select_within`], with the result's length as compact JSON (measured
    /// on the way, so a caller keeping a budget need not measure it again).
    ///
    /// # Errors
    /// See [`JsonPath::select_within`].
    pub fn select_measured(
        &self,
        data: &Value,
        context: &Value,
        variables: &Map<String, Value>,
        limit: usize,
    ) -> Result<(Value, usize), SelectError> {
        if self.is_definite() {
            let node = self.definite_node(data, context, variables)?;
            // Measured before it is copied.
            let len = json_len_within(node, limit).ok_or_else(|| self.too_large(limit))?;
            return Ok((node.clone(), len));
        }
        let matches = self.matches_with(data, context, variables);
        if matches.is_empty() && eval_start_unbound(&self.root, variables) {
            return Err(self.unbound());
        }
        // `[` and `]`, then each match and the comma before all but the first.
        let mut used = 2usize;
        for (i, m) in matches.iter().enumerate() {
            used += usize::from(i > 0);
            let left = limit
                .checked_sub(used)
                .ok_or_else(|| self.too_large(limit))?;
            used += json_len_within(m, left).ok_or_else(|| self.too_large(limit))?;
        }
        if used > limit {
            return Err(self.too_large(limit));
        }
        Ok((Value::Array(matches.into_iter().cloned().collect()), used))
    }

    /// The node a definite path selects, by reference.
    fn definite_node<'a>(
        &self,
        data: &'a Value,
        context: &'a Value,
        variables: &'a Map<String, Value>,
    ) -> Result<&'a Value, SelectError> {
        let eval = Eval {
            data,
            context,
            variables,
        };
        let Some(mut node) = eval.start(&self.root) else {
            return Err(self.unbound());
        };
        for (i, segment) in self.segments.iter().enumerate() {
            match step_definite(segment, node) {
                Some(next) => node = next,
                None => {
                    return Err(SelectError::NoMatch {
                        path: self.to_string(),
                        prefix: self.prefix_text(i),
                        segment: segment.to_string(),
                        found: kind_of(node),
                    });
                }
            }
        }
        Ok(node)
    }

    fn too_large(&self, limit: usize) -> SelectError {
        SelectError::TooLarge {
            path: self.to_string(),
            limit,
        }
    }

    /// Every node the path selects, by reference, in the order [`JsonPath::select`] uses.
    /// A definite path that does not match, and a `$name` path, return an empty vector.
    pub fn matches<'a>(&self, data: &'a Value, context: &'a Value) -> Vec<&'a Value> {
        static NO_VARIABLES: std::sync::LazyLock<Map<String, Value>> =
            std::sync::LazyLock::new(Map::new);
        self.matches_with(data, context, &NO_VARIABLES)
    }

    /// Like [`JsonPath::matches`], with the workflow variables `$name` refers to; a path
    /// starting with a variable that is not in `variables` selects nothing.
    pub fn matches_with<'a>(
        &self,
        data: &'a Value,
        context: &'a Value,
        variables: &'a Map<String, Value>,
    ) -> Vec<&'a Value> {
        let eval = Eval {
            data,
            context,
            variables,
        };
        match eval.start(&self.root) {
            Some(start) => eval.matches(self, start),
            None => Vec::new(),
        }
    }

    fn unbound(&self) -> SelectError {
        SelectError::UnboundVariable {
            path: self.to_string(),
            name: self.root.variable().unwrap_or_default().to_owned(),
        }
    }

    /// Writes `value` at this reference path inside `target`, as Step Functions does for
    /// `ResultPath`: `$` replaces the whole document; missing objects along a field path are
    /// created; an index must name an existing array item. `target` is left unchanged when
    /// an error is returned.
    ///
    /// # Errors
    /// [`AssignError`] when the path is not a reference path, starts with `$$` or a `$name`
    /// variable, or does not
    /// fit the shape of `target` (an intermediate that is not an object, an index into
    /// something that is not an array or past its end).
    pub fn assign(&self, target: &mut Value, value: Value) -> Result<(), AssignError> {
        match self.root {
            Root::Input => {}
            Root::Context => {
                return Err(AssignError::ContextRoot {
                    path: self.to_string(),
                });
            }
            Root::Variable(_) => {
                return Err(AssignError::VariableRoot {
                    path: self.to_string(),
                });
            }
        }
        if !self.is_reference_path() {
            return Err(AssignError::NotReferencePath {
                path: self.to_string(),
            });
        }
        self.check_assign(target)?;
        let Some((last, init)) = self.segments.split_last() else {
            *target = value;
            return Ok(());
        };
        let mut cur = target;
        for (i, segment) in init.iter().enumerate() {
            cur = match (segment, cur) {
                (Segment::Field(name), Value::Object(map)) => map
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Map::new())),
                (Segment::Index(index), Value::Array(items)) => {
                    let len = items.len();
                    match index_of(len, *index).and_then(|u| items.get_mut(u)) {
                        Some(item) => item,
                        None => return Err(self.out_of_bounds(i, *index, len)),
                    }
                }
                (_, other) => return Err(self.shape_error(i, kind_of(other))),
            };
        }
        let i = init.len();
        match (last, cur) {
            (Segment::Field(name), Value::Object(map)) => {
                map.insert(name.clone(), value);
                Ok(())
            }
            (Segment::Index(index), Value::Array(items)) => {
                let len = items.len();
                match index_of(len, *index).and_then(|u| items.get_mut(u)) {
                    Some(item) => {
                        *item = value;
                        Ok(())
                    }
                    None => Err(self.out_of_bounds(i, *index, len)),
                }
            }
            (_, other) => Err(self.shape_error(i, kind_of(other))),
        }
    }

    /// Validates an assignment without modifying anything, so that `assign` is atomic.
    fn check_assign(&self, target: &Value) -> Result<(), AssignError> {
        // `None` once a field is missing: the rest of the path will be created.
        let mut cur = Some(target);
        for (i, segment) in self.segments.iter().enumerate() {
            cur = match (segment, cur) {
                (Segment::Field(_), None) => None,
                (Segment::Field(name), Some(Value::Object(map))) => map.get(name),
                (Segment::Index(index), Some(Value::Array(items))) => {
                    match index_of(items.len(), *index) {
                        Some(u) => items.get(u),
                        None => return Err(self.out_of_bounds(i, *index, items.len())),
                    }
                }
                (_, None) => return Err(self.shape_error(i, "missing")),
                (_, Some(other)) => return Err(self.shape_error(i, kind_of(other))),
            };
        }
        Ok(())
    }

    fn shape_error(&self, i: usize, found: &'static str) -> AssignError {
        let path = self.to_string();
        let prefix = self.prefix_text(i);
        match self.segments.get(i) {
            Some(segment @ Segment::Field(_)) => AssignError::NotAnObject {
                path,
                prefix,
                segment: segment.to_string(),
                found,
            },
            Some(segment @ Segment::Index(_)) => AssignError::NotAnArray {
                path,
                prefix,
                segment: segment.to_string(),
                found,
            },
            _ => AssignError::NotReferencePath { path },
        }
    }

    fn out_of_bounds(&self, i: usize, index: i64, len: usize) -> AssignError {
        AssignError::IndexOutOfBounds {
            path: self.to_string(),
            prefix: self.prefix_text(i),
            index,
            len,
        }
    }

    /// The text of the root and the first `n` segments.
    fn prefix_text(&self, n: usize) -> String {
        let mut out = self.root.to_string();
        for segment in self.segments.iter().take(n) {
            // Writing to a String cannot fail.
            let _ = write!(out, "{segment}");
        }
        out
    }
}

impl Segment {
    /// True for [`Segment::Field`] and [`Segment::Index`], the segments that select at most
    /// one node.
    pub fn is_definite(&self) -> bool {
        matches!(self, Segment::Field(_) | Segment::Index(_))
    }
}

// ---------------------------------------------------------------------------------------
// Display
// ---------------------------------------------------------------------------------------

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)?;
        self.segments.iter().try_for_each(|s| write!(f, "{s}"))
    }
}

/// `$`, `$$` or `$name`.
impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Root::Input => f.write_str("$"),
            Root::Context => f.write_str("$$"),
            Root::Variable(name) => write!(f, "${name}"),
        }
    }
}

/// Canonical text of one segment, as it appears after the previous one (`.a`, `['a b']`,
/// `[0]`, `[*]`, `..a`, `[1:2]`, `[?(…)]`).
impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Field(name) if is_simple_name(name) => write!(f, ".{name}"),
            Segment::Field(name) => {
                f.write_char('[')?;
                write_quoted(f, name)?;
                f.write_char(']')
            }
            Segment::Index(i) => write!(f, "[{i}]"),
            Segment::Wildcard => f.write_str("[*]"),
            Segment::Descent(inner) => match inner.as_ref() {
                Segment::Field(name) if is_simple_name(name) => write!(f, "..{name}"),
                Segment::Wildcard => f.write_str("..*"),
                other => write!(f, "..{other}"),
            },
            Segment::Union(members) => {
                f.write_char('[')?;
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    match member {
                        UnionMember::Field(name) => write_quoted(f, name)?,
                        UnionMember::Index(index) => write!(f, "{index}")?,
                    }
                }
                f.write_char(']')
            }
            Segment::Slice { start, end, step } => {
                f.write_char('[')?;
                if let Some(start) = start {
                    write!(f, "{start}")?;
                }
                f.write_char(':')?;
                if let Some(end) = end {
                    write!(f, "{end}")?;
                }
                if let Some(step) = step {
                    write!(f, ":{step}")?;
                }
                f.write_char(']')
            }
            Segment::Filter(expr) => write!(f, "[?({expr})]"),
        }
    }
}

impl fmt::Display for FilterPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterPath::Current(segments) => {
                f.write_char('@')?;
                segments.iter().try_for_each(|s| write!(f, "{s}"))
            }
            FilterPath::Absolute(path) => write!(f, "{path}"),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Path(path) => write!(f, "{path}"),
            Operand::Literal(literal) => write!(f, "{literal}"),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::String(s) => write_quoted(f, s),
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FilterExpr {
    fn precedence(&self) -> u8 {
        match self {
            FilterExpr::Or(..) => 1,
            FilterExpr::And(..) => 2,
            _ => 3,
        }
    }

    fn write_child(f: &mut fmt::Formatter<'_>, child: &FilterExpr, parens: bool) -> fmt::Result {
        if parens {
            write!(f, "({child})")
        } else {
            write!(f, "{child}")
        }
    }
}

/// Canonical text: operators surrounded by single spaces, parentheses only where needed
/// to keep the tree's shape (`&&` binds tighter than `||`; both associate to the left).
impl fmt::Display for FilterExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterExpr::Exists(path) => write!(f, "{path}"),
            FilterExpr::Compare { left, op, right } => write!(f, "{left} {op} {right}"),
            FilterExpr::Not(inner) => match inner.as_ref() {
                FilterExpr::Exists(_) | FilterExpr::Not(_) => write!(f, "!{inner}"),
                _ => write!(f, "!({inner})"),
            },
            FilterExpr::And(a, b) | FilterExpr::Or(a, b) => {
                let own = self.precedence();
                let op = if own == 1 { " || " } else { " && " };
                Self::write_child(f, a, a.precedence() < own)?;
                f.write_str(op)?;
                Self::write_child(f, b, b.precedence() <= own)
            }
        }
    }
}

/// Whether `c` may appear in a dot-notation field name.
fn is_name_char(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '.' | '['
                | ']'
                | '('
                | ')'
                | '\''
                | '"'
                | ','
                | '*'
                | '?'
                | '='
                | '!'
                | '<'
                | '>'
                | '&'
                | '|'
                | '\\'
        ))
}

/// Whether `c` may start a workflow-variable name (`$name`).
fn is_variable_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Whether `c` may continue a workflow-variable name.
fn is_variable_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether an unquoted filter word is accepted as a string literal:
/// `[A-Za-z_][A-Za-z0-9_-]*`.
fn is_bare_string(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether `name` can be written in dot notation.
fn is_simple_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_name_char)
}

/// Writes `s` single-quoted, escaping `'` and `\`.
fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('\'')
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn new(s: &str) -> Self {
        Parser {
            chars: s.chars().collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
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

    /// An error for the current position: `Unexpected` or `UnexpectedEnd`.
    fn error_here(&self, expected: &'static str) -> PathError {
        match self.peek() {
            Some(found) => PathError::Unexpected {
                offset: self.pos,
                found,
                expected,
            },
            None => PathError::UnexpectedEnd {
                offset: self.pos,
                expected,
            },
        }
    }

    fn expect(&mut self, c: char, expected: &'static str) -> Result<(), PathError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here(expected))
        }
    }

    fn root(&mut self) -> Result<Root, PathError> {
        match self.peek() {
            None if self.chars.is_empty() => Err(PathError::Empty),
            Some('$') => {
                self.pos += 1;
                match self.peek() {
                    Some('$') => {
                        self.pos += 1;
                        Ok(Root::Context)
                    }
                    Some(c) if is_variable_start(c) => self.variable_name(),
                    _ => Ok(Root::Input),
                }
            }
            Some(found) => Err(PathError::MissingRoot {
                offset: self.pos,
                found,
            }),
            None => Err(self.error_here("'$'")),
        }
    }

    /// Reads the name of a `$name` root (the caller checked its first character).
    fn variable_name(&mut self) -> Result<Root, PathError> {
        let start = self.pos;
        while self.peek().is_some_and(is_variable_char) {
            self.pos += 1;
        }
        let len = self.pos - start;
        if len > MAX_VARIABLE_NAME_LEN {
            return Err(PathError::VariableNameTooLong { offset: start, len });
        }
        Ok(Root::Variable(self.chars[start..self.pos].iter().collect()))
    }

    fn segments(&mut self) -> Result<Vec<Segment>, PathError> {
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some('.') => segments.push(self.dot_segment()?),
                Some('[') => segments.push(self.bracket_segment()?),
                _ => return Ok(segments),
            }
        }
    }

    fn dot_segment(&mut self) -> Result<Segment, PathError> {
        self.pos += 1; // '.'
        match self.peek() {
            Some('.') => {
                self.pos += 1;
                let inner = match self.peek() {
                    Some('*') => {
                        self.pos += 1;
                        Segment::Wildcard
                    }
                    Some('[') => self.bracket_segment()?,
                    Some(c) if is_name_char(c) => Segment::Field(self.name()),
                    None => return Err(PathError::EmptyName { offset: self.pos }),
                    Some(_) => return Err(self.error_here("a field name, '*' or '[' after '..'")),
                };
                Ok(Segment::Descent(Box::new(inner)))
            }
            Some('*') => {
                self.pos += 1;
                Ok(Segment::Wildcard)
            }
            // Jayway ignores a '.' before a bracket: `$.[0]` is `$[0]`.
            Some('[') => self.bracket_segment(),
            Some(c) if is_name_char(c) => Ok(Segment::Field(self.name())),
            None => Err(PathError::EmptyName { offset: self.pos }),
            Some(_) => Err(self.error_here("a field name, '*', '[' or '.' after '.'")),
        }
    }

    /// Reads a dot-notation name (the caller checked that one character is available).
    fn name(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn close_bracket(&mut self, open: usize) -> Result<(), PathError> {
        self.skip_ws();
        match self.peek() {
            Some(']') => {
                self.pos += 1;
                Ok(())
            }
            None => Err(PathError::UnclosedBracket { offset: open }),
            Some(_) => Err(self.error_here("']'")),
        }
    }

    fn bracket_segment(&mut self) -> Result<Segment, PathError> {
        let open = self.pos;
        self.pos += 1; // '['
        self.skip_ws();
        let segment = match self.peek() {
            Some('*') => {
                self.pos += 1;
                Segment::Wildcard
            }
            Some('?') => {
                self.pos += 1;
                Segment::Filter(self.filter()?)
            }
            Some('\'' | '"') => self.quoted_members()?,
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.numeric_members()?,
            None => return Err(PathError::UnclosedBracket { offset: open }),
            Some(_) => {
                return Err(
                    self.error_here("'*', '?', a quoted name, an index or a slice after '['")
                );
            }
        };
        self.close_bracket(open)?;
        Ok(segment)
    }

    fn quoted_members(&mut self) -> Result<Segment, PathError> {
        let mut names = vec![self.quoted()?];
        loop {
            self.skip_ws();
            if self.peek() != Some(',') {
                break;
            }
            self.pos += 1;
            self.skip_ws();
            match self.peek() {
                Some('\'' | '"') => names.push(self.quoted()?),
                Some(c) if c == '-' || c.is_ascii_digit() => {
                    return Err(PathError::MixedUnion { offset: self.pos });
                }
                _ => return Err(self.error_here("a quoted name after ','")),
            }
        }
        if names.len() == 1 {
            Ok(Segment::Field(names.remove(0)))
        } else {
            Ok(Segment::Union(
                names.into_iter().map(UnionMember::Field).collect(),
            ))
        }
    }

    fn numeric_members(&mut self) -> Result<Segment, PathError> {
        let first = self.optional_int()?;
        self.skip_ws();
        match (self.peek(), first) {
            (Some(':'), _) => {
                self.pos += 1;
                self.skip_ws();
                let end = self.optional_int()?;
                self.skip_ws();
                let step = if self.peek() == Some(':') {
                    self.pos += 1;
                    self.skip_ws();
                    let at = self.pos;
                    let step = self.optional_int()?;
                    if step == Some(0) {
                        return Err(PathError::ZeroStep { offset: at });
                    }
                    step
                } else {
                    None
                };
                Ok(Segment::Slice {
                    start: first,
                    end,
                    step,
                })
            }
            (Some(','), Some(first)) => {
                let mut indexes = vec![first];
                while self.peek() == Some(',') {
                    self.pos += 1;
                    self.skip_ws();
                    match self.peek() {
                        Some(c) if c == '-' || c.is_ascii_digit() => indexes.push(self.int()?),
                        Some('\'' | '"') => return Err(PathError::MixedUnion { offset: self.pos }),
                        _ => return Err(self.error_here("an index after ','")),
                    }
                    self.skip_ws();
                }
                Ok(Segment::Union(
                    indexes.into_iter().map(UnionMember::Index).collect(),
                ))
            }
            (_, Some(index)) => Ok(Segment::Index(index)),
            (_, None) => Err(self.error_here("an index")),
        }
    }

    fn optional_int(&mut self) -> Result<Option<i64>, PathError> {
        match self.peek() {
            Some(c) if c == '-' || c.is_ascii_digit() => self.int().map(Some),
            _ => Ok(None),
        }
    }

    fn int(&mut self) -> Result<i64, PathError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            return Err(self.error_here("a digit"));
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse().map_err(|_| PathError::InvalidNumber {
            offset: start,
            text,
        })
    }

    /// Reads a quoted string starting at the current quote character.
    fn quoted(&mut self) -> Result<String, PathError> {
        let start = self.pos;
        let quote = self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(PathError::UnterminatedString { offset: start }),
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '"' | '\\')) => out.push(c),
                    Some(found) => {
                        return Err(PathError::InvalidEscape {
                            offset: self.pos - 2,
                            found,
                        });
                    }
                    None => return Err(PathError::UnterminatedString { offset: start }),
                },
                Some(c) if Some(c) == quote => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    // -- filters ---------------------------------------------------------------------------

    fn filter(&mut self) -> Result<FilterExpr, PathError> {
        self.skip_ws();
        self.expect('(', "'(' after '[?'")?;
        let expr = self.or_expr(1)?;
        self.skip_ws();
        self.expect(')', "')' closing the filter expression")?;
        Ok(expr)
    }

    fn or_expr(&mut self, depth: usize) -> Result<FilterExpr, PathError> {
        let mut left = self.and_expr(depth)?;
        loop {
            self.skip_ws();
            if !self.starts_with("||") {
                return Ok(left);
            }
            self.pos += 2;
            let right = self.and_expr(depth)?;
            left = FilterExpr::Or(Box::new(left), Box::new(right));
        }
    }

    fn and_expr(&mut self, depth: usize) -> Result<FilterExpr, PathError> {
        let mut left = self.unary(depth)?;
        loop {
            self.skip_ws();
            if !self.starts_with("&&") {
                return Ok(left);
            }
            self.pos += 2;
            let right = self.unary(depth)?;
            left = FilterExpr::And(Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self, depth: usize) -> Result<FilterExpr, PathError> {
        self.skip_ws();
        if depth > MAX_FILTER_DEPTH {
            return Err(PathError::TooDeep { offset: self.pos });
        }
        if self.peek() == Some('!') && self.peek_at(1) != Some('=') {
            self.pos += 1;
            return Ok(FilterExpr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some('(') {
            self.pos += 1;
            let inner = self.or_expr(depth + 1)?;
            self.skip_ws();
            self.expect(')', "')'")?;
            return Ok(inner);
        }
        let start = self.pos;
        let left = self.operand()?;
        self.skip_ws();
        match self.compare_op()? {
            Some(op) => {
                self.skip_ws();
                let right = self.operand()?;
                Ok(FilterExpr::Compare { left, op, right })
            }
            None => match left {
                Operand::Path(path) => Ok(FilterExpr::Exists(path)),
                Operand::Literal(_) => Err(PathError::BareLiteral { offset: start }),
            },
        }
    }

    fn compare_op(&mut self) -> Result<Option<CompareOp>, PathError> {
        let offset = self.pos;
        let (op, len) = match (self.peek(), self.peek_at(1)) {
            (Some('='), Some('=')) => (CompareOp::Eq, 2),
            (Some('!'), Some('=')) => (CompareOp::Ne, 2),
            (Some('<'), Some('=')) => (CompareOp::Le, 2),
            (Some('>'), Some('=')) => (CompareOp::Ge, 2),
            (Some('<'), _) => (CompareOp::Lt, 1),
            (Some('>'), _) => (CompareOp::Gt, 1),
            (Some('='), Some('~')) => {
                return Err(PathError::UnsupportedOperator {
                    offset,
                    operator: "=~".to_owned(),
                });
            }
            (Some('='), _) => {
                return Err(self.error_here("'==' (a single '=' is not an operator)"));
            }
            (Some(c), _) if c.is_alphabetic() => {
                let operator = self.word();
                return Err(PathError::UnsupportedOperator { offset, operator });
            }
            _ => return Ok(None),
        };
        self.pos += len;
        Ok(Some(op))
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// Reads an unquoted filter word: letters, digits, `_` and `-`.
    fn bare_word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn operand(&mut self) -> Result<Operand, PathError> {
        let start = self.pos;
        match self.peek() {
            Some('@') => {
                self.pos += 1;
                Ok(Operand::Path(FilterPath::Current(
                    self.definite_segments()?,
                )))
            }
            Some('$') => {
                let root = self.root()?;
                let segments = self.definite_segments()?;
                Ok(Operand::Path(FilterPath::Absolute(JsonPath {
                    root,
                    segments,
                })))
            }
            Some('\'' | '"') => Ok(Operand::Literal(Literal::String(self.quoted()?))),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number().map(Operand::Literal),
            Some(c) if c.is_alphabetic() || c == '_' => match self.bare_word().as_str() {
                "true" => Ok(Operand::Literal(Literal::Bool(true))),
                "false" => Ok(Operand::Literal(Literal::Bool(false))),
                "null" => Ok(Operand::Literal(Literal::Null)),
                // Jayway compares an unquoted word as a string (`@.Type == AMOUNT_PAID`).
                word if is_bare_string(word) => {
                    Ok(Operand::Literal(Literal::String(word.to_owned())))
                }
                word => Err(PathError::UnknownLiteral {
                    offset: start,
                    word: word.to_owned(),
                }),
            },
            _ => Err(self
                .error_here("'@', '$', a quoted string, a number, true, false, null, '!' or '('")),
        }
    }

    fn number(&mut self) -> Result<Literal, PathError> {
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
        let text: String = self.chars[start..self.pos].iter().collect();
        Number::from_str(&text)
            .map(Literal::Number)
            .map_err(|_| PathError::InvalidNumber {
                offset: start,
                text,
            })
    }

    /// Segments of a filter path: field names and indexes only.
    fn definite_segments(&mut self) -> Result<Vec<Segment>, PathError> {
        let mut segments = Vec::new();
        loop {
            let at = self.pos;
            match self.peek() {
                // Jayway ignores a '.' before a bracket: `@.[0]` is `@[0]`.
                Some('.') if self.peek_at(1) == Some('[') => self.pos += 1,
                Some('.') => match self.peek_at(1) {
                    Some(c) if is_name_char(c) => {
                        self.pos += 1;
                        segments.push(Segment::Field(self.name()));
                    }
                    Some('.' | '*') => return Err(PathError::IndefiniteFilterPath { offset: at }),
                    None => return Err(PathError::EmptyName { offset: at + 1 }),
                    Some(_) => {
                        self.pos += 1;
                        return Err(self.error_here("a field name after '.'"));
                    }
                },
                Some('[') => {
                    self.pos += 1;
                    self.skip_ws();
                    let segment = match self.peek() {
                        Some('\'' | '"') => Segment::Field(self.quoted()?),
                        Some(c) if c == '-' || c.is_ascii_digit() => Segment::Index(self.int()?),
                        Some('*' | '?' | ':') => {
                            return Err(PathError::IndefiniteFilterPath { offset: at });
                        }
                        None => return Err(PathError::UnclosedBracket { offset: at }),
                        Some(_) => return Err(self.error_here("a quoted name or an index")),
                    };
                    self.skip_ws();
                    if matches!(self.peek(), Some(',' | ':')) {
                        return Err(PathError::IndefiniteFilterPath { offset: at });
                    }
                    self.close_bracket(at)?;
                    segments.push(segment);
                }
                _ => return Ok(segments),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

/// Whether `root` is a variable missing from `variables`.
fn eval_start_unbound(root: &Root, variables: &Map<String, Value>) -> bool {
    matches!(root, Root::Variable(name) if !variables.contains_key(name))
}

/// The length of `value` as compact JSON when it is at most `limit` bytes; `None` as soon
/// as it is known to be longer (the count stops there, so the work is bounded by `limit`).
pub fn json_len_within(value: &Value, limit: usize) -> Option<usize> {
    struct Budget {
        used: usize,
        limit: usize,
    }
    impl std::io::Write for Budget {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.used += buf.len();
            if self.used > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut budget = Budget { used: 0, limit };
    serde_json::to_writer(&mut budget, value).ok()?;
    Some(budget.used)
}

struct Eval<'a> {
    data: &'a Value,
    context: &'a Value,
    variables: &'a Map<String, Value>,
}

impl<'a> Eval<'a> {
    /// The node a root refers to; `None` for an unset variable.
    fn start(&self, root: &Root) -> Option<&'a Value> {
        match root {
            Root::Input => Some(self.data),
            Root::Context => Some(self.context),
            Root::Variable(name) => self.variables.get(name),
        }
    }

    /// Applies every segment of `path`, starting from `start`.
    fn matches(&self, path: &JsonPath, start: &'a Value) -> Vec<&'a Value> {
        let mut nodes = vec![start];
        for segment in &path.segments {
            let mut next = Vec::new();
            for node in nodes {
                self.apply(segment, node, &mut next);
            }
            nodes = next;
        }
        nodes
    }

    fn apply(&self, segment: &Segment, node: &'a Value, out: &mut Vec<&'a Value>) {
        match segment {
            Segment::Field(_) | Segment::Index(_) => out.extend(step_definite(segment, node)),
            Segment::Wildcard => match node {
                Value::Object(map) => out.extend(map.values()),
                Value::Array(items) => out.extend(items),
                _ => {}
            },
            Segment::Union(members) => {
                for member in members {
                    let found = match member {
                        UnionMember::Field(name) => node.as_object().and_then(|m| m.get(name)),
                        UnionMember::Index(index) => array_get(node, *index),
                    };
                    out.extend(found);
                }
            }
            Segment::Slice { start, end, step } => {
                if let Value::Array(items) = node {
                    for i in slice_indices(items.len(), *start, *end, *step) {
                        out.extend(items.get(i));
                    }
                }
            }
            Segment::Filter(expr) => match node {
                Value::Array(items) => {
                    out.extend(items.iter().filter(|item| self.test(expr, item)));
                }
                Value::Object(_) if self.test(expr, node) => out.push(node),
                _ => {}
            },
            Segment::Descent(inner) => self.descend(inner, node, out),
        }
    }

    fn descend(&self, inner: &Segment, node: &'a Value, out: &mut Vec<&'a Value>) {
        match inner {
            Segment::Filter(expr) => {
                if node.is_object() && self.test(expr, node) {
                    out.push(node);
                }
            }
            _ => self.apply(inner, node, out),
        }
        match node {
            Value::Object(map) => map.values().for_each(|v| self.descend(inner, v, out)),
            Value::Array(items) => items.iter().for_each(|v| self.descend(inner, v, out)),
            _ => {}
        }
    }

    fn resolve(&self, path: &FilterPath, current: &'a Value) -> Option<&'a Value> {
        let (start, segments) = match path {
            FilterPath::Current(segments) => (current, segments.as_slice()),
            FilterPath::Absolute(path) => (self.start(&path.root)?, path.segments.as_slice()),
        };
        segments
            .iter()
            .try_fold(start, |node, segment| step_definite(segment, node))
    }

    fn operand(&self, operand: &Operand, current: &'a Value) -> Option<Cow<'a, Value>> {
        match operand {
            Operand::Path(path) => self.resolve(path, current).map(Cow::Borrowed),
            Operand::Literal(literal) => Some(Cow::Owned(literal.to_value())),
        }
    }

    fn test(&self, expr: &FilterExpr, current: &'a Value) -> bool {
        match expr {
            FilterExpr::Exists(path) => self.resolve(path, current).is_some(),
            FilterExpr::Not(inner) => !self.test(inner, current),
            FilterExpr::And(a, b) => self.test(a, current) && self.test(b, current),
            FilterExpr::Or(a, b) => self.test(a, current) || self.test(b, current),
            FilterExpr::Compare { left, op, right } => {
                let left = self.operand(left, current);
                let right = self.operand(right, current);
                compare(left.as_deref(), *op, right.as_deref())
            }
        }
    }
}

fn compare(left: Option<&Value>, op: CompareOp, right: Option<&Value>) -> bool {
    let (Some(a), Some(b)) = (left, right) else {
        return op == CompareOp::Ne;
    };
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match op {
        CompareOp::Eq => json_eq(a, b, ordering),
        CompareOp::Ne => !json_eq(a, b, ordering),
        CompareOp::Lt => ordering == Some(Ordering::Less),
        CompareOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => ordering == Some(Ordering::Greater),
        CompareOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn json_eq(a: &Value, b: &Value, ordering: Option<Ordering>) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => ordering == Some(Ordering::Equal),
        _ => a == b,
    }
}

/// Numeric comparison that is exact for integers and falls back to `f64` otherwise.
pub(crate) fn compare_numbers(x: &Number, y: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return Some(a.cmp(&b));
    }
    x.as_f64()?.partial_cmp(&y.as_f64()?)
}

/// Applies a Field or Index segment; `None` for anything else or no match.
fn step_definite<'a>(segment: &Segment, node: &'a Value) -> Option<&'a Value> {
    match segment {
        Segment::Field(name) => node.as_object()?.get(name),
        Segment::Index(index) => array_get(node, *index),
        _ => None,
    }
}

fn array_get(node: &Value, index: i64) -> Option<&Value> {
    let items = node.as_array()?;
    items.get(index_of(items.len(), index)?)
}

/// Resolves a possibly negative index against an array length.
fn index_of(len: usize, index: i64) -> Option<usize> {
    if index >= 0 {
        usize::try_from(index).ok().filter(|&i| i < len)
    } else {
        usize::try_from(index.unsigned_abs())
            .ok()
            .filter(|&back| back <= len)
            .map(|back| len - back)
    }
}

/// The indexes a Python-style slice selects from an array of length `len`.
fn slice_indices(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Vec<usize> {
    let step = i128::from(step.unwrap_or(1));
    let len = i128::try_from(len).unwrap_or(i128::MAX);
    let normalise = |v: i64| {
        let v = i128::from(v);
        if v < 0 { v + len } else { v }
    };
    let mut out = Vec::new();
    let mut push = |i: i128| {
        if let Ok(i) = usize::try_from(i) {
            out.push(i);
        }
    };
    if step > 0 {
        let mut i = start.map_or(0, normalise).clamp(0, len);
        let hi = end.map_or(len, normalise).clamp(0, len);
        while i < hi {
            push(i);
            i += step;
        }
    } else if step < 0 {
        let mut i = start.map_or(len - 1, normalise).clamp(-1, len - 1);
        let lo = end.map_or(-1, |e| normalise(e).clamp(-1, len - 1));
        while i > lo {
            push(i);
            i += step;
        }
    }
    out
}

/// A short description of a value's type for error messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> JsonPath {
        match parse(s) {
            Ok(path) => path,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn field(name: &str) -> Segment {
        Segment::Field(name.to_owned())
    }

    fn store() -> Value {
        json!({
            "store": {
                "book": [
                    { "category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95 },
                    { "category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99, "tags": ["war", "y"] },
                    { "category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99, "tags": ["y"] },
                    { "category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99 }
                ],
                "bicycle": { "color": "red", "price": 19.95 }
            },
            "expensive": 10
        })
    }

    fn sel(path: &str, data: &Value) -> Value {
        match p(path).select(data, &json!({})) {
            Ok(v) => v,
            Err(e) => panic!("{path} should select: {e}"),
        }
    }

    fn round_trip(s: &str) -> JsonPath {
        let path = p(s);
        let text = path.to_string();
        assert_eq!(
            parse(&text),
            Ok(path.clone()),
            "{s:?} displayed as {text:?}"
        );
        path
    }

    // -- parsing and Display ---------------------------------------------------------------

    #[test]
    fn parses_roots() {
        assert_eq!(p("$"), JsonPath::new(Root::Input, vec![]));
        assert_eq!(p("$$"), JsonPath::new(Root::Context, vec![]));
        assert_eq!(
            p("$$.Execution.Id").segments(),
            &[field("Execution"), field("Id")]
        );
        assert_eq!(p("$$.Map.Item.Value").root(), Root::Context);
        assert!(p("$").is_root());
    }

    #[test]
    fn parses_every_segment_kind() {
        assert_eq!(p("$.a").segments(), &[field("a")]);
        assert_eq!(p("$['a b']").segments(), &[field("a b")]);
        assert_eq!(p("$[\"x.y\"]").segments(), &[field("x.y")]);
        assert_eq!(p("$['it\\'s']").segments(), &[field("it's")]);
        assert_eq!(p("$[\"q\\\"\\\\\"]").segments(), &[field("q\"\\")]);
        assert_eq!(p("$['']").segments(), &[field("")]);
        assert_eq!(p("$[3]").segments(), &[Segment::Index(3)]);
        assert_eq!(p("$[-1]").segments(), &[Segment::Index(-1)]);
        assert_eq!(p("$.*").segments(), &[Segment::Wildcard]);
        assert_eq!(p("$[*]").segments(), &[Segment::Wildcard]);
        assert_eq!(
            p("$..name").segments(),
            &[Segment::Descent(Box::new(field("name")))]
        );
        assert_eq!(
            p("$..*").segments(),
            &[Segment::Descent(Box::new(Segment::Wildcard))]
        );
        assert_eq!(
            p("$..[0]").segments(),
            &[Segment::Descent(Box::new(Segment::Index(0)))]
        );
        assert_eq!(
            p("$[0, 1]").segments(),
            &[Segment::Union(vec![
                UnionMember::Index(0),
                UnionMember::Index(1)
            ])]
        );
        assert_eq!(
            p("$['a','b']").segments(),
            &[Segment::Union(vec![
                UnionMember::Field("a".into()),
                UnionMember::Field("b".into())
            ])]
        );
        assert_eq!(
            p("$[1:3]").segments(),
            &[Segment::Slice {
                start: Some(1),
                end: Some(3),
                step: None
            }]
        );
        assert_eq!(
            p("$[:2]").segments(),
            &[Segment::Slice {
                start: None,
                end: Some(2),
                step: None
            }]
        );
        assert_eq!(
            p("$[::2]").segments(),
            &[Segment::Slice {
                start: None,
                end: None,
                step: Some(2)
            }]
        );
        assert_eq!(
            p("$[-2:]").segments(),
            &[Segment::Slice {
                start: Some(-2),
                end: None,
                step: None
            }]
        );
        let book = p("$.book[?(@.price < 10)]");
        let Segment::Filter(expr) = &book.segments()[1] else {
            panic!("expected a filter");
        };
        assert_eq!(
            expr,
            &FilterExpr::Compare {
                left: Operand::Path(FilterPath::Current(vec![field("price")])),
                op: CompareOp::Lt,
                right: Operand::Literal(Literal::Number(10.into())),
            }
        );
        assert_eq!(
            p("$[?(@.isbn)]").segments(),
            &[Segment::Filter(FilterExpr::Exists(FilterPath::Current(
                vec![field("isbn")]
            )))]
        );
    }

    #[test]
    fn dot_names_are_permissive() {
        assert_eq!(
            p("$.a-b.$c.@d.1x._e:f").segments(),
            &[
                field("a-b"),
                field("$c"),
                field("@d"),
                field("1x"),
                field("_e:f")
            ]
        );
        assert_eq!(p("$.héllo").segments(), &[field("héllo")]);
    }

    #[test]
    fn filter_precedence_and_grouping() {
        let mixed = p("$[?(@.a || @.b && !@.c)]");
        let Segment::Filter(expr) = &mixed.segments()[0] else {
            panic!("expected a filter");
        };
        let exists = |n: &str| FilterExpr::Exists(FilterPath::Current(vec![field(n)]));
        assert_eq!(
            expr,
            &FilterExpr::Or(
                Box::new(exists("a")),
                Box::new(FilterExpr::And(
                    Box::new(exists("b")),
                    Box::new(FilterExpr::Not(Box::new(exists("c"))))
                ))
            )
        );
        let grouped_path = p("$[?((@.a || @.b) && @.c)]");
        let Segment::Filter(grouped) = &grouped_path.segments()[0] else {
            panic!("expected a filter");
        };
        assert!(matches!(grouped, FilterExpr::And(a, _) if matches!(**a, FilterExpr::Or(..))));
    }

    #[test]
    fn display_round_trips() {
        let cases = [
            "$",
            "$$",
            "$.a.b",
            "$$.Execution.Id",
            "$['a b']",
            "$['x.y']",
            "$[\"dq\"]",
            "$['it\\'s \\\\ ok']",
            "$['']",
            "$[3][-1]",
            "$.*",
            "$[*].id",
            "$..name",
            "$..*",
            "$..[0]",
            "$..['a b']",
            "$..['a','b']",
            "$..[?(@.x)]",
            "$[0,1, 2]",
            "$['a', \"b\"]",
            "$[1:3]",
            "$[:2]",
            "$[1:]",
            "$[:]",
            "$[::2]",
            "$[-1:0:-1]",
            "$[?(@.price < 10)]",
            "$[?(@.isbn)]",
            "$[?(@.a == 'x' && @.b > 2)]",
            "$[?(@.tags[0] == \"y\")]",
            "$[?(@.a || @.b && !@.c)]",
            "$[?((@.a || @.b) && @.c)]",
            "$[?(@.a && (@.b && @.c))]",
            "$[?(!(@.a == 1))]",
            "$[?(!!@.a)]",
            "$[?(@['x y'] != null)]",
            "$[?(@.n >= -1.5e3 || @.m <= 2.0)]",
            "$[?(@ == true || @ == false)]",
            "$[?(@.price > $.expensive)]",
            "$[?(@.id == $$.Map.Item.Index)]",
            "$[?(@.s == 'a\\'b')]",
        ];
        for case in cases {
            round_trip(case);
        }
        assert_eq!(p("$['a b'].c[*]").to_string(), "$['a b'].c[*]");
        assert_eq!(p("$[\"x\"]").to_string(), "$.x");
        assert_eq!(p("$.*").to_string(), "$[*]");
        assert_eq!(p("$[ 0 , 1 ]").to_string(), "$[0,1]");
        assert_eq!(p("$[?(@.a==1&&@.b)]").to_string(), "$[?(@.a == 1 && @.b)]");
        assert_eq!("$.a".parse::<JsonPath>(), Ok(p("$.a")));
    }

    #[test]
    fn invalid_paths_report_offsets() {
        let cases: &[(&str, Option<usize>)] = &[
            ("", None),
            ("a.b", Some(0)),
            (" $.a", Some(0)),
            ("$.", Some(2)),
            ("$..", Some(3)),
            ("$.a.", Some(4)),
            ("$a-b", Some(2)),
            ("$1a", Some(1)),
            ("$.a b", Some(3)),
            ("$.a ", Some(3)),
            ("$['a'", Some(1)),
            ("$[0", Some(1)),
            ("$.a]", Some(3)),
            ("$['a]", Some(2)),
            ("$['a\\n']", Some(4)),
            ("$[]", Some(2)),
            ("$[abc]", Some(2)),
            ("$[0:1:0]", Some(6)),
            ("$[0,'a']", Some(4)),
            ("$['a',0]", Some(6)),
            ("$[99999999999999999999]", Some(2)),
            ("$...a", Some(3)),
            ("$.[", Some(2)),
            ("$.[]", Some(3)),
            ("$.a.[x]", Some(5)),
            ("$...[0]", Some(3)),
            ("$[?(@.a =~ /x/)]", Some(8)),
            ("$[?(@.a in ['x'])]", Some(8)),
            ("$[?(@.a = 1)]", Some(8)),
            ("$[?(@.a == héllo)]", Some(11)),
            ("$[?(@.a == é)]", Some(11)),
            ("$[?(AMOUNT_PAID)]", Some(4)),
            ("$[?(@.a == 'x' || FOO)]", Some(18)),
            ("$[?(@.a[*])]", Some(7)),
            ("$[?(@..a)]", Some(5)),
            ("$[?(1)]", Some(4)),
            ("$[?(@.a == 1]", Some(12)),
            ("$[?@.a]", Some(3)),
            ("$[?(@.a == 1.)]", Some(11)),
            ("$.length()", Some(8)),
            ("$$$", Some(2)),
            ("$[1:2:3:4]", Some(7)),
        ];
        for (input, offset) in cases {
            match parse(input) {
                Ok(path) => panic!("{input:?} should be rejected, parsed as {path:?}"),
                Err(e) => {
                    assert_eq!(e.offset(), *offset, "{input:?}: {e}");
                    let message = e.to_string();
                    if let Some(offset) = offset {
                        assert!(
                            message.contains(&format!("offset {offset}")),
                            "{input:?}: {message}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        let msg = |s: &str| parse(s).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg("a").contains("must start with '$'"));
        assert!(msg("$.a.").contains("empty field name"));
        assert!(msg("$['a'").contains("unclosed '['"));
        assert!(msg("$['a").contains("unterminated string"));
        assert!(msg("$[?(@.a =~ /x/)]").contains("unsupported filter operator \"=~\""));
        assert!(msg("$[1:2:0]").contains("step must not be zero"));
        let deep = format!("$[?({}@.a{})]", "(".repeat(100), ")".repeat(100));
        assert!(msg(&deep).contains("nested more than"));
    }

    #[test]
    fn reference_and_definite_predicates() {
        assert!(p("$").is_reference_path());
        assert!(p("$.a.b[0]['c d']").is_reference_path());
        assert!(!p("$.a[-1]").is_reference_path());
        assert!(p("$.a[-1]").is_definite());
        for indefinite in ["$.*", "$..a", "$[0,1]", "$[1:2]", "$[?(@.a)]"] {
            assert!(!p(indefinite).is_definite(), "{indefinite}");
            assert!(!p(indefinite).is_reference_path(), "{indefinite}");
        }
    }

    // -- workflow variables ----------------------------------------------------------------

    fn var(name: &str) -> Root {
        Root::Variable(name.to_owned())
    }

    #[test]
    fn parses_variable_roots() {
        assert_eq!(p("$orderId"), JsonPath::new(var("orderId"), vec![]));
        assert_eq!(
            p("$order.items[0].sku"),
            JsonPath::new(
                var("order"),
                vec![field("items"), Segment::Index(0), field("sku")]
            )
        );
        assert_eq!(p("$_x1['a b']").root(), var("_x1"));
        assert_eq!(p("$_x1['a b']").segments(), &[field("a b")]);
        assert_eq!(p("$héllo").root(), var("héllo"));
        assert_eq!(p("$v[*]").segments(), &[Segment::Wildcard]);
        assert_eq!(p("$orderId").root().variable(), Some("orderId"));
        assert_eq!(p("$orderId").root_ref(), &var("orderId"));
        assert_eq!(Root::Input.variable(), None);
        assert!(p("$orderId").is_root());
        // `$`, `$$`, `$.` and `$[` keep their meaning.
        assert_eq!(p("$").root(), Root::Input);
        assert_eq!(p("$$").root(), Root::Context);
        assert!(matches!(
            parse("$$abc"),
            Err(PathError::Unexpected { offset: 2, .. })
        ));
        assert_eq!(p("$.orderId").root(), Root::Input);
        assert_eq!(p("$['orderId']").root(), Root::Input);
        assert_eq!(p("$$.Execution").root(), Root::Context);
        // A field named like a variable is still a field.
        assert_eq!(p("$.a.$b").segments(), &[field("a"), field("$b")]);
        // The reference-path rule ignores the root; `ResultPath` checks it separately.
        assert!(p("$x.a").is_reference_path());
        assert_ne!(p("$x.a").root(), Root::Input);
        // Filters may refer to variables.
        let filtered = p("$.items[?(@.price > $limit.max)]");
        let Segment::Filter(FilterExpr::Compare { right, .. }) = &filtered.segments()[1] else {
            panic!("expected a comparison filter");
        };
        assert_eq!(
            right,
            &Operand::Path(FilterPath::Absolute(JsonPath::new(
                var("limit"),
                vec![field("max")]
            )))
        );
    }

    #[test]
    fn variable_name_length_limit() {
        let longest = format!("${}", "v".repeat(MAX_VARIABLE_NAME_LEN));
        assert_eq!(p(&longest).root(), var(&"v".repeat(MAX_VARIABLE_NAME_LEN)));
        let too_long = format!("${}.a", "v".repeat(MAX_VARIABLE_NAME_LEN + 1));
        let err = parse(&too_long);
        assert_eq!(
            err,
            Err(PathError::VariableNameTooLong {
                offset: 1,
                len: MAX_VARIABLE_NAME_LEN + 1
            })
        );
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("at most 80"), "{message}");
        assert!(message.contains("offset 1"), "{message}");
        let in_filter = format!("$[?(@ == ${})]", "v".repeat(MAX_VARIABLE_NAME_LEN + 1));
        assert!(matches!(
            parse(&in_filter),
            Err(PathError::VariableNameTooLong { offset: 10, .. })
        ));
    }

    #[test]
    fn variable_paths_round_trip() {
        for case in [
            "$orderId",
            "$order.items[0].sku",
            "$_x['a b'][-1]",
            "$v[*].id",
            "$v..name",
            "$v[?(@.a == $w.b)]",
            "$.items[?(@.id == $orderId)]",
            "$.items[?($flag)]",
        ] {
            let path = round_trip(case);
            assert!(
                matches!(path.root(), Root::Variable(_) | Root::Input),
                "{case}"
            );
        }
        assert_eq!(p("$order['items'][0]").to_string(), "$order.items[0]");
        assert_eq!(var("x").to_string(), "$x");
    }

    fn variables() -> Map<String, Value> {
        let Value::Object(map) = json!({
            "orderId": "o-1",
            "order": { "items": [{ "sku": "A" }, { "sku": "B", "n": 3 }] },
            "limit": 2,
        }) else {
            unreachable!()
        };
        map
    }

    #[test]
    fn select_with_variables() {
        let vars = variables();
        let data = json!({ "n": [1, 2, 3], "orderId": "from-input" });
        let ctx = json!({ "Map": { "Item": { "Index": 1 } } });
        let get = |s: &str| p(s).select_with(&data, &ctx, &vars);
        assert_eq!(get("$orderId"), Ok(json!("o-1")));
        assert_eq!(get("$.orderId"), Ok(json!("from-input")));
        assert_eq!(get("$order.items[1].sku"), Ok(json!("B")));
        assert_eq!(get("$order.items[-1].n"), Ok(json!(3)));
        assert_eq!(get("$order.items[*].sku"), Ok(json!(["A", "B"])));
        assert_eq!(get("$order..sku"), Ok(json!(["A", "B"])));
        assert_eq!(get("$.n[?(@ > $limit)]"), Ok(json!([3])));
        assert_eq!(get("$order.items[?(@.n)].sku"), Ok(json!(["B"])));
        assert_eq!(
            get("$order.items[5]"),
            Err(SelectError::NoMatch {
                path: "$order.items[5]".into(),
                prefix: "$order.items".into(),
                segment: "[5]".into(),
                found: "an array",
            })
        );
        // Unset variables: an error at the root, a missing operand inside filters.
        assert_eq!(
            get("$nope.a"),
            Err(SelectError::UnboundVariable {
                path: "$nope.a".into(),
                name: "nope".into(),
            })
        );
        assert_eq!(get("$nope[*]").ok(), None);
        assert_eq!(get("$.n[?(@ == $nope)]"), Ok(json!([])));
        assert_eq!(get("$.n[?(@ != $nope)]"), Ok(json!([1, 2, 3])));
        assert_eq!(get("$.n[?($nope)]"), Ok(json!([])));
        // `select` has no variables.
        let message = p("$orderId")
            .select(&data, &ctx)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("variable $orderId"), "{message}");
        // `matches` / `matches_with`.
        assert!(p("$orderId").matches(&data, &ctx).is_empty());
        assert_eq!(
            p("$order.items[*].sku").matches_with(&data, &ctx, &vars),
            vec![&json!("A"), &json!("B")]
        );
        assert!(p("$nope").matches_with(&data, &ctx, &vars).is_empty());
        assert_eq!(
            p("$.n[0]").matches_with(&data, &ctx, &vars),
            vec![&json!(1)]
        );
    }

    #[test]
    fn assign_refuses_variables() {
        let mut doc = json!({ "a": 1 });
        assert_eq!(
            p("$result.x").assign(&mut doc, json!(0)),
            Err(AssignError::VariableRoot {
                path: "$result.x".into()
            })
        );
        assert!(p("$result").assign(&mut doc, json!(0)).is_err());
        assert_eq!(doc, json!({ "a": 1 }));
    }

    // -- Jayway's `.` before a bracket -----------------------------------------------------

    #[test]
    fn dot_before_bracket_is_ignored() {
        let same = [
            ("$.[0]", "$[0]"),
            ("$.Snapshots.[0].State", "$.Snapshots[0].State"),
            ("$.[?(@.OU > 0)]", "$[?(@.OU > 0)]"),
            ("$.[*].['bucket', 'key']", "$[*]['bucket','key']"),
            ("$.['a b']", "$['a b']"),
            ("$.a.[1:2]", "$.a[1:2]"),
            ("$.a.[0,1]", "$.a[0,1]"),
            ("$$.[0]", "$$[0]"),
            ("$v.[0]", "$v[0]"),
            ("$[?(@.[0] == 1)]", "$[?(@[0] == 1)]"),
            ("$[?(@.a.['b c'] == $.[0])]", "$[?(@.a['b c'] == $[0])]"),
            ("$..a.[0]", "$..a[0]"),
        ];
        for (dotted, plain) in same {
            assert_eq!(p(dotted), p(plain), "{dotted}");
            assert_eq!(p(dotted).to_string(), p(plain).to_string(), "{dotted}");
            round_trip(dotted);
        }
        assert_eq!(
            p("$.Snapshots.[0].State").to_string(),
            "$.Snapshots[0].State"
        );
        assert_eq!(
            p("$.[*].['bucket', 'key']").to_string(),
            "$[*]['bucket','key']"
        );
        // `..[` is still a descent.
        assert_eq!(
            p("$..[0]").segments(),
            &[Segment::Descent(Box::new(Segment::Index(0)))]
        );
        let data =
            json!({ "Snapshots": [{ "State": "completed" }], "l": [{ "OU": 1 }, { "OU": 0 }] });
        assert_eq!(sel("$.Snapshots.[0].State", &data), json!("completed"));
        assert_eq!(sel("$.l.[?(@.OU > 0)]", &data), json!([{ "OU": 1 }]));
        let pairs = json!([{ "bucket": "b", "key": "k", "x": 1 }]);
        assert_eq!(sel("$.[*].['bucket', 'key']", &pairs), json!(["b", "k"]));
        assert_eq!(sel("$.[0]", &pairs), pairs[0]);
    }

    // -- bare-word string literals in filters -----------------------------------------------

    fn filter_of(path: &JsonPath) -> &FilterExpr {
        match path.segments().last() {
            Some(Segment::Filter(expr)) => expr,
            other => panic!("expected a filter, found {other:?}"),
        }
    }

    #[test]
    fn bare_words_are_string_literals() {
        let textract = p("$.SummaryFields[?(@.Type.Text==AMOUNT_PAID)]");
        assert_eq!(
            filter_of(&textract),
            &FilterExpr::Compare {
                left: Operand::Path(FilterPath::Current(vec![field("Type"), field("Text")])),
                op: CompareOp::Eq,
                right: Operand::Literal(Literal::String("AMOUNT_PAID".into())),
            }
        );
        assert_eq!(
            textract.to_string(),
            "$.SummaryFields[?(@.Type.Text == 'AMOUNT_PAID')]"
        );
        assert_eq!(
            p("$[?(@.a == 'AMOUNT_PAID')]"),
            p("$[?(@.a == AMOUNT_PAID)]")
        );
        let left = p("$[?(Receipt == @.Name)]");
        assert!(matches!(
            filter_of(&left),
            FilterExpr::Compare { left: Operand::Literal(Literal::String(w)), .. } if w == "Receipt"
        ));
        for (word, expected) in [
            ("_x", Literal::String("_x".into())),
            ("a-b-1", Literal::String("a-b-1".into())),
            ("yes", Literal::String("yes".into())),
            ("True", Literal::String("True".into())),
            ("nullable", Literal::String("nullable".into())),
            ("true", Literal::Bool(true)),
            ("false", Literal::Bool(false)),
            ("null", Literal::Null),
        ] {
            let path = p(&format!("$[?(@.a != {word})]"));
            assert!(
                matches!(filter_of(&path), FilterExpr::Compare { right: Operand::Literal(l), .. } if *l == expected),
                "{word}: {path:?}"
            );
        }
        for case in [
            "$[?(@.Type.Text==AMOUNT_PAID)]",
            "$.Labels[?(@.Name==Receipt)]",
            "$[?(Receipt == @.Name && @.n > 1)]",
            "$[?(@.a == a-b || @.b == _c)]",
        ] {
            round_trip(case);
        }
        let data = json!({
            "Labels": [{ "Name": "Receipt" }, { "Name": "Text" }],
            "SummaryFields": [
                { "Type": { "Text": "VENDOR_NAME" }, "ValueDetection": { "Text": "ACME" } },
                { "Type": { "Text": "AMOUNT_PAID" }, "ValueDetection": { "Text": "12.00" } }
            ]
        });
        assert_eq!(
            sel("$.Labels[?(@.Name==Receipt)]", &data),
            json!([{ "Name": "Receipt" }])
        );
        assert_eq!(
            sel(
                "$.SummaryFields[?(@.Type.Text==AMOUNT_PAID)].ValueDetection.Text",
                &data
            ),
            json!(["12.00"])
        );
        assert_eq!(
            parse("$[?(@.a == héllo)]"),
            Err(PathError::UnknownLiteral {
                offset: 11,
                word: "héllo".into()
            })
        );
        assert_eq!(
            parse("$[?(AMOUNT_PAID)]"),
            Err(PathError::BareLiteral { offset: 4 })
        );
    }

    // -- select ----------------------------------------------------------------------------

    #[test]
    fn select_nested_objects_and_arrays() {
        let data = store();
        assert_eq!(sel("$", &data), data);
        assert_eq!(sel("$.expensive", &data), json!(10));
        assert_eq!(sel("$.store.bicycle.color", &data), json!("red"));
        assert_eq!(sel("$.store.book[2].title", &data), json!("Moby Dick"));
        assert_eq!(sel("$['store']['book'][0]['price']", &data), json!(8.95));
        assert_eq!(sel("$.store.book[-1].title", &data), json!("LOTR"));
        assert_eq!(sel("$.store.book[-4].title", &data), json!("Sayings"));
    }

    #[test]
    fn definite_miss_is_an_error() {
        let data = store();
        let err = p("$.store.car.color").select(&data, &json!({}));
        assert_eq!(
            err,
            Err(SelectError::NoMatch {
                path: "$.store.car.color".into(),
                prefix: "$.store".into(),
                segment: ".car".into(),
                found: "an object",
            })
        );
        for miss in [
            "$.store.book[4]",
            "$.store.book[-5]",
            "$.expensive.x",
            "$.store[0]",
        ] {
            assert!(p(miss).select(&data, &json!({})).is_err(), "{miss}");
        }
        let message = p("$.expensive.x")
            .select(&data, &json!({}))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.contains("`$.expensive` is a number and has no `.x`"),
            "{message}"
        );
    }

    #[test]
    fn select_wildcards() {
        let data = store();
        assert_eq!(sel("$.store.bicycle.*", &data), json!(["red", 19.95]));
        assert_eq!(
            sel("$.store.book[*].author", &data),
            json!([
                "Nigel Rees",
                "Evelyn Waugh",
                "Herman Melville",
                "J. R. R. Tolkien"
            ])
        );
        assert_eq!(sel("$.expensive.*", &data), json!([]));
        // A missing field below a wildcard is skipped, not an error.
        assert_eq!(
            sel("$.store.book[*].isbn", &data),
            json!(["0-553", "0-395"])
        );
    }

    #[test]
    fn select_slices() {
        let data = json!({ "a": [0, 1, 2, 3, 4, 5] });
        assert_eq!(sel("$.a[1:3]", &data), json!([1, 2]));
        assert_eq!(sel("$.a[:2]", &data), json!([0, 1]));
        assert_eq!(sel("$.a[4:]", &data), json!([4, 5]));
        assert_eq!(sel("$.a[-2:]", &data), json!([4, 5]));
        assert_eq!(sel("$.a[::2]", &data), json!([0, 2, 4]));
        assert_eq!(sel("$.a[::-1]", &data), json!([5, 4, 3, 2, 1, 0]));
        assert_eq!(sel("$.a[4:1:-2]", &data), json!([4, 2]));
        assert_eq!(sel("$.a[10:20]", &data), json!([]));
        assert_eq!(sel("$.a[-100:1]", &data), json!([0]));
        assert_eq!(sel("$.a[:]", &data), json!([0, 1, 2, 3, 4, 5]));
    }

    #[test]
    fn select_unions() {
        let data = json!({ "a": [10, 11, 12], "o": { "x": 1, "y": 2, "z": 3 } });
        assert_eq!(sel("$.a[0,2]", &data), json!([10, 12]));
        assert_eq!(sel("$.a[2,0,-1,9]", &data), json!([12, 10, 12]));
        assert_eq!(sel("$.o['z','x','missing']", &data), json!([3, 1]));
    }

    #[test]
    fn select_descent() {
        let data = store();
        assert_eq!(
            sel("$..author", &data),
            json!([
                "Nigel Rees",
                "Evelyn Waugh",
                "Herman Melville",
                "J. R. R. Tolkien"
            ])
        );
        assert_eq!(
            sel("$.store..price", &data),
            json!([8.95, 12.99, 8.99, 22.99, 19.95])
        );
        assert_eq!(sel("$..book[2].title", &data), json!(["Moby Dick"]));
        assert_eq!(sel("$..tags[0]", &data), json!(["war", "y"]));
        assert_eq!(
            sel("$..[0]", &json!({"a": [1, [2, 3]], "b": [4]})),
            json!([1, 2, 4])
        );
        let nested = json!({ "a": { "b": 1 }, "c": [2] });
        assert_eq!(sel("$..*", &nested), json!([{ "b": 1 }, [2], 1, 2]));
        assert_eq!(sel("$..[?(@.price > 20)].title", &data), json!(["LOTR"]));
        assert_eq!(
            sel("$..[?(@.color)]", &data),
            json!([{ "color": "red", "price": 19.95 }])
        );
    }

    #[test]
    fn select_filters() {
        let data = store();
        assert_eq!(
            sel("$.store.book[?(@.price < 10)].title", &data),
            json!(["Sayings", "Moby Dick"])
        );
        assert_eq!(
            sel("$.store.book[?(@.isbn)].title", &data),
            json!(["Moby Dick", "LOTR"])
        );
        assert_eq!(
            sel("$.store.book[?(!@.isbn)].title", &data),
            json!(["Sayings", "Sword"])
        );
        assert_eq!(
            sel(
                "$.store.book[?(@.category == 'fiction' && @.price < 20)].title",
                &data
            ),
            json!(["Sword", "Moby Dick"])
        );
        assert_eq!(
            sel(
                "$.store.book[?(@.price > 20 || @.author == \"Nigel Rees\")].title",
                &data
            ),
            json!(["Sayings", "LOTR"])
        );
        assert_eq!(
            sel("$.store.book[?(@.tags[0] == \"y\")].title", &data),
            json!(["Moby Dick"])
        );
        assert_eq!(
            sel("$.store.book[?(@.price > $.expensive)].title", &data),
            json!(["Sword", "LOTR"])
        );
        assert_eq!(
            sel(
                "$.store.book[?((@.price < 9 || @.price > 20) && @.isbn)].title",
                &data
            ),
            json!(["Moby Dick", "LOTR"])
        );
        // Missing operand: `==` is false, `!=` is true.
        assert_eq!(
            sel("$.store.book[?(@.isbn != '0-553')].title", &data),
            json!(["Sayings", "Sword", "LOTR"])
        );
        // Scalars with `@`, numeric equality across representations, string ordering.
        let nums = json!({ "n": [1, 2.0, 3, "2", null, true] });
        assert_eq!(sel("$.n[?(@ == 2)]", &nums), json!([2.0]));
        assert_eq!(sel("$.n[?(@ >= 2)]", &nums), json!([2.0, 3]));
        assert_eq!(sel("$.n[?(@ == null)]", &nums), json!([null]));
        assert_eq!(sel("$.n[?(@ > '1')]", &nums), json!(["2"]));
        // A filter on an object tests the object itself.
        assert_eq!(
            sel("$.store.bicycle[?(@.color == 'red')].price", &data),
            json!([19.95])
        );
    }

    #[test]
    fn select_on_the_context_root() {
        let context = json!({
            "Execution": { "Id": "arn:exec", "Input": { "x": 1 } },
            "Map": { "Item": { "Index": 2, "Value": { "id": "c" } } }
        });
        let data = json!({ "items": [{ "i": 1 }, { "i": 2 }, { "i": 3 }] });
        let get = |s: &str| p(s).select(&data, &context);
        assert_eq!(get("$$"), Ok(context.clone()));
        assert_eq!(get("$$.Execution.Id"), Ok(json!("arn:exec")));
        assert_eq!(get("$$.Map.Item.Value.id"), Ok(json!("c")));
        assert_eq!(
            get("$.items[?(@.i == $$.Map.Item.Index)]"),
            Ok(json!([{ "i": 2 }]))
        );
        assert!(get("$$.Task.Token").is_err());
    }

    // -- assign ----------------------------------------------------------------------------

    #[test]
    fn assign_creates_and_replaces() {
        let mut doc = json!({ "a": 1 });
        p("$.result")
            .assign(&mut doc, json!("r"))
            .expect("assign $.result");
        assert_eq!(doc, json!({ "a": 1, "result": "r" }));

        p("$.x.y.z")
            .assign(&mut doc, json!(true))
            .expect("assign $.x.y.z");
        assert_eq!(
            doc,
            json!({ "a": 1, "result": "r", "x": { "y": { "z": true } } })
        );

        p("$.a")
            .assign(&mut doc, json!({ "new": 2 }))
            .expect("replace $.a");
        assert_eq!(doc["a"], json!({ "new": 2 }));

        let mut list = json!({ "l": [{ "v": 0 }, { "v": 1 }] });
        p("$.l[1].v")
            .assign(&mut list, json!(9))
            .expect("assign into array item");
        p("$.l[0]")
            .assign(&mut list, json!("first"))
            .expect("replace array item");
        assert_eq!(list, json!({ "l": ["first", { "v": 9 }] }));

        let mut whole = json!({ "a": 1 });
        p("$")
            .assign(&mut whole, json!([1, 2]))
            .expect("replace root");
        assert_eq!(whole, json!([1, 2]));

        let mut quoted = json!({});
        p("$['a b']['c.d']")
            .assign(&mut quoted, json!(1))
            .expect("quoted names");
        assert_eq!(quoted, json!({ "a b": { "c.d": 1 } }));
    }

    #[test]
    fn assign_failures() {
        let original = json!({ "s": "text", "l": [1], "n": null });
        let fail = |path: &str| {
            let mut doc = original.clone();
            let result = p(path).assign(&mut doc, json!(0));
            assert_eq!(
                doc, original,
                "{path} must not modify the document on failure"
            );
            match result {
                Err(e) => e,
                Ok(()) => panic!("{path} should fail"),
            }
        };
        assert_eq!(
            fail("$.s.x"),
            AssignError::NotAnObject {
                path: "$.s.x".into(),
                prefix: "$.s".into(),
                segment: ".x".into(),
                found: "a string",
            }
        );
        assert!(matches!(
            fail("$.n.x"),
            AssignError::NotAnObject { found: "null", .. }
        ));
        assert!(matches!(
            fail("$.l.x"),
            AssignError::NotAnObject {
                found: "an array",
                ..
            }
        ));
        assert!(matches!(
            fail("$.s[0]"),
            AssignError::NotAnArray {
                found: "a string",
                ..
            }
        ));
        assert!(matches!(
            fail("$.new.deeper[0]"),
            AssignError::NotAnArray {
                found: "missing",
                ..
            }
        ));
        assert!(matches!(
            fail("$.l[5]"),
            AssignError::IndexOutOfBounds {
                index: 5,
                len: 1,
                ..
            }
        ));
        assert!(matches!(
            fail("$.l[*]"),
            AssignError::NotReferencePath { .. }
        ));
        assert!(matches!(
            fail("$.l[-1]"),
            AssignError::NotReferencePath { .. }
        ));
        assert!(matches!(
            fail("$$.Execution"),
            AssignError::ContextRoot { .. }
        ));
        let mut scalar = json!("x");
        assert!(p("$.a").assign(&mut scalar, json!(1)).is_err());
        let message = fail("$.s.x").to_string();
        assert!(
            message.contains("`$.s` is a string, not an object"),
            "{message}"
        );
    }
}
