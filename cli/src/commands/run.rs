//! `stepwise run WORKFLOW ...`: runs a workflow with the real activities, showing
//! progress on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use sfn_local::Options;

use super::CliError;
use super::execution::{read_input, run_and_report, task_runner};
use sfn_local::progress::ProgressDisplay;

/// The arguments of `run`.
pub struct RunArgs {
    /// The workflow's name.
    pub workflow: String,
    /// `--input`: JSON or `@FILE` (default: the workflow's example input).
    pub input: Option<String>,
    /// `--virtual-time`.
    pub virtual_time: bool,
    /// `--history FILE`.
    pub history: Option<PathBuf>,
    /// `--timeline`: print the history as a readable timeline on stderr.
    pub timeline: bool,
    /// `--mock-config`.
    pub mock_config: Option<PathBuf>,
    /// `--test-case`.
    pub test_case: Option<String>,
}

/// Builds the workflow and runs it; see `run_and_report` for what is printed.
pub fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    let workflow = statemachines::find(&args.workflow).ok_or_else(|| {
        CliError::Message(format!(
            "no workflow named \"{}\" (workflows: {})",
            args.workflow,
            statemachines::names().join(", ")
        ))
    })?;
    let built = workflow
        .build()
        .map_err(|e| CliError::Message(e.to_string()))?;
    let input = read_input(args.input.as_deref(), built.example_input.clone())?;
    let tasks = task_runner(
        args.mock_config.as_ref(),
        args.test_case.as_deref(),
        &built.name,
    )?;
    let options = Options {
        virtual_time: args.virtual_time,
        state_machine_name: built.name.clone(),
        progress: Some(ProgressDisplay::new()),
        // An Express execution lasts at most five minutes, a Standard one a year.
        max_duration: if built.express {
            sfn_local::clock::EXPRESS_MAX_DURATION
        } else {
            sfn_local::clock::STANDARD_MAX_DURATION
        },
        ..Options::default()
    };
    run_and_report(
        &built.machine,
        input,
        tasks,
        options,
        args.history.as_ref(),
        args.timeline,
    )
}
