//! Validation: reject what Step Functions rejects, naming the state and field.
//!
//! [`validate`] checks a parsed [`StateMachine`]: transitions and scopes (StartAt, Next,
//! Default, Catch targets, reachability, terminal states, branches that leave their scope),
//! names (unique, at most 80 characters), paths (JSONPath, reference paths, `.$` payload
//! template values, intrinsic functions), Retry/Catch rules (States.ALL position, value
//! ranges), and the per-type rules (Choice rules, Wait durations, Fail, Map and Parallel
//! configuration, JSONPath- vs JSONata-only fields, every JSONata `{% %}` expression
//! parses). [`validate_json`] parses first, so
//! parse problems come out in the same form.
//!
//! Messages follow `State "X": Field[0].Sub: what is wrong` (see `tests/asl/README.md`).

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::Value;

use crate::asl::{
    Branch, Catcher, ChoiceRule, ChoiceState, FailState, JitterStrategy, Location, MapState,
    Numeric, OperandKind, Problem, QueryLanguage, Retrier, State, StateMachine, States, TaskState,
    WaitState,
};
use crate::{intrinsic, path};

/// The longest state name Step Functions accepts.
pub const MAX_NAME_LEN: usize = 80;
/// The largest `IntervalSeconds` / `MaxDelaySeconds`-like value Step Functions accepts.
const MAX_INTERVAL_SECONDS: i64 = 99_999_999;
/// The longest Wait `Seconds` Step Functions accepts (a `SecondsPath` value beyond it
/// fails the state with `States.Runtime`).
pub const MAX_WAIT_SECONDS: i64 = 99_999_999;
/// The largest `MaxDelaySeconds` Step Functions accepts (one year).
const MAX_DELAY_SECONDS: i64 = 31_622_400;
/// The error name that matches every error.
pub const STATES_ALL: &str = "States.ALL";

/// Parses and validates an ASL document; an empty list means valid.
pub fn validate_json(text: &str) -> Vec<Problem> {
    match crate::asl::from_json(text) {
        Ok(machine) => validate(&machine),
        Err(e) => e.problems,
    }
}

/// Validates a parsed state machine; an empty list means valid.
pub fn validate(machine: &StateMachine) -> Vec<Problem> {
    let mut v = Validator::default();
    let language = machine.query_language.unwrap_or(QueryLanguage::JsonPath);
    if let Some(t) = machine.timeout_seconds
        && t < 1
    {
        v.problems
            .push(Problem::top("TimeoutSeconds: must be >= 1"));
    }
    v.scope(
        &Location::TopLevel,
        None,
        &machine.start_at,
        &machine.states,
        language,
    );
    for (name, count) in v.names {
        if count > 1 {
            v.problems
                .push(Problem::state(name, "duplicate state name"));
        }
    }
    v.problems.sort_by(|a, b| a.location.cmp(&b.location));
    v.problems.dedup();
    v.problems
}

#[derive(Default)]
struct Validator<'a> {
    problems: Vec<Problem>,
    names: HashMap<&'a str, usize>,
}

impl<'a> Validator<'a> {
    /// Checks one scope (the root, a branch or a processor) and everything inside it.
    fn scope(
        &mut self,
        owner: &Location,
        label: Option<&str>,
        start_at: &'a str,
        states: &'a States,
        language: QueryLanguage,
    ) {
        let prefix = label.map(|l| format!("{l}: ")).unwrap_or_default();
        let scope_problem = |message: String| Problem {
            location: owner.clone(),
            message: format!("{prefix}{message}"),
        };
        if !states.contains_key(start_at) {
            self.problems.push(scope_problem(format!(
                "StartAt \"{start_at}\" is not a state"
            )));
        }
        if states.is_empty() {
            self.problems
                .push(scope_problem("States: must not be empty".into()));
        }
        let mut terminal = false;
        for (name, state) in states {
            *self.names.entry(name.as_str()).or_default() += 1;
            terminal |=
                matches!(state, State::Succeed(_) | State::Fail(_)) || state.end() == Some(true);
            let language = state.query_language().unwrap_or(language);
            let mut s = StateCheck {
                name,
                problems: &mut self.problems,
                language,
            };
            s.common(state, states);
            s.by_type(state);
            s.jsonata(state);
            for (child_label, branch) in state.children() {
                self.branch(name, &child_label, branch, language);
            }
        }
        if !terminal && !states.is_empty() {
            self.problems
                .push(scope_problem("no terminal state".into()));
        }
        if states.contains_key(start_at) {
            for name in unreachable(start_at, states) {
                self.problems.push(Problem::state(name, "is unreachable"));
            }
        }
    }

    fn branch(&mut self, owner: &str, label: &str, branch: &'a Branch, language: QueryLanguage) {
        let language = branch.query_language.unwrap_or(language);
        self.scope(
            &Location::State(owner.to_string()),
            Some(label),
            &branch.start_at,
            &branch.states,
            language,
        );
    }
}

/// The states of a scope that cannot be reached from `start_at`, in definition order.
fn unreachable<'s>(start_at: &str, states: &'s States) -> Vec<&'s str> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue = VecDeque::from([start_at]);
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name) {
            continue;
        }
        if let Some(state) = states.get(name) {
            queue.extend(state.transitions());
        }
    }
    states
        .keys()
        .map(String::as_str)
        .filter(|n| !seen.contains(n))
        .collect()
}

/// The checks of one state.
struct StateCheck<'p> {
    name: &'p str,
    problems: &'p mut Vec<Problem>,
    language: QueryLanguage,
}

impl StateCheck<'_> {
    fn report(&mut self, message: impl Into<String>) {
        self.problems.push(Problem::state(self.name, message));
    }

    fn jsonpath(&self) -> bool {
        self.language == QueryLanguage::JsonPath
    }

    /// Rules every state type shares: name, transitions, Next/End.
    fn common(&mut self, state: &State, scope: &States) {
        if self.name.chars().count() > MAX_NAME_LEN {
            self.report(format!("name is longer than {MAX_NAME_LEN} characters"));
        }
        for target in state.transitions() {
            if !scope.contains_key(target) {
                let field = match state {
                    State::Choice(c) if c.default.as_deref() == Some(target) => "Default",
                    _ => "Next",
                };
                self.report(format!("{field} \"{target}\" is not a state"));
            }
        }
        let has_transition = matches!(
            state,
            State::Task(_) | State::Pass(_) | State::Wait(_) | State::Parallel(_) | State::Map(_)
        );
        if has_transition {
            match (state.next(), state.end()) {
                (Some(_), Some(true)) => self.report("has both Next and End"),
                (None, None | Some(false)) => self.report("has neither Next nor End"),
                _ => {}
            }
        }
        self.retry(state.retry());
        self.catch(state.catch());
    }

    fn by_type(&mut self, state: &State) {
        match state {
            State::Task(t) => self.task(t),
            State::Pass(p) => {
                self.io_paths(&p.input_path, &p.output_path, &p.result_path);
                self.template("Parameters", p.parameters.as_ref());
                self.mode_fields(
                    &[("Output", p.output.is_some())],
                    &[("Parameters", p.parameters.is_some())],
                );
                self.assign(p.assign.as_ref());
            }
            State::Choice(c) => self.choice(c),
            State::Wait(w) => self.wait(w),
            State::Succeed(s) => {
                self.io_paths(&s.input_path, &s.output_path, &None);
                self.mode_fields(&[("Output", s.output.is_some())], &[]);
            }
            State::Fail(f) => self.fail(f),
            State::Parallel(p) => {
                self.io_paths(&p.input_path, &p.output_path, &p.result_path);
                self.template("Parameters", p.parameters.as_ref());
                self.template("ResultSelector", p.result_selector.as_ref());
                self.mode_fields(
                    &[
                        ("Arguments", p.arguments.is_some()),
                        ("Output", p.output.is_some()),
                    ],
                    &[
                        ("Parameters", p.parameters.is_some()),
                        ("ResultSelector", p.result_selector.is_some()),
                    ],
                );
                self.assign(p.assign.as_ref());
                if p.branches.is_empty() {
                    self.report("Branches: must not be empty");
                }
            }
            State::Map(m) => self.map(m),
        }
    }

    /// Fields that exist in only one query language.
    fn mode_fields(&mut self, jsonata_only: &[(&str, bool)], jsonpath_only: &[(&str, bool)]) {
        let (wrong, mode) = if self.jsonpath() {
            (jsonata_only, "JSONata")
        } else {
            (jsonpath_only, "JSONPath")
        };
        for (field, present) in wrong {
            if *present {
                self.report(format!("{field}: only allowed in {mode} mode"));
            }
        }
    }

    fn io_paths(
        &mut self,
        input: &Option<Option<String>>,
        output: &Option<Option<String>>,
        result: &Option<Option<String>>,
    ) {
        if !self.jsonpath() {
            for (field, present) in [
                ("InputPath", input.is_some()),
                ("OutputPath", output.is_some()),
                ("ResultPath", result.is_some()),
            ] {
                if present {
                    self.report(format!("{field}: only allowed in JSONPath mode"));
                }
            }
            return;
        }
        if let Some(Some(p)) = input {
            self.path("InputPath", p);
        }
        if let Some(Some(p)) = output {
            self.path("OutputPath", p);
        }
        if let Some(Some(p)) = result {
            self.reference_path("ResultPath", p);
        }
    }

    fn path(&mut self, field: &str, text: &str) {
        if let Err(e) = path::parse(text) {
            self.report(format!("{field}: invalid path \"{text}\": {e}"));
        }
    }

    fn reference_path(&mut self, field: &str, text: &str) {
        match path::parse(text) {
            Ok(p) if p.is_reference_path() && p.root() == path::Root::Input => {}
            Ok(_) => self.report(format!(
                "{field}: invalid reference path \"{text}\": only $, .field, ['field'] and [index] are allowed"
            )),
            Err(e) => self.report(format!("{field}: invalid reference path \"{text}\": {e}")),
        }
    }

    /// A path field that may also hold an intrinsic function (Fail ErrorPath/CausePath).
    fn path_or_intrinsic(&mut self, field: &str, text: &str) {
        if intrinsic::looks_like_call(text) {
            if let Err(e) = intrinsic::parse(text) {
                self.report(format!("{field}: invalid intrinsic function: {e}"));
            }
        } else {
            self.path(field, text);
        }
    }

    /// A payload template: every `.$` key must hold a path or an intrinsic call.
    fn template(&mut self, field: &str, value: Option<&Value>) {
        if let (Some(value), true) = (value, self.jsonpath()) {
            self.template_value(field.to_string(), value);
        }
    }

    fn template_value(&mut self, at: String, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let here = format!("{at}.{key}");
                    if key.ends_with(".$") {
                        match inner {
                            Value::String(s) if intrinsic::looks_like_call(s) => {
                                if let Err(e) = intrinsic::parse(s) {
                                    self.report(format!("{here}: invalid intrinsic function: {e}"));
                                }
                            }
                            Value::String(s) if s.starts_with('$') => {
                                if let Err(e) = path::parse(s) {
                                    self.report(format!("{here}: invalid path \"{s}\": {e}"));
                                }
                            }
                            _ => self.report(format!("{here}: not a path or intrinsic function")),
                        }
                    } else {
                        self.template_value(here, inner);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.template_value(format!("{at}[{i}]"), item);
                }
            }
            _ => {}
        }
    }

    fn assign(&mut self, value: Option<&Value>) {
        self.template("Assign", value);
    }

    fn error_equals(&mut self, field: &str, i: usize, names: &[String], count: usize) {
        if names.is_empty() {
            self.report(format!("{field}[{i}].ErrorEquals: must not be empty"));
        }
        if names.iter().any(|n| n == STATES_ALL) {
            if names.len() > 1 {
                self.report(format!(
                    "{field}[{i}].ErrorEquals: States.ALL must appear alone"
                ));
            }
            if i + 1 != count {
                let rule = if field == "Retry" {
                    "retrier"
                } else {
                    "catcher"
                };
                self.report(format!(
                    "{field}[{i}]: the {rule} with States.ALL must be the last"
                ));
            }
        }
    }

    fn retry(&mut self, rules: &[Retrier]) {
        for (i, r) in rules.iter().enumerate() {
            self.error_equals("Retry", i, &r.error_equals, rules.len());
            let at = format!("Retry[{i}]");
            if let Some(n) = r.max_attempts {
                if n < 0 {
                    self.report(format!("{at}.MaxAttempts: must be >= 0"));
                } else if n > MAX_INTERVAL_SECONDS {
                    self.report(format!(
                        "{at}.MaxAttempts: must be <= {MAX_INTERVAL_SECONDS}"
                    ));
                }
            }
            if let Some(rate) = &r.backoff_rate
                && rate.as_f64().is_none_or(|f| f < 1.0)
            {
                self.report(format!("{at}.BackoffRate: must be >= 1.0"));
            }
            if let Some(n) = r.interval_seconds {
                if n < 1 {
                    self.report(format!("{at}.IntervalSeconds: must be >= 1"));
                } else if n > MAX_INTERVAL_SECONDS {
                    self.report(format!(
                        "{at}.IntervalSeconds: must be <= {MAX_INTERVAL_SECONDS}"
                    ));
                }
            }
            if let Some(n) = r.max_delay_seconds {
                if n < 1 {
                    self.report(format!("{at}.MaxDelaySeconds: must be >= 1"));
                } else if n > MAX_DELAY_SECONDS {
                    self.report(format!(
                        "{at}.MaxDelaySeconds: must be <= {MAX_DELAY_SECONDS}"
                    ));
                }
            }
            if let Some(JitterStrategy::Other(_)) = &r.jitter_strategy {
                self.report(format!("{at}.JitterStrategy: must be FULL or NONE"));
            }
        }
    }

    fn catch(&mut self, rules: &[Catcher]) {
        for (i, c) in rules.iter().enumerate() {
            self.error_equals("Catch", i, &c.error_equals, rules.len());
            if let Some(Some(p)) = &c.result_path {
                if self.jsonpath() {
                    self.reference_path(&format!("Catch[{i}].ResultPath"), p);
                } else {
                    self.report(format!(
                        "Catch[{i}].ResultPath: only allowed in JSONPath mode"
                    ));
                }
            }
            if self.jsonpath() {
                self.template(&format!("Catch[{i}].Assign"), c.assign.as_ref());
            }
        }
    }

    /// Timeout/heartbeat pairs of a Task.
    fn timeouts(&mut self, t: &TaskState) {
        let pairs = [
            (
                "TimeoutSeconds",
                t.timeout_seconds.is_some(),
                t.timeout_seconds_path.as_deref(),
            ),
            (
                "HeartbeatSeconds",
                t.heartbeat_seconds.is_some(),
                t.heartbeat_seconds_path.as_deref(),
            ),
        ];
        for (field, literal, path) in pairs {
            if let Some(p) = path {
                if literal {
                    self.report(format!("{field} and {field}Path are mutually exclusive"));
                }
                self.reference_path(&format!("{field}Path"), p);
            }
        }
        for (field, value) in [
            ("TimeoutSeconds", &t.timeout_seconds),
            ("HeartbeatSeconds", &t.heartbeat_seconds),
        ] {
            self.positive_count(field, value.as_ref(), 1);
        }
        let literal = |n: &Option<Numeric>| n.as_ref().and_then(Numeric::as_i64);
        if let (Some(timeout), Some(heartbeat)) =
            (literal(&t.timeout_seconds), literal(&t.heartbeat_seconds))
            && heartbeat >= timeout
        {
            self.report("HeartbeatSeconds must be smaller than TimeoutSeconds");
        }
    }

    /// A numeric field that must be an integer of at least `min` (or, in JSONata mode, an
    /// expression).
    fn positive_count(&mut self, field: &str, value: Option<&Numeric>, min: i64) {
        match value {
            None => {}
            Some(Numeric::Expr(e)) if self.jsonpath() || !is_jsonata_expr(e) => {
                self.report(format!("{field}: expected a number"));
            }
            // A JSONata expression: checked at run time.
            Some(Numeric::Expr(_)) => {}
            Some(n) => match n.as_i64() {
                Some(v) if v >= min => {}
                Some(_) => self.report(format!("{field}: must be >= {min}")),
                None => self.report(format!("{field}: expected an integer")),
            },
        }
    }

    fn task(&mut self, t: &TaskState) {
        if t.resource.trim().is_empty() {
            self.report("Resource: must not be empty");
        }
        self.io_paths(&t.input_path, &t.output_path, &t.result_path);
        self.template("Parameters", t.parameters.as_ref());
        self.template("ResultSelector", t.result_selector.as_ref());
        self.template("Credentials", t.credentials.as_ref());
        self.mode_fields(
            &[
                ("Arguments", t.arguments.is_some()),
                ("Output", t.output.is_some()),
            ],
            &[
                ("Parameters", t.parameters.is_some()),
                ("ResultSelector", t.result_selector.is_some()),
            ],
        );
        self.assign(t.assign.as_ref());
        self.timeouts(t);
    }

    fn wait(&mut self, w: &WaitState) {
        self.io_paths(&w.input_path, &w.output_path, &None);
        let set = [
            w.seconds.is_some(),
            w.timestamp.is_some(),
            w.seconds_path.is_some(),
            w.timestamp_path.is_some(),
        ];
        if set.iter().filter(|x| **x).count() != 1 {
            self.report("needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath");
        }
        self.positive_count("Seconds", w.seconds.as_ref(), 0);
        if let Some(seconds) = w.seconds.as_ref().and_then(Numeric::as_i64)
            && seconds > MAX_WAIT_SECONDS
        {
            self.report(format!("Seconds: must be <= {MAX_WAIT_SECONDS}"));
        }
        let jsonata_expr = |ts: &str| !self.jsonpath() && is_jsonata_expr(ts);
        if let Some(ts) = &w.timestamp
            && !jsonata_expr(ts)
            && !is_rfc3339(ts)
        {
            self.report("Timestamp: not an RFC 3339 timestamp");
        }
        for (field, p) in [
            ("SecondsPath", &w.seconds_path),
            ("TimestampPath", &w.timestamp_path),
        ] {
            if let Some(p) = p {
                self.reference_path(field, p);
            }
        }
        self.mode_fields(&[("Output", w.output.is_some())], &[]);
        self.assign(w.assign.as_ref());
    }

    fn fail(&mut self, f: &FailState) {
        if f.error.is_some() && f.error_path.is_some() {
            self.report("Error and ErrorPath are mutually exclusive");
        }
        if f.cause.is_some() && f.cause_path.is_some() {
            self.report("Cause and CausePath are mutually exclusive");
        }
        for (field, p) in [("ErrorPath", &f.error_path), ("CausePath", &f.cause_path)] {
            if let Some(p) = p {
                if self.jsonpath() {
                    self.path_or_intrinsic(field, p);
                } else {
                    self.report(format!("{field}: only allowed in JSONPath mode"));
                }
            }
        }
    }

    fn choice(&mut self, c: &ChoiceState) {
        self.io_paths(&c.input_path, &c.output_path, &None);
        self.mode_fields(&[("Output", c.output.is_some())], &[]);
        self.assign(c.assign.as_ref());
        if c.choices.is_empty() {
            self.report("Choices: must not be empty");
        }
        for (i, rule) in c.choices.iter().enumerate() {
            let at = format!("Choices[{i}]");
            if rule.next.is_none() {
                self.report(format!("{at}: missing field \"Next\""));
            }
            self.rule(&at, rule);
        }
    }

    fn rule(&mut self, at: &str, rule: &ChoiceRule) {
        let kinds = [
            !rule.comparisons.is_empty(),
            rule.and.is_some(),
            rule.or.is_some(),
            rule.not.is_some(),
            rule.condition.is_some(),
        ];
        let count = rule.comparisons.len() + kinds[1..].iter().filter(|x| **x).count();
        if count != 1 {
            self.report(format!("{at}: needs exactly one comparison operator"));
            return;
        }
        if rule.condition.is_some() {
            if self.jsonpath() {
                self.report(format!("{at}.Condition: only allowed in JSONata mode"));
            }
            return;
        }
        if !self.jsonpath() && rule.variable.is_some() {
            self.report(format!("{at}.Variable: only allowed in JSONPath mode"));
            return;
        }
        for (op, sub) in [("And", &rule.and), ("Or", &rule.or)] {
            if let Some(sub) = sub {
                if sub.is_empty() {
                    self.report(format!("{at}.{op}: must not be empty"));
                }
                for (j, r) in sub.iter().enumerate() {
                    self.nested_rule(&format!("{at}.{op}[{j}]"), r);
                }
            }
        }
        if let Some(not) = &rule.not {
            self.nested_rule(&format!("{at}.Not"), not);
        }
        if let Some(cmp) = rule.comparisons.first() {
            match &rule.variable {
                None => self.report(format!("{at}: missing field \"Variable\"")),
                Some(v) => self.path(&format!("{at}.Variable"), v),
            }
            self.operand(
                &format!("{at}.{}", cmp.op.name()),
                cmp.op.operand_kind(),
                &cmp.operand,
            );
        }
    }

    fn nested_rule(&mut self, at: &str, rule: &ChoiceRule) {
        if rule.next.is_some() {
            self.report(format!("{at}: Next is only allowed on top-level rules"));
        }
        self.rule(at, rule);
    }

    fn operand(&mut self, at: &str, kind: OperandKind, operand: &Value) {
        let problem = match (kind, operand) {
            (OperandKind::String | OperandKind::Pattern, Value::String(_)) => None,
            (OperandKind::String | OperandKind::Pattern, _) => Some("expected a string"),
            (OperandKind::Number, Value::Number(_)) => None,
            (OperandKind::Number, _) => Some("expected a number"),
            (OperandKind::Boolean | OperandKind::TypeTest, Value::Bool(_)) => None,
            (OperandKind::Boolean | OperandKind::TypeTest, _) => Some("expected true or false"),
            (OperandKind::Timestamp, Value::String(s)) if is_rfc3339(s) => None,
            (OperandKind::Timestamp, _) => Some("not an RFC 3339 timestamp"),
            (OperandKind::Path, Value::String(s)) => {
                self.path(at, s);
                None
            }
            (OperandKind::Path, _) => Some("expected a path string"),
        };
        if let Some(problem) = problem {
            self.report(format!("{at}: {problem}"));
        }
    }

    fn map(&mut self, m: &MapState) {
        self.io_paths(&m.input_path, &m.output_path, &m.result_path);
        if let Some(p) = &m.items_path {
            if self.jsonpath() {
                self.reference_path("ItemsPath", p);
            } else {
                self.report("ItemsPath: only allowed in JSONPath mode");
            }
        }
        match (&m.item_processor, &m.iterator) {
            (None, None) => self.report("missing field \"ItemProcessor\""),
            (Some(_), Some(_)) => self.report("ItemProcessor and Iterator are mutually exclusive"),
            _ => {}
        }
        if m.item_selector.is_some() && m.parameters.is_some() {
            self.report("ItemSelector and Parameters are mutually exclusive");
        }
        self.template("ItemSelector", m.item_selector.as_ref());
        self.template("Parameters", m.parameters.as_ref());
        self.template("ResultSelector", m.result_selector.as_ref());
        if let Some(reader) = &m.item_reader {
            self.template("ItemReader.Parameters", reader.parameters.as_ref());
        }
        if let Some(writer) = &m.result_writer {
            self.template("ResultWriter.Parameters", writer.parameters.as_ref());
        }
        self.mode_fields(
            &[("Items", m.items.is_some()), ("Output", m.output.is_some())],
            &[
                ("Parameters", m.parameters.is_some()),
                ("ResultSelector", m.result_selector.is_some()),
            ],
        );
        self.assign(m.assign.as_ref());
        let pairs = [
            (
                "MaxConcurrency",
                m.max_concurrency.is_some(),
                &m.max_concurrency_path,
            ),
            (
                "ToleratedFailurePercentage",
                m.tolerated_failure_percentage.is_some(),
                &m.tolerated_failure_percentage_path,
            ),
            (
                "ToleratedFailureCount",
                m.tolerated_failure_count.is_some(),
                &m.tolerated_failure_count_path,
            ),
        ];
        for (field, literal, path) in pairs {
            if let Some(p) = path {
                if literal {
                    self.report(format!("{field} and {field}Path are mutually exclusive"));
                }
                self.reference_path(&format!("{field}Path"), p);
            }
        }
        self.positive_count("MaxConcurrency", m.max_concurrency.as_ref(), 0);
        self.positive_count(
            "ToleratedFailureCount",
            m.tolerated_failure_count.as_ref(),
            0,
        );
        if let Some(p) = &m.tolerated_failure_percentage {
            match p {
                Numeric::Expr(e) if !self.jsonpath() && is_jsonata_expr(e) => {}
                _ => {
                    if p.as_f64().is_none_or(|f| !(0.0..=100.0).contains(&f)) {
                        self.report("ToleratedFailurePercentage: must be between 0 and 100");
                    }
                }
            }
        }
        if let Some(label) = &m.label
            && label.chars().count() > 40
        {
            self.report("Label: must be at most 40 characters");
        }
    }
}

/// Whether `s` is a JSONata `{% ... %}` expression.
fn is_jsonata_expr(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("{%") && t.ends_with("%}")
}

/// Whether `s` is an RFC 3339 timestamp as Step Functions requires (`T` separator, an
/// offset or `Z`, optional fraction), e.g. `2016-03-14T01:59:00Z`: a real calendar date
/// (no February 30th) and an offset within ±23:59, so what passes here also parses when
/// the state runs.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    let (month, day, hour, minute, second) =
        (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    let year = num(0..4);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&month)
        || !(1..=days_in_month).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &s[i..] {
        "Z" | "z" => true,
        rest => {
            let r = rest.as_bytes();
            r.len() == 6
                && (r[0] == b'+' || r[0] == b'-')
                && r[1..3].iter().all(u8::is_ascii_digit)
                && r[3] == b':'
                && r[4..6].iter().all(u8::is_ascii_digit)
                && num(i + 1..i + 3) <= 23
                && num(i + 4..i + 6) <= 59
        }
    }
}

pub(crate) mod jsonata;

#[cfg(test)]
mod tests;
