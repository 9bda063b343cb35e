//! What `exec` and `run` share: reading the input, choosing the task runner (AWS service
//! integrations and the real activities, optionally behind a mock config), running, printing the result and the
//! history.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use codegen::asl::StateMachine;
use serde_json::{Value, json};
use sfn_local::{Catalog, Launcher, MockConfig, MockTasks, Options, Outcome, Status, TaskRunner};

use super::{CliError, read};
use crate::output::{self, OutputError};

/// The stack of each async worker thread: 256 MiB.
pub(crate) const WORKER_STACK_BYTES: usize = 256 << 20;

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
    /// A definition substitution: every `${NAME}` in the definition's strings becomes
    /// VALUE, as a state machine's DefinitionSubstitutions in AWS (repeatable; wins over
    /// --substitutions).
    #[arg(long = "substitute", value_name = "NAME=VALUE")]
    pub substitute: Vec<String>,
    /// A JSON object of definition substitutions, {"NAME": "VALUE", ...}: what
    /// `stepwise provision --out FILE` writes.
    #[arg(long, value_name = "FILE.json")]
    pub substitutions: Option<PathBuf>,
}

impl ExecutionFlags {
    /// The definition substitutions of `--substitutions FILE` and then `--substitute`.
    pub fn substitution_map(&self) -> Result<BTreeMap<String, String>, CliError> {
        let mut map = BTreeMap::new();
        if let Some(file) = &self.substitutions {
            let text = read(file)?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| CliError::Message(format!("{}: invalid JSON: {e}", file.display())))?;
            let Value::Object(entries) = value else {
                return Err(CliError::Message(format!(
                    "{}: expected a JSON object {{\"NAME\": \"VALUE\", ...}}",
                    file.display()
                )));
            };
            for (name, value) in entries {
                let Value::String(value) = value else {
                    return Err(CliError::Message(format!(
                        "{}: \"{name}\": the value must be a string",
                        file.display()
                    )));
                };
                check_name(&name).map_err(|e| {
                    CliError::Message(format!("{}: \"{name}\": {e}", file.display()))
                })?;
                map.insert(name, value);
            }
        }
        for pair in &self.substitute {
            let Some((name, value)) = pair.split_once('=') else {
                return Err(CliError::Usage(format!(
                    "--substitute {pair}: expected NAME=VALUE"
                )));
            };
            check_name(name).map_err(|e| CliError::Usage(format!("--substitute {pair}: {e}")))?;
            map.insert(name.to_string(), value.to_string());
        }
        Ok(map)
    }
}

/// A substitution's name: what goes inside `${…}`.
fn check_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err("NAME must be letters, digits and '_' (the text inside ${...})".into())
    }
}

/// Every generated workflow as a state machine a `states:startExecution` Task can start
/// in-process, under the parent's options (by the name in its `StateMachineArn`, or a
/// `${NAME}` placeholder); others go to the Step Functions endpoint of the standard
/// environment.
pub fn generated_catalog() -> Result<Arc<dyn Launcher>, CliError> {
    let mut catalog = Catalog::new();
    for workflow in statemachines::all() {
        let built = workflow
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?;
        catalog = catalog.with(&built.name, built.machine, built.express);
    }
    Ok(Arc::new(catalog))
}

/// Reads `--input`: inline JSON, or `@FILE`.
pub fn read_input(input: Option<&str>, default: Value) -> Result<Value, CliError> {
    let Some(text) = input else {
        return Ok(default);
    };
    let (source, text) = match text.strip_prefix('@') {
        Some("") => {
            return Err(CliError::Usage(
                "--input @FILE needs a file name after the @".into(),
            ));
        }
        Some(file) => {
            // Step Functions takes at most 256 KiB of input text: a larger file is
            // refused before it is read.
            let len = std::fs::metadata(file)
                .map_err(|source| CliError::Io {
                    path: file.into(),
                    source,
                })?
                .len();
            if len > sfn_local::PAYLOAD_LIMIT as u64 {
                return Err(CliError::Message(format!(
                    "{file}: States.DataLimitExceeded: the input is {len} bytes, more than the limit of {} bytes",
                    sfn_local::PAYLOAD_LIMIT
                )));
            }
            (file.to_string(), read(Path::new(file))?)
        }
        None => ("--input".to_string(), text.to_string()),
    };
    serde_json::from_str(&text)
        .map_err(|e| CliError::Message(format!("{source}: invalid JSON input: {e}")))
}

/// The task runner: the AWS service integrations and the real activities, behind the
/// mocks of a test case when given.
pub fn task_runner(
    mock_config: Option<&PathBuf>,
    test_case: Option<&str>,
    machine_name: &str,
) -> Result<Arc<dyn TaskRunner>, CliError> {
    // AWS service integrations first, the activities behind them.
    let real = stepwise_serve::runner::real_tasks(
        stepwise_lambda::all(),
        stepwise_runtime::Services::shared(),
    );
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
                .test_case_for(machine_name, case)
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
    // Refuse an unwritable --history before anything runs.
    let history = history
        .map(|path| {
            std::fs::File::create(path)
                .map(|file| (path, file))
                .map_err(|source| CliError::Io {
                    path: path.clone(),
                    source,
                })
        })
        .transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Payloads can nest thousands deep (a loop that wraps its state once per pass),
        // and serde_json clones, writes and drops them recursively: give the workers
        // room (address space; only the pages used are ever touched).
        .thread_stack_size(WORKER_STACK_BYTES)
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    let outcome: Outcome = runtime
        .block_on(sfn_local::execute(machine, input, tasks, options))
        .map_err(|e| CliError::Message(e.to_string()))?;
    if timeline {
        output::err(&sfn_local::history::timeline(&outcome.events))?;
    }
    if let Some((path, mut file)) = history {
        let text = codegen::emit::pretty(&sfn_local::history::to_json(&outcome.events));
        file.write_all(text.as_bytes())
            .map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?;
    }
    let (code, text) = match (outcome.status, &outcome.output, &outcome.failure) {
        (Status::Succeeded, Some(output), _) => (
            ExitCode::SUCCESS,
            serde_json::to_string_pretty(output).unwrap_or_else(|_| output.to_string()),
        ),
        (_, _, failure) => {
            let (error, cause) = failure
                .as_ref()
                .map(|f| (f.error.clone(), f.cause.clone()))
                .unwrap_or_default();
            (
                ExitCode::from(1),
                json!({"error": error, "cause": cause}).to_string(),
            )
        }
    };
    match output::outln(&text) {
        // The reader closed the pipe: the outcome still decides the exit code.
        Ok(()) | Err(OutputError::Closed) => Ok(code),
        Err(e) => Err(e.into()),
    }
}
