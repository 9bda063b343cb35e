//! `activities`: every pipeline step as a small typed Rust activity.
//!
//! An activity is a type implementing [`Activity`]: its definition (name, typed input and
//! output, error names — [`ActivityDef`], shared with the code generator) plus an async
//! `run`. The [`Registry`] calls any activity by name with a JSON value through the same
//! serde boundary Lambda uses, so the in-process executor and tests exercise exactly what
//! a deployed function would receive. This crate knows nothing of `codegen` or `sfn-local`.

mod activity;
pub mod aws;
pub mod config;
mod context;
pub mod embed_image;
mod error;
pub mod lambda;
pub mod logging;
pub mod orders;
pub mod params;
pub mod query_sales;
pub mod record_progress;
mod registry;
pub mod sales;
pub mod write_partition;

pub use activity::Activity;
pub use context::{Context, Services};
pub use error::ActivityError;
pub use registry::{Registry, UNKNOWN_ACTIVITY, all};
pub use stepwise_contract::{ActivityDef, ActivityInfo, ErrorName, errors};
