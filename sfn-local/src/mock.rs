//! Mocks and fault injection.
//!
//! [`MockConfig`] reads AWS's stepfunctions-local mock-config format (`StateMachines` →
//! `TestCases` → state → response name; `MockedResponses` → response name → attempt
//! ranges like `"0"` or `"1-2"` → `Return` / `Throw`), so one file drives both tools.
//! Invocations are counted per state and per Map item, so `"0"` answers the first call of
//! the state in every Map iteration. [`Faults`] is the Rust equivalent for tests: it fails
//! chosen attempts of chosen states (and Map items) and lets every other call through to
//! the real activities.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::Value;

use crate::failure::Failure;
use crate::tasks::{TaskFuture, TaskRequest, TaskRunner};

/// A problem with a mock config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MockError {
    /// Not valid JSON or not the expected structure.
    #[error("invalid mock config: {0}")]
    Invalid(String),
    /// The test case does not exist.
    #[error("no test case named \"{name}\" in the mock config (test cases: {known})")]
    UnknownTestCase {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// Several state machines have a test case of that name.
    #[error(
        "test case \"{name}\" exists for several state machines ({machines}); name the state machine"
    )]
    Ambiguous {
        /// The test case.
        name: String,
        /// The state machines that have it.
        machines: String,
    },
    /// A test case refers to a response that does not exist.
    #[error(
        "test case \"{case}\" maps state \"{state}\" to response \"{response}\", which is not in MockedResponses"
    )]
    UnknownResponse {
        /// The test case.
        case: String,
        /// The state.
        state: String,
        /// The missing response.
        response: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    state_machines: BTreeMap<String, RawMachine>,
    #[serde(default)]
    mocked_responses: BTreeMap<String, BTreeMap<String, RawResponse>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMachine {
    #[serde(default)]
    test_cases: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RawResponse {
    #[serde(default)]
    r#return: Option<Value>,
    #[serde(default)]
    throw: Option<RawThrow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawThrow {
    error: String,
    #[serde(default)]
    cause: String,
}

/// One mocked answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The task returns this result.
    Return(Value),
    /// The task fails.
    Throw(Failure),
}

/// The mocked responses of one test case, by state.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// The test case's name.
    pub name: String,
    /// For each mocked state: attempt ranges and their answers, in order.
    pub states: BTreeMap<String, Vec<(RangeInclusive<u32>, Answer)>>,
}

/// A parsed mock config.
#[derive(Debug)]
pub struct MockConfig {
    raw: RawConfig,
}

impl MockConfig {
    /// Parses the JSON text of a mock config.
    pub fn parse(text: &str) -> Result<Self, MockError> {
        let raw: RawConfig = serde_json::from_str(text)
            .map_err(|e| MockError::Invalid(codegen::wording::plain(&e.to_string())))?;
        Ok(MockConfig { raw })
    }

    /// The test case `name` for a run of `state_machine`: that machine's own, else the
    /// one of whichever machine has it (an error when several do).
    pub fn test_case_for(&self, state_machine: &str, name: &str) -> Result<TestCase, MockError> {
        match self.test_case(Some(state_machine), name) {
            Err(MockError::UnknownTestCase { .. }) => self.test_case(None, name),
            found => found,
        }
    }

    /// The test case `name` (of `state_machine`, or of whichever state machine has it).
    pub fn test_case(
        &self,
        state_machine: Option<&str>,
        name: &str,
    ) -> Result<TestCase, MockError> {
        let candidates: Vec<_> = self
            .raw
            .state_machines
            .iter()
            .filter(|(m, _)| state_machine.is_none_or(|wanted| wanted == m.as_str()))
            .filter_map(|(m, machine)| machine.test_cases.get(name).map(|c| (m, c)))
            .collect();
        let case = match candidates.as_slice() {
            [] => {
                let known: Vec<_> = self
                    .raw
                    .state_machines
                    .iter()
                    .flat_map(|(m, machine)| {
                        machine.test_cases.keys().map(move |c| format!("{m}/{c}"))
                    })
                    .collect();
                return Err(MockError::UnknownTestCase {
                    name: name.into(),
                    known: known.join(", "),
                });
            }
            [(_, case)] => *case,
            several => {
                let machines: Vec<_> = several.iter().map(|(m, _)| m.as_str()).collect();
                return Err(MockError::Ambiguous {
                    name: name.into(),
                    machines: machines.join(", "),
                });
            }
        };
        let mut states = BTreeMap::new();
        for (state, response) in case {
            let answers = self.raw.mocked_responses.get(response).ok_or_else(|| {
                MockError::UnknownResponse {
                    case: name.into(),
                    state: state.clone(),
                    response: response.clone(),
                }
            })?;
            let mut list = Vec::new();
            for (range, answer) in answers {
                let range = parse_range(range).ok_or_else(|| {
                    MockError::Invalid(format!("response \"{response}\": \"{range}\" is not an attempt like \"0\" or \"1-2\""))
                })?;
                let answer = match (&answer.r#return, &answer.throw) {
                    (Some(v), None) => Answer::Return(v.clone()),
                    (None, Some(t)) => {
                        Answer::Throw(Failure::new(t.error.clone(), t.cause.clone()))
                    }
                    _ => {
                        return Err(MockError::Invalid(format!(
                            "response \"{response}\" attempt \"{}\": needs exactly one of Return and Throw",
                            range_text(&range)
                        )));
                    }
                };
                list.push((range, answer));
            }
            list.sort_by_key(|(r, _)| *r.start());
            states.insert(state.clone(), list);
        }
        Ok(TestCase {
            name: name.into(),
            states,
        })
    }
}

fn parse_range(text: &str) -> Option<RangeInclusive<u32>> {
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some(a..=b)
        }
        None => {
            let n = text.trim().parse().ok()?;
            Some(n..=n)
        }
    }
}

fn range_text(r: &RangeInclusive<u32>) -> String {
    if r.start() == r.end() {
        r.start().to_string()
    } else {
        format!("{}-{}", r.start(), r.end())
    }
}

/// A runner that answers mocked states from a test case and passes the others to an
/// optional fallback (e.g. the real activities).
pub struct MockTasks {
    case: TestCase,
    fallback: Option<Arc<dyn TaskRunner>>,
    calls: Mutex<HashMap<(String, Option<usize>), u32>>,
}

impl MockTasks {
    /// Mocks from `case`; unmocked states go to `fallback` (or fail the pre-run check).
    pub fn new(case: TestCase, fallback: Option<Arc<dyn TaskRunner>>) -> Self {
        MockTasks {
            case,
            fallback,
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl TaskRunner for MockTasks {
    /// A test case that names a distributed Map state answers its ItemReader: the
    /// response's `Return` is the list of items (and the Map's ResultWriter writes
    /// nothing). Unnamed, the Map reads S3 as usual.
    fn map_items(&self, state: &str) -> Option<TaskFuture<'_>> {
        if !self.case.states.contains_key(state) {
            return self.fallback.as_ref().and_then(|f| f.map_items(state));
        }
        Some(self.run(TaskRequest {
            state: state.to_string(),
            resource: "ItemReader".into(),
            input: Value::Null,
            attempt: 0,
            map_item: None,
            execution: String::new(),
        }))
    }

    /// A mocked state's response is its whole answer, callback or child included.
    fn answers_whole(&self, state: &str) -> bool {
        self.case.states.contains_key(state)
            || self
                .fallback
                .as_ref()
                .is_some_and(|f| f.answers_whole(state))
    }

    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        if self.case.states.contains_key(state) {
            return Ok(());
        }
        match &self.fallback {
            Some(f) => f.check(state, resource),
            None => Err(format!(
                "State \"{state}\": no mocked response in test case \"{}\" and no activity to run it",
                self.case.name
            )),
        }
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        let Some(answers) = self.case.states.get(&request.state) else {
            return match &self.fallback {
                Some(f) => f.run(request),
                None => Box::pin(async move {
                    Err(Failure::runtime(format!(
                        "State \"{}\" is not mocked",
                        request.state
                    )))
                }),
            };
        };
        let n = {
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            let count = calls
                .entry((request.state.clone(), request.map_item))
                .or_insert(0);
            let n = *count;
            *count += 1;
            n
        };
        let answer = answers
            .iter()
            .find(|(r, _)| r.contains(&n))
            .map(|(_, a)| a.clone());
        let case = self.case.name.clone();
        Box::pin(async move {
            match answer {
                Some(Answer::Return(v)) => Ok(v),
                Some(Answer::Throw(f)) => Err(f),
                None => Err(Failure::runtime(format!(
                    "test case \"{case}\" has no mocked response for call {n} of state \"{}\"",
                    request.state
                ))),
            }
        })
    }
}

/// Which Map items a fault applies to.
#[derive(Clone)]
enum Items {
    Any,
    Only(usize),
    Where(Arc<dyn Fn(usize) -> bool + Send + Sync>),
}

/// One injected fault: fail some attempts of a state with an error.
#[derive(Clone)]
pub struct Fault {
    state: String,
    items: Items,
    attempts: RangeInclusive<u32>,
    failure: Failure,
    after: bool,
}

impl std::fmt::Debug for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fault")
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("failure", &self.failure)
            .field("after", &self.after)
            .finish()
    }
}

impl Fault {
    /// A fault of `state`, on its first attempt, for every Map item, failing with
    /// `States.TaskFailed` until [`Fault::throw`] says otherwise.
    pub fn on(state: impl Into<String>) -> Self {
        Fault {
            state: state.into(),
            items: Items::Any,
            attempts: 0..=0,
            failure: Failure::new(
                codegen::errors::STATES_TASK_FAILED.as_str(),
                "injected fault",
            ),
            after: false,
        }
    }

    /// Lets the task run to completion first — its side effects happen — then loses its
    /// result and fails the attempt: a response lost on the way back, a function that
    /// timed out after its last write. What a retry then does is the task's idempotence.
    pub fn after_the_task_ran(mut self) -> Self {
        self.after = true;
        self
    }

    /// Only for the Map item with this index.
    pub fn item(mut self, index: usize) -> Self {
        self.items = Items::Only(index);
        self
    }

    /// Only for the Map items `pick` selects.
    pub fn items_where(mut self, pick: impl Fn(usize) -> bool + Send + Sync + 'static) -> Self {
        self.items = Items::Where(Arc::new(pick));
        self
    }

    /// For the first `n` attempts (attempt 0 is the first try; `n` is at least 1).
    pub fn first_attempts(mut self, n: u32) -> Self {
        self.attempts = 0..=n.max(1) - 1;
        self
    }

    /// For these attempts.
    pub fn attempts(mut self, attempts: RangeInclusive<u32>) -> Self {
        self.attempts = attempts;
        self
    }

    /// Fails with `error` and `cause`.
    pub fn throw(mut self, error: impl Into<String>, cause: impl Into<String>) -> Self {
        self.failure = Failure::new(error, cause);
        self
    }

    fn applies(&self, request: &TaskRequest) -> bool {
        request.state == self.state
            && self.attempts.contains(&request.attempt)
            && match (&self.items, request.map_item) {
                (Items::Any, _) => true,
                (Items::Only(i), Some(j)) => *i == j,
                (Items::Where(pick), Some(j)) => pick(j),
                (_, None) => false,
            }
    }
}

/// A runner that injects [`Fault`]s in front of another runner.
pub struct Faults {
    inner: Arc<dyn TaskRunner>,
    faults: Vec<Fault>,
    injected: Mutex<Vec<(String, Option<usize>, u32)>>,
}

impl Faults {
    /// Faults in front of `inner`.
    pub fn new(inner: Arc<dyn TaskRunner>, faults: impl IntoIterator<Item = Fault>) -> Self {
        Faults {
            inner,
            faults: faults.into_iter().collect(),
            injected: Mutex::new(Vec::new()),
        }
    }

    /// Every fault injected so far: state, Map item, attempt.
    pub fn injected(&self) -> Vec<(String, Option<usize>, u32)> {
        self.injected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl TaskRunner for Faults {
    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        self.inner.check(state, resource)
    }

    fn answers_whole(&self, state: &str) -> bool {
        self.inner.answers_whole(state)
    }

    fn map_items(&self, state: &str) -> Option<TaskFuture<'_>> {
        self.inner.map_items(state)
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        if let Some(fault) = self.faults.iter().find(|f| f.applies(&request)) {
            self.injected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((request.state.clone(), request.map_item, request.attempt));
            let failure = fault.failure.clone();
            if fault.after {
                let ran = self.inner.run(request);
                return Box::pin(async move {
                    // The task's own outcome is lost either way.
                    let _lost = ran.await;
                    Err(failure)
                });
            }
            return Box::pin(async move { Err(failure) });
        }
        self.inner.run(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CONFIG: &str = r#"{
      "StateMachines": {"orders": {"TestCases": {
        "HappyPath": {"Validate": "ValidateOk"},
        "RetryPath": {"Validate": "ValidateRetry"}
      }}},
      "MockedResponses": {
        "ValidateOk": {"0": {"Return": {"ok": true}}},
        "ValidateRetry": {
          "0": {"Throw": {"Error": "Throttled", "Cause": "slow down"}},
          "1-2": {"Throw": {"Error": "Transient", "Cause": "try again"}},
          "3": {"Return": {"ok": true}}
        }
      }
    }"#;

    fn request(attempt: u32, map_item: Option<usize>) -> TaskRequest {
        TaskRequest {
            state: "Validate".into(),
            resource: "${Validate}".into(),
            input: json!({}),
            attempt,
            map_item,
            execution: "e".into(),
        }
    }

    #[tokio::test]
    async fn answers_follow_the_attempt_ranges() {
        let config = MockConfig::parse(CONFIG).unwrap();
        let mocks = MockTasks::new(config.test_case(None, "RetryPath").unwrap(), None);
        let mut got = Vec::new();
        for i in 0..4 {
            got.push(mocks.run(request(i, None)).await.map_err(|f| f.error));
        }
        assert_eq!(
            got,
            [
                Err("Throttled".into()),
                Err("Transient".into()),
                Err("Transient".into()),
                Ok(json!({"ok": true}))
            ]
        );
        assert_eq!(
            mocks.run(request(4, None)).await.unwrap_err().error,
            "States.Runtime"
        );
    }

    #[tokio::test]
    async fn map_items_count_separately() {
        let config = MockConfig::parse(CONFIG).unwrap();
        let mocks = MockTasks::new(config.test_case(Some("orders"), "HappyPath").unwrap(), None);
        for item in 0..3 {
            assert_eq!(
                mocks.run(request(0, Some(item))).await.unwrap(),
                json!({"ok": true})
            );
        }
    }

    #[test]
    fn unknown_test_cases_list_the_known_ones() {
        let config = MockConfig::parse(CONFIG).unwrap();
        let err = config.test_case(None, "Nope").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no test case named \"Nope\" in the mock config (test cases: orders/HappyPath, orders/RetryPath)"
        );
        assert!(MockConfig::parse("{\"StateMachines\": 3}").is_err());
    }

    #[tokio::test]
    async fn a_run_takes_its_own_machines_test_case_first() {
        let config = MockConfig::parse(
            r#"{
              "StateMachines": {
                "orders": {"TestCases": {"Shared": {"Validate": "Own"}}},
                "other": {"TestCases": {"Shared": {"Validate": "Theirs"}, "Only": {"Validate": "Theirs"}}}
              },
              "MockedResponses": {
                "Own": {"0": {"Return": {"from": "orders"}}},
                "Theirs": {"0": {"Return": {"from": "other"}}}
              }
            }"#,
        )
        .unwrap();
        let answer = |case| async move {
            MockTasks::new(case, None)
                .run(request(0, None))
                .await
                .unwrap()
        };
        let own = config.test_case_for("orders", "Shared").unwrap();
        assert_eq!(answer(own).await, json!({"from": "orders"}));
        let borrowed = config.test_case_for("orders", "Only").unwrap();
        assert_eq!(answer(borrowed).await, json!({"from": "other"}));
        assert!(config.test_case_for("orders", "Nope").is_err());
    }

    #[test]
    fn faults_pick_states_items_and_attempts() {
        let fault = Fault::on("Embed")
            .item(3)
            .first_attempts(2)
            .throw("Throttled", "x");
        let mut r = request(0, Some(3));
        r.state = "Embed".into();
        assert!(fault.applies(&r));
        r.attempt = 2;
        assert!(!fault.applies(&r));
        r.attempt = 1;
        r.map_item = Some(4);
        assert!(!fault.applies(&r));
        let every_third = Fault::on("Embed").items_where(|i| i % 3 == 0);
        r.attempt = 0;
        r.map_item = Some(6);
        assert!(every_third.applies(&r));
    }
}
