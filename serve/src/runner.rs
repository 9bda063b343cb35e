//! Starting executions on sfn-local: the task runner (the real activities, behind the
//! mock config's test case when the ARN names one with `#TestCase`, fresh per execution
//! so its response counters are the execution's own), the options (ARNs, live history,
//! virtual time, wait scale), and the task that runs it and records its end.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Value, json};
use sfn_local::history::{EventType, History};
use sfn_local::{
    Arns, MockTasks, Options, Outcome, RegistryTasks, ServiceTasks, StartError, TaskRunner,
};
use stepwise_runtime::{Registry, Services};

use crate::App;
use crate::error::{ApiError, ErrorType};
use crate::executions::{Execution, Progress, Status};
use crate::machines::{Kind, Machine};

/// The real task runner: the AWS service integrations (clients from `services`, so the
/// endpoints the standard environment names), and behind them the activities of
/// `registry`. The CLI's `exec` and `run` use it too.
pub fn real_tasks(registry: Registry, services: Arc<Services>) -> Arc<dyn TaskRunner> {
    let activities: Arc<dyn TaskRunner> = Arc::new(RegistryTasks::new(registry, services.clone()));
    Arc::new(ServiceTasks::new(activities, services))
}

/// The task runner of one execution of `machine`, under `test_case` if given.
pub fn task_runner(
    app: &App,
    machine: &Machine,
    test_case: Option<&str>,
) -> Result<Arc<dyn TaskRunner>, ApiError> {
    let Some(case) = test_case else {
        return Ok(app.tasks.clone());
    };
    let Some(config) = &app.mocks else {
        return Err(ApiError::new(
            ErrorType::ValidationException,
            format!(
                "The state machine ARN names test case \"{case}\", but the server runs without a mock config (set SFN_MOCK_CONFIG or --mock-config)"
            ),
        ));
    };
    let found = config
        .test_case_for(&machine.name, case)
        .map_err(|e| ApiError::new(ErrorType::ValidationException, e.to_string()))?;
    Ok(Arc::new(MockTasks::new(found, Some(app.tasks.clone()))))
}

/// The options of an execution.
pub fn options(
    app: &App,
    machine: &Machine,
    name: &str,
    arn: &str,
    history: Option<Arc<History>>,
) -> Options {
    Options {
        virtual_time: app.config.virtual_time,
        state_machine_name: machine.name.clone(),
        execution_name: Some(name.to_string()),
        arns: Some(Arns {
            execution: arn.to_string(),
            state_machine: machine.arn.clone(),
        }),
        live_history: history,
        wait_time_scale: app.config.wait_time_scale,
        max_duration: match machine.kind {
            Kind::Standard => sfn_local::clock::STANDARD_MAX_DURATION,
            Kind::Express => sfn_local::clock::EXPRESS_MAX_DURATION,
        },
        callbacks: app.tokens.callbacks.clone(),
        activities: Some(app.tokens.queue.clone()),
        launcher: Some(app.launcher.clone()),
        services: Some(app.services.clone()),
        ..Options::default()
    }
}

/// How an outcome (or a refusal to start) reads in the API.
pub fn progress_of(result: Result<Outcome, StartError>) -> Progress {
    let now = Some(Utc::now());
    match result {
        Ok(o) => {
            let status = match o.status {
                sfn_local::Status::Succeeded => Status::Succeeded,
                sfn_local::Status::Failed => Status::Failed,
                sfn_local::Status::TimedOut => Status::TimedOut,
            };
            Progress {
                status,
                stopped: now,
                output: o.output.map(|v| v.to_string()),
                error: o.failure.as_ref().map(|f| f.error.clone()),
                cause: o.failure.map(|f| f.cause),
            }
        }
        Err(e) => Progress {
            status: Status::Failed,
            stopped: now,
            output: None,
            error: Some("States.Runtime".into()),
            cause: Some(e.to_string()),
        },
    }
}

/// How an execution starts: from the beginning, or again from where it stopped (a
/// redrive, from the execution's journal).
pub enum Start {
    /// From StartAt on this input.
    Fresh(Value),
    /// A redrive of the execution, whose input this is.
    Redrive(Value),
}

/// Runs `execution` in the background and records its end.
pub fn spawn(app: &Arc<App>, execution: Arc<Execution>, start: Start) {
    spawn_at(app, execution, start, None);
}

/// The same, its clock starting at `start_time` (a child starts at its parent's, virtual,
/// time) or now.
pub fn spawn_at(
    app: &Arc<App>,
    execution: Arc<Execution>,
    start: Start,
    start_time: Option<chrono::DateTime<Utc>>,
) {
    let tasks = execution.tasks.clone();
    let options = Options {
        start_time,
        map_runs: Some(execution.map_runs.clone()),
        journal: Some(execution.journal.clone()),
        ..options(
            app,
            &execution.machine,
            &execution.name,
            &execution.arn,
            Some(execution.history.clone()),
        )
    };
    let app2 = app.clone();
    let run = execution.clone();
    let handle = tokio::spawn(async move {
        let machine = run.machine.parsed.clone();
        let result = match start {
            Start::Fresh(input) => sfn_local::execute(&machine, input, tasks, options).await,
            Start::Redrive(input) => sfn_local::redrive(&machine, input, tasks, options).await,
        };
        if let Err(e) = &result {
            record_refusal(&run.history, &run.input, &run.machine, e);
        }
        // A succeeded execution is not redriven: its records go.
        if matches!(&result, Ok(o) if o.status == sfn_local::Status::Succeeded) {
            run.journal.forget();
        }
        if run.finish(progress_of(result)) {
            app2.executions.finished(&run);
        }
    });
    execution.set_abort(handle.abort_handle());
}

/// An execution the executor refused to start still has a history: started, failed.
pub fn record_refusal(history: &History, input: &str, machine: &Machine, e: &StartError) {
    let now = Utc::now();
    let started = history.record_final(
        0,
        now,
        EventType::ExecutionStarted,
        Some(json!({"input": input, "roleArn": machine.role_arn})),
    );
    history.record_final(
        started,
        now,
        EventType::ExecutionFailed,
        Some(json!({"error": "States.Runtime", "cause": e.to_string()})),
    );
}
