//! Why sales failed to embed: the distributed Map's ResultWriter export, read back.
//!
//! A distributed Map with a `ResultWriter` writes a `manifest.json` to S3 and returns
//! its location (`ResultWriterDetails: {"Bucket", "Key"}`). The manifest lists the result
//! files by child status:
//!
//! ```json
//! {"DestinationBucket": "b", "MapRunArn": "arn:…",
//!  "ResultFiles": {"FAILED": [{"Key": "…/FAILED_0.json", "Size": 1234}],
//!                  "SUCCEEDED": […], "PENDING": […]}}
//! ```
//!
//! Each `FAILED_n.json` is a JSON array (JSON Lines when the writer's `OutputType` is
//! `JSONL`) of child executions: `{"Input": "<the child's input, as a JSON string>",
//! "Error": "…", "Cause": "…", "ExecutionArn": …, …}`. The sale ids are taken from each
//! child's input: its `sale_id`, or the `sale_id` of each item of a batch (`Items`), or the
//! `sale_id` of an object one level down (an `ItemSelector` that wraps the sale, like
//! `{"sale": {…}, "config": {…}}`). A child whose input was not included (Step Functions
//! leaves it out when it is too large) names no sale; such sales fall back to "no staged
//! embedding".
//!
//! This module only reads.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{ResultWriterLocation, get_bytes};
use stepwise_runtime::ActivityError;

/// Why one sale failed: the child execution's `Error` and `Cause`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reason {
    /// The error name the child failed with.
    pub error: String,
    /// Its cause.
    pub cause: String,
}

/// The ResultWriter manifest (only what is read of it).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultManifest {
    #[serde(default)]
    destination_bucket: Option<String>,
    result_files: ResultFiles,
}

#[derive(Debug, Deserialize)]
struct ResultFiles {
    #[serde(rename = "FAILED", default)]
    failed: Vec<ResultFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultFile {
    key: String,
}

/// One child execution in a result file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChildExecution {
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    cause: Option<String>,
}

/// Reads the ResultWriter export at `location` and returns the failure reason of every
/// sale a failed child names. A missing or unreadable manifest or result file fails the
/// activity (`NotFound`, `Permanent`, or the classified S3 error).
pub(crate) async fn failure_reasons(
    s3: &aws_sdk_s3::Client,
    location: &ResultWriterLocation,
) -> Result<HashMap<String, Reason>, ActivityError> {
    let bytes = get_bytes(s3, &location.bucket, &location.key, "the embedding results").await?;
    let manifest: ResultManifest = serde_json::from_slice(&bytes).map_err(|e| {
        ActivityError::permanent(format!(
            "the embedding results manifest s3://{}/{} is not a ResultWriter manifest: {e}",
            location.bucket, location.key
        ))
    })?;
    let bucket = manifest
        .destination_bucket
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| location.bucket.clone());
    let mut reasons = HashMap::new();
    for file in &manifest.result_files.failed {
        let bytes = get_bytes(s3, &bucket, &file.key, "a failed-results file").await?;
        let children = parse_children(&bytes).map_err(|e| {
            ActivityError::permanent(format!(
                "the failed-results file s3://{bucket}/{}: {e}",
                file.key
            ))
        })?;
        for child in children {
            collect(&child, &mut reasons);
        }
    }
    Ok(reasons)
}

/// A result file: a JSON array of child executions, or JSON Lines of them.
fn parse_children(bytes: &[u8]) -> Result<Vec<ChildExecution>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text)
            .map_err(|e| format!("not a JSON array of child executions: {e}"));
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map_err(|e| format!("line {} is not a child execution: {e}", i + 1))
        })
        .collect()
}

/// Records the reason of every sale `child` names (the first reason of a sale wins).
fn collect(child: &ChildExecution, reasons: &mut HashMap<String, Reason>) {
    let Some(input) = child
        .input
        .as_deref()
        .and_then(|i| serde_json::from_str::<Value>(i).ok())
    else {
        return;
    };
    let reason = Reason {
        error: child.error.clone().unwrap_or_else(|| "Failed".to_string()),
        cause: child.cause.clone().unwrap_or_default(),
    };
    for sale_id in sale_ids(&input) {
        reasons.entry(sale_id).or_insert_with(|| reason.clone());
    }
}

/// The sale ids a child's input names (see the [module docs](self)).
pub(crate) fn sale_ids(input: &Value) -> Vec<String> {
    let direct = |v: &Value| v.get("sale_id").and_then(Value::as_str).map(str::to_string);
    if let Some(id) = direct(input) {
        return vec![id];
    }
    if let Some(items) = input.get("Items").and_then(Value::as_array) {
        return items.iter().flat_map(sale_ids).collect();
    }
    match input.as_object() {
        Some(map) => map.values().filter_map(direct).collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sale_ids_come_from_the_item_a_batch_or_a_wrapper() {
        assert_eq!(sale_ids(&json!({"sale_id": "S-1", "x": 1})), ["S-1"]);
        assert_eq!(
            sale_ids(&json!({"Items": [{"sale_id": "S-1"}, {"sale_id": "S-2"}], "BatchInput": {}})),
            ["S-1", "S-2"]
        );
        assert_eq!(
            sale_ids(&json!({"sale": {"sale_id": "S-3"}, "config": {"bucket": "b"}})),
            ["S-3"]
        );
        assert!(sale_ids(&json!("S-4")).is_empty());
    }

    #[test]
    fn result_files_are_arrays_or_json_lines() {
        let entry = json!({"Input": "{\"sale_id\":\"S-1\"}", "Error": "E", "Cause": "C"});
        let array = serde_json::to_vec(&json!([entry, {"Status": "FAILED"}])).expect("json");
        assert_eq!(parse_children(&array).expect("array").len(), 2);
        let lines = format!("{entry}\n\n{entry}\n");
        assert_eq!(parse_children(lines.as_bytes()).expect("lines").len(), 2);
        assert!(
            parse_children(b"{\"Input\": 3}")
                .unwrap_err()
                .starts_with("line 1")
        );
    }

    #[test]
    fn the_first_reason_of_a_sale_wins_and_inputs_left_out_name_nothing() {
        let mut reasons = HashMap::new();
        let child = |input: Option<&str>, error: &str| ChildExecution {
            input: input.map(str::to_string),
            error: Some(error.to_string()),
            cause: None,
        };
        collect(&child(Some(r#"{"sale_id":"S-1"}"#), "First"), &mut reasons);
        collect(&child(Some(r#"{"sale_id":"S-1"}"#), "Second"), &mut reasons);
        collect(&child(None, "NoInput"), &mut reasons);
        collect(&child(Some("not json"), "Garbage"), &mut reasons);
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons["S-1"].error, "First");
        assert_eq!(reasons["S-1"].cause, "");
    }
}
