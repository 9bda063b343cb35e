//! The Pratt parser: builds the evaluator's tree directly (paths as step lists, predicates
//! as stages, group-by/sort/focus/index as step annotations), with the reference
//! implementation's syntax error codes (`S02xx`) and positions.

use std::sync::Arc;

use crate::ast::{BinOp, Kind, LambdaDef, Node, Slot, Stage};
use crate::error::{JsonataError, Result};
use crate::lexer::{Lexer, Tok};
use crate::signature::Signature;

/// Maximum nesting of the parser's recursion (a bound against stack exhaustion).
const MAX_PARSE_DEPTH: usize = 200;

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Tok,
    tok_pos: usize,
    depth: usize,
    /// The first error of the tree-shaping pass (reported after syntax errors, as the
    /// reference implementation processes the tree after parsing it).
    deferred: Option<JsonataError>,
    /// Labels given to `%` slots so far.
    parents: usize,
}

fn lbp(t: &Tok) -> u8 {
    match t {
        Tok::Op(op) => match *op {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "?" => 20,
            "+" | "-" | "&" => 50,
            "*" | "/" | "%" => 60,
            "=" | "<" | ">" | "^" | "!=" | "<=" | ">=" | "~>" | "?:" | "??" | "in" => 40,
            ".." => 20,
            ":=" => 10,
            "and" => 30,
            "or" => 25,
            _ => 0,
        },
        _ => 0,
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Op(o) => o.to_string(),
        Tok::Name(n) => n.clone(),
        Tok::Var(v) => format!("${v}"),
        Tok::Str(s) => s.clone(),
        Tok::Num(n) => n.to_string(),
        Tok::Bool(b) => b.to_string(),
        Tok::Null => "null".into(),
        Tok::Regex(p, _) => p.clone(),
        Tok::End => "(end)".into(),
    }
}

/// Parses an expression into the evaluator's tree.
pub fn parse(src: &str) -> Result<Node> {
    let chars: Vec<char> = src.chars().collect();
    let mut p = Parser {
        lexer: Lexer::new(&chars),
        tok: Tok::End,
        tok_pos: 0,
        depth: 0,
        deferred: None,
        parents: 0,
    };
    p.bump(true)?;
    let node = p.expression(0)?;
    if p.tok != Tok::End {
        return Err(JsonataError::new(
            "S0201",
            p.tok_pos,
            format!("Syntax error: {}", describe(&p.tok)),
        )
        .with_token(describe(&p.tok)));
    }
    if let Some(e) = p.deferred {
        return Err(e);
    }
    if matches!(node.kind, Kind::Parent(_)) || !node.seeking.is_empty() {
        return Err(JsonataError::new(
            "S0217",
            node.pos,
            "The object representing the 'parent' cannot be derived from this expression",
        ));
    }
    Ok(node)
}

fn is_op(t: &Tok, o: &str) -> bool {
    matches!(t, Tok::Op(x) if *x == o)
}

impl Parser<'_> {
    fn bump(&mut self, prefix: bool) -> Result<()> {
        self.tok = self.lexer.next(prefix)?;
        self.tok_pos = self.lexer.pos;
        if let Tok::Op(o @ ("!" | "~")) = self.tok {
            return Err(
                JsonataError::new("S0204", self.tok_pos, format!("Unknown operator: {o}"))
                    .with_token(o),
            );
        }
        Ok(())
    }

    /// Takes the current token; the next one may start a regex only after an operator.
    fn take(&mut self) -> Result<(Tok, usize)> {
        let t = std::mem::replace(&mut self.tok, Tok::End);
        let pos = self.tok_pos;
        let prefix = matches!(&t, Tok::Op(o) if !matches!(*o, ")" | "]" | "}"));
        self.bump(prefix)?;
        Ok((t, pos))
    }

    fn expect(&mut self, op: &str) -> Result<()> {
        if is_op(&self.tok, op) {
            self.take()?;
            Ok(())
        } else if self.tok == Tok::End {
            Err(JsonataError::new(
                "S0203",
                self.tok_pos,
                format!("Expected \"{op}\" before end of expression"),
            )
            .with_token(op))
        } else {
            Err(JsonataError::new(
                "S0202",
                self.tok_pos,
                format!("Expected \"{op}\", got \"{}\"", describe(&self.tok)),
            )
            .with_token(describe(&self.tok)))
        }
    }

    fn expression(&mut self, rbp: u8) -> Result<Node> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            return Err(JsonataError::new(
                "S0201",
                self.tok_pos,
                "Expression nested too deeply",
            ));
        }
        let r = stacker::maybe_grow(
            crate::eval::STACK_RED_ZONE,
            crate::eval::STACK_SEGMENT,
            || {
                let (t, pos) = self.take()?;
                let mut left = self.nud(t, pos)?;
                while rbp < lbp(&self.tok) {
                    let (t, pos) = self.take()?;
                    left = self.led(t, pos, left)?;
                }
                Ok(left)
            },
        );
        self.depth -= 1;
        r
    }

    fn nud(&mut self, t: Tok, pos: usize) -> Result<Node> {
        Ok(match t {
            Tok::Name(n) => path_of(Node::new(Kind::Name(n.into()), pos)),
            Tok::Var(v) => Node::new(Kind::Var(v.into()), pos),
            Tok::Str(s) => Node::new(Kind::Str(s.into()), pos),
            Tok::Num(n) => Node::new(Kind::Num(n), pos),
            Tok::Bool(b) => Node::new(Kind::Bool(b), pos),
            Tok::Null => Node::new(Kind::Null, pos),
            Tok::Regex(p, f) => Node::new(
                Kind::Regex(Arc::new(crate::regex::compile(&p, &f, pos)?)),
                pos,
            ),
            Tok::End => {
                return Err(JsonataError::new(
                    "S0207",
                    pos,
                    "Unexpected end of expression",
                ));
            }
            Tok::Op(op) => match op {
                "and" | "or" | "in" => path_of(Node::new(Kind::Name(op.into()), pos)),
                "*" => path_of(Node::new(Kind::Wildcard, pos)),
                "**" => path_of(Node::new(Kind::Descendant, pos)),
                "%" => {
                    let label = format!("!{}", self.parents);
                    self.parents += 1;
                    Node::new(Kind::Parent(Arc::new(Slot::new(label))), pos)
                }
                "-" => {
                    let e = self.expression(70)?;
                    match e.kind {
                        Kind::Num(n) if e.predicate.is_empty() && e.group.is_none() => {
                            Node::new(Kind::Num(-n), pos)
                        }
                        _ => {
                            let mut n = Node::new(Kind::Neg(Box::new(e)), pos);
                            if let Kind::Neg(inner) = &n.kind {
                                n.seeking = ancestry_of(inner);
                            }
                            n
                        }
                    }
                }
                "(" => {
                    let mut exprs = Vec::new();
                    while !is_op(&self.tok, ")") {
                        exprs.push(self.expression(0)?);
                        if !is_op(&self.tok, ";") {
                            break;
                        }
                        self.take()?;
                    }
                    self.expect(")")?;
                    let seeking = exprs.iter().flat_map(ancestry_of).collect();
                    let mut n = Node::new(Kind::Block(exprs), pos);
                    n.seeking = seeking;
                    n
                }
                "[" => {
                    let mut items = Vec::new();
                    if !is_op(&self.tok, "]") {
                        loop {
                            items.push(self.expression(0)?);
                            if !is_op(&self.tok, ",") {
                                break;
                            }
                            self.take()?;
                        }
                    }
                    self.expect("]")?;
                    let seeking = items.iter().flat_map(ancestry_of).collect();
                    let mut n = Node::new(Kind::ArrayCons(items), pos);
                    n.seeking = seeking;
                    n
                }
                "{" => {
                    let pairs = self.pairs()?;
                    let seeking = pairs
                        .iter()
                        .flat_map(|(k, v)| ancestry_of(k).into_iter().chain(ancestry_of(v)))
                        .collect();
                    let mut n = Node::new(Kind::ObjectCons(Arc::new(pairs)), pos);
                    n.seeking = seeking;
                    n
                }
                "|" => {
                    let pattern = self.expression(0)?;
                    self.expect("|")?;
                    let update = self.expression(0)?;
                    let delete = if is_op(&self.tok, ",") {
                        self.take()?;
                        Some(self.expression(0)?)
                    } else {
                        None
                    };
                    self.expect("|")?;
                    Node::new(Kind::Transform(Arc::new((pattern, update, delete))), pos)
                }
                "?" => Node::new(Kind::Placeholder, pos),
                _ => {
                    return Err(JsonataError::new(
                        "S0211",
                        pos,
                        format!("The symbol {op} cannot be used as a unary operator"),
                    )
                    .with_token(op));
                }
            },
        })
    }

    fn pairs(&mut self) -> Result<Vec<(Node, Node)>> {
        let mut pairs = Vec::new();
        if !is_op(&self.tok, "}") {
            loop {
                let k = self.expression(0)?;
                self.expect(":")?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if !is_op(&self.tok, ",") {
                    break;
                }
                self.take()?;
            }
        }
        self.expect("}")?;
        Ok(pairs)
    }

    fn led(&mut self, t: Tok, pos: usize, left: Node) -> Result<Node> {
        let Tok::Op(op) = t else {
            return Err(
                JsonataError::new("S0201", pos, format!("Syntax error: {}", describe(&t)))
                    .with_token(describe(&t)),
            );
        };
        let bin = |o: BinOp, l: Node, r: Node| {
            let mut seeking = ancestry_of(&l);
            seeking.extend(ancestry_of(&r));
            let mut n = Node::new(Kind::Binary(o, Box::new(l), Box::new(r)), pos);
            n.seeking = seeking;
            n
        };
        Ok(match op {
            "." => {
                let rhs = self.expression(75)?;
                match dot(left, rhs) {
                    Ok(n) => n,
                    Err(e) => {
                        self.deferred.get_or_insert(e);
                        Node::new(Kind::Null, pos)
                    }
                }
            }
            "(" => self.call(left, pos)?,
            "[" => {
                if is_op(&self.tok, "]") {
                    self.take()?;
                    let mut left = left;
                    if let Kind::Path(steps) = &mut left.kind {
                        if let Some(last) = steps.last_mut() {
                            last.keep_array = true;
                        }
                        left.keep_singleton_array = true;
                    } else {
                        left.keep_array = true;
                    }
                    left
                } else {
                    let pred = self.expression(0)?;
                    self.expect("]")?;
                    let mut left = left;
                    let pred_seeking = ancestry_of(&pred);
                    let stage = Stage::Filter(pred);
                    {
                        let step = match &mut left.kind {
                            Kind::Path(steps) => steps.last_mut().expect("paths have steps"),
                            _ => &mut left,
                        };
                        for slot in &pred_seeking {
                            if slot.level() == 1 {
                                if let Err(e) = seek_parent(step, slot.clone()) {
                                    self.deferred.get_or_insert(e);
                                }
                            } else {
                                slot.set_level(slot.level() - 1);
                            }
                        }
                        step.seeking.extend(pred_seeking);
                    }
                    if let Kind::Path(steps) = &mut left.kind {
                        let last = steps.last_mut().expect("paths have steps");
                        if last.group.is_some() {
                            return Err(JsonataError::new(
                                "S0209",
                                pos,
                                "A predicate cannot follow a grouping expression in a step",
                            ));
                        }
                        last.stages.push(stage);
                    } else {
                        if left.group.is_some() {
                            return Err(JsonataError::new(
                                "S0209",
                                pos,
                                "A predicate cannot follow a grouping expression in a step",
                            ));
                        }
                        left.predicate.push(stage);
                    }
                    left
                }
            }
            "{" => {
                let pairs = self.pairs()?;
                let mut left = left;
                if left.group.is_some() {
                    return Err(JsonataError::new(
                        "S0210",
                        pos,
                        "Each step can only have one grouping expression",
                    ));
                }
                left.group = Some(Arc::new(pairs));
                left
            }
            "^" => {
                self.expect("(")?;
                let mut terms = Vec::new();
                let mut sort_seeking = Vec::new();
                loop {
                    let mut desc = false;
                    if is_op(&self.tok, "<") {
                        self.take()?;
                    } else if is_op(&self.tok, ">") {
                        desc = true;
                        self.take()?;
                    }
                    let term = self.expression(0)?;
                    sort_seeking.extend(ancestry_of(&term));
                    terms.push((term, desc));
                    if !is_op(&self.tok, ",") {
                        break;
                    }
                    self.take()?;
                }
                self.expect(")")?;
                let mut path = match left.kind {
                    Kind::Path(_) => left,
                    _ => path_of(left),
                };
                let mut sort = Node::new(Kind::Sort(terms), pos);
                sort.seeking = sort_seeking;
                if let Kind::Path(steps) = &mut path.kind {
                    steps.push(sort);
                }
                if let Err(e) = resolve_ancestry(&mut path) {
                    self.deferred.get_or_insert(e);
                }
                path
            }
            "@" | "#" => {
                let rhs = self.expression(80)?;
                let Kind::Var(name) = rhs.kind else {
                    return Err(JsonataError::new(
                        "S0214",
                        rhs.pos,
                        format!("The right side of {op} must be a variable name (start with $)"),
                    )
                    .with_token(op));
                };
                let mut left = left;
                if op == "@" {
                    let step = match &mut left.kind {
                        Kind::Path(steps) => steps.last_mut().expect("paths have steps"),
                        _ => &mut left,
                    };
                    if !step.stages.is_empty() || !step.predicate.is_empty() {
                        return Err(JsonataError::new(
                            "S0215",
                            pos,
                            "A context variable binding must precede any predicates on a step",
                        ));
                    }
                    if matches!(step.kind, Kind::Sort(_)) {
                        return Err(JsonataError::new(
                            "S0216",
                            pos,
                            "A context variable binding must precede the 'order-by' clause on a step",
                        ));
                    }
                    step.focus = Some(name);
                    step.tuple = true;
                    left
                } else {
                    let mut path = match left.kind {
                        Kind::Path(_) => left,
                        _ => {
                            let mut l = left;
                            l.stages = std::mem::take(&mut l.predicate);
                            path_of(l)
                        }
                    };
                    if let Kind::Path(steps) = &mut path.kind {
                        let step = steps.last_mut().expect("paths have steps");
                        if step.stages.is_empty() {
                            step.index = Some(name);
                        } else {
                            step.stages.push(Stage::Index(name.to_string()));
                        }
                        step.tuple = true;
                    }
                    path
                }
            }
            ":=" => {
                let rhs = self.expression(9)?;
                let name = match left.kind {
                    Kind::Var(name) if left.predicate.is_empty() && left.group.is_none() => name,
                    _ => {
                        return Err(JsonataError::new(
                            "S0212",
                            left.pos,
                            "The left side of := must be a variable name (start with $)",
                        ));
                    }
                };
                let seeking = ancestry_of(&rhs);
                let mut n = Node::new(Kind::Bind(name, Box::new(rhs)), pos);
                n.seeking = seeking;
                n
            }
            "?" => {
                let then = self.expression(0)?;
                let els = if is_op(&self.tok, ":") {
                    self.take()?;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                let mut seeking = ancestry_of(&left);
                seeking.extend(ancestry_of(&then));
                if let Some(e) = &els {
                    seeking.extend(ancestry_of(e));
                }
                let mut n = Node::new(Kind::Cond(Box::new(left), Box::new(then), els), pos);
                n.seeking = seeking;
                n
            }
            "~>" => {
                let rhs = self.expression(40)?;
                Node::new(Kind::Apply(Box::new(left), Box::new(rhs)), pos)
            }
            _ => {
                let o = match op {
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    "/" => BinOp::Div,
                    "%" => BinOp::Mod,
                    "=" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    ">=" => BinOp::Ge,
                    "&" => BinOp::Concat,
                    "and" => BinOp::And,
                    "or" => BinOp::Or,
                    "in" => BinOp::In,
                    ".." => BinOp::Range,
                    "??" => BinOp::Coalesce,
                    "?:" => BinOp::Elvis,
                    _ => {
                        return Err(
                            JsonataError::new("S0201", pos, format!("Syntax error: {op}"))
                                .with_token(op),
                        );
                    }
                };
                let rhs = self.expression(lbp(&Tok::Op(op)))?;
                bin(o, left, rhs)
            }
        })
    }

    fn call(&mut self, left: Node, pos: usize) -> Result<Node> {
        let mut args: Vec<Node> = Vec::new();
        let mut partial = false;
        if !is_op(&self.tok, ")") {
            loop {
                if is_op(&self.tok, "?") {
                    let (_, p) = self.take()?;
                    args.push(Node::new(Kind::Placeholder, p));
                    partial = true;
                } else {
                    args.push(self.expression(0)?);
                }
                if !is_op(&self.tok, ",") {
                    break;
                }
                self.take()?;
            }
        }
        self.expect(")")?;
        let is_lambda = match &left.kind {
            Kind::Path(steps) if steps.len() == 1 => {
                matches!(&steps[0].kind, Kind::Name(n) if &**n == "function" || &**n == "λ")
            }
            _ => false,
        };
        if is_lambda {
            let mut params = Vec::new();
            for a in &args {
                match &a.kind {
                    Kind::Var(v) => params.push(v.to_string()),
                    _ => {
                        return Err(JsonataError::new(
                            "S0208",
                            a.pos,
                            "Parameter of function definition must be a variable name (start with $)",
                        ));
                    }
                }
            }
            let mut signature = None;
            if is_op(&self.tok, "<") {
                let sig_pos = self.tok_pos;
                let mut depth = 1;
                let mut sig = String::from("<");
                self.take()?;
                while depth > 0 && !is_op(&self.tok, "{") && self.tok != Tok::End {
                    let (t, _) = self.take()?;
                    match &t {
                        Tok::Op(">") => depth -= 1,
                        Tok::Op("<") => depth += 1,
                        _ => {}
                    }
                    sig.push_str(&describe(&t));
                }
                signature = Some(Signature::parse(&sig, sig_pos)?);
            }
            self.expect("{")?;
            let body = self.expression(0)?;
            self.expect("}")?;
            let body = tail_call_optimize(body);
            return Ok(Node::new(
                Kind::Lambda(Arc::new(LambdaDef {
                    params,
                    signature,
                    body,
                    thunk: false,
                })),
                pos,
            ));
        }
        let arg_seeking: Vec<Arc<Slot>> = args.iter().flat_map(ancestry_of).collect();
        if partial {
            let args = args
                .into_iter()
                .map(|a| {
                    if matches!(a.kind, Kind::Placeholder) {
                        None
                    } else {
                        Some(a)
                    }
                })
                .collect();
            let mut n = Node::new(Kind::Partial(Box::new(left), args), pos);
            n.seeking = arg_seeking;
            return Ok(n);
        }
        let mut n = Node::new(Kind::Call(Box::new(left), args), pos);
        n.seeking = arg_seeking;
        Ok(n)
    }
}

/// Wraps a tail call in a body as a thunk the apply loop unwinds (deep recursion without stack).
fn tail_call_optimize(node: Node) -> Node {
    match node.kind {
        Kind::Call(..) if node.predicate.is_empty() && node.group.is_none() && !node.keep_array => {
            let pos = node.pos;
            Node::new(
                Kind::Lambda(Arc::new(LambdaDef {
                    params: Vec::new(),
                    signature: None,
                    body: node,
                    thunk: true,
                })),
                pos,
            )
        }
        Kind::Cond(c, t, e) if node.predicate.is_empty() && node.group.is_none() => {
            let mut n = Node::new(
                Kind::Cond(
                    c,
                    Box::new(tail_call_optimize(*t)),
                    e.map(|e| Box::new(tail_call_optimize(*e))),
                ),
                node.pos,
            );
            n.keep_array = node.keep_array;
            n
        }
        Kind::Block(mut exprs) if node.predicate.is_empty() && node.group.is_none() => {
            if let Some(last) = exprs.pop() {
                exprs.push(tail_call_optimize(last));
            }
            let mut n = Node::new(Kind::Block(exprs), node.pos);
            n.keep_array = node.keep_array;
            n
        }
        _ => node,
    }
}

/// A single-step path around a node.
fn path_of(step: Node) -> Node {
    let pos = step.pos;
    let keep = step.keep_array;
    let mut p = Node::new(Kind::Path(vec![step]), pos);
    p.keep_singleton_array = keep;
    p
}

/// `lhs . rhs`: merges steps into one path (the reference implementation's processing).
fn dot(lhs: Node, rhs: Node) -> Result<Node> {
    let pos = lhs.pos;
    let lhs_parent = match &lhs.kind {
        Kind::Parent(slot) => Some(slot.clone()),
        _ => None,
    };
    let mut path = match lhs.kind {
        Kind::Path(_) if lhs.group.is_none() => lhs,
        _ => path_of(lhs),
    };
    if let Some(slot) = lhs_parent {
        path.seeking = vec![slot];
    }
    let Kind::Path(steps) = &mut path.kind else {
        unreachable!("path_of makes a path")
    };
    match rhs.kind {
        Kind::Path(rsteps) if rhs.group.is_none() => {
            if rhs.keep_singleton_array {
                path.keep_singleton_array = true;
            }
            steps.extend(rsteps)
        }
        _ => {
            let mut r = rhs;
            if !r.predicate.is_empty() {
                r.stages = std::mem::take(&mut r.predicate);
            }
            steps.push(r);
        }
    }
    for s in steps.iter_mut() {
        match &s.kind {
            Kind::Num(_) | Kind::Bool(_) | Kind::Null => {
                return Err(JsonataError::new(
                    "S0213",
                    s.pos,
                    "The literal value cannot be used as a step within a path expression",
                ));
            }
            Kind::Str(v) => s.kind = Kind::Name(v.clone()),
            _ => {}
        }
    }
    if steps.iter().any(|s| s.keep_array) {
        path.keep_singleton_array = true;
    }
    if let Some(first) = steps.first_mut()
        && matches!(first.kind, Kind::ArrayCons(_))
    {
        first.consarray = true;
    }
    if let Some(last) = steps.last_mut()
        && matches!(last.kind, Kind::ArrayCons(_))
    {
        last.consarray = true;
    }
    path.pos = pos;
    resolve_ancestry(&mut path)?;
    Ok(path)
}

/// The unresolved `%` slots an expression hands to its parent expression.
fn ancestry_of(n: &Node) -> Vec<Arc<Slot>> {
    let mut slots = n.seeking.clone();
    if let Kind::Parent(slot) = &n.kind {
        slots.push(slot.clone());
    }
    slots
}

/// Walks up from `node` for a `%` slot: the step it lands on binds its input as the ancestor.
fn seek_parent(node: &mut Node, slot: Arc<Slot>) -> Result<Arc<Slot>> {
    let pos = node.pos;
    match &mut node.kind {
        Kind::Name(_) | Kind::Wildcard => {
            slot.set_level(slot.level() - 1);
            if slot.level() == 0 {
                if let Some(existing) = &node.ancestor {
                    slot.set_label(existing.label());
                }
                node.ancestor = Some(slot.clone());
                node.tuple = true;
            }
            Ok(slot)
        }
        Kind::Parent(_) => {
            slot.set_level(slot.level() + 1);
            Ok(slot)
        }
        Kind::Block(exprs) => {
            if exprs.is_empty() {
                return Ok(slot);
            }
            node.tuple = true;
            let last = exprs.last_mut().expect("not empty");
            seek_parent(last, slot)
        }
        Kind::Path(steps) => {
            node.tuple = true;
            let mut index = steps.len() as i64 - 1;
            let mut slot = seek_parent(&mut steps[index as usize], slot)?;
            index -= 1;
            while slot.level() > 0 && index >= 0 {
                slot = seek_parent(&mut steps[index as usize], slot)?;
                index -= 1;
            }
            Ok(slot)
        }
        _ => Err(JsonataError::new(
            "S0217",
            pos,
            "The object representing the 'parent' cannot be derived from this expression",
        )),
    }
}

/// Resolves the `%` slots of a path's last step against its earlier steps; what cannot be
/// resolved within the path is handed to the enclosing expression.
fn resolve_ancestry(path: &mut Node) -> Result<()> {
    let Kind::Path(steps) = &mut path.kind else {
        return Ok(());
    };
    let Some(last) = steps.last() else {
        return Ok(());
    };
    let slots = ancestry_of(last);
    for slot in slots {
        let mut slot = slot;
        let mut index = steps.len() as i64 - 2;
        while slot.level() > 0 {
            if index < 0 {
                path.seeking.push(slot);
                break;
            }
            let mut i = index as usize;
            index -= 1;
            while index >= 0 && steps[i].focus.is_some() && steps[index as usize].focus.is_some() {
                i = index as usize;
                index -= 1;
            }
            slot = seek_parent(&mut steps[i], slot)?;
        }
    }
    Ok(())
}
