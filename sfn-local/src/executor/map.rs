//! Map states, inline and distributed: the items (ItemsPath — an array's items or an
//! object's members —, or a distributed Map's ItemReader; then the ItemBatcher), their
//! concurrency and failure tolerance, each iteration
//! (ItemSelector, the processor) and the result (an array, or a ResultWriter's files).
//! A redrive runs again only the iterations that did not succeed, on the same Map Run.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use codegen::asl::{Branch, MapState};
use codegen::errors::{STATES_DATA_LIMIT_EXCEEDED, STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD};
use codegen::path::json_len_within;
use futures::stream::{self, StreamExt};
use serde_json::{Map, Value, json};

use super::jsonata_states::{Out, in_state};
use super::pipeline::{Step, Tail};
use super::{Path, Run};
use crate::clock::EXPRESS_MAX_DURATION;
use crate::distributed::ChildResult;
use crate::failure::Failure;
use crate::history::{EventType, History};
use crate::io::{Env, PAYLOAD_LIMIT, truncate};
use crate::map_runs::{MapRunStart, MapRuns};
use crate::redrive::{Done, Entry, Journal, item_scope, state_key};

/// `$$.Map.Item.Source` of items that come from the state's input.
const STATE_DATA: &str = "STATE_DATA";

/// One item of a Map.
struct Item {
    /// The member's name, when the items are an object's members (`$$.Map.Item.Key`).
    key: Option<String>,
    /// The item (`$$.Map.Item.Value`).
    value: Value,
}

impl Item {
    /// An array's item, a read item or a batch.
    fn plain(value: Value) -> Self {
        Item { key: None, value }
    }

    /// The iteration's input without an ItemSelector: the item, or for an object's
    /// member the key-value pair `{key: value}`.
    fn into_input(self) -> Value {
        match self.key {
            Some(key) => Value::Object(Map::from_iter([(key, self.value)])),
            None => self.value,
        }
    }

    /// `$$.Map.Item` for the item at `index`.
    fn context(&self, index: usize, source: &str) -> Value {
        let mut item = Map::new();
        item.insert("Index".into(), json!(index));
        if let Some(key) = &self.key {
            item.insert("Key".into(), json!(key));
        }
        item.insert("Value".into(), self.value.clone());
        item.insert("Source".into(), json!(source));
        json!({ "Item": item })
    }
}

/// A Map's items and where they come from (`$$.Map.Item.Source`).
struct Items {
    list: Vec<Item>,
    source: String,
    /// The task runner answered the ItemReader (see `TaskRunner::map_items`): the
    /// ResultWriter writes nothing either.
    mocked_io: bool,
}

/// What came back from a Map's iterations.
struct Iterations {
    /// Each item's output (or error output), by index.
    outputs: Vec<Value>,
    /// Each item's input and result, by index, when a ResultWriter needs them.
    children: Vec<Option<ChildResult>>,
    /// How many items failed.
    failed: usize,
    /// The first failure, or the terminal one that stopped the Map.
    first_failure: Option<Failure>,
}

/// The state-level facts an iteration needs.
struct MapScope<'a> {
    name: &'a str,
    entered: &'a str,
    /// The Map state's attempt (`$$.State.RetryCount`).
    attempt: u32,
    selector: Option<&'a Value>,
    /// The ItemSelector is a JSONata template.
    jsonata: bool,
    effective: &'a Value,
    source: &'a str,
    processor: &'a Branch,
    /// The live counters of the distributed Map Run, when the caller keeps them.
    counters: Option<Counters<'a>>,
    /// The redrive journal and this state's key in it, when the execution keeps one.
    journal: Option<(&'a Journal, String)>,
    /// A redrive resumes this Map: only the iterations that did not succeed run.
    resuming: bool,
}

/// Where a distributed Map Run's children report to [`Options::map_runs`](crate::Options).
struct Counters<'a> {
    runs: &'a MapRuns,
    arn: &'a str,
    /// The number of items each child runs (one, or its batch's).
    items: Vec<u64>,
}

impl Counters<'_> {
    fn started(&self, index: usize, at: DateTime<Utc>, history: Option<Arc<History>>) {
        let n = self.items.get(index).copied().unwrap_or(1);
        self.runs.child_started(self.arn, index, n, at, history);
    }

    fn input(&self, index: usize, input: &Value) {
        self.runs.child_input(self.arn, index, input);
    }

    fn ended(&self, index: usize, at: DateTime<Utc>, result: &Result<Value, Failure>) {
        let n = self.items.get(index).copied().unwrap_or(1);
        self.runs.child_ended(self.arn, index, n, at, result);
    }
}

impl Run<'_> {
    /// One attempt (number `attempt`, 0-based: `$$.State.RetryCount`) of Map state `name`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn map_attempt(
        &self,
        name: &str,
        m: &MapState,
        input: &Value,
        entered: &str,
        attempt: u32,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let step = Step {
            retry_count: attempt,
            ..Step::plain(name, entered)
        };
        let jsonata = self.jsonata_mode(name);
        let prep = if jsonata {
            self.prepare_jsonata(step, None, input, vars, self.now(path))?
        } else {
            self.prepare(step, &m.input_path, None, input, vars)?
        };
        let (resolved, given_items) = if jsonata {
            self.map_numbers(name, m, input, &prep.ctx, vars, self.now(path))?
        } else {
            (std::borrow::Cow::Borrowed(m), None)
        };
        let m: &MapState = &resolved;
        let env = prep.env(vars);
        let Items {
            list: items,
            source,
            mocked_io,
        } = self.map_items(name, m, &env, given_items).await?;
        let distributed = m.is_distributed();
        let total = items.len();
        let limit = self.concurrency_limit(m, &env, total)?;
        let tolerated = self.tolerated(m, &env, total)?;
        let Some(processor) = m.processor() else {
            return Err(Failure::runtime(format!(
                "Map \"{name}\" has no ItemProcessor"
            )));
        };
        self.record(
            path,
            EventType::MapStateStarted,
            Some(json!({"length": total})),
        )?;
        // A redrive resumes only the iterations that did not succeed, and a distributed
        // Map goes on with its Map Run (see `crate::redrive`).
        let resuming = std::mem::take(&mut path.resuming);
        let journal = self.options.journal.as_ref().map(|j| {
            let key = state_key(&path.scope, name);
            j.clear(&key, resuming);
            (j, key)
        });
        let redriven_run = match (&journal, resuming && distributed) {
            (Some((j, key)), true) => j.take_prior_map_run(key),
            _ => None,
        };
        let map_run_id = match &redriven_run {
            Some(arn) => arn.rsplit(':').next().unwrap_or_default().to_string(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        // The state machine's region and account (the configured ones under a server).
        let map_run_arn = redriven_run.clone().unwrap_or_else(|| {
            format!(
                "{}/{name}:{map_run_id}",
                self.state_machine_arn
                    .replacen(":stateMachine:", ":mapRun:", 1)
            )
        });
        if distributed {
            if let Some((j, key)) = &journal {
                j.map_run(key, &map_run_arn);
            }
            match (&redriven_run, self.redriven) {
                (Some(_), Some((count, _))) => self.record(
                    path,
                    EventType::MapRunRedriven,
                    Some(json!({"mapRunArn": map_run_arn, "redriveCount": count})),
                )?,
                _ => self.record(
                    path,
                    EventType::MapRunStarted,
                    Some(json!({"mapRunArn": map_run_arn})),
                )?,
            }
        }
        let counters = match (&self.options.map_runs, distributed) {
            (Some(runs), true) => {
                let items: Vec<u64> = items
                    .iter()
                    .map(|i| match &m.item_batcher {
                        Some(_) => i.value["Items"].as_array().map_or(1, |a| a.len() as u64),
                        None => 1,
                    })
                    .collect();
                let (count, percent) = self.tolerance(m, &env)?;
                let redrive = match (&redriven_run, self.redriven) {
                    (Some(arn), Some((n, _))) if runs.get(arn).is_some() => Some(n),
                    _ => None,
                };
                if let Some(n) = redrive {
                    runs.redrive(&map_run_arn, n, self.now(path));
                } else {
                    runs.start(MapRunStart {
                        map_run_arn: map_run_arn.clone(),
                        execution_arn: self.execution_arn.clone(),
                        start_date: self.now(path),
                        // As set (0: no limit); a MaxConcurrencyPath was checked by
                        // `concurrency_limit` above.
                        max_concurrency: match (&m.max_concurrency, &m.max_concurrency_path) {
                            (Some(n), _) => n.as_i64().map_or(0, |n| n.max(0) as u64),
                            (None, Some(p)) => self
                                .cache
                                .select(p, &env, "MaxConcurrencyPath")?
                                .as_u64()
                                .unwrap_or(0),
                            (None, None) => 0,
                        },
                        tolerated_failure_percentage: percent.unwrap_or(0.0),
                        tolerated_failure_count: count.map_or(0, |c| c.max(0) as u64),
                        items_per_child: items.clone(),
                        express_children: m
                            .processor()
                            .and_then(|p| p.processor_config.as_ref())
                            .and_then(|c| c.execution_type.as_deref())
                            == Some("EXPRESS"),
                    });
                }
                Some(Counters {
                    runs,
                    arn: &map_run_arn,
                    items,
                })
            }
            _ => None,
        };
        if let Some(p) = &self.options.progress {
            p.map_started(name, total);
        }
        let scope = MapScope {
            name,
            entered,
            attempt,
            selector: m.selector(),
            jsonata,
            effective: &prep.effective,
            source: &source,
            processor,
            counters,
            journal,
            resuming,
        };
        let done = self
            .iterate_items(
                &scope,
                items,
                limit,
                tolerated,
                distributed,
                m.result_writer.is_some(),
                path,
                vars,
            )
            .await;
        let failure = map_failure(name, total, &done, tolerated);
        // A Map Run that fails because its items failed still writes its results, as Step
        // Functions does; one stopped by a terminal error does not.
        let written = match &m.result_writer {
            Some(writer) if failure.as_ref().is_none_or(|f| !f.is_terminal()) => {
                let children: Vec<_> = done.children.into_iter().flatten().collect();
                let services = self.services();
                let written = crate::distributed::write_results(
                    &services.aws,
                    writer,
                    &prep.env(vars),
                    &self.cache,
                    &map_run_arn,
                    &map_run_id,
                    &children,
                    !mocked_io,
                )
                .await;
                if let Some(c) = scope
                    .counters
                    .as_ref()
                    .filter(|_| written.is_ok() && !mocked_io)
                {
                    let items = children
                        .iter()
                        .map(|ch| c.items.get(ch.index).copied().unwrap_or(1))
                        .sum();
                    c.runs.results_written(c.arn, items, children.len() as u64);
                }
                Some(written)
            }
            _ => None,
        };
        if let Some(c) = &scope.counters {
            let now = self.now(path);
            c.runs.finish(c.arn, failure.is_none(), now);
        }
        if let Some(f) = failure {
            if distributed {
                self.record(
                    path,
                    EventType::MapRunFailed,
                    Some(json!({"error": f.error, "cause": f.cause})),
                )?;
            }
            self.record(
                path,
                EventType::MapStateFailed,
                Some(json!({"error": f.error, "cause": f.cause})),
            )?;
            return Err(f);
        }
        if distributed {
            self.record(path, EventType::MapRunSucceeded, None)?;
        }
        if let Some((j, key)) = &scope.journal {
            j.clear(key, false);
        }
        let result = match written {
            Some(written) => written?,
            None => Value::Array(done.outputs),
        };
        self.record(path, EventType::MapStateSucceeded, None)?;
        if jsonata {
            let now = self.now(path);
            return self.finish_jsonata(
                name,
                Out {
                    input,
                    result: Some(&result),
                    error_output: None,
                    ctx: &prep.ctx,
                },
                m.output.as_ref(),
                "Output",
                &[(m.assign.as_ref(), "Assign")],
                vars,
                now,
            );
        }
        self.finish(
            result,
            Tail {
                selector: &m.result_selector,
                assign: &m.assign,
                result_path: &m.result_path,
                output_path: &m.output_path,
            },
            input,
            &prep.ctx,
            vars,
        )
    }

    /// The items: read by the ItemReader (or answered by the task runner's mock, then
    /// `mocked_io`), or selected by ItemsPath from the effective input (an array's items,
    /// or an object's members); then batched by the ItemBatcher.
    async fn map_items(
        &self,
        name: &str,
        m: &MapState,
        env: &Env<'_>,
        given: Option<Value>,
    ) -> Result<Items, Failure> {
        let mocked = match &m.item_reader {
            Some(_) => self.tasks.map_items(name),
            None => None,
        };
        let mocked_io = mocked.is_some();
        let (items, source) = match (&m.item_reader, mocked) {
            (Some(reader), Some(answer)) => match answer.await? {
                Value::Array(items) => (
                    items.into_iter().map(Item::plain).collect(),
                    crate::distributed::mocked_source(reader, env, &self.cache),
                ),
                other => {
                    return Err(Failure::runtime(format!(
                        "the mocked ItemReader of Map \"{name}\" returns {}, not an array of items",
                        truncate(&other)
                    )));
                }
            },
            (Some(reader), None) => {
                let services = self.services();
                let read =
                    crate::distributed::read_items(&services.aws, reader, env, &self.cache).await?;
                (
                    read.items.into_iter().map(Item::plain).collect(),
                    read.source,
                )
            }
            (None, _) => {
                let items = match (given, &m.items_path) {
                    (Some(items), _) => items,
                    (None, Some(p)) if p != "$" => self.cache.select(p, env, "ItemsPath")?,
                    _ => env.input.clone(),
                };
                let items: Vec<Item> = match items {
                    Value::Array(items) => items.into_iter().map(Item::plain).collect(),
                    Value::Object(members) => members
                        .into_iter()
                        .map(|(key, value)| Item {
                            key: Some(key),
                            value,
                        })
                        .collect(),
                    other => {
                        return Err(Failure::runtime(format!(
                            "ItemsPath of Map \"{name}\" selects {}, not an array or an object",
                            truncate(&other)
                        )));
                    }
                };
                (items, STATE_DATA.to_string())
            }
        };
        let list = match &m.item_batcher {
            Some(batcher) => {
                let values = items.into_iter().map(Item::into_input).collect();
                crate::distributed::batch(values, batcher, env, &self.cache)?
                    .into_iter()
                    .map(Item::plain)
                    .collect()
            }
            None => items,
        };
        Ok(Items {
            list,
            source,
            mocked_io,
        })
    }

    /// How many iterations may run at once (MaxConcurrency[Path]; 0 = all of them).
    fn concurrency_limit(&self, m: &MapState, env: &Env, total: usize) -> Result<usize, Failure> {
        let concurrency = match (&m.max_concurrency, &m.max_concurrency_path) {
            (Some(n), _) => n.as_i64().unwrap_or(0),
            (None, Some(p)) => {
                let v = self.cache.select(p, env, "MaxConcurrencyPath")?;
                v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                    Failure::runtime(format!(
                        "MaxConcurrencyPath \"{p}\" is {v}, not a non-negative integer"
                    ))
                })?
            }
            (None, None) => 0,
        };
        Ok(if concurrency <= 0 {
            total.max(1)
        } else {
            (concurrency as usize).min(total.max(1))
        })
    }

    /// How many failed items the Map tolerates, or `None` when any failure fails it.
    fn tolerated(&self, m: &MapState, env: &Env, total: usize) -> Result<Option<usize>, Failure> {
        let (count, percent) = self.tolerance(m, env)?;
        let from_percent = percent.map(|p| ((p / 100.0) * total as f64).floor() as usize);
        let from_count = count.map(|c| c.max(0) as usize);
        Ok(match (from_count, from_percent) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).max(b.unwrap_or(0))),
        })
    }

    /// ToleratedFailureCount[Path] and ToleratedFailurePercentage[Path], as set.
    fn tolerance(&self, m: &MapState, env: &Env) -> Result<(Option<i64>, Option<f64>), Failure> {
        let count = match (&m.tolerated_failure_count, &m.tolerated_failure_count_path) {
            (Some(n), _) => n.as_i64(),
            (None, Some(p)) => self
                .cache
                .select(p, env, "ToleratedFailureCountPath")?
                .as_i64(),
            _ => None,
        };
        let percent = match (
            &m.tolerated_failure_percentage,
            &m.tolerated_failure_percentage_path,
        ) {
            (Some(n), _) => n.as_f64(),
            (None, Some(p)) => self
                .cache
                .select(p, env, "ToleratedFailurePercentagePath")?
                .as_f64(),
            _ => None,
        };
        Ok((count, percent))
    }

    /// Runs the iterations, `limit` at a time, until all are done or a failure stops
    /// the Map; moves `path` past the slowest of them.
    #[allow(clippy::too_many_arguments)]
    async fn iterate_items(
        &self,
        scope: &MapScope<'_>,
        items: Vec<Item>,
        limit: usize,
        tolerated: Option<usize>,
        distributed: bool,
        keep_children: bool,
        path: &mut Path,
        vars: &Map<String, Value>,
    ) -> Iterations {
        let total = items.len();
        let start = path.clone();
        let express_children = distributed
            && scope
                .processor
                .processor_config
                .as_ref()
                .and_then(|c| c.execution_type.as_deref())
                == Some("EXPRESS");
        let iterations = stream::iter(items.into_iter().enumerate())
            .map(|(index, item)| {
                // A distributed Map runs each item as a child execution with its own
                // history; an inline Map records its iterations in the history its
                // state is in (the execution's, or a child execution's).
                let mut item_path = Path {
                    map_item: Some(index),
                    child: if distributed {
                        Some(Arc::new(self.history.child()))
                    } else {
                        start.child.clone()
                    },
                    ..start.clone()
                };
                if distributed {
                    item_path.prev = 0;
                    // An Express child execution lasts at most five minutes.
                    if express_children {
                        item_path.deadline = Some(
                            self.clock
                                .elapsed(start.offset)
                                .saturating_add(EXPRESS_MAX_DURATION),
                        );
                    }
                }
                let mut item_vars = vars.clone();
                // Under a journal: this iteration's scope, and on a redrive its output if
                // it succeeded before, or where it stopped (an Express child starts over).
                let mut prior = None;
                let mut resume = None;
                if let Some((j, key)) = &scope.journal {
                    let item_scope = item_scope(key, index);
                    if scope.resuming {
                        prior = j.take_prior_done(&item_scope);
                        resume = j
                            .take_prior_entry(&item_scope)
                            .filter(|_| !express_children);
                    }
                    item_path.scope = item_scope;
                }
                async move {
                    if let Some(done) = prior {
                        return (index, done.input, Ok(done.output), item_path);
                    }
                    if let Some(c) = &scope.counters {
                        c.started(index, self.now(&item_path), item_path.child.clone());
                    }
                    let (item_input, result) = self
                        .map_iteration(scope, index, item, resume, &mut item_path, &mut item_vars)
                        .await;
                    if let (Some((j, _)), Ok(output)) = (&scope.journal, &result) {
                        j.succeeded(
                            &item_path.scope,
                            Done {
                                input: item_input.clone(),
                                output: output.clone(),
                            },
                        );
                    }
                    let result = result.map_err(|f| self.child_timed_out(&item_path, f));
                    if let Some(c) = &scope.counters {
                        c.ended(index, self.now(&item_path), &result);
                    }
                    if let Some(p) = &self.options.progress {
                        p.map_item_finished(scope.name, index, result.is_ok());
                    }
                    (index, item_input, result, item_path)
                }
            })
            .buffer_unordered(limit);
        futures::pin_mut!(iterations);
        let mut done = Iterations {
            outputs: vec![Value::Null; total],
            children: Vec::new(),
            failed: 0,
            first_failure: None,
        };
        if keep_children {
            done.children.resize_with(total, || None);
        }
        let mut max_offset = path.offset;
        let mut last_event = path.prev;
        // Without a ResultWriter the results come back as one array, which must fit the
        // payload limit: count its bytes as they arrive and stop the Map once it cannot.
        let mut result_bytes = 2usize;
        while let Some((index, item_input, result, item_path)) = iterations.next().await {
            max_offset = max_offset.max(item_path.offset);
            if !distributed {
                last_event = last_event.max(item_path.prev);
            }
            if let Some(slot) = done.children.get_mut(index) {
                *slot = Some(ChildResult {
                    index,
                    input: item_input,
                    result: result.clone(),
                });
            }
            let counted = match (&result, keep_children) {
                (_, true) => Some(0),
                (Ok(v), false) => json_len_within(v, PAYLOAD_LIMIT.saturating_sub(result_bytes)),
                (Err(f), false) => {
                    json_len_within(&f.to_output(), PAYLOAD_LIMIT.saturating_sub(result_bytes))
                }
            };
            match counted {
                Some(n) => result_bytes += n + 1,
                None => {
                    done.first_failure = Some(Failure::new(
                        STATES_DATA_LIMIT_EXCEEDED.as_str(),
                        format!(
                            "the results of Map \"{}\" add up to more than the limit of {PAYLOAD_LIMIT} bytes",
                            scope.name
                        ),
                    ));
                    break;
                }
            }
            match result {
                Ok(v) => done.outputs[index] = v,
                Err(f) if f.is_terminal() => {
                    done.first_failure = Some(f);
                    break;
                }
                Err(f) => {
                    done.failed += 1;
                    done.outputs[index] = f.to_output();
                    if done.first_failure.is_none() {
                        done.first_failure = Some(f);
                    }
                    match tolerated {
                        None => break,
                        Some(allowed) if done.failed > allowed => break,
                        Some(_) => {}
                    }
                }
            }
        }
        path.offset = max_offset;
        path.prev = last_event;
        done
    }

    /// One iteration: its input (through the ItemSelector), then the processor. Returns
    /// the iteration's input with its result.
    async fn map_iteration(
        &self,
        scope: &MapScope<'_>,
        index: usize,
        item: Item,
        resume: Option<Entry>,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> (Value, Result<Value, Failure>) {
        let iteration_input = match self.iteration_input(scope, index, item, path, vars) {
            Ok(v) => v,
            Err(f) => return (Value::Null, Err(f)),
        };
        if let Some(c) = &scope.counters {
            c.input(index, &iteration_input);
        }
        // A redriven iteration goes on from the state where it stopped.
        let (from, input) = match resume {
            Some(entry) => {
                *vars = entry.vars;
                path.resuming = true;
                (entry.state, entry.input)
            }
            None => (scope.processor.start_at.clone(), iteration_input.clone()),
        };
        let result = self
            .iterate(scope.name, index, &from, input, scope.processor, path, vars)
            .await;
        (iteration_input, result)
    }

    fn iteration_input(
        &self,
        scope: &MapScope<'_>,
        index: usize,
        item: Item,
        path: &mut Path,
        vars: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        let name = scope.name;
        self.record(
            path,
            EventType::MapIterationStarted,
            Some(json!({"name": name, "index": index})),
        )?;
        match scope.selector {
            Some(tpl) => {
                let ctx = self.context(
                    name,
                    scope.entered,
                    scope.attempt,
                    Some(("Map", item.context(index, scope.source))),
                );
                if scope.jsonata {
                    let now = self.now(path);
                    let q = self.query(name, in_state(scope.effective, &ctx), vars, now);
                    return q.template(tpl, "ItemSelector");
                }
                let env = Env {
                    input: scope.effective,
                    context: &ctx,
                    variables: vars,
                };
                self.cache.template(tpl, &env, "ItemSelector")
            }
            None => Ok(item.into_input()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn iterate(
        &self,
        name: &str,
        index: usize,
        from: &str,
        iteration_input: Value,
        processor: &Branch,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        match self
            .run_scope(&processor.states, from, iteration_input, None, path, vars)
            .await
        {
            Ok((v, _)) => {
                self.record(
                    path,
                    EventType::MapIterationSucceeded,
                    Some(json!({"name": name, "index": index})),
                )?;
                Ok(v)
            }
            Err(f) => {
                // The iteration's own end is recorded even when the history is full.
                let now = self.now(path);
                let history = path.child.as_deref().unwrap_or(&self.history);
                path.prev = history.record_final(
                    path.prev,
                    now,
                    EventType::MapIterationFailed,
                    Some(json!({"name": name, "index": index, "error": f.error, "cause": f.cause})),
                );
                Err(f)
            }
        }
    }
}

/// What the Map fails with, if it fails: a terminal failure, any failure when nothing is
/// tolerated, or `States.ExceedToleratedFailureThreshold` past the threshold.
fn map_failure(
    name: &str,
    total: usize,
    done: &Iterations,
    tolerated: Option<usize>,
) -> Option<Failure> {
    let failed = done.failed;
    match (&done.first_failure, tolerated) {
        (Some(f), _) if f.is_terminal() => Some(f.clone()),
        (Some(f), None) => Some(f.clone()),
        (Some(f), Some(allowed)) if failed > allowed => Some(Failure::new(
            STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD.as_str(),
            format!(
                "{failed} of {total} items of Map \"{name}\" failed, more than the {allowed} tolerated; first failure: {}: {}",
                f.error, f.cause
            ),
        )),
        _ => None,
    }
}
