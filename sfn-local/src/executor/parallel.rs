//! Parallel states: every branch runs concurrently on the same input, with a copy of the
//! variables; the first failure cancels the others. A redrive runs again only the
//! branches that did not succeed.

use codegen::asl::ParallelState;
use serde_json::{Map, Value, json};

use super::jsonata_states::Out;
use super::pipeline::{Step, Tail};
use super::{Path, Run};
use crate::failure::Failure;
use crate::history::EventType;
use crate::redrive::{Done, branch_scope, state_key};

impl Run<'_> {
    /// One attempt (number `attempt`, 0-based: `$$.State.RetryCount`) of Parallel state `name`
    /// on `input`, whose JSON text is `input_text`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn parallel_attempt(
        &self,
        name: &str,
        p: &ParallelState,
        input: &Value,
        input_text: &str,
        entered: &str,
        attempt: u32,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let step = Step {
            retry_count: attempt,
            ..Step::plain(name, entered)
        };
        let jsonata = self.jsonata_mode(name);
        let prep = if jsonata {
            self.prepare_jsonata(step, p.arguments.as_ref(), input, vars, self.now(path))?
        } else {
            self.prepare(step, &p.input_path, p.parameters.as_ref(), input, vars)?
        };
        let branch_input = prep.payload();
        // The branches' input is the state's own when neither InputPath nor Parameters
        // (Arguments) changed it: its text is known, each branch's first state reuses it.
        let branch_text = (prep.parameters.is_none()
            && matches!(prep.effective, std::borrow::Cow::Borrowed(_)))
        .then_some(input_text);
        self.record(path, EventType::ParallelStateStarted, None)?;
        // A redrive resumes only the branches that did not succeed (see `crate::redrive`).
        let resuming = std::mem::take(&mut path.resuming);
        let journal = self.options.journal.as_ref();
        let key = journal.map(|j| {
            let key = state_key(&path.scope, name);
            j.clear(&key, resuming);
            key
        });
        let start = path.clone();
        let branches = p.branches.iter().enumerate().map(|(i, b)| {
            let mut branch_path = start.clone();
            let mut branch_vars = vars.clone();
            let mut input = branch_input.clone();
            let mut from = b.start_at.clone();
            let scope = key.as_ref().map(|k| branch_scope(k, i));
            let mut prior = None;
            let mut text = branch_text.map(str::to_string);
            if let (Some(j), Some(scope)) = (journal, &scope) {
                branch_path.scope = scope.clone();
                if resuming {
                    prior = j.take_prior_done(scope);
                    if let Some(entry) = j.take_prior_entry(scope) {
                        branch_path.resuming = true;
                        (from, input, branch_vars) = (entry.state, entry.input, entry.vars);
                        text = None;
                    }
                }
            }
            async move {
                if let Some(done) = prior {
                    return Ok::<_, Failure>((done.output, branch_path));
                }
                let out = self
                    .run_scope(
                        &b.states,
                        &from,
                        input,
                        text,
                        &mut branch_path,
                        &mut branch_vars,
                    )
                    .await?
                    .0;
                if let (Some(j), Some(scope)) = (journal, &scope) {
                    j.succeeded(
                        scope,
                        Done {
                            input: Value::Null,
                            output: out.clone(),
                        },
                    );
                }
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
                if let (Some(j), Some(key)) = (journal, &key) {
                    j.clear(key, false);
                }
                self.record(path, EventType::ParallelStateSucceeded, None)?;
                let outputs = Value::Array(results.into_iter().map(|(v, _)| v).collect());
                if jsonata {
                    let now = self.now(path);
                    return self.finish_jsonata(
                        name,
                        Out {
                            input,
                            result: Some(&outputs),
                            error_output: None,
                            ctx: &prep.ctx,
                        },
                        p.output.as_ref(),
                        "Output",
                        &[(p.assign.as_ref(), "Assign")],
                        vars,
                        now,
                    );
                }
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
