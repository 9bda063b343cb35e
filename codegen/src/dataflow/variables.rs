//! Workflow variables: a state that reads a variable no path to it assigns fails at run
//! time; this check reports it, naming the state, the field and the variable.
//!
//! Which variables may be set on entry to each state is computed per scope to a fixpoint:
//! a state passes on what it received plus its `Assign` (a Choice: plus the matching
//! rule's `Assign` on that rule's edge; a Catch edge: plus the rule's `Assign`, not the
//! state's). A Map's processor and a Parallel's branches start with what their state
//! received; what they assign stays inside.
//!
//! Reads counted, without false alarms: in a JSONata state, the free variables of every
//! `{% %}` expression (`$states` aside; names bound inside the expression and built-in
//! functions are not reads); in a JSONPath state, a `.$` template value or a Choice
//! `Variable` that is a `$name…` path. Intrinsic-function arguments are not scanned.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::Value;
use stepwise_jsonata::Expression;

use crate::asl::{Problem, QueryLanguage, State, States};
use crate::validate::jsonata::{expression_fields, expression_text};

/// Reports the variable reads of a scope (and the scopes nested in it) that no path
/// assigns, with `incoming` set on entry.
pub(super) fn check(
    states: &States,
    start_at: &str,
    incoming: BTreeSet<String>,
    language: Option<QueryLanguage>,
) -> Vec<Problem> {
    let mut avail: HashMap<&str, BTreeSet<String>> = HashMap::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    let Some((start, _)) = states.get_key_value(start_at) else {
        return Vec::new();
    };
    avail.insert(start.as_str(), incoming);
    queue.push_back(start.as_str());
    while let Some(name) = queue.pop_front() {
        let (Some(state), Some(have)) = (states.get(name), avail.get(name).cloned()) else {
            continue;
        };
        for (target, set) in edges(state, &have) {
            let Some((target, _)) = states.get_key_value(target) else {
                continue;
            };
            let reached = avail.contains_key(target.as_str());
            let entry = avail.entry(target.as_str()).or_default();
            let before = entry.len();
            entry.extend(set);
            if (!reached || entry.len() != before) && !queue.contains(&target.as_str()) {
                queue.push_back(target.as_str());
            }
        }
    }
    let mut problems = Vec::new();
    for (name, state) in states {
        let Some(have) = avail.get(name.as_str()) else {
            continue;
        };
        let language = state.query_language().or(language);
        for (field, var) in reads(state, language == Some(QueryLanguage::Jsonata)) {
            if !have.contains(&var) {
                problems.push(Problem::state(
                    name.clone(),
                    format!("{field}: reads ${var}, which no path to this state assigns"),
                ));
            }
        }
        for (_, branch) in state.children() {
            problems.extend(check(
                &branch.states,
                &branch.start_at,
                have.clone(),
                branch.query_language.or(language),
            ));
        }
    }
    problems
}

/// The top-level keys of an `Assign` block, without a JSONPath `.$` suffix.
fn assigned(block: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    block
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys())
        .map(|k| k.strip_suffix(".$").unwrap_or(k).to_string())
}

/// Where control goes after `state` and the variables that may be set there.
fn edges<'s>(state: &'s State, have: &BTreeSet<String>) -> Vec<(&'s str, BTreeSet<String>)> {
    let own = state_assign(state);
    let with = |extra: &mut dyn Iterator<Item = String>| {
        let mut set = have.clone();
        set.extend(own.iter().cloned());
        set.extend(extra);
        set
    };
    let mut out = Vec::new();
    if let State::Choice(c) = state {
        for rule in &c.choices {
            if let Some(next) = rule.next.as_deref() {
                out.push((next, with(&mut assigned(rule.assign.as_ref()))));
            }
        }
        if let Some(d) = c.default.as_deref() {
            out.push((d, with(&mut std::iter::empty())));
        }
        return out;
    }
    if let Some(next) = state.next() {
        out.push((next, with(&mut std::iter::empty())));
    }
    for c in state.catch() {
        let mut set = have.clone();
        set.extend(assigned(c.assign.as_ref()));
        out.push((c.next.as_str(), set));
    }
    out
}

/// The variables a state's own `Assign` sets.
fn state_assign(state: &State) -> Vec<String> {
    let block = match state {
        State::Task(s) => s.assign.as_ref(),
        State::Pass(s) => s.assign.as_ref(),
        State::Choice(s) => s.assign.as_ref(),
        State::Wait(s) => s.assign.as_ref(),
        State::Parallel(s) => s.assign.as_ref(),
        State::Map(s) => s.assign.as_ref(),
        State::Succeed(_) | State::Fail(_) => None,
    };
    assigned(block).collect()
}

/// The variables a state reads, with the field that reads each.
fn reads(state: &State, jsonata: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if jsonata {
        for (field, text) in expression_fields(state) {
            let Some(expr) = expression_text(&text) else {
                continue;
            };
            let Ok(parsed) = Expression::parse(expr.trim()) else {
                continue;
            };
            for var in parsed.free_variables() {
                if var != "states" {
                    out.push((field.clone(), var));
                }
            }
        }
        return out;
    }
    let templates: Vec<(&str, Option<&Value>)> = match state {
        State::Task(s) => vec![
            ("Parameters", s.parameters.as_ref()),
            ("ResultSelector", s.result_selector.as_ref()),
            ("Assign", s.assign.as_ref()),
        ],
        State::Pass(s) => vec![
            ("Parameters", s.parameters.as_ref()),
            ("Assign", s.assign.as_ref()),
        ],
        State::Choice(s) => vec![("Assign", s.assign.as_ref())],
        State::Wait(s) => vec![("Assign", s.assign.as_ref())],
        State::Parallel(s) => vec![
            ("Parameters", s.parameters.as_ref()),
            ("ResultSelector", s.result_selector.as_ref()),
            ("Assign", s.assign.as_ref()),
        ],
        State::Map(s) => vec![
            ("ItemSelector", s.selector()),
            ("ResultSelector", s.result_selector.as_ref()),
            ("Assign", s.assign.as_ref()),
        ],
        State::Succeed(_) | State::Fail(_) => Vec::new(),
    };
    for (field, template) in templates {
        if let Some(t) = template {
            template_reads(t, field.to_string(), &mut out);
        }
    }
    for (i, c) in state.catch().iter().enumerate() {
        if let Some(t) = &c.assign {
            template_reads(t, format!("Catch[{i}].Assign"), &mut out);
        }
    }
    if let State::Choice(c) = state {
        for (i, rule) in c.choices.iter().enumerate() {
            if let Some(var) = rule.variable.as_deref().and_then(path_variable) {
                out.push((format!("Choices[{i}].Variable"), var));
            }
            if let Some(t) = &rule.assign {
                template_reads(t, format!("Choices[{i}].Assign"), &mut out);
            }
        }
    }
    out
}

/// The variable a JSONPath `$name…` path reads.
fn path_variable(path: &str) -> Option<String> {
    let rest = path.strip_prefix('$')?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let first = name.chars().next()?;
    (first.is_ascii_alphabetic() || first == '_').then_some(name)
}

/// The variables the `.$` values of a JSONPath template read (paths only).
fn template_reads(template: &Value, at: String, out: &mut Vec<(String, String)>) {
    match template {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{at}.{k}");
                match v {
                    Value::String(s) if k.ends_with(".$") => {
                        if let Some(var) = path_variable(s) {
                            out.push((here, var));
                        }
                    }
                    _ => template_reads(v, here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                template_reads(v, format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}
