//! Optimized service integrations with typed parameters: DynamoDB items, S3 objects and
//! nested Step Functions executions. Each returns a [`Task`] whose `Parameters` are built
//! from the typed request, so a misspelled parameter name is a compile error.

use serde_json::{Map as JsonMap, Value};

use super::states::{Task, task_resource};

/// A parameter value: a literal, or a path into the state input (emitted as `Key.$`).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A literal JSON value.
    Value(Value),
    /// A JSONPath (or intrinsic function) evaluated against the state input.
    Path(String),
}

impl Arg {
    /// A path (or intrinsic function call) evaluated at run time.
    pub fn path(path: impl Into<String>) -> Self {
        Arg::Path(path.into())
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Value(Value::String(value.into()))
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Value(Value::String(value))
    }
}

impl From<Value> for Arg {
    fn from(value: Value) -> Self {
        Arg::Value(value)
    }
}

/// Builds a Parameters object field by field.
#[derive(Default)]
struct Params(JsonMap<String, Value>);

impl Params {
    fn arg(mut self, key: &str, arg: &Arg) -> Self {
        match arg {
            Arg::Value(v) => self.0.insert(key.to_string(), v.clone()),
            Arg::Path(p) => self.0.insert(format!("{key}.$"), Value::String(p.clone())),
        };
        self
    }

    fn opt_arg(self, key: &str, arg: Option<&Arg>) -> Self {
        match arg {
            Some(a) => self.arg(key, a),
            None => self,
        }
    }

    fn value(mut self, key: &str, value: Option<&Value>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v.clone());
        }
        self
    }

    fn text(self, key: &str, value: Option<&String>) -> Self {
        let v = value.map(|s| Value::String(s.clone()));
        self.value(key, v.as_ref())
    }

    fn task(self, name: String, resource: &str) -> Task {
        task_resource(name, format!("arn:aws:states:::{resource}"))
            .parameters(Value::Object(self.0))
    }
}

/// Amazon DynamoDB (`arn:aws:states:::dynamodb:*`).
pub mod dynamodb {
    use super::*;

    /// `PutItem`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct PutItem {
        /// The table.
        pub table_name: Arg,
        /// The item as DynamoDB attribute values (a payload template: `{"pk": {"S.$": "$.id"}}`).
        pub item: Value,
        /// Write only if this holds.
        pub condition_expression: Option<String>,
        /// `#name` placeholders of the expressions.
        pub expression_attribute_names: Option<Value>,
        /// `:value` placeholders of the expressions (a payload template).
        pub expression_attribute_values: Option<Value>,
        /// `NONE` or `ALL_OLD`.
        pub return_values: Option<String>,
    }

    impl PutItem {
        /// Puts `item` into `table`.
        pub fn new(table: impl Into<Arg>, item: Value) -> Self {
            PutItem {
                table_name: table.into(),
                item,
                condition_expression: None,
                expression_attribute_names: None,
                expression_attribute_values: None,
                return_values: None,
            }
        }

        /// Writes only if `expression` holds (e.g. `attribute_not_exists(pk)`).
        pub fn condition(mut self, expression: impl Into<String>) -> Self {
            self.condition_expression = Some(expression.into());
            self
        }
    }

    /// A Task that puts an item.
    pub fn put_item(name: impl Into<String>, request: PutItem) -> Task {
        Params::default()
            .arg("TableName", &request.table_name)
            .value("Item", Some(&request.item))
            .text("ConditionExpression", request.condition_expression.as_ref())
            .value(
                "ExpressionAttributeNames",
                request.expression_attribute_names.as_ref(),
            )
            .value(
                "ExpressionAttributeValues",
                request.expression_attribute_values.as_ref(),
            )
            .text("ReturnValues", request.return_values.as_ref())
            .task(name.into(), "dynamodb:putItem")
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
    }

    impl GetItem {
        /// Gets the item with `key` from `table`.
        pub fn new(table: impl Into<Arg>, key: Value) -> Self {
            GetItem {
                table_name: table.into(),
                key,
                consistent_read: None,
                projection_expression: None,
            }
        }
    }

    /// A Task that gets an item (the result has `Item` when it exists).
    pub fn get_item(name: impl Into<String>, request: GetItem) -> Task {
        let consistent = request.consistent_read.map(Value::Bool);
        Params::default()
            .arg("TableName", &request.table_name)
            .value("Key", Some(&request.key))
            .value("ConsistentRead", consistent.as_ref())
            .text(
                "ProjectionExpression",
                request.projection_expression.as_ref(),
            )
            .task(name.into(), "dynamodb:getItem")
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
        /// Update only if this holds.
        pub condition_expression: Option<String>,
        /// `#name` placeholders of the expressions.
        pub expression_attribute_names: Option<Value>,
        /// `:value` placeholders of the expressions (a payload template).
        pub expression_attribute_values: Option<Value>,
        /// `NONE`, `ALL_OLD`, `UPDATED_OLD`, `ALL_NEW`, `UPDATED_NEW`.
        pub return_values: Option<String>,
    }

    impl UpdateItem {
        /// Applies `update_expression` to the item with `key` in `table`.
        pub fn new(
            table: impl Into<Arg>,
            key: Value,
            update_expression: impl Into<String>,
        ) -> Self {
            UpdateItem {
                table_name: table.into(),
                key,
                update_expression: update_expression.into(),
                condition_expression: None,
                expression_attribute_names: None,
                expression_attribute_values: None,
                return_values: None,
            }
        }

        /// Names and values for the expressions.
        pub fn with(mut self, names: Value, values: Value) -> Self {
            self.expression_attribute_names = Some(names);
            self.expression_attribute_values = Some(values);
            self
        }

        /// Updates only if `expression` holds.
        pub fn condition(mut self, expression: impl Into<String>) -> Self {
            self.condition_expression = Some(expression.into());
            self
        }
    }

    /// A Task that updates an item.
    pub fn update_item(name: impl Into<String>, request: UpdateItem) -> Task {
        let update = Some(request.update_expression.clone());
        Params::default()
            .arg("TableName", &request.table_name)
            .value("Key", Some(&request.key))
            .text("UpdateExpression", update.as_ref())
            .text("ConditionExpression", request.condition_expression.as_ref())
            .value(
                "ExpressionAttributeNames",
                request.expression_attribute_names.as_ref(),
            )
            .value(
                "ExpressionAttributeValues",
                request.expression_attribute_values.as_ref(),
            )
            .text("ReturnValues", request.return_values.as_ref())
            .task(name.into(), "dynamodb:updateItem")
    }
}

/// Amazon S3 through the AWS SDK integration (`arn:aws:states:::aws-sdk:s3:*`).
pub mod s3 {
    use super::*;

    /// `PutObject`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct PutObject {
        /// The bucket.
        pub bucket: Arg,
        /// The key.
        pub key: Arg,
        /// The body (a string, or a JSON value Step Functions serialises).
        pub body: Arg,
        /// The content type.
        pub content_type: Option<String>,
    }

    /// A Task that writes an object.
    pub fn put_object(name: impl Into<String>, request: PutObject) -> Task {
        Params::default()
            .arg("Bucket", &request.bucket)
            .arg("Key", &request.key)
            .arg("Body", &request.body)
            .text("ContentType", request.content_type.as_ref())
            .task(name.into(), "aws-sdk:s3:putObject")
    }

    /// `GetObject`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct GetObject {
        /// The bucket.
        pub bucket: Arg,
        /// The key.
        pub key: Arg,
    }

    /// A Task that reads an object (the result has `Body` as a string).
    pub fn get_object(name: impl Into<String>, request: GetObject) -> Task {
        Params::default()
            .arg("Bucket", &request.bucket)
            .arg("Key", &request.key)
            .task(name.into(), "aws-sdk:s3:getObject")
    }
}

/// AWS Step Functions: start another workflow (`arn:aws:states:::states:startExecution`).
pub mod sfn {
    use super::*;

    /// How the parent waits for the child.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Wait {
        /// Start and continue at once (the result is the execution ARN and start date).
        No,
        /// Wait for the child to finish; its output is parsed JSON (`.sync:2`).
        ForCompletion,
    }

    /// `StartExecution`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct StartExecution {
        /// The state machine (an ARN or a `${Placeholder}`).
        pub state_machine_arn: Arg,
        /// The child's input (a payload template).
        pub input: Option<Value>,
        /// The execution name.
        pub name: Option<Arg>,
        /// Whether to wait for the child.
        pub wait: Wait,
    }

    /// A Task that starts an execution of another state machine.
    pub fn start_execution(name: impl Into<String>, request: StartExecution) -> Task {
        let resource = match request.wait {
            Wait::No => "states:startExecution",
            Wait::ForCompletion => "states:startExecution.sync:2",
        };
        Params::default()
            .arg("StateMachineArn", &request.state_machine_arn)
            .value("Input", request.input.as_ref())
            .opt_arg("Name", request.name.as_ref())
            .task(name.into(), resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn put_item_emits_typed_parameters_with_paths() {
        let task = dynamodb::put_item(
            "Remember",
            dynamodb::PutItem::new(Arg::path("$.config.table"), json!({"pk": {"S.$": "$.id"}}))
                .condition("attribute_not_exists(pk)"),
        );
        assert_eq!(task.state.resource, "arn:aws:states:::dynamodb:putItem");
        assert_eq!(
            task.state.parameters,
            Some(json!({
                "TableName.$": "$.config.table",
                "Item": {"pk": {"S.$": "$.id"}},
                "ConditionExpression": "attribute_not_exists(pk)"
            }))
        );
    }

    #[test]
    fn start_execution_sync_uses_the_sync2_resource() {
        let task = sfn::start_execution(
            "Child",
            sfn::StartExecution {
                state_machine_arn: "${Child}".into(),
                input: Some(json!({"id.$": "$.id"})),
                name: None,
                wait: sfn::Wait::ForCompletion,
            },
        );
        assert_eq!(
            task.state.resource,
            "arn:aws:states:::states:startExecution.sync:2"
        );
        assert_eq!(
            task.state.parameters.unwrap()["StateMachineArn"],
            "${Child}"
        );
    }
}
