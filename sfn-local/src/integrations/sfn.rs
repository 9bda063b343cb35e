//! Step Functions through the SDK: `aws-sdk:sfn:startExecution` and
//! `aws-sdk:sfn:describeExecution` (plain API calls; the optimized
//! `states:startExecution*` nested executions are the executor's).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, date, put};
use crate::failure::Failure;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct StartExecution {
    state_machine_arn: String,
    name: Option<String>,
    input: Option<String>,
    trace_header: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct DescribeExecution {
    execution_arn: String,
}

/// Runs the call's Step Functions action.
pub(super) async fn run(call: &Call<'_>) -> Result<Value, Failure> {
    let client = call.clients().sfn().await;
    if call.integration.action == "startExecution" {
        let p: StartExecution = call.params()?;
        let r = call
            .send(
                client
                    .start_execution()
                    .state_machine_arn(p.state_machine_arn)
                    .set_name(p.name)
                    .set_input(p.input)
                    .set_trace_header(p.trace_header)
                    .send(),
            )
            .await?;
        return Ok(json!({"ExecutionArn": r.execution_arn(), "StartDate": date(r.start_date())}));
    }
    let p: DescribeExecution = call.params()?;
    let r = call
        .send(
            client
                .describe_execution()
                .execution_arn(p.execution_arn)
                .send(),
        )
        .await?;
    let mut out = Map::new();
    put(&mut out, "Cause", r.cause().map(str::to_string));
    put(&mut out, "Error", r.error().map(str::to_string));
    out.insert("ExecutionArn".into(), json!(r.execution_arn()));
    put(&mut out, "Input", r.input().map(str::to_string));
    put(&mut out, "Name", r.name().map(str::to_string));
    put(&mut out, "Output", r.output().map(str::to_string));
    out.insert("StartDate".into(), date(r.start_date()));
    out.insert("StateMachineArn".into(), json!(r.state_machine_arn()));
    out.insert("Status".into(), json!(r.status().as_str()));
    put(&mut out, "StopDate", r.stop_date().map(date));
    Ok(Value::Object(out))
}
