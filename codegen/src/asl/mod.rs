//! The Amazon States Language model: serde types for every part of an ASL document.
//!
//! The model is faithful rather than clever: every field a document can carry has a
//! place here, nothing is normalised away, and serialising a parsed document gives back
//! an equal JSON value (`stepwise fmt`). Unknown fields are errors that name the state and
//! the field (the `parse` module). Rules that need more than one field at a time (transitions,
//! ranges, exclusive pairs) belong to [`crate::validate`], not here.
//!
//! Strings are plain `String`s wherever ASL allows a string, so definition-substitution
//! placeholders (`${Name}`) are valid anywhere a string is.

mod choice;
mod parse;
mod serde_util;
mod states;

pub use choice::{ChoiceRule, Comparison, ComparisonOp, OperandKind};
pub use parse::{
    Location, MAX_DEFINITION_BYTES, ParseError, Problem, from_json, from_value, too_large,
};
pub use states::*;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// An ordered map of state names to states (definition order is kept when emitting).
pub type States = IndexMap<String, State>;

/// A complete state machine definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StateMachine {
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `JSONPath` (default) or `JSONata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    /// The name of the first state.
    pub start_at: String,
    /// The states, by name.
    #[serde(deserialize_with = "parse::deserialize_states")]
    pub states: States,
    /// Maximum run time of an execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// ASL version, `"1.0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl StateMachine {
    /// The canonical JSON form: stable key order, pretty-printed, trailing newline.
    pub fn to_pretty_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("the ASL model always serialises: it holds only JSON-compatible data");
        text.push('\n');
        text
    }

    /// The model as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .expect("the ASL model always serialises: it holds only JSON-compatible data")
    }
}

/// The query language of a document or state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryLanguage {
    /// JSONPath mode (InputPath, Parameters, ResultPath, ...).
    #[serde(rename = "JSONPath")]
    JsonPath,
    /// JSONata mode (Arguments, Output, Condition, `{% %}` expressions).
    #[serde(rename = "JSONata")]
    Jsonata,
}

#[cfg(test)]
mod tests;
