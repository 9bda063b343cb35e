//! The API's actions, one module per family, and the dispatch from the action name.

pub mod activities;
pub mod executions;
pub mod history;
pub mod machines;
pub mod map_run_children;
pub mod map_runs;
pub mod test_state;

use std::sync::Arc;

use serde_json::Value;

use crate::App;
use crate::error::{ApiError, ErrorType};

/// Runs `action` on the request `body`.
pub async fn dispatch(app: &Arc<App>, action: &str, body: Value) -> Result<Value, ApiError> {
    match action {
        "CreateStateMachine" => machines::create(app, body),
        "DescribeStateMachine" => machines::describe(app, body),
        "UpdateStateMachine" => machines::update(app, body),
        "DeleteStateMachine" => machines::delete(app, body),
        "ListStateMachines" => machines::list(app, body),
        "ValidateStateMachineDefinition" => machines::validate(body),
        "DescribeStateMachineForExecution" => machines::for_execution(app, body),
        "StartExecution" => executions::start(app, body),
        "StartSyncExecution" => executions::start_sync(app, body).await,
        "StopExecution" => executions::stop(app, body),
        "RedriveExecution" => executions::redrive(app, body),
        "DescribeExecution" => executions::describe(app, body),
        "ListExecutions" => executions::list(app, body),
        "GetExecutionHistory" => history::get(app, body),
        "ListMapRuns" => history::list_map_runs(app, body),
        "DescribeMapRun" => map_runs::describe(app, body),
        "CreateActivity" => activities::create(app, body),
        "DescribeActivity" => activities::describe(app, body),
        "DeleteActivity" => activities::delete(app, body),
        "ListActivities" => activities::list(app, body),
        "GetActivityTask" => activities::get_task(app, body).await,
        "SendTaskSuccess" => activities::success(app, body),
        "SendTaskFailure" => activities::failure(app, body),
        "SendTaskHeartbeat" => activities::heartbeat(app, body),
        "TestState" => test_state::test(app, body).await,
        other => Err(ApiError::new(
            ErrorType::UnknownOperationException,
            format!(
                "Unknown operation: AWSStepFunctions.{other} is not an action this server answers"
            ),
        )),
    }
}
