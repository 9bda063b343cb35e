//! Workflow descriptions: a named definition with its typed execution input.
//!
//! [`Workflow::build`] compiles the definition, validates it, and runs the typed data-flow
//! check from the input schema through every state; every problem is reported with the
//! workflow's name, the state and the path.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use stepwise_contract::{ActivityInfo, schema_of};

use crate::asl::{Problem, StateMachine};
use crate::builder::{Chain, compile_with_activities, whole_seconds};

/// A workflow description.
#[derive(Debug, Clone)]
pub struct Workflow {
    name: String,
    comment: Option<String>,
    timeout: Option<Duration>,
    express: bool,
    input_schema: Value,
    example_input: Value,
    definition: Chain,
}

/// A built workflow: the ASL plus what the emitters and runtimes need to know.
#[derive(Debug, Clone)]
pub struct Built {
    /// The workflow's name (file names, state machine name).
    pub name: String,
    /// The state machine.
    pub machine: StateMachine,
    /// Whether it deploys as an Express state machine.
    pub express: bool,
    /// The JSON Schema of the execution input.
    pub input_schema: Value,
    /// A valid example execution input.
    pub example_input: Value,
    /// The activities it runs, by name.
    pub activities: BTreeMap<String, ActivityInfo>,
    /// For each Task state that runs an activity (at any depth): the activity's name.
    pub task_activities: BTreeMap<String, String>,
}

/// A workflow that does not build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct BuildError {
    /// The workflow's name.
    pub workflow: String,
    /// What is wrong.
    pub problems: Vec<Problem>,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "workflow \"{}\": {p}", self.workflow)?;
        }
        Ok(())
    }
}

impl Workflow {
    /// A workflow named `name` (lower-case letters, digits and `-`; it names the generated
    /// files and the state machine) running `definition`.
    pub fn new(name: impl Into<String>, definition: impl Into<Chain>) -> Self {
        Workflow {
            name: name.into(),
            comment: None,
            timeout: None,
            express: false,
            input_schema: serde_json::json!({"type": "object"}),
            example_input: serde_json::json!({}),
            definition: definition.into(),
        }
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A description (the ASL `Comment`).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The execution fails with `States.Timeout` after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Deploy as an Express state machine.
    pub fn express(mut self) -> Self {
        self.express = true;
        self
    }

    /// The execution input type, with an example operators can start it with. The schema
    /// is emitted for the console and is where the data-flow check starts.
    pub fn input<I: JsonSchema + Serialize>(mut self, example: &I) -> Self {
        self.input_schema = schema_of::<I>();
        self.example_input = serde_json::to_value(example)
            .expect("example inputs are plain data and always serialise to JSON");
        self
    }

    /// Compiles, validates and type-checks the workflow.
    pub fn build(&self) -> Result<Built, BuildError> {
        let mut problems = Vec::new();
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            problems.push(Problem::top(format!(
                "workflow name \"{}\" must be lower-case letters, digits and '-'",
                self.name
            )));
        }
        let compiled = compile_with_activities(self.definition.clone());
        problems.extend(compiled.problems);
        let mut machine = compiled.machine;
        machine.comment = self.comment.clone();
        if let Some(t) = self.timeout {
            match whole_seconds("TimeoutSeconds", t) {
                Ok(s) => machine.timeout_seconds = Some(s),
                Err(e) => problems.push(Problem::top(e)),
            }
        }
        if problems.is_empty() {
            problems.extend(crate::dataflow::check(
                &machine,
                &self.input_schema,
                &compiled.activities,
            ));
        }
        if !problems.is_empty() {
            return Err(BuildError {
                workflow: self.name.clone(),
                problems,
            });
        }
        Ok(Built {
            name: self.name.clone(),
            machine,
            express: self.express,
            input_schema: self.input_schema.clone(),
            example_input: self.example_input.clone(),
            activities: compiled.activities,
            task_activities: compiled.task_activities,
        })
    }
}
