//! Service integrations with typed parameters. Each constructor takes the state's name and
//! a typed request and returns a [`Task`] whose resource is the integration's ARN (exactly
//! as AWS documents it) and whose `Parameters` carry the request in Step Functions'
//! PascalCase form — a misspelled parameter or a value outside the API's choices does not
//! compile. Values are [`Arg`]s: a literal, or a path into the state input (emitted as
//! `Key.$`). Limits the API states (SQS's 900-second delay, EventBridge's ten entries per
//! call, ...) are checked when the value is literal and reported by
//! [`compile`](super::compile) with the state's name.
//!
//! | module | resource |
//! | --- | --- |
//! | [`dynamodb`] | `dynamodb:getItem`, `putItem`, `updateItem`, `deleteItem`; `aws-sdk:dynamodb:query`, `batchWriteItem` |
//! | [`s3`] | `aws-sdk:s3:getObject`, `putObject`, `headObject`, `listObjectsV2`, `deleteObject`, `copyObject` |
//! | [`sqs`] | `sqs:sendMessage` |
//! | [`sns`] | `sns:publish` |
//! | [`events`] | `events:putEvents` |
//! | [`lambda`] | `lambda:invoke` |
//! | [`s3vectors`] | `aws-sdk:s3vectors:putVectors` |
//! | [`ssm`] | `aws-sdk:ssm:getParameter` |
//! | [`states`] | `states:startExecution`, `.sync`, `.sync:2` |
//!
//! Any of them that supports it waits for a callback with
//! [`Task::wait_for_task_token`]; pass the token with [`Arg::task_token`].

pub mod dynamodb;
pub mod events;
pub mod lambda;
pub mod s3;
pub mod s3vectors;
pub mod sns;
pub mod sqs;
pub mod ssm;
pub mod states;

use serde_json::{Map as JsonMap, Value};

use super::state_builders::{Task, task_resource};

/// A parameter value: a literal, or a path into the state input (emitted as `Key.$`).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A literal JSON value (an object may itself be a payload template with `.$` keys).
    Value(Value),
    /// A JSONPath (or intrinsic function) evaluated against the state input.
    Path(String),
}

impl Arg {
    /// A path (or intrinsic function call) evaluated at run time.
    pub fn path(path: impl Into<String>) -> Self {
        Arg::Path(path.into())
    }

    /// The task token of a `.waitForTaskToken` Task (`$$.Task.Token`), for whoever will
    /// call `SendTaskSuccess`/`SendTaskFailure`.
    pub fn task_token() -> Self {
        Arg::Path("$$.Task.Token".into())
    }

    /// The literal value, when it is one.
    fn literal(&self) -> Option<&Value> {
        match self {
            Arg::Value(v) => Some(v),
            Arg::Path(_) => None,
        }
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
struct Params {
    fields: JsonMap<String, Value>,
    problems: Vec<String>,
}

impl Params {
    fn arg(mut self, key: &str, arg: &Arg) -> Self {
        match arg {
            Arg::Value(v) => self.fields.insert(key.to_string(), v.clone()),
            Arg::Path(p) => self
                .fields
                .insert(format!("{key}.$"), Value::String(p.clone())),
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
            self.fields.insert(key.to_string(), v.clone());
        }
        self
    }

    fn text(self, key: &str, value: Option<&str>) -> Self {
        let v = value.map(|s| Value::String(s.to_string()));
        self.value(key, v.as_ref())
    }

    fn number(self, key: &str, value: Option<u32>) -> Self {
        let v = value.map(Value::from);
        self.value(key, v.as_ref())
    }

    fn boolean(self, key: &str, value: Option<bool>) -> Self {
        let v = value.map(Value::Bool);
        self.value(key, v.as_ref())
    }

    /// Records a problem when `ok` is false.
    fn check(mut self, ok: bool, message: impl FnOnce() -> String) -> Self {
        if !ok {
            self.problems.push(message());
        }
        self
    }

    /// The Task on `arn:aws:states:::{resource}`.
    fn task(self, name: impl Into<String>, resource: &str) -> Task {
        let mut task = task_resource(name, format!("arn:aws:states:::{resource}"))
            .parameters(Value::Object(self.fields));
        task.problems.extend(self.problems);
        task
    }
}

/// Whether `arg` is a literal array with a length in `range`, or not a literal array at
/// all (a path, checked at run time by the service).
fn literal_len_within(arg: &Arg, range: std::ops::RangeInclusive<usize>) -> bool {
    match arg.literal() {
        Some(Value::Array(items)) => range.contains(&items.len()),
        _ => true,
    }
}

#[cfg(test)]
mod tests;
