//! `stepwise exec --definition FILE ...`: runs any ASL document under sfn-local.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use sfn_local::Options;

use super::execution::{
    ExecutionFlags, generated_catalog, read_input, run_and_report, task_runner,
};
use super::{CliError, load_definition};

/// Runs the ASL file `definition`; see [`run_and_report`] for what is printed.
pub fn run(definition: &Path, flags: ExecutionFlags) -> Result<ExitCode, CliError> {
    let machine = load_definition(definition)?;
    let input = read_input(flags.input.as_deref(), json!({}))?;
    let name = definition
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_end_matches(".json")
                .trim_end_matches(".asl")
                .to_string()
        })
        .unwrap_or_else(|| "local".into());
    let tasks = task_runner(
        flags.mock_config.as_ref(),
        flags.test_case.as_deref(),
        &name,
    )?;
    let options = Options {
        virtual_time: flags.virtual_time,
        state_machine_name: name,
        launcher: Some(generated_catalog()?),
        substitutions: flags.substitution_map()?,
        ..Options::default()
    };
    run_and_report(
        &machine,
        input,
        tasks,
        options,
        flags.history.as_ref(),
        flags.timeline,
    )
}
