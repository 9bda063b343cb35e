//! The context object (`$$`) of a state, and the heuristic that decides which states get
//! a copy of the execution input in it.

use std::collections::HashSet;

use chrono::SecondsFormat;
use codegen::asl::States;
use serde_json::{Value, json};

use super::Run;

/// Where `$$` may be followed by one of these, the path cannot reach
/// `$$.Execution.Input`.
const CONTEXT_PATHS_WITHOUT_INPUT: [&str; 10] = [
    ".Map.",
    ".State.",
    ".StateMachine.",
    ".Task.",
    ".Execution.Id",
    ".Execution.Name",
    ".Execution.StartTime",
    ".Execution.RoleArn",
    ".Execution.RedriveCount",
    ".Execution.RedriveTime",
];

/// Whether a state's JSON text may read `$$.Execution.Input`: any `$$` not followed by
/// a path known to stay clear of it (`$$`, `$$.Execution`, `$$..x` and bracket forms all
/// count as reading it).
/// In JSONata states `$states.context` is the context object: `$states` followed by
/// anything but `.input`, `.result`, `.errorOutput` or a `.context` path known to stay
/// clear of the input counts too.
pub(super) fn reads_execution_input(text: &str) -> bool {
    let context_reads = |rest: &str| {
        !CONTEXT_PATHS_WITHOUT_INPUT
            .iter()
            .any(|p| rest.starts_with(p))
    };
    text.match_indices("$$")
        .any(|(at, _)| context_reads(&text[at + 2..]))
        || text.match_indices("$states").any(|(at, _)| {
            let rest = &text[at + "$states".len()..];
            match rest.strip_prefix(".context") {
                Some(path) => context_reads(path),
                None => ![".input", ".result", ".errorOutput"]
                    .iter()
                    .any(|p| rest.starts_with(p)),
            }
        })
}

/// Adds the names of the states (at any depth) whose text may read the execution input.
/// A name used at two depths counts if either may read it.
pub(super) fn collect_input_readers(states: &States, into: &mut HashSet<String>) {
    for (name, state) in states {
        let text = serde_json::to_string(state).unwrap_or_else(|_| "$$".into());
        if reads_execution_input(&text) {
            into.insert(name.clone());
        }
        for (_, branch) in state.children() {
            collect_input_readers(&branch.states, into);
        }
    }
}

impl Run<'_> {
    /// The context object of state `state`, entered at `entered`, on retry
    /// `retry_count`, with an optional extra top-level member (`Task`, `Map`).
    pub(super) fn context(
        &self,
        state: &str,
        entered: &str,
        retry_count: u32,
        extra: Option<(&str, Value)>,
    ) -> Value {
        let mut ctx = json!({
            "Execution": {
                "Id": self.execution_arn,
                "Name": self.execution_name,
                "RoleArn": format!("arn:aws:iam::123456789012:role/{}", self.options.state_machine_name),
                "StartTime": self.clock.started_at().to_rfc3339_opts(SecondsFormat::Millis, true),
                "RedriveCount": self.redriven.map_or(0, |(n, _)| n)
            },
            "State": {"EnteredTime": entered, "Name": state, "RetryCount": retry_count},
            "StateMachine": {"Id": self.state_machine_arn, "Name": self.options.state_machine_name}
        });
        if let (Some((_, at)), Some(execution)) = (
            self.redriven,
            ctx.get_mut("Execution").and_then(Value::as_object_mut),
        ) {
            execution.insert(
                "RedriveTime".into(),
                json!(at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            );
        }
        if let (Some((key, value)), Some(map)) = (extra, ctx.as_object_mut()) {
            map.insert(key.to_string(), value);
        }
        // The execution input is copied only into the context of states that may read
        // it: a Map over a large input would otherwise copy all of it for every item.
        if self.input_readers.contains(state)
            && let Some(execution) = ctx.get_mut("Execution").and_then(Value::as_object_mut)
        {
            // After "Id", where Step Functions puts it.
            execution.shift_insert(1, "Input".into(), self.input.clone());
        }
        ctx
    }
}
