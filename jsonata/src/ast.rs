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

    /// Calls `f` on every expression directly inside this one: the operands of its kind
    /// ([`Kind::for_each_operand`]), then its annotations ([`Node::for_each_annotation`]).
    /// The one traversal the static analyses ([`crate::Expression::free_variables`], the
    /// bindings an evaluation reads) share.
    pub(crate) fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Node)) {
        self.kind.for_each_operand(&mut f);
        self.for_each_annotation(&mut f);
    }

    /// Calls `f` on the expressions in this node's annotations: the filters of its
    /// predicate and stages, then its group-by's keys and values.
    pub(crate) fn for_each_annotation<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        for stage in self.predicate.iter().chain(&self.stages) {
            if let Stage::Filter(n) = stage {
                f(n);
            }
        }
        for (k, v) in self.group.iter().flat_map(|g| g.iter()) {
            f(k);
            f(v);
        }
    }
}

impl Kind {
    /// Calls `f` on the expressions this kind holds, in source order (path steps, operands,
    /// arguments, a lambda's body, …); literals, names and `%` hold none.
    pub(crate) fn for_each_operand<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        match self {
            Kind::Path(items) | Kind::ArrayCons(items) | Kind::Block(items) => {
                items.iter().for_each(&mut *f)
            }
            Kind::Binary(_, a, b) | Kind::Apply(a, b) => {
                f(a);
                f(b);
            }
            Kind::Neg(a) | Kind::Bind(_, a) => f(a),
            Kind::ObjectCons(pairs) => {
                for (k, v) in pairs.iter() {
                    f(k);
                    f(v);
                }
            }
            Kind::Cond(c, a, b) => {
                f(c);
                f(a);
                if let Some(b) = b {
                    f(b);
                }
            }
            Kind::Call(g, args) => {
                f(g);
                args.iter().for_each(&mut *f);
            }
            Kind::Partial(g, args) => {
                f(g);
                args.iter().flatten().for_each(&mut *f);
            }
            Kind::Lambda(def) => f(&def.body),
            Kind::Transform(parts) => {
                f(&parts.0);
                f(&parts.1);
                if let Some(d) = &parts.2 {
                    f(d);
                }
            }
            Kind::Sort(terms) => terms.iter().for_each(|(t, _)| f(t)),
            Kind::Str(_)
            | Kind::Num(_)
            | Kind::Bool(_)
            | Kind::Null
            | Kind::Regex(_)
            | Kind::Name(_)
            | Kind::Var(_)
            | Kind::Wildcard
            | Kind::Descendant
            | Kind::Parent(_)
            | Kind::Placeholder => {}
        }
    }
}
