//! A state's input/output pipeline around its work: the context object, InputPath and
//! Parameters on the way in ([`Run::prepare`]); ResultSelector, Assign, ResultPath and
//! OutputPath on the way out ([`Run::finish`]).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::Run;
use crate::failure::Failure;
use crate::io::{Env, apply_result_path};

/// Which state is being prepared, and for which attempt.
pub(super) struct Step<'a> {
    /// The state's name.
    pub name: &'a str,
    /// When the state was entered (RFC 3339).
    pub entered: &'a str,
    /// `$$.State.RetryCount`.
    pub retry_count: u32,
    /// An extra member of the context object (`Task`, `Map`).
    pub extra: Option<(&'a str, Value)>,
}

impl<'a> Step<'a> {
    /// A state's first attempt with the plain context object.
    pub fn plain(name: &'a str, entered: &'a str) -> Self {
        Step {
            name,
            entered,
            retry_count: 0,
            extra: None,
        }
    }
}

/// A state's input after the way in: its context object, its effective input (after
/// InputPath; the state's input itself, not a copy, when there is no InputPath) and its
/// Parameters, if it has any.
pub(super) struct Prepared<'i> {
    /// The context object (`$$`).
    pub ctx: Value,
    /// The input after InputPath.
    pub effective: Cow<'i, Value>,
    /// The Parameters, evaluated against the effective input.
    pub parameters: Option<Value>,
}

impl Prepared<'_> {
    /// Paths and templates evaluated against the effective input.
    pub fn env<'a>(&'a self, vars: &'a Map<String, Value>) -> Env<'a> {
        Env {
            input: &self.effective,
            context: &self.ctx,
            variables: vars,
        }
    }

    /// What the work gets: the Parameters, or the effective input without them.
    pub fn payload(&self) -> &Value {
        self.parameters.as_ref().unwrap_or(&self.effective)
    }

    /// [`Prepared::payload`], taken.
    pub fn into_payload(self) -> Value {
        self.parameters
            .unwrap_or_else(|| self.effective.into_owned())
    }
}

/// The result-processing fields of a Task, Parallel or Map state.
pub(super) struct Tail<'s> {
    pub selector: &'s Option<Value>,
    pub assign: &'s Option<Value>,
    pub result_path: &'s Option<Option<String>>,
    pub output_path: &'s Option<Option<String>>,
}

impl Run<'_> {
    /// The way in: builds the context object, applies InputPath to `input`, then
    /// evaluates `parameters` (if any) against the result.
    pub(super) fn prepare<'i>(
        &self,
        step: Step,
        input_path: &Option<Option<String>>,
        parameters: Option<&Value>,
        input: &'i Value,
        vars: &Map<String, Value>,
    ) -> Result<Prepared<'i>, Failure> {
        let ctx = self.context(step.name, step.entered, step.retry_count, step.extra);
        let env = Env {
            input,
            context: &ctx,
            variables: vars,
        };
        let effective = match input_path {
            None => Cow::Borrowed(input),
            Some(Some(p)) if p == "$" => Cow::Borrowed(input),
            _ => Cow::Owned(
                self.cache
                    .apply_path(input_path, input, "InputPath", &env)?,
            ),
        };
        let mut prepared = Prepared {
            ctx,
            effective,
            parameters: None,
        };
        if let Some(template) = parameters {
            let evaluated = self
                .cache
                .template(template, &prepared.env(vars), "Parameters")?;
            prepared.parameters = Some(evaluated);
        }
        Ok(prepared)
    }

    /// Evaluates an `Assign` block with `$` = `value` and stores the variables.
    pub(super) fn assign(
        &self,
        assign: &Option<Value>,
        value: &Value,
        ctx: &Value,
        vars: &mut Map<String, Value>,
    ) -> Result<(), Failure> {
        self.assign_blocks(&[(assign.as_ref(), "Assign")], value, ctx, vars)
    }

    /// Evaluates several `Assign` blocks (with the field name their errors report), all
    /// against the variables as they were before, then stores them in order: a later
    /// block's variable wins over an earlier one's.
    pub(super) fn assign_blocks(
        &self,
        blocks: &[(Option<&Value>, &str)],
        value: &Value,
        ctx: &Value,
        vars: &mut Map<String, Value>,
    ) -> Result<(), Failure> {
        let env = Env {
            input: value,
            context: ctx,
            variables: vars,
        };
        let mut assigned = Vec::with_capacity(blocks.len());
        for (template, field) in blocks {
            if let Some(template) = template {
                assigned.push(self.cache.template(template, &env, field)?);
            }
        }
        for block in assigned {
            if let Value::Object(map) = block {
                vars.extend(map);
            }
        }
        Ok(())
    }

    /// The way out: applies ResultSelector, Assign, ResultPath (into the raw `input`) and
    /// OutputPath to a result.
    pub(super) fn finish(
        &self,
        result: Value,
        tail: Tail,
        input: &Value,
        ctx: &Value,
        vars: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let Tail {
            selector,
            assign,
            result_path,
            output_path,
        } = tail;
        let result = match selector {
            Some(tpl) => {
                let env = Env {
                    input: &result,
                    context: ctx,
                    variables: vars,
                };
                self.cache.template(tpl, &env, "ResultSelector")?
            }
            None => result,
        };
        self.assign(assign, &result, ctx, vars)?;
        let combined = apply_result_path(&self.cache, result_path, input, result)?;
        self.output_owned(output_path, combined, ctx, vars)
    }

    /// Applies OutputPath to `value`, moving it when there is no OutputPath.
    pub(super) fn output_owned(
        &self,
        output_path: &Option<Option<String>>,
        value: Value,
        ctx: &Value,
        vars: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        match output_path {
            None => Ok(value),
            Some(Some(p)) if p == "$" => Ok(value),
            _ => self.output(output_path, &value, ctx, vars),
        }
    }

    /// Applies OutputPath to `value`.
    pub(super) fn output(
        &self,
        output_path: &Option<Option<String>>,
        value: &Value,
        ctx: &Value,
        vars: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        let env = Env {
            input: value,
            context: ctx,
            variables: vars,
        };
        self.cache
            .apply_path(output_path, value, "OutputPath", &env)
    }
}
