//! The in-process registry: call any activity by name with a JSON value, through the same
//! serde boundary (decode → run → encode) a Lambda invocation goes through.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::Value;
use stepwise_contract::wording::user_wording;
use stepwise_contract::{ActivityInfo, ErrorName};

use crate::constraints::Constraints;
use crate::{Activity, ActivityError, Context};

/// The error name of a call to an activity the registry does not have.
pub const UNKNOWN_ACTIVITY: ErrorName = ErrorName::new("UnknownActivity");

type Invocation<'a> = Pin<Box<dyn Future<Output = Result<Value, ActivityError>> + Send + 'a>>;

/// An activity with its types erased to JSON.
trait Erased: Send + Sync {
    fn info(&self) -> ActivityInfo;
    fn call<'a>(&'a self, input: Value, ctx: &'a Context) -> Invocation<'a>;
}

struct Adapter<A> {
    activity: A,
    /// The input schema's constraints, compiled on first use.
    constraints: OnceLock<Result<Constraints, String>>,
}

impl<A: Activity> Adapter<A> {
    /// Checks what serde does not: the input schema's ranges, lengths, patterns, enums.
    fn check_constraints(&self, input: &Value) -> Result<(), ActivityError> {
        match self
            .constraints
            .get_or_init(|| Constraints::of(&A::input_schema()))
        {
            Ok(constraints) => constraints.check(input),
            Err(why) => Err(ActivityError::permanent(format!(
                "activity {} publishes an input schema that does not compile: {why}",
                A::NAME
            ))),
        }
    }
}

impl<A: Activity> Erased for Adapter<A> {
    fn info(&self) -> ActivityInfo {
        ActivityInfo::of::<A>()
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a Context) -> Invocation<'a> {
        Box::pin(async move {
            // Types and unknown fields first (serde names them best), then the
            // constraints the schema publishes, on the same document.
            let typed: A::Input = decode_ref(&input)?;
            self.check_constraints(&input)?;
            drop(input);
            let output = self.activity.run(typed, ctx).await?;
            serde_json::to_value(output).map_err(|e| {
                ActivityError::permanent(format!(
                    "{} produced output that is not JSON: {e}",
                    A::NAME
                ))
            })
        })
    }
}

/// Decodes an activity input, naming the offending field on failure (`InvalidInput`).
pub fn decode<T: DeserializeOwned>(input: Value) -> Result<T, ActivityError> {
    decode_json(input).map_err(invalid_input)
}

/// [`decode`] from a borrowed document. The document is decoded directly first; only a
/// document that fails is decoded again through `serde_path_to_error`, which names the
/// field (tracking the path costs a wrapper per value, a thousand for an embedding).
fn decode_ref<T: DeserializeOwned>(input: &Value) -> Result<T, ActivityError> {
    match T::deserialize(input) {
        Ok(typed) => Ok(typed),
        Err(_) => serde_path_to_error::deserialize(input)
            .map_err(decode_error)
            .map_err(invalid_input),
    }
}

fn invalid_input(e: DecodeError) -> ActivityError {
    match e.path {
        None => ActivityError::invalid_input(format!("input: {}", e.message)),
        Some(path) => {
            ActivityError::invalid_input(format!("input field \"{path}\": {}", e.message))
        }
    }
}

/// Why a JSON value did not decode: where, and what is wrong there in a user's words
/// ([`stepwise_contract::wording`]: what the field accepts and what it got, no Rust type names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The offending field's path (`items[0].quantity`), `None` for the document itself.
    pub path: Option<String>,
    /// What is wrong there.
    pub message: String,
}

/// Decodes any JSON document (an input, a configuration), reporting the field path of a
/// failure. The message can quote the offending value; callers decoding secrets must
/// scrub it.
pub fn decode_json<T: DeserializeOwned>(value: Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(decode_error)
}

fn decode_error(e: serde_path_to_error::Error<serde_json::Error>) -> DecodeError {
    let path = e.path().to_string();
    DecodeError {
        path: (path != ".").then_some(path),
        message: user_wording(&e.inner().to_string()),
    }
}

/// Activities by name.
#[derive(Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, Arc<dyn Erased>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries.keys()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an activity (replacing one with the same name).
    pub fn with<A: Activity>(mut self, activity: A) -> Self {
        self.register(activity);
        self
    }

    /// Adds an activity (replacing one with the same name).
    pub fn register<A: Activity>(&mut self, activity: A) {
        self.entries.insert(
            A::NAME,
            Arc::new(Adapter {
                activity,
                constraints: OnceLock::new(),
            }),
        );
    }

    /// Whether an activity called `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.keys().copied().collect()
    }

    /// The definition of the activity called `name`.
    pub fn info(&self, name: &str) -> Option<ActivityInfo> {
        self.entries.get(name).map(|e| e.info())
    }

    /// Every definition, sorted by name.
    pub fn infos(&self) -> Vec<ActivityInfo> {
        self.entries.values().map(|e| e.info()).collect()
    }

    /// Runs the activity called `name` on a JSON input and returns its JSON output.
    /// Input that does not decode fails with `InvalidInput` naming the field; an unknown
    /// name fails with [`UNKNOWN_ACTIVITY`].
    pub async fn invoke(
        &self,
        name: &str,
        input: Value,
        ctx: &Context,
    ) -> Result<Value, ActivityError> {
        match self.entries.get(name) {
            Some(entry) => entry.call(input, ctx).await,
            None => Err(ActivityError::new(
                UNKNOWN_ACTIVITY,
                format!(
                    "no activity named \"{name}\" (known: {})",
                    self.names().join(", ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn invokes_by_name_through_the_serde_boundary() {
        let out = crate::testing::registry()
            .invoke(
                "LineTotal",
                json!({"sku": "A", "quantity": 3, "unit_price_cents": 250}),
                &Context::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            out,
            json!({"sku": "A", "quantity": 3, "line_total_cents": 750})
        );
    }

    #[tokio::test]
    async fn bad_input_names_the_field() {
        let err = crate::testing::registry()
            .invoke(
                "LineTotal",
                json!({"sku": "A", "quantity": "3", "unit_price_cents": 250}),
                &Context::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(
            err.cause
                .starts_with("input field \"quantity\": expected a non-negative integer up to 4294967295, got \"3\""),
            "{}",
            err.cause
        );
    }

    #[tokio::test]
    async fn misspelled_fields_are_rejected_not_defaulted() {
        let err = crate::testing::registry()
            .invoke(
                "LineTotal",
                json!({"sku": "A", "quantity": 1, "unit_price_cents": 1, "discount_percnt": 10}),
                &Context::default(),
            )
            .await
            .unwrap_err();
        assert!(
            err.cause.contains("unknown field \"discount_percnt\""),
            "{}",
            err.cause
        );
    }

    #[tokio::test]
    async fn unknown_activities_fail_with_their_own_name() {
        let err = crate::testing::registry()
            .invoke("Nope", json!({}), &Context::default())
            .await
            .unwrap_err();
        assert_eq!(err.name, UNKNOWN_ACTIVITY);
        assert!(err.cause.contains("LineTotal"), "{}", err.cause);
    }
}
