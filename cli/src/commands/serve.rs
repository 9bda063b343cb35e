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
    #[command(flatten)]
    pub jobs: JobsApiFlags,
}

/// The jobs API's flags (`--jobs-api` and its settings).
#[derive(Debug, clap::Args)]
pub struct JobsApiFlags {
    /// Also serve the jobs API: POST /group-images and GET /group-images/{jobId}, with
    /// JWTs of the local key (see `stepwise token`), starting group-images here.
    #[arg(long)]
    pub jobs_api: bool,
    /// The jobs table (as `stepwise provision` names it).
    #[arg(long, value_name = "TABLE", default_value = "stepwise-local-jobs")]
    pub jobs_table: String,
    /// The bucket of the job results (the group-images config's `bucket`).
    #[arg(long, value_name = "BUCKET", default_value = "stepwise-local-images")]
    pub jobs_bucket: String,
    /// The SSM parameter of the group-images config.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "/stepwise/group-images/config"
    )]
    pub jobs_config_parameter: String,
    /// The local issuer's key file [env: STEPWISE_JOBS_KEY; default .stepwise/jobs-api.key].
    #[arg(long, value_name = "FILE")]
    pub jwt_key: Option<PathBuf>,
    /// The claim that carries the tenant.
    #[arg(long, value_name = "CLAIM", default_value = stepwise_jobs_api::openapi::DEFAULT_TENANT_CLAIM)]
    pub tenant_claim: String,
    /// Requests per second per tenant (token bucket refill).
    #[arg(long, value_name = "N", default_value_t = 50.0)]
    pub rate_limit: f64,
    /// The token bucket's size (requests at once per tenant).
    #[arg(long, value_name = "N", default_value_t = 100.0)]
    pub burst: f64,
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
    let account = config.account.clone();
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
        if flags.jobs.jobs_api {
            let endpoint = server.endpoint();
            let running = serve_jobs(&flags.jobs, server, &account).await?;
            output::outln(&format!("listening on {endpoint}"))?;
            output::outln(&format!("jobs API on {endpoint}/group-images"))?;
            return match running.await {
                Ok(result) => result.map_err(|e| CliError::Message(e.to_string())),
                Err(e) => Err(CliError::Message(format!("the server stopped: {e}"))),
            };
        }
        output::outln(&format!("listening on {}", server.endpoint()))?;
        server
            .run()
            .await
            .map_err(|e| CliError::Message(e.to_string()))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `server` with the jobs API and creates the group-images state machine on it.
async fn serve_jobs(
    flags: &JobsApiFlags,
    server: Server,
    account: &stepwise_serve::arn::Account,
) -> Result<tokio::task::JoinHandle<Result<(), stepwise_serve::ServeError>>, CliError> {
    use stepwise_jobs_api::jwt::{LocalKey, key_path};
    use stepwise_jobs_api::limit::Limit;
    use stepwise_jobs_api::local::{LocalOptions, serve_with_jobs};
    if !(flags.rate_limit > 0.0 && flags.burst >= 1.0) {
        return Err(CliError::Usage(
            "--rate-limit must be above 0 and --burst at least 1".into(),
        ));
    }
    let key = LocalKey::load_or_create(&key_path(flags.jwt_key.clone()))
        .map_err(|e| CliError::Message(e.to_string()))?;
    let mut options = LocalOptions::new(
        &flags.jobs_table,
        &flags.jobs_bucket,
        &flags.jobs_config_parameter,
        key,
    );
    options.tenant_claim = flags.tenant_claim.clone();
    options.limit = Limit {
        per_second: flags.rate_limit,
        burst: flags.burst,
    };
    let aws = stepwise_runtime::aws::Aws::from_env();
    let (_, running) = serve_with_jobs(server, aws.config().await, account, options)
        .await
        .map_err(|e| CliError::Message(e.to_string()))?;
    Ok(running)
}
