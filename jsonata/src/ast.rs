//! The parsed expression tree, already in the shape the evaluator walks: paths are step
//! lists, predicates are stages on their step, group-by and sort are step annotations.

use std::sync::atomic::AtomicI32;
use std::sync::{Arc, Mutex};

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
    Str(Arc<str>),
    /// Number literal.
    Num(f64),
    /// `true`/`false`.
    Bool(bool),
    /// `null`.
    Null,
    /// Regex literal.
    Regex(Arc<regex::Regex>),
    /// A field name step.
    Name(Arc<str>),
    /// `$name` (empty: the context `$`).
    Var(Arc<str>),
    /// `*`
    Wildcard,
    /// `**`
    Descendant,
    /// `%` (parent): reads the ancestor bound under its slot's label.
    Parent(Arc<Slot>),
    /// A location path.
    Path(Vec<Node>),
    /// A binary operation.
    Binary(BinOp, Box<Node>, Box<Node>),
    /// Unary minus.
    Neg(Box<Node>),
    /// `[ … ]`
    ArrayCons(Vec<Node>),
    /// `{ k: v, … }` (unary: object constructor).
    ObjectCons(Arc<Vec<(Node, Node)>>),
    /// `c ? a : b`
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    /// `( a; b; … )`
    Block(Vec<Node>),
    /// `$x := v`
    Bind(Arc<str>, Box<Node>),
    /// A function call.
    Call(Box<Node>, Vec<Node>),
    /// A partial application (`None` is a `?` placeholder).
    Partial(Box<Node>, Vec<Option<Node>>),
    /// `function($a){ … }`
    Lambda(Arc<LambdaDef>),
    /// `a ~> f`
    Apply(Box<Node>, Box<Node>),
    /// `| pattern | update, delete |`
    Transform(Arc<(Node, Node, Option<Node>)>),
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
    pub label: Mutex<String>,
    /// Levels still to climb.
    pub level: AtomicI32,
}

impl Slot {
    /// A slot one level up, bound under `label`.
    pub fn new(label: String) -> Slot {
        Slot {
            label: Mutex::new(label),
            level: AtomicI32::new(1),
        }
    }

    /// The label the ancestor is bound under.
    pub fn label(&self) -> String {
        self.label.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Gives the slot another slot's label (two `%` reaching the same step share it).
    pub fn set_label(&self, label: String) {
        *self.label.lock().unwrap_or_else(|e| e.into_inner()) = label;
    }

    /// Levels still to climb.
    pub fn level(&self) -> i32 {
        self.level.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the levels still to climb.
    pub fn set_level(&self, level: i32) {
        self.level
            .store(level, std::sync::atomic::Ordering::Relaxed);
    }
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
    pub group: Option<Arc<Vec<(Node, Node)>>>,
    /// `[]`: keep singleton arrays.
    pub keep_array: bool,
    /// For a path: some step asked to keep singleton arrays.
    pub keep_singleton_array: bool,
    /// `@$v`
    pub focus: Option<Arc<str>>,
    /// `#$v`
    pub index: Option<Arc<str>>,
    /// Part of a tuple stream (focus or index binding).
    pub tuple: bool,
    /// An array constructor at the start or end of a path.
    pub consarray: bool,
    /// For a step: binds its input under this slot's label (a `%` refers to it).
    pub ancestor: Option<Arc<Slot>>,
    /// `%` slots inside this expression not resolved yet.
    pub seeking: Vec<Arc<Slot>>,
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
