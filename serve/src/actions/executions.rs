//! StartExecution (with `#TestCase` and AWS's idempotent-name rule), StartSyncExecution,
//! StopExecution, DescribeExecution, ListExecutions, RedriveExecution (whether it may, in
//! [`crate::redrive`]).

use std::sync::Arc;

use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use sfn_local::PAYLOAD_LIMIT;
use sfn_local::history::History;

use crate::App;
use crate::actions::map_run_children;
use crate::arn;
use crate::error::{ApiError, ErrorType};
use crate::executions::{Execution, Status};
use crate::machines::{Kind, Machine};
use crate::names;
use crate::pagination;
use crate::protocol::{epoch, page_size, request, required};
use crate::redrive::{self, Facts};
use crate::runner;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Start {
    state_machine_arn: Option<String>,
    name: Option<String>,
    input: Option<String>,
    #[allow(dead_code)]
    trace_header: Option<String>,
}

/// The machine an ARN names and the test case after its `#`, if any.
fn machine_and_case(app: &App, arn: &str) -> Result<(Arc<Machine>, Option<String>), ApiError> {
    let (arn, case) = match arn.split_once('#') {
        Some((a, c)) if !c.is_empty() => (a, Some(c.to_string())),
        Some(_) => {
            return Err(ApiError::new(
                ErrorType::InvalidArn,
                format!("Invalid Arn: 'empty test case name after # in {arn}'"),
            ));
        }
        None => (arn, None),
    };
    arn::parse(arn, &["stateMachine"], 1)?;
    Ok((app.machines.get(arn)?, case))
}

/// The execution input: JSON text of at most 256 KiB (default `{}`).
fn input(text: Option<String>) -> Result<(String, Value), ApiError> {
    let text = text.unwrap_or_else(|| "{}".into());
    if text.len() > PAYLOAD_LIMIT {
        return Err(ApiError::constraint(
            "input",
            format!("<{} bytes>", text.len()),
            &format!("Member must have length less than or equal to {PAYLOAD_LIMIT}"),
        ));
    }
    let value = serde_json::from_str(&text).map_err(|e| {
        ApiError::new(
            ErrorType::InvalidExecutionInput,
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;
    Ok((text, value))
}

fn name(name: Option<String>) -> Result<String, ApiError> {
    let name = name.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    names::check(&name, "execution")?;
    Ok(name)
}

/// StartExecution.
pub fn start(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Start = request(body)?;
    let arn = required(req.state_machine_arn, "stateMachineArn")?;
    let (machine, case) = machine_and_case(app, &arn)?;
    let name = name(req.name)?;
    let (text, value) = input(req.input)?;
    let tasks = runner::task_runner(app, &machine, case.as_deref())?;
    let execution_arn = app.config.account.execution(&machine.name, &name);
    let history = Arc::new(History::new(sfn_local::history::MAX_EVENTS));
    let execution = Execution::new(execution_arn, name, machine, text, case, history, tasks);
    match app.executions.insert(execution) {
        Ok(execution) => {
            runner::spawn(app, execution.clone(), runner::Start::Fresh(value));
            Ok(json!({"executionArn": execution.arn, "startDate": epoch(execution.started)}))
        }
        // AWS's idempotent-name rule: the same name and input as a running execution
        // answers with that execution.
        Err(existing)
            if existing.progress().status == Status::Running && same_input(&existing, &value) =>
        {
            Ok(json!({"executionArn": existing.arn, "startDate": epoch(existing.started)}))
        }
        Err(existing) => Err(ApiError::new(
            ErrorType::ExecutionAlreadyExists,
            format!("Execution Already Exists: '{}'", existing.arn),
        )),
    }
}

/// Whether `value` is the existing execution's input (equal JSON, whatever the spacing).
fn same_input(existing: &Execution, value: &Value) -> bool {
    serde_json::from_str::<Value>(&existing.input).is_ok_and(|v| &v == value)
}

/// StartSyncExecution (Express machines): runs and answers with the result.
pub async fn start_sync(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Start = request(body)?;
    let arn = required(req.state_machine_arn, "stateMachineArn")?;
    let (machine, case) = machine_and_case(app, &arn)?;
    if machine.kind != Kind::Express {
        return Err(ApiError::new(
            ErrorType::StateMachineTypeNotSupported,
            "This operation is not supported by this type of state machine: StartSyncExecution runs EXPRESS state machines",
        ));
    }
    let name = name(req.name)?;
    let (text, value) = input(req.input)?;
    let tasks = runner::task_runner(app, &machine, case.as_deref())?;
    let execution_arn = app.config.account.express(&machine.name, &name);
    let options = runner::options(app, &machine, &name, &execution_arn, None);
    let started = Utc::now();
    let result = sfn_local::execute(&machine.parsed, value, tasks, options).await;
    let end = runner::progress_of(result);
    let stopped = end.stopped.unwrap_or_else(Utc::now);
    let mut out = json!({
        "executionArn": execution_arn,
        "stateMachineArn": machine.arn,
        "name": name,
        "startDate": epoch(started),
        "stopDate": epoch(stopped),
        "status": end.status.as_str(),
        "input": text,
        "inputDetails": {"included": true},
        "billingDetails": {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": ((stopped - started).num_milliseconds().max(0) + 99) / 100 * 100,
        },
    });
    if let Some(o) = end.output {
        out["output"] = json!(o);
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(e) = end.error {
        out["error"] = json!(e);
    }
    if let Some(c) = end.cause {
        out["cause"] = json!(c);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByArn {
    execution_arn: Option<String>,
}

/// DescribeExecution.
pub fn describe(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: ByArn = request(body)?;
    let arn = required(req.execution_arn, "executionArn")?;
    // A distributed Map's Express children are described too (AWS describes the
    // Express executions a Map Run dispatched).
    arn::parse(&arn, &["execution", "express"], 2)?;
    let e = match app.executions.get(&arn) {
        Ok(e) => e,
        Err(missing) => return map_run_children::describe(app, &arn).ok_or(missing),
    };
    let p = e.progress();
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.machine.arn,
        "name": e.name,
        "status": p.status.as_str(),
        "startDate": epoch(e.started),
        "input": e.input,
        "inputDetails": {"included": true},
        "redriveCount": e.redrives().count,
    });
    match redrive::check(&Facts::of(&e), Utc::now()) {
        Ok(()) => out["redriveStatus"] = json!("REDRIVABLE"),
        Err(why) => {
            out["redriveStatus"] = json!("NOT_REDRIVABLE");
            out["redriveStatusReason"] = json!(why.reason());
        }
    }
    if let Some(d) = e.redrives().last {
        out["redriveDate"] = epoch(d);
    }
    if let Some(s) = p.stopped {
        out["stopDate"] = epoch(s);
    }
    if let Some(o) = p.output {
        out["output"] = json!(o);
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(err) = p.error {
        out["error"] = json!(err);
    }
    if let Some(c) = p.cause {
        out["cause"] = json!(c);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stop {
    execution_arn: Option<String>,
    error: Option<String>,
    cause: Option<String>,
}

/// StopExecution: the run is cancelled and `ExecutionAborted` recorded.
pub fn stop(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Stop = request(body)?;
    let arn = required(req.execution_arn, "executionArn")?;
    if let Some(e) = &req.error
        && e.chars().count() > 256
    {
        return Err(ApiError::constraint(
            "error",
            e,
            "Member must have length less than or equal to 256",
        ));
    }
    if let Some(c) = &req.cause
        && c.chars().count() > 32_768
    {
        return Err(ApiError::constraint(
            "cause",
            "<long text>",
            "Member must have length less than or equal to 32768",
        ));
    }
    arn::parse(&arn, &["execution"], 2)?;
    let e = app.executions.get(&arn)?;
    let was_running = e.progress().status == Status::Running;
    let stopped = e.stop(req.error, req.cause);
    if was_running && e.progress().status == Status::Aborted {
        app.executions.finished(&e);
    }
    Ok(json!({"stopDate": epoch(stopped)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct List {
    state_machine_arn: Option<String>,
    map_run_arn: Option<String>,
    status_filter: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    redrive_filter: Option<String>,
}

/// ListExecutions of a state machine, newest first, optionally by status.
pub fn list(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: List = request(body)?;
    let redriven = match req.redrive_filter.as_deref() {
        None => None,
        Some("REDRIVEN") => Some(true),
        Some("NOT_REDRIVEN") => Some(false),
        Some(other) => {
            return Err(ApiError::constraint(
                "redriveFilter",
                other,
                "Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]",
            ));
        }
    };
    if let Some(map_run) = &req.map_run_arn {
        if req.state_machine_arn.is_some() {
            return Err(ApiError::new(
                ErrorType::ValidationException,
                "Specify either a mapRunArn or a stateMachineArn, not both",
            ));
        }
        arn::parse(map_run, &["mapRun"], 2)?;
        let children = map_run_children::ListRequest {
            status_filter: req.status_filter.as_deref(),
            redriven,
            max_results: req.max_results,
            next_token: req.next_token.as_deref(),
        };
        return map_run_children::list(app, map_run, children);
    }
    if req.status_filter.as_deref() == Some("PENDING_REDRIVE") {
        return Err(ApiError::new(
            ErrorType::ValidationException,
            "A PENDING_REDRIVE statusFilter needs a mapRunArn: only a Map Run's child executions wait for a redrive",
        ));
    }
    let arn = required(req.state_machine_arn, "stateMachineArn")?;
    arn::parse(&arn, &["stateMachine"], 1)?;
    app.machines.get(&arn)?;
    let status = req
        .status_filter
        .as_deref()
        .map(Status::parse)
        .transpose()?;
    let limit = page_size(req.max_results)?;
    let scope = format!(
        "ListExecutions:{arn}:{}:{}",
        req.status_filter.as_deref().unwrap_or(""),
        req.redrive_filter.as_deref().unwrap_or("")
    );
    let before = req
        .next_token
        .as_deref()
        .map(|t| pagination::decode(&scope, t))
        .transpose()?;
    let (executions, next) = app.executions.page(before, limit, |e| {
        e.machine.arn == arn
            && status.is_none_or(|s| e.progress().status == s)
            && redriven.is_none_or(|r| (e.redrives().count > 0) == r)
    });
    let items: Vec<Value> = executions
        .iter()
        .map(|e| {
            let p = e.progress();
            let mut item = json!({
                "executionArn": e.arn,
                "stateMachineArn": e.machine.arn,
                "name": e.name,
                "status": p.status.as_str(),
                "startDate": epoch(e.started),
            });
            if let Some(s) = p.stopped {
                item["stopDate"] = epoch(s);
            }
            let redrives = e.redrives();
            if let Some(d) = redrives.last {
                item["redriveCount"] = json!(redrives.count);
                item["redriveDate"] = epoch(d);
            }
            item
        })
        .collect();
    let mut out = json!({"executions": items});
    if let Some(n) = next {
        out["nextToken"] = json!(pagination::encode(&scope, n));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Redrive {
    execution_arn: Option<String>,
    #[allow(dead_code)]
    client_token: Option<String>,
}

/// RedriveExecution: a failed, timed-out or aborted Standard execution goes on from where
/// it stopped (sfn-local's redrive: successful states, branches and iterations are not run
/// again, the variables are as they were); its history goes on, its ARN stays.
pub fn redrive(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Redrive = request(body)?;
    let arn = required(req.execution_arn, "executionArn")?;
    if let Some(token) = &req.client_token
        && !(1..=64).contains(&token.chars().count())
    {
        return Err(ApiError::constraint(
            "clientToken",
            token,
            "Member must have length between 1 and 64",
        ));
    }
    arn::parse(&arn, &["execution", "express"], 2)?;
    let e = match app.executions.get(&arn) {
        Ok(e) => e,
        Err(missing) => {
            return Err(map_run_children::refuse_redrive(app, &arn).unwrap_or(missing));
        }
    };
    redrive::check(&Facts::of(&e), Utc::now()).map_err(|why| why.error(&arn))?;
    let input: Value = serde_json::from_str(&e.input).map_err(|err| {
        ApiError::new(
            ErrorType::ExecutionNotRedrivable,
            format!("Execution Not Redrivable: '{arn}': its input is not JSON ({err})"),
        )
    })?;
    // Another RedriveExecution got there first: it is running again.
    let Some(_) = e.reopen() else {
        return Err(redrive::NotRedrivable::Running.error(&arn));
    };
    runner::spawn(app, e.clone(), runner::Start::Redrive(input));
    Ok(json!({"redriveDate": epoch(e.redrives().last.unwrap_or_else(Utc::now))}))
}
