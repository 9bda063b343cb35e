//! `stepwise serve`: the Step Functions API and Lambda's Invoke on 127.0.0.1 (see the
//! `stepwise-serve` crate), configured by flags or stepfunctions-local's environment
//! variables.

use std::path::PathBuf;
use std::process::ExitCode;

use stepwise_serve::config::{Config, Flags, endpoint_variables};
use stepwise_serve::{App, Server};

use super::CliError;
use crate::output;

/// The flags of `stepwise serve`.
#[derive(Debug, clap::Args)]
pub struct ServeFlags {
    /// The port on 127.0.0.1 (0: any free port). Default 8083, stepfunctions-local's.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// A stepfunctions-local mock config; StartExecution on `<stateMachineArn>#<TestCase>`
    /// runs that test case [env: SFN_MOCK_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub mock_config: Option<PathBuf>,
    /// Multiply every Wait state's duration (0: instant) [env: WAIT_TIME_SCALE].
    #[arg(long, value_name = "X")]
    pub wait_time_scale: Option<f64>,
    /// Make waits and retry backoff instant (timestamps still move on).
    #[arg(long)]
    pub virtual_time: bool,
    /// The account id in ARNs [env: AWS_ACCOUNT_ID; default 123456789012].
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The region in ARNs [env: AWS_DEFAULT_REGION; default us-east-1].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// How many finished executions are kept (the oldest are dropped).
    #[arg(long, value_name = "N", default_value_t = stepwise_serve::executions::DEFAULT_RETENTION)]
    pub retention: usize,
}

/// Serves until the process is stopped. Prints `listening on http://127.0.0.1:PORT` on
/// stdout once the port is bound.
pub fn run(flags: ServeFlags) -> Result<ExitCode, CliError> {
    let env = |name: &str| std::env::var(name).ok();
    for (name, value) in endpoint_variables(env) {
        // SAFETY: no other thread exists yet (the async runtime starts below), so nothing
        // reads the environment concurrently.
        unsafe { std::env::set_var(name, value) };
    }
    let config = Config::resolve(
        Flags {
            port: flags.port,
            mock_config: flags.mock_config,
            wait_time_scale: flags.wait_time_scale,
            virtual_time: flags.virtual_time,
            account: flags.account,
            region: flags.region,
            retention: Some(flags.retention),
        },
        env,
    )
    .map_err(|e| CliError::Message(e.to_string()))?;
    let app =
        App::new(config, stepwise_lambda::all()).map_err(|e| CliError::Message(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(super::execution::WORKER_STACK_BYTES)
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let server = Server::bind(app)
            .await
            .map_err(|e| CliError::Message(e.to_string()))?;
        output::outln(&format!("listening on {}", server.endpoint()))?;
        server
            .run()
            .await
            .map_err(|e| CliError::Message(e.to_string()))
    })?;
    Ok(ExitCode::SUCCESS)
}
