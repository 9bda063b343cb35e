//! TestState: one state on an input, optionally mocked, with the intermediate documents
//! at DEBUG (sfn-local's `test_state`).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sfn_local::{Failure, TestStatus};

use crate::App;
use crate::error::{ApiError, ErrorType};
use crate::protocol::{request, required};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mock {
    result: Option<String>,
    error_output: Option<ErrorOutput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorOutput {
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Test {
    definition: Option<String>,
    #[allow(dead_code)]
    role_arn: Option<String>,
    input: Option<String>,
    inspection_level: Option<String>,
    #[allow(dead_code)]
    reveal_secrets: Option<bool>,
    variables: Option<String>,
    state_name: Option<String>,
    mock: Option<Mock>,
}

fn json_field(text: &str, field: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            ErrorType::ValidationException,
            format!("{field} is not valid JSON: {e}"),
        )
    })
}

fn invalid_definition(message: String) -> ApiError {
    ApiError::new(
        ErrorType::InvalidDefinition,
        format!("Invalid State Machine Definition: '{message}'"),
    )
}

/// TestState.
pub async fn test(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Test = request(body)?;
    let definition = json_field(&required(req.definition, "definition")?, "definition")?;
    let level = req.inspection_level.as_deref().unwrap_or("INFO");
    if !matches!(level, "INFO" | "DEBUG" | "TRACE") {
        return Err(ApiError::constraint(
            "inspectionLevel",
            level,
            "Member must satisfy enum value set: [INFO, DEBUG, TRACE]",
        ));
    }
    let input = json_field(req.input.as_deref().unwrap_or("{}"), "input")?;
    let variables = match req.variables.as_deref() {
        None => Map::new(),
        Some(text) => match json_field(text, "variables")? {
            Value::Object(m) => m,
            _ => {
                return Err(ApiError::new(
                    ErrorType::ValidationException,
                    "variables must be a JSON object",
                ));
            }
        },
    };
    // A whole machine (with stateName) or one state.
    let (document, name) = if definition.get("States").is_some() {
        let name = req
            .state_name
            .or_else(|| {
                definition
                    .get("StartAt")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .ok_or_else(|| ApiError::missing("stateName"))?;
        let mut doc = definition;
        doc["StartAt"] = json!(name);
        (doc, name)
    } else {
        let name = req.state_name.unwrap_or_else(|| "TestState".into());
        (
            json!({"StartAt": name, "States": {name.clone(): definition}}),
            name,
        )
    };
    let machine = codegen::asl::from_value(document).map_err(|e| {
        invalid_definition(
            e.problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    if !machine.states.contains_key(&name) {
        return Err(invalid_definition(format!("no state named \"{name}\"")));
    }
    let mock = match req.mock {
        None => None,
        Some(Mock {
            result: Some(r),
            error_output: None,
        }) => Some(Ok(json_field(&r, "mock.result")?)),
        Some(Mock {
            result: None,
            error_output: Some(e),
        }) => Some(Err(Failure::new(
            e.error.unwrap_or_default(),
            e.cause.unwrap_or_default(),
        ))),
        Some(_) => {
            return Err(ApiError::new(
                ErrorType::ValidationException,
                "mock needs exactly one of result and errorOutput",
            ));
        }
    };
    let outcome = sfn_local::test_state(&machine, &name, input, variables, mock, app.tasks.clone())
        .await
        .map_err(|f| ApiError::new(ErrorType::InvalidDefinition, f.cause))?;
    let mut out = json!({"status": outcome.status.as_str()});
    if let Some(o) = &outcome.output {
        out["output"] = json!(o.to_string());
    }
    if let Some(f) = &outcome.failure {
        out["error"] = json!(f.error);
        out["cause"] = json!(f.cause);
    }
    if let Some(n) = &outcome.next_state {
        out["nextState"] = json!(n);
    }
    if level != "INFO" {
        let i = &outcome.inspection;
        let mut data = Map::new();
        let text = |v: &Option<Value>| v.as_ref().map(|v| json!(v.to_string()));
        for (key, value) in [
            ("input", &i.input),
            ("afterInputPath", &i.after_input_path),
            ("afterParameters", &i.after_parameters),
            ("result", &i.result),
            ("afterResultSelector", &i.after_result_selector),
            ("afterResultPath", &i.after_result_path),
        ] {
            if let Some(t) = text(value) {
                data.insert(key.into(), t);
            }
        }
        data.insert(
            "variables".into(),
            json!(Value::Object(i.variables.clone()).to_string()),
        );
        let mut details = Map::new();
        if outcome.status == TestStatus::Retriable
            && let Some((index, backoff)) = i.retry
        {
            details.insert("retryIndex".into(), json!(index));
            details.insert("retryBackoffIntervalSeconds".into(), json!(backoff as i64));
        }
        if let Some((index, _)) = &i.caught {
            details.insert("catchIndex".into(), json!(index));
        }
        if !details.is_empty() {
            data.insert("errorDetails".into(), Value::Object(details));
        }
        out["inspectionData"] = Value::Object(data);
    }
    Ok(out)
}
