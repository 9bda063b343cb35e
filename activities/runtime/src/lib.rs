//! `stepwise-runtime`: what every activity runs on, and nothing of any pipeline.
//!
//! An activity is a type implementing [`Activity`]: its definition (name, typed input and
//! output, error names — [`ActivityDef`], shared with the code generator) plus an async
//! `run`. The [`Registry`] calls any activity by name with a JSON value through the same
//! serde boundary Lambda uses, so the in-process executor and tests exercise exactly what
//! a deployed function would receive. Beside them: the Lambda adapter ([`lambda`]),
//! logging ([`logging`]), the SSM parameter cache ([`params`]), the AWS context and the
//! one table from SDK errors to error names ([`aws`]).
//!
//! This crate must not import a pipeline crate or their heavy dependencies (arrow,
//! parquet, sqlx, image): cargo enforces the first (pipelines depend on it, so it cannot
//! depend on them), review the second. It knows nothing of `codegen` or `sfn-local`.

mod activity;
pub mod aws;
mod constraints;
mod context;
mod error;
pub mod lambda;
pub mod logging;
pub mod params;
mod registry;
#[cfg(test)]
mod testing;

pub use activity::Activity;
pub use constraints::Constraints;
pub use context::{Context, Services};
pub use error::ActivityError;
pub use registry::{DecodeError, Registry, UNKNOWN_ACTIVITY, decode, decode_json};
pub use stepwise_contract::{ActivityDef, ActivityInfo, ErrorName, errors};
