//! DynamoDB: the optimized `dynamodb:getItem|putItem|updateItem|deleteItem` and the SDK
//! integration's `getItem`, `putItem`, `updateItem`, `deleteItem`, `query`,
//! `batchWriteItem`. Items are DynamoDB JSON both ways ([`super::dynamodb_json`]).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    ConsumedCapacity, DeleteRequest, PutRequest, ReturnConsumedCapacity, ReturnValue, Select,
    WriteRequest,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::dynamodb_json::{Attr, map_to_json, unwrap_map};
use super::metadata::HttpMetadata;
use super::{Call, put};
use crate::failure::Failure;

type Item = HashMap<String, Attr>;
type Names = Option<HashMap<String, String>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct GetItem {
    table_name: String,
    key: Item,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Names,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct PutItem {
    table_name: String,
    item: Item,
    condition_expression: Option<String>,
    expression_attribute_names: Names,
    expression_attribute_values: Option<Item>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct UpdateItem {
    table_name: String,
    key: Item,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Names,
    expression_attribute_values: Option<Item>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct DeleteItem {
    table_name: String,
    key: Item,
    condition_expression: Option<String>,
    expression_attribute_names: Names,
    expression_attribute_values: Option<Item>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Query {
    table_name: String,
    index_name: Option<String>,
    key_condition_expression: Option<String>,
    filter_expression: Option<String>,
    projection_expression: Option<String>,
    expression_attribute_names: Names,
    expression_attribute_values: Option<Item>,
    limit: Option<i32>,
    scan_index_forward: Option<bool>,
    exclusive_start_key: Option<Item>,
    consistent_read: Option<bool>,
    select: Option<String>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct BatchWriteItem {
    request_items: HashMap<String, Vec<WriteRequestParams>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct WriteRequestParams {
    put_request: Option<PutRequestParams>,
    delete_request: Option<DeleteRequestParams>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct PutRequestParams {
    item: Item,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct DeleteRequestParams {
    key: Item,
}

/// Runs the call's DynamoDB action.
pub(super) async fn run(call: &Call<'_>) -> Result<Value, Failure> {
    let client = call.clients().dynamodb().await;
    let meta = HttpMetadata::new();
    let mut out = Map::new();
    match call.integration.action {
        "getItem" => {
            let p: GetItem = call.params()?;
            let r = call
                .send(
                    client
                        .get_item()
                        .table_name(p.table_name)
                        .set_key(Some(unwrap_map(p.key)))
                        .set_consistent_read(p.consistent_read)
                        .set_projection_expression(p.projection_expression)
                        .set_expression_attribute_names(p.expression_attribute_names)
                        .set_return_consumed_capacity(capacity(p.return_consumed_capacity))
                        .customize()
                        .interceptor(meta.clone())
                        .send(),
                )
                .await?;
            put(
                &mut out,
                "ConsumedCapacity",
                r.consumed_capacity().map(consumed),
            );
            put(&mut out, "Item", r.item().map(map_to_json));
        }
        "putItem" => {
            let p: PutItem = call.params()?;
            let r = call
                .send(
                    client
                        .put_item()
                        .table_name(p.table_name)
                        .set_item(Some(unwrap_map(p.item)))
                        .set_condition_expression(p.condition_expression)
                        .set_expression_attribute_names(p.expression_attribute_names)
                        .set_expression_attribute_values(
                            p.expression_attribute_values.map(unwrap_map),
                        )
                        .set_return_values(p.return_values.map(|s| ReturnValue::from(s.as_str())))
                        .set_return_consumed_capacity(capacity(p.return_consumed_capacity))
                        .customize()
                        .interceptor(meta.clone())
                        .send(),
                )
                .await?;
            put(&mut out, "Attributes", r.attributes().map(map_to_json));
            put(
                &mut out,
                "ConsumedCapacity",
                r.consumed_capacity().map(consumed),
            );
        }
        "updateItem" => {
            let p: UpdateItem = call.params()?;
            let r = call
                .send(
                    client
                        .update_item()
                        .table_name(p.table_name)
                        .set_key(Some(unwrap_map(p.key)))
                        .set_update_expression(p.update_expression)
                        .set_condition_expression(p.condition_expression)
                        .set_expression_attribute_names(p.expression_attribute_names)
                        .set_expression_attribute_values(
                            p.expression_attribute_values.map(unwrap_map),
                        )
                        .set_return_values(p.return_values.map(|s| ReturnValue::from(s.as_str())))
                        .set_return_consumed_capacity(capacity(p.return_consumed_capacity))
                        .customize()
                        .interceptor(meta.clone())
                        .send(),
                )
                .await?;
            put(&mut out, "Attributes", r.attributes().map(map_to_json));
            put(
                &mut out,
                "ConsumedCapacity",
                r.consumed_capacity().map(consumed),
            );
        }
        "deleteItem" => {
            let p: DeleteItem = call.params()?;
            let r = call
                .send(
                    client
                        .delete_item()
                        .table_name(p.table_name)
                        .set_key(Some(unwrap_map(p.key)))
                        .set_condition_expression(p.condition_expression)
                        .set_expression_attribute_names(p.expression_attribute_names)
                        .set_expression_attribute_values(
                            p.expression_attribute_values.map(unwrap_map),
                        )
                        .set_return_values(p.return_values.map(|s| ReturnValue::from(s.as_str())))
                        .set_return_consumed_capacity(capacity(p.return_consumed_capacity))
                        .customize()
                        .interceptor(meta.clone())
                        .send(),
                )
                .await?;
            put(&mut out, "Attributes", r.attributes().map(map_to_json));
            put(
                &mut out,
                "ConsumedCapacity",
                r.consumed_capacity().map(consumed),
            );
        }
        "query" => {
            let p: Query = call.params()?;
            let r = call
                .send(
                    client
                        .query()
                        .table_name(p.table_name)
                        .set_index_name(p.index_name)
                        .set_key_condition_expression(p.key_condition_expression)
                        .set_filter_expression(p.filter_expression)
                        .set_projection_expression(p.projection_expression)
                        .set_expression_attribute_names(p.expression_attribute_names)
                        .set_expression_attribute_values(
                            p.expression_attribute_values.map(unwrap_map),
                        )
                        .set_limit(p.limit)
                        .set_scan_index_forward(p.scan_index_forward)
                        .set_exclusive_start_key(p.exclusive_start_key.map(unwrap_map))
                        .set_consistent_read(p.consistent_read)
                        .set_select(p.select.map(|s| Select::from(s.as_str())))
                        .set_return_consumed_capacity(capacity(p.return_consumed_capacity))
                        .send(),
                )
                .await?;
            put(
                &mut out,
                "ConsumedCapacity",
                r.consumed_capacity().map(consumed),
            );
            out.insert("Count".into(), json!(r.count()));
            out.insert(
                "Items".into(),
                Value::Array(r.items().iter().map(map_to_json).collect()),
            );
            put(
                &mut out,
                "LastEvaluatedKey",
                r.last_evaluated_key().map(map_to_json),
            );
            out.insert("ScannedCount".into(), json!(r.scanned_count()));
        }
        "batchWriteItem" => {
            let p: BatchWriteItem = call.params()?;
            let mut items = HashMap::new();
            for (table, requests) in p.request_items {
                let mut converted = Vec::with_capacity(requests.len());
                for (i, request) in requests.into_iter().enumerate() {
                    converted.push(write_request(call, &table, i, request)?);
                }
                items.insert(table, converted);
            }
            let r = call
                .send(
                    client
                        .batch_write_item()
                        .set_request_items(Some(items))
                        .set_return_consumed_capacity(capacity(p.return_consumed_capacity))
                        .send(),
                )
                .await?;
            let mut unprocessed = Map::new();
            if let Some(tables) = r.unprocessed_items() {
                let mut names: Vec<&String> = tables.keys().collect();
                names.sort();
                for name in names {
                    let requests = tables[name].iter().map(write_request_json).collect();
                    unprocessed.insert(name.clone(), Value::Array(requests));
                }
            }
            if !r.consumed_capacity().is_empty() {
                out.insert(
                    "ConsumedCapacity".into(),
                    Value::Array(r.consumed_capacity().iter().map(consumed).collect()),
                );
            }
            out.insert("UnprocessedItems".into(), Value::Object(unprocessed));
        }
        other => {
            return Err(Failure::runtime(format!(
                "dynamodb action {other} is not served"
            )));
        }
    }
    Ok(call.finish(out, &meta))
}

fn capacity(value: Option<String>) -> Option<ReturnConsumedCapacity> {
    value.map(|s| ReturnConsumedCapacity::from(s.as_str()))
}

fn consumed(c: &ConsumedCapacity) -> Value {
    let mut out = Map::new();
    put(&mut out, "CapacityUnits", c.capacity_units());
    put(&mut out, "TableName", c.table_name().map(str::to_string));
    Value::Object(out)
}

fn write_request(
    call: &Call<'_>,
    table: &str,
    index: usize,
    request: WriteRequestParams,
) -> Result<WriteRequest, Failure> {
    let at = format!("RequestItems.{table}[{index}]");
    match (request.put_request, request.delete_request) {
        (Some(p), None) => {
            let put = PutRequest::builder()
                .set_item(Some(unwrap_map(p.item)))
                .build()
                .map_err(|e| call.invalid(&format!("{at}.PutRequest: {e}")))?;
            Ok(WriteRequest::builder().put_request(put).build())
        }
        (None, Some(d)) => {
            let delete = DeleteRequest::builder()
                .set_key(Some(unwrap_map(d.key)))
                .build()
                .map_err(|e| call.invalid(&format!("{at}.DeleteRequest: {e}")))?;
            Ok(WriteRequest::builder().delete_request(delete).build())
        }
        _ => Err(call.invalid(&format!(
            "{at}: a write request has exactly one of PutRequest and DeleteRequest"
        ))),
    }
}

fn write_request_json(request: &WriteRequest) -> Value {
    if let Some(p) = request.put_request() {
        json!({"PutRequest": {"Item": map_to_json(p.item())}})
    } else if let Some(d) = request.delete_request() {
        json!({"DeleteRequest": {"Key": map_to_json(d.key())}})
    } else {
        json!({})
    }
}
