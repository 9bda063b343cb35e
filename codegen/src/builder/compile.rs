//! Turns chains into an ASL [`StateMachine`]: links `Next`/`End`, places Choice arms and
//! Catch handlers, builds nested scopes, and records builder-level problems.

use std::collections::BTreeMap;

use serde_json::Value;
use stepwise_contract::ActivityInfo;

use super::chain::{Chain, Step};
use super::retry::{Catch, Retry};
use crate::asl::{Branch, Problem, QueryLanguage, State, StateMachine, States};
use crate::errors::{is_lambda_service_error, is_states_error};

/// The result of compiling a chain.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The state machine (StartAt and States; the workflow adds the rest).
    pub machine: StateMachine,
    /// The activities the machine runs, by activity name.
    pub activities: BTreeMap<String, ActivityInfo>,
    /// For each Task state that runs an activity: the activity's name.
    pub task_activities: BTreeMap<String, String>,
    /// Problems found while compiling and validating.
    pub problems: Vec<Problem>,
}

/// Compiles and validates a chain.
pub fn compile(chain: Chain) -> Result<StateMachine, Vec<Problem>> {
    let compiled = compile_with_activities(chain);
    if compiled.problems.is_empty() {
        Ok(compiled.machine)
    } else {
        Err(compiled.problems)
    }
}

/// Compiles a chain, keeping what it knows about the activities, then validates the
/// result with [`crate::validate::validate`].
pub fn compile_with_activities(chain: Chain) -> Compiled {
    compile_in(chain, None)
}

/// [`compile_with_activities`] for a machine whose top-level `QueryLanguage` is
/// `language` (`Some(QueryLanguage::Jsonata)`: every state is a JSONata state unless it
/// says otherwise).
pub fn compile_in(chain: Chain, language: Option<QueryLanguage>) -> Compiled {
    let mut c = Compiler::default();
    let mut states = States::new();
    let start_at = c.chain(chain, None, &mut states, "the workflow");
    let machine = StateMachine {
        comment: None,
        query_language: language,
        start_at: start_at.unwrap_or_default(),
        states,
        timeout_seconds: None,
        version: None,
    };
    if machine.start_at.is_empty() {
        c.problems.push(Problem::top("the workflow has no states"));
    } else {
        c.problems.extend(crate::validate::validate(&machine));
    }
    Compiled {
        machine,
        activities: c.activities,
        task_activities: c.task_activities,
        problems: c.problems,
    }
}

#[derive(Default)]
struct Compiler {
    problems: Vec<Problem>,
    activities: BTreeMap<String, ActivityInfo>,
    task_activities: BTreeMap<String, String>,
}

impl Compiler {
    /// Places a chain's states into `scope`; the last one continues to `after` (or ends
    /// the scope). Returns the chain's entry state.
    fn chain(
        &mut self,
        chain: Chain,
        after: Option<String>,
        scope: &mut States,
        owner: &str,
    ) -> Option<String> {
        let entry = chain.entry().map(str::to_string).or_else(|| after.clone());
        let exit = chain.goto.clone().or(after);
        let names: Vec<String> = chain.steps.iter().map(|s| s.name().to_string()).collect();
        let count = chain.steps.len();
        for (i, step) in chain.steps.into_iter().enumerate() {
            let follows_in_chain = i + 1 < count;
            let next = if follows_in_chain {
                Some(names[i + 1].clone())
            } else {
                exit.clone()
            };
            if follows_in_chain && matches!(step, Step::Succeed(_) | Step::Fail(_)) {
                self.problems.push(Problem::state(
                    step.name(),
                    format!(
                        "nothing can follow a {} state, but \"{}\" does",
                        kind(&step),
                        names[i + 1]
                    ),
                ));
            }
            if !follows_in_chain
                && chain.goto.is_some()
                && matches!(step, Step::Succeed(_) | Step::Fail(_))
            {
                self.problems.push(Problem::state(
                    step.name(),
                    "a Succeed or Fail state cannot jump",
                ));
            }
            self.step(step, next, scope);
        }
        if entry.is_none() {
            self.problems.push(Problem::top(format!(
                "{owner} is empty and nothing follows it"
            )));
        }
        entry
    }

    fn step(&mut self, step: Step, next: Option<String>, scope: &mut States) {
        let name = step.name().to_string();
        // Arms and handlers go after their owner, so the definition reads top-down.
        let mut after_owner = States::new();
        let owned = &mut after_owner;
        let state = match step {
            Step::Task(t) => {
                let mut t = *t;
                self.report_all(&name, &t.problems);
                if let Some(problem) = token_problem(&t.state) {
                    self.problems.push(Problem::state(&name, problem));
                }
                if let Some(info) = &t.activity {
                    self.check_errors(&name, info, &t.retries, &t.catches);
                    self.task_activities
                        .insert(name.clone(), info.name.to_string());
                    self.activities.insert(info.name.to_string(), info.clone());
                }
                t.state.retry = self.retries(&name, &t.retries);
                t.state.catch = self.catches(&name, t.catches, &next, owned);
                (t.state.next, t.state.end) = link(next);
                State::Task(Box::new(t.state))
            }
            Step::Pass(mut p) => {
                (p.state.next, p.state.end) = link(next);
                State::Pass(p.state)
            }
            Step::Wait(mut w) => {
                self.report_all(&name, &w.problems);
                (w.state.next, w.state.end) = link(next);
                State::Wait(w.state)
            }
            Step::Succeed(s) => State::Succeed(s.state),
            Step::Fail(f) => State::Fail(f.state),
            Step::Choice(mut c) => {
                for (i, (condition, arm)) in c.arms.into_iter().enumerate() {
                    let owner = format!("arm {i} of Choice \"{name}\"");
                    let target = self
                        .chain(arm, next.clone(), owned, &owner)
                        .unwrap_or_default();
                    c.state.choices.push(condition.into_rule(target));
                }
                if let Some(otherwise) = c.otherwise {
                    let owner = format!("the otherwise arm of Choice \"{name}\"");
                    c.state.default = self.chain(otherwise, next, owned, &owner);
                }
                State::Choice(c.state)
            }
            Step::Parallel(p) => {
                let mut p = *p;
                p.state.branches = p
                    .branches
                    .into_iter()
                    .enumerate()
                    .map(|(i, b)| {
                        self.branch(b, &format!("branch {i} of Parallel \"{name}\""), None)
                    })
                    .collect();
                p.state.retry = self.retries(&name, &p.retries);
                p.state.catch = self.catches(&name, p.catches, &next, owned);
                (p.state.next, p.state.end) = link(next);
                State::Parallel(Box::new(p.state))
            }
            Step::Map(m) => {
                let mut m = *m;
                self.report_all(&name, &m.problems);
                match m.processor {
                    Some(processor) => {
                        let owner = format!("the processor of Map \"{name}\"");
                        m.state.item_processor =
                            Some(self.branch(processor, &owner, m.processor_config));
                    }
                    None => self
                        .problems
                        .push(Problem::state(&name, "a Map needs a processor")),
                }
                m.state.retry = self.retries(&name, &m.retries);
                m.state.catch = self.catches(&name, m.catches, &next, owned);
                (m.state.next, m.state.end) = link(next);
                State::Map(Box::new(m.state))
            }
        };
        for (name, state) in std::iter::once((name, state)).chain(after_owner) {
            if scope.contains_key(&name) {
                self.problems
                    .push(Problem::state(name, "duplicate state name"));
            } else {
                scope.insert(name, state);
            }
        }
    }

    fn branch(
        &mut self,
        chain: Chain,
        owner: &str,
        config: Option<crate::asl::ProcessorConfig>,
    ) -> Branch {
        let mut states = States::new();
        let start_at = self
            .chain(chain, None, &mut states, owner)
            .unwrap_or_default();
        Branch {
            comment: None,
            processor_config: config,
            query_language: None,
            start_at,
            states,
        }
    }

    fn retries(&mut self, name: &str, rules: &[Retry]) -> Vec<crate::asl::Retrier> {
        let mut problems = Vec::new();
        let out = rules
            .iter()
            .enumerate()
            .map(|(i, r)| r.to_asl(&format!("Retry[{i}]"), &mut problems))
            .collect();
        self.report_all(name, &problems);
        out
    }

    fn catches(
        &mut self,
        name: &str,
        rules: Vec<(Catch, Chain)>,
        next: &Option<String>,
        scope: &mut States,
    ) -> Vec<crate::asl::Catcher> {
        rules
            .into_iter()
            .enumerate()
            .map(|(i, (rule, handler))| {
                let owner = format!("the handler of Catch[{i}] of \"{name}\"");
                let target = self
                    .chain(handler, next.clone(), scope, &owner)
                    .unwrap_or_default();
                rule.to_asl(target)
            })
            .collect()
    }

    /// Retry/Catch on an activity task may only name errors the activity raises (or
    /// Step Functions' own).
    fn check_errors(
        &mut self,
        name: &str,
        info: &ActivityInfo,
        retries: &[Retry],
        catches: &[(Catch, Chain)],
    ) {
        let rules = retries
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("Retry[{i}]"), r.errors()))
            .chain(
                catches
                    .iter()
                    .enumerate()
                    .map(|(i, (c, _))| (format!("Catch[{i}]"), c.errors())),
            );
        let mut found = Vec::new();
        for (at, errors) in rules {
            for e in errors {
                if !is_states_error(e.as_str())
                    && !is_lambda_service_error(e.as_str())
                    && !info.errors.contains(e)
                {
                    let known: Vec<_> = info.errors.iter().map(|e| e.as_str()).collect();
                    found.push(format!(
                        "{at}: {} never raises \"{e}\" (it raises {})",
                        info.name,
                        known.join(", ")
                    ));
                }
            }
        }
        self.report_all(name, &found);
    }

    fn report_all(&mut self, name: &str, messages: &[String]) {
        self.problems
            .extend(messages.iter().map(|m| Problem::state(name, m.clone())));
    }
}

/// A `.waitForTaskToken` Task whose Parameters never pass `$$.Task.Token` can never be
/// completed: nobody receives the token to call back with.
fn token_problem(task: &crate::asl::TaskState) -> Option<String> {
    fn passes_token(template: &Value) -> bool {
        match template {
            Value::Object(fields) => fields.iter().any(|(key, value)| {
                (key.ends_with(".$") && value.as_str().is_some_and(|v| v.contains("$$.Task.Token")))
                    || passes_token(value)
            }),
            Value::Array(items) => items.iter().any(passes_token),
            _ => false,
        }
    }
    let waits = task.resource.ends_with(".waitForTaskToken");
    let passed = task.parameters.as_ref().is_some_and(passes_token);
    (waits && !passed).then(|| {
        "waits for a task token, but its Parameters never pass $$.Task.Token (Arg::task_token()), so nothing can complete it".to_string()
    })
}

/// `Next` when there is a following state, `End: true` otherwise.
fn link(next: Option<String>) -> (Option<String>, Option<bool>) {
    match next {
        Some(n) => (Some(n), None),
        None => (None, Some(true)),
    }
}

fn kind(step: &Step) -> &'static str {
    match step {
        Step::Succeed(_) => "Succeed",
        _ => "Fail",
    }
}

#[cfg(test)]
mod tests;
