//! Parsing ASL documents into the model, with messages that name the state and field.
//!
//! Each state is decoded on its own, so one bad state does not hide the problems of the
//! others, and every message reads `State "X": Field[0].Sub: what is wrong`.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::choice::kind_of;
use super::{State, StateMachine, States};

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// The root document (StartAt, top-level fields).
    TopLevel,
    /// A state, by name (names are unique across the whole machine).
    State(String),
}

/// One problem in a document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Problem {
    /// Where it is.
    pub location: Location,
    /// What is wrong, with the field path first when there is one.
    pub message: String,
}

impl Problem {
    /// A problem of the root document.
    pub fn top(message: impl Into<String>) -> Self {
        Problem {
            location: Location::TopLevel,
            message: message.into(),
        }
    }

    /// A problem of the state `name`.
    pub fn state(name: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            location: Location::State(name.into()),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::TopLevel => write!(f, "Top level: {}", self.message),
            Location::State(name) => write!(f, "State \"{name}\": {}", self.message),
        }
    }
}

/// The largest definition Step Functions accepts: 1 MB (1,048,576 bytes of UTF-8).
pub const MAX_DEFINITION_BYTES: usize = 1_048_576;

/// The problem of a definition of `len` bytes, over [`MAX_DEFINITION_BYTES`].
pub fn too_large(len: usize) -> Problem {
    Problem::top(format!(
        "the definition is {len} bytes; Step Functions accepts at most {MAX_DEFINITION_BYTES} bytes (1 MB)"
    ))
}

/// A document that could not be parsed into the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", join_lines(.problems))]
pub struct ParseError {
    /// Every problem found, in document order.
    pub problems: Vec<Problem>,
}

fn join_lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

const TOP_LEVEL_FIELDS: &[&str] = &[
    "Comment",
    "QueryLanguage",
    "StartAt",
    "States",
    "TimeoutSeconds",
    "Version",
];

/// Parses an ASL document from JSON text.
pub fn from_json(text: &str) -> Result<StateMachine, ParseError> {
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(ParseError {
            problems: vec![too_large(text.len())],
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError {
        problems: vec![Problem::top(format!(
            "invalid JSON: {}",
            crate::wording::plain(&e.to_string())
        ))],
    })?;
    from_value(value)
}

/// Parses an ASL document from a JSON value.
pub fn from_value(value: Value) -> Result<StateMachine, ParseError> {
    let Value::Object(root) = &value else {
        return Err(ParseError {
            problems: vec![Problem::top(format!(
                "expected a JSON object, found {}",
                kind_of(&value)
            ))],
        });
    };
    let mut problems = Vec::new();
    for key in root.keys() {
        if !TOP_LEVEL_FIELDS.contains(&key.as_str()) {
            problems.push(Problem::top(format!("unknown field \"{key}\"")));
        }
    }
    for field in ["StartAt", "States"] {
        if !root.contains_key(field) {
            problems.push(Problem::top(format!("missing field \"{field}\"")));
        }
    }
    if let Some(Value::Object(states)) = root.get("States") {
        collect_state_problems(states, &mut problems);
    }
    if !problems.is_empty() {
        return Err(ParseError { problems });
    }
    serde_path_to_error::deserialize::<_, StateMachine>(value).map_err(|e| {
        let message = describe(&e.path().to_string(), &e.inner().to_string());
        ParseError {
            problems: vec![problem_from_message(Location::TopLevel, message)],
        }
    })
}

/// Parses every state of a `States` object on its own, recording each failure.
fn collect_state_problems(states: &Map<String, Value>, problems: &mut Vec<Problem>) {
    for (name, value) in states {
        if let Err(message) = State::from_value(value.clone()) {
            problems.push(problem_from_message(Location::State(name.clone()), message));
        }
    }
}

/// Turns a message into a problem, recognising messages that already name a (nested)
/// state.
fn problem_from_message(default: Location, message: String) -> Problem {
    if let Some(rest) = message.strip_prefix("State \"")
        && let Some((name, msg)) = rest.split_once("\": ")
    {
        return Problem::state(name, msg);
    }
    Problem {
        location: default,
        message,
    }
}

/// Deserialises a `States` map, prefixing each state's problem with its name.
pub(crate) fn deserialize_states<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<States, D::Error> {
    let raw = indexmap::IndexMap::<String, Value>::deserialize(deserializer)?;
    let mut states = States::with_capacity(raw.len());
    for (name, value) in raw {
        match State::from_value(value) {
            Ok(state) => {
                states.insert(name, state);
            }
            Err(message) if message.starts_with("State \"") => {
                return Err(D::Error::custom(message));
            }
            Err(message) => return Err(D::Error::custom(format!("State \"{name}\": {message}"))),
        }
    }
    Ok(states)
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        State::from_value(Value::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

impl State {
    /// Decodes one state from JSON. The error is a message without the state's name
    /// (or, for a problem in a nested state, a message starting with that state's name).
    pub fn from_value(value: Value) -> Result<State, String> {
        let Value::Object(mut map) = value else {
            return Err(format!(
                "expected a state object, found {}",
                kind_of(&value)
            ));
        };
        let type_name = match map.remove("Type") {
            None => return Err("missing field \"Type\"".into()),
            Some(Value::String(t)) => t,
            Some(other) => {
                return Err(format!(
                    "Type: expected a string, found {}",
                    kind_of(&other)
                ));
            }
        };
        let body = Value::Object(map);
        Ok(match type_name.as_str() {
            "Task" => State::Task(Box::new(decode(body)?)),
            "Pass" => State::Pass(decode(body)?),
            "Choice" => State::Choice(decode(body)?),
            "Wait" => State::Wait(decode(body)?),
            "Succeed" => State::Succeed(decode(body)?),
            "Fail" => State::Fail(decode(body)?),
            "Parallel" => State::Parallel(Box::new(decode(body)?)),
            "Map" => State::Map(Box::new(decode(body)?)),
            other => return Err(format!("unknown Type \"{other}\"")),
        })
    }
}

fn decode<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(body)
        .map_err(|e| describe(&e.path().to_string(), &e.inner().to_string()))
}

/// `path: message`, with serde's wording made to match the rest of Stepwise's messages.
fn describe(path: &str, inner: &str) -> String {
    if inner.starts_with("State \"") {
        return inner.to_string();
    }
    let message = tidy(inner);
    // serde_path_to_error ends the path of an unknown field with the field itself.
    let path = match message.strip_prefix("unknown field \"") {
        Some(rest) => {
            let field = rest.trim_end_matches('"');
            let trimmed = path.strip_suffix(field).unwrap_or(path);
            trimmed.strip_suffix('.').unwrap_or(trimmed)
        }
        None => path,
    };
    if path.is_empty() || path == "." {
        message
    } else {
        format!("{path}: {message}")
    }
}

fn tidy(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("unknown field \"{name}\"");
    }
    if message.starts_with("data did not match any variant of untagged enum Numeric") {
        return "expected a number".into();
    }
    crate::wording::plain(message)
}
