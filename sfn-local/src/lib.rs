//! `sfn-local`: the in-process ASL executor.
//!
//! It runs the exact ASL that gets deployed (JSONPath mode), with the real activities
//! called in-process through `stepwise_runtime::Registry` ([`RegistryTasks`]), the AWS
//! service integrations (`arn:aws:states:::dynamodb:putItem`,
//! `arn:aws:states:::aws-sdk:s3:getObject`, ... — [`ServiceTasks`], [`integrations`])
//! through the official SDK clients, Step Functions'
//! input/output processing, error names, retries, catches, Map and Parallel concurrency,
//! payload and history limits, virtual time, stepfunctions-local mock configs
//! ([`MockConfig`]) and fault injection ([`Faults`]), definition substitutions
//! ([`Options::substitutions`], [`substitutions`]), and an execution history in Step
//! Functions' vocabulary ([`history`]). Tasks can wait for a callback
//! (`.waitForTaskToken`, [`Callbacks`]), activities can be served by external workers
//! ([`ActivityQueue`]), and `states:startExecution` runs child executions ([`Launcher`],
//! [`Catalog`]).
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

mod activity_queue;
mod callbacks;
mod choice;
pub mod clock;
mod distributed;
mod executor;
mod failure;
pub mod history;
pub mod integrations;
pub mod intrinsics;
mod io;
mod jsonata;
pub mod map_runs;
mod mock;
mod nested;
mod prepared;
pub mod progress;
pub mod redrive;
pub mod substitutions;
mod tasks;

pub use activity_queue::{ActivityError, ActivityQueue, ActivityTask};
pub use callbacks::{CallbackError, Callbacks, PendingTask};
pub use executor::{
    Arns, Inspection, Options, Outcome, Progress, StartError, Status, TestOutcome, TestStatus,
    execute, redrive, test_state,
};
pub use failure::{Evaluation, Failure, matches};
pub use integrations::{CallStats, ServiceTasks};
pub use io::{PAYLOAD_LIMIT, serialized_len};
pub use map_runs::{ChildStatus, MapRun, MapRunChild, MapRunCounts, MapRunStatus, MapRuns};
pub use mock::{Answer, Fault, Faults, MockConfig, MockError, MockTasks, TestCase};
pub use nested::{
    Catalog, ChildExecution, Launcher, Parent, Pattern, RemoteLauncher, StartRequest, Started,
};
pub use redrive::{Journal, MAX_REDRIVES, RedriveError};
pub use tasks::{RegistryTasks, TaskFuture, TaskRequest, TaskRunner, activity_name};
