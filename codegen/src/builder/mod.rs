//! The workflow builder: Rust workflow descriptions that read like the diagram.
//!
//! A [`Chain`] is a sequence of states; each state's `Next` is the state after it, and the
//! last one ends its scope (or jumps with [`Chain::goto`]). Choice arms and Catch handlers
//! are chains too: when they neither end nor jump, they rejoin the outer chain after the
//! state that owns them. Parallel branches and Map processors are chains in a scope of
//! their own.
//!
//! ```
//! use codegen::builder::*;
//! use codegen::errors::STATES_ALL;
//! use std::time::Duration;
//!
//! let definition = Chain::start(pass("Prepare").result(serde_json::json!({"n": 3})).result_path("$.prep"))
//!     .then(
//!         choice("Big?")
//!             .when(Condition::numeric_gt("$.prep.n", 2), Chain::start(wait("Cool down").seconds(Duration::from_secs(5))))
//!             .otherwise(Chain::empty()),
//!     )
//!     .then(succeed("Done"));
//! let machine = compile(definition).expect("valid");
//! assert_eq!(machine.start_at, "Prepare");
//! ```
//!
//! Task states come from activity *types* ([`task`]): the name, the `${Name}` resource
//! placeholder, the input/output schemas and the error names all follow from the type.
//! Service integrations come from typed constructors ([`dynamodb`], [`s3`], [`sqs`],
//! [`sns`], [`events`], [`lambda`], [`s3vectors`], [`ssm`], [`states`]) that emit the
//! resource and PascalCase Parameters AWS documents; [`Task::wait_for_task_token`] turns one
//! into a callback. Retry and Catch take [`ErrorName`] constants and `Duration`s. Problems a builder can
//! only see when the workflow is assembled (a fractional-second duration, an error name
//! the activity never raises, a Choice arm that leads nowhere) are reported by
//! [`compile`] / [`crate::workflow::Workflow::build`] with the state's name.

mod chain;
mod compile;
mod condition;
mod integrations;
mod jsonata;
mod retry;

mod state_builders;

pub use chain::{Chain, Step};
pub use compile::{Compiled, compile, compile_in, compile_with_activities};
pub use condition::Condition;
/// The former name of [`states`] (Step Functions' own integration).
pub use integrations::states as sfn;
pub use integrations::{Arg, dynamodb, events, lambda, s3, s3vectors, sns, sqs, ssm, states};
pub use jsonata::Jsonata;
pub use retry::{Catch, Retry};
pub use state_builders::{
    Choice, Fail, ItemReaderSpec, Map, Parallel, Pass, Succeed, Task, Wait, choice, fail, map,
    parallel, pass, succeed, task, task_resource, wait,
};
pub use stepwise_contract::ErrorName;

use std::time::Duration;

/// Whole seconds of a duration, or a message when it has a fractional part (Step
/// Functions counts every interval, timeout and wait in whole seconds).
pub(crate) fn whole_seconds(field: &str, d: Duration) -> Result<i64, String> {
    if d.subsec_nanos() != 0 {
        return Err(format!("{field}: {d:?} is not a whole number of seconds"));
    }
    i64::try_from(d.as_secs()).map_err(|_| format!("{field}: {d:?} is too long"))
}
