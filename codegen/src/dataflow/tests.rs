//! Tests of the data-flow check, written as ASL documents and JSON Schemas.

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use stepwise_contract::{ActivityInfo, schema_of};

use super::*;

fn activity(name: &'static str, input: Value, output: Value) -> ActivityInfo {
    ActivityInfo {
        name,
        errors: vec![],
        input_schema: input,
        output_schema: output,
        deployment: Default::default(),
    }
}

/// Runs the check and renders each problem as `State "X": message`.
fn run(doc: Value, input: Value, activities: Vec<ActivityInfo>) -> Vec<String> {
    let machine = crate::asl::from_value(doc).expect("test documents are valid ASL");
    let activities: BTreeMap<String, ActivityInfo> = activities
        .into_iter()
        .map(|a| (a.name.to_string(), a))
        .collect();
    check(&machine, &input, &activities)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A one-Task machine running `${Work}` with the given extra Task fields.
fn one_task(fields: Value) -> Value {
    let mut task = json!({"Type": "Task", "Resource": "${Work}", "End": true});
    if let (Some(task), Value::Object(fields)) = (task.as_object_mut(), fields) {
        task.extend(fields);
    }
    json!({"StartAt": "Process", "States": {"Process": task}})
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

fn order_input() -> Value {
    object(
        json!({
            "order": object(json!({"id": {"type": "string"}, "qty": {"type": "integer"}}), &["id", "qty"]),
            "tenant": {"type": "string"}
        }),
        &["order", "tenant"],
    )
}

// ----------------------------------------------------------------------------------------
// Activity inputs
// ----------------------------------------------------------------------------------------

#[test]
fn renamed_activity_input_field_is_reported_as_missing() {
    let work = activity(
        "Work",
        object(json!({"order_id": {"type": "string"}}), &["order_id"]),
        json!({}),
    );
    let input = object(json!({"orderId": {"type": "string"}}), &["orderId"]);
    assert_eq!(
        run(one_task(json!({})), input, vec![work]),
        vec![r#"State "Process": input of activity "Work": missing required field "order_id""#]
    );
}

#[test]
fn matching_input_is_clean() {
    let work = activity("Work", order_input(), json!({}));
    assert_eq!(
        run(one_task(json!({})), order_input(), vec![work]),
        Vec::<String>::new()
    );
}

#[test]
fn missing_nested_field_is_named_by_dotted_path() {
    let work = activity("Work", order_input(), json!({}));
    let input = object(
        json!({"order": object(json!({"qty": {"type": "integer"}}), &["qty"]), "tenant": {"type": "string"}}),
        &["order", "tenant"],
    );
    assert_eq!(
        run(one_task(json!({})), input, vec![work]),
        vec![r#"State "Process": input of activity "Work": missing required field "order.id""#]
    );
}

#[test]
fn wrong_type_two_levels_deep_is_reported() {
    let expected = object(
        json!({"order": object(json!({"line": object(json!({"qty": {"type": "integer"}}), &["qty"])}), &["line"])}),
        &["order"],
    );
    let actual = object(
        json!({"order": object(json!({"line": object(json!({"qty": {"type": "string"}}), &["qty"])}), &["line"])}),
        &["order"],
    );
    let work = activity("Work", expected, json!({}));
    assert_eq!(
        run(one_task(json!({})), actual, vec![work]),
        vec![
            r#"State "Process": input of activity "Work": field "order.line.qty" is a string, expected an integer"#
        ]
    );
}

#[derive(JsonSchema, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictInput {
    id: String,
    qty: u32,
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct WorkflowInput {
    id: String,
    qty: u32,
    note: Option<String>,
}

#[test]
fn passing_whole_input_to_deny_unknown_fields_activity_reports_extra_field() {
    let work = activity("Work", schema_of::<StrictInput>(), json!({}));
    assert_eq!(
        run(
            one_task(json!({})),
            schema_of::<WorkflowInput>(),
            vec![work]
        ),
        vec![
            r#"State "Process": input of activity "Work": unexpected field "note" (Work rejects unknown fields)"#
        ]
    );
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct LenientInput {
    id: String,
}

#[test]
fn extra_fields_are_fine_for_an_activity_that_accepts_them() {
    let work = activity("Work", schema_of::<LenientInput>(), json!({}));
    assert_eq!(
        run(
            one_task(json!({})),
            schema_of::<WorkflowInput>(),
            vec![work]
        ),
        Vec::<String>::new()
    );
}

#[test]
fn parameters_build_the_activity_input() {
    let work = activity("Work", schema_of::<StrictInput>(), json!({}));
    let doc = one_task(json!({"Parameters": {"id.$": "$.id", "qty.$": "$.qty"}}));
    assert_eq!(
        run(doc, schema_of::<WorkflowInput>(), vec![work.clone()]),
        Vec::<String>::new()
    );
    let doc = one_task(json!({"Parameters": {"id.$": "$.id", "qty": "3"}}));
    assert_eq!(
        run(doc, schema_of::<WorkflowInput>(), vec![work]),
        vec![
            r#"State "Process": input of activity "Work": field "qty" is a string, expected an integer"#
        ]
    );
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct NeedsNote {
    note: String,
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct MaybeCount {
    note: Option<u32>,
}

#[test]
fn nullable_fields_count_as_present_but_their_type_is_checked() {
    // Option<String> → String: the string variant fits, and an optional field counts as
    // present; nothing is reported.
    let work = activity("Work", schema_of::<NeedsNote>(), json!({}));
    assert_eq!(
        run(
            one_task(json!({})),
            schema_of::<WorkflowInput>(),
            vec![work.clone()]
        ),
        Vec::<String>::new()
    );
    // Option<u32> → String: no variant fits.
    assert_eq!(
        run(one_task(json!({})), schema_of::<MaybeCount>(), vec![work]),
        vec![
            r#"State "Process": input of activity "Work": field "note" is an integer or null, expected a string"#
        ]
    );
}

#[test]
fn array_items_are_checked_recursively() {
    let expected = object(
        json!({"lines": {"type": "array", "items": object(json!({"qty": {"type": "integer"}}), &["qty"])}}),
        &["lines"],
    );
    let actual = object(
        json!({"lines": {"type": "array", "items": object(json!({"qty": {"type": "number"}}), &["qty"])}}),
        &["lines"],
    );
    let work = activity("Work", expected, json!({}));
    assert_eq!(
        run(one_task(json!({})), actual, vec![work]),
        vec![
            r#"State "Process": input of activity "Work": field "lines[].qty" is a number, expected an integer"#
        ]
    );
}

#[test]
fn unknown_resources_and_unknown_shapes_stay_quiet() {
    // ecs:runTask is an integration the check does not know: its result is unknown.
    let doc = json!({
        "StartAt": "Lambda",
        "States": {
            "Lambda": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "ResultPath": "$.r", "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"a.$": "$.r.anything.at.all", "b.$": "$.whatever"}, "End": true}
        }
    });
    // `$.whatever` is quiet because the input schema promises nothing.
    assert_eq!(
        run(doc, json!({"type": "object"}), vec![]),
        Vec::<String>::new()
    );
}

// ----------------------------------------------------------------------------------------
// Paths
// ----------------------------------------------------------------------------------------

#[test]
fn mistyped_path_in_parameters_is_reported() {
    let doc = one_task(json!({"Parameters": {"order.$": "$.ordr"}}));
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "Process": Parameters.order.$ "$.ordr": no field "ordr" in the state input (it has: order, tenant)"#
        ]
    );
}

#[test]
fn nested_miss_names_the_parent_path() {
    let input = object(
        json!({"order": object(json!({"address": object(json!({"street": {"type": "string"}, "city": {"type": "string"}}), &["street", "city"])}), &["address"])}),
        &["order"],
    );
    let doc = one_task(json!({"InputPath": "$.order.address.zip"}));
    assert_eq!(
        run(doc, input, vec![]),
        vec![
            r#"State "Process": InputPath "$.order.address.zip": no field "zip" in $.order.address (it has: street, city)"#
        ]
    );
}

#[test]
fn result_path_then_later_task_reads_the_first_activity_output() {
    let first = activity(
        "First",
        json!({"type": "object"}),
        object(
            json!({"total": {"type": "integer"}, "currency": {"type": "string"}}),
            &["total", "currency"],
        ),
    );
    let second = activity(
        "Second",
        object(json!({"amount": {"type": "integer"}}), &["amount"]),
        json!({}),
    );
    let doc = |path: &str| {
        json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Task", "Resource": "${First}", "ResultPath": "$.x", "Next": "B"},
                "B": {"Type": "Task", "Resource": "${Second}", "Parameters": {"amount.$": path}, "End": true}
            }
        })
    };
    assert_eq!(
        run(
            doc("$.x.total"),
            order_input(),
            vec![first.clone(), second.clone()]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(
            doc("$.x.totl"),
            order_input(),
            vec![first.clone(), second.clone()]
        ),
        vec![
            r#"State "B": Parameters.amount.$ "$.x.totl": no field "totl" in $.x (it has: total, currency)"#
        ]
    );
    assert_eq!(
        run(doc("$.x.currency"), order_input(), vec![first, second]),
        vec![
            r#"State "B": input of activity "Second": field "amount" is a string, expected an integer"#
        ]
    );
}

#[test]
fn result_path_keeps_the_rest_of_the_input() {
    let first = activity(
        "First",
        json!({"type": "object"}),
        object(json!({"ok": {"type": "boolean"}}), &["ok"]),
    );
    let doc = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "${First}", "ResultPath": "$.result.first", "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"t.$": "$.tenant", "ok.$": "$.result.first.ok", "bad.$": "$.result.second"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![first]),
        vec![
            r#"State "B": Parameters.bad.$ "$.result.second": no field "second" in $.result (it has: first)"#
        ]
    );
}

#[test]
fn result_selector_reshapes_the_result() {
    let first = activity(
        "First",
        json!({"type": "object"}),
        object(
            json!({"sum": {"type": "integer"}, "meta": {"type": "string"}}),
            &["sum", "meta"],
        ),
    );
    let second = activity(
        "Second",
        object(json!({"total": {"type": "integer"}}), &["total"]),
        json!({}),
    );
    let doc = json!({
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task", "Resource": "${First}",
                "ResultSelector": {"total.$": "$.sum", "typo.$": "$.summ"},
                "ResultPath": "$.r", "Next": "B"
            },
            "B": {"Type": "Task", "Resource": "${Second}", "InputPath": "$.r", "ResultPath": null, "Next": "C"},
            "C": {"Type": "Pass", "Parameters": {"old.$": "$.r.sum"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![first, second]),
        vec![
            r#"State "A": ResultSelector.typo.$ "$.summ": no field "summ" in the result (it has: sum, meta)"#,
            r#"State "C": Parameters.old.$ "$.r.sum": no field "sum" in $.r (it has: total, typo)"#,
        ]
    );
}

#[test]
fn output_path_narrows_the_document() {
    let doc = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "OutputPath": "$.order", "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"id.$": "$.id", "t.$": "$.tenant"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "B": Parameters.t.$ "$.tenant": no field "tenant" in the state input (it has: id, qty)"#
        ]
    );
}

#[test]
fn input_path_null_gives_an_empty_object() {
    let work = activity("Work", order_input(), json!({}));
    let doc = one_task(json!({"InputPath": null}));
    assert_eq!(
        run(doc, order_input(), vec![work]),
        vec![
            r#"State "Process": input of activity "Work": missing required field "order""#,
            r#"State "Process": input of activity "Work": missing required field "tenant""#,
        ]
    );
    let doc = one_task(json!({"InputPath": null, "Parameters": {"t.$": "$.tenant"}}));
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "Process": Parameters.t.$ "$.tenant": no field "tenant" in the state input (it has no fields)"#
        ]
    );
}

#[test]
fn context_object_paths_are_checked() {
    let doc = one_task(json!({"Parameters": {
        "id.$": "$$.Execution.Id",
        "tenant.$": "$$.Execution.Input.tenant",
        "token.$": "$$.Task.Token",
        "typo.$": "$$.Execution.Nme",
        "top.$": "$$.Executions"
    }}));
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "Process": Parameters.typo.$ "$$.Execution.Nme": no field "Nme" in $$.Execution (it has: Id, Input, Name, RoleArn, StartTime, RedriveCount, RedriveTime)"#,
            r#"State "Process": Parameters.top.$ "$$.Executions": no field "Executions" in the context object (it has: Execution, State, StateMachine, Task)"#,
        ]
    );
}

#[test]
fn task_token_exists_only_in_task_parameters() {
    let doc = json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}
    });
    assert_eq!(
        run(doc, json!({"type": "object"}), vec![]),
        vec![
            r#"State "P": Parameters.t.$ "$$.Task.Token": no field "Task" in the context object (it has: Execution, State, StateMachine)"#
        ]
    );
}

#[test]
fn wait_seconds_and_timestamp_paths_are_typed() {
    let input = object(
        json!({"s": {"type": "string"}, "n": {"type": "integer"}}),
        &["s", "n"],
    );
    let doc = json!({
        "StartAt": "W1",
        "States": {
            "W1": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W2"},
            "W2": {"Type": "Wait", "SecondsPath": "$.n", "Next": "W3"},
            "W3": {"Type": "Wait", "TimestampPath": "$.n", "End": true}
        }
    });
    assert_eq!(
        run(doc, input, vec![]),
        vec![
            r#"State "W1": SecondsPath "$.s": is a string, expected a number"#,
            r#"State "W3": TimestampPath "$.n": is an integer, expected a string"#,
        ]
    );
}

#[test]
fn indefinite_paths_report_only_misses_before_the_wildcard() {
    let input = object(
        json!({"items": {"type": "array", "items": object(json!({"sku": {"type": "string"}}), &["sku"])}}),
        &["items"],
    );
    let doc = json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {
            "skus.$": "$.items[*].sku",
            "none.$": "$.items[*].nothing",
            "bad.$": "$.itms[*].sku"
        }, "End": true}}
    });
    assert_eq!(
        run(doc, input, vec![]),
        vec![
            r#"State "P": Parameters.bad.$ "$.itms[*].sku": no field "itms" in the state input (it has: items)"#
        ]
    );
}

// ----------------------------------------------------------------------------------------
// Map and Parallel
// ----------------------------------------------------------------------------------------

fn items_input() -> Value {
    object(
        json!({
            "items": {"type": "array", "items": object(json!({"sku": {"type": "string"}, "qty": {"type": "integer"}}), &["sku", "qty"])},
            "meta": object(json!({"x": {"type": "string"}}), &["x"])
        }),
        &["items", "meta"],
    )
}

fn map_doc(map_fields: Value, processor_task: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemProcessor": {"StartAt": "Each", "States": {"Each": processor_task}},
        "End": true
    });
    if let (Some(map), Value::Object(fields)) = (map.as_object_mut(), map_fields) {
        map.extend(fields);
    }
    json!({"StartAt": "Loop", "States": {"Loop": map}})
}

#[test]
fn map_items_path_to_a_non_array_is_reported() {
    let doc = map_doc(
        json!({"ItemsPath": "$.meta"}),
        json!({"Type": "Pass", "End": true}),
    );
    assert_eq!(
        run(doc, items_input(), vec![]),
        vec![r#"State "Loop": ItemsPath "$.meta": is an object, expected an array"#]
    );
}

#[test]
fn map_item_selector_reads_the_item_from_the_context() {
    let work = activity(
        "Work",
        object(
            json!({"sku": {"type": "string"}, "index": {"type": "integer"}, "x": {"type": "string"}}),
            &["sku", "index", "x"],
        ),
        json!({}),
    );
    let task = json!({"Type": "Task", "Resource": "${Work}", "End": true});
    let doc = map_doc(
        json!({"ItemsPath": "$.items", "ItemSelector": {
            "sku.$": "$$.Map.Item.Value.sku",
            "index.$": "$$.Map.Item.Index",
            "x.$": "$.meta.x"
        }}),
        task.clone(),
    );
    assert_eq!(
        run(doc, items_input(), vec![work.clone()]),
        Vec::<String>::new()
    );
    let doc = map_doc(
        json!({"ItemsPath": "$.items", "ItemSelector": {
            "sku.$": "$$.Map.Item.Value.skuu",
            "index.$": "$$.Map.Item.Index",
            "x.$": "$.meta.x"
        }}),
        task,
    );
    assert_eq!(
        run(doc, items_input(), vec![work]),
        vec![
            r#"State "Loop": ItemSelector.sku.$ "$$.Map.Item.Value.skuu": no field "skuu" in $$.Map.Item.Value (it has: sku, qty)"#
        ]
    );
}

#[test]
fn map_processor_task_input_is_checked_against_the_item_shape() {
    let work = activity(
        "Work",
        object(
            json!({"sku": {"type": "string"}, "price": {"type": "number"}}),
            &["sku", "price"],
        ),
        json!({}),
    );
    let doc = map_doc(
        json!({"ItemsPath": "$.items"}),
        json!({"Type": "Task", "Resource": "${Work}", "End": true}),
    );
    assert_eq!(
        run(doc, items_input(), vec![work]),
        vec![r#"State "Each": input of activity "Work": missing required field "price""#]
    );
}

#[test]
fn map_result_is_an_array_of_processor_outputs() {
    let priced = activity(
        "Price",
        json!({"type": "object"}),
        object(json!({"cents": {"type": "integer"}}), &["cents"]),
    );
    let doc = json!({
        "StartAt": "Loop",
        "States": {
            "Loop": {
                "Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.prices",
                "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Task", "Resource": "${Price}", "End": true}}},
                "Next": "Use"
            },
            "Use": {"Type": "Pass", "Parameters": {"first.$": "$.prices[0].cents", "bad.$": "$.prices[0].euros"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, items_input(), vec![priced]),
        vec![
            r#"State "Use": Parameters.bad.$ "$.prices[0].euros": no field "euros" in $.prices[0] (it has: cents)"#
        ]
    );
}

#[test]
fn parallel_result_is_a_tuple_of_branch_outputs() {
    let work = activity(
        "Work",
        object(json!({"x": {"type": "integer"}}), &["x"]),
        json!({}),
    );
    let doc = |path: &str| {
        json!({
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "L", "States": {"L": {"Type": "Pass", "Result": {"y": "s"}, "End": true}}},
                        {"StartAt": "R", "States": {"R": {"Type": "Pass", "Result": {"x": 1}, "End": true}}}
                    ],
                    "Next": "Use"
                },
                "Use": {"Type": "Task", "Resource": "${Work}", "Parameters": {"x.$": path}, "End": true}
            }
        })
    };
    assert_eq!(
        run(doc("$[1].x"), json!({"type": "object"}), vec![work.clone()]),
        Vec::<String>::new()
    );
    assert_eq!(
        run(doc("$[0].y"), json!({"type": "object"}), vec![work.clone()]),
        vec![
            r#"State "Use": input of activity "Work": field "x" is a string, expected an integer"#
        ]
    );
    assert_eq!(
        run(doc("$[2].x"), json!({"type": "object"}), vec![work]),
        vec![
            r#"State "Use": Parameters.x.$ "$[2].x": no index 2 in the state input (it has 2 items)"#
        ]
    );
}

#[test]
fn parallel_branches_receive_the_effective_input() {
    let doc = json!({
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "InputPath": "$.order",
                "Branches": [
                    {"StartAt": "L", "States": {"L": {"Type": "Pass", "Parameters": {"id.$": "$.id", "t.$": "$.tenant"}, "End": true}}}
                ],
                "End": true
            }
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "L": Parameters.t.$ "$.tenant": no field "tenant" in the state input (it has: id, qty)"#
        ]
    );
}

#[test]
fn distributed_map_batches_items_with_batch_input() {
    let work = activity(
        "Work",
        json!({
            "type": "object",
            "properties": {
                "Items": {"type": "array", "items": object(json!({"sku": {"type": "string"}}), &["sku"])},
                "BatchInput": {
                    "type": "object",
                    "properties": {"run": {"type": "string"}},
                    "required": ["run"],
                    "additionalProperties": false
                }
            },
            "required": ["Items", "BatchInput"],
            "additionalProperties": false
        }),
        json!({}),
    );
    let doc = |batch_input: Value| {
        json!({
            "StartAt": "Loop",
            "States": {"Loop": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"sku.$": "$$.Map.Item.Value.sku"},
                "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": batch_input},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Each",
                    "States": {"Each": {"Type": "Task", "Resource": "${Work}", "End": true}}
                },
                "End": true
            }}
        })
    };
    assert_eq!(
        run(
            doc(json!({"run.$": "$.meta.x"})),
            items_input(),
            vec![work.clone()]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(
            doc(json!({"run.$": "$.meta.x", "extra": 1})),
            items_input(),
            vec![work]
        ),
        vec![
            r#"State "Each": input of activity "Work": unexpected field "BatchInput.extra" (Work rejects unknown fields)"#
        ]
    );
}

#[test]
fn count_and_duration_paths_must_resolve_to_numbers() {
    let doc = json!({
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                  "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                  "TimeoutSecondsPath": "$.timeout", "HeartbeatSecondsPath": "$.tenant",
                  "ResultPath": null, "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.order", "MaxConcurrencyPath": "$.order.qty",
                  "ItemProcessor": {"StartAt": "E", "States": {"E": {"Type": "Succeed"}}}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "T": TimeoutSecondsPath "$.timeout": no field "timeout" in the state input (it has: order, tenant)"#,
            r#"State "T": HeartbeatSecondsPath "$.tenant": is a string, expected a number"#,
            r#"State "M": ItemsPath "$.order": is an object, expected an array"#,
        ]
    );
}

// ----------------------------------------------------------------------------------------
// Catch, Fail, Choice, loops and merges
// ----------------------------------------------------------------------------------------

#[test]
fn catch_result_path_feeds_a_fail_state() {
    let doc = |error_path: &str| {
        json!({
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "f"},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                    "End": true
                },
                "Failed": {"Type": "Fail", "ErrorPath": error_path, "CausePath": "$.error.Cause"}
            }
        })
    };
    assert_eq!(
        run(doc("$.error.Error"), order_input(), vec![]),
        Vec::<String>::new()
    );
    assert_eq!(
        run(doc("$.error.Err"), order_input(), vec![]),
        vec![
            r#"State "Failed": ErrorPath "$.error.Err": no field "Err" in $.error (it has: Error, Cause)"#
        ]
    );
    assert_eq!(
        run(doc("$.order"), order_input(), vec![]),
        vec![r#"State "Failed": ErrorPath "$.order": is an object, expected a string"#]
    );
}

#[test]
fn fail_error_path_may_be_an_intrinsic() {
    let doc = json!({
        "StartAt": "F",
        "States": {"F": {"Type": "Fail", "ErrorPath": "States.Format('E{}', $.ordr)", "CausePath": "States.Format('{}', $.tenant)"}}
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "F": ErrorPath "$.ordr": no field "ordr" in the state input (it has: order, tenant)"#
        ]
    );
}

#[test]
fn choice_is_present_guard_is_not_reported() {
    let doc = json!({
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.coupon", "IsPresent": true, "Next": "Done"},
                    {"And": [
                        {"Variable": "$.discount", "IsPresent": true},
                        {"Variable": "$.discount.pct", "NumericGreaterThan": 0}
                    ], "Next": "Done"},
                    {"Variable": "$.stauts", "StringEquals": "x", "Next": "Done"}
                ],
                "Default": "Done"
            },
            "Done": {"Type": "Succeed"}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "C": Choices[2].Variable "$.stauts": no field "stauts" in the state input (it has: order, tenant)"#
        ]
    );
}

#[test]
fn choice_path_operands_in_nested_rules_are_checked() {
    let doc = json!({
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.order.qty", "NumericEquals": 1, "Next": "Done"},
                    {"And": [
                        {"Variable": "$.order.qty", "IsNumeric": true},
                        {"Variable": "$.order.qty", "NumericEqualsPath": "$.order.max"}
                    ], "Next": "Done"},
                    {"Not": {"Variable": "$$.State.Nam", "StringEquals": "C"}, "Next": "Done"}
                ],
                "Default": "Done"
            },
            "Done": {"Type": "Succeed"}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "C": Choices[1].And[1].NumericEqualsPath "$.order.max": no field "max" in $.order (it has: id, qty)"#,
            r#"State "C": Choices[2].Not.Variable "$$.State.Nam": no field "Nam" in $$.State (it has: EnteredTime, Name, RetryCount)"#,
        ]
    );
}

#[test]
fn a_loop_back_to_an_earlier_state_converges() {
    let poll = activity(
        "Poll",
        object(json!({"jobId": {"type": "string"}}), &["jobId"]),
        object(json!({"done": {"type": "boolean"}}), &["done"]),
    );
    let doc = json!({
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Parameters": {"jobId.$": "$.order.id"}, "ResultPath": "$.job", "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Check"},
            "Check": {"Type": "Task", "Resource": "${Poll}", "InputPath": "$.job", "ResultPath": "$.status", "Next": "Nest"},
            // Grows the document on every round: the fixpoint must widen rather than spin.
            "Nest": {"Type": "Pass", "Parameters": {"prev.$": "$", "job.$": "$.job", "status.$": "$.status"}, "Next": "Done?"},
            "Done?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.status.done", "BooleanEquals": true, "Next": "End"}],
                "Default": "Wait"
            },
            "End": {"Type": "Pass", "Parameters": {"typo.$": "$.statuz"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![poll]),
        vec![
            r#"State "End": Parameters.typo.$ "$.statuz": no field "statuz" in the state input (it has: prev, job, status)"#
        ]
    );
}

#[test]
fn two_predecessors_merge_and_a_field_on_one_path_counts_as_present() {
    let join = activity(
        "Join",
        object(json!({"a": {"type": "string"}}), &["a"]),
        json!({}),
    );
    let doc = |path: &str| {
        json!({
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.tenant", "StringEquals": "x", "Next": "A"}],
                    "Default": "B"
                },
                "A": {"Type": "Pass", "Result": "s", "ResultPath": "$.a", "Next": "Join"},
                "B": {"Type": "Pass", "Result": 1, "ResultPath": "$.b", "Next": "Join"},
                "Join": {"Type": "Task", "Resource": "${Join}", "Parameters": {"a.$": path}, "End": true}
            }
        })
    };
    assert_eq!(
        run(doc("$.a"), order_input(), vec![join.clone()]),
        Vec::<String>::new()
    );
    assert_eq!(
        run(doc("$.c"), order_input(), vec![join]),
        vec![
            r#"State "Join": Parameters.a.$ "$.c": no field "c" in the state input (it has: order, tenant, a, b)"#
        ]
    );
}

#[test]
fn a_problem_on_a_loop_is_reported_once() {
    let doc = json!({
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Parameters": {"x.$": "$.nope", "tenant.$": "$.tenant"}, "ResultPath": "$.p", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.tenant", "StringEquals": "a", "Next": "P"}], "Default": "D"},
            "D": {"Type": "Succeed"}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        // Reported once, against the converged input (the loop adds `p`).
        vec![
            r#"State "P": Parameters.x.$ "$.nope": no field "nope" in the state input (it has: order, tenant, p)"#
        ]
    );
}

// ----------------------------------------------------------------------------------------
// Intrinsic functions, JSONata, schemas
// ----------------------------------------------------------------------------------------

#[test]
fn intrinsic_path_arguments_are_resolved() {
    let doc = json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {
            "msg.$": "States.Format('{} for {}', $.tenant, $.missing)",
            "nested.$": "States.JsonToString(States.Array($.order.id, $.order.nope))"
        }, "End": true}}
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "P": Parameters.msg.$ "$.missing": no field "missing" in the state input (it has: order, tenant)"#,
            r#"State "P": Parameters.nested.$ "$.order.nope": no field "nope" in $.order (it has: id, qty)"#,
        ]
    );
}

#[test]
fn intrinsic_results_have_types() {
    let work = activity(
        "Work",
        object(
            json!({"count": {"type": "integer"}, "label": {"type": "string"}, "has": {"type": "boolean"}, "parts": {"type": "array", "items": {"type": "string"}}}),
            &["count", "label", "has", "parts"],
        ),
        json!({}),
    );
    let input = object(
        json!({"items": {"type": "array", "items": {"type": "string"}}, "csv": {"type": "string"}}),
        &["items", "csv"],
    );
    let doc = one_task(json!({"Parameters": {
        "count.$": "States.ArrayLength($.items)",
        "label.$": "States.Format('{} items', States.ArrayLength($.items))",
        "has.$": "States.ArrayContains($.items, 'a')",
        "parts.$": "States.StringSplit($.csv, ',')"
    }}));
    assert_eq!(
        run(doc, input.clone(), vec![work.clone()]),
        Vec::<String>::new()
    );
    let doc = one_task(json!({"Parameters": {
        "count.$": "States.UUID()",
        "label.$": "States.ArrayGetItem($.items, 0)",
        "has.$": "States.ArrayContains($.items, 'a')",
        "parts.$": "States.StringSplit($.csv, ',')"
    }}));
    assert_eq!(
        run(doc, input, vec![work]),
        vec![
            r#"State "Process": input of activity "Work": field "count" is a string, expected an integer"#
        ]
    );
}

#[test]
fn intrinsic_argument_types_are_checked() {
    let doc = json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.tenant)"}, "End": true}}
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            r#"State "P": Parameters.n.$ "$.tenant": is a string, expected an array (argument 1 of States.ArrayLength)"#
        ]
    );
}

#[test]
fn jsonata_states_check_plain_input_paths_and_nothing_else() {
    let work = activity(
        "Work",
        object(json!({"never": {"type": "string"}}), &["never"]),
        json!({}),
    );
    // The Task's output is unknown: the JSONPath state after it is not checked, nor is the
    // activity's input (Arguments are not typed).
    let doc = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "${Work}", "Arguments": {"x": "{% $states.input.nope %}", "ok": "{% $states.input.order %}", "quiet": "{% $exists($states.input.nope) ? 1 : 2 %}"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"anything.$": "$.whatever.deep"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![work.clone()]),
        vec![
            "State \"A\": Arguments.x \"{% $states.input.nope %}\": no field \"nope\" in the state input (it has: order, tenant)"
                .to_string()
        ]
    );
    let whole = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {"A": {"Type": "Task", "Resource": "${Work}", "End": true}}
    });
    assert_eq!(run(whole, order_input(), vec![work]), Vec::<String>::new());
}

#[test]
fn jsonata_pass_states_without_output_pass_the_input_shape_on() {
    let doc = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Keep",
        "States": {
            "Keep": {"Type": "Pass", "Assign": {"t": "{% $states.input.tenant %}"}, "Next": "Use"},
            "Use": {"Type": "Pass", "Output": {"id": "{% $states.input.order.idd %}", "complex": "{% $states.input.order.id & $string($states.input.order.nope) %}"}, "Next": "Shaped"},
            "Shaped": {"Type": "Pass", "Output": "{% $states.input.anything %}", "End": true}
        }
    });
    let problems = run(doc, order_input(), vec![]);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with("State \"Use\": Output.id \"{% $states.input.order.idd %}\": no field \"idd\" in $states.input.order"),
        "{problems:#?}"
    );
    // Use's Output is a template with exactly the fields id and complex.
    assert_eq!(
        problems[1],
        "State \"Shaped\": Output \"{% $states.input.anything %}\": no field \"anything\" in the state input (it has: id, complex)"
    );
}

fn payload_activity() -> ActivityInfo {
    activity(
        "Fetch",
        json!({}),
        object(
            json!({
                "Payload": object(json!({"id": {"type": "string"}, "size": {"type": "integer"}}), &["id"]),
                "etag": {"type": "string"}
            }),
            &["Payload"],
        ),
    )
}

#[test]
fn jsonata_output_built_from_the_result_is_followed_downstream() {
    let doc = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Fetch",
        "States": {
            "Fetch": {"Type": "Task", "Resource": "${Fetch}",
                "Output": "{% {\"id\": $states.result.Payload.id, \"tenant\": $states.input.tenant} %}",
                "Assign": {"etag": "{% $states.result.etga %}"},
                "Next": "Use"},
            "Use": {"Type": "Pass", "Output": {"ok": "{% $states.input.id %}", "bad": "{% $states.input.size %}"}, "Next": "Raw"},
            "Raw": {"Type": "Task", "Resource": "${Fetch}", "Next": "Last"},
            "Last": {"Type": "Pass", "Output": {"size": "{% $states.input.Payload.size %}", "nope": "{% $states.input.Payload.sise %}"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![payload_activity()]),
        vec![
            "State \"Fetch\": Assign.etag \"{% $states.result.etga %}\": no field \"etga\" in the result (it has: Payload, etag)",
            "State \"Use\": Output.bad \"{% $states.input.size %}\": no field \"size\" in the state input (it has: id, tenant)",
            "State \"Last\": Output.nope \"{% $states.input.Payload.sise %}\": no field \"sise\" in $states.input.Payload (it has: id, size)",
        ]
    );
}

#[test]
fn jsonata_unknown_results_raise_no_alarm() {
    // A Lambda's Payload, a resource that is neither an activity nor a known integration, a
    // task handing out its token, and expressions the check cannot follow: all quiet.
    let doc = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Lambda",
        "States": {
            "Lambda": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                "Output": "{% {\"id\": $states.result.Payload.id} %}", "Next": "UseLambda"},
            "UseLambda": {"Type": "Pass", "Output": "{% $states.input.id %}", "Next": "Other"},
            "Other": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:x", "Next": "UseOther"},
            "UseOther": {"Type": "Pass", "Output": {"a": "{% $states.input.whatever.deep %}"}, "Next": "Token"},
            "Token": {"Type": "Task", "Resource": "${Fetch}", "Arguments": {"token": "{% $states.context.Task.Token %}"}, "Next": "UseToken"},
            "UseToken": {"Type": "Pass", "Output": "{% $states.input.anything %}", "Next": "Computed"},
            "Computed": {"Type": "Pass", "Output": "{% $merge([$states.input, {\"x\": 1}]) %}", "Next": "UseComputed"},
            "UseComputed": {"Type": "Pass", "Output": "{% $states.input.y %}", "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![payload_activity()]),
        Vec::<String>::new()
    );
}

#[test]
fn jsonata_map_parallel_and_catch_outputs_are_followed() {
    let items = object(
        json!({"items": {"type": "array", "items": object(json!({"sku": {"type": "string"}}), &["sku"])}}),
        &["items"],
    );
    let doc = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "Items": "{% $states.input.items %}",
                "ItemSelector": {"s": "{% $states.context.Map.Item.Value.sku %}", "bad": "{% $states.context.Map.Item.Value.skew %}"},
                "ItemProcessor": {"StartAt": "In", "States": {"In": {"Type": "Pass", "Output": {"sku": "{% $states.input.s %}", "x": "{% $states.input.t %}"}, "End": true}}},
                "Output": {"all": "{% $states.result %}"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": "Both"},
            "Both": {"Type": "Parallel", "Arguments": {"n": 1},
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": "{% $states.input.m %}", "End": true}}}],
                "Next": "After"},
            "After": {"Type": "Pass", "End": true},
            "Failed": {"Type": "Pass", "Output": {"e": "{% $states.input.Error %}", "c": "{% $states.input.Cuase %}"}, "End": true}
        }
    });
    assert_eq!(
        run(doc, items, vec![]),
        vec![
            "State \"Each\": ItemSelector.bad \"{% $states.context.Map.Item.Value.skew %}\": no field \"skew\" in $states.context.Map.Item.Value (it has: sku)",
            "State \"In\": Output.x \"{% $states.input.t %}\": no field \"t\" in the state input (it has: s, bad)",
            "State \"B\": Output \"{% $states.input.m %}\": no field \"m\" in the state input (it has: n)",
            "State \"Failed\": Output.c \"{% $states.input.Cuase %}\": no field \"Cuase\" in the state input (it has: Error, Cause)",
        ]
    );
}

#[test]
fn schemas_map_to_shapes() {
    assert_eq!(
        Shape::from_schema(&json!({"type": ["string", "null"]})),
        Shape::OneOf(vec![Shape::String, Shape::Null])
    );
    assert_eq!(
        Shape::from_schema(&json!({"enum": ["a", "b"]})),
        Shape::String
    );
    assert_eq!(
        Shape::from_schema(&json!({"$ref": "#/definitions/X"})),
        Shape::Any
    );
    assert_eq!(Shape::from_schema(&json!(true)), Shape::Any);
    let Shape::Object(closed) = Shape::from_schema(&schema_of::<StrictInput>()) else {
        panic!("an object schema gives an object shape")
    };
    assert_eq!(closed.extra, Extra::Denied);
    assert_eq!(closed.field_list(), "id, qty");
    let Shape::Object(map) = Shape::from_schema(&json!({"type": "object"})) else {
        panic!("an object schema gives an object shape")
    };
    assert_eq!(map.extra, Extra::Allowed(Box::new(Shape::Any)));
    let merged = Shape::from_schema(&json!({"allOf": [
        object(json!({"a": {"type": "string"}}), &["a"]),
        object(json!({"b": {"type": "integer"}}), &[])
    ]}));
    let Shape::Object(merged) = merged else {
        panic!("allOf of objects is an object")
    };
    assert_eq!(merged.field_list(), "a, b");
    assert!(merged.fields["a"].required && !merged.fields["b"].required);
}

#[test]
fn corpus_documents_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/asl-corpus");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let activities = BTreeMap::new();
    let input = json!({"type": "object"});
    let mut parsed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(machine) = crate::asl::from_json(&text) else {
            continue;
        };
        parsed += 1;
        let result = std::panic::catch_unwind(|| check(&machine, &input, &activities));
        assert!(result.is_ok(), "check panicked on {}", path.display());
    }
    assert!(
        parsed > 100,
        "expected most of the corpus to parse, got {parsed}"
    );
}

// ----------------------------------------------------------------------------------------
// Service integration results
// ----------------------------------------------------------------------------------------

/// A Task on `resource` with `fields`, then a Pass reading `reads` (a Parameters template).
fn integration_then_pass(resource: &str, fields: Value, reads: Value) -> Value {
    let mut task = json!({"Type": "Task", "Resource": resource, "Next": "Use"});
    if let (Some(task), Value::Object(fields)) = (task.as_object_mut(), fields) {
        task.extend(fields);
    }
    json!({
        "StartAt": "Call",
        "States": {
            "Call": task,
            "Use": {"Type": "Pass", "Parameters": reads, "End": true}
        }
    })
}

#[test]
fn result_selector_over_an_integration_result_is_checked() {
    let doc = |field: &str| {
        integration_then_pass(
            "arn:aws:states:::sqs:sendMessage",
            json!({"Parameters": {"QueueUrl": "q", "MessageBody.$": "$.order"},
                   "ResultSelector": {"id.$": format!("$.{field}")}, "ResultPath": "$.sent"}),
            json!({"id.$": "$.sent.id"}),
        )
    };
    assert_eq!(
        run(doc("MessageId"), order_input(), vec![]),
        Vec::<String>::new()
    );
    assert_eq!(
        run(doc("MessageID"), order_input(), vec![]),
        vec![
            r#"State "Call": ResultSelector.id.$ "$.MessageID": no field "MessageID" in the result (it has: MD5OfMessageBody, MessageId, SdkHttpMetadata, SdkResponseMetadata, MD5OfMessageAttributes, MD5OfMessageSystemAttributes, SequenceNumber)"#
        ]
    );
}

#[test]
fn a_later_state_reading_an_integration_result_is_checked() {
    let doc = |path: &str| {
        integration_then_pass(
            "arn:aws:states:::dynamodb:getItem",
            json!({"Parameters": {"TableName": "claims", "Key": {"pk": {"S.$": "$.order.id"}}},
                   "ResultPath": "$.claim"}),
            json!({"x.$": path}),
        )
    };
    for fine in [
        "$.claim.Item.status.S",
        "$.claim.SdkHttpMetadata.HttpStatusCode",
        "$.claim.SdkResponseMetadata.RequestId",
        "$.order.id",
    ] {
        assert_eq!(
            run(doc(fine), order_input(), vec![]),
            Vec::<String>::new(),
            "{fine}"
        );
    }
    assert_eq!(
        run(doc("$.claim.Items"), order_input(), vec![]),
        vec![
            r#"State "Use": Parameters.x.$ "$.claim.Items": no field "Items" in $.claim (it has: SdkHttpMetadata, SdkResponseMetadata, Item, ConsumedCapacity)"#
        ]
    );
}

#[test]
fn lambda_invoke_payload_is_open_but_its_envelope_is_not() {
    let doc = |path: &str| {
        integration_then_pass(
            "arn:aws:states:::lambda:invoke",
            json!({"Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultPath": "$.r"}),
            json!({"x.$": path}),
        )
    };
    for fine in [
        "$.r.Payload.anything",
        "$.r.StatusCode",
        "$.r.ExecutedVersion",
    ] {
        assert_eq!(
            run(doc(fine), order_input(), vec![]),
            Vec::<String>::new(),
            "{fine}"
        );
    }
    assert_eq!(
        run(doc("$.r.FunctionError"), order_input(), vec![]),
        vec![
            r#"State "Use": Parameters.x.$ "$.r.FunctionError": no field "FunctionError" in $.r (it has: Payload, StatusCode, SdkHttpMetadata, SdkResponseMetadata, ExecutedVersion, LogResult)"#
        ]
    );
}

#[test]
fn start_execution_sync_output_is_a_string_and_sync2_output_is_json() {
    let doc = |resource: &str| {
        integration_then_pass(
            resource,
            json!({"Parameters": {"StateMachineArn": "${Child}"}, "ResultSelector": {"status.$": "$.Output.status"}}),
            json!({"s.$": "$.status"}),
        )
    };
    assert_eq!(
        run(
            doc("arn:aws:states:::states:startExecution.sync:2"),
            order_input(),
            vec![]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(
            doc("arn:aws:states:::states:startExecution.sync"),
            order_input(),
            vec![]
        ),
        vec![
            r#"State "Call": ResultSelector.status.$ "$.Output.status": no field "status" in $.Output (it is a string)"#
        ]
    );
    // The request-response form returns no Output at all.
    assert_eq!(
        run(
            doc("arn:aws:states:::states:startExecution"),
            order_input(),
            vec![]
        ),
        vec![
            r#"State "Call": ResultSelector.status.$ "$.Output.status": no field "Output" in the result (it has: ExecutionArn, StartDate, SdkHttpMetadata, SdkResponseMetadata)"#
        ]
    );
}

#[test]
fn a_callback_result_is_unknown_and_quiet() {
    let doc = integration_then_pass(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        json!({"Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}, "ResultPath": "$.approval"}),
        json!({"x.$": "$.approval.decision"}),
    );
    assert_eq!(run(doc, order_input(), vec![]), Vec::<String>::new());
}

#[test]
fn integration_parameters_are_checked_for_required_fields_and_types() {
    let doc = |resource: &str, parameters: Value| {
        json!({"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": resource, "Parameters": parameters, "End": true}}})
    };
    // A path to a number where the API takes a string, and a missing required parameter.
    assert_eq!(
        run(
            doc(
                "arn:aws:states:::sqs:sendMessage",
                json!({"QueueUrl.$": "$.order.qty"})
            ),
            order_input(),
            vec![]
        ),
        vec![
            r#"State "Call": Parameters of sqs:sendMessage: field "QueueUrl" is an integer, expected a string"#,
            r#"State "Call": Parameters of sqs:sendMessage: missing required field "MessageBody""#,
        ]
    );
    // The optimized integration takes a JSON body; the AWS SDK one wants a string.
    let body = json!({"QueueUrl": "q", "MessageBody.$": "$.order"});
    assert_eq!(
        run(
            doc("arn:aws:states:::sqs:sendMessage", body.clone()),
            order_input(),
            vec![]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(
            doc("arn:aws:states:::aws-sdk:sqs:sendMessage", body),
            order_input(),
            vec![]
        ),
        vec![
            r#"State "Call": Parameters of aws-sdk:sqs:sendMessage: field "MessageBody" is an object, expected a string"#
        ]
    );
    // Other parameters pass unchecked; unknown integrations are not checked at all.
    let extra = json!({"TableName": "t", "Key": {}, "ReturnConsumedCapacity": "TOTAL"});
    assert_eq!(
        run(
            doc("arn:aws:states:::dynamodb:getItem", extra),
            order_input(),
            vec![]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(
            doc("arn:aws:states:::ecs:runTask.sync", json!({})),
            order_input(),
            vec![]
        ),
        Vec::<String>::new()
    );
}

/// The real-world corpus uses the known integrations hundreds of times (`lambda:invoke`,
/// `sns:publish`, `dynamodb:*`, `events:putEvents`, `startExecution.sync:2`, `aws-sdk:s3:*`,
/// ...), reading their results in ResultSelectors and later states: with an input that
/// promises nothing, the check must find nothing to say about them. The only two findings
/// are about the input being an object, which is what this test's schema claims.
#[test]
fn the_corpus_integration_tasks_raise_no_false_alarms() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/asl-corpus");
    let mut found = Vec::new();
    let mut integration_tasks = 0;
    let mut jsonata_documents = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok(machine) = crate::asl::from_json(&text) else {
            continue;
        };
        integration_tasks += count_integration_tasks(&machine.states);
        jsonata_documents += usize::from(text.contains("{%"));
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for problem in check(&machine, &json!({"type": "object"}), &BTreeMap::new()) {
            found.push(format!("{name}: {problem}"));
        }
    }
    assert!(
        integration_tasks > 300,
        "only {integration_tasks} known integration Tasks"
    );
    // The JSONata documents (whose $states.input/$states.result references are followed)
    // raise nothing either.
    assert!(
        jsonata_documents >= 4,
        "only {jsonata_documents} JSONata documents"
    );
    found.sort();
    assert_eq!(
        found,
        vec![
            r#"eventbridge-replay-events_statemachine_statemachine.asl.json: State "For Each Event": ItemsPath "$": is an object, expected an array"#,
            r#"parallel-agent-early-stopping_statemachine_main.asl.json: State "Parse SQS Input": InputPath "$[0].body": no index 0 in the state input (it is an object)"#,
        ]
    );
}

fn count_integration_tasks(states: &crate::asl::States) -> usize {
    states
        .values()
        .map(|state| {
            let own = match state {
                crate::asl::State::Task(t) => {
                    usize::from(crate::integration::parameter_schema(&t.resource).is_some())
                }
                _ => 0,
            };
            own + state
                .children()
                .iter()
                .map(|(_, b)| count_integration_tasks(&b.states))
                .sum::<usize>()
        })
        .sum()
}

// ----------------------------------------------------------------------------------------
// Workflow variables
// ----------------------------------------------------------------------------------------

#[test]
fn a_variable_no_path_assigns_is_reported_with_state_and_field() {
    let doc = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice", "Choices": [
                {"Condition": "{% $states.input.tenant = 'a' %}", "Next": "Use", "Assign": {"fromRule": 1}}
            ], "Default": "Use", "Assign": {"always": 2}},
            "Use": {"Type": "Pass", "Output": {
                "ok": "{% $always + ($x := 3; $x) + $sum([1]) %}",
                "maybe": "{% $fromRule %}",
                "never": "{% $nowhere %}",
                "later": "{% $assignedLater %}"
            }, "Next": "Last"},
            "Last": {"Type": "Pass", "Assign": {"assignedLater": 1}, "End": true}
        }
    });
    assert_eq!(
        run(doc, order_input(), vec![]),
        vec![
            "State \"Use\": Output.never: reads $nowhere, which no path to this state assigns"
                .to_string(),
            "State \"Use\": Output.later: reads $assignedLater, which no path to this state assigns"
                .to_string(),
        ]
    );
}

#[test]
fn catch_assignments_loops_and_outer_scopes_count_as_assigned() {
    let doc = json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"count": 0}, "Next": "Work"},
            "Work": {"Type": "Task", "Resource": "${Other}", "Parameters": {"n.$": "$count", "v.$": "$loopVar"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err.$": "$.Error"}, "Next": "Handle"}], "Next": "Again"},
            "Again": {"Type": "Pass", "Assign": {"loopVar": 1}, "Next": "Each"},
            "Each": {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% [$count] %}",
                "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Output": "{% $loopVar + $inner %}", "Assign": {"inner": 1}, "End": true}}},
                "Next": "Work"},
            "Handle": {"Type": "Pass", "Parameters": {"e.$": "$err", "c.$": "$count"}, "End": true}
        }
    });
    let problems = run(doc, order_input(), vec![]);
    // $loopVar reaches Work through the loop (may-assigned); Inner's own $inner is not
    // assigned before it is read.
    assert_eq!(
        problems,
        vec![
            "State \"Inner\": Output: reads $inner, which no path to this state assigns"
                .to_string()
        ]
    );
}
