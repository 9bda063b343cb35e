//! One builder per state type. Each wraps the ASL struct it produces (without `Next`/`End`,
//! which the chain decides) plus what only the builder knows: Choice arms, Catch
//! handlers, nested chains, the activity behind a Task.

use std::time::Duration;

use serde_json::Value;
use stepwise_contract::{ActivityDef, ActivityInfo, ErrorName};

use super::chain::Chain;
use super::condition::Condition;
use super::retry::{Catch, Retry};
use super::whole_seconds;
use crate::asl::{
    ChoiceState, FailState, ItemBatcher, ItemReader, MapState, Numeric, ParallelState, PassState,
    ProcessorConfig, ReaderConfig, ResultWriter, SucceedState, TaskState, WaitState,
};
use crate::integration::{self, Pattern};

/// Methods every state with InputPath/OutputPath has.
macro_rules! io_methods {
    ($ty:ident) => {
        impl $ty {
            /// A description of the state.
            pub fn comment(mut self, comment: impl Into<String>) -> Self {
                self.state.comment = Some(comment.into());
                self
            }

            /// Selects the part of the input the state works on.
            pub fn input_path(mut self, path: impl Into<String>) -> Self {
                self.state.input_path = Some(Some(path.into()));
                self
            }

            /// Selects the part of the output passed on.
            pub fn output_path(mut self, path: impl Into<String>) -> Self {
                self.state.output_path = Some(Some(path.into()));
                self
            }
        }
    };
}

/// Methods of states that produce a result (Task, Parallel, Map).
macro_rules! result_methods {
    ($ty:ident) => {
        impl $ty {
            /// Puts the result at this reference path of the input (default `$`: the result
            /// replaces the input).
            pub fn result_path(mut self, path: impl Into<String>) -> Self {
                self.state.result_path = Some(Some(path.into()));
                self
            }

            /// Discards the result: the output is the input (`ResultPath: null`).
            pub fn discard_result(mut self) -> Self {
                self.state.result_path = Some(None);
                self
            }

            /// Reshapes the result (a payload template) before ResultPath.
            pub fn result_selector(mut self, template: Value) -> Self {
                self.state.result_selector = Some(template);
                self
            }
        }
    };
}

/// Retry and Catch, for Task, Parallel and Map.
macro_rules! error_methods {
    ($ty:ident) => {
        impl $ty {
            /// Adds a Retry rule (rules are tried in order).
            pub fn retry(mut self, rule: Retry) -> Self {
                self.retries.push(rule);
                self
            }

            /// Adds a Catch rule and its handler. A handler that neither ends nor jumps
            /// carries on after this state.
            pub fn catch(mut self, rule: Catch, handler: impl Into<Chain>) -> Self {
                self.catches.push((rule, handler.into()));
                self
            }
        }
    };
}

fn seconds(problems: &mut Vec<String>, field: &str, d: Duration) -> Option<Numeric> {
    whole_seconds(field, d)
        .map_err(|e| problems.push(e))
        .ok()
        .map(Numeric::from)
}

/// A Task state builder. Create it with [`task`] (an activity) or [`task_resource`].
#[derive(Debug, Clone)]
pub struct Task {
    pub(crate) name: String,
    pub(crate) state: TaskState,
    pub(crate) retries: Vec<Retry>,
    pub(crate) catches: Vec<(Catch, Chain)>,
    pub(crate) activity: Option<ActivityInfo>,
    pub(crate) problems: Vec<String>,
}

/// A Task that runs the activity `A`: named after it, with the `${Name}` resource
/// placeholder that CDK, the CLI and sfn-local substitute, and a first Retry rule for
/// the Lambda service's transient failures ([`Retry::lambda_service`]).
pub fn task<A: ActivityDef>() -> Task {
    let mut t = task_resource(A::NAME, format!("${{{}}}", A::NAME));
    t.activity = Some(ActivityInfo::of::<A>());
    t.retries.push(Retry::lambda_service());
    t
}

/// A Task with an explicit resource (an ARN or placeholder), for integrations that are
/// not activities.
pub fn task_resource(name: impl Into<String>, resource: impl Into<String>) -> Task {
    Task {
        name: name.into(),
        state: TaskState {
            resource: resource.into(),
            ..TaskState::default()
        },
        retries: Vec::new(),
        catches: Vec::new(),
        activity: None,
        problems: Vec::new(),
    }
}

impl Task {
    /// Renames the state (the default is the activity's name; running the same activity
    /// twice in one workflow needs two names).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The payload template the activity receives (default: the state's input).
    pub fn parameters(mut self, template: Value) -> Self {
        self.state.parameters = Some(template);
        self
    }

    /// Fails the task with `States.Timeout` when it runs longer than this.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.state.timeout_seconds = seconds(&mut self.problems, "TimeoutSeconds", timeout);
        self
    }

    /// Fails the task with `States.HeartbeatTimeout` when no heartbeat arrives in time.
    pub fn heartbeat(mut self, interval: Duration) -> Self {
        self.state.heartbeat_seconds = seconds(&mut self.problems, "HeartbeatSeconds", interval);
        self
    }

    /// Waits for a callback: the integration is called with the resource's
    /// `.waitForTaskToken` form, and the Task ends when someone calls `SendTaskSuccess`
    /// (its output is the Task's result) or `SendTaskFailure` with the task token — pass it
    /// in the Parameters with [`Arg::task_token`](super::Arg::task_token) (`compile`
    /// reports a callback Task whose Parameters never do).
    ///
    /// `timeout` is required: Step Functions' default `TimeoutSeconds` is a year, so a
    /// lost token would keep the execution open that long. Add [`Task::heartbeat`] to fail
    /// sooner when the worker stops reporting (`States.HeartbeatTimeout`).
    ///
    /// Only service integrations that support the pattern wait for a token: the optimized
    /// Lambda, SQS, SNS, EventBridge and Step Functions ones and every AWS SDK integration
    /// (not DynamoDB's optimized ones, not activities, not a `.sync` resource).
    pub fn wait_for_task_token(mut self, timeout: Duration) -> Self {
        self.state.timeout_seconds = seconds(&mut self.problems, "TimeoutSeconds", timeout);
        match self.callback_problem() {
            Some(problem) => self.problems.push(problem),
            None => self
                .state
                .resource
                .push_str(Pattern::WaitForTaskToken.suffix()),
        }
        self
    }

    /// Why this Task cannot wait for a task token, if it cannot.
    fn callback_problem(&self) -> Option<String> {
        let resource = &self.state.resource;
        let why = if let Some(activity) = &self.activity {
            format!(
                "{} is an activity; only a service integration (arn:aws:states:::…) waits for a task token",
                activity.name
            )
        } else {
            match integration::parse(resource) {
                None => format!(
                    "\"{resource}\" is not a service integration (arn:aws:states:::service:action)"
                ),
                Some(i) if i.pattern != Pattern::RequestResponse => {
                    format!("\"{resource}\" already waits ({})", i.pattern.suffix())
                }
                Some(i) if integration::supports(&i, Pattern::WaitForTaskToken) == Some(false) => {
                    format!(
                        "the {}:{} integration does not support .waitForTaskToken",
                        i.service, i.action
                    )
                }
                Some(_) => return None,
            }
        };
        Some(format!("wait_for_task_token: {why}"))
    }

    /// The activity behind this task, if it is one.
    pub fn activity(&self) -> Option<&ActivityInfo> {
        self.activity.as_ref()
    }
}
io_methods!(Task);
result_methods!(Task);
error_methods!(Task);

/// A Pass state builder.
#[derive(Debug, Clone)]
pub struct Pass {
    pub(crate) name: String,
    pub(crate) state: PassState,
}

/// A Pass state: passes its input on, or a fixed result, or a reshaped input.
pub fn pass(name: impl Into<String>) -> Pass {
    Pass {
        name: name.into(),
        state: PassState::default(),
    }
}

impl Pass {
    /// A fixed result.
    pub fn result(mut self, result: Value) -> Self {
        self.state.result = Some(result);
        self
    }

    /// A payload template applied to the input.
    pub fn parameters(mut self, template: Value) -> Self {
        self.state.parameters = Some(template);
        self
    }

    /// Puts the result at this reference path of the input.
    pub fn result_path(mut self, path: impl Into<String>) -> Self {
        self.state.result_path = Some(Some(path.into()));
        self
    }
}
io_methods!(Pass);

/// A Choice state builder.
#[derive(Debug, Clone)]
pub struct Choice {
    pub(crate) name: String,
    pub(crate) state: ChoiceState,
    pub(crate) arms: Vec<(Condition, Chain)>,
    pub(crate) otherwise: Option<Chain>,
}

/// A Choice state. Arms that neither end nor jump rejoin after the Choice.
pub fn choice(name: impl Into<String>) -> Choice {
    Choice {
        name: name.into(),
        state: ChoiceState::default(),
        arms: Vec::new(),
        otherwise: None,
    }
}

impl Choice {
    /// When `condition` holds, run `then`.
    pub fn when(mut self, condition: Condition, then: impl Into<Chain>) -> Self {
        self.arms.push((condition, then.into()));
        self
    }

    /// When no arm matches, run `then` (`Chain::empty()` = carry on after the Choice).
    /// Without it, no match fails with `States.NoChoiceMatched`.
    pub fn otherwise(mut self, then: impl Into<Chain>) -> Self {
        self.otherwise = Some(then.into());
        self
    }
}
io_methods!(Choice);

/// A Wait state builder.
#[derive(Debug, Clone)]
pub struct Wait {
    pub(crate) name: String,
    pub(crate) state: WaitState,
    pub(crate) problems: Vec<String>,
}

/// A Wait state; set exactly one of `seconds`, `until`, `seconds_path`, `until_path`.
pub fn wait(name: impl Into<String>) -> Wait {
    Wait {
        name: name.into(),
        state: WaitState::default(),
        problems: Vec::new(),
    }
}

impl Wait {
    /// Waits this long.
    pub fn seconds(mut self, d: Duration) -> Self {
        self.state.seconds = seconds(&mut self.problems, "Seconds", d);
        self
    }

    /// Waits until this RFC 3339 timestamp.
    pub fn until(mut self, timestamp: impl Into<String>) -> Self {
        self.state.timestamp = Some(timestamp.into());
        self
    }

    /// Waits the number of seconds found at `path`.
    pub fn seconds_path(mut self, path: impl Into<String>) -> Self {
        self.state.seconds_path = Some(path.into());
        self
    }

    /// Waits until the timestamp found at `path`.
    pub fn until_path(mut self, path: impl Into<String>) -> Self {
        self.state.timestamp_path = Some(path.into());
        self
    }
}
io_methods!(Wait);

/// A Succeed state builder.
#[derive(Debug, Clone)]
pub struct Succeed {
    pub(crate) name: String,
    pub(crate) state: SucceedState,
}

/// A Succeed state: ends its scope successfully.
pub fn succeed(name: impl Into<String>) -> Succeed {
    Succeed {
        name: name.into(),
        state: SucceedState::default(),
    }
}
io_methods!(Succeed);

/// A Fail state builder.
#[derive(Debug, Clone)]
pub struct Fail {
    pub(crate) name: String,
    pub(crate) state: FailState,
}

/// A Fail state: ends the execution with an error.
pub fn fail(name: impl Into<String>) -> Fail {
    Fail {
        name: name.into(),
        state: FailState::default(),
    }
}

impl Fail {
    /// The error name.
    pub fn error(mut self, error: ErrorName) -> Self {
        self.state.error = Some(error.as_str().to_string());
        self
    }

    /// The cause.
    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.state.cause = Some(cause.into());
        self
    }

    /// The error name, taken from the input (a path or intrinsic function).
    pub fn error_path(mut self, path: impl Into<String>) -> Self {
        self.state.error_path = Some(path.into());
        self
    }

    /// The cause, taken from the input (a path or intrinsic function).
    pub fn cause_path(mut self, path: impl Into<String>) -> Self {
        self.state.cause_path = Some(path.into());
        self
    }

    /// A description of the state.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.state.comment = Some(comment.into());
        self
    }
}

/// A Parallel state builder.
#[derive(Debug, Clone)]
pub struct Parallel {
    pub(crate) name: String,
    pub(crate) state: ParallelState,
    pub(crate) branches: Vec<Chain>,
    pub(crate) retries: Vec<Retry>,
    pub(crate) catches: Vec<(Catch, Chain)>,
}

/// A Parallel state: runs its branches concurrently; the result is the array of their
/// outputs, in branch order.
pub fn parallel(name: impl Into<String>) -> Parallel {
    Parallel {
        name: name.into(),
        state: ParallelState::default(),
        branches: Vec::new(),
        retries: Vec::new(),
        catches: Vec::new(),
    }
}

impl Parallel {
    /// Adds a branch.
    pub fn branch(mut self, branch: impl Into<Chain>) -> Self {
        self.branches.push(branch.into());
        self
    }

    /// A payload template every branch receives (default: the state's input).
    pub fn parameters(mut self, template: Value) -> Self {
        self.state.parameters = Some(template);
        self
    }
}
io_methods!(Parallel);
result_methods!(Parallel);
error_methods!(Parallel);

/// Where a distributed Map reads its items.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemReaderSpec {
    /// A JSON array in one S3 object (`s3:getObject`, `InputType: JSON`).
    S3JsonArray {
        /// Bucket and key as a payload template (`{"Bucket.$": "$.bucket", "Key": "x.json"}`).
        location: Value,
    },
    /// JSON Lines in one S3 object (`InputType: JSONL`).
    S3JsonLines {
        /// Bucket and key as a payload template.
        location: Value,
    },
    /// A CSV file with its header in the first row.
    S3Csv {
        /// Bucket and key as a payload template.
        location: Value,
    },
    /// The objects under a prefix (`s3:listObjectsV2`).
    S3Objects {
        /// Bucket and prefix as a payload template.
        location: Value,
    },
}

impl ItemReaderSpec {
    fn to_asl(&self) -> ItemReader {
        let (resource, input_type, location) = match self {
            ItemReaderSpec::S3JsonArray { location } => ("s3:getObject", Some("JSON"), location),
            ItemReaderSpec::S3JsonLines { location } => ("s3:getObject", Some("JSONL"), location),
            ItemReaderSpec::S3Csv { location } => ("s3:getObject", Some("CSV"), location),
            ItemReaderSpec::S3Objects { location } => ("s3:listObjectsV2", None, location),
        };
        ItemReader {
            resource: format!("arn:aws:states:::{resource}"),
            reader_config: input_type.map(|t| ReaderConfig {
                input_type: Some(t.to_string()),
                csv_header_location: (t == "CSV").then(|| "FIRST_ROW".to_string()),
                csv_headers: None,
                csv_delimiter: None,
                max_items: None,
                max_items_path: None,
                manifest_type: None,
            }),
            parameters: Some(location.clone()),
            arguments: None,
        }
    }
}

/// A Map state builder.
#[derive(Debug, Clone)]
pub struct Map {
    pub(crate) name: String,
    pub(crate) state: MapState,
    pub(crate) processor: Option<Chain>,
    pub(crate) processor_config: Option<ProcessorConfig>,
    pub(crate) retries: Vec<Retry>,
    pub(crate) catches: Vec<(Catch, Chain)>,
    pub(crate) problems: Vec<String>,
}

/// A Map state: runs its processor for each item; the result is the array of outputs,
/// in item order.
pub fn map(name: impl Into<String>) -> Map {
    Map {
        name: name.into(),
        state: MapState::default(),
        processor: None,
        processor_config: None,
        retries: Vec::new(),
        catches: Vec::new(),
        problems: Vec::new(),
    }
}

impl Map {
    /// Where the items array is in the input (default `$`).
    pub fn items_path(mut self, path: impl Into<String>) -> Self {
        self.state.items_path = Some(path.into());
        self
    }

    /// Reshapes each item; `$$.Map.Item.Value` and `$$.Map.Item.Index` refer to it.
    pub fn item_selector(mut self, template: Value) -> Self {
        self.state.item_selector = Some(template);
        self
    }

    /// What runs for each item.
    pub fn processor(mut self, processor: impl Into<Chain>) -> Self {
        self.processor = Some(processor.into());
        self
    }

    /// At most this many items at once (0 = no limit).
    pub fn max_concurrency(mut self, n: u32) -> Self {
        self.state.max_concurrency = Some(n.into());
        self
    }

    /// At most as many items at once as the number found at `path`.
    pub fn max_concurrency_path(mut self, path: impl Into<String>) -> Self {
        self.state.max_concurrency_path = Some(path.into());
        self
    }

    /// The Map succeeds while at most this percentage of items fail.
    pub fn tolerated_failure_percentage(mut self, percent: f64) -> Self {
        match serde_json::Number::from_f64(percent) {
            Some(n) => self.state.tolerated_failure_percentage = Some(Numeric::Number(n)),
            None => self.problems.push(format!(
                "ToleratedFailurePercentage: {percent} is not a number"
            )),
        }
        self
    }

    /// The Map succeeds while at most this many items fail.
    pub fn tolerated_failure_count(mut self, count: u32) -> Self {
        self.state.tolerated_failure_count = Some(count.into());
        self
    }

    /// Runs each item as a child workflow execution (distributed mode), reading the items
    /// with `reader` (or from ItemsPath when `None`).
    pub fn distributed(mut self, express_children: bool, reader: Option<ItemReaderSpec>) -> Self {
        self.processor_config = Some(ProcessorConfig {
            mode: Some("DISTRIBUTED".into()),
            execution_type: Some(
                if express_children {
                    "EXPRESS"
                } else {
                    "STANDARD"
                }
                .into(),
            ),
        });
        self.state.item_reader = reader.as_ref().map(ItemReaderSpec::to_asl);
        self
    }

    /// Groups items into batches of at most `max_items` (distributed mode); each child
    /// receives `{"Items": [...]}`.
    pub fn batch(mut self, max_items: u32) -> Self {
        self.state.item_batcher = Some(ItemBatcher {
            max_items_per_batch: Some(max_items.into()),
            ..ItemBatcher::default()
        });
        self
    }

    /// Writes the child results to S3 (distributed mode). `location` is a payload
    /// template with `Bucket` and `Prefix`.
    pub fn result_writer(mut self, location: Value) -> Self {
        self.state.result_writer = Some(ResultWriter {
            resource: Some("arn:aws:states:::s3:putObject".into()),
            parameters: Some(location),
            arguments: None,
            writer_config: None,
        });
        self
    }

    /// Label of the child executions (distributed mode).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.state.label = Some(label.into());
        self
    }
}
io_methods!(Map);
result_methods!(Map);
error_methods!(Map);
