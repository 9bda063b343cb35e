//! JSONata in the builder: [`Jsonata`] expressions, the JSONata fields of each state
//! builder (`arguments`, `output`, `assign`, `items`, `.jsonata()` for one state) and
//! [`Condition::jsonata`]. A whole workflow chooses JSONata with
//! [`Workflow::jsonata`](crate::workflow::Workflow::jsonata).
//!
//! Templates are plain JSON values in which a [`Jsonata`] (or any `"{% … %}"` string)
//! is an expression; [`compile`](super::compile) validates the result, so an expression
//! that does not parse fails the build with the state, the field and the position.

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::condition::Condition;
use super::retry::Catch;
use super::state_builders::{Choice, Fail, Map, Parallel, Pass, Succeed, Task, Wait};
use crate::asl::{ChoiceRule, QueryLanguage};

/// A JSONata expression, written as Step Functions wants it in a template: `{% text %}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jsonata(String);

impl Jsonata {
    /// The expression `text` (without the `{% %}`), e.g. `$states.input.orderId`.
    pub fn expr(text: impl AsRef<str>) -> Self {
        Jsonata(format!("{{% {} %}}", text.as_ref().trim()))
    }

    /// The template string, `{% text %}`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Serialises as its template string, so a [`Jsonata`] can sit anywhere in `json!`.
impl Serialize for Jsonata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl From<Jsonata> for Value {
    fn from(expr: Jsonata) -> Value {
        Value::String(expr.0)
    }
}

impl From<Jsonata> for String {
    fn from(expr: Jsonata) -> String {
        expr.0
    }
}

impl Condition {
    /// A JSONata `Condition` (the expression must evaluate to a boolean); for states in
    /// JSONata mode.
    pub fn jsonata(expr: Jsonata) -> Self {
        Condition(ChoiceRule {
            condition: Some(expr.into()),
            ..ChoiceRule::default()
        })
    }
}

impl Catch {
    /// The Catch rule's output (JSONata mode), a template over `$states.errorOutput` and
    /// `$states.input` (default: the error output).
    pub fn output(mut self, template: impl Into<Value>) -> Self {
        self.output = Some(template.into());
        self
    }

    /// Variables the Catch rule assigns (a template; JSONPath `.$` keys or JSONata
    /// expressions, by the state's language).
    pub fn assign(mut self, template: impl Into<Value>) -> Self {
        self.assign = Some(template.into());
        self
    }
}

/// `.jsonata()`, `.output()` and `.assign()` for the states that have them.
macro_rules! jsonata_methods {
    ($($ty:ident),*) => {$(
        impl $ty {
            /// Runs this state in JSONata mode (`"QueryLanguage": "JSONata"`).
            pub fn jsonata(mut self) -> Self {
                self.state.query_language = Some(QueryLanguage::Jsonata);
                self
            }

            /// The state's output (JSONata mode): a template over `$states.input`,
            /// `$states.result` and the variables.
            pub fn output(mut self, template: impl Into<Value>) -> Self {
                self.state.output = Some(template.into());
                self
            }

            /// Variables the state assigns (a template; they are visible from the next
            /// state on).
            pub fn assign(mut self, template: impl Into<Value>) -> Self {
                self.state.assign = Some(template.into());
                self
            }
        }
    )*};
}

jsonata_methods!(Task, Pass, Choice, Wait, Parallel, Map);

impl Succeed {
    /// Runs this state in JSONata mode (`"QueryLanguage": "JSONata"`).
    pub fn jsonata(mut self) -> Self {
        self.state.query_language = Some(QueryLanguage::Jsonata);
        self
    }

    /// The execution's (or branch's) output (JSONata mode).
    pub fn output(mut self, template: impl Into<Value>) -> Self {
        self.state.output = Some(template.into());
        self
    }
}

impl Fail {
    /// Runs this state in JSONata mode: its `Error` and `Cause` may be [`Jsonata`]
    /// expressions.
    pub fn jsonata(mut self) -> Self {
        self.state.query_language = Some(QueryLanguage::Jsonata);
        self
    }
}

impl Task {
    /// What the task receives (JSONata mode): a template over `$states.input` and the
    /// variables.
    pub fn arguments(mut self, template: impl Into<Value>) -> Self {
        self.state.arguments = Some(template.into());
        self
    }
}

impl Parallel {
    /// What every branch receives (JSONata mode).
    pub fn arguments(mut self, template: impl Into<Value>) -> Self {
        self.state.arguments = Some(template.into());
        self
    }
}

impl Map {
    /// The items (JSONata mode): an array, or an expression giving one (default: the
    /// state's input).
    pub fn items(mut self, items: impl Into<Value>) -> Self {
        self.state.items = Some(items.into());
        self
    }
}
