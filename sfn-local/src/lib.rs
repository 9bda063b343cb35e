//! `sfn-local`: the in-process ASL executor.
//!
//! It runs the exact ASL that gets deployed (JSONPath mode), with the real activities
//! called in-process through `stepwise_runtime::Registry` ([`RegistryTasks`]), Step Functions'
//! input/output processing, error names, retries, catches, Map and Parallel concurrency,
//! payload and history limits, virtual time, stepfunctions-local mock configs
//! ([`MockConfig`]) and fault injection ([`Faults`]), and an execution history in Step
//! Functions' vocabulary ([`history`]).
//!
//! ```no_run
//! # async fn demo(machine: codegen::asl::StateMachine, registry: stepwise_runtime::Registry) {
//! use std::sync::Arc;
//! use sfn_local::{Options, RegistryTasks, execute};
//!
//! // `registry`: the activities to run, e.g. `stepwise_lambda::all()` for every one.
//! let tasks = Arc::new(RegistryTasks::new(registry, stepwise_runtime::Services::shared()));
//! let options = Options { virtual_time: true, ..Options::default() };
//! let outcome = execute(&machine, serde_json::json!({}), tasks, options).await.expect("starts");
//! println!("{:?} {:?}", outcome.status, outcome.output);
//! # }
//! ```

mod choice;
pub mod clock;
mod distributed;
mod executor;
mod failure;
pub mod history;
pub mod intrinsics;
mod io;
mod mock;
pub mod progress;
mod tasks;

pub use executor::{
    Arns, Inspection, Options, Outcome, Progress, StartError, Status, TestOutcome, TestStatus,
    execute, redrive, redrive_point, test_state,
};
pub use failure::{Failure, matches};
pub use io::{PAYLOAD_LIMIT, serialized_len};
pub use mock::{Answer, Fault, Faults, MockConfig, MockError, MockTasks, TestCase};
pub use tasks::{RegistryTasks, TaskFuture, TaskRequest, TaskRunner, activity_name};
