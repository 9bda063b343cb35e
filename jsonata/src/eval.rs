//! The evaluator: walks the tree over an input value (the reference implementation's
//! semantics for paths, sequences, tuple streams, predicates, group-by, sort, operators,
//! lambdas with tail calls, partial application, `~>` and transforms), within the
//! budget (depth, deadline, result size).

use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;

use crate::ast::{BinOp, Kind, Node, Stage};
use crate::env::{Env, Frame};
use crate::error::{JsonataError, Result};
use crate::functions::{self, Builtin};
use crate::value::{CONS, Func, KEEP, MAX_NESTING, Map, OUTER, SEQ, Value, deep_equal, nesting};

/// A tuple of a tuple stream: `@` is the context, other keys are bound variables.
type Tuple = IndexMap<Arc<str>, Value>;

/// Stack left when evaluation grows the stack (one evaluation level needs well under this).
pub const STACK_RED_ZONE: usize = 256 * 1024;
/// Size of each stack segment evaluation adds.
pub const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// The limits one evaluation runs under.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Maximum evaluation depth (nested evaluations and calls).
    pub max_depth: usize,
    /// Deadline.
    pub deadline: Option<Instant>,
    /// Maximum size in bytes of a string, array or object built (approximate for arrays and objects).
    pub max_size: usize,
}

/// The evaluation state: limits and counters.
pub struct Evaluator {
    limits: Limits,
    depth: usize,
    steps: u64,
    /// Seeded random generator state for `$random`/`$shuffle`/`$uuid`.
    pub rng: rand::rngs::StdRng,
    /// The evaluation's timestamp (`$now`/`$millis` are constant within one evaluation).
    pub now: chrono::DateTime<chrono::Utc>,
    frames: Vec<Env>,
}

impl Drop for Evaluator {
    fn drop(&mut self) {
        // Lambdas capture the scope they are bound in: clear every scope to free the cycles.
        for f in &self.frames {
            f.clear();
        }
    }
}

fn err(code: &str, pos: usize, msg: impl Into<String>) -> JsonataError {
    JsonataError::new(code, pos, msg)
}

fn is_seq(v: &Value) -> bool {
    v.flags() & SEQ != 0
}

/// JSONata truthiness (`$boolean`), `None` for undefined.
pub fn truthy(v: &Value) -> Option<bool> {
    Some(match v {
        Value::Undefined => return None,
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(a, _) => match a.len() {
            0 => false,
            1 => truthy(&a[0]).unwrap_or(false),
            _ => a.iter().any(|x| truthy(x).unwrap_or(false)),
        },
        Value::Object(o) => !o.is_empty(),
        Value::Func(_) => false,
    })
}

/// `$append`: concatenates two values as sequences.
pub fn append(a: Value, b: Value) -> Value {
    if a.is_undef() {
        return b;
    }
    if b.is_undef() {
        return a;
    }
    let mut items = a.members();
    match b {
        Value::Array(x, _) => items.extend(x.iter().cloned()),
        other => items.push(other),
    }
    Value::array(items)
}

impl Evaluator {
    /// A fresh evaluator under limits.
    pub fn new(limits: Limits, seed: Option<u64>) -> Self {
        use rand::SeedableRng;
        let rng = match seed {
            Some(s) => rand::rngs::StdRng::seed_from_u64(s),
            None => rand::make_rng(),
        };
        Evaluator {
            limits,
            depth: 0,
            steps: 0,
            rng,
            now: chrono::Utc::now(),
            frames: Vec::new(),
        }
    }

    /// Remembers a scope to clear when the evaluation ends.
    pub fn track(&mut self, env: &Env) {
        self.frames.push(env.clone());
    }

    /// A child scope, remembered so that closures' reference cycles are broken at the end.
    fn child(&mut self, env: &Env) -> Env {
        let f = Frame::child(env);
        self.frames.push(f.clone());
        f
    }

    /// Refuses a built value that nests arrays and objects deeper than [`MAX_NESTING`].
    pub fn check_nesting(&self, v: &Value, pos: usize) -> Result<()> {
        if nesting(v, MAX_NESTING) > MAX_NESTING {
            return Err(err(
                "U1002",
                pos,
                format!("Result nests arrays and objects deeper than {MAX_NESTING} levels"),
            ));
        }
        Ok(())
    }

    /// Checks a built value against the size limit.
    pub fn check_size(&self, len: usize, pos: usize) -> Result<()> {
        if len > self.limits.max_size {
            return Err(err(
                "U1002",
                pos,
                format!(
                    "Result exceeds the maximum size of {} bytes",
                    self.limits.max_size
                ),
            ));
        }
        Ok(())
    }

    fn enter(&mut self, pos: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(err(
                "U1001",
                pos,
                "Stack overflow error: evaluation depth limit exceeded (infinite recursion?)",
            ));
        }
        self.tick(pos)
    }

    /// Counts a step and checks the deadline now and then.
    fn tick(&mut self, pos: usize) -> Result<()> {
        self.steps += 1;
        if self.steps.is_multiple_of(256)
            && let Some(d) = self.limits.deadline
            && Instant::now() > d
        {
            return Err(err(
                "U1001",
                pos,
                "Expression evaluation timeout: check for infinite loop",
            ));
        }
        Ok(())
    }

    /// Evaluates a node against an input in an environment.
    pub fn eval(&mut self, node: &Node, input: &Value, env: &Env) -> Result<Value> {
        self.enter(node.pos)?;
        // Grow the stack on the heap when it runs low: the depth limit, not the thread's
        // stack size, bounds the recursion.
        let r = stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            self.eval_inner(node, input, env)
        });
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, node: &Node, input: &Value, env: &Env) -> Result<Value> {
        let result = match &node.kind {
            Kind::Path(steps) => self.eval_path(node, steps, input, env)?,
            Kind::Binary(op, l, r) => self.eval_binary(*op, l, r, node.pos, input, env)?,
            Kind::Neg(e) => match self.eval(e, input, env)? {
                Value::Undefined => Value::Undefined,
                Value::Number(n) => Value::Number(-n),
                _ => {
                    return Err(
                        err("D1002", node.pos, "Cannot negate a non-numeric value").with_token("-")
                    );
                }
            },
            Kind::Name(n) => lookup_field(input, n),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Num(n) => Value::Number(*n),
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Null => Value::Null,
            Kind::Wildcard => wildcard(input),
            Kind::Descendant => {
                let mut out = Vec::new();
                if !input.is_undef() {
                    descendants(input, &mut out);
                }
                if out.len() == 1 {
                    out.pop().unwrap_or_default()
                } else {
                    Value::seq(out)
                }
            }
            Kind::Parent(slot) => env.lookup(&slot.label()).unwrap_or_default(),
            Kind::Cond(c, t, e) => {
                let cv = self.eval(c, input, env)?;
                if truthy(&cv).unwrap_or(false) {
                    self.eval(t, input, env)?
                } else if let Some(e) = e {
                    self.eval(e, input, env)?
                } else {
                    Value::Undefined
                }
            }
            Kind::Block(exprs) => {
                let frame = self.child(env);
                let mut r = Value::Undefined;
                for e in exprs {
                    r = self.eval(e, input, &frame)?;
                }
                r
            }
            Kind::Bind(name, rhs) => {
                let v = self.eval(rhs, input, env)?;
                env.bind(name, v.clone());
                v
            }
            Kind::Regex(re) => Value::Func(Rc::new(Func::Regex(re.clone()))),
            Kind::Var(name) => {
                if name.is_empty() {
                    match input {
                        Value::Array(a, f) if f & OUTER != 0 => {
                            a.first().cloned().unwrap_or_default()
                        }
                        _ => input.clone(),
                    }
                } else {
                    match env.lookup(name) {
                        Some(v) => v,
                        None => match Builtin::by_name(name) {
                            Some(b) => Value::Func(Rc::new(Func::Builtin(b))),
                            None => Value::Undefined,
                        },
                    }
                }
            }
            Kind::ArrayCons(items) => {
                let mut out: Vec<Value> = Vec::new();
                for item in items {
                    let v = self.eval(item, input, env)?;
                    if v.is_undef() {
                        continue;
                    }
                    if matches!(item.kind, Kind::ArrayCons(_)) {
                        out.push(v);
                    } else {
                        match v {
                            Value::Array(a, _) => out.extend(a.iter().cloned()),
                            other => out.push(other),
                        }
                    }
                    self.check_size(out.len() * 8, node.pos)?;
                }
                let v = Value::Array(Rc::new(out), if node.consarray { CONS } else { 0 });
                self.check_nesting(&v, node.pos)?;
                v
            }
            Kind::ObjectCons(pairs) => {
                self.eval_group(pairs, GroupInput::Values(input.clone()), env, node.pos)?
            }
            Kind::Call(proc_node, args) => {
                self.eval_call(proc_node, args, input, env, node.pos, None)?
            }
            Kind::Partial(proc_node, args) => {
                let f = self.eval(proc_node, input, env)?;
                let mut vals = Vec::new();
                for a in args {
                    vals.push(match a {
                        Some(a) => Some(self.eval(a, input, env)?),
                        None => None,
                    });
                }
                if !f.is_func() {
                    if let Kind::Path(steps) = &proc_node.kind
                        && let Kind::Name(n) = &steps[0].kind
                        && (env.lookup(n).is_some() || Builtin::by_name(n).is_some())
                    {
                        return Err(err(
                            "T1007",
                            node.pos,
                            format!(
                                "Attempted to partially apply a non-function. Did you mean ${n}?"
                            ),
                        )
                        .with_token(n.to_string()));
                    }
                    return Err(err(
                        "T1008",
                        node.pos,
                        "Attempted to partially apply a non-function",
                    )
                    .with_token(proc_name(proc_node)));
                }
                Value::Func(Rc::new(Func::Partial(f, vals)))
            }
            Kind::Lambda(def) => Value::Func(Rc::new(Func::Lambda {
                def: def.clone(),
                env: env.clone(),
                input: input.clone(),
            })),
            Kind::Apply(lhs, rhs) => {
                let l = self.eval(lhs, input, env)?;
                if let Kind::Call(p, args) = &rhs.kind {
                    let r = self.eval_call(p, args, input, env, rhs.pos, Some(l))?;
                    self.finish(rhs, r, env)?
                } else {
                    let f = self.eval(rhs, input, env)?;
                    if !f.is_func() {
                        return Err(err(
                            "T2006",
                            rhs.pos,
                            "The right side of the function application operator ~> must be a function",
                        ));
                    }
                    if l.is_func() {
                        Value::Func(Rc::new(Func::Chain(l, f)))
                    } else {
                        self.apply(&f, vec![l], &Value::Undefined, node.pos)?
                    }
                }
            }
            Kind::Transform(t) => Value::Func(Rc::new(Func::Transform(t.clone(), env.clone()))),
            Kind::Sort(_) => {
                let items = input.members();
                Value::seq(self.sort_values(node, items, env)?)
            }
            Kind::Placeholder => {
                return Err(err("S0201", node.pos, "Syntax error: ?").with_token("?"));
            }
        };
        self.finish(node, result, env)
    }

    /// Applies a node's predicates and group-by to its value and unwraps singleton sequences.
    fn finish(&mut self, node: &Node, mut result: Value, env: &Env) -> Result<Value> {
        for stage in &node.predicate {
            if let Stage::Filter(p) = stage {
                result = self.filter(p, result, env)?;
            }
        }
        if !matches!(node.kind, Kind::Path(_))
            && let Some(g) = &node.group
        {
            result = self.eval_group(g, GroupInput::Values(result), env, node.pos)?;
        }
        if let Value::Array(a, f) = &result
            && f & SEQ != 0
        {
            let f = if node.keep_array { f | KEEP } else { *f };
            if a.is_empty() {
                return Ok(Value::Undefined);
            }
            if a.len() == 1 && f & KEEP == 0 {
                return Ok(a[0].clone());
            }
            return Ok(Value::Array(a.clone(), f));
        }
        Ok(result)
    }

    fn eval_path(
        &mut self,
        node: &Node,
        steps: &[Node],
        input: &Value,
        env: &Env,
    ) -> Result<Value> {
        Ok(self.eval_path_inner(node, steps, input, env, false)?.0)
    }

    /// A step that carries ancestry (a path or block `%` looks through) as a tuple stream.
    fn eval_tuples(&mut self, step: &Node, input: &Value, env: &Env) -> Result<Option<Vec<Tuple>>> {
        if !step.tuple || step.group.is_some() {
            return Ok(None);
        }
        let ts = match &step.kind {
            Kind::Path(steps) => {
                self.enter(step.pos)?;
                let r = self.eval_path_inner(step, steps, input, env, true);
                self.depth -= 1;
                r?.1
            }
            Kind::Block(exprs) if !exprs.is_empty() => {
                let frame = self.child(env);
                for e in &exprs[..exprs.len() - 1] {
                    self.eval(e, input, &frame)?;
                }
                let last = &exprs[exprs.len() - 1];
                match self.eval_tuples(last, input, &frame)? {
                    Some(ts) => Some(ts),
                    None => {
                        let v = self.eval(last, input, &frame)?;
                        Some(singletons(v))
                    }
                }
            }
            _ => None,
        };
        match ts {
            // Predicates on the step see the ancestors bound in each tuple.
            Some(ts) => Ok(Some(self.stages_tuples(&step.predicate, ts, env)?)),
            None => Ok(None),
        }
    }

    fn eval_path_inner(
        &mut self,
        node: &Node,
        steps: &[Node],
        input: &Value,
        env: &Env,
        want_tuples: bool,
    ) -> Result<(Value, Option<Vec<Tuple>>)> {
        let mut input_seq: Vec<Value> = match input {
            Value::Array(a, _) if !matches!(steps[0].kind, Kind::Var(_)) => a.as_ref().clone(),
            Value::Undefined => vec![],
            v => vec![v.clone()],
        };
        if input.is_undef() && !steps.is_empty() {
            input_seq = vec![Value::Undefined];
        }
        let mut result: Vec<Value> = Vec::new();
        let mut result_flags = SEQ;
        let mut tuples: Option<Vec<Tuple>> = None;
        let mut is_tuple = false;
        for (i, step) in steps.iter().enumerate() {
            if step.tuple {
                is_tuple = true;
            }
            if i == 0 && step.consarray {
                let v = self.eval(step, &Value::seq(input_seq.clone()), env)?;
                (result, result_flags) = match v {
                    Value::Undefined => (vec![], SEQ),
                    Value::Array(a, f) => (a.as_ref().clone(), f),
                    other => (vec![other], SEQ),
                };
            } else if is_tuple {
                tuples = Some(self.eval_tuple_step(step, &input_seq, tuples.take(), env)?);
            } else {
                let (r, f) = self.eval_step(step, &input_seq, env, i == steps.len() - 1)?;
                result = r;
                result_flags = f;
            }
            if !is_tuple && result.is_empty() {
                break;
            }
            if step.focus.is_none() {
                input_seq = result.clone();
            }
        }
        if is_tuple {
            let ts = tuples.unwrap_or_default();
            if let Some(g) = &node.group {
                return Ok((
                    self.eval_group(g, GroupInput::Tuples(ts), env, node.pos)?,
                    None,
                ));
            }
            if want_tuples {
                return Ok((Value::Undefined, Some(ts)));
            }
            result = ts
                .into_iter()
                .map(|t| t.get("@").cloned().unwrap_or_default())
                .collect();
            result_flags = SEQ;
        }
        let mut out = Value::Array(Rc::new(result), result_flags);
        if node.keep_singleton_array {
            if out.flags() & CONS != 0 && out.flags() & SEQ == 0 {
                out = Value::seq(vec![out]);
            }
            out = out.with_flag(KEEP | SEQ);
        }
        if let Some(g) = &node.group {
            out = self.eval_group(g, GroupInput::Values(out), env, node.pos)?;
        }
        if want_tuples {
            return Ok((Value::Undefined, Some(singletons(out))));
        }
        Ok((out, None))
    }

    fn eval_step(
        &mut self,
        step: &Node,
        input: &[Value],
        env: &Env,
        last: bool,
    ) -> Result<(Vec<Value>, u8)> {
        if matches!(step.kind, Kind::Sort(_)) {
            let mut r = Value::seq(self.sort_values(step, input.to_vec(), env)?);
            for s in &step.stages {
                if let Stage::Filter(p) = s {
                    r = self.filter(p, r, env)?;
                }
            }
            return Ok((r.members(), SEQ));
        }
        let mut results: Vec<Value> = Vec::new();
        for item in input {
            let mut r = self.eval(step, item, env)?;
            for s in &step.stages {
                if let Stage::Filter(p) = s {
                    r = self.filter(p, r, env)?;
                }
            }
            if !r.is_undef() {
                results.push(r);
            }
        }
        if last
            && results.len() == 1
            && !is_seq(&results[0])
            && let Value::Array(a, f) = &results[0]
        {
            return Ok((a.as_ref().clone(), *f));
        }
        let mut out = Vec::new();
        for r in results {
            match r {
                Value::Array(a, f) if f & CONS == 0 => out.extend(a.iter().cloned()),
                other => out.push(other),
            }
        }
        Ok((out, SEQ))
    }

    fn tuple_env(&mut self, env: &Env, t: &Tuple) -> Env {
        let frame = self.child(env);
        for (k, v) in t {
            if &**k != "@" {
                frame.bind(k, v.clone());
            }
        }
        frame
    }

    fn eval_tuple_step(
        &mut self,
        step: &Node,
        input: &[Value],
        tuples: Option<Vec<Tuple>>,
        env: &Env,
    ) -> Result<Vec<Tuple>> {
        if let Kind::Sort(_) = step.kind {
            let mut result = match tuples {
                Some(ts) => self.sort_tuples(step, ts, env)?,
                None => {
                    let sorted = self.sort_values(step, input.to_vec(), env)?;
                    sorted
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let mut t = Tuple::new();
                            t.insert("@".into(), v);
                            if let Some(ix) = &step.index {
                                t.insert(ix.clone(), Value::Number(i as f64));
                            }
                            t
                        })
                        .collect()
                }
            };
            result = self.stages_tuples(&step.stages, result, env)?;
            return Ok(result);
        }
        let tuples = tuples.unwrap_or_else(|| {
            input
                .iter()
                .map(|v| {
                    let mut t = Tuple::new();
                    t.insert("@".into(), v.clone());
                    t
                })
                .collect()
        });
        let mut result = Vec::new();
        for tb in &tuples {
            let step_env = self.tuple_env(env, tb);
            let ctx = tb.get("@").cloned().unwrap_or_default();
            if let Some(inner) = self.eval_tuples(step, &ctx, &step_env)? {
                for t in inner {
                    let mut merged = tb.clone();
                    merged.extend(t);
                    result.push(merged);
                }
                continue;
            }
            let r = self.eval(step, &ctx, &step_env)?;
            if r.is_undef() {
                continue;
            }
            let items = match &r {
                Value::Array(a, _) => a.as_ref().clone(),
                v => vec![v.clone()],
            };
            for (bb, item) in items.into_iter().enumerate() {
                let mut t = tb.clone();
                if let Some(f) = &step.focus {
                    t.insert(f.clone(), item);
                    t.insert("@".into(), ctx.clone());
                } else {
                    t.insert("@".into(), item);
                }
                if let Some(ix) = &step.index {
                    t.insert(ix.clone(), Value::Number(bb as f64));
                }
                if let Some(slot) = &step.ancestor {
                    t.insert(slot.label().as_str().into(), ctx.clone());
                }
                result.push(t);
            }
        }
        self.stages_tuples(&step.stages, result, env)
    }

    fn stages_tuples(
        &mut self,
        stages: &[Stage],
        mut ts: Vec<Tuple>,
        env: &Env,
    ) -> Result<Vec<Tuple>> {
        for s in stages {
            match s {
                Stage::Filter(p) => {
                    let mut out = Vec::new();
                    let n = ts.len();
                    for (i, t) in ts.into_iter().enumerate() {
                        let e = self.tuple_env(env, &t);
                        let ctx = t.get("@").cloned().unwrap_or_default();
                        if self.predicate_keeps(p, &ctx, &e, i, n)? {
                            out.push(t);
                        }
                    }
                    ts = out;
                }
                Stage::Index(name) => {
                    for (i, t) in ts.iter_mut().enumerate() {
                        t.insert(name.as_str().into(), Value::Number(i as f64));
                    }
                }
            }
        }
        Ok(ts)
    }

    fn predicate_keeps(
        &mut self,
        p: &Node,
        ctx: &Value,
        env: &Env,
        index: usize,
        len: usize,
    ) -> Result<bool> {
        if let Kind::Num(n) = p.kind {
            let mut ix = n.floor();
            if ix < 0.0 {
                ix += len as f64;
            }
            return Ok(ix == index as f64);
        }
        let r = self.eval(p, ctx, env)?;
        let nums: Option<Vec<f64>> = match &r {
            Value::Number(n) => Some(vec![*n]),
            Value::Array(a, _)
                if !a.is_empty() && a.iter().all(|v| matches!(v, Value::Number(_))) =>
            {
                Some(a.iter().filter_map(|v| v.as_f64()).collect())
            }
            _ => None,
        };
        if let Some(nums) = nums {
            return Ok(nums.iter().any(|n| {
                let mut ix = n.floor();
                if ix < 0.0 {
                    ix += len as f64;
                }
                ix == index as f64
            }));
        }
        Ok(truthy(&r).unwrap_or(false))
    }

    /// Applies a predicate to a value (treated as a sequence).
    fn filter(&mut self, p: &Node, input: Value, env: &Env) -> Result<Value> {
        let items = match &input {
            Value::Array(a, _) => a.as_ref().clone(),
            Value::Undefined => vec![],
            v => vec![v.clone()],
        };
        if let Kind::Num(n) = p.kind {
            let mut ix = n.floor();
            if ix < 0.0 {
                ix += items.len() as f64;
            }
            if ix >= 0.0 && (ix as usize) < items.len() {
                let item = items[ix as usize].clone();
                if item.is_array() {
                    return Ok(item);
                }
                return Ok(Value::seq(vec![item]));
            }
            return Ok(Value::seq(vec![]));
        }
        let n = items.len();
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            if self.predicate_keeps(p, &item, env, i, n)? {
                out.push(item);
            }
        }
        Ok(Value::seq(out))
    }

    fn sort_key_cmp(
        &mut self,
        terms: &[(Node, bool)],
        a: (&Value, &Env),
        b: (&Value, &Env),
    ) -> Result<std::cmp::Ordering> {
        use std::cmp::Ordering;
        for (t, desc) in terms {
            let aa = self.eval(t, a.0, a.1)?;
            let bb = self.eval(t, b.0, b.1)?;
            let c = match (&aa, &bb) {
                (Value::Undefined, Value::Undefined) => Ordering::Equal,
                (Value::Undefined, _) => {
                    return Ok(Ordering::Greater);
                }
                (_, Value::Undefined) => {
                    return Ok(Ordering::Less);
                }
                (Value::Number(x), Value::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
                (Value::String(x), Value::String(y)) => cmp_js_str(x, y),
                (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
                    return Err(err(
                        "T2007",
                        t.pos,
                        "Type mismatch within order-by clause. All values must be of the same type",
                    ));
                }
                _ => {
                    return Err(err(
                        "T2008",
                        t.pos,
                        "The expressions within an order-by clause must evaluate to numeric or string values",
                    ));
                }
            };
            let c = if *desc { c.reverse() } else { c };
            if c != Ordering::Equal {
                return Ok(c);
            }
        }
        Ok(Ordering::Equal)
    }

    fn sort_values(&mut self, step: &Node, items: Vec<Value>, env: &Env) -> Result<Vec<Value>> {
        let Kind::Sort(terms) = &step.kind else {
            return Ok(items);
        };
        merge_sort(items, &mut |a, b| {
            Ok(self.sort_key_cmp(terms, (a, env), (b, env))? == std::cmp::Ordering::Greater)
        })
    }

    fn sort_tuples(&mut self, step: &Node, items: Vec<Tuple>, env: &Env) -> Result<Vec<Tuple>> {
        let Kind::Sort(terms) = &step.kind else {
            return Ok(items);
        };
        merge_sort(items, &mut |a, b| {
            let ea = self.tuple_env(env, a);
            let eb = self.tuple_env(env, b);
            let va = a.get("@").cloned().unwrap_or_default();
            let vb = b.get("@").cloned().unwrap_or_default();
            Ok(self.sort_key_cmp(terms, (&va, &ea), (&vb, &eb))? == std::cmp::Ordering::Greater)
        })
    }

    fn eval_group(
        &mut self,
        pairs: &[(Node, Node)],
        input: GroupInput,
        env: &Env,
        pos: usize,
    ) -> Result<Value> {
        // Items: (context value, environment, tuple for reduction).
        let items: Vec<(Value, Env, Option<Tuple>)> = match input {
            GroupInput::Values(v) => {
                let mut m = match v {
                    Value::Array(a, _) => a.as_ref().clone(),
                    Value::Undefined => vec![],
                    other => vec![other],
                };
                if m.is_empty() {
                    m.push(Value::Undefined);
                }
                m.into_iter().map(|v| (v, env.clone(), None)).collect()
            }
            GroupInput::Tuples(ts) => {
                let mut out = Vec::new();
                for t in ts {
                    let e = self.tuple_env(env, &t);
                    out.push((t.get("@").cloned().unwrap_or_default(), e, Some(t)));
                }
                if out.is_empty() {
                    out.push((Value::Undefined, env.clone(), None));
                }
                out
            }
        };
        let reduce = items.iter().any(|i| i.2.is_some());
        let mut groups: IndexMap<String, (Value, usize, Option<Tuple>)> = IndexMap::new();
        for (ctx, e, t) in &items {
            for (pi, (k, _)) in pairs.iter().enumerate() {
                let key = self.eval(k, ctx, e)?;
                let key = match key {
                    Value::Undefined => continue,
                    Value::String(s) => s.to_string(),
                    other => {
                        return Err(err(
                            "T1003",
                            k.pos,
                            format!(
                                "Key in object structure must evaluate to a string; got: {}",
                                functions::string_of(&other, false, k.pos)?
                            ),
                        ));
                    }
                };
                match groups.get_mut(&key) {
                    Some(g) => {
                        if g.1 != pi {
                            return Err(err(
                                "D1009",
                                k.pos,
                                format!("Multiple key definitions evaluate to same key: {key}"),
                            ));
                        }
                        g.0 = append(std::mem::take(&mut g.0), ctx.clone());
                        if let (Some(acc), Some(t)) = (&mut g.2, t) {
                            for (tk, tv) in t {
                                let prev = acc.get(tk).cloned().unwrap_or_default();
                                acc.insert(tk.clone(), append(prev, tv.clone()));
                            }
                        }
                    }
                    None => {
                        groups.insert(key, (ctx.clone(), pi, t.clone()));
                    }
                }
            }
        }
        let mut result = Map::new();
        for (key, (data, pi, tuple)) in groups {
            let (ctx, e) = if reduce {
                let mut t = tuple.unwrap_or_default();
                let ctx = t.shift_remove("@").unwrap_or_default();
                let e = self.tuple_env(env, &t);
                (ctx, e)
            } else {
                (data, env.clone())
            };
            let v = self.eval(&pairs[pi].1, &ctx, &e)?;
            if !v.is_undef() {
                result.insert(key, v);
            }
        }
        self.check_size(result.len() * 16, pos)?;
        let v = Value::Object(Rc::new(result));
        self.check_nesting(&v, pos)?;
        Ok(v)
    }

    fn eval_binary(
        &mut self,
        op: BinOp,
        l: &Node,
        r: &Node,
        pos: usize,
        input: &Value,
        env: &Env,
    ) -> Result<Value> {
        let lhs = self.eval(l, input, env)?;
        match op {
            BinOp::And => {
                let lb = truthy(&lhs).unwrap_or(false);
                if !lb {
                    return Ok(Value::Bool(false));
                }
                let rhs = self.eval(r, input, env)?;
                return Ok(Value::Bool(truthy(&rhs).unwrap_or(false)));
            }
            BinOp::Or => {
                if truthy(&lhs).unwrap_or(false) {
                    return Ok(Value::Bool(true));
                }
                let rhs = self.eval(r, input, env)?;
                return Ok(Value::Bool(truthy(&rhs).unwrap_or(false)));
            }
            BinOp::Coalesce => {
                return if lhs.is_undef() {
                    self.eval(r, input, env)
                } else {
                    Ok(lhs)
                };
            }
            BinOp::Elvis => {
                return if truthy(&lhs).unwrap_or(false) {
                    Ok(lhs)
                } else {
                    self.eval(r, input, env)
                };
            }
            _ => {}
        }
        let rhs = self.eval(r, input, env)?;
        let sym = match op {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            _ => "",
        };
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                if !lhs.is_undef() && !matches!(lhs, Value::Number(_)) {
                    return Err(err(
                        "T2001",
                        pos,
                        format!("The left side of the {sym} operator must evaluate to a number"),
                    )
                    .with_token(sym));
                }
                if !rhs.is_undef() && !matches!(rhs, Value::Number(_)) {
                    return Err(err(
                        "T2002",
                        pos,
                        format!("The right side of the {sym} operator must evaluate to a number"),
                    )
                    .with_token(sym));
                }
                let (Value::Number(a), Value::Number(b)) = (lhs, rhs) else {
                    return Ok(Value::Undefined);
                };
                if !a.is_finite() || !b.is_finite() {
                    return Err(err("D1001", pos, "Number out of range"));
                }
                let v = match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    _ => a % b,
                };
                Ok(Value::Number(v))
            }
            BinOp::Eq | BinOp::Ne => {
                if lhs.is_undef() || rhs.is_undef() {
                    return Ok(Value::Bool(false));
                }
                let eq = deep_equal(&lhs, &rhs);
                Ok(Value::Bool(if op == BinOp::Eq { eq } else { !eq }))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let comparable =
                    |v: &Value| matches!(v, Value::Undefined | Value::String(_) | Value::Number(_));
                if !comparable(&lhs) || !comparable(&rhs) {
                    return Err(err("T2010", pos, format!("The expressions either side of operator {sym} must evaluate to numeric or string values")).with_token(sym));
                }
                let ord = match (&lhs, &rhs) {
                    (Value::Undefined, _) | (_, Value::Undefined) => return Ok(Value::Undefined),
                    (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
                    (Value::String(a), Value::String(b)) => Some(cmp_js_str(a, b)),
                    _ => {
                        return Err(err("T2009", pos, format!("The values either side of the operator {sym} must be of the same data type")).with_token(sym));
                    }
                };
                let Some(ord) = ord else {
                    return Ok(Value::Bool(false));
                };
                use std::cmp::Ordering::*;
                Ok(Value::Bool(match op {
                    BinOp::Lt => ord == Less,
                    BinOp::Le => ord != Greater,
                    BinOp::Gt => ord == Greater,
                    _ => ord != Less,
                }))
            }
            BinOp::Concat => {
                let a = if lhs.is_undef() {
                    String::new()
                } else {
                    functions::string_of(&lhs, false, pos)?
                };
                let b = if rhs.is_undef() {
                    String::new()
                } else {
                    functions::string_of(&rhs, false, pos)?
                };
                self.check_size(a.len() + b.len(), pos)?;
                Ok(Value::str(a + &b))
            }
            BinOp::In => {
                if lhs.is_undef() || rhs.is_undef() {
                    return Ok(Value::Bool(false));
                }
                let items = rhs.members();
                Ok(Value::Bool(items.iter().any(|v| strict_equal(v, &lhs))))
            }
            BinOp::Range => {
                if !lhs.is_undef() && !lhs.as_f64().is_some_and(|n| n.fract() == 0.0) {
                    return Err(err(
                        "T2003",
                        pos,
                        "The left side of the range operator (..) must evaluate to an integer",
                    ));
                }
                if !rhs.is_undef() && !rhs.as_f64().is_some_and(|n| n.fract() == 0.0) {
                    return Err(err(
                        "T2004",
                        pos,
                        "The right side of the range operator (..) must evaluate to an integer",
                    ));
                }
                let (Value::Number(a), Value::Number(b)) = (lhs, rhs) else {
                    return Ok(Value::Undefined);
                };
                if a > b {
                    return Ok(Value::Undefined);
                }
                let size = b - a + 1.0;
                if size > 1e7 {
                    return Err(err(
                        "D2014",
                        pos,
                        format!(
                            "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {size}."
                        ),
                    ));
                }
                self.check_size(size as usize * 8, pos)?;
                let mut v = Vec::with_capacity(size as usize);
                let mut x = a;
                while x <= b {
                    v.push(Value::Number(x));
                    x += 1.0;
                }
                Ok(Value::seq(v))
            }
            _ => Ok(Value::Undefined),
        }
    }

    fn eval_call(
        &mut self,
        proc_node: &Node,
        args: &[Node],
        input: &Value,
        env: &Env,
        pos: usize,
        first: Option<Value>,
    ) -> Result<Value> {
        let f = self.eval(proc_node, input, env)?;
        if f.is_undef()
            && let Kind::Path(steps) = &proc_node.kind
            && let Kind::Name(n) = &steps[0].kind
            && (env.lookup(n).is_some() || Builtin::by_name(n).is_some())
        {
            return Err(err(
                "T1005",
                pos,
                format!("Attempted to invoke a non-function. Did you mean ${n}?"),
            )
            .with_token(n.to_string()));
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        if let Some(v) = first {
            vals.push(v);
        }
        for a in args {
            vals.push(self.eval(a, input, env)?);
        }
        self.apply(&f, vals, input, pos).map_err(|mut e| {
            if e.position == 0 {
                e.position = pos;
            }
            if e.token.is_none() {
                e.token = Some(proc_name(proc_node));
            }
            e
        })
    }

    /// Applies a function value to arguments (with tail-call unwinding).
    pub fn apply(
        &mut self,
        f: &Value,
        args: Vec<Value>,
        input: &Value,
        pos: usize,
    ) -> Result<Value> {
        self.tick(pos)?;
        let mut r = self.apply_inner(f, args, input, pos).map_err(|mut e| {
            // Errors raised without a position (signature checks) point at the call.
            if e.position == 0 {
                e.position = pos;
            }
            e
        });
        while let Ok(Value::Func(func)) = &r {
            let Func::Lambda { def, env, input } = func.as_ref() else {
                break;
            };
            if !def.thunk {
                break;
            }
            let Kind::Call(p, a) = &def.body.kind else {
                break;
            };
            let (p, a, env, input) = (p.clone(), a.clone(), env.clone(), input.clone());
            r = (|| {
                let next = self.eval(&p, &input, &env)?;
                let mut vals = Vec::new();
                for x in a.iter() {
                    vals.push(self.eval(x, &input, &env)?);
                }
                self.apply_inner(&next, vals, &input, pos)
            })();
            if let Err(e) = self.tick(pos) {
                r = Err(e);
            }
        }
        r
    }

    fn apply_inner(
        &mut self,
        f: &Value,
        args: Vec<Value>,
        input: &Value,
        pos: usize,
    ) -> Result<Value> {
        let Value::Func(func) = f else {
            return Err(err("T1006", pos, "Attempted to invoke a non-function"));
        };
        match func.as_ref() {
            Func::Lambda {
                def,
                env,
                input: linput,
            } => {
                let args = match &def.signature {
                    Some(s) => s.validate(&args, input)?,
                    None => args,
                };
                let frame = self.child(env);
                for (i, p) in def.params.iter().enumerate() {
                    frame.bind(p, args.get(i).cloned().unwrap_or_default());
                }
                if def.thunk {
                    // Return the thunk itself for the apply loop to unwind.
                    return Ok(Value::Func(Rc::new(Func::Lambda {
                        def: def.clone(),
                        env: frame,
                        input: linput.clone(),
                    })));
                }
                let r = self.eval(&def.body, linput, &frame)?;
                // A thunk returned from the body is unwound by the caller's loop.
                Ok(r)
            }
            Func::Builtin(b) => {
                let args = b.signature().validate(&args, input)?;
                let r = functions::call(self, *b, args, input, pos)?;
                match &r {
                    Value::Array(a, _) => {
                        self.check_size(a.len() * 8, pos)?;
                        self.check_nesting(&r, pos)?;
                    }
                    Value::Object(o) => {
                        self.check_size(o.len() * 16, pos)?;
                        self.check_nesting(&r, pos)?;
                    }
                    _ => {}
                }
                Ok(r)
            }
            Func::Partial(inner, fixed) => {
                let mut it = args.into_iter();
                let full: Vec<Value> = fixed
                    .iter()
                    .map(|a| a.clone().unwrap_or_else(|| it.next().unwrap_or_default()))
                    .collect();
                self.apply(inner, full, input, pos)
            }
            Func::Chain(a, b) => {
                let x = self.apply(a, args, input, pos)?;
                self.apply(b, vec![x], input, pos)
            }
            Func::Regex(re) => Ok(functions::regex_match_object(
                re,
                &args.first().cloned().unwrap_or_default(),
                0,
            )),
            Func::Transform(t, env) => {
                self.transform(t, env, args.into_iter().next().unwrap_or_default(), pos)
            }
        }
    }

    /// The number of parameters a function declares (for higher-order built-ins).
    pub fn arity(&self, f: &Value) -> usize {
        match f {
            Value::Func(func) => match func.as_ref() {
                Func::Lambda { def, .. } => def.params.len(),
                Func::Builtin(b) => b.signature().required(),
                Func::Partial(_, fixed) => fixed.iter().filter(|a| a.is_none()).count(),
                Func::Chain(..) | Func::Regex(_) | Func::Transform(..) => 1,
            },
            _ => 0,
        }
    }

    fn transform(
        &mut self,
        t: &(Node, Node, Option<Node>),
        env: &Env,
        obj: Value,
        pos: usize,
    ) -> Result<Value> {
        if obj.is_undef() {
            return Ok(Value::Undefined);
        }
        let cloned = deep_clone(&obj);
        let matches = self.eval(&t.0, &cloned, env)?;
        let mut edits: Vec<(*const Map, Map, Vec<String>)> = Vec::new();
        for m in matches.members() {
            let Value::Object(o) = &m else { continue };
            let update = self.eval(&t.1, &m, env)?;
            let mut upd = Map::new();
            match update {
                Value::Undefined => {}
                Value::Object(u) => upd = u.as_ref().clone(),
                _ => {
                    return Err(err(
                        "T2011",
                        t.1.pos,
                        "The insert/update clause of the transform expression must evaluate to an object",
                    ));
                }
            }
            let mut dels = Vec::new();
            if let Some(d) = &t.2 {
                let dv = self.eval(d, &m, env)?;
                if !dv.is_undef() {
                    for x in dv.members() {
                        match x {
                            Value::String(s) => dels.push(s.to_string()),
                            _ => {
                                return Err(err(
                                    "T2012",
                                    d.pos,
                                    "The delete clause of the transform expression must evaluate to a string or array of strings",
                                ));
                            }
                        }
                    }
                }
            }
            edits.push((Rc::as_ptr(o), upd, dels));
        }
        let _ = pos;
        Ok(apply_edits(&cloned, &edits))
    }
}

/// A tuple stream of one-binding tuples (`@` only) over a value's members.
fn singletons(v: Value) -> Vec<Tuple> {
    v.members()
        .into_iter()
        .map(|x| {
            let mut t = Tuple::new();
            t.insert("@".into(), x);
            t
        })
        .collect()
}

/// The input of a group-by: plain values or a tuple stream.
enum GroupInput {
    Values(Value),
    Tuples(Vec<Tuple>),
}

fn proc_name(n: &Node) -> String {
    match &n.kind {
        Kind::Var(v) => v.to_string(),
        Kind::Path(s) => match &s[0].kind {
            Kind::Name(x) => x.to_string(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// Compares strings by UTF-16 code units, as JavaScript does.
pub fn cmp_js_str(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn strict_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        (Value::Array(x, _), Value::Array(y, _)) => Rc::ptr_eq(x, y),
        _ => deep_equal(a, b),
    }
}

/// A stable merge sort with a fallible "a should come after b" predicate.
pub fn merge_sort<T: Clone>(
    items: Vec<T>,
    swap: &mut dyn FnMut(&T, &T) -> Result<bool>,
) -> Result<Vec<T>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mid = items.len() / 2;
    let mut left = items;
    let right = left.split_off(mid);
    let l = merge_sort(left, swap)?;
    let r = merge_sort(right, swap)?;
    let mut out = Vec::with_capacity(l.len() + r.len());
    let (mut i, mut j) = (0, 0);
    while i < l.len() && j < r.len() {
        if swap(&l[i], &r[j])? {
            out.push(r[j].clone());
            j += 1;
        } else {
            out.push(l[i].clone());
            i += 1;
        }
    }
    out.extend_from_slice(&l[i..]);
    out.extend_from_slice(&r[j..]);
    Ok(out)
}

fn lookup_field(input: &Value, key: &str) -> Value {
    match input {
        Value::Array(a, _) => {
            let mut out = Vec::new();
            for item in a.iter() {
                match lookup_field(item, key) {
                    Value::Undefined => {}
                    Value::Array(x, _) => out.extend(x.iter().cloned()),
                    v => out.push(v),
                }
            }
            Value::seq(out)
        }
        Value::Object(o) => o.get(key).cloned().unwrap_or_default(),
        _ => Value::Undefined,
    }
}

fn flatten_into(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a, _) => a.iter().for_each(|x| flatten_into(x, out)),
        other => out.push(other.clone()),
    }
}

fn wildcard(input: &Value) -> Value {
    let input = match input {
        Value::Array(a, f) if f & OUTER != 0 && !a.is_empty() => a[0].clone(),
        v => v.clone(),
    };
    let mut out = Vec::new();
    if let Value::Array(a, _) = &input {
        for v in a.iter() {
            match v {
                Value::Array(..) => flatten_into(v, &mut out),
                other => out.push(other.clone()),
            }
        }
    }
    if let Value::Object(o) = &input {
        for v in o.values() {
            match v {
                Value::Array(..) => flatten_into(v, &mut out),
                other => out.push(other.clone()),
            }
        }
    }
    Value::seq(out)
}

fn descendants(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a, _) => a.iter().for_each(|x| descendants(x, out)),
        Value::Object(o) => {
            out.push(v.clone());
            o.values().for_each(|x| descendants(x, out));
        }
        other => out.push(other.clone()),
    }
}

/// A copy with fresh allocations for every object (so transforms can find their matches).
fn deep_clone(v: &Value) -> Value {
    match v {
        Value::Array(a, f) => Value::Array(Rc::new(a.iter().map(deep_clone).collect()), *f),
        Value::Object(o) => Value::Object(Rc::new(
            o.iter().map(|(k, v)| (k.clone(), deep_clone(v))).collect(),
        )),
        other => other.clone(),
    }
}

fn apply_edits(v: &Value, edits: &[(*const Map, Map, Vec<String>)]) -> Value {
    match v {
        Value::Array(a, f) => Value::Array(
            Rc::new(a.iter().map(|x| apply_edits(x, edits)).collect()),
            *f,
        ),
        Value::Object(o) => {
            let ptr = Rc::as_ptr(o);
            let mut m: Map = o
                .iter()
                .map(|(k, v)| (k.clone(), apply_edits(v, edits)))
                .collect();
            for (p, upd, dels) in edits {
                if *p == ptr {
                    for (k, v) in upd {
                        m.insert(k.clone(), v.clone());
                    }
                    for d in dels {
                        m.shift_remove(d);
                    }
                }
            }
            Value::Object(Rc::new(m))
        }
        other => other.clone(),
    }
}
