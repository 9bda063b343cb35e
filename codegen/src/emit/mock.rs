//! stepfunctions-local mock configuration: one happy-path test case that mocks every
//! Task state with an example of its result (an activity's from its output schema, a
//! service integration's in the shape AWS documents for it), and every Map's S3 ItemReader
//! with a list of one example item, so the generated config runs as generated, with no
//! AWS.

use serde_json::{Map, Value, json};

use super::example_from_schema;
use crate::asl::{MapState, State, States};
use crate::integration::example_result;
use crate::workflow::Built;

/// The name of the generated test case.
pub const HAPPY_PATH: &str = "HappyPath";

/// A mock config (`StateMachines` → `TestCases` → `HappyPath`, and `MockedResponses`) in
/// AWS's stepfunctions-local format. Activity tasks return an example of the activity's
/// output; service integration tasks a realistic example of the integration's result
/// ([`crate::integration::example_result`]: `dynamodb:getItem` an `Item` with the SDK
/// metadata, `sqs:sendMessage` a `MessageId` and `MD5OfMessageBody`, `startExecution.sync:2`
/// a finished child's `DescribeExecution` fields); a `.waitForTaskToken` callback or a
/// resource nothing is known about returns `{}`. A Map with an `ItemReader` is
/// named in the test case too: its response's `Return` is the items the reader would
/// produce (one example item), which sfn-local uses instead of reading S3 (and then its
/// ResultWriter writes nothing). Edit a copy to add failure cases (`Throw`, attempt
/// ranges like `"1-2"`).
pub fn mock_config(built: &Built) -> Value {
    let mut tasks = Vec::new();
    collect_tasks(&built.machine.states, &mut tasks);
    let mut case = Map::new();
    let mut responses = Map::new();
    let mut readers = Vec::new();
    collect_readers(&built.machine.states, &mut readers);
    for (state, map) in readers {
        let response_name = format!("{}Items{HAPPY_PATH}", mock_name(&state));
        case.insert(state, Value::String(response_name.clone()));
        responses.insert(
            response_name,
            json!({"0": {"Return": [example_item(built, map)]}}),
        );
    }
    for (state, resource) in tasks {
        let response_name = format!("{}{HAPPY_PATH}", mock_name(&state));
        let result = built
            .task_activities
            .get(&state)
            .and_then(|a| built.activities.get(a))
            .map(|info| example_from_schema(&info.output_schema))
            .or_else(|| example_result(&resource))
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

fn collect_readers<'a>(states: &'a States, out: &mut Vec<(String, &'a MapState)>) {
    for (name, state) in states {
        if let State::Map(m) = state
            && m.item_reader.is_some()
        {
            out.push((name.clone(), m));
        }
        for (_, branch) in state.children() {
            collect_readers(&branch.states, out);
        }
    }
}

/// An example of one item of `map`: when its ItemSelector passes the item
/// (`"key.$": "$$.Map.Item.Value"`) to a first state that runs an activity, an example of
/// that input field; otherwise `{}`.
fn example_item(built: &Built, map: &MapState) -> Value {
    let (Some(selector), Some(processor)) = (map.selector(), map.processor()) else {
        return json!({});
    };
    let Some(key) = selector.as_object().and_then(|fields| {
        fields.iter().find_map(|(k, v)| {
            (v.as_str() == Some("$$.Map.Item.Value"))
                .then(|| k.strip_suffix(".$"))
                .flatten()
        })
    }) else {
        return json!({});
    };
    built
        .task_activities
        .get(&processor.start_at)
        .and_then(|a| built.activities.get(a))
        .and_then(|info| info.input_schema.pointer(&format!("/properties/{key}")))
        .map(example_from_schema)
        .unwrap_or_else(|| json!({}))
}

/// Every Task state at any depth, with its resource.
fn collect_tasks(states: &States, out: &mut Vec<(String, String)>) {
    for (name, state) in states {
        if let State::Task(task) = state {
            out.push((name.clone(), task.resource.clone()));
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
