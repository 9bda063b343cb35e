//! The state types and the pieces they share (Retry, Catch, branches, Map configuration).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parse::deserialize_states;
pub use super::serde_util::Numeric;
use super::serde_util::nullable;
use super::{ChoiceRule, QueryLanguage, States};

/// A path field that may be explicitly `null` (`Some(None)`), a path (`Some(Some(..))`) or
/// absent (`None`).
pub type NullablePath = Option<Option<String>>;

/// One state. Serialised with its `Type` tag first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "Type")]
pub enum State {
    /// `Task`: runs an activity, a Lambda function or a service integration.
    Task(Box<TaskState>),
    /// `Pass`: passes (or reshapes) its input.
    Pass(PassState),
    /// `Choice`: branches on its input.
    Choice(ChoiceState),
    /// `Wait`: waits for a duration or until a timestamp.
    Wait(WaitState),
    /// `Succeed`: ends the execution (or branch) successfully.
    Succeed(SucceedState),
    /// `Fail`: ends the execution with an error.
    Fail(FailState),
    /// `Parallel`: runs branches concurrently.
    Parallel(Box<ParallelState>),
    /// `Map`: runs a processor for each item.
    Map(Box<MapState>),
}

impl State {
    /// The `Type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            State::Task(_) => "Task",
            State::Pass(_) => "Pass",
            State::Choice(_) => "Choice",
            State::Wait(_) => "Wait",
            State::Succeed(_) => "Succeed",
            State::Fail(_) => "Fail",
            State::Parallel(_) => "Parallel",
            State::Map(_) => "Map",
        }
    }

    /// The state's `Next`, for states that have one.
    pub fn next(&self) -> Option<&str> {
        match self {
            State::Task(s) => s.next.as_deref(),
            State::Pass(s) => s.next.as_deref(),
            State::Wait(s) => s.next.as_deref(),
            State::Parallel(s) => s.next.as_deref(),
            State::Map(s) => s.next.as_deref(),
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }

    /// The state's `End`, for states that have one.
    pub fn end(&self) -> Option<bool> {
        match self {
            State::Task(s) => s.end,
            State::Pass(s) => s.end,
            State::Wait(s) => s.end,
            State::Parallel(s) => s.end,
            State::Map(s) => s.end,
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }

    /// Every state name this state can transition to within its own scope: `Next`, Choice
    /// targets and `Default`, and Catch targets.
    pub fn transitions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.next().into_iter().collect();
        match self {
            State::Choice(c) => {
                out.extend(c.choices.iter().filter_map(|r| r.next.as_deref()));
                out.extend(c.default.as_deref());
            }
            _ => out.extend(self.catch().iter().map(|c| c.next.as_str())),
        }
        out
    }

    /// The state's Retry list (empty for states without one).
    pub fn retry(&self) -> &[Retrier] {
        match self {
            State::Task(s) => &s.retry,
            State::Parallel(s) => &s.retry,
            State::Map(s) => &s.retry,
            _ => &[],
        }
    }

    /// The state's Catch list (empty for states without one).
    pub fn catch(&self) -> &[Catcher] {
        match self {
            State::Task(s) => &s.catch,
            State::Parallel(s) => &s.catch,
            State::Map(s) => &s.catch,
            _ => &[],
        }
    }

    /// The nested state machines of a Parallel (its branches) or Map (its processor), with
    /// the label used in messages (`Branches[0]`, `ItemProcessor`, `Iterator`).
    pub fn children(&self) -> Vec<(String, &Branch)> {
        match self {
            State::Parallel(p) => p
                .branches
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("Branches[{i}]"), b))
                .collect(),
            State::Map(m) => {
                let mut out = Vec::new();
                if let Some(p) = &m.item_processor {
                    out.push(("ItemProcessor".to_string(), p));
                }
                if let Some(p) = &m.iterator {
                    out.push(("Iterator".to_string(), p));
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// The state's own `QueryLanguage`, if it sets one.
    pub fn query_language(&self) -> Option<QueryLanguage> {
        match self {
            State::Task(s) => s.query_language,
            State::Pass(s) => s.query_language,
            State::Choice(s) => s.query_language,
            State::Wait(s) => s.query_language,
            State::Succeed(s) => s.query_language,
            State::Fail(s) => s.query_language,
            State::Parallel(s) => s.query_language,
            State::Map(s) => s.query_language,
        }
    }
}

/// A nested state machine: a Parallel branch, or a Map's ItemProcessor / Iterator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Branch {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The processor's mode and execution type (Map ItemProcessor only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_config: Option<ProcessorConfig>,
    /// Query language for the nested states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// The first state of the branch.
    pub start_at: String,
    /// The branch's states, by name.
    #[serde(deserialize_with = "deserialize_states")]
    pub states: States,
}

/// `ItemProcessor.ProcessorConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProcessorConfig {
    /// `INLINE` or `DISTRIBUTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `STANDARD` or `EXPRESS` (distributed mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_type: Option<String>,
}

/// One Retry rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Retrier {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The error names this rule matches.
    pub error_equals: Vec<String>,
    /// Seconds before the first retry (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<i64>,
    /// Maximum number of retries (default 3; 0 = never retry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<i64>,
    /// Multiplier of the interval per attempt (default 2.0, at least 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_rate: Option<serde_json::Number>,
    /// Upper bound of the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_delay_seconds: Option<i64>,
    /// `FULL` or `NONE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_strategy: Option<JitterStrategy>,
}

/// A Retry rule's `JitterStrategy`. Any other text parses as [`JitterStrategy::Other`],
/// so that validation (not parsing) reports it, with the rule's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JitterStrategy {
    /// `FULL`: each delay is drawn uniformly between 0 and the computed backoff.
    Full,
    /// `NONE`: the computed backoff exactly (the default).
    None,
    /// Any other text (invalid; [`validate`](crate::validate::validate) reports it).
    Other(String),
}

impl JitterStrategy {
    /// The ASL text.
    pub fn as_str(&self) -> &str {
        match self {
            JitterStrategy::Full => "FULL",
            JitterStrategy::None => "NONE",
            JitterStrategy::Other(text) => text,
        }
    }
}

impl From<String> for JitterStrategy {
    fn from(text: String) -> Self {
        match text.as_str() {
            "FULL" => JitterStrategy::Full,
            "NONE" => JitterStrategy::None,
            _ => JitterStrategy::Other(text),
        }
    }
}

impl Serialize for JitterStrategy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JitterStrategy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(JitterStrategy::from)
    }
}

/// One Catch rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Catcher {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The error names this rule matches.
    pub error_equals: Vec<String>,
    /// Where the error output goes in the state's input (JSONPath mode).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub result_path: NullablePath,
    /// Variables to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Value>,
    /// The output (JSONata mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// The state to go to.
    pub next: String,
}

/// A Task state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TaskState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// What runs: an ARN or a `${Placeholder}`.
    pub resource: String,
    /// Selects part of the input (JSONPath).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub input_path: NullablePath,
    /// The payload template sent to the resource (JSONPath).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// The arguments sent to the resource (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
    /// Cross-account role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    /// Reshapes the result before ResultPath.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_selector: Option<Value>,
    /// Where the result goes in the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub result_path: NullablePath,
    /// Selects part of the output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub output_path: NullablePath,
    /// The output (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Variables to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Value>,
    /// Task timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<Numeric>,
    /// Task timeout from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds_path: Option<String>,
    /// Heartbeat interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_seconds: Option<Numeric>,
    /// Heartbeat interval from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_seconds_path: Option<String>,
    /// Retry rules, tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    /// Catch rules, tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    /// The next state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Whether this state ends its scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<bool>,
}

/// A Pass state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PassState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// Selects part of the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub input_path: NullablePath,
    /// A payload template applied to the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// A fixed result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Where the result goes in the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub result_path: NullablePath,
    /// Selects part of the output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub output_path: NullablePath,
    /// The output (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Variables to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Value>,
    /// The next state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Whether this state ends its scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<bool>,
}

/// A Choice state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ChoiceState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// Selects part of the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub input_path: NullablePath,
    /// Selects part of the output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub output_path: NullablePath,
    /// The rules, tried in order.
    pub choices: Vec<ChoiceRule>,
    /// Where to go when no rule matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The output (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Variables to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Value>,
}

/// A Wait state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WaitState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// Selects part of the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub input_path: NullablePath,
    /// Selects part of the output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub output_path: NullablePath,
    /// Seconds to wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<Numeric>,
    /// Wait until this RFC 3339 timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Seconds to wait, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_path: Option<String>,
    /// Wait until the timestamp found in the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_path: Option<String>,
    /// The output (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Variables to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Value>,
    /// The next state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Whether this state ends its scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<bool>,
}

/// A Succeed state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SucceedState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// Selects part of the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub input_path: NullablePath,
    /// Selects part of the output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub output_path: NullablePath,
    /// The output (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
}

/// A Fail state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FailState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// The error name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error name, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_path: Option<String>,
    /// The cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The cause, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause_path: Option<String>,
}

/// A Parallel state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParallelState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// Selects part of the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub input_path: NullablePath,
    /// A payload template each branch receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// The arguments each branch receives (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
    /// The branches, run concurrently; their outputs form an array in this order.
    pub branches: Vec<Branch>,
    /// Reshapes the result before ResultPath.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_selector: Option<Value>,
    /// Where the result goes in the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub result_path: NullablePath,
    /// Selects part of the output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub output_path: NullablePath,
    /// The output (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Variables to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Value>,
    /// Retry rules, tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    /// Catch rules, tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    /// The next state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Whether this state ends its scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<bool>,
}

/// A Map state, inline or distributed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MapState {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Query language of this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// Selects part of the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub input_path: NullablePath,
    /// Where the items are in the input (JSONPath).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_path: Option<String>,
    /// The items (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Value>,
    /// Reads the items from S3 (distributed mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_reader: Option<ItemReader>,
    /// Reshapes each item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_selector: Option<Value>,
    /// Legacy name of ItemSelector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Groups items into batches (distributed mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_batcher: Option<ItemBatcher>,
    /// What runs for each item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_processor: Option<Branch>,
    /// Legacy name of ItemProcessor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterator: Option<Branch>,
    /// Upper bound of concurrent iterations (0 = unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<Numeric>,
    /// Upper bound of concurrent iterations, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency_path: Option<String>,
    /// Percentage of failed items tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerated_failure_percentage: Option<Numeric>,
    /// Percentage of failed items tolerated, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerated_failure_percentage_path: Option<String>,
    /// Number of failed items tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerated_failure_count: Option<Numeric>,
    /// Number of failed items tolerated, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerated_failure_count_path: Option<String>,
    /// Label of child executions (distributed mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Writes the results to S3 (distributed mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_writer: Option<ResultWriter>,
    /// Reshapes the result before ResultPath.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_selector: Option<Value>,
    /// Where the result goes in the input.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub result_path: NullablePath,
    /// Selects part of the output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub output_path: NullablePath,
    /// The output (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Variables to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Value>,
    /// Retry rules, tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    /// Catch rules, tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    /// The next state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Whether this state ends its scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<bool>,
}

impl MapState {
    /// The processor, whichever of `ItemProcessor` / legacy `Iterator` is set.
    pub fn processor(&self) -> Option<&Branch> {
        self.item_processor.as_ref().or(self.iterator.as_ref())
    }

    /// The item template, whichever of `ItemSelector` / legacy `Parameters` is set.
    pub fn selector(&self) -> Option<&Value> {
        self.item_selector.as_ref().or(self.parameters.as_ref())
    }

    /// Whether the Map runs in distributed mode.
    pub fn is_distributed(&self) -> bool {
        self.processor()
            .and_then(|p| p.processor_config.as_ref())
            .and_then(|c| c.mode.as_deref())
            == Some("DISTRIBUTED")
    }
}

/// `Map.ItemReader`: where a distributed Map reads its items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ItemReader {
    /// e.g. `arn:aws:states:::s3:getObject` or `arn:aws:states:::s3:listObjectsV2`.
    pub resource: String,
    /// How to read the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_config: Option<ReaderConfig>,
    /// Bucket and key (JSONPath).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Bucket and key (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
}

/// `ItemReader.ReaderConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ReaderConfig {
    /// `JSON`, `JSONL`, `CSV`, `MANIFEST`, `PARQUET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    /// `FIRST_ROW` or `GIVEN`.
    #[serde(
        default,
        rename = "CSVHeaderLocation",
        skip_serializing_if = "Option::is_none"
    )]
    pub csv_header_location: Option<String>,
    /// Header names when `CSVHeaderLocation` is `GIVEN`.
    #[serde(
        default,
        rename = "CSVHeaders",
        skip_serializing_if = "Option::is_none"
    )]
    pub csv_headers: Option<Vec<String>>,
    /// `COMMA`, `PIPE`, `SEMICOLON`, `SPACE`, `TAB`.
    #[serde(
        default,
        rename = "CSVDelimiter",
        skip_serializing_if = "Option::is_none"
    )]
    pub csv_delimiter: Option<String>,
    /// Maximum number of items read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<Numeric>,
    /// Maximum number of items read, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items_path: Option<String>,
    /// The manifest type for `MANIFEST` input (e.g. `S3_INVENTORY`, `ATHENA_DATA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_type: Option<String>,
}

/// `Map.ItemBatcher`: groups items into batches.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ItemBatcher {
    /// Items per batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items_per_batch: Option<Numeric>,
    /// Items per batch, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items_per_batch_path: Option<String>,
    /// Bytes per batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_bytes_per_batch: Option<Numeric>,
    /// Bytes per batch, from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_bytes_per_batch_path: Option<String>,
    /// Fixed input added to every batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_input: Option<Value>,
}

/// `Map.ResultWriter`: writes the results of a distributed Map to S3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResultWriter {
    /// `arn:aws:states:::s3:putObject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Bucket and prefix (JSONPath).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Bucket and prefix (JSONata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
    /// Output format and transformation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer_config: Option<Value>,
}
