//! `codegen`: the Amazon States Language model, the workflow builder, validation,
//! typed data-flow checks and the emitters (ASL JSON, Mermaid, JSON Schema,
//! stepfunctions-local mock config) and the triggers a deployment creates (schedules);
//! [`integration`] is what it knows of Step Functions' service integrations (their
//! resources, patterns and documented result shapes).
//!
//! This crate knows activities only through [`stepwise_contract::ActivityDef`]; it never
//! runs them and never talks to AWS.
//!
//! # Where evaluation lives
//!
//! This crate holds the *language*: its syntax and the pure meaning of its expressions.
//! JSONPath evaluation ([`path::JsonPath::select_with`], [`path::JsonPath::assign`])
//! stays here, beside the parser, on purpose: which paths are reference paths or
//! definite, what a path selects and how `ResultPath` writes are one set of Jayway rules
//! over one AST, and the validator and the data-flow check ask the static half of the
//! same questions; splitting them across crates would let the two halves drift. The
//! evaluator is a pure function of a document, the context object and the variables —
//! no clock, no randomness, no I/O — so it costs `codegen` no dependency.
//!
//! What needs the world at run time lives in `sfn-local`: the context object's values,
//! the variables' lifetimes, Step Functions' error names for failed selections, and the
//! intrinsic functions' evaluation (hashes, UUIDs, randomness, Base64), whose parser
//! ([`intrinsic`]) is here for validation only.

pub mod asl;
pub mod builder;
pub mod dataflow;
pub mod emit;
pub mod errors;
pub mod integration;
pub mod intrinsic;
pub mod path;
pub mod placeholder;
pub mod resources;
pub mod trigger;
pub mod validate;
pub mod wording;
pub mod workflow;
