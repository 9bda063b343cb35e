//! Parallel states: every branch runs concurrently on the same input, with a copy of the
//! variables; the first failure cancels the others.

use codegen::asl::ParallelState;
use serde_json::{Map, Value, json};

use super::pipeline::{Step, Tail};
use super::{Path, Run};
use crate::failure::Failure;
use crate::history::EventType;

impl Run<'_> {
    /// One attempt (number `attempt`, 0-based: `$$.State.RetryCount`) of Parallel state `name`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn parallel_attempt(
        &self,
        name: &str,
        p: &ParallelState,
        input: &Value,
        entered: &str,
        attempt: u32,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let step = Step {
            retry_count: attempt,
            ..Step::plain(name, entered)
        };
        let prep = self.prepare(step, &p.input_path, p.parameters.as_ref(), input, vars)?;
        let branch_input = prep.payload();
        self.record(path, EventType::ParallelStateStarted, None)?;
        let start = path.clone();
        let branches = p.branches.iter().map(|b| {
            let mut branch_path = start.clone();
            let mut branch_vars = vars.clone();
            let input = branch_input.clone();
            async move {
                let out = self
                    .run_scope(
                        &b.states,
                        &b.start_at,
                        input,
                        &mut branch_path,
                        &mut branch_vars,
                    )
                    .await?;
                Ok::<_, Failure>((out, branch_path))
            }
        });
        match futures::future::try_join_all(branches).await {
            Ok(results) => {
                path.offset = results
                    .iter()
                    .map(|(_, p)| p.offset)
                    .max()
                    .unwrap_or(path.offset);
                path.prev = results
                    .iter()
                    .map(|(_, p)| p.prev)
                    .max()
                    .unwrap_or(path.prev);
                self.record(path, EventType::ParallelStateSucceeded, None)?;
                let outputs = Value::Array(results.into_iter().map(|(v, _)| v).collect());
                self.finish(
                    outputs,
                    Tail {
                        selector: &p.result_selector,
                        assign: &p.assign,
                        result_path: &p.result_path,
                        output_path: &p.output_path,
                    },
                    input,
                    &prep.ctx,
                    vars,
                )
            }
            Err(f) => {
                path.prev = self.history.len() as u64;
                self.record(
                    path,
                    EventType::ParallelStateFailed,
                    Some(json!({"error": f.error, "cause": f.cause})),
                )?;
                Err(f)
            }
        }
    }
}
