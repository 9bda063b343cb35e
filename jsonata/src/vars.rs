//! The variables an expression reads from outside ([`Expression::free_variables`]): every
//! `$name` it reads that it does not bind itself and that is not a built-in function.
//!
//! Conservative for checks that must not raise false alarms: a name bound *anywhere* in
//! the expression (`$x := …`, a lambda parameter, `@$v`, `#$i`) counts as bound
//! everywhere in it, so a reported name is surely read from outside.

use std::collections::BTreeSet;

use crate::Expression;
use crate::ast::{Kind, Node, Stage};
use crate::functions::Builtin;

impl Expression {
    /// The names (without `$`) of the variables the expression reads from its bindings:
    /// not `$`/`$$`, not a built-in function (nor `$eval`), not bound inside it.
    pub fn free_variables(&self) -> BTreeSet<String> {
        let mut reads = BTreeSet::new();
        let mut bound = BTreeSet::new();
        walk(&self.ast, &mut reads, &mut bound);
        reads
            .into_iter()
            .filter(|n| {
                !n.is_empty()
                    && n != "$"
                    && n != "eval"
                    && Builtin::by_name(n).is_none()
                    && !bound.contains(n)
            })
            .collect()
    }
}

fn walk(node: &Node, reads: &mut BTreeSet<String>, bound: &mut BTreeSet<String>) {
    let go = |n: &Node, reads: &mut BTreeSet<String>, bound: &mut BTreeSet<String>| {
        walk(n, reads, bound)
    };
    match &node.kind {
        Kind::Var(name) => {
            reads.insert(name.to_string());
        }
        Kind::Path(steps) | Kind::ArrayCons(steps) | Kind::Block(steps) => {
            for s in steps {
                go(s, reads, bound);
            }
        }
        Kind::Binary(_, a, b) | Kind::Apply(a, b) => {
            go(a, reads, bound);
            go(b, reads, bound);
        }
        Kind::Neg(a) => go(a, reads, bound),
        Kind::ObjectCons(pairs) => {
            for (k, v) in pairs.iter() {
                go(k, reads, bound);
                go(v, reads, bound);
            }
        }
        Kind::Cond(c, a, b) => {
            go(c, reads, bound);
            go(a, reads, bound);
            if let Some(b) = b {
                go(b, reads, bound);
            }
        }
        Kind::Bind(name, value) => {
            bound.insert(name.to_string());
            go(value, reads, bound);
        }
        Kind::Call(f, args) => {
            go(f, reads, bound);
            for a in args {
                go(a, reads, bound);
            }
        }
        Kind::Partial(f, args) => {
            go(f, reads, bound);
            for a in args.iter().flatten() {
                go(a, reads, bound);
            }
        }
        Kind::Lambda(def) => {
            bound.extend(def.params.iter().cloned());
            go(&def.body, reads, bound);
        }
        Kind::Transform(parts) => {
            go(&parts.0, reads, bound);
            go(&parts.1, reads, bound);
            if let Some(d) = &parts.2 {
                go(d, reads, bound);
            }
        }
        Kind::Sort(terms) => {
            for (t, _) in terms {
                go(t, reads, bound);
            }
        }
        Kind::Str(_)
        | Kind::Num(_)
        | Kind::Bool(_)
        | Kind::Null
        | Kind::Regex(_)
        | Kind::Name(_)
        | Kind::Wildcard
        | Kind::Descendant
        | Kind::Parent(_)
        | Kind::Placeholder => {}
    }
    for stage in node.predicate.iter().chain(&node.stages) {
        match stage {
            Stage::Filter(n) => go(n, reads, bound),
            Stage::Index(name) => {
                bound.insert(name.clone());
            }
        }
    }
    if let Some(group) = &node.group {
        for (k, v) in group.iter() {
            go(k, reads, bound);
            go(v, reads, bound);
        }
    }
    for name in node.focus.iter().chain(&node.index) {
        bound.insert(name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(text: &str) -> Vec<String> {
        Expression::parse(text)
            .unwrap()
            .free_variables()
            .into_iter()
            .collect()
    }

    #[test]
    fn free_variables_are_the_outside_ones() {
        assert_eq!(
            free("$states.input.a + $counter + $count"),
            vec!["counter", "states"]
        );
        assert_eq!(free("$sum($x.price) & $string($y)"), vec!["x", "y"]);
        assert_eq!(free("($a := 1; $a + $b)"), vec!["b"]);
        assert_eq!(
            free("$map($xs, function($v, $i) { $v + $i + $k })"),
            vec!["k", "xs"]
        );
        assert_eq!(free("items@$it#$pos[$pos > $limit].$it"), vec!["limit"]);
        assert_eq!(free("$ + $$.a"), Vec::<String>::new());
        assert_eq!(free("orders{ $string(id): $total }"), vec!["total"]);
    }
}
