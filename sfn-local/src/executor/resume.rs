//! Redrive: an execution that failed, timed out or was stopped runs again from where it
//! stopped, as Step Functions' RedriveExecution does: from the top-level state it was in,
//! with that state's input and the variables in scope at its entry; inside a Parallel or
//! Map state only the branches and iterations that did not succeed run again, each from
//! the state it stopped in (a distributed Map's Express children from their start), and
//! a distributed Map goes on with the same Map Run. The records come from the
//! execution's [`Journal`](crate::Journal) ([`Options::journal`]). Its history goes on
//! (`ExecutionRedriven`, then the states again) when [`Options::live_history`] is the
//! first run's history; retries start over and so does the execution's timeout.

use std::sync::Arc;

use codegen::asl::StateMachine;
use serde_json::{Map, Value, json};

use super::api::{Options, Outcome, StartError};
use super::{Path, Run};
use crate::history::EventType;
use crate::redrive::{Entry, RedriveError};
use crate::tasks::TaskRunner;

/// Redrives an execution of `machine` whose execution input was `input`: the journal
/// in `options` must be the one the execution ran with. Fails with
/// [`StartError::Redrive`] without one, or when it was redriven
/// [`MAX_REDRIVES`](crate::MAX_REDRIVES) times.
pub async fn redrive(
    machine: &StateMachine,
    input: Value,
    tasks: Arc<dyn TaskRunner>,
    options: Options,
) -> Result<Outcome, StartError> {
    let journal = options.journal.clone().ok_or(RedriveError::NoJournal)?;
    let count = journal.begin_redrive()?;
    let resume = journal.take_resume();
    let substituted;
    let machine = if options.substitutions.is_empty() {
        machine
    } else {
        substituted = crate::substitutions::substitute(machine, &options.substitutions)?;
        &substituted
    };
    let mut run = Run::new(machine, tasks, options, input.clone());
    run.redriven = Some((count, run.clock.started_at()));
    let mut path = Path {
        prev: run.history.events().last().map_or(0, |e| e.id),
        ..Path::default()
    };
    let (start, state_input, mut vars) = match resume {
        Some(Entry { state, input, vars }) if machine.states.contains_key(&state) => {
            path.resuming = true;
            (state, input, vars)
        }
        // It stopped before entering a state: it starts over.
        _ => (machine.start_at.clone(), input, Map::new()),
    };
    let result = match run.record(
        &mut path,
        EventType::ExecutionRedriven,
        Some(json!({"redriveCount": count})),
    ) {
        Err(f) => Err(f),
        Ok(()) => {
            run.run_from(&start, state_input, &mut path, &mut vars)
                .await
        }
    };
    Ok(run.conclude(&path, result))
}
