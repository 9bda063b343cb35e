//! Pipeline configuration: the typed configuration of the daily-sales-export pipeline
//! ([`PipelineConfig`], stored as JSON in an SSM `SecureString` parameter) and the
//! [`LoadConfig`] activity that reads it at the start of an execution.
//!
//! The configuration holds a secret (the database URL with its password). It is read
//! through the process-wide parameter cache ([`stepwise_runtime::params`]) and leaves this module
//! only as [`PipelineSettings`], which has no secret: Step Functions' execution history
//! (every state's input and output) is visible to anyone who can read the state machine,
//! so a secret must never travel through it. Steps that need the secret re-read it with
//! [`PipelineConfig::load`] and the parameter name the settings carry.
//!
//! This module must not put a secret into an output, a log line or an error message.

mod load_config;
mod pipeline;

pub use load_config::{LoadConfig, LoadConfigInput};
pub use pipeline::{MAX_EMBED_CONCURRENCY, PipelineConfig, PipelineSettings};
pub use stepwise_embeddings::{BedrockConfig, ImageLimits};
