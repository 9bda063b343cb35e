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
    for (state, resource, selector) in tasks {
        let response_name = format!("{}{HAPPY_PATH}", mock_name(&state));
        let result = built
            .task_activities
            .get(&state)
            .and_then(|a| built.activities.get(a))
            .map(|info| example_from_schema(&info.output_schema))
            .or_else(|| {
                example_result(&resource).map(|mut r| {
                    if let Some(selector) = selector {
                        fill_selected_paths(&mut r, selector);
                    }
                    r
                })
            })
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

/// An example of one item of `map`: an S3 object entry when it lists objects; when its
/// ItemSelector passes the item (`"key.$": "$$.Map.Item.Value"`) to a first state that
/// runs an activity, an example of that input field; otherwise `{}`.
fn example_item(built: &Built, map: &MapState) -> Value {
    if map
        .item_reader
        .as_ref()
        .is_some_and(|r| r.resource.ends_with(":s3:listObjectsV2"))
    {
        // A listing's items are the objects, in the shape AWS's ItemReader documentation
        // prints (the Map sees them as they are, whatever its ItemSelector picks).
        return json!({
            "Etag": "\"05704fbdccb224cb01c59005bebbad28\"",
            "Key": "example/part-0000.parquet",
            "LastModified": 1668699881,
            "Size": 34910,
            "StorageClass": "STANDARD"
        });
    }
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

/// Every Task state at any depth, with its resource and ResultSelector.
fn collect_tasks<'a>(states: &'a States, out: &mut Vec<(String, String, Option<&'a Value>)>) {
    for (name, state) in states {
        if let State::Task(task) = state {
            out.push((
                name.clone(),
                task.resource.clone(),
                task.result_selector.as_ref(),
            ));
        }
        for (_, branch) in state.children() {
            collect_tasks(&branch.states, out);
        }
    }
}

/// Adds to an integration's example result every plain field path (`$.Item.total.N`) its
/// ResultSelector reads and the example lacks, so the generated happy path runs: a
/// DynamoDB number (`…N`) gets `"0"`, anything else `"example"`.
fn fill_selected_paths(result: &mut Value, selector: &Value) {
    match selector {
        Value::Object(fields) => {
            for (key, value) in fields {
                match (key.ends_with(".$"), value) {
                    (true, Value::String(path)) => fill_path(result, path),
                    (false, nested) => fill_selected_paths(result, nested),
                    _ => {}
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| fill_selected_paths(result, i)),
        _ => {}
    }
}

fn fill_path(result: &mut Value, path: &str) {
    let Some(rest) = path.strip_prefix("$.") else {
        return;
    };
    let names: Vec<&str> = rest.split('.').collect();
    if names
        .iter()
        .any(|n| n.is_empty() || n.contains(['[', ']', '*', '(', ' ']))
    {
        return;
    }
    let mut at = result;
    for (i, name) in names.iter().enumerate() {
        let Value::Object(fields) = at else { return };
        let last = i + 1 == names.len();
        at = fields.entry(name.to_string()).or_insert_with(|| {
            if !last {
                json!({})
            } else if *name == "N" {
                json!("0")
            } else {
                json!("example")
            }
        });
    }
}

/// A response name derived from a state name (letters and digits only).
fn mock_name(state: &str) -> String {
    state.chars().filter(char::is_ascii_alphanumeric).collect()
}
