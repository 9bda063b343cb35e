//! Distributed Map I/O: ItemReader (S3 objects as JSON, JSON Lines or CSV, or an S3
//! listing), ItemBatcher, and ResultWriter (the `manifest.json` and `SUCCEEDED_0.json` /
//! `FAILED_0.json` files Step Functions writes), through the same S3 client the
//! activities use — so moto server locally and S3 in AWS are one code path.

use codegen::asl::{ItemBatcher, ItemReader, Numeric, ResultWriter};
use codegen::errors::{STATES_ITEM_READER_FAILED, STATES_RESULT_WRITER_FAILED};
use serde_json::{Map, Value, json};
use stepwise_runtime::aws::Aws;

use crate::failure::Failure;
use crate::io::{Cache, Env};

const ITEM_READER_FAILED: &str = STATES_ITEM_READER_FAILED.as_str();
const RESULT_WRITER_FAILED: &str = STATES_RESULT_WRITER_FAILED.as_str();

fn string_field<'v>(params: &'v Value, field: &str, what: &str) -> Result<&'v str, Failure> {
    params.get(field).and_then(Value::as_str).ok_or_else(|| {
        Failure::new(
            what,
            format!("{field} is missing or not a string in {params}"),
        )
    })
}

/// The items a distributed Map read, and where from.
pub struct ReadItems {
    /// The items, in order.
    pub items: Vec<Value>,
    /// `$$.Map.Item.Source`: `s3://bucket` for an S3 listing, `s3://bucket/key` for an
    /// object.
    pub source: String,
}

/// Reads the items of a distributed Map.
pub async fn read_items(
    aws: &Aws,
    reader: &ItemReader,
    env: &Env<'_>,
    cache: &Cache,
) -> Result<ReadItems, Failure> {
    let params = match &reader.parameters {
        Some(tpl) => cache.template(tpl, env, "ItemReader.Parameters")?,
        None => {
            return Err(Failure::new(
                ITEM_READER_FAILED,
                "ItemReader has no Parameters",
            ));
        }
    };
    let bucket = string_field(&params, "Bucket", ITEM_READER_FAILED)?;
    let s3 = aws.s3().await;
    let config = reader.reader_config.as_ref();
    let max_items = config
        .and_then(|c| c.max_items.as_ref())
        .and_then(Numeric::as_i64);
    let mut items = match reader.resource.as_str() {
        "arn:aws:states:::s3:listObjectsV2" => {
            let prefix = params.get("Prefix").and_then(Value::as_str).unwrap_or("");
            let mut items = Vec::new();
            let mut pages = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    Failure::new(
                        ITEM_READER_FAILED,
                        format!("listing s3://{bucket}/{prefix}: {}", aws_message(&e)),
                    )
                })?;
                for o in page.contents() {
                    items.push(json!({
                        "Key": o.key().unwrap_or_default(),
                        "Size": o.size().unwrap_or_default(),
                        "ETag": o.e_tag().unwrap_or_default(),
                        "LastModified": o.last_modified().map(|t| t.to_string()).unwrap_or_default(),
                        "StorageClass": o.storage_class().map(|c| c.as_str().to_string()).unwrap_or_default(),
                    }));
                }
            }
            items
        }
        "arn:aws:states:::s3:getObject" => {
            let key = string_field(&params, "Key", ITEM_READER_FAILED)?;
            let object = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| {
                    Failure::new(
                        ITEM_READER_FAILED,
                        format!("reading s3://{bucket}/{key}: {}", aws_message(&e)),
                    )
                })?;
            let bytes = object
                .body
                .collect()
                .await
                .map_err(|e| {
                    Failure::new(
                        ITEM_READER_FAILED,
                        format!("reading s3://{bucket}/{key}: {e}"),
                    )
                })?
                .into_bytes();
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                Failure::new(
                    ITEM_READER_FAILED,
                    format!("s3://{bucket}/{key} is not UTF-8 text"),
                )
            })?;
            let input_type = config
                .and_then(|c| c.input_type.as_deref())
                .unwrap_or("JSON");
            parse_items(text, input_type, config, &format!("s3://{bucket}/{key}"))?
        }
        other => {
            return Err(Failure::new(
                ITEM_READER_FAILED,
                format!("ItemReader resource \"{other}\" is not supported"),
            ));
        }
    };
    if let Some(max) = max_items.filter(|m| *m > 0) {
        items.truncate(max as usize);
    }
    Ok(ReadItems {
        items,
        source: item_source(&reader.resource, &params),
    })
}

/// `$$.Map.Item.Source` of the items a mocked ItemReader answers (see
/// [`crate::tasks::TaskRunner::map_items`]): what the reader would have read, from its
/// Parameters where they evaluate.
pub fn mocked_source(reader: &ItemReader, env: &Env<'_>, cache: &Cache) -> String {
    let params = reader
        .parameters
        .as_ref()
        .and_then(|tpl| cache.template(tpl, env, "ItemReader.Parameters").ok())
        .unwrap_or(Value::Null);
    item_source(&reader.resource, &params)
}

/// `$$.Map.Item.Source` of the items a reader with `resource` and evaluated `params`
/// reads: the bucket's URI for a listing, the object's URI otherwise.
fn item_source(resource: &str, params: &Value) -> String {
    let field = |name: &str| params.get(name).and_then(Value::as_str).unwrap_or_default();
    match resource {
        "arn:aws:states:::s3:listObjectsV2" => format!("s3://{}", field("Bucket")),
        _ => format!("s3://{}/{}", field("Bucket"), field("Key")),
    }
}

/// Parses an object's text by `InputType`.
fn parse_items(
    text: &str,
    input_type: &str,
    config: Option<&codegen::asl::ReaderConfig>,
    source: &str,
) -> Result<Vec<Value>, Failure> {
    let fail = |m: String| Failure::new(ITEM_READER_FAILED, format!("{source}: {m}"));
    match input_type {
        "JSON" => match serde_json::from_str(text) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err(fail("the object is not a JSON array".into())),
            Err(e) => Err(fail(format!("invalid JSON: {e}"))),
        },
        "JSONL" => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| fail(format!("line {}: invalid JSON: {e}", i + 1)))
            })
            .collect(),
        "CSV" => {
            let delimiter = match config
                .and_then(|c| c.csv_delimiter.as_deref())
                .unwrap_or("COMMA")
            {
                "COMMA" => ',',
                "PIPE" => '|',
                "SEMICOLON" => ';',
                "SPACE" => ' ',
                "TAB" => '\t',
                other => return Err(fail(format!("unknown CSVDelimiter {other}"))),
            };
            let mut lines = text.lines().filter(|l| !l.is_empty());
            let headers: Vec<String> = match config.and_then(|c| c.csv_headers.clone()) {
                Some(h)
                    if config.and_then(|c| c.csv_header_location.as_deref()) == Some("GIVEN") =>
                {
                    h
                }
                _ => lines
                    .next()
                    .map(|l| split_csv(l, delimiter))
                    .unwrap_or_default(),
            };
            Ok(lines
                .map(|line| {
                    let cells = split_csv(line, delimiter);
                    let mut row = Map::new();
                    for (i, h) in headers.iter().enumerate() {
                        row.insert(
                            h.clone(),
                            Value::String(cells.get(i).cloned().unwrap_or_default()),
                        );
                    }
                    Value::Object(row)
                })
                .collect())
        }
        other => Err(fail(format!(
            "InputType {other} is not supported by sfn-local"
        ))),
    }
}

/// Splits one CSV line, honouring double quotes (`""` is a literal quote).
fn split_csv(line: &str, delimiter: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => out.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    out.push(cell);
    out
}

/// Groups items into batches of `{"Items": [...]}` (plus `BatchInput`), by count and by
/// serialised size.
pub fn batch(
    items: Vec<Value>,
    batcher: &ItemBatcher,
    env: &Env<'_>,
    cache: &Cache,
) -> Result<Vec<Value>, Failure> {
    let count = |n: &Option<Numeric>,
                 path: &Option<String>,
                 field: &str|
     -> Result<Option<usize>, Failure> {
        if let Some(v) = n.as_ref().and_then(Numeric::as_i64) {
            return Ok(Some(v.max(1) as usize));
        }
        match path {
            Some(p) => Ok(cache
                .select(p, env, field)?
                .as_u64()
                .map(|v| v.max(1) as usize)),
            None => Ok(None),
        }
    };
    let max_items = count(
        &batcher.max_items_per_batch,
        &batcher.max_items_per_batch_path,
        "MaxItemsPerBatchPath",
    )?;
    let max_bytes = count(
        &batcher.max_input_bytes_per_batch,
        &batcher.max_input_bytes_per_batch_path,
        "MaxInputBytesPerBatchPath",
    )?;
    let batch_input = match &batcher.batch_input {
        Some(tpl) => Some(cache.template(tpl, env, "ItemBatcher.BatchInput")?),
        None => None,
    };
    let mut batches = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut bytes = 0usize;
    for item in items {
        let size = crate::io::serialized_len(&item);
        let full_by_count = max_items.is_some_and(|m| current.len() >= m);
        let full_by_size = max_bytes.is_some_and(|m| !current.is_empty() && bytes + size > m);
        if full_by_count || full_by_size {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(item);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    Ok(batches
        .into_iter()
        .map(|items| {
            let mut b = json!({"Items": items});
            if let (Some(bi), Some(map)) = (&batch_input, b.as_object_mut()) {
                map.insert("BatchInput".into(), bi.clone());
            }
            b
        })
        .collect())
}

/// One finished child execution, for the ResultWriter files.
pub struct ChildResult {
    /// The item's index (the child's name).
    pub index: usize,
    /// The child's input.
    pub input: Value,
    /// Its output or failure.
    pub result: Result<Value, Failure>,
}

/// Writes the ResultWriter files (unless `store` is false: the Map's S3 I/O is mocked)
/// and returns the Map's result:
/// `{"MapRunArn": ..., "ResultWriterDetails": {"Bucket": ..., "Key": ".../manifest.json"}}`.
#[allow(clippy::too_many_arguments)]
pub async fn write_results(
    aws: &Aws,
    writer: &ResultWriter,
    env: &Env<'_>,
    cache: &Cache,
    map_run_arn: &str,
    run_id: &str,
    children: &[ChildResult],
    store: bool,
) -> Result<Value, Failure> {
    let params = match &writer.parameters {
        Some(tpl) => cache.template(tpl, env, "ResultWriter.Parameters")?,
        None => {
            return Err(Failure::new(
                RESULT_WRITER_FAILED,
                "ResultWriter has no Parameters",
            ));
        }
    };
    let bucket = string_field(&params, "Bucket", RESULT_WRITER_FAILED)?.to_string();
    let prefix = params
        .get("Prefix")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim_end_matches('/');
    let base = if prefix.is_empty() {
        run_id.to_string()
    } else {
        format!("{prefix}/{run_id}")
    };
    let entry = |c: &ChildResult| {
        let i = c.index;
        let mut e = json!({
            "ExecutionArn": format!("{map_run_arn}:{i}"),
            "Input": c.input.to_string(),
            "InputDetails": {"Included": true},
            "Name": i.to_string(),
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE",
        });
        if let Some(map) = e.as_object_mut() {
            match &c.result {
                Ok(out) => {
                    map.insert("Output".into(), Value::String(out.to_string()));
                    map.insert("OutputDetails".into(), json!({"Included": true}));
                    map.insert("Status".into(), json!("SUCCEEDED"));
                }
                Err(f) => {
                    map.insert("Error".into(), json!(f.error));
                    map.insert("Cause".into(), json!(f.cause));
                    map.insert("Status".into(), json!("FAILED"));
                }
            }
        }
        e
    };
    let succeeded: Vec<Value> = children
        .iter()
        .filter(|c| c.result.is_ok())
        .map(entry)
        .collect();
    let failed: Vec<Value> = children
        .iter()
        .filter(|c| c.result.is_err())
        .map(entry)
        .collect();
    let manifest_key = format!("{base}/manifest.json");
    let details = json!({"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}});
    if !store {
        return Ok(details);
    }
    let s3 = aws.s3().await;
    let mut files = Map::new();
    for (status, list) in [("SUCCEEDED", succeeded), ("FAILED", failed)] {
        let mut listed = Vec::new();
        if !list.is_empty() {
            let key = format!("{base}/{status}_0.json");
            let body = Value::Array(list).to_string();
            let size = body.len();
            put(s3, &bucket, &key, body).await?;
            listed.push(json!({"Key": key, "Size": size}));
        }
        files.insert(status.into(), Value::Array(listed));
    }
    files.insert("PENDING".into(), json!([]));
    let manifest =
        json!({"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files});
    put(s3, &bucket, &manifest_key, manifest.to_string()).await?;
    Ok(details)
}

async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: String,
) -> Result<(), Failure> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(body.into_bytes().into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            Failure::new(
                RESULT_WRITER_FAILED,
                format!("writing s3://{bucket}/{key}: {}", aws_message(&e)),
            )
        })
}

/// The code and message of an SDK error, for causes.
fn aws_message<
    E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata,
    R,
>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> String {
    match e.as_service_error() {
        Some(s) => format!(
            "{}: {}",
            s.code().unwrap_or("error"),
            s.message().unwrap_or_default()
        ),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_sources_are_the_bucket_for_listings_and_the_object_otherwise() {
        let params = json!({"Bucket": "b", "Key": "in/items.json", "Prefix": "in/"});
        assert_eq!(
            item_source("arn:aws:states:::s3:listObjectsV2", &params),
            "s3://b"
        );
        assert_eq!(
            item_source("arn:aws:states:::s3:getObject", &params),
            "s3://b/in/items.json"
        );
    }

    #[test]
    fn csv_and_jsonl_parse_like_step_functions() {
        let rows = parse_items("a,b\n1,\"x, \"\"y\"\"\"\n2,z\n", "CSV", None, "t").unwrap();
        assert_eq!(
            rows,
            vec![
                json!({"a": "1", "b": "x, \"y\""}),
                json!({"a": "2", "b": "z"})
            ]
        );
        let rows = parse_items("{\"n\":1}\n\n{\"n\":2}\n", "JSONL", None, "t").unwrap();
        assert_eq!(rows, vec![json!({"n": 1}), json!({"n": 2})]);
        assert_eq!(
            parse_items("{}", "JSON", None, "t").unwrap_err().error,
            ITEM_READER_FAILED
        );
        assert!(
            parse_items("{\"n\":1}\nnope", "JSONL", None, "t")
                .unwrap_err()
                .cause
                .contains("line 2")
        );
    }

    #[test]
    fn batches_by_count_and_size() {
        let cache = Cache::default();
        let vars = Map::new();
        let input = json!({"tag": "x"});
        let env = Env {
            input: &input,
            context: &Value::Null,
            variables: &vars,
        };
        let batcher = ItemBatcher {
            max_items_per_batch: Some(Numeric::from(2i64)),
            batch_input: Some(json!({"tag.$": "$.tag"})),
            ..ItemBatcher::default()
        };
        let out = batch((1..=5).map(|n| json!(n)).collect(), &batcher, &env, &cache).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], json!({"Items": [1, 2], "BatchInput": {"tag": "x"}}));
        assert_eq!(out[2], json!({"Items": [5], "BatchInput": {"tag": "x"}}));
    }
}
