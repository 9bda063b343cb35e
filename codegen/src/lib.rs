//! `codegen`: the Amazon States Language model, the workflow builder, validation,
//! typed data-flow checks and the emitters (ASL JSON, Mermaid, JSON Schema,
//! stepfunctions-local mock config).
//!
//! This crate knows activities only through [`stepwise_contract::ActivityDef`]; it never
//! runs them and never talks to AWS.

pub mod asl;
pub mod builder;
pub mod dataflow;
pub mod emit;
pub mod errors;
pub mod intrinsic;
pub mod path;
pub mod validate;
pub mod wording;
pub mod workflow;
