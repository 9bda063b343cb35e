//! Amazon DynamoDB: the optimized `getItem`, `putItem`, `updateItem` and `deleteItem`
//! (`arn:aws:states:::dynamodb:*`), and `query` and `batchWriteItem` through the AWS SDK
//! integration (`arn:aws:states:::aws-sdk:dynamodb:*`). Items and keys are DynamoDB
//! attribute values as payload templates: `{"pk": {"S.$": "$.id"}}`.
//!
//! A conditional write that fails raises `DynamoDB.ConditionalCheckFailedException`
//! (optimized) or `DynamoDb.ConditionalCheckFailedException` (AWS SDK); Retry and Catch
//! name it exactly.

use serde_json::Value;

use super::{Arg, Params};
use crate::builder::Task;

/// What a PutItem or DeleteItem returns of the item as it was (`ReturnValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnOld {
    /// Nothing (`NONE`, the default).
    None,
    /// The whole item as it was before (`ALL_OLD`), in the result's `Attributes`.
    AllOld,
}

impl ReturnOld {
    fn as_str(self) -> &'static str {
        match self {
            ReturnOld::None => "NONE",
            ReturnOld::AllOld => "ALL_OLD",
        }
    }
}

/// What an UpdateItem returns (`ReturnValues`), in the result's `Attributes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnValues {
    /// Nothing (`NONE`, the default).
    None,
    /// The whole item before the update (`ALL_OLD`).
    AllOld,
    /// The updated attributes before the update (`UPDATED_OLD`).
    UpdatedOld,
    /// The whole item after the update (`ALL_NEW`).
    AllNew,
    /// The updated attributes after the update (`UPDATED_NEW`).
    UpdatedNew,
}

impl ReturnValues {
    fn as_str(self) -> &'static str {
        match self {
            ReturnValues::None => "NONE",
            ReturnValues::AllOld => "ALL_OLD",
            ReturnValues::UpdatedOld => "UPDATED_OLD",
            ReturnValues::AllNew => "ALL_NEW",
            ReturnValues::UpdatedNew => "UPDATED_NEW",
        }
    }
}

/// The expression fields writes share.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Condition {
    /// Write only if this holds (`attribute_not_exists(pk)`).
    pub expression: Option<String>,
    /// `#name` placeholders of the expressions.
    pub names: Option<Value>,
    /// `:value` placeholders of the expressions (a payload template).
    pub values: Option<Value>,
    /// On a failed condition, return the item as it is in the error's cause
    /// (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), to tell a retried write of one's
    /// own from someone else's without another read.
    pub return_item_on_failure: bool,
}

impl Params {
    fn condition(self, condition: &Condition) -> Self {
        let on_failure = condition.return_item_on_failure.then_some("ALL_OLD");
        self.text("ConditionExpression", condition.expression.as_deref())
            .value("ExpressionAttributeNames", condition.names.as_ref())
            .value("ExpressionAttributeValues", condition.values.as_ref())
            .text("ReturnValuesOnConditionCheckFailure", on_failure)
    }
}

/// `PutItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct PutItem {
    /// The table.
    pub table_name: Arg,
    /// The item as DynamoDB attribute values (a payload template: `{"pk": {"S.$": "$.id"}}`).
    pub item: Value,
    /// The write's condition.
    pub condition: Condition,
    /// Whether the result carries the replaced item.
    pub return_values: Option<ReturnOld>,
}

impl PutItem {
    /// Puts `item` into `table`.
    pub fn new(table: impl Into<Arg>, item: Value) -> Self {
        PutItem {
            table_name: table.into(),
            item,
            condition: Condition::default(),
            return_values: None,
        }
    }

    /// Writes only if `expression` holds (e.g. `attribute_not_exists(pk)`).
    pub fn condition(mut self, expression: impl Into<String>) -> Self {
        self.condition.expression = Some(expression.into());
        self
    }

    /// Names (`{"#s": "status"}`) and values (`{":s": {"S": "DONE"}}`) for the condition.
    pub fn with(mut self, names: Value, values: Value) -> Self {
        self.condition.names = Some(names);
        self.condition.values = Some(values);
        self
    }

    /// On a failed condition, the error's cause carries the item as it is.
    pub fn return_item_on_condition_failure(mut self) -> Self {
        self.condition.return_item_on_failure = true;
        self
    }

    /// Whether the result's `Attributes` carry the replaced item.
    pub fn return_values(mut self, values: ReturnOld) -> Self {
        self.return_values = Some(values);
        self
    }
}

/// A Task that puts an item (`arn:aws:states:::dynamodb:putItem`).
pub fn put_item(name: impl Into<String>, request: PutItem) -> Task {
    Params::default()
        .arg("TableName", &request.table_name)
        .value("Item", Some(&request.item))
        .condition(&request.condition)
        .text("ReturnValues", request.return_values.map(ReturnOld::as_str))
        .task(name, "dynamodb:putItem")
}

/// `GetItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct GetItem {
    /// The table.
    pub table_name: Arg,
    /// The key as DynamoDB attribute values (a payload template).
    pub key: Value,
    /// Strongly consistent read.
    pub consistent_read: Option<bool>,
    /// Attributes to return.
    pub projection_expression: Option<String>,
    /// `#name` placeholders of the projection.
    pub expression_attribute_names: Option<Value>,
}

impl GetItem {
    /// Gets the item with `key` from `table`.
    pub fn new(table: impl Into<Arg>, key: Value) -> Self {
        GetItem {
            table_name: table.into(),
            key,
            consistent_read: None,
            projection_expression: None,
            expression_attribute_names: None,
        }
    }

    /// A strongly consistent read.
    pub fn consistent(mut self) -> Self {
        self.consistent_read = Some(true);
        self
    }
}

/// A Task that gets an item (`arn:aws:states:::dynamodb:getItem`; the result has `Item`
/// when it exists).
pub fn get_item(name: impl Into<String>, request: GetItem) -> Task {
    Params::default()
        .arg("TableName", &request.table_name)
        .value("Key", Some(&request.key))
        .boolean("ConsistentRead", request.consistent_read)
        .text(
            "ProjectionExpression",
            request.projection_expression.as_deref(),
        )
        .value(
            "ExpressionAttributeNames",
            request.expression_attribute_names.as_ref(),
        )
        .task(name, "dynamodb:getItem")
}

/// `UpdateItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateItem {
    /// The table.
    pub table_name: Arg,
    /// The key as DynamoDB attribute values (a payload template).
    pub key: Value,
    /// The update (`SET #s = :s`).
    pub update_expression: String,
    /// The update's condition, and the names and values of both expressions.
    pub condition: Condition,
    /// What the result's `Attributes` carry.
    pub return_values: Option<ReturnValues>,
}

impl UpdateItem {
    /// Applies `update_expression` to the item with `key` in `table`.
    pub fn new(table: impl Into<Arg>, key: Value, update_expression: impl Into<String>) -> Self {
        UpdateItem {
            table_name: table.into(),
            key,
            update_expression: update_expression.into(),
            condition: Condition::default(),
            return_values: None,
        }
    }

    /// Names and values for the expressions.
    pub fn with(mut self, names: Value, values: Value) -> Self {
        self.condition.names = Some(names);
        self.condition.values = Some(values);
        self
    }

    /// Values for the expressions, when they name no `#placeholder`s.
    pub fn values(mut self, values: Value) -> Self {
        self.condition.values = Some(values);
        self
    }

    /// Updates only if `expression` holds.
    pub fn condition(mut self, expression: impl Into<String>) -> Self {
        self.condition.expression = Some(expression.into());
        self
    }

    /// On a failed condition, the error's cause carries the item as it is.
    pub fn return_item_on_condition_failure(mut self) -> Self {
        self.condition.return_item_on_failure = true;
        self
    }

    /// What the result's `Attributes` carry.
    pub fn return_values(mut self, values: ReturnValues) -> Self {
        self.return_values = Some(values);
        self
    }
}

/// A Task that updates an item (`arn:aws:states:::dynamodb:updateItem`).
pub fn update_item(name: impl Into<String>, request: UpdateItem) -> Task {
    Params::default()
        .arg("TableName", &request.table_name)
        .value("Key", Some(&request.key))
        .text("UpdateExpression", Some(&request.update_expression))
        .condition(&request.condition)
        .text(
            "ReturnValues",
            request.return_values.map(ReturnValues::as_str),
        )
        .task(name, "dynamodb:updateItem")
}

/// `DeleteItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteItem {
    /// The table.
    pub table_name: Arg,
    /// The key as DynamoDB attribute values (a payload template).
    pub key: Value,
    /// The delete's condition.
    pub condition: Condition,
    /// Whether the result carries the deleted item.
    pub return_values: Option<ReturnOld>,
}

impl DeleteItem {
    /// Deletes the item with `key` from `table`.
    pub fn new(table: impl Into<Arg>, key: Value) -> Self {
        DeleteItem {
            table_name: table.into(),
            key,
            condition: Condition::default(),
            return_values: None,
        }
    }

    /// Deletes only if `expression` holds (e.g. `#owner = :me`).
    pub fn condition(mut self, expression: impl Into<String>) -> Self {
        self.condition.expression = Some(expression.into());
        self
    }

    /// Names and values for the condition.
    pub fn with(mut self, names: Value, values: Value) -> Self {
        self.condition.names = Some(names);
        self.condition.values = Some(values);
        self
    }

    /// Whether the result's `Attributes` carry the deleted item.
    pub fn return_values(mut self, values: ReturnOld) -> Self {
        self.return_values = Some(values);
        self
    }
}

/// A Task that deletes an item (`arn:aws:states:::dynamodb:deleteItem`).
pub fn delete_item(name: impl Into<String>, request: DeleteItem) -> Task {
    Params::default()
        .arg("TableName", &request.table_name)
        .value("Key", Some(&request.key))
        .condition(&request.condition)
        .text("ReturnValues", request.return_values.map(ReturnOld::as_str))
        .task(name, "dynamodb:deleteItem")
}

/// `Query` (AWS SDK integration).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The table.
    pub table_name: Arg,
    /// The key condition (`pk = :pk AND begins_with(sk, :day)`).
    pub key_condition_expression: String,
    /// `#name` placeholders of the expressions.
    pub expression_attribute_names: Option<Value>,
    /// `:value` placeholders of the expressions (a payload template).
    pub expression_attribute_values: Option<Value>,
    /// A secondary index to query instead of the table.
    pub index_name: Option<String>,
    /// Drops items after reading them (they still count against `Limit`).
    pub filter_expression: Option<String>,
    /// Attributes to return.
    pub projection_expression: Option<String>,
    /// At most this many items per call (1 or more).
    pub limit: Option<u32>,
    /// `false` reads the sort key descending.
    pub scan_index_forward: Option<bool>,
    /// Where to continue: the previous result's `LastEvaluatedKey`.
    pub exclusive_start_key: Option<Arg>,
    /// Strongly consistent read.
    pub consistent_read: Option<bool>,
}

impl Query {
    /// Queries `table` for the items matching `key_condition`, with its values.
    pub fn new(table: impl Into<Arg>, key_condition: impl Into<String>, values: Value) -> Self {
        Query {
            table_name: table.into(),
            key_condition_expression: key_condition.into(),
            expression_attribute_names: None,
            expression_attribute_values: Some(values),
            index_name: None,
            filter_expression: None,
            projection_expression: None,
            limit: None,
            scan_index_forward: None,
            exclusive_start_key: None,
            consistent_read: None,
        }
    }

    /// Queries this secondary index.
    pub fn index(mut self, index: impl Into<String>) -> Self {
        self.index_name = Some(index.into());
        self
    }

    /// At most `n` items per call.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
}

/// A Task that queries a table (`arn:aws:states:::aws-sdk:dynamodb:query`; the result
/// has `Items`, `Count`, `ScannedCount` and, when there is more, `LastEvaluatedKey`).
pub fn query(name: impl Into<String>, request: Query) -> Task {
    Params::default()
        .arg("TableName", &request.table_name)
        .text(
            "KeyConditionExpression",
            Some(&request.key_condition_expression),
        )
        .value(
            "ExpressionAttributeNames",
            request.expression_attribute_names.as_ref(),
        )
        .value(
            "ExpressionAttributeValues",
            request.expression_attribute_values.as_ref(),
        )
        .text("IndexName", request.index_name.as_deref())
        .text("FilterExpression", request.filter_expression.as_deref())
        .text(
            "ProjectionExpression",
            request.projection_expression.as_deref(),
        )
        .number("Limit", request.limit)
        .boolean("ScanIndexForward", request.scan_index_forward)
        .opt_arg("ExclusiveStartKey", request.exclusive_start_key.as_ref())
        .boolean("ConsistentRead", request.consistent_read)
        .check(request.limit != Some(0), || {
            "Parameters.Limit: must be at least 1".to_string()
        })
        .task(name, "aws-sdk:dynamodb:query")
}

/// `BatchWriteItem` (AWS SDK integration): up to 25 puts and deletes over one or more
/// tables.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchWriteItem {
    /// Table name → `[{"PutRequest": {"Item": ...}} | {"DeleteRequest": {"Key": ...}}]`, as
    /// a payload template or a path.
    pub request_items: Arg,
}

/// A Task that writes a batch (`arn:aws:states:::aws-sdk:dynamodb:batchWriteItem`; what
/// DynamoDB did not write comes back in `UnprocessedItems`, to be sent again).
pub fn batch_write_item(name: impl Into<String>, request: BatchWriteItem) -> Task {
    let within_limit = match request.request_items.literal() {
        Some(Value::Object(tables)) => {
            let count: usize = tables
                .values()
                .map(|requests| requests.as_array().map_or(1, Vec::len))
                .sum();
            (1..=25).contains(&count)
        }
        Some(_) => false,
        None => true,
    };
    Params::default()
        .arg("RequestItems", &request.request_items)
        .check(within_limit, || {
            "Parameters.RequestItems: must map table names to 1 to 25 write requests in all"
                .to_string()
        })
        .task(name, "aws-sdk:dynamodb:batchWriteItem")
}
