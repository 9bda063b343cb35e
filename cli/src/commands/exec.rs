//! `stepwise exec --definition FILE ...`: runs any ASL document under sfn-local.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use sfn_local::Options;

use super::execution::{read_input, run_and_report, task_runner};
use super::{CliError, load_definition};

/// The arguments of `exec`.
pub struct ExecArgs {
    /// The ASL file.
    pub definition: PathBuf,
    /// `--input`: JSON or `@FILE`.
    pub input: Option<String>,
    /// `--mock-config`.
    pub mock_config: Option<PathBuf>,
    /// `--test-case`.
    pub test_case: Option<String>,
    /// `--virtual-time`.
    pub virtual_time: bool,
    /// `--history FILE`.
    pub history: Option<PathBuf>,
    /// `--timeline`: print the history as a readable timeline on stderr.
    pub timeline: bool,
}

/// Runs the definition; see [`run_and_report`] for what is printed.
pub fn run(args: ExecArgs) -> Result<ExitCode, CliError> {
    let machine = load_definition(&args.definition)?;
    let input = read_input(args.input.as_deref(), json!({}))?;
    let name = args
        .definition
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_end_matches(".json")
                .trim_end_matches(".asl")
                .to_string()
        })
        .unwrap_or_else(|| "local".into());
    let tasks = task_runner(args.mock_config.as_ref(), args.test_case.as_deref(), &name)?;
    let options = Options {
        virtual_time: args.virtual_time,
        state_machine_name: name,
        ..Options::default()
    };
    run_and_report(
        &machine,
        input,
        tasks,
        options,
        args.history.as_ref(),
        args.timeline,
    )
}
