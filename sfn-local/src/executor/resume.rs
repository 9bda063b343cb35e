//! Redrive: an execution that failed, timed out or was aborted runs again from the
//! top-level state where it stopped, with that state's input, as Step Functions'
//! RedriveExecution does. Its history goes on (`ExecutionRedriven`, then the states again)
//! when [`Options::live_history`] is the first run's history.

use std::sync::Arc;

use codegen::asl::StateMachine;
use serde_json::{Map, Value, json};

use super::api::{Options, Outcome, StartError};
use super::{Path, Run};
use crate::history::{Event, EventType};
use crate::tasks::TaskRunner;

/// Where an ended run stopped: the top-level state it was in and that state's input, from
/// its history (`None` when it never entered a state, or the input was truncated).
pub fn redrive_point(machine: &StateMachine, events: &[Event]) -> Option<(String, Value)> {
    let mut id = events.last()?.id;
    while id > 0 {
        let event = events.get(usize::try_from(id).ok()?.checked_sub(1)?)?;
        if matches!(event.kind, EventType::StateEntered(_))
            && let Some(name) = event.state_name()
            && machine.states.contains_key(name)
        {
            let details = event.details.as_ref()?;
            if details.get("inputDetails").is_some() {
                return None;
            }
            let input = serde_json::from_str(details.get("input")?.as_str()?).ok()?;
            return Some((name.to_string(), input));
        }
        id = event.previous_event_id;
    }
    None
}

/// Runs `machine` again from `state` on `input` (see [`redrive_point`]), recording
/// `ExecutionRedriven` with `redrive_count` first.
pub async fn redrive(
    machine: &StateMachine,
    state: &str,
    input: Value,
    redrive_count: u32,
    tasks: Arc<dyn TaskRunner>,
    options: Options,
) -> Result<Outcome, StartError> {
    if !machine.states.contains_key(state) {
        return Err(StartError::Input(format!(
            "no top-level state named \"{state}\" to redrive from"
        )));
    }
    let substituted;
    let machine = if options.substitutions.is_empty() {
        machine
    } else {
        substituted = crate::substitutions::substitute(machine, &options.substitutions)?;
        &substituted
    };
    let run = Run::new(machine, tasks, options, input.clone());
    let mut path = Path {
        prev: run.history.events().last().map_or(0, |e| e.id),
        ..Path::default()
    };
    let mut vars = Map::new();
    let result = match run.record(
        &mut path,
        EventType::ExecutionRedriven,
        Some(json!({"redriveCount": redrive_count})),
    ) {
        Err(f) => Err(f),
        Ok(()) => run.run_from(state, input, &mut path, &mut vars).await,
    };
    Ok(run.conclude(&path, result))
}
