//! JSONata states (`"QueryLanguage": "JSONata"` on the machine or the state): the way in
//! (`Arguments`), the way out (`Output` and `Assign`), and the states that do their work
//! inside the interpreter (Pass, Succeed, Choice, Wait, Fail) in that mode.
//!
//! As Step Functions orders it, `Output` and `Assign` both read the state's input
//! (`$states.input`), its result (`$states.result`) or the error a Catch handles
//! (`$states.errorOutput`), the context object (`$states.context`) and the variables as
//! they were before the state: a variable the state assigns is not visible to its own
//! `Output`. Without `Output` a state's output is its result (Task, Parallel, Map), the
//! error output (Catch) or its input (the other states).

use std::borrow::Cow;
use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use codegen::asl::{
    ChoiceState, FailState, MapState, Numeric, PassState, QueryLanguage, States, SucceedState,
    TaskState, WaitState,
};
use codegen::errors::STATES_NO_CHOICE_MATCHED;
use codegen::validate::MAX_WAIT_SECONDS;
use serde_json::{Map, Value};

use super::pipeline::{Prepared, Step};
use super::{Flow, Path, Run};
use crate::failure::Failure;
use crate::io::truncate;
use crate::jsonata::{Query, StatesVar, expression_text};

/// What a JSONata state's way out reads: its input, and its result or the error a Catch
/// handles.
pub(super) struct Out<'a> {
    /// The state's input.
    pub input: &'a Value,
    /// The work's result (Task, Parallel, Map).
    pub result: Option<&'a Value>,
    /// The error output (a Catch rule).
    pub error_output: Option<&'a Value>,
    /// The context object.
    pub ctx: &'a Value,
}

impl Run<'_> {
    /// Whether the state named `name` runs in JSONata mode (see [`collect_jsonata`]).
    pub(super) fn jsonata_mode(&self, name: &str) -> bool {
        self.jsonata_states.contains(name)
    }

    /// A JSONata scope for state `name`.
    pub(super) fn query<'q>(
        &self,
        name: &str,
        states: StatesVar<'q>,
        vars: &'q Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Query<'q> {
        Query::new(name, states, vars, now, self.options.seed)
    }

    /// The way in of a JSONata state: its context object and its `Arguments` evaluated
    /// against its input (the input itself without them).
    pub(super) fn prepare_jsonata<'i>(
        &self,
        step: Step,
        arguments: Option<&Value>,
        input: &'i Value,
        vars: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Prepared<'i>, Failure> {
        let name = step.name;
        let ctx = self.context(name, step.entered, step.retry_count, step.extra);
        let parameters = match arguments {
            Some(template) => {
                let q = self.query(name, in_state(input, &ctx), vars, now);
                Some(q.template(template, "Arguments")?)
            }
            None => None,
        };
        Ok(Prepared {
            ctx,
            effective: Cow::Borrowed(input),
            parameters,
        })
    }

    /// The way out of a JSONata state: `Output` (or the default output) and `Assign`,
    /// both evaluated before either takes effect; then the variables are stored.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_jsonata(
        &self,
        name: &str,
        out: Out,
        output: Option<&Value>,
        output_field: &str,
        assign: &[(Option<&Value>, &str)],
        vars: &mut Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Value, Failure> {
        let q = self.query(
            name,
            StatesVar {
                input: out.input,
                result: out.result,
                error_output: out.error_output,
                context: out.ctx,
            },
            vars,
            now,
        );
        let mut assigned = Vec::with_capacity(assign.len());
        for (block, field) in assign {
            if let Some(block) = block {
                assigned.push(q.assign(block, field)?);
            }
        }
        let value = match output {
            Some(template) => q.template(template, output_field)?,
            None => out.error_output.or(out.result).unwrap_or(out.input).clone(),
        };
        for block in assigned {
            vars.extend(block);
        }
        Ok(value)
    }

    /// A JSONata `Numeric` field (`TimeoutSeconds`, `MaxConcurrency`, …): a literal, or an
    /// expression whose value must be a number.
    pub(super) fn numeric_jsonata(
        &self,
        q: &Query<'_>,
        value: &Option<Numeric>,
        field: &str,
    ) -> Result<Option<Numeric>, Failure> {
        match value {
            Some(Numeric::Expr(e)) => {
                let text = expression_text(e).unwrap_or(e);
                match q.expression(text, field)? {
                    Value::Number(n) => Ok(Some(Numeric::Number(n))),
                    other => Err(q.wrong_type(field, &other, "a number")),
                }
            }
            other => Ok(other.clone()),
        }
    }

    /// A Task whose `TimeoutSeconds`/`HeartbeatSeconds` expressions are evaluated (the
    /// state itself when it has none).
    pub(super) fn task_numbers<'t>(
        &self,
        name: &str,
        t: &'t TaskState,
        input: &Value,
        ctx: &Value,
        vars: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Cow<'t, TaskState>, Failure> {
        let is_expr = |n: &Option<Numeric>| matches!(n, Some(Numeric::Expr(_)));
        if !is_expr(&t.timeout_seconds) && !is_expr(&t.heartbeat_seconds) {
            return Ok(Cow::Borrowed(t));
        }
        let q = self.query(name, in_state(input, ctx), vars, now);
        let mut resolved = t.clone();
        resolved.timeout_seconds =
            self.numeric_jsonata(&q, &t.timeout_seconds, "TimeoutSeconds")?;
        resolved.heartbeat_seconds =
            self.numeric_jsonata(&q, &t.heartbeat_seconds, "HeartbeatSeconds")?;
        Ok(Cow::Owned(resolved))
    }

    /// A Map whose `MaxConcurrency`, tolerated-failure and ItemBatcher/ItemReader number
    /// expressions are evaluated, whose ItemReader's and ResultWriter's `Arguments` (and
    /// ItemBatcher's `BatchInput`) are evaluated into the fields the distributed Map reads,
    /// and its `Items` (when it has them), which must be an array.
    pub(super) fn map_numbers<'m>(
        &self,
        name: &str,
        m: &'m MapState,
        input: &Value,
        ctx: &Value,
        vars: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<(Cow<'m, MapState>, Option<Value>), Failure> {
        let is_expr = |n: &Option<Numeric>| matches!(n, Some(Numeric::Expr(_)));
        let batcher = m.item_batcher.as_ref();
        let exprs = is_expr(&m.max_concurrency)
            || is_expr(&m.tolerated_failure_count)
            || is_expr(&m.tolerated_failure_percentage)
            || m.item_reader.as_ref().is_some_and(|r| {
                r.arguments.is_some()
                    || r.reader_config
                        .as_ref()
                        .is_some_and(|c| is_expr(&c.max_items))
            })
            || m.result_writer
                .as_ref()
                .is_some_and(|w| w.arguments.is_some())
            || batcher.is_some_and(|b| {
                b.batch_input.is_some()
                    || is_expr(&b.max_items_per_batch)
                    || is_expr(&b.max_input_bytes_per_batch)
            });
        if !exprs && m.items.is_none() {
            return Ok((Cow::Borrowed(m), None));
        }
        let q = self.query(name, in_state(input, ctx), vars, now);
        let items = match &m.items {
            Some(template) => match q.template(template, "Items")? {
                v @ Value::Array(_) => Some(v),
                other => return Err(q.wrong_type("Items", &other, "an array")),
            },
            None => None,
        };
        if !exprs {
            return Ok((Cow::Borrowed(m), items));
        }
        let mut resolved = m.clone();
        resolved.max_concurrency =
            self.numeric_jsonata(&q, &m.max_concurrency, "MaxConcurrency")?;
        resolved.tolerated_failure_count =
            self.numeric_jsonata(&q, &m.tolerated_failure_count, "ToleratedFailureCount")?;
        resolved.tolerated_failure_percentage = self.numeric_jsonata(
            &q,
            &m.tolerated_failure_percentage,
            "ToleratedFailurePercentage",
        )?;
        if let Some(reader) = resolved.item_reader.as_mut() {
            if let Some(args) = reader.arguments.take() {
                reader.parameters = Some(q.template(&args, "ItemReader.Arguments")?);
            }
            if let Some(config) = reader.reader_config.as_mut() {
                config.max_items = self.numeric_jsonata(
                    &q,
                    &config.max_items,
                    "ItemReader.ReaderConfig.MaxItems",
                )?;
            }
        }
        if let Some(writer) = resolved.result_writer.as_mut()
            && let Some(args) = writer.arguments.take()
        {
            writer.parameters = Some(q.template(&args, "ResultWriter.Arguments")?);
        }
        if let Some(b) = resolved.item_batcher.as_mut() {
            if let Some(input) = b.batch_input.take() {
                b.batch_input = Some(q.template(&input, "ItemBatcher.BatchInput")?);
            }
            b.max_items_per_batch =
                self.numeric_jsonata(&q, &b.max_items_per_batch, "ItemBatcher.MaxItemsPerBatch")?;
            b.max_input_bytes_per_batch = self.numeric_jsonata(
                &q,
                &b.max_input_bytes_per_batch,
                "ItemBatcher.MaxInputBytesPerBatch",
            )?;
        }
        Ok((Cow::Owned(resolved), items))
    }

    /// A JSONata Pass: its output is `Output` (or its input).
    pub(super) fn pass_jsonata(
        &self,
        name: &str,
        s: &PassState,
        input: &Value,
        entered: &str,
        now: DateTime<Utc>,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let out = self.finish_jsonata(
            name,
            Out {
                input,
                result: None,
                error_output: None,
                ctx: &ctx,
            },
            s.output.as_ref(),
            "Output",
            &[(s.assign.as_ref(), "Assign")],
            vars,
            now,
        )?;
        Ok((Flow::after(&s.next), out))
    }

    /// A JSONata Succeed: its output is `Output` (or its input).
    pub(super) fn succeed_jsonata(
        &self,
        name: &str,
        s: &SucceedState,
        input: &Value,
        entered: &str,
        now: DateTime<Utc>,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let out = self.finish_jsonata(
            name,
            Out {
                input,
                result: None,
                error_output: None,
                ctx: &ctx,
            },
            s.output.as_ref(),
            "Output",
            &[],
            vars,
            now,
        )?;
        Ok((Flow::End, out))
    }

    /// A JSONata Choice: the first rule whose `Condition` is true; the output is that
    /// rule's `Output`, else the state's, else the input; the state's `Assign` then the
    /// rule's.
    pub(super) fn choice_jsonata(
        &self,
        name: &str,
        c: &ChoiceState,
        input: &Value,
        entered: &str,
        now: DateTime<Utc>,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let q = self.query(name, in_state(input, &ctx), vars, now);
        let mut matched = None;
        for (i, rule) in c.choices.iter().enumerate() {
            let field = format!("Choices[{i}].Condition");
            let Some(condition) = &rule.condition else {
                return Err(Failure::runtime(format!(
                    "Choice rule {i} of JSONata state \"{name}\" has no Condition"
                )));
            };
            if q.condition(condition, &field)? {
                matched = Some(rule);
                break;
            }
        }
        drop(q);
        let target = match matched
            .and_then(|rule| rule.next.clone())
            .or_else(|| c.default.clone())
        {
            Some(t) => t,
            None => {
                return Err(Failure::new(
                    STATES_NO_CHOICE_MATCHED.as_str(),
                    format!(
                        "no Choice rule of state \"{name}\" matched the input {} and there is no Default",
                        truncate(input)
                    ),
                ));
            }
        };
        let (output, field) = match matched.and_then(|rule| rule.output.as_ref()) {
            Some(o) => (Some(o), "Choices.Output"),
            None => (c.output.as_ref(), "Output"),
        };
        let out = self.finish_jsonata(
            name,
            Out {
                input,
                result: None,
                error_output: None,
                ctx: &ctx,
            },
            output,
            field,
            &[
                (c.assign.as_ref(), "Assign"),
                (
                    matched.and_then(|rule| rule.assign.as_ref()),
                    "Choices.Assign",
                ),
            ],
            vars,
            now,
        )?;
        Ok((Flow::Next(target), out))
    }

    /// A JSONata Wait: `Seconds` or `Timestamp`, each a literal or an expression.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn wait_jsonata(
        &self,
        name: &str,
        w: &WaitState,
        input: &Value,
        entered: &str,
        now: DateTime<Utc>,
        path: &mut Path,
        vars: &mut Map<String, Value>,
    ) -> Result<(Flow, Value), Failure> {
        let ctx = self.context(name, entered, 0, None);
        let q = self.query(name, in_state(input, &ctx), vars, now);
        let delay = if let Some(seconds) = &w.seconds {
            let value = match self.numeric_jsonata(&q, &Some(seconds.clone()), "Seconds")? {
                Some(Numeric::Number(n)) => Value::Number(n),
                _ => Value::Null,
            };
            let max = MAX_WAIT_SECONDS as u64;
            let secs = value
                .as_u64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|s| s.fract() == 0.0 && (0.0..=max as f64).contains(s))
                        .map(|s| s as u64)
                })
                .filter(|s| *s <= max)
                .ok_or_else(|| {
                    q.wrong_type(
                        "Seconds",
                        &value,
                        &format!("an integer from 0 to {MAX_WAIT_SECONDS}"),
                    )
                })?;
            Duration::from_secs(secs)
        } else if let Some(ts) = &w.timestamp {
            let value = q.template(&Value::String(ts.clone()), "Timestamp")?;
            let at = value
                .as_str()
                .and_then(crate::choice::timestamp)
                .ok_or_else(|| q.wrong_type("Timestamp", &value, "an RFC 3339 timestamp"))?;
            (at.with_timezone(&Utc) - now).to_std().unwrap_or_default()
        } else {
            Duration::ZERO
        };
        drop(q);
        // Output and Assign read the variables as they were when the state was entered.
        let mut after = vars.clone();
        let out = self.finish_jsonata(
            name,
            Out {
                input,
                result: None,
                error_output: None,
                ctx: &ctx,
            },
            w.output.as_ref(),
            "Output",
            &[(w.assign.as_ref(), "Assign")],
            &mut after,
            now,
        )?;
        let delay = super::simple::scaled(delay, self.options.wait_time_scale);
        self.clock
            .sleep(delay, &mut path.offset, path.deadline)
            .await
            .map_err(|_| self.expired_failure(path))?;
        *vars = after;
        Ok((Flow::after(&w.next), out))
    }

    /// A JSONata Fail: `Error` and `Cause`, each a literal or an expression giving a
    /// string.
    pub(super) fn fail_jsonata(
        &self,
        name: &str,
        f: &FailState,
        input: &Value,
        entered: &str,
        now: DateTime<Utc>,
        vars: &Map<String, Value>,
    ) -> Failure {
        let ctx = self.context(name, entered, 0, None);
        let q = self.query(name, in_state(input, &ctx), vars, now);
        let text = |value: &Option<String>, field: &str| -> Result<String, Failure> {
            match value {
                None => Ok(String::new()),
                Some(v) => match q.template(&Value::String(v.clone()), field)? {
                    Value::String(s) => Ok(s),
                    other => Err(q.wrong_type(field, &other, "a string")),
                },
            }
        };
        let error = match text(&f.error, "Error") {
            Ok(e) => e,
            Err(failure) => return failure,
        };
        match text(&f.cause, "Cause") {
            Ok(cause) => Failure::new(error, cause),
            Err(failure) => failure,
        }
    }
}

/// Adds the names of the JSONata states of `states` (at any depth): a state's own
/// `QueryLanguage`, else its branch's or processor's, else the enclosing state's, else
/// `inherited` (the machine's) — as the validator reads it. State names are unique in a
/// machine, so a name says which state it is.
pub(super) fn collect_jsonata(
    states: &States,
    inherited: Option<QueryLanguage>,
    into: &mut HashSet<String>,
) {
    for (name, state) in states {
        let language = state.query_language().or(inherited);
        if language == Some(QueryLanguage::Jsonata) {
            into.insert(name.clone());
        }
        for (_, branch) in state.children() {
            collect_jsonata(&branch.states, branch.query_language.or(language), into);
        }
    }
}

/// `$states` on the way in: the input and the context object.
pub(super) fn in_state<'a>(input: &'a Value, ctx: &'a Value) -> StatesVar<'a> {
    StatesVar {
        input,
        result: None,
        error_output: None,
        context: ctx,
    }
}
