//! AWS Step Functions: start another workflow (`arn:aws:states:::states:startExecution`)
//! and continue at once, or wait for it to finish (`.sync`: its output as a JSON string;
//! `.sync:2`: as JSON). A child that fails fails the Task with `States.TaskFailed`.

use serde_json::{Value, json};

use super::{Arg, Params};
use crate::builder::Task;

/// The context field AWS reads from a child's input to link it to its parent execution in
/// the console.
pub const STARTED_BY: &str = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID";

/// How the parent waits for the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Start and continue at once (request-response; the result is `ExecutionArn` and
    /// `StartDate`).
    No,
    /// Wait for the child to finish; the result is its `DescribeExecution` with `Output`
    /// parsed as JSON (`.sync:2`).
    ForCompletion,
    /// Wait for the child to finish; the result is its `DescribeExecution` with `Output`
    /// as a JSON string (`.sync`).
    ForCompletionOutputAsString,
}

/// `StartExecution`.
#[derive(Debug, Clone, PartialEq)]
pub struct StartExecution {
    /// The state machine (an ARN or a `${Placeholder}`).
    pub state_machine_arn: Arg,
    /// The child's input: a payload template, or a path.
    pub input: Option<Arg>,
    /// The execution name (unique per state machine for 90 days).
    pub name: Option<Arg>,
    /// Whether to wait for the child.
    pub wait: Wait,
    /// Whether the input links the child to this execution ([`STARTED_BY`]).
    pub link_to_parent: bool,
}

impl StartExecution {
    /// Starts `state_machine` with `input`, waiting as `wait` says.
    pub fn new(state_machine: impl Into<Arg>, input: impl Into<Arg>, wait: Wait) -> Self {
        StartExecution {
            state_machine_arn: state_machine.into(),
            input: Some(input.into()),
            name: None,
            wait,
            link_to_parent: false,
        }
    }

    /// Names the execution (a retried start with the same name does not start twice).
    pub fn name(mut self, name: impl Into<Arg>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Links the child to this execution in the console: the input template gets
    /// `"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"` (an input given
    /// as a path or a non-object cannot take it: reported by `compile`).
    pub fn linked_to_parent(mut self) -> Self {
        self.link_to_parent = true;
        self
    }
}

/// A Task that starts an execution of another state machine.
pub fn start_execution(name: impl Into<String>, request: StartExecution) -> Task {
    let resource = match request.wait {
        Wait::No => "states:startExecution",
        Wait::ForCompletion => "states:startExecution.sync:2",
        Wait::ForCompletionOutputAsString => "states:startExecution.sync",
    };
    let key = format!("{STARTED_BY}.$");
    let id = Value::String("$$.Execution.Id".into());
    let (input, linkable) = match (request.input, request.link_to_parent) {
        (input, false) => (input, true),
        (Some(Arg::Value(Value::Object(mut template))), true) => {
            template.insert(key, id);
            (Some(Arg::Value(Value::Object(template))), true)
        }
        (None, true) => (Some(Arg::Value(json!({ key: id }))), true),
        (other, true) => (other, false),
    };
    Params::default()
        .arg("StateMachineArn", &request.state_machine_arn)
        .opt_arg("Input", input.as_ref())
        .opt_arg("Name", request.name.as_ref())
        .check(linkable, || {
            format!(
                "Parameters.Input: linking the child to its parent needs an input template to add {STARTED_BY} to"
            )
        })
        .task(name, resource)
}
