//! CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
//! ListStateMachines, ValidateStateMachineDefinition, DescribeStateMachineForExecution.

use std::sync::Arc;

use chrono::Utc;
use codegen::asl::{MAX_DEFINITION_BYTES, Problem, StateMachine};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::arn;
use crate::error::{ApiError, ErrorType};
use crate::machines::{Kind, Machine};
use crate::names;
use crate::pagination;
use crate::protocol::{epoch, page_size, request, required};

/// Parses and validates a definition with the project's validator: every problem.
pub fn check_definition(text: &str) -> Result<StateMachine, Vec<Problem>> {
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(vec![codegen::asl::too_large(text.len())]);
    }
    let machine = codegen::asl::from_json(text).map_err(|e| e.problems)?;
    let problems = codegen::validate::validate(&machine);
    if problems.is_empty() {
        Ok(machine)
    } else {
        Err(problems)
    }
}

fn parse_definition(text: &str) -> Result<StateMachine, ApiError> {
    check_definition(text).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        ApiError::new(
            ErrorType::InvalidDefinition,
            format!("Invalid State Machine Definition: '{}'", lines.join("; ")),
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Create {
    name: Option<String>,
    definition: Option<String>,
    role_arn: Option<String>,
    r#type: Option<String>,
    description: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
}

/// CreateStateMachine.
pub fn create(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Create = request(body)?;
    let name = required(req.name, "name")?;
    let definition = required(req.definition, "definition")?;
    let role_arn = required(req.role_arn, "roleArn")?;
    names::check(&name, "state machine")?;
    let kind = Kind::parse(req.r#type.as_deref())?;
    let parsed = parse_definition(&definition)?;
    let now = Utc::now();
    let machine = app.machines.create(Machine {
        arn: app.config.account.state_machine(&name),
        name,
        definition,
        parsed: Arc::new(parsed),
        role_arn,
        kind,
        description: req.description,
        created: now,
        updated: now,
        revision_id: uuid::Uuid::new_v4().to_string(),
        logging: req.logging_configuration,
        tracing: req.tracing_configuration,
    })?;
    Ok(json!({
        "stateMachineArn": machine.arn,
        "creationDate": epoch(machine.created),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByArn {
    state_machine_arn: Option<String>,
}

fn machine_arn(app: &App, body: Value) -> Result<Arc<Machine>, ApiError> {
    let req: ByArn = request(body)?;
    let arn = required(req.state_machine_arn, "stateMachineArn")?;
    arn::parse(&arn, &["stateMachine"], 1)?;
    app.machines.get(&arn)
}

/// The DescribeStateMachine shape of `m`.
pub fn describe_json(m: &Machine) -> Value {
    let mut out = json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": "ACTIVE",
        "definition": m.definition,
        "roleArn": m.role_arn,
        "type": m.kind.as_str(),
        "creationDate": epoch(m.created),
        "revisionId": m.revision_id,
        "loggingConfiguration": m.logging.clone().unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false})),
        "tracingConfiguration": m.tracing.clone().unwrap_or_else(|| json!({"enabled": false})),
    });
    if let Some(d) = &m.description {
        out["description"] = json!(d);
    }
    out
}

/// DescribeStateMachine.
pub fn describe(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    Ok(describe_json(machine_arn(app, body)?.as_ref()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    state_machine_arn: Option<String>,
    definition: Option<String>,
    role_arn: Option<String>,
    description: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
}

/// UpdateStateMachine: running executions keep the version they started with.
pub fn update(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Update = request(body)?;
    let arn = required(req.state_machine_arn, "stateMachineArn")?;
    arn::parse(&arn, &["stateMachine"], 1)?;
    if req.definition.is_none()
        && req.role_arn.is_none()
        && req.logging_configuration.is_none()
        && req.tracing_configuration.is_none()
        && req.description.is_none()
    {
        return Err(ApiError::new(
            ErrorType::ValidationException,
            "Update must include at least one of definition, roleArn, loggingConfiguration, tracingConfiguration",
        ));
    }
    let parsed = req
        .definition
        .as_deref()
        .map(parse_definition)
        .transpose()?;
    let now = Utc::now();
    let updated = app.machines.update(&arn, |m| {
        Ok(Machine {
            name: m.name.clone(),
            arn: m.arn.clone(),
            definition: req
                .definition
                .clone()
                .unwrap_or_else(|| m.definition.clone()),
            parsed: parsed.map(Arc::new).unwrap_or_else(|| m.parsed.clone()),
            role_arn: req.role_arn.clone().unwrap_or_else(|| m.role_arn.clone()),
            kind: m.kind,
            description: req.description.clone().or_else(|| m.description.clone()),
            created: m.created,
            updated: now,
            revision_id: uuid::Uuid::new_v4().to_string(),
            logging: req
                .logging_configuration
                .clone()
                .or_else(|| m.logging.clone()),
            tracing: req
                .tracing_configuration
                .clone()
                .or_else(|| m.tracing.clone()),
        })
    })?;
    Ok(json!({"updateDate": epoch(now), "revisionId": updated.revision_id}))
}

/// DeleteStateMachine.
pub fn delete(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: ByArn = request(body)?;
    let arn = required(req.state_machine_arn, "stateMachineArn")?;
    arn::parse(&arn, &["stateMachine"], 1)?;
    app.machines.delete(&arn);
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct List {
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// ListStateMachines, in creation order.
pub fn list(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: List = request(body)?;
    let limit = page_size(req.max_results)?;
    let after = req
        .next_token
        .as_deref()
        .map(|t| pagination::decode("ListStateMachines", t))
        .transpose()?;
    let (machines, next) = app.machines.page(after, limit);
    let items: Vec<Value> = machines
        .iter()
        .map(|m| {
            json!({
                "stateMachineArn": m.arn,
                "name": m.name,
                "type": m.kind.as_str(),
                "creationDate": epoch(m.created),
            })
        })
        .collect();
    let mut out = json!({"stateMachines": items});
    if let Some(n) = next {
        out["nextToken"] = json!(pagination::encode("ListStateMachines", n));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Validate {
    definition: Option<String>,
    r#type: Option<String>,
}

/// ValidateStateMachineDefinition: the project's validator's diagnostics.
pub fn validate(body: Value) -> Result<Value, ApiError> {
    let req: Validate = request(body)?;
    let definition = required(req.definition, "definition")?;
    Kind::parse(req.r#type.as_deref())?;
    match check_definition(&definition) {
        Ok(_) => Ok(json!({"result": "OK", "diagnostics": [], "truncated": false})),
        Err(problems) => {
            let diagnostics: Vec<Value> = problems
                .iter()
                .map(|p| {
                    let location = match &p.location {
                        codegen::asl::Location::TopLevel => "/".to_string(),
                        codegen::asl::Location::State(name) => format!("/States/{name}"),
                    };
                    json!({
                        "severity": "ERROR",
                        "code": "SCHEMA_VALIDATION_FAILED",
                        "message": p.to_string(),
                        "location": location,
                    })
                })
                .collect();
            Ok(json!({"result": "FAIL", "diagnostics": diagnostics, "truncated": false}))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForExecution {
    execution_arn: Option<String>,
}

/// DescribeStateMachineForExecution: the version the execution runs.
pub fn for_execution(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: ForExecution = request(body)?;
    let arn = required(req.execution_arn, "executionArn")?;
    arn::parse(&arn, &["execution"], 2)?;
    let execution = app.executions.get(&arn)?;
    let m = &execution.machine;
    Ok(json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "definition": m.definition,
        "roleArn": m.role_arn,
        "updateDate": epoch(m.updated),
        "revisionId": m.revision_id,
        "loggingConfiguration": m.logging.clone().unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false})),
        "tracingConfiguration": m.tracing.clone().unwrap_or_else(|| json!({"enabled": false})),
    }))
}
