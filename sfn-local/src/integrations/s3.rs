//! Amazon S3: `aws-sdk:s3:getObject|putObject|headObject|listObjectsV2|deleteObject|
//! copyObject`. `GetObject`'s `Body` is the object's text, as Step Functions returns it
//! (bytes that are not UTF-8 are replaced); `PutObject`'s `Body` is a string, or any
//! other JSON as its text.

use std::collections::HashMap;

use aws_sdk_s3::primitives::ByteStream;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, date, put};
use crate::failure::Failure;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct GetObject {
    bucket: String,
    key: String,
    version_id: Option<String>,
    range: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct HeadObject {
    bucket: String,
    key: String,
    version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct PutObject {
    bucket: String,
    key: String,
    body: Option<Value>,
    content_type: Option<String>,
    metadata: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ListObjectsV2 {
    bucket: String,
    prefix: Option<String>,
    delimiter: Option<String>,
    max_keys: Option<i32>,
    continuation_token: Option<String>,
    start_after: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct DeleteObject {
    bucket: String,
    key: String,
    version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct CopyObject {
    bucket: String,
    key: String,
    copy_source: String,
    content_type: Option<String>,
    metadata: Option<HashMap<String, String>>,
    metadata_directive: Option<String>,
}

fn metadata(map: Option<&HashMap<String, String>>) -> Option<Value> {
    map.map(|m| {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        Value::Object(keys.into_iter().map(|k| (k.clone(), json!(m[k]))).collect())
    })
}

fn text(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

/// Runs the call's S3 action.
pub(super) async fn run(call: &Call<'_>) -> Result<Value, Failure> {
    let client = call.clients().s3().await;
    let mut out = Map::new();
    match call.integration.action {
        "getObject" => {
            let p: GetObject = call.params()?;
            let r = call
                .send(
                    client
                        .get_object()
                        .bucket(p.bucket)
                        .key(p.key)
                        .set_version_id(p.version_id)
                        .set_range(p.range)
                        .send(),
                )
                .await?;
            put(&mut out, "ContentLength", r.content_length());
            put(&mut out, "ContentType", text(r.content_type()));
            put(&mut out, "ETag", text(r.e_tag()));
            put(&mut out, "LastModified", r.last_modified().map(date));
            put(&mut out, "Metadata", metadata(r.metadata()));
            put(&mut out, "VersionId", text(r.version_id()));
            let body = call.timed(r.body.collect()).await.map_err(|e| {
                Failure::new(
                    codegen::errors::STATES_TASK_FAILED.as_str(),
                    format!("{}: reading the object's body: {e}", call.integration),
                )
            })?;
            out.insert(
                "Body".into(),
                json!(String::from_utf8_lossy(&body.into_bytes())),
            );
        }
        "headObject" => {
            let p: HeadObject = call.params()?;
            let r = call
                .send(
                    client
                        .head_object()
                        .bucket(p.bucket)
                        .key(p.key)
                        .set_version_id(p.version_id)
                        .send(),
                )
                .await?;
            put(&mut out, "ContentLength", r.content_length());
            put(&mut out, "ContentType", text(r.content_type()));
            put(&mut out, "ETag", text(r.e_tag()));
            put(&mut out, "LastModified", r.last_modified().map(date));
            put(&mut out, "Metadata", metadata(r.metadata()));
            put(&mut out, "VersionId", text(r.version_id()));
        }
        "putObject" => {
            let p: PutObject = call.params()?;
            let body = match p.body {
                None => Vec::new(),
                Some(Value::String(s)) => s.into_bytes(),
                Some(other) => other.to_string().into_bytes(),
            };
            let r = call
                .send(
                    client
                        .put_object()
                        .bucket(p.bucket)
                        .key(p.key)
                        .body(ByteStream::from(body))
                        .set_content_type(p.content_type)
                        .set_metadata(p.metadata)
                        .send(),
                )
                .await?;
            put(&mut out, "ETag", text(r.e_tag()));
            put(&mut out, "VersionId", text(r.version_id()));
        }
        "listObjectsV2" => {
            let p: ListObjectsV2 = call.params()?;
            let r = call
                .send(
                    client
                        .list_objects_v2()
                        .bucket(p.bucket)
                        .set_prefix(p.prefix)
                        .set_delimiter(p.delimiter)
                        .set_max_keys(p.max_keys)
                        .set_continuation_token(p.continuation_token)
                        .set_start_after(p.start_after)
                        .send(),
                )
                .await?;
            let prefixes: Vec<Value> = r
                .common_prefixes()
                .iter()
                .map(|c| json!({"Prefix": c.prefix()}))
                .collect();
            if !prefixes.is_empty() {
                out.insert("CommonPrefixes".into(), Value::Array(prefixes));
            }
            let contents: Vec<Value> = r
                .contents()
                .iter()
                .map(|o| {
                    let mut m = Map::new();
                    put(&mut m, "ETag", text(o.e_tag()));
                    put(&mut m, "Key", text(o.key()));
                    put(&mut m, "LastModified", o.last_modified().map(date));
                    put(&mut m, "Size", o.size());
                    put(
                        &mut m,
                        "StorageClass",
                        o.storage_class().map(|s| s.as_str().to_string()),
                    );
                    Value::Object(m)
                })
                .collect();
            if !contents.is_empty() {
                out.insert("Contents".into(), Value::Array(contents));
            }
            put(&mut out, "ContinuationToken", text(r.continuation_token()));
            put(&mut out, "Delimiter", text(r.delimiter()));
            put(&mut out, "IsTruncated", r.is_truncated());
            put(&mut out, "KeyCount", r.key_count());
            put(&mut out, "MaxKeys", r.max_keys());
            put(&mut out, "Name", text(r.name()));
            put(
                &mut out,
                "NextContinuationToken",
                text(r.next_continuation_token()),
            );
            put(&mut out, "Prefix", text(r.prefix()));
            put(&mut out, "StartAfter", text(r.start_after()));
        }
        "deleteObject" => {
            let p: DeleteObject = call.params()?;
            let r = call
                .send(
                    client
                        .delete_object()
                        .bucket(p.bucket)
                        .key(p.key)
                        .set_version_id(p.version_id)
                        .send(),
                )
                .await?;
            put(&mut out, "DeleteMarker", r.delete_marker());
            put(&mut out, "VersionId", text(r.version_id()));
        }
        _ => {
            let p: CopyObject = call.params()?;
            let r = call
                .send(
                    client
                        .copy_object()
                        .bucket(p.bucket)
                        .key(p.key)
                        .copy_source(p.copy_source)
                        .set_content_type(p.content_type)
                        .set_metadata(p.metadata)
                        .set_metadata_directive(
                            p.metadata_directive
                                .map(|s| aws_sdk_s3::types::MetadataDirective::from(s.as_str())),
                        )
                        .send(),
                )
                .await?;
            if let Some(result) = r.copy_object_result() {
                let mut m = Map::new();
                put(&mut m, "ETag", text(result.e_tag()));
                put(&mut m, "LastModified", result.last_modified().map(date));
                out.insert("CopyObjectResult".into(), Value::Object(m));
            }
            put(&mut out, "VersionId", text(r.version_id()));
        }
    }
    Ok(Value::Object(out))
}
