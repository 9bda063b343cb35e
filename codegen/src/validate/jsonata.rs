//! The validator's JSONata checks: every `{% … %}` expression of a JSONata state parses
//! (a syntax error names the field and the position in the expression), and the
//! `…Path` fields (and Pass `Result`) that exist only in JSONPath mode are not used in a
//! JSONata state; the fields that exist only in JSONata mode (a Choice rule's `Output`,
//! a Catch rule's `Output`, an ItemReader's or ResultWriter's `Arguments`) are not used
//! in a JSONPath state.

use serde_json::Value;
use stepwise_jsonata::Expression;

use super::StateCheck;
use crate::asl::{Catcher, Numeric, State};

/// The expression inside a `{% … %}` string, or `None` for any other string.
pub(crate) fn expression_text(s: &str) -> Option<&str> {
    s.trim()
        .strip_prefix("{%")
        .and_then(|rest| rest.strip_suffix("%}"))
}

impl StateCheck<'_> {
    /// The JSONata checks of `state` (both modes: each reports the fields of the other).
    pub(super) fn jsonata(&mut self, state: &State) {
        if self.jsonpath() {
            self.jsonata_only_fields(state);
        } else {
            self.jsonpath_only_fields(state);
            self.expressions(state);
        }
    }

    fn jsonata_only_fields(&mut self, state: &State) {
        let mut present: Vec<String> = Vec::new();
        for (i, c) in state.catch().iter().enumerate() {
            if c.output.is_some() {
                present.push(format!("Catch[{i}].Output"));
            }
        }
        match state {
            State::Choice(c) => {
                for (i, rule) in c.choices.iter().enumerate() {
                    if rule.output.is_some() {
                        present.push(format!("Choices[{i}].Output"));
                    }
                }
            }
            State::Map(m) => {
                if m.item_reader
                    .as_ref()
                    .is_some_and(|r| r.arguments.is_some())
                {
                    present.push("ItemReader.Arguments".into());
                }
                if m.result_writer
                    .as_ref()
                    .is_some_and(|w| w.arguments.is_some())
                {
                    present.push("ResultWriter.Arguments".into());
                }
            }
            _ => {}
        }
        for field in present {
            self.report(format!("{field}: only allowed in JSONata mode"));
        }
    }

    fn jsonpath_only_fields(&mut self, state: &State) {
        let present: Vec<&str> = match state {
            State::Task(t) => [
                ("TimeoutSecondsPath", t.timeout_seconds_path.is_some()),
                ("HeartbeatSecondsPath", t.heartbeat_seconds_path.is_some()),
            ]
            .into_iter()
            .filter_map(|(f, p)| p.then_some(f))
            .collect(),
            State::Pass(p) => p.result.is_some().then_some("Result").into_iter().collect(),
            State::Wait(w) => [
                ("SecondsPath", w.seconds_path.is_some()),
                ("TimestampPath", w.timestamp_path.is_some()),
            ]
            .into_iter()
            .filter_map(|(f, p)| p.then_some(f))
            .collect(),
            State::Map(m) => [
                ("MaxConcurrencyPath", m.max_concurrency_path.is_some()),
                (
                    "ToleratedFailurePercentagePath",
                    m.tolerated_failure_percentage_path.is_some(),
                ),
                (
                    "ToleratedFailureCountPath",
                    m.tolerated_failure_count_path.is_some(),
                ),
                (
                    "ItemReader.Parameters",
                    m.item_reader
                        .as_ref()
                        .is_some_and(|r| r.parameters.is_some()),
                ),
                (
                    "ResultWriter.Parameters",
                    m.result_writer
                        .as_ref()
                        .is_some_and(|w| w.parameters.is_some()),
                ),
            ]
            .into_iter()
            .filter_map(|(f, p)| p.then_some(f))
            .collect(),
            _ => Vec::new(),
        };
        for field in present {
            self.report(format!("{field}: only allowed in JSONPath mode"));
        }
    }

    /// Parses every `{% %}` expression of a JSONata state.
    fn expressions(&mut self, state: &State) {
        for (field, s) in expression_fields(state) {
            let Some(expr) = expression_text(&s).map(str::trim) else {
                continue;
            };
            if let Err(e) = Expression::parse(expr) {
                self.report(format!(
                    "{field}: JSONata syntax error at position {} of '{}': {} ({})",
                    e.position, expr, e.message, e.code
                ));
            }
        }
    }
}

/// Every string of a JSONata state's fields that may hold `{% %}` expressions, with the
/// field it is in (`Arguments.a[0]`, `Choices[1].Condition`, `Catch[0].Output`, …). Each
/// of them reads `$states.input` as the state's input.
pub(crate) fn expression_fields(state: &State) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let value = |field: &str, v: Option<&Value>, found: &mut Vec<(String, String)>| {
        if let Some(v) = v {
            collect(v, field.to_string(), found);
        }
    };
    let numeric = |field: &str, n: Option<&Numeric>, found: &mut Vec<(String, String)>| {
        if let Some(Numeric::Expr(e)) = n {
            found.push((field.to_string(), e.clone()));
        }
    };
    let text = |field: &str, s: Option<&String>, found: &mut Vec<(String, String)>| {
        if let Some(s) = s {
            found.push((field.to_string(), s.clone()));
        }
    };
    match state {
        State::Task(t) => {
            value("Arguments", t.arguments.as_ref(), &mut found);
            value("Output", t.output.as_ref(), &mut found);
            value("Assign", t.assign.as_ref(), &mut found);
            value("Credentials", t.credentials.as_ref(), &mut found);
            numeric("TimeoutSeconds", t.timeout_seconds.as_ref(), &mut found);
            numeric("HeartbeatSeconds", t.heartbeat_seconds.as_ref(), &mut found);
        }
        State::Pass(p) => {
            value("Output", p.output.as_ref(), &mut found);
            value("Assign", p.assign.as_ref(), &mut found);
        }
        State::Choice(c) => {
            value("Output", c.output.as_ref(), &mut found);
            value("Assign", c.assign.as_ref(), &mut found);
            for (i, rule) in c.choices.iter().enumerate() {
                let at = format!("Choices[{i}]");
                value(
                    &format!("{at}.Condition"),
                    rule.condition.as_ref(),
                    &mut found,
                );
                value(&format!("{at}.Output"), rule.output.as_ref(), &mut found);
                value(&format!("{at}.Assign"), rule.assign.as_ref(), &mut found);
            }
        }
        State::Wait(w) => {
            numeric("Seconds", w.seconds.as_ref(), &mut found);
            text("Timestamp", w.timestamp.as_ref(), &mut found);
            value("Output", w.output.as_ref(), &mut found);
            value("Assign", w.assign.as_ref(), &mut found);
        }
        State::Succeed(s) => value("Output", s.output.as_ref(), &mut found),
        State::Fail(f) => {
            text("Error", f.error.as_ref(), &mut found);
            text("Cause", f.cause.as_ref(), &mut found);
        }
        State::Parallel(p) => {
            value("Arguments", p.arguments.as_ref(), &mut found);
            value("Output", p.output.as_ref(), &mut found);
            value("Assign", p.assign.as_ref(), &mut found);
        }
        State::Map(m) => {
            value("Items", m.items.as_ref(), &mut found);
            value("ItemSelector", m.item_selector.as_ref(), &mut found);
            value("Output", m.output.as_ref(), &mut found);
            value("Assign", m.assign.as_ref(), &mut found);
            numeric("MaxConcurrency", m.max_concurrency.as_ref(), &mut found);
            numeric(
                "ToleratedFailureCount",
                m.tolerated_failure_count.as_ref(),
                &mut found,
            );
            numeric(
                "ToleratedFailurePercentage",
                m.tolerated_failure_percentage.as_ref(),
                &mut found,
            );
            if let Some(r) = &m.item_reader {
                value("ItemReader.Arguments", r.arguments.as_ref(), &mut found);
            }
            if let Some(w) = &m.result_writer {
                value("ResultWriter.Arguments", w.arguments.as_ref(), &mut found);
            }
            if let Some(b) = &m.item_batcher {
                value("ItemBatcher.BatchInput", b.batch_input.as_ref(), &mut found);
            }
        }
    }
    for (i, c) in state.catch().iter().enumerate() {
        catcher(i, c, &mut found);
    }
    found
}

/// The `{% %}` strings of a Catch rule's `Output` and `Assign`.
fn catcher(i: usize, c: &Catcher, found: &mut Vec<(String, String)>) {
    if let Some(v) = &c.output {
        collect(v, format!("Catch[{i}].Output"), found);
    }
    if let Some(v) = &c.assign {
        collect(v, format!("Catch[{i}].Assign"), found);
    }
}

/// Every string of a template (at any depth), with where it is.
fn collect(value: &Value, at: String, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => found.push((at, s.clone())),
        Value::Object(map) => {
            for (k, v) in map {
                collect(v, format!("{at}.{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect(v, format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}
