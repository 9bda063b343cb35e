//! Issue 11: results over the 256 KiB payload limit are stopped while they are built.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sfn_local::{PAYLOAD_LIMIT, Status, serialized_len};

/// A valid input of about `bytes`: chains of objects nested 120 deep (serde_json parses
/// at most 128 levels), side by side in an array.
fn nested(bytes: usize) -> Value {
    let mut chain = json!({"leaf": "x".repeat(16)});
    for level in 0..120 {
        chain = json!({"n": chain, "i": level, "pad": "y".repeat(16)});
    }
    let chain_len = serialized_len(&chain);
    json!({"chains": vec![chain; bytes / (chain_len + 1)]})
}

#[tokio::test]
async fn recursive_descent_over_the_limit_fails_without_building_it() {
    let input = nested(240 * 1024);
    assert!(serialized_len(&input) < PAYLOAD_LIMIT);
    for params in [
        json!({"k.$": "$..*"}),
        json!({"k.$": "States.ArrayLength($..*)"}),
        json!({"a.$": "$", "b.$": "$", "c.$": "$"}),
        // The arguments of one call count together.
        json!({"k.$": "States.ArrayLength(States.Array($, $, $))"}),
    ] {
        let started = Instant::now();
        let outcome = common::run(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": params, "End": true}}}),
            input.clone(),
        )
        .await
        .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(outcome.status, Status::Failed, "{params}");
        let failure = outcome.failure.unwrap();
        assert_eq!(
            failure.error, "States.DataLimitExceeded",
            "{params}: {}",
            failure.cause
        );
        // Building the copies first took seconds and gigabytes; counting stops at 256 KiB.
        assert!(elapsed < Duration::from_secs(5), "{params}: {elapsed:?}");
    }
}

#[test]
fn select_within_agrees_with_select_under_the_limit() {
    let doc = json!({"a": {"b": [1, {"c": 2}], "d": "e"}, "f": [[3]]});
    for text in ["$..*", "$..c", "$.a", "$.a.b[*]", "$..[0]", "$.f[0][0]"] {
        let path = codegen::path::parse(text).unwrap();
        let vars = serde_json::Map::new();
        let all = path.select_with(&doc, &json!({}), &vars).unwrap();
        let len = serialized_len(&all);
        assert_eq!(
            path.select_within(&doc, &json!({}), &vars, len).unwrap(),
            all,
            "{text}"
        );
        assert!(
            matches!(
                path.select_within(&doc, &json!({}), &vars, len - 1),
                Err(codegen::path::SelectError::TooLarge { .. })
            ),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_map_stops_once_its_results_cannot_fit() {
    // 1,000 items that each copy a 10 KB string: 10 MB of results, stopped near 256 KiB.
    let input = json!({"pad": "p".repeat(10_000), "items": vec![0; 1000]});
    let doc = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemSelector": {"copy.$": "$.pad"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true
    }}});
    let outcome = common::run(doc, input).await.unwrap();
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.unwrap();
    assert_eq!(
        failure.error, "States.DataLimitExceeded",
        "{}",
        failure.cause
    );
    let iterations = outcome
        .events
        .iter()
        .filter(|e| e.kind == "MapIterationSucceeded")
        .count();
    assert!(
        iterations < 40,
        "stopped after {iterations} iterations, not 1,000"
    );
}
