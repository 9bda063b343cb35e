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
    match &node.kind {
        Kind::Var(name) => {
            reads.insert(name.to_string());
        }
        Kind::Bind(name, _) => {
            bound.insert(name.to_string());
        }
        Kind::Lambda(def) => bound.extend(def.params.iter().cloned()),
        _ => {}
    }
    for stage in node.predicate.iter().chain(&node.stages) {
        if let Stage::Index(name) = stage {
            bound.insert(name.clone());
        }
    }
    for name in node.focus.iter().chain(&node.index) {
        bound.insert(name.to_string());
    }
    node.for_each_child(|n| walk(n, reads, bound));
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
