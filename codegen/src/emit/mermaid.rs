//! Mermaid flowcharts of state machines.
//!
//! Shapes: Task `[ ]`, Pass `( )`, Wait `[[ ]]`, Choice `{ }`, Succeed/Fail `([ ])`;
//! Parallel branches and Map processors are subgraphs. Edges: `-->` for Next, labelled
//! `-->` for Choice rules and Default, dotted `-.->` for Catch. Node ids are generated
//! (`n0`, `n1`, ...) in definition order so any state name is safe.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::asl::{ChoiceRule, State, StateMachine, States};

/// The Mermaid flowchart of `machine`.
pub fn mermaid(machine: &StateMachine) -> String {
    let mut ids = HashMap::new();
    assign_ids(&machine.states, &mut ids);
    let mut out = String::from("flowchart TD\n");
    out.push_str("    start((\"start\"))\n");
    out.push_str("    finish((\"end\"))\n");
    let mut g = Graph {
        ids,
        out,
        indent: 1,
    };
    g.scope(&machine.states);
    g.edge_plain("start", &g.id(&machine.start_at), None);
    g.out
}

fn assign_ids(states: &States, ids: &mut HashMap<String, String>) {
    for (name, state) in states {
        let next = format!("n{}", ids.len());
        ids.entry(name.clone()).or_insert(next);
        for (_, branch) in state.children() {
            assign_ids(&branch.states, ids);
        }
    }
}

struct Graph {
    ids: HashMap<String, String>,
    out: String,
    indent: usize,
}

impl Graph {
    fn id(&self, name: &str) -> String {
        self.ids
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("missing_{}", escape(name)))
    }

    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn edge_plain(&mut self, from: &str, to: &str, label: Option<&str>) {
        let text = match label {
            Some(l) => format!("{from} -->|\"{}\"| {to}", escape(l)),
            None => format!("{from} --> {to}"),
        };
        self.line(&text);
    }

    /// Nodes and edges of one scope; `exit` is where End states go (`None` = the end of
    /// the workflow; inside a branch, End states just end the subgraph).
    fn scope(&mut self, states: &States) {
        self.scope_inner(states, true);
    }

    fn scope_inner(&mut self, states: &States, top: bool) {
        for (name, state) in states {
            let id = self.id(name);
            let label = escape(name);
            match state {
                State::Parallel(p) => {
                    self.line(&format!("subgraph {id} [\"{label} (Parallel)\"]"));
                    self.indent += 1;
                    self.line("direction TB");
                    for (i, branch) in p.branches.iter().enumerate() {
                        self.line(&format!("subgraph {id}_b{i} [\"branch {i}\"]"));
                        self.indent += 1;
                        self.scope_inner(&branch.states, false);
                        self.indent -= 1;
                        self.line("end");
                    }
                    self.indent -= 1;
                    self.line("end");
                }
                State::Map(m) => {
                    self.line(&format!("subgraph {id} [\"{label} (Map)\"]"));
                    self.indent += 1;
                    self.line("direction TB");
                    if let Some(p) = m.processor() {
                        self.scope_inner(&p.states, false);
                    }
                    self.indent -= 1;
                    self.line("end");
                }
                State::Task(_) => self.line(&format!("{id}[\"{label}\"]")),
                State::Pass(_) => self.line(&format!("{id}(\"{label}\")")),
                State::Wait(_) => self.line(&format!("{id}[[\"{label}\"]]")),
                State::Choice(_) => self.line(&format!("{id}{{\"{label}\"}}")),
                State::Succeed(_) => self.line(&format!("{id}([\"{label}\"])")),
                State::Fail(_) => self.line(&format!("{id}([\"{label}\"]):::fail")),
            }
        }
        for (name, state) in states {
            let id = self.id(name);
            if let State::Choice(c) = state {
                for rule in &c.choices {
                    if let Some(next) = &rule.next {
                        let to = self.id(next);
                        self.edge_plain(&id, &to, Some(&describe(rule)));
                    }
                }
                if let Some(d) = &c.default {
                    let to = self.id(d);
                    self.edge_plain(&id, &to, Some("otherwise"));
                }
            }
            if let Some(next) = state.next() {
                let to = self.id(next);
                self.edge_plain(&id, &to, None);
            }
            if top && (state.end() == Some(true) || matches!(state, State::Succeed(_))) {
                self.edge_plain(&id, "finish", None);
            }
            for c in state.catch() {
                let to = self.id(&c.next);
                let label = format!("catch {}", c.error_equals.join(", "));
                self.line(&format!("{id} -.->|\"{}\"| {to}", escape(&label)));
            }
        }
        if top {
            self.line("classDef fail fill:#fdd,stroke:#c33");
        }
    }
}

/// A short text for a Choice rule.
fn describe(rule: &ChoiceRule) -> String {
    if let Some(c) = rule.comparisons.first() {
        let operand = match &c.operand {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        };
        return format!(
            "{} {} {operand}",
            rule.variable.as_deref().unwrap_or("?"),
            c.op.name()
        );
    }
    let join = |rules: &[ChoiceRule], op: &str| {
        rules
            .iter()
            .map(|r| format!("({})", describe(r)))
            .collect::<Vec<_>>()
            .join(&format!(" {op} "))
    };
    if let Some(a) = &rule.and {
        return join(a, "and");
    }
    if let Some(o) = &rule.or {
        return join(o, "or");
    }
    if let Some(n) = &rule.not {
        return format!("not ({})", describe(n));
    }
    if let Some(c) = &rule.condition {
        let mut text = String::new();
        let _ = write!(
            text,
            "{}",
            c.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| c.to_string())
        );
        return text;
    }
    "rule".into()
}

/// Mermaid-safe label text.
fn escape(text: &str) -> String {
    text.replace('"', "#quot;").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn draws_nodes_edges_catches_and_subgraphs() {
        let machine = crate::asl::from_value(json!({
            "StartAt": "Load",
            "States": {
                "Load": {"Type": "Task", "Resource": "${Load}", "Next": "Big?",
                         "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]},
                "Big?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Each"}], "Default": "Done"},
                "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "${Work}", "End": true}}}, "Next": "Done"},
                "Done": {"Type": "Succeed"},
                "Failed": {"Type": "Fail", "Error": "Boom"}
            }
        }))
        .unwrap();
        let text = mermaid(&machine);
        for expected in [
            "flowchart TD",
            "n0[\"Load\"]",
            "n1{\"Big?\"}",
            "subgraph n2 [\"Each (Map)\"]",
            "n3[\"Work\"]",
            "n1 -->|\"$.n NumericGreaterThan 10\"| n2",
            "n1 -->|\"otherwise\"| n4",
            "n0 -.->|\"catch States.ALL\"| n5",
            "n4 --> finish",
            "n5([\"Failed\"]):::fail",
            "start --> n0",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }
}
