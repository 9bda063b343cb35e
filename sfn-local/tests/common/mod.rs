//! What the issue-11 regression tests share: a runner for machines without tasks (or
//! whose tasks echo their input) and a one-call `run`.

#![allow(dead_code)]

pub mod memory;

use std::sync::Arc;

use codegen::asl::StateMachine;
use serde_json::Value;
use sfn_local::{Options, Outcome, StartError, TaskFuture, TaskRequest, TaskRunner, execute};

/// Answers every Task with its input.
pub struct Echo;

impl TaskRunner for Echo {
    fn check(&self, _state: &str, _resource: &str) -> Result<(), String> {
        Ok(())
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move { Ok(request.input) })
    }
}

/// Runs `doc` on `input` in virtual time with a fixed seed.
pub async fn run(doc: Value, input: Value) -> Result<Outcome, StartError> {
    let machine = codegen::asl::from_value(doc).expect("the test's definition parses");
    run_machine(&machine, input).await
}

/// Runs `machine` on `input` in virtual time with a fixed seed.
pub async fn run_machine(machine: &StateMachine, input: Value) -> Result<Outcome, StartError> {
    let options = Options {
        virtual_time: true,
        seed: Some(11),
        ..Options::default()
    };
    execute(machine, input, Arc::new(Echo), options).await
}
