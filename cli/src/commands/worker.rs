//! `stepwise worker`: the activity worker (see `stepwise_serve::worker`), serving
//! registry activities as Step Functions Activities until SIGTERM or ctrl-c.

use std::process::ExitCode;
use std::time::Duration;

use stepwise_serve::worker::{self, WorkerConfig};

use super::CliError;

/// The flags of `stepwise worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerFlags {
    /// Serve the registry's activity NAME as the Step Functions Activity ARN (repeatable).
    #[arg(long = "activity", value_name = "NAME=ARN", required = true)]
    pub activities: Vec<String>,
    /// At most N tasks run at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Send SendTaskHeartbeat every SECONDS while a task runs (keep it well under the
    /// Task's HeartbeatSeconds; default 20, a third of 60).
    #[arg(long, value_name = "SECONDS", default_value_t = worker::DEFAULT_HEARTBEAT.as_secs_f64())]
    pub heartbeat: f64,
}

/// Polls until SIGTERM or ctrl-c, then finishes the tasks in flight.
pub fn run(flags: WorkerFlags) -> Result<ExitCode, CliError> {
    if !(flags.heartbeat.is_finite() && flags.heartbeat > 0.0) {
        return Err(CliError::Usage(
            "--heartbeat must be a number of seconds above 0".into(),
        ));
    }
    let services = stepwise_runtime::Services::shared();
    let config = WorkerConfig::new(
        &stepwise_lambda::all(),
        services.clone(),
        &flags.activities,
        flags.concurrency,
        Duration::from_secs_f64(flags.heartbeat),
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(super::execution::WORKER_STACK_BYTES)
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| CliError::Message(format!("cannot listen for SIGTERM: {e}")))?;
        let client = aws_sdk_sfn::Client::new(services.aws.config().await);
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        worker::run(client, config, shutdown).await;
        Ok::<(), CliError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
