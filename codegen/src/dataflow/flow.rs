//! Propagation over the state graph: each state's transfer function (InputPath →
//! Parameters → result → ResultSelector → ResultPath → OutputPath) and a worklist that
//! carries shapes along `Next`, Choice and Catch edges to a fixpoint, recursing into
//! Parallel branches and Map processors.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;
use stepwise_contract::ActivityInfo;

use super::compat::{Mismatch, fits, mismatches};
use super::resolve::{Docs, assign};
use super::shape::{Field, ObjectShape, Shape};
use super::template::{dynamic, path_shape, template};
use crate::asl::{
    ChoiceRule, ChoiceState, ComparisonOp, FailState, MapState, NullablePath, OperandKind,
    ParallelState, PassState, Problem, QueryLanguage, State, States, TaskState, WaitState,
};
use crate::path::{self, JsonPath, Root};

/// How many times a state's incoming shape may grow before it is widened with
/// [`Shape::widen`] (loops that keep nesting the document would otherwise never converge).
const WIDEN_AFTER: usize = 4;

/// How many times a state's incoming shape may grow at all before it becomes `Any`; a
/// safety net, widening converges long before.
const GIVE_UP_AFTER: usize = 40;

/// How `$` is named in messages, by what it refers to.
const STATE_INPUT: &str = "the state input";
const STATE_OUTPUT: &str = "the state output";
const RESULT: &str = "the result";

/// The activities' shapes and the workflow input, shared by every scope.
pub(crate) struct Analyzer<'a> {
    activities: BTreeMap<&'a str, ActivityShapes>,
    execution_input: Shape,
}

/// An activity's input and output shapes.
struct ActivityShapes {
    input: Shape,
    output: Shape,
}

/// What evaluating one state gives.
#[derive(Default)]
struct Eval {
    /// Shapes sent to successors (`Next`, Choice targets, Catch targets).
    edges: Vec<(String, Shape)>,
    /// The output when the state ends its scope.
    terminal: Option<Shape>,
    /// The state's own messages.
    messages: Vec<String>,
    /// Problems of nested states (branches, processors).
    nested: Vec<Problem>,
}

impl<'a> Analyzer<'a> {
    /// Prepares the shapes of the workflow input and of every activity.
    pub(crate) fn new(
        input_schema: &Value,
        activities: &'a BTreeMap<String, ActivityInfo>,
    ) -> Self {
        Analyzer {
            activities: activities
                .iter()
                .map(|(name, info)| {
                    let shapes = ActivityShapes {
                        input: Shape::from_schema(&info.input_schema),
                        output: Shape::from_schema(&info.output_schema),
                    };
                    (name.as_str(), shapes)
                })
                .collect(),
            execution_input: Shape::from_schema(input_schema),
        }
    }

    /// The input shape of the whole execution.
    pub(crate) fn execution_input(&self) -> Shape {
        self.execution_input.clone()
    }

    /// Analyses one scope (the machine, a branch or a processor) from `input` at
    /// `start_at`; returns the scope's output (the union of its terminal states' outputs)
    /// and its problems, in state definition order.
    pub(crate) fn scope(
        &self,
        states: &States,
        start_at: &str,
        input: Shape,
        jsonata: bool,
    ) -> (Shape, Vec<Problem>) {
        let mut incoming: HashMap<&str, Shape> = HashMap::new();
        let mut growth: HashMap<&str, usize> = HashMap::new();
        let mut results: HashMap<&str, Eval> = HashMap::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        let Some((start, _)) = states.get_key_value(start_at) else {
            return (Shape::Any, Vec::new());
        };
        incoming.insert(start.as_str(), input.truncated());
        queue.push_back(start.as_str());
        while let Some(name) = queue.pop_front() {
            let Some(state) = states.get(name) else {
                continue;
            };
            let input = incoming.get(name).cloned().unwrap_or(Shape::Any);
            let mut eval = self.state(state, input, jsonata);
            for (target, shape) in std::mem::take(&mut eval.edges) {
                let Some((target, _)) = states.get_key_value(&target) else {
                    continue;
                };
                let target = target.as_str();
                let merged = match incoming.get(target) {
                    None => shape.truncated(),
                    Some(old) => Shape::union([old.clone(), shape]).truncated(),
                };
                let count = growth.entry(target).or_default();
                let merged = if *count >= WIDEN_AFTER {
                    merged.widen()
                } else {
                    merged
                };
                if incoming.get(target) == Some(&merged) {
                    continue;
                }
                *count += 1;
                let merged = if *count > GIVE_UP_AFTER {
                    Shape::Any
                } else {
                    merged
                };
                incoming.insert(target, merged);
                if !queue.contains(&target) {
                    queue.push_back(target);
                }
            }
            results.insert(name, eval);
        }
        let mut outputs = Vec::new();
        let mut problems = Vec::new();
        for name in states.keys() {
            if let Some(eval) = results.remove(name.as_str()) {
                outputs.extend(eval.terminal);
                problems.extend(
                    eval.messages
                        .into_iter()
                        .map(|m| Problem::state(name.clone(), m)),
                );
                problems.extend(eval.nested);
            }
        }
        (Shape::union(outputs), problems)
    }

    fn state(&self, state: &State, input: Shape, jsonata_default: bool) -> Eval {
        let jsonata = match state.query_language() {
            Some(QueryLanguage::Jsonata) => true,
            Some(QueryLanguage::JsonPath) => false,
            None => jsonata_default,
        };
        if jsonata {
            return self.jsonata_state(state, input);
        }
        let mut eval = Eval::default();
        match state {
            State::Task(t) => self.task(t, input, &mut eval),
            State::Pass(p) => self.pass(p, input, &mut eval),
            State::Choice(c) => self.choice(c, input, &mut eval),
            State::Wait(w) => self.wait(w, input, &mut eval),
            State::Succeed(s) => {
                let ctx = self.context(false, None);
                let eff = apply_path(
                    &input,
                    &s.input_path,
                    "InputPath",
                    STATE_INPUT,
                    &ctx,
                    &mut eval,
                );
                let out = apply_path(
                    &eff,
                    &s.output_path,
                    "OutputPath",
                    STATE_OUTPUT,
                    &ctx,
                    &mut eval,
                );
                eval.terminal = Some(out);
            }
            State::Fail(f) => self.fail(f, &input, &mut eval),
            State::Parallel(p) => self.parallel(p, input, &mut eval),
            State::Map(m) => self.map(m, input, &mut eval),
        }
        if let State::Task(_)
        | State::Pass(_)
        | State::Wait(_)
        | State::Parallel(_)
        | State::Map(_) = state
        {
            let out = eval.terminal.take().unwrap_or(Shape::Any);
            match state.next() {
                Some(next) => eval.edges.push((next.to_string(), out)),
                None => eval.terminal = Some(out),
            }
        }
        eval
    }

    /// A JSONata state (see [`super::jsonata`]): `$states.input`, `$states.result`,
    /// `$states.errorOutput` and `$states.context` references are checked against their
    /// shapes; `Arguments` feed a Parallel's branches, `Items` and `ItemSelector` a Map's
    /// processor; the output is what `Output` builds, else the result (Task, Map,
    /// Parallel) or the input (the others); a Catch target gets what the rule's `Output`
    /// builds, else the error output.
    fn jsonata_state(&self, state: &State, input: Shape) -> Eval {
        use super::jsonata::{Roots, quiet_template};
        let ends = state.next().is_none() && !matches!(state, State::Choice(_) | State::Fail(_));
        let ctx = self.context(matches!(state, State::Task(_)), None);
        let roots = Roots::input(&input, &ctx);
        let mut eval = Eval::default();
        let mut item_context = None;
        let result = match state {
            // A Task that hands its task token out may be completed by whoever holds it.
            State::Task(t) if hands_out_token(t.arguments.as_ref()) => Some(Shape::Any),
            State::Task(t) => Some(match self.activity(&t.resource) {
                Some((_, shapes)) => shapes.output.clone(),
                None => integration_result(&t.resource),
            }),
            State::Parallel(p) => {
                let payload = p
                    .arguments
                    .as_ref()
                    .map_or_else(|| input.clone(), |a| quiet_template(a, roots));
                let mut outputs = Vec::with_capacity(p.branches.len());
                for branch in &p.branches {
                    let jsonata = branch.query_language != Some(QueryLanguage::JsonPath);
                    let (out, problems) =
                        self.scope(&branch.states, &branch.start_at, payload.clone(), jsonata);
                    outputs.push(out);
                    eval.nested.extend(problems);
                }
                Some(Shape::Tuple(outputs))
            }
            State::Map(m) => {
                let items = m
                    .items
                    .as_ref()
                    .map_or_else(|| input.clone(), |i| quiet_template(i, roots));
                let item = match (&m.item_reader, items.items()) {
                    (None, Some(item)) => item,
                    _ => Shape::Any,
                };
                let map_ctx = self.context(false, Some(&item));
                let per_item = match &m.item_selector {
                    Some(selector) => quiet_template(selector, Roots::input(&input, &map_ctx)),
                    None => item,
                };
                item_context = Some(map_ctx);
                let iteration = if m.item_batcher.is_some() {
                    Shape::Any
                } else {
                    per_item
                };
                let processed = match m.processor() {
                    Some(processor) => {
                        let jsonata = processor.query_language != Some(QueryLanguage::JsonPath);
                        let (out, problems) =
                            self.scope(&processor.states, &processor.start_at, iteration, jsonata);
                        eval.nested.extend(problems);
                        Shape::Array(Box::new(out))
                    }
                    None => Shape::Any,
                };
                Some(if m.result_writer.is_some() {
                    Shape::Any
                } else {
                    processed
                })
            }
            _ => None,
        };
        let error_output = error_output_shape();
        eval.messages = super::jsonata::check(
            state,
            roots,
            result.as_ref(),
            &error_output,
            item_context.as_ref(),
        );
        let with_result = match &result {
            Some(result) => roots.with_result(result),
            None => roots,
        };
        let output_of = |template: Option<&Value>| match template {
            Some(template) => quiet_template(template, with_result),
            None => result.clone().unwrap_or_else(|| input.clone()),
        };
        let out = match state {
            State::Task(t) => output_of(t.output.as_ref()),
            State::Parallel(p) => output_of(p.output.as_ref()),
            State::Map(m) => output_of(m.output.as_ref()),
            State::Pass(p) => output_of(p.output.as_ref()),
            State::Wait(w) => output_of(w.output.as_ref()),
            State::Succeed(s) => output_of(s.output.as_ref()),
            State::Choice(c) => output_of(c.output.as_ref()),
            State::Fail(_) => Shape::Any,
        };
        if let State::Choice(c) = state {
            for rule in &c.choices {
                if let Some(next) = &rule.next {
                    let shape = match &rule.output {
                        Some(template) => quiet_template(template, roots),
                        None => out.clone(),
                    };
                    eval.edges.push((next.clone(), shape));
                }
            }
            if let Some(default) = &c.default {
                eval.edges.push((default.clone(), out.clone()));
            }
        } else if let Some(next) = state.next() {
            eval.edges.push((next.to_string(), out.clone()));
        }
        for catcher in state.catch() {
            let shape = match &catcher.output {
                Some(template) => quiet_template(template, roots.with_error(&error_output)),
                None => error_output.clone(),
            };
            eval.edges.push((catcher.next.clone(), shape));
        }
        eval.terminal = ends.then_some(out);
        eval
    }

    /// The context object (`$$`) as seen from one field.
    fn context(&self, task: bool, map_item: Option<&Shape>) -> Shape {
        let s = |name: &str| (name.to_string(), Shape::String);
        let mut execution = ObjectShape::exact([
            s("Id"),
            ("Input".to_string(), self.execution_input.clone()),
            s("Name"),
            s("RoleArn"),
            s("StartTime"),
            ("RedriveCount".to_string(), Shape::Integer),
        ]);
        execution.fields.insert(
            "RedriveTime".to_string(),
            Field {
                shape: Shape::String,
                required: false,
            },
        );
        let mut fields = vec![
            ("Execution".to_string(), Shape::Object(execution)),
            (
                "State".to_string(),
                Shape::Object(ObjectShape::exact([
                    s("EnteredTime"),
                    s("Name"),
                    ("RetryCount".to_string(), Shape::Integer),
                ])),
            ),
            (
                "StateMachine".to_string(),
                Shape::Object(ObjectShape::exact([s("Id"), s("Name")])),
            ),
        ];
        if task {
            fields.push((
                "Task".to_string(),
                Shape::Object(ObjectShape::exact([s("Token")])),
            ));
        }
        if let Some(item) = map_item {
            let item = ObjectShape::exact([
                ("Index".to_string(), Shape::Integer),
                ("Value".to_string(), item.clone()),
            ]);
            let map = ObjectShape::exact([("Item".to_string(), Shape::Object(item))]);
            fields.push(("Map".to_string(), Shape::Object(map)));
        }
        Shape::Object(ObjectShape::exact(fields))
    }

    fn task(&self, t: &TaskState, input: Shape, eval: &mut Eval) {
        let ctx = self.context(false, None);
        let task_ctx = self.context(true, None);
        let eff = apply_path(&input, &t.input_path, "InputPath", STATE_INPUT, &ctx, eval);
        let docs = Docs {
            data: &eff,
            data_name: STATE_INPUT,
            context: &task_ctx,
        };
        let payload = match &t.parameters {
            Some(parameters) => template(parameters, docs, "Parameters", &mut eval.messages),
            None => eff.clone(),
        };
        if let Some(credentials) = &t.credentials {
            template(credentials, docs, "Credentials", &mut eval.messages);
        }
        for (field, text) in [
            ("TimeoutSecondsPath", &t.timeout_seconds_path),
            ("HeartbeatSecondsPath", &t.heartbeat_seconds_path),
        ] {
            if let Some(text) = text {
                typed_path(text, docs, field, &Shape::Number, eval);
            }
        }
        let result = match self.activity(&t.resource) {
            Some((name, shapes)) => {
                for mismatch in mismatches(&payload, &shapes.input) {
                    eval.messages.push(activity_message(name, mismatch));
                }
                shapes.output.clone()
            }
            None => {
                if let Some(expected) = crate::integration::parameter_schema(&t.resource) {
                    for mismatch in mismatches(&payload, &Shape::from_schema(&expected)) {
                        eval.messages
                            .push(parameters_message(&t.resource, mismatch));
                    }
                }
                integration_result(&t.resource)
            }
        };
        self.finish(
            &input,
            result,
            t.result_selector.as_ref(),
            &t.result_path,
            &t.output_path,
            &ctx,
            eval,
        );
        self.catch_edges(&input, &t.catch, eval);
    }

    /// The activity a Task resource runs: `${Name}` with `Name` a known activity.
    fn activity<'r>(&self, resource: &'r str) -> Option<(&'r str, &ActivityShapes)> {
        let name = resource.strip_prefix("${")?.strip_suffix('}')?;
        self.activities.get(name).map(|shapes| (name, shapes))
    }

    /// ResultSelector → ResultPath → OutputPath; leaves the output in `eval.terminal` for
    /// [`Analyzer::state`] to route.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        input: &Shape,
        result: Shape,
        selector: Option<&Value>,
        result_path: &NullablePath,
        output_path: &NullablePath,
        ctx: &Shape,
        eval: &mut Eval,
    ) {
        let selected = match selector {
            Some(selector) => {
                let docs = Docs {
                    data: &result,
                    data_name: RESULT,
                    context: ctx,
                };
                template(selector, docs, "ResultSelector", &mut eval.messages)
            }
            None => result,
        };
        let after = apply_result_path(input, result_path, selected);
        let out = apply_path(&after, output_path, "OutputPath", STATE_OUTPUT, ctx, eval);
        eval.terminal = Some(out);
    }

    fn catch_edges(&self, input: &Shape, catchers: &[crate::asl::Catcher], eval: &mut Eval) {
        for catcher in catchers {
            let shape = apply_result_path(input, &catcher.result_path, error_output_shape());
            eval.edges.push((catcher.next.clone(), shape));
        }
    }

    fn pass(&self, p: &PassState, input: Shape, eval: &mut Eval) {
        let ctx = self.context(false, None);
        let eff = apply_path(&input, &p.input_path, "InputPath", STATE_INPUT, &ctx, eval);
        let docs = Docs {
            data: &eff,
            data_name: STATE_INPUT,
            context: &ctx,
        };
        let parameters = p
            .parameters
            .as_ref()
            .map(|parameters| template(parameters, docs, "Parameters", &mut eval.messages));
        let result = match (&p.result, parameters) {
            (Some(result), _) => Shape::of_value(result),
            (None, Some(parameters)) => parameters,
            (None, None) => eff.clone(),
        };
        let after = apply_result_path(&input, &p.result_path, result);
        let out = apply_path(
            &after,
            &p.output_path,
            "OutputPath",
            STATE_OUTPUT,
            &ctx,
            eval,
        );
        eval.terminal = Some(out);
    }

    fn choice(&self, c: &ChoiceState, input: Shape, eval: &mut Eval) {
        let ctx = self.context(false, None);
        let eff = apply_path(&input, &c.input_path, "InputPath", STATE_INPUT, &ctx, eval);
        let docs = Docs {
            data: &eff,
            data_name: STATE_INPUT,
            context: &ctx,
        };
        // Paths tested with IsPresent anywhere in the state guard every path below them:
        // testing for an optional field first is the idiom, not a mistake.
        let mut guarded = Vec::new();
        for rule in &c.choices {
            presence_tested(rule, &mut guarded);
        }
        for (i, rule) in c.choices.iter().enumerate() {
            check_rule(rule, &format!("Choices[{i}]"), docs, &guarded, eval);
        }
        let out = apply_path(&eff, &c.output_path, "OutputPath", STATE_OUTPUT, &ctx, eval);
        for target in c
            .choices
            .iter()
            .filter_map(|r| r.next.as_deref())
            .chain(c.default.as_deref())
        {
            eval.edges.push((target.to_string(), out.clone()));
        }
    }

    fn wait(&self, w: &WaitState, input: Shape, eval: &mut Eval) {
        let ctx = self.context(false, None);
        let eff = apply_path(&input, &w.input_path, "InputPath", STATE_INPUT, &ctx, eval);
        let docs = Docs {
            data: &eff,
            data_name: STATE_INPUT,
            context: &ctx,
        };
        if let Some(text) = &w.seconds_path {
            typed_path(text, docs, "SecondsPath", &Shape::Number, eval);
        }
        if let Some(text) = &w.timestamp_path {
            typed_path(text, docs, "TimestampPath", &Shape::String, eval);
        }
        let out = apply_path(&eff, &w.output_path, "OutputPath", STATE_OUTPUT, &ctx, eval);
        eval.terminal = Some(out);
    }

    fn fail(&self, f: &FailState, input: &Shape, eval: &mut Eval) {
        let ctx = self.context(false, None);
        let docs = Docs {
            data: input,
            data_name: STATE_INPUT,
            context: &ctx,
        };
        for (field, text) in [("ErrorPath", &f.error_path), ("CausePath", &f.cause_path)] {
            if let Some(text) = text {
                let shape = dynamic(text, docs, field, &mut eval.messages);
                expect(&shape, &Shape::String, field, text, eval);
            }
        }
    }

    fn parallel(&self, p: &ParallelState, input: Shape, eval: &mut Eval) {
        let ctx = self.context(false, None);
        let eff = apply_path(&input, &p.input_path, "InputPath", STATE_INPUT, &ctx, eval);
        let docs = Docs {
            data: &eff,
            data_name: STATE_INPUT,
            context: &ctx,
        };
        let payload = match &p.parameters {
            Some(parameters) => template(parameters, docs, "Parameters", &mut eval.messages),
            None => eff.clone(),
        };
        let mut outputs = Vec::with_capacity(p.branches.len());
        for branch in &p.branches {
            let jsonata = branch.query_language == Some(QueryLanguage::Jsonata);
            let (out, problems) =
                self.scope(&branch.states, &branch.start_at, payload.clone(), jsonata);
            outputs.push(out);
            eval.nested.extend(problems);
        }
        self.finish(
            &input,
            Shape::Tuple(outputs),
            p.result_selector.as_ref(),
            &p.result_path,
            &p.output_path,
            &ctx,
            eval,
        );
        self.catch_edges(&input, &p.catch, eval);
    }

    fn map(&self, m: &MapState, input: Shape, eval: &mut Eval) {
        let ctx = self.context(false, None);
        let eff = apply_path(&input, &m.input_path, "InputPath", STATE_INPUT, &ctx, eval);
        let docs = Docs {
            data: &eff,
            data_name: STATE_INPUT,
            context: &ctx,
        };
        let item = match &m.item_reader {
            Some(reader) => {
                if let Some(parameters) = &reader.parameters {
                    template(
                        parameters,
                        docs,
                        "ItemReader.Parameters",
                        &mut eval.messages,
                    );
                }
                let max_items = reader
                    .reader_config
                    .as_ref()
                    .and_then(|c| c.max_items_path.as_ref());
                if let Some(text) = max_items {
                    typed_path(
                        text,
                        docs,
                        "ItemReader.ReaderConfig.MaxItemsPath",
                        &Shape::Number,
                        eval,
                    );
                }
                Shape::Any
            }
            None => {
                let text = m.items_path.as_deref().unwrap_or("$");
                let items = path_shape(text, docs, "ItemsPath", &mut eval.messages);
                match items.items() {
                    Some(item) => item,
                    None => {
                        eval.messages.push(format!(
                            "ItemsPath \"{text}\": is {}, expected an array",
                            items.describe()
                        ));
                        Shape::Any
                    }
                }
            }
        };
        for (field, text) in [
            ("MaxConcurrencyPath", &m.max_concurrency_path),
            (
                "ToleratedFailurePercentagePath",
                &m.tolerated_failure_percentage_path,
            ),
            ("ToleratedFailureCountPath", &m.tolerated_failure_count_path),
        ] {
            if let Some(text) = text {
                typed_path(text, docs, field, &Shape::Number, eval);
            }
        }
        let map_ctx = self.context(false, Some(&item));
        let selector_docs = Docs {
            data: &eff,
            data_name: STATE_INPUT,
            context: &map_ctx,
        };
        let place = if m.item_selector.is_some() {
            "ItemSelector"
        } else {
            "Parameters"
        };
        let per_item = match m.selector() {
            Some(selector) => template(selector, selector_docs, place, &mut eval.messages),
            None => item,
        };
        let iteration = match &m.item_batcher {
            Some(batcher) => {
                for (field, text) in [
                    (
                        "ItemBatcher.MaxItemsPerBatchPath",
                        &batcher.max_items_per_batch_path,
                    ),
                    (
                        "ItemBatcher.MaxInputBytesPerBatchPath",
                        &batcher.max_input_bytes_per_batch_path,
                    ),
                ] {
                    if let Some(text) = text {
                        typed_path(text, docs, field, &Shape::Number, eval);
                    }
                }
                let mut fields = vec![("Items".to_string(), Shape::Array(Box::new(per_item)))];
                if let Some(batch_input) = &batcher.batch_input {
                    let shape = template(
                        batch_input,
                        docs,
                        "ItemBatcher.BatchInput",
                        &mut eval.messages,
                    );
                    fields.push(("BatchInput".to_string(), shape));
                }
                Shape::Object(ObjectShape::exact(fields))
            }
            None => per_item,
        };
        let processed = match m.processor() {
            Some(processor) => {
                let jsonata = processor.query_language == Some(QueryLanguage::Jsonata);
                let (out, problems) =
                    self.scope(&processor.states, &processor.start_at, iteration, jsonata);
                eval.nested.extend(problems);
                Shape::Array(Box::new(out))
            }
            None => Shape::Any,
        };
        let result = match &m.result_writer {
            Some(writer) => {
                if let Some(parameters) = &writer.parameters {
                    template(
                        parameters,
                        docs,
                        "ResultWriter.Parameters",
                        &mut eval.messages,
                    );
                }
                Shape::Any
            }
            None => processed,
        };
        self.finish(
            &input,
            result,
            m.result_selector.as_ref(),
            &m.result_path,
            &m.output_path,
            &ctx,
            eval,
        );
        self.catch_edges(&input, &m.catch, eval);
    }
}

/// Whether a JSONata Task's `Arguments` pass `$states.context.Task.Token` on: a callback
/// may then complete the task with any result.
fn hands_out_token(arguments: Option<&Value>) -> bool {
    arguments.is_some_and(|a| a.to_string().contains("$states.context.Task.Token"))
}

/// What a Catch rule receives: `Error` and, when there is one, `Cause`.
fn error_output_shape() -> Shape {
    let mut error = ObjectShape::exact([("Error".to_string(), Shape::String)]);
    error.fields.insert(
        "Cause".to_string(),
        Field {
            shape: Shape::String,
            required: false,
        },
    );
    Shape::Object(error)
}

/// The result of a service integration Task as AWS documents it
/// ([`crate::integration::result_schema`]); `Any` for integrations not known there.
fn integration_result(resource: &str) -> Shape {
    crate::integration::result_schema(resource)
        .map(|schema| Shape::from_schema(&schema))
        .unwrap_or(Shape::Any)
}

/// InputPath / OutputPath: absent keeps the document, `null` gives `{}`, a path selects.
fn apply_path(
    shape: &Shape,
    path: &NullablePath,
    field: &str,
    data_name: &str,
    ctx: &Shape,
    eval: &mut Eval,
) -> Shape {
    match path {
        None => shape.clone(),
        Some(None) => Shape::Object(ObjectShape::exact([])),
        Some(Some(text)) => {
            let docs = Docs {
                data: shape,
                data_name,
                context: ctx,
            };
            path_shape(text, docs, field, &mut eval.messages)
        }
    }
}

/// ResultPath: absent or `$` replaces the input with the result, `null` keeps the input,
/// a reference path writes the result into the input.
fn apply_result_path(input: &Shape, path: &NullablePath, result: Shape) -> Shape {
    match path {
        None => result,
        Some(None) => input.clone(),
        Some(Some(text)) => match path::parse(text) {
            Ok(p) if p.root() == Root::Input => assign(input, p.segments(), result),
            _ => Shape::Any,
        },
    }
}

/// A path whose value must have a certain type (`SecondsPath` a number, ...).
fn typed_path(text: &str, docs: Docs<'_>, field: &str, expected: &Shape, eval: &mut Eval) {
    let shape = path_shape(text, docs, field, &mut eval.messages);
    expect(&shape, expected, field, text, eval);
}

fn expect(shape: &Shape, expected: &Shape, field: &str, text: &str, eval: &mut Eval) {
    if !fits(shape, expected) {
        eval.messages.push(format!(
            "{field} \"{text}\": is {}, expected {}",
            shape.describe(),
            expected.describe()
        ));
    }
}

fn activity_message(name: &str, mismatch: Mismatch) -> String {
    format!(
        "input of activity \"{name}\": {}",
        mismatch_detail(mismatch, name)
    )
}

/// A mismatch between a Task's Parameters and what its integration requires.
fn parameters_message(resource: &str, mismatch: Mismatch) -> String {
    let call = resource
        .split_once(":::")
        .map_or(resource, |(_, call)| call);
    let detail = match mismatch {
        Mismatch::WrongType { path, actual, .. } if path.is_empty() => {
            format!("the Parameters are {actual}, expected an object")
        }
        other => mismatch_detail(other, call),
    };
    format!("Parameters of {call}: {detail}")
}

/// A mismatch in words; `consumer` names who rejects an unexpected field.
fn mismatch_detail(mismatch: Mismatch, consumer: &str) -> String {
    match mismatch {
        Mismatch::Missing(path) => format!("missing required field \"{path}\""),
        Mismatch::WrongType {
            path,
            actual,
            expected,
        } if path.is_empty() => {
            format!("the input is {actual}, expected {expected}")
        }
        Mismatch::WrongType {
            path,
            actual,
            expected,
        } => {
            format!("field \"{path}\" is {actual}, expected {expected}")
        }
        Mismatch::Unexpected(path) => {
            format!("unexpected field \"{path}\" ({consumer} rejects unknown fields)")
        }
    }
}

/// Collects the paths a rule (or its nested rules) tests with `IsPresent`.
fn presence_tested(rule: &ChoiceRule, out: &mut Vec<JsonPath>) {
    let tests_presence = rule
        .comparisons
        .iter()
        .any(|c| c.op == ComparisonOp::IsPresent);
    let variable = rule.variable.as_deref().filter(|_| tests_presence);
    out.extend(variable.and_then(|v| path::parse(v).ok()));
    for nested in rule.and.iter().chain(rule.or.iter()).flatten() {
        presence_tested(nested, out);
    }
    if let Some(not) = &rule.not {
        presence_tested(not, out);
    }
}

/// Checks the `Variable` and `…Path` operands of a rule and its nested rules.
fn check_rule(
    rule: &ChoiceRule,
    place: &str,
    docs: Docs<'_>,
    guarded: &[JsonPath],
    eval: &mut Eval,
) {
    let check = |text: &str, field: String, eval: &mut Eval| {
        let Ok(parsed) = path::parse(text) else {
            return;
        };
        let is_guarded = guarded
            .iter()
            .any(|g| g.root() == parsed.root() && parsed.segments().starts_with(g.segments()));
        if !is_guarded {
            path_shape(text, docs, &field, &mut eval.messages);
        }
    };
    if let Some(variable) = &rule.variable {
        check(variable, format!("{place}.Variable"), eval);
    }
    for comparison in &rule.comparisons {
        if let (OperandKind::Path, Value::String(text)) =
            (comparison.op.operand_kind(), &comparison.operand)
        {
            check(text, format!("{place}.{}", comparison.op.name()), eval);
        }
    }
    for (key, rules) in [("And", &rule.and), ("Or", &rule.or)] {
        for (i, nested) in rules.iter().flatten().enumerate() {
            check_rule(nested, &format!("{place}.{key}[{i}]"), docs, guarded, eval);
        }
    }
    if let Some(not) = &rule.not {
        check_rule(not, &format!("{place}.Not"), docs, guarded, eval);
    }
}
