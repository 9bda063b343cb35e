//! Amazon EventBridge: `events:putEvents` (optimized; also with `.waitForTaskToken`).
//! Step Functions adds the state machine and execution ARNs to each event's `Resources`.
//! A refused entry fails the Task with `EventBridge.FailedEntry`.

use serde_json::Value;

use super::{Arg, Params};
use crate::builder::Task;

/// Most entries in one PutEvents call.
pub const MAX_ENTRIES: usize = 10;

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The event's source (`com.example.orders`).
    pub source: Arg,
    /// The event's `detail-type`.
    pub detail_type: Arg,
    /// The detail: a JSON template (Step Functions serialises it) or a string of JSON.
    pub detail: Arg,
    /// The bus (default: the account's default bus).
    pub event_bus_name: Option<Arg>,
    /// ARNs the event is about.
    pub resources: Option<Arg>,
}

impl Entry {
    /// An event from `source` of `detail_type` with `detail`.
    pub fn new(
        source: impl Into<Arg>,
        detail_type: impl Into<Arg>,
        detail: impl Into<Arg>,
    ) -> Self {
        Entry {
            source: source.into(),
            detail_type: detail_type.into(),
            detail: detail.into(),
            event_bus_name: None,
            resources: None,
        }
    }

    /// Sends it to this bus (a name or an ARN).
    pub fn bus(mut self, event_bus_name: impl Into<Arg>) -> Self {
        self.event_bus_name = Some(event_bus_name.into());
        self
    }

    fn to_value(&self) -> Value {
        let params = Params::default()
            .arg("Detail", &self.detail)
            .arg("DetailType", &self.detail_type)
            .arg("Source", &self.source)
            .opt_arg("EventBusName", self.event_bus_name.as_ref())
            .opt_arg("Resources", self.resources.as_ref());
        Value::Object(params.fields)
    }
}

/// `PutEvents`: 1 to 10 entries.
#[derive(Debug, Clone, PartialEq)]
pub struct PutEvents {
    /// The events.
    pub entries: Vec<Entry>,
}

/// A Task that sends events (`arn:aws:states:::events:putEvents`; the result has
/// `Entries` with each `EventId`, and `FailedEntryCount`).
pub fn put_events(name: impl Into<String>, request: PutEvents) -> Task {
    let entries: Vec<Value> = request.entries.iter().map(Entry::to_value).collect();
    let count = entries.len();
    Params::default()
        .value("Entries", Some(&Value::Array(entries)))
        .check((1..=MAX_ENTRIES).contains(&count), || {
            format!("Parameters.Entries: {count} entries, PutEvents takes 1 to {MAX_ENTRIES}")
        })
        .task(name, "events:putEvents")
}
