//! The activity worker (`stepwise worker`): long-polls GetActivityTask for each activity
//! it serves through `aws-sdk-sfn` (so against AWS or `stepwise serve`, whichever the
//! client's endpoint names), runs the registry's activity with bounded concurrency, sends
//! SendTaskHeartbeat while it runs, and reports SendTaskSuccess or SendTaskFailure with
//! the activity's error name and cause. When `shutdown` resolves it stops polling and
//! finishes the tasks in flight.
//!
//! A poll cut short by the shutdown may have been handed a task the worker never sees;
//! that task times out on its `HeartbeatSeconds`/`TimeoutSeconds` as on AWS.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sfn::Client;
use serde_json::Value;
use stepwise_runtime::lambda::Handler;
use stepwise_runtime::{Registry, Services};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// The default heartbeat interval: a third of a 60-second `HeartbeatSeconds`.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(20);

/// Why the worker cannot start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// `--activity` is not `NAME=ARN`.
    #[error("--activity {0:?}: expected NAME=ARN (an activity of the registry = an Activity ARN)")]
    Spec(String),
    /// The activity is not in the registry.
    #[error("--activity {spec:?}: {source}")]
    Unknown {
        /// The flag's value.
        spec: String,
        /// Why (lists the known names).
        source: stepwise_runtime::lambda::LambdaError,
    },
    /// No activity to serve.
    #[error("no --activity NAME=ARN given")]
    NoActivity,
    /// Concurrency 0.
    #[error("--concurrency must be at least 1")]
    Concurrency,
    /// Heartbeat interval 0.
    #[error("--heartbeat must be more than 0 seconds")]
    Heartbeat,
}

/// One activity served: the registry's handler and the Activity ARN it polls.
#[derive(Debug, Clone)]
pub struct Served {
    /// Runs the activity.
    pub handler: Handler,
    /// The Step Functions Activity ARN polled.
    pub arn: String,
}

/// What the worker serves and how.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The activities, with their ARNs.
    pub activities: Vec<Served>,
    /// At most this many tasks run at once (across activities).
    pub concurrency: usize,
    /// SendTaskHeartbeat every this long while a task runs.
    pub heartbeat: Duration,
    /// The `workerName` sent with each poll.
    pub worker_name: String,
}

impl WorkerConfig {
    /// Parses `NAME=ARN` specs against `registry`.
    pub fn new(
        registry: &Registry,
        services: Arc<Services>,
        specs: &[String],
        concurrency: usize,
        heartbeat: Duration,
    ) -> Result<WorkerConfig, WorkerError> {
        if specs.is_empty() {
            return Err(WorkerError::NoActivity);
        }
        if concurrency == 0 {
            return Err(WorkerError::Concurrency);
        }
        if heartbeat.is_zero() {
            return Err(WorkerError::Heartbeat);
        }
        let mut activities = Vec::new();
        for spec in specs {
            let Some((name, arn)) = spec.split_once('=') else {
                return Err(WorkerError::Spec(spec.clone()));
            };
            if name.is_empty() || !arn.starts_with("arn:") || !arn.contains(":activity:") {
                return Err(WorkerError::Spec(spec.clone()));
            }
            let handler =
                Handler::new(registry.clone(), services.clone(), name).map_err(|source| {
                    WorkerError::Unknown {
                        spec: spec.clone(),
                        source,
                    }
                })?;
            activities.push(Served {
                handler,
                arn: arn.to_string(),
            });
        }
        Ok(WorkerConfig {
            activities,
            concurrency,
            heartbeat,
            worker_name: format!("stepwise-worker-{}", std::process::id()),
        })
    }
}

/// Serves `config`'s activities through `client` until `shutdown` resolves, then waits
/// for the tasks in flight to report.
pub async fn run(client: Client, config: WorkerConfig, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let mut pollers = JoinSet::new();
    for served in config.activities {
        pollers.spawn(poll(
            client.clone(),
            served,
            config.worker_name.clone(),
            config.heartbeat,
            permits.clone(),
            stop_rx.clone(),
        ));
    }
    shutdown.await;
    tracing::info!("stopping: no new polls; finishing the tasks in flight");
    let _ = stop_tx.send(true);
    while pollers.join_next().await.is_some() {}
}

/// Polls one activity until stopped; each task runs in its own job holding a permit.
async fn poll(
    client: Client,
    served: Served,
    worker_name: String,
    heartbeat: Duration,
    permits: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    let mut jobs = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stop.wait_for(|s| *s) => break,
        };
        let request = client
            .get_activity_task()
            .activity_arn(&served.arn)
            .worker_name(&worker_name)
            .send();
        let polled = tokio::select! {
            r = request => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        while jobs.try_join_next().is_some() {}
        match polled {
            Ok(out) => {
                let Some(token) = out.task_token().filter(|t| !t.is_empty()) else {
                    continue;
                };
                let input = out.input().unwrap_or("{}").to_string();
                jobs.spawn(work(
                    client.clone(),
                    served.handler.clone(),
                    token.to_string(),
                    input,
                    heartbeat,
                    permit,
                ));
            }
            Err(e) => {
                tracing::warn!(activity = %served.arn, error = %aws_sdk_sfn::error::DisplayErrorContext(&e), "GetActivityTask failed; polling again in 1 s");
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        }
    }
    while jobs.join_next().await.is_some() {}
}

/// Runs one task, heartbeating, and reports its end.
async fn work(
    client: Client,
    handler: Handler,
    token: String,
    input: String,
    heartbeat: Duration,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let result = match serde_json::from_str::<Value>(&input) {
        Err(e) => Err((
            "States.Runtime".to_string(),
            format!("the task input is not JSON: {e}"),
        )),
        Ok(payload) => {
            let run = handler.handle(payload, None);
            tokio::pin!(run);
            let mut beats =
                tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
            loop {
                tokio::select! {
                    r = &mut run => break r.map_err(|e| (e.name.as_str().to_string(), e.cause)),
                    _ = beats.tick() => {
                        if let Err(e) = client.send_task_heartbeat().task_token(&token).send().await {
                            tracing::warn!(activity = handler.activity(), error = %aws_sdk_sfn::error::DisplayErrorContext(&e), "SendTaskHeartbeat failed");
                        }
                    }
                }
            }
        }
    };
    let sent = match result {
        Ok(output) => client
            .send_task_success()
            .task_token(&token)
            .output(output.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_sfn::error::DisplayErrorContext(e).to_string()),
        Err((error, cause)) => client
            .send_task_failure()
            .task_token(&token)
            .error(truncate(&error, 256))
            .cause(truncate(&cause, 32_768))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_sfn::error::DisplayErrorContext(e).to_string()),
    };
    if let Err(e) = sent {
        tracing::warn!(activity = handler.activity(), error = %e, "reporting the task's end failed");
    }
}

/// At most `max` characters of `text` (Step Functions' limits on `error` and `cause`).
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
