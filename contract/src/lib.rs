//! The contract that activities and the code generator share, and nothing else.
//!
//! An activity's *definition* — its ASL-visible name, its typed input and output and the
//! error names it can fail with — lives here as the [`ActivityDef`] trait, so that
//! `codegen` can build Task states from activity types without depending on the
//! `activities` crate (which carries the AWS SDK and the runtimes). Running an activity is
//! `activities`' business; this crate must not grow runtime concerns.

use std::fmt;

pub mod deploy;
pub mod wording;

pub use deploy::Deployment;
use schemars::{JsonSchema, generate::SchemaSettings};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

/// The name of an error as Step Functions sees it (`Error` in ASL, `ErrorEquals` in
/// Retry and Catch).
///
/// Workflows refer to errors through constants of this type (see [`errors`] and each
/// activity's own constants), never through string literals.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorName(&'static str);

impl ErrorName {
    /// Declares an error name. Use it to define constants, not at call sites.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The name as it appears in ASL.
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrorName({})", self.0)
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The error names every activity may fail with.
pub mod errors {
    use super::ErrorName;

    /// The input could not be decoded or is invalid. Never retried.
    pub const INVALID_INPUT: ErrorName = ErrorName::new("InvalidInput");
    /// A downstream service throttled the call. Retried with backoff by the state machine.
    pub const THROTTLED: ErrorName = ErrorName::new("Throttled");
    /// A transient fault (timeout, 5xx, connection reset). Retried by the state machine.
    pub const TRANSIENT: ErrorName = ErrorName::new("Transient");
    /// Something the input refers to does not exist.
    pub const NOT_FOUND: ErrorName = ErrorName::new("NotFound");
    /// A failure that retrying will not fix.
    pub const PERMANENT: ErrorName = ErrorName::new("Permanent");

    /// Every standard name, in a stable order.
    pub const STANDARD: &[ErrorName] = &[INVALID_INPUT, THROTTLED, TRANSIENT, NOT_FOUND, PERMANENT];
}

/// The definition of an activity: what a workflow needs to know to call it.
///
/// The `activities` crate extends this with the code that runs it. Implementations are
/// types (usually unit structs), so a workflow names an activity by its type and the
/// name, schemas and error names follow from it.
pub trait ActivityDef {
    /// The name Step Functions and the runtimes use (`${NAME}` placeholder, Lambda
    /// handler, registry key). PascalCase, unique across the project.
    const NAME: &'static str;
    /// Error names specific to this activity, beyond [`errors::STANDARD`].
    const ERRORS: &'static [ErrorName] = &[];
    /// What its Lambda function needs: memory, timeout and the IAM permissions the code
    /// uses. Declared here, next to the code, so deployment grants exactly these.
    const DEPLOYMENT: Deployment = Deployment::DEFAULT;
    /// What the activity receives. Unknown fields must be rejected
    /// (`#[serde(deny_unknown_fields)]`).
    type Input: DeserializeOwned + Serialize + JsonSchema;
    /// What the activity returns.
    type Output: DeserializeOwned + Serialize + JsonSchema;

    /// Every error name this activity can fail with: the standard ones, then its own.
    fn error_names() -> Vec<ErrorName> {
        let mut names = errors::STANDARD.to_vec();
        names.extend(
            Self::ERRORS
                .iter()
                .copied()
                .filter(|n| !errors::STANDARD.contains(n)),
        );
        names
    }

    /// The JSON Schema of [`ActivityDef::Input`], subschemas inlined.
    fn input_schema() -> Value {
        schema_of::<Self::Input>()
    }

    /// The JSON Schema of [`ActivityDef::Output`], subschemas inlined.
    fn output_schema() -> Value {
        schema_of::<Self::Output>()
    }
}

/// The JSON Schema (draft-07, subschemas inlined) of a type, as every part of Stepwise
/// emits and reads it.
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft07()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// A description of an activity that does not depend on its type: what listings,
/// registries and emitters carry around.
#[derive(Debug, Clone)]
pub struct ActivityInfo {
    /// [`ActivityDef::NAME`].
    pub name: &'static str,
    /// [`ActivityDef::error_names`].
    pub errors: Vec<ErrorName>,
    /// [`ActivityDef::input_schema`].
    pub input_schema: Value,
    /// [`ActivityDef::output_schema`].
    pub output_schema: Value,
    /// [`ActivityDef::DEPLOYMENT`].
    pub deployment: Deployment,
}

impl ActivityInfo {
    /// Describes the activity `A`.
    pub fn of<A: ActivityDef + ?Sized>() -> Self {
        Self {
            name: A::NAME,
            errors: A::error_names(),
            input_schema: A::input_schema(),
            output_schema: A::output_schema(),
            deployment: A::DEPLOYMENT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct In {
        inner: Inner,
    }
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Inner {
        n: u32,
    }

    struct Demo;
    const DEMO_FAILED: ErrorName = ErrorName::new("DemoFailed");
    impl ActivityDef for Demo {
        const NAME: &'static str = "Demo";
        const ERRORS: &'static [ErrorName] = &[DEMO_FAILED, errors::THROTTLED];
        type Input = In;
        type Output = Inner;
    }

    #[test]
    fn error_names_are_standard_then_own_without_duplicates() {
        let names: Vec<_> = Demo::error_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "InvalidInput",
                "Throttled",
                "Transient",
                "NotFound",
                "Permanent",
                "DemoFailed"
            ]
        );
    }

    #[test]
    fn schemas_inline_nested_types() {
        let schema = Demo::input_schema();
        assert_eq!(
            schema["properties"]["inner"]["properties"]["n"]["type"],
            "integer"
        );
        assert_eq!(schema["additionalProperties"], false);
        assert!(schema.get("$defs").is_none() && schema.get("definitions").is_none());
    }
}
