//! stepfunctions-local mock configuration: one happy-path test case that mocks every
//! Task state with an example of its result.

use serde_json::{Map, Value, json};

use super::example_from_schema;
use crate::asl::{State, States};
use crate::workflow::Built;

/// The name of the generated test case.
pub const HAPPY_PATH: &str = "HappyPath";

/// A mock config (`StateMachines` → `TestCases` → `HappyPath`, and `MockedResponses`) in
/// AWS's stepfunctions-local format. Activity tasks return an example of the activity's
/// output; other tasks (service integrations) return `{}`. Edit a copy to add failure
/// cases (`Throw`, attempt ranges like `"1-2"`).
pub fn mock_config(built: &Built) -> Value {
    let mut tasks = Vec::new();
    collect_tasks(&built.machine.states, &mut tasks);
    let mut case = Map::new();
    let mut responses = Map::new();
    for state in tasks {
        let response_name = format!("{}{HAPPY_PATH}", mock_name(&state));
        let result = built
            .task_activities
            .get(&state)
            .and_then(|a| built.activities.get(a))
            .map(|info| example_from_schema(&info.output_schema))
            .unwrap_or_else(|| json!({}));
        case.insert(state, Value::String(response_name.clone()));
        responses.insert(response_name, json!({"0": {"Return": result}}));
    }
    json!({
        "StateMachines": {
            built.name.clone(): {"TestCases": {HAPPY_PATH: case}}
        },
        "MockedResponses": responses,
    })
}

fn collect_tasks(states: &States, out: &mut Vec<String>) {
    for (name, state) in states {
        if matches!(state, State::Task(_)) {
            out.push(name.clone());
        }
        for (_, branch) in state.children() {
            collect_tasks(&branch.states, out);
        }
    }
}

/// A response name derived from a state name (letters and digits only).
fn mock_name(state: &str) -> String {
    state.chars().filter(char::is_ascii_alphanumeric).collect()
}
