//! Issue 11: a distributed Map's child executions keep their own histories, including
//! the events of an inline Map inside them.

mod common;

use serde_json::json;
use sfn_local::Status;

#[tokio::test]
async fn an_inline_map_in_a_distributed_child_writes_to_the_childs_history() {
    // 1,000 children × a 7-item inline Map: ~40 events each, 40,000 in all, over the
    // 25,000-event limit if they landed in the parent's history.
    let items: Vec<_> = (0..1000)
        .map(|i| json!({"i": i, "xs": [1, 2, 3, 4, 5, 6, 7]}))
        .collect();
    let doc = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 50,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Inner", "States": {"Inner": {
                "Type": "Map", "ItemsPath": "$.xs",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
                "End": true
            }}
        },
        "End": true
    }}});
    let outcome = common::run(doc, json!({"items": items})).await.unwrap();
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let output = outcome.output.unwrap();
    assert_eq!(output.as_array().unwrap().len(), 1000);
    assert_eq!(output[999], json!([1, 2, 3, 4, 5, 6, 7]));
    assert!(
        !outcome
            .events
            .iter()
            .any(|e| e.kind.as_str().starts_with("MapIteration")),
        "the parent's history holds no iteration of a child's inline Map"
    );
    assert!(outcome.events.len() < 100, "{}", outcome.events.len());
}
