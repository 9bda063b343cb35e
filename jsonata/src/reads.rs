//! Which bindings an expression can read, and which members of them: evaluation converts
//! only those from JSON (Step Functions binds the whole `$states` object — input, result,
//! context — for every expression, and most expressions read one member of it).
//!
//! Conservative: a variable read other than as `$name.member…` (alone, with a predicate,
//! a wildcard or any other step after it) needs the whole value; a parent operator (`%`)
//! anywhere needs every binding whole, since it can climb from a member to the object.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Kind, Node};

/// What an expression reads of one binding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Members {
    /// The whole value.
    All,
    /// Only these members of an object value (any other value is read whole).
    Some(BTreeSet<String>),
}

/// What an expression reads of its bindings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reads {
    /// Every binding is needed whole (a `%` in the expression).
    everything: bool,
    /// By variable name (without `$`).
    vars: BTreeMap<String, Members>,
}

impl Reads {
    /// The reads of the expression `ast`.
    pub(crate) fn of(ast: &Node) -> Reads {
        let mut reads = Reads::default();
        reads.walk(ast);
        reads
    }

    /// What is read of the binding `name`; `None`: nothing.
    pub(crate) fn binding(&self, name: &str) -> Option<&Members> {
        if self.everything {
            return Some(&Members::All);
        }
        self.vars.get(name)
    }

    fn whole(&mut self, name: &str) {
        self.vars.insert(name.to_string(), Members::All);
    }

    fn member(&mut self, name: &str, member: &str) {
        match self
            .vars
            .entry(name.to_string())
            .or_insert_with(|| Members::Some(BTreeSet::new()))
        {
            Members::All => {}
            Members::Some(set) => {
                set.insert(member.to_string());
            }
        }
    }

    fn walk(&mut self, node: &Node) {
        match &node.kind {
            Kind::Var(name) => self.whole(name),
            Kind::Parent(_) => self.everything = true,
            Kind::Path(steps) => match member_path(steps) {
                // `$name.member…`: only that member of the binding; the steps after the
                // variable are read as usual.
                Some((name, member)) => {
                    self.member(name, member);
                    steps[1..].iter().for_each(|s| self.walk(s));
                    node.for_each_annotation(&mut |n| self.walk(n));
                }
                None => node.for_each_child(|n| self.walk(n)),
            },
            _ => node.for_each_child(|n| self.walk(n)),
        }
        if !node.seeking.is_empty() || node.ancestor.is_some() {
            self.everything = true;
        }
    }
}

/// The binding and member a path starting `$name.member` reads (the variable step
/// unannotated), if it starts so.
fn member_path(steps: &[Node]) -> Option<(&str, &str)> {
    match (&steps.first()?.kind, &steps.get(1)?.kind) {
        (Kind::Var(name), Kind::Name(member)) if unannotated(&steps[0]) && !name.is_empty() => {
            Some((&**name, &**member))
        }
        _ => None,
    }
}

/// Whether a variable step selects the variable's value as it is (no predicate, stage,
/// group-by, binding or array flag on it).
fn unannotated(node: &Node) -> bool {
    node.predicate.is_empty()
        && node.stages.is_empty()
        && node.group.is_none()
        && node.focus.is_none()
        && node.index.is_none()
        && !node.tuple
        && !node.keep_array
        && node.ancestor.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Expression;

    fn reads(text: &str) -> Reads {
        Reads::of(&Expression::parse(text).unwrap().ast)
    }

    fn members(names: &[&str]) -> Members {
        Members::Some(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn member_paths_read_only_their_member() {
        let r = reads("$states.input.a & $states.context.Map.Item.Value & $x");
        assert_eq!(r.binding("states"), Some(&members(&["context", "input"])));
        assert_eq!(r.binding("x"), Some(&Members::All));
        assert_eq!(r.binding("y"), None);
    }

    #[test]
    fn other_reads_take_the_whole_value() {
        for text in [
            "$keys($states)",
            "$states.*",
            "$states[0].input",
            "$states.input.a + $count($states)",
            "$states#$i.input",
        ] {
            assert_eq!(reads(text).binding("states"), Some(&Members::All), "{text}");
        }
        assert_eq!(
            reads("$states.input.%.context").binding("other"),
            Some(&Members::All)
        );
    }
}
