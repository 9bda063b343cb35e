//! CreateActivity, DescribeActivity, DeleteActivity, ListActivities, GetActivityTask, and
//! the callbacks SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, validated as AWS
//! validates them and answered through the server's shared [`crate::callbacks::Tokens`]: an activity created
//! here is served to workers by the queue.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use sfn_local::PAYLOAD_LIMIT;

use crate::App;
use crate::arn;
use crate::callbacks::api_error;
use crate::error::ApiError;
use crate::names;
use crate::pagination;
use crate::protocol::{epoch, page_size, request, required};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Create {
    name: Option<String>,
    #[allow(dead_code)]
    tags: Option<Value>,
}

/// CreateActivity (idempotent by name).
pub fn create(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Create = request(body)?;
    let name = required(req.name, "name")?;
    names::check(&name, "activity")?;
    let activity = app
        .activities
        .create(app.config.account.activity(&name), name);
    app.tokens.queue.serve(&activity.arn);
    Ok(json!({"activityArn": activity.arn, "creationDate": epoch(activity.created)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByArn {
    activity_arn: Option<String>,
    worker_name: Option<String>,
}

fn activity_arn(body: Value) -> Result<(String, Option<String>), ApiError> {
    let req: ByArn = request(body)?;
    let arn = required(req.activity_arn, "activityArn")?;
    arn::parse(&arn, &["activity"], 1)?;
    Ok((arn, req.worker_name))
}

/// DescribeActivity.
pub fn describe(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let (arn, _) = activity_arn(body)?;
    let a = app.activities.get(&arn)?;
    Ok(json!({"activityArn": a.arn, "name": a.name, "creationDate": epoch(a.created)}))
}

/// DeleteActivity.
pub fn delete(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let (arn, _) = activity_arn(body)?;
    app.activities.delete(&arn);
    app.tokens.queue.unserve(&arn);
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct List {
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// ListActivities, in ARN order.
pub fn list(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: List = request(body)?;
    let limit = page_size(req.max_results)?;
    let skip = req
        .next_token
        .as_deref()
        .map(|t| pagination::decode("ListActivities", t))
        .transpose()?
        .unwrap_or(0) as usize;
    let all = app.activities.all();
    let items: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(limit)
        .map(|a| json!({"activityArn": a.arn, "name": a.name, "creationDate": epoch(a.created)}))
        .collect();
    let mut out = json!({"activities": items});
    if skip + limit < all.len() {
        out["nextToken"] = json!(pagination::encode("ListActivities", (skip + limit) as u64));
    }
    Ok(out)
}

/// GetActivityTask: waits up to the long-poll time for one task; `{}` when none came.
pub async fn get_task(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let (arn, worker) = activity_arn(body)?;
    if let Some(w) = &worker
        && w.chars().count() > 80
    {
        return Err(ApiError::constraint(
            "workerName",
            w,
            "Member must have length less than or equal to 80",
        ));
    }
    app.activities.get(&arn)?;
    let task = app
        .tokens
        .get_activity_task(&arn, worker.as_deref(), app.config.activity_poll_wait)
        .await?;
    Ok(match task {
        Some(t) => json!({"taskToken": t.token, "input": t.input.to_string()}),
        None => json!({}),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Callback {
    task_token: Option<String>,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
}

fn token(token: Option<String>) -> Result<String, ApiError> {
    let token = required(token, "taskToken")?;
    let len = token.chars().count();
    if !(1..=2048).contains(&len) {
        return Err(ApiError::constraint(
            "taskToken",
            "<token>",
            "Member must have length less than or equal to 2048 and greater than or equal to 1",
        ));
    }
    Ok(token)
}

/// SendTaskSuccess.
pub fn success(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Callback = request(body)?;
    let token = token(req.task_token)?;
    let output = required(req.output, "output")?;
    if output.len() > PAYLOAD_LIMIT {
        return Err(ApiError::constraint(
            "output",
            format!("<{} bytes>", output.len()),
            &format!("Member must have length less than or equal to {PAYLOAD_LIMIT}"),
        ));
    }
    app.tokens
        .callbacks
        .send_task_success(&token, &output)
        .map_err(api_error)?;
    Ok(json!({}))
}

/// SendTaskFailure.
pub fn failure(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Callback = request(body)?;
    let token = token(req.task_token)?;
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
    app.tokens
        .callbacks
        .send_task_failure(&token, req.error.as_deref(), req.cause.as_deref())
        .map_err(api_error)?;
    Ok(json!({}))
}

/// SendTaskHeartbeat.
pub fn heartbeat(app: &Arc<App>, body: Value) -> Result<Value, ApiError> {
    let req: Callback = request(body)?;
    let token = token(req.task_token)?;
    app.tokens
        .callbacks
        .send_task_heartbeat(&token)
        .map_err(api_error)?;
    Ok(json!({}))
}
