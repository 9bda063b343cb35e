//! The parsed expression tree, already in the shape the evaluator walks: paths are step
//! lists, predicates are stages on their step, group-by and sort are step annotations.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::signature::Signature;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `=`
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
    /// `&`
    Concat,
    /// `and`
    And,
    /// `or`
    Or,
    /// `in`
    In,
    /// `..`
    Range,
    /// `??`
    Coalesce,
    /// `?:`
    Elvis,
}

/// A stage applied to a step's results: a filter predicate or a `#$i` index binding.
#[derive(Debug, Clone)]
pub enum Stage {
    /// `[expr]`
    Filter(Node),
    /// `#$name` after a predicate.
    Index(String),
}

/// A lambda definition: parameters, optional signature, body.
#[derive(Debug)]
pub struct LambdaDef {
    /// Parameter names (without `$`).
    pub params: Vec<String>,
    /// The declared signature, if any.
    pub signature: Option<Signature>,
    /// The body.
    pub body: Node,
    /// Whether this lambda is a tail-call thunk made by the parser.
    pub thunk: bool,
}

/// The kind of a node.
#[derive(Debug, Clone)]
pub enum Kind {
    /// String literal.
    Str(Rc<str>),
    /// Number literal.
    Num(f64),
    /// `true`/`false`.
    Bool(bool),
    /// `null`.
    Null,
    /// Regex literal.
    Regex(Rc<regex::Regex>),
    /// A field name step.
    Name(Rc<str>),
    /// `$name` (empty: the context `$`).
    Var(Rc<str>),
    /// `*`
    Wildcard,
    /// `**`
    Descendant,
    /// `%` (parent): reads the ancestor bound under its slot's label.
    Parent(Rc<Slot>),
    /// A location path.
    Path(Vec<Node>),
    /// A binary operation.
    Binary(BinOp, Box<Node>, Box<Node>),
    /// Unary minus.
    Neg(Box<Node>),
    /// `[ … ]`
    ArrayCons(Vec<Node>),
    /// `{ k: v, … }` (unary: object constructor).
    ObjectCons(Rc<Vec<(Node, Node)>>),
    /// `c ? a : b`
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    /// `( a; b; … )`
    Block(Vec<Node>),
    /// `$x := v`
    Bind(Rc<str>, Box<Node>),
    /// A function call.
    Call(Box<Node>, Vec<Node>),
    /// A partial application (`None` is a `?` placeholder).
    Partial(Box<Node>, Vec<Option<Node>>),
    /// `function($a){ … }`
    Lambda(Rc<LambdaDef>),
    /// `a ~> f`
    Apply(Box<Node>, Box<Node>),
    /// `| pattern | update, delete |`
    Transform(Rc<(Node, Node, Option<Node>)>),
    /// `^( … )` sort step: terms with a descending flag.
    Sort(Vec<(Node, bool)>),
    /// A `?` placeholder (only meaningful as a partial-application argument).
    Placeholder,
}

/// An ancestor slot of a `%`: the label the ancestor is bound under in the tuple stream and
/// how many steps up it still is while the parser resolves it.
#[derive(Debug)]
pub struct Slot {
    /// The variable name the ancestor is bound under.
    pub label: RefCell<String>,
    /// Levels still to climb.
    pub level: Cell<i32>,
}

/// One node with its position and path annotations.
#[derive(Debug, Clone)]
pub struct Node {
    /// What the node is.
    pub kind: Kind,
    /// Character position in the expression.
    pub pos: usize,
    /// Predicates on a non-path expression (`$x[0]`).
    pub predicate: Vec<Stage>,
    /// Stages on a path step.
    pub stages: Vec<Stage>,
    /// `{ … }` group-by on the expression.
    pub group: Option<Rc<Vec<(Node, Node)>>>,
    /// `[]`: keep singleton arrays.
    pub keep_array: bool,
    /// For a path: some step asked to keep singleton arrays.
    pub keep_singleton_array: bool,
    /// `@$v`
    pub focus: Option<Rc<str>>,
    /// `#$v`
    pub index: Option<Rc<str>>,
    /// Part of a tuple stream (focus or index binding).
    pub tuple: bool,
    /// An array constructor at the start or end of a path.
    pub consarray: bool,
    /// For a step: binds its input under this slot's label (a `%` refers to it).
    pub ancestor: Option<Rc<Slot>>,
    /// `%` slots inside this expression not resolved yet.
    pub seeking: Vec<Rc<Slot>>,
}

impl Node {
    /// A node of a kind at a position with no annotations.
    pub fn new(kind: Kind, pos: usize) -> Self {
        Node {
            kind,
            pos,
            predicate: Vec::new(),
            stages: Vec::new(),
            group: None,
            keep_array: false,
            keep_singleton_array: false,
            focus: None,
            index: None,
            tuple: false,
            consarray: false,
            ancestor: None,
            seeking: Vec::new(),
        }
    }
}
