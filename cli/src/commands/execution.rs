//! What `exec` and `run` share: reading the input, choosing the task runner (real
//! activities, optionally behind a mock config), running, printing the result and the
//! history.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use codegen::asl::StateMachine;
use serde_json::{Value, json};
use sfn_local::{MockConfig, MockTasks, Options, Outcome, RegistryTasks, Status, TaskRunner};

use super::{CliError, read};

/// The flags `exec` and `run` share.
#[derive(Debug, clap::Args)]
pub struct ExecutionFlags {
    /// The execution input: JSON, or @FILE (default: {} for exec, the workflow's example
    /// input for run).
    #[arg(long, value_name = "JSON|@FILE")]
    pub input: Option<String>,
    /// A stepfunctions-local mock config.
    #[arg(long, value_name = "FILE", requires = "test_case")]
    pub mock_config: Option<PathBuf>,
    /// The test case of the mock config to use.
    #[arg(long, value_name = "NAME", requires = "mock_config")]
    pub test_case: Option<String>,
    /// Make waits and retry backoff instant (timestamps still move on).
    #[arg(long)]
    pub virtual_time: bool,
    /// Write the execution history (GetExecutionHistory JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Print the execution history as a readable timeline on stderr.
    #[arg(long)]
    pub timeline: bool,
}

/// Reads `--input`: inline JSON, or `@FILE`.
pub fn read_input(input: Option<&str>, default: Value) -> Result<Value, CliError> {
    let Some(text) = input else {
        return Ok(default);
    };
    let (source, text) = match text.strip_prefix('@') {
        Some(file) => (file.to_string(), read(Path::new(file))?),
        None => ("--input".to_string(), text.to_string()),
    };
    serde_json::from_str(&text)
        .map_err(|e| CliError::Message(format!("{source}: invalid JSON input: {e}")))
}

/// The task runner: the real activities, behind the mocks of a test case when given.
pub fn task_runner(
    mock_config: Option<&PathBuf>,
    test_case: Option<&str>,
    machine_name: &str,
) -> Result<Arc<dyn TaskRunner>, CliError> {
    let real: Arc<dyn TaskRunner> = Arc::new(RegistryTasks::new(
        stepwise_lambda::all(),
        stepwise_runtime::Services::shared(),
    ));
    match (mock_config, test_case) {
        (None, None) => Ok(real),
        (Some(_), None) => Err(CliError::Message(
            "--mock-config needs --test-case NAME".into(),
        )),
        (None, Some(_)) => Err(CliError::Message(
            "--test-case needs --mock-config FILE".into(),
        )),
        (Some(file), Some(case)) => {
            let config = MockConfig::parse(&read(file)?)
                .map_err(|e| CliError::Message(format!("{}: {e}", file.display())))?;
            let case = config
                .test_case(None, case)
                .or_else(|_| config.test_case(Some(machine_name), case))
                .map_err(|e| CliError::Message(format!("{}: {e}", file.display())))?;
            Ok(Arc::new(MockTasks::new(case, Some(real))))
        }
    }
}

/// Runs the machine and reports: the output on stdout (exit 0), or
/// `{"error": ..., "cause": ...}` on stdout (exit 1); the history to `history` if asked.
pub fn run_and_report(
    machine: &StateMachine,
    input: Value,
    tasks: Arc<dyn TaskRunner>,
    options: Options,
    history: Option<&PathBuf>,
    timeline: bool,
) -> Result<ExitCode, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    let outcome: Outcome = runtime
        .block_on(sfn_local::execute(machine, input, tasks, options))
        .map_err(|e| CliError::Message(e.to_string()))?;
    if timeline {
        eprint!("{}", sfn_local::history::timeline(&outcome.events));
    }
    if let Some(file) = history {
        let text = codegen::emit::pretty(&sfn_local::history::to_json(&outcome.events));
        std::fs::write(file, text).map_err(|source| CliError::Io {
            path: file.clone(),
            source,
        })?;
    }
    match (outcome.status, &outcome.output, &outcome.failure) {
        (Status::Succeeded, Some(output), _) => {
            println!(
                "{}",
                serde_json::to_string_pretty(output).unwrap_or_else(|_| output.to_string())
            );
            Ok(ExitCode::SUCCESS)
        }
        (_, _, failure) => {
            let (error, cause) = failure
                .as_ref()
                .map(|f| (f.error.clone(), f.cause.clone()))
                .unwrap_or_default();
            println!("{}", json!({"error": error, "cause": cause}));
            Ok(ExitCode::from(1))
        }
    }
}
