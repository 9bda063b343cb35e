//! The state machines the server knows: created, described, updated, deleted and listed
//! as Step Functions does (an identical Create is idempotent; another definition under
//! the same name is `StateMachineAlreadyExists`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use codegen::asl::StateMachine;

use crate::error::{ApiError, ErrorType};

/// STANDARD or EXPRESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Asynchronous, up to a year, with a history.
    Standard,
    /// Short (five minutes), synchronous with StartSyncExecution.
    Express,
}

impl Kind {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Standard => "STANDARD",
            Kind::Express => "EXPRESS",
        }
    }

    /// Parses the API's name (default STANDARD).
    pub fn parse(text: Option<&str>) -> Result<Kind, ApiError> {
        match text {
            None | Some("STANDARD") => Ok(Kind::Standard),
            Some("EXPRESS") => Ok(Kind::Express),
            Some(other) => Err(ApiError::constraint(
                "type",
                other,
                "Member must satisfy enum value set: [STANDARD, EXPRESS]",
            )),
        }
    }
}

/// One version of a state machine: what an execution runs.
#[derive(Debug)]
pub struct Machine {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The definition as the client sent it.
    pub definition: String,
    /// The parsed definition.
    pub parsed: Arc<StateMachine>,
    /// The role it would run as.
    pub role_arn: String,
    /// STANDARD or EXPRESS.
    pub kind: Kind,
    /// Its description, if any.
    pub description: Option<String>,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When this version was written (its update date).
    pub updated: DateTime<Utc>,
    /// Changes on every update.
    pub revision_id: String,
    /// The `loggingConfiguration` as sent (echoed by Describe).
    pub logging: Option<serde_json::Value>,
    /// The `tracingConfiguration` as sent (echoed by Describe).
    pub tracing: Option<serde_json::Value>,
}

impl Machine {
    /// Whether `other` is the same machine as far as an idempotent Create goes.
    fn same_as(&self, other: &Machine) -> bool {
        self.definition == other.definition
            && self.role_arn == other.role_arn
            && self.kind == other.kind
            && self.description == other.description
    }
}

/// Every state machine, by ARN, in creation order.
#[derive(Debug, Default)]
pub struct MachineStore {
    machines: RwLock<BTreeMap<u64, Arc<Machine>>>,
    next: std::sync::atomic::AtomicU64,
}

impl MachineStore {
    /// Creates `machine`, or returns the existing one when it is identical.
    pub fn create(&self, machine: Machine) -> Result<Arc<Machine>, ApiError> {
        let mut all = self.machines.write().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = all.values().find(|m| m.arn == machine.arn) {
            return if existing.same_as(&machine) {
                Ok(existing.clone())
            } else {
                Err(ApiError::new(
                    ErrorType::StateMachineAlreadyExists,
                    format!("State Machine Already Exists: '{}'", machine.arn),
                ))
            };
        }
        let seq = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let machine = Arc::new(machine);
        all.insert(seq, machine.clone());
        Ok(machine)
    }

    /// The machine `arn`, or `StateMachineDoesNotExist`.
    pub fn get(&self, arn: &str) -> Result<Arc<Machine>, ApiError> {
        self.machines
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .find(|m| m.arn == arn)
            .cloned()
            .ok_or_else(|| does_not_exist(arn))
    }

    /// Replaces the machine `arn` with what `change` makes of it.
    pub fn update(
        &self,
        arn: &str,
        change: impl FnOnce(&Machine) -> Result<Machine, ApiError>,
    ) -> Result<Arc<Machine>, ApiError> {
        let mut all = self.machines.write().unwrap_or_else(|p| p.into_inner());
        let (seq, current) = all
            .iter()
            .find(|(_, m)| m.arn == arn)
            .map(|(s, m)| (*s, m.clone()))
            .ok_or_else(|| does_not_exist(arn))?;
        let updated = Arc::new(change(&current)?);
        all.insert(seq, updated.clone());
        Ok(updated)
    }

    /// Deletes the machine `arn` (deleting an unknown machine succeeds, as in AWS).
    pub fn delete(&self, arn: &str) {
        self.machines
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, m| m.arn != arn);
    }

    /// Up to `limit` machines after position `after`, and the position of the last one
    /// when more follow.
    pub fn page(&self, after: Option<u64>, limit: usize) -> (Vec<Arc<Machine>>, Option<u64>) {
        let all = self.machines.read().unwrap_or_else(|p| p.into_inner());
        let start = after.map_or(0, |a| a + 1);
        let mut items: Vec<(u64, Arc<Machine>)> = all
            .range(start..)
            .take(limit + 1)
            .map(|(s, m)| (*s, m.clone()))
            .collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|(s, _)| *s)
        } else {
            None
        };
        (items.into_iter().map(|(_, m)| m).collect(), next)
    }
}

fn does_not_exist(arn: &str) -> ApiError {
    ApiError::new(
        ErrorType::StateMachineDoesNotExist,
        format!("State Machine Does Not Exist: '{arn}'"),
    )
}
