//! The Map's per-item outcomes, read back from its ResultWriter export.
//!
//! The ResultWriter manifest (`ResultWriterDetails: {"Bucket", "Key"}`) lists result
//! files by child status (`"ResultFiles": {"SUCCEEDED": [{"Key"}], "FAILED": […]}`);
//! each file is a JSON array (or JSON Lines) of children with `Input` and `Output` as
//! JSON strings, and `Error` and `Cause` for failures. An item's input is
//! `{"image": <manifest line>, "config": …}`, its output MakeThumbnail's. Step Functions
//! leaves out an input or output that is too large; such a child names no image, and
//! ClusterImages falls back to the manifest for it. This module only reads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_runtime::ActivityError;
use stepwise_runtime::aws::errors::classify;

use crate::thumbnail::MakeThumbnailOutput;

/// Where the ResultWriter put its manifest (the Map's `ResultWriterDetails`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResultWriterDetails {
    /// The bucket.
    pub bucket: String,
    /// The manifest's key.
    pub key: String,
}

/// Why an item failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error name.
    pub error: String,
    /// Its cause.
    pub cause: String,
}

/// The outcomes by image id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcomes {
    /// Items that succeeded: their thumbnail.
    pub succeeded: HashMap<String, MakeThumbnailOutput>,
    /// Items that failed: why.
    pub failed: HashMap<String, Failure>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Manifest {
    #[serde(default)]
    destination_bucket: Option<String>,
    result_files: Files,
}

#[derive(Debug, Deserialize)]
struct Files {
    #[serde(rename = "SUCCEEDED", default)]
    succeeded: Vec<File>,
    #[serde(rename = "FAILED", default)]
    failed: Vec<File>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Child {
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    cause: Option<String>,
}

/// Reads the export at `details`. A missing or malformed manifest or file fails the
/// step (`NotFound`, `Permanent`, or the classified S3 error).
pub async fn read(
    s3: &aws_sdk_s3::Client,
    details: &ResultWriterDetails,
) -> Result<Outcomes, ActivityError> {
    let bytes = get(s3, &details.bucket, &details.key).await?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        ActivityError::permanent(format!(
            "s3://{}/{} is not a ResultWriter manifest: {e}",
            details.bucket, details.key
        ))
    })?;
    let bucket = manifest
        .destination_bucket
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| details.bucket.clone());
    let mut outcomes = Outcomes::default();
    for file in &manifest.result_files.succeeded {
        for child in children(&get(s3, &bucket, &file.key).await?, &bucket, &file.key)? {
            if let Some(output) = child
                .output
                .as_deref()
                .and_then(|o| serde_json::from_str::<MakeThumbnailOutput>(o).ok())
            {
                outcomes.succeeded.insert(output.id.clone(), output);
            }
        }
    }
    for file in &manifest.result_files.failed {
        for child in children(&get(s3, &bucket, &file.key).await?, &bucket, &file.key)? {
            let id = child
                .input
                .as_deref()
                .and_then(|i| serde_json::from_str::<Value>(i).ok())
                .and_then(|v| v["image"]["id"].as_str().map(str::to_string));
            if let Some(id) = id {
                outcomes.failed.entry(id).or_insert(Failure {
                    error: child.error.unwrap_or_else(|| "Failed".into()),
                    cause: child.cause.unwrap_or_default(),
                });
            }
        }
    }
    Ok(outcomes)
}

fn children(bytes: &[u8], bucket: &str, key: &str) -> Result<Vec<Child>, ActivityError> {
    let bad = |e: String| ActivityError::permanent(format!("result file s3://{bucket}/{key}: {e}"));
    let text = std::str::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text)
            .map_err(|e| bad(format!("not a JSON array of children: {e}")));
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| bad(format!("a line is not a child: {e}"))))
        .collect()
}

/// An object's bytes.
pub(crate) async fn get(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, ActivityError> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            let err = classify("S3", "GetObject", &e);
            ActivityError::new(err.name, format!("s3://{bucket}/{key}: {}", err.cause))
        })?;
    let bytes = object.body.collect().await.map_err(|e| {
        ActivityError::transient(format!("s3://{bucket}/{key}: reading the body failed: {e}"))
    })?;
    Ok(bytes.into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_files_are_arrays_or_json_lines() {
        let array = br#"[{"Input": "{}", "Error": "InvalidImage", "Cause": "x"}]"#;
        assert_eq!(children(array, "b", "k").unwrap().len(), 1);
        let lines = b"{\"Input\": \"{}\"}\n\n{\"Output\": \"{}\"}\n";
        assert_eq!(children(lines, "b", "k").unwrap().len(), 2);
        assert!(children(b"nope", "b", "k").is_err());
    }
}
