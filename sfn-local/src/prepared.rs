//! The definitions executions start from, substituted and validated once per process.
//!
//! Step Functions applies a state machine's `DefinitionSubstitutions` and validates its
//! definition when the machine is created, not at each `StartExecution`. [`execute`]
//! receives the definition and the substitutions with every execution; doing both again
//! each time (serialising the definition, replacing, parsing it back, validating every
//! state) cost a short Express execution more CPU than running its states. This cache
//! keeps the last [`CAPACITY`] (definition, substitutions) pairs that validated, with the
//! definition to run. A lookup compares both by value, so an edited definition or other
//! substitutions are never served a stale result; an invalid definition is not cached
//! (it is refused with its problems every time).
//!
//! [`execute`]: crate::execute

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use codegen::asl::StateMachine;

use crate::executor::StartError;

/// The most definitions kept (a process runs a handful of machines).
pub const CAPACITY: usize = 32;

struct Entry {
    definition: StateMachine,
    substitutions: BTreeMap<String, String>,
    prepared: Arc<StateMachine>,
}

static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// `machine` with `substitutions` applied and validated: from the cache when the same pair
/// was prepared before, else prepared now (and cached when valid).
pub(crate) fn prepared(
    machine: &StateMachine,
    substitutions: &BTreeMap<String, String>,
) -> Result<Arc<StateMachine>, StartError> {
    {
        let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = cache
            .iter()
            .find(|e| e.substitutions == *substitutions && e.definition == *machine)
        {
            return Ok(e.prepared.clone());
        }
    }
    let prepared = if substitutions.is_empty() {
        machine.clone()
    } else {
        crate::substitutions::substitute(machine, substitutions)?
    };
    let problems = codegen::validate::validate(&prepared);
    if !problems.is_empty() {
        return Err(StartError::Invalid(problems));
    }
    let prepared = Arc::new(prepared);
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= CAPACITY {
        cache.remove(0);
    }
    cache.push(Entry {
        definition: machine.clone(),
        substitutions: substitutions.clone(),
        prepared: prepared.clone(),
    });
    Ok(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn machine(resource: &str) -> StateMachine {
        codegen::asl::from_value(json!({
            "StartAt": "T",
            "States": {"T": {"Type": "Task", "Resource": resource, "End": true}}
        }))
        .expect("a valid definition")
    }

    fn subs(value: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("Fn".to_string(), value.to_string())])
    }

    fn resource(m: &StateMachine) -> String {
        m.to_value()["States"]["T"]["Resource"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn a_pair_is_prepared_once_and_other_substitutions_are_not_confused() {
        let m = machine("${Fn}");
        let a = prepared(
            &m,
            &subs("arn:aws:lambda:us-east-1:123456789012:function:a"),
        )
        .expect("valid");
        let again = prepared(
            &m,
            &subs("arn:aws:lambda:us-east-1:123456789012:function:a"),
        )
        .expect("valid");
        assert!(
            Arc::ptr_eq(&a, &again),
            "the second lookup is served from the cache"
        );
        assert_eq!(
            resource(&a),
            "arn:aws:lambda:us-east-1:123456789012:function:a"
        );
        let b = prepared(
            &m,
            &subs("arn:aws:lambda:us-east-1:123456789012:function:b"),
        )
        .expect("valid");
        assert_eq!(
            resource(&b),
            "arn:aws:lambda:us-east-1:123456789012:function:b"
        );
        // An edited definition is prepared anew.
        let edited = prepared(&machine("other-${Fn}"), &subs("x")).expect("valid");
        assert_eq!(resource(&edited), "other-x");
    }

    #[test]
    fn an_invalid_definition_is_refused_every_time() {
        let bad: StateMachine = codegen::asl::from_value(json!({
            "StartAt": "T",
            "TimeoutSeconds": 0,
            "States": {"T": {"Type": "Pass", "End": true}}
        }))
        .expect("parses");
        for _ in 0..2 {
            assert!(matches!(
                prepared(&bad, &BTreeMap::new()),
                Err(StartError::Invalid(p)) if !p.is_empty()
            ));
        }
    }
}
