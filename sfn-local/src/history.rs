//! The execution history, in Step Functions' vocabulary (`ExecutionStarted`,
//! `TaskStateEntered`, `TaskScheduled`, `TaskSucceeded`, `MapIterationStarted`, ...),
//! with ids, previous ids and timestamps; printable as a timeline and exportable in the
//! shape of `GetExecutionHistory`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::failure::Failure;

/// Step Functions' limit on events per execution.
pub const MAX_EVENTS: usize = 25_000;

/// How many bytes of payload text (`input`, `output`, `parameters`) the history of an
/// execution and its child executions keeps in all: 64 MiB. Past it, an event keeps the
/// first 1,024 bytes of each payload and says so (`inputDetails: {"truncated": true}`,
/// Step Functions' own field), so 25,000 events of 256 KiB (6 GiB) cannot all be held in
/// memory. Outputs and results are never truncated, only what the history records.
pub const PAYLOAD_BUDGET: usize = 64 << 20;

/// What a payload keeps past [`PAYLOAD_BUDGET`].
const TRUNCATED_TO: usize = 1_024;

/// The type of state an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateType {
    /// `Pass`.
    Pass,
    /// `Task`.
    Task,
    /// `Choice`.
    Choice,
    /// `Wait`.
    Wait,
    /// `Succeed`.
    Succeed,
    /// `Fail`.
    Fail,
    /// `Parallel`.
    Parallel,
    /// `Map`.
    Map,
}

impl StateType {
    /// The type of `state`.
    pub fn of(state: &codegen::asl::State) -> Self {
        use codegen::asl::State;
        match state {
            State::Pass(_) => StateType::Pass,
            State::Task(_) => StateType::Task,
            State::Choice(_) => StateType::Choice,
            State::Wait(_) => StateType::Wait,
            State::Succeed(_) => StateType::Succeed,
            State::Fail(_) => StateType::Fail,
            State::Parallel(_) => StateType::Parallel,
            State::Map(_) => StateType::Map,
        }
    }
}

/// The type of a history event, as `GetExecutionHistory` names it (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `ExecutionStarted`.
    ExecutionStarted,
    /// `ExecutionSucceeded`.
    ExecutionSucceeded,
    /// `ExecutionFailed`.
    ExecutionFailed,
    /// `ExecutionTimedOut`.
    ExecutionTimedOut,
    /// `ExecutionAborted` (a server's StopExecution).
    ExecutionAborted,
    /// `ExecutionRedriven` (a server's RedriveExecution).
    ExecutionRedriven,
    /// `<Type>StateEntered`.
    StateEntered(StateType),
    /// `<Type>StateExited`.
    StateExited(StateType),
    /// `TaskScheduled`.
    TaskScheduled,
    /// `TaskStarted`.
    TaskStarted,
    /// `TaskSubmitted` (a callback or `.sync` task's request was answered).
    TaskSubmitted,
    /// `TaskSucceeded`.
    TaskSucceeded,
    /// `TaskFailed`.
    TaskFailed,
    /// `TaskTimedOut`.
    TaskTimedOut,
    /// `ActivityScheduled` (an activity queued for an external worker).
    ActivityScheduled,
    /// `ActivityStarted` (a worker took the task).
    ActivityStarted,
    /// `ActivitySucceeded`.
    ActivitySucceeded,
    /// `ActivityFailed`.
    ActivityFailed,
    /// `ActivityTimedOut`.
    ActivityTimedOut,
    /// `ParallelStateStarted`.
    ParallelStateStarted,
    /// `ParallelStateSucceeded`.
    ParallelStateSucceeded,
    /// `ParallelStateFailed`.
    ParallelStateFailed,
    /// `MapStateStarted`.
    MapStateStarted,
    /// `MapStateSucceeded`.
    MapStateSucceeded,
    /// `MapStateFailed`.
    MapStateFailed,
    /// `MapRunStarted`.
    MapRunStarted,
    /// `MapRunSucceeded`.
    MapRunSucceeded,
    /// `MapRunFailed`.
    MapRunFailed,
    /// `MapRunRedriven` (a redrive goes on with the Map Run).
    MapRunRedriven,
    /// `MapIterationStarted`.
    MapIterationStarted,
    /// `MapIterationSucceeded`.
    MapIterationSucceeded,
    /// `MapIterationFailed`.
    MapIterationFailed,
    /// `EvaluationFailed`: a JSONata expression failed (`evaluationFailedEventDetails`:
    /// error, cause, location, state).
    EvaluationFailed,
}

impl EventType {
    /// The name `GetExecutionHistory` gives it.
    pub fn as_str(&self) -> &'static str {
        use EventType as E;
        use StateType as S;
        match self {
            E::ExecutionStarted => "ExecutionStarted",
            E::ExecutionSucceeded => "ExecutionSucceeded",
            E::ExecutionFailed => "ExecutionFailed",
            E::ExecutionTimedOut => "ExecutionTimedOut",
            E::ExecutionAborted => "ExecutionAborted",
            E::ExecutionRedriven => "ExecutionRedriven",
            E::StateEntered(S::Pass) => "PassStateEntered",
            E::StateEntered(S::Task) => "TaskStateEntered",
            E::StateEntered(S::Choice) => "ChoiceStateEntered",
            E::StateEntered(S::Wait) => "WaitStateEntered",
            E::StateEntered(S::Succeed) => "SucceedStateEntered",
            E::StateEntered(S::Fail) => "FailStateEntered",
            E::StateEntered(S::Parallel) => "ParallelStateEntered",
            E::StateEntered(S::Map) => "MapStateEntered",
            E::StateExited(S::Pass) => "PassStateExited",
            E::StateExited(S::Task) => "TaskStateExited",
            E::StateExited(S::Choice) => "ChoiceStateExited",
            E::StateExited(S::Wait) => "WaitStateExited",
            E::StateExited(S::Succeed) => "SucceedStateExited",
            E::StateExited(S::Fail) => "FailStateExited",
            E::StateExited(S::Parallel) => "ParallelStateExited",
            E::StateExited(S::Map) => "MapStateExited",
            E::TaskScheduled => "TaskScheduled",
            E::TaskStarted => "TaskStarted",
            E::TaskSubmitted => "TaskSubmitted",
            E::TaskSucceeded => "TaskSucceeded",
            E::ActivityScheduled => "ActivityScheduled",
            E::ActivityStarted => "ActivityStarted",
            E::ActivitySucceeded => "ActivitySucceeded",
            E::ActivityFailed => "ActivityFailed",
            E::ActivityTimedOut => "ActivityTimedOut",
            E::TaskFailed => "TaskFailed",
            E::TaskTimedOut => "TaskTimedOut",
            E::ParallelStateStarted => "ParallelStateStarted",
            E::ParallelStateSucceeded => "ParallelStateSucceeded",
            E::ParallelStateFailed => "ParallelStateFailed",
            E::MapStateStarted => "MapStateStarted",
            E::MapStateSucceeded => "MapStateSucceeded",
            E::MapStateFailed => "MapStateFailed",
            E::MapRunStarted => "MapRunStarted",
            E::MapRunSucceeded => "MapRunSucceeded",
            E::MapRunFailed => "MapRunFailed",
            E::MapRunRedriven => "MapRunRedriven",
            E::MapIterationStarted => "MapIterationStarted",
            E::MapIterationSucceeded => "MapIterationSucceeded",
            E::MapIterationFailed => "MapIterationFailed",
            E::EvaluationFailed => "EvaluationFailed",
        }
    }

    /// The details field name, as in `GetExecutionHistory`.
    pub fn details_key(&self) -> String {
        details_key(self.as_str())
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl PartialEq<str> for EventType {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// 1-based id.
    pub id: u64,
    /// The event this one follows on its path of execution (0 for the first).
    pub previous_event_id: u64,
    /// When it happened (virtual time included).
    pub timestamp: DateTime<Utc>,
    /// The event type (`TaskStateEntered`, ...).
    pub kind: EventType,
    /// The type-specific details (`stateEnteredEventDetails`, ...), if any.
    pub details: Option<Value>,
}

impl Event {
    /// The name of the state the event is about, if any.
    pub fn state_name(&self) -> Option<&str> {
        self.details.as_ref()?.get("name")?.as_str()
    }

    /// The event as `GetExecutionHistory` returns it.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert("previousEventId".into(), json!(self.previous_event_id));
        map.insert(
            "timestamp".into(),
            json!(self.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        map.insert("type".into(), json!(self.kind.as_str()));
        if let Some(details) = &self.details {
            map.insert(self.kind.details_key(), details.clone());
        }
        Value::Object(map)
    }
}

/// The details field name of an event type, as in `GetExecutionHistory`.
fn details_key(kind: &str) -> String {
    let base = if kind.ends_with("StateEntered") {
        "stateEntered"
    } else if kind.ends_with("StateExited") {
        "stateExited"
    } else {
        return format!("{}{}EventDetails", kind[..1].to_lowercase(), &kind[1..]);
    };
    format!("{base}EventDetails")
}

/// The history of one execution, shared by its concurrent paths.
#[derive(Debug)]
pub struct History {
    events: Mutex<Vec<Event>>,
    limit: usize,
    /// Payload bytes kept so far, shared with child executions' histories.
    payload_bytes: Arc<AtomicUsize>,
    budget: usize,
}

impl History {
    /// An empty history with a limit on its length.
    pub fn new(limit: usize) -> Self {
        Self::with_budget(limit, PAYLOAD_BUDGET)
    }

    /// An empty history keeping at most `budget` bytes of payload text in full.
    pub fn with_budget(limit: usize, budget: usize) -> Self {
        History {
            events: Mutex::new(Vec::new()),
            limit,
            payload_bytes: Arc::new(AtomicUsize::new(0)),
            budget,
        }
    }

    /// The history of a child execution (a distributed Map item): its own events and
    /// limit, the parent's payload budget.
    pub fn child(&self) -> Self {
        History {
            events: Mutex::new(Vec::new()),
            limit: self.limit,
            payload_bytes: self.payload_bytes.clone(),
            budget: self.budget,
        }
    }

    /// `details` with each payload past the budget cut to its first bytes and marked
    /// truncated.
    fn within_budget(&self, details: Option<Value>) -> Option<Value> {
        let mut details = details?;
        if let Value::Object(map) = &mut details {
            for field in ["input", "output", "parameters"] {
                let Some(Value::String(text)) = map.get_mut(field) else {
                    continue;
                };
                let used = self.payload_bytes.fetch_add(text.len(), Ordering::Relaxed);
                if used + text.len() > self.budget {
                    self.payload_bytes.fetch_sub(text.len(), Ordering::Relaxed);
                    let mut cut = TRUNCATED_TO.min(text.len());
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    // A new string, not a truncated one: the cut payload's memory is
                    // released, so the budget bounds what a long history holds.
                    *text = text[..cut].to_string();
                    map.insert(format!("{field}Details"), json!({"truncated": true}));
                }
            }
        }
        Some(details)
    }

    /// Appends an event after `previous`; fails with `States.Runtime` past the limit.
    pub fn record(
        &self,
        previous: u64,
        timestamp: DateTime<Utc>,
        kind: EventType,
        details: Option<Value>,
    ) -> Result<u64, Failure> {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if events.len() >= self.limit {
            return Err(Failure::runtime(format!(
                "the execution history exceeded the limit of {} events",
                self.limit
            )));
        }
        let id = events.len() as u64 + 1;
        let details = self.within_budget(details);
        events.push(Event {
            id,
            previous_event_id: previous,
            timestamp,
            kind,
            details,
        });
        Ok(id)
    }

    /// Appends a final event even past the limit (the execution's own end).
    pub fn record_final(
        &self,
        previous: u64,
        timestamp: DateTime<Utc>,
        kind: EventType,
        details: Option<Value>,
    ) -> u64 {
        let details = self.within_budget(details);
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let id = events.len() as u64 + 1;
        events.push(Event {
            id,
            previous_event_id: previous,
            timestamp,
            kind,
            details,
        });
        id
    }

    /// A copy of every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Every history event, moved out: the history is left empty. For the owner of a
    /// history nobody else reads (an execution's end), where [`History::events`] would
    /// copy every payload's text.
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The number of events so far.
    pub fn len(&self) -> usize {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no event was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `{"events": [...]}` as `GetExecutionHistory` returns it.
pub fn to_json(events: &[Event]) -> Value {
    json!({"events": events.iter().map(Event::to_json).collect::<Vec<_>>()})
}

/// A readable timeline, one line per event: id, time since start, type, state, and the
/// error of failures.
pub fn timeline(events: &[Event]) -> String {
    let Some(first) = events.first() else {
        return String::new();
    };
    let mut out = String::new();
    for e in events {
        let since = (e.timestamp - first.timestamp).num_milliseconds() as f64 / 1000.0;
        let mut line = format!("{:>5}  +{since:>9.3}s  {:<28}", e.id, e.kind);
        if let Some(name) = e.state_name() {
            line.push_str(&format!(" {name}"));
        }
        if let Some(d) = &e.details {
            if let Some(index) = d.get("index") {
                line.push_str(&format!(" [{index}]"));
            }
            if let (Some(error), cause) = (
                d.get("error").and_then(Value::as_str),
                d.get("cause").and_then(Value::as_str),
            ) {
                line.push_str(&format!(" {error}"));
                if let Some(c) = cause.filter(|c| !c.is_empty()) {
                    let short: String = c.chars().take(120).collect();
                    line.push_str(&format!(": {short}"));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_keys_follow_the_api() {
        assert_eq!(details_key("TaskStateEntered"), "stateEnteredEventDetails");
        assert_eq!(details_key("MapStateExited"), "stateExitedEventDetails");
        // AWS names each Map iteration event's details after the event
        // (`mapIterationStartedEventDetails`, of type MapIterationEventDetails).
        assert_eq!(
            details_key("MapIterationStarted"),
            "mapIterationStartedEventDetails"
        );
        assert_eq!(details_key("TaskFailed"), "taskFailedEventDetails");
        assert_eq!(
            details_key("ExecutionSucceeded"),
            "executionSucceededEventDetails"
        );
    }

    #[test]
    fn payloads_past_the_budget_are_cut_and_marked_truncated() {
        let h = History::with_budget(100, 2_000);
        let big = "x".repeat(1_500);
        let details = || Some(json!({"name": "S", "input": big.clone()}));
        let entered = EventType::StateEntered(StateType::Pass);
        h.record(0, Utc::now(), entered, details()).unwrap();
        // The child shares the budget: this one no longer fits.
        let child = h.child();
        child.record(0, Utc::now(), entered, details()).unwrap();
        h.record_final(
            1,
            Utc::now(),
            EventType::ExecutionSucceeded,
            Some(json!({"output": "é".repeat(600)})),
        );
        let kept = h.events();
        assert_eq!(kept[0].details.as_ref().unwrap()["input"], json!(big));
        assert!(
            kept[0]
                .details
                .as_ref()
                .unwrap()
                .get("inputDetails")
                .is_none()
        );
        // The cut text holds only what it keeps: a long history stays within the budget.
        match &child
            .events
            .lock()
            .unwrap()
            .first()
            .and_then(|e| e.details.as_ref())
        {
            Some(Value::Object(map)) => match map.get("input") {
                Some(Value::String(text)) => {
                    assert!(text.capacity() < 1_500, "{}", text.capacity())
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        let cut = child.events()[0].details.clone().unwrap();
        assert_eq!(cut["input"].as_str().unwrap().len(), TRUNCATED_TO);
        assert_eq!(cut["inputDetails"], json!({"truncated": true}));
        // Cut on a character boundary.
        let out = kept[1].details.clone().unwrap();
        assert!(out["output"].as_str().unwrap().len() <= TRUNCATED_TO);
        assert_eq!(out["outputDetails"], json!({"truncated": true}));
    }

    #[test]
    fn the_limit_fails_with_states_runtime() {
        let h = History::new(2);
        let now = Utc::now();
        let pass = StateType::Pass;
        assert_eq!(
            h.record(0, now, EventType::ExecutionStarted, None).unwrap(),
            1
        );
        assert_eq!(
            h.record(1, now, EventType::StateEntered(pass), None)
                .unwrap(),
            2
        );
        let err = h
            .record(2, now, EventType::StateExited(pass), None)
            .unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert_eq!(h.record_final(2, now, EventType::ExecutionFailed, None), 3);
        let events = h.events();
        assert_eq!(to_json(&events)["events"][1]["type"], "PassStateEntered");
        assert_eq!(
            events[1].to_json().get("stateEnteredEventDetails"),
            None,
            "no details, no details field"
        );
    }
}
