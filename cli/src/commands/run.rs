//! `stepwise run WORKFLOW ...`: runs a workflow with the real activities, showing
//! progress on stderr.

use std::process::ExitCode;

use sfn_local::Options;

use super::CliError;
use super::execution::{
    ExecutionFlags, generated_catalog, read_input, run_and_report, task_runner,
};
use sfn_local::progress::ProgressDisplay;

/// Builds the workflow named `workflow` and runs it; see `run_and_report` for what is
/// printed.
pub fn run(workflow: &str, flags: ExecutionFlags) -> Result<ExitCode, CliError> {
    let name = workflow;
    let workflow = statemachines::find(name).ok_or_else(|| {
        CliError::Message(format!(
            "no workflow named \"{}\" (workflows: {})",
            name,
            statemachines::names().join(", ")
        ))
    })?;
    let built = workflow
        .build()
        .map_err(|e| CliError::Message(e.to_string()))?;
    let input = read_input(flags.input.as_deref(), built.example_input.clone())?;
    let substitutions = flags.substitution_map()?;
    let known = codegen::placeholder::Substitutable::new(&built.resources);
    let missing: Vec<String> = codegen::placeholder::used_in(&built.machine, &known)
        .into_iter()
        .filter(|name| !substitutions.contains_key(name))
        .map(|name| format!("${{{name}}}"))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Message(format!(
            "workflow \"{}\" uses {}, which nothing substitutes: pass --substitute NAME=VALUE or --substitutions FILE.json (`stepwise provision --workflow {} --out FILE.json` creates its resources and writes them)",
            built.name,
            missing.join(", "),
            built.name
        )));
    }
    let tasks = task_runner(
        flags.mock_config.as_ref(),
        flags.test_case.as_deref(),
        &built.name,
    )?;
    let options = Options {
        virtual_time: flags.virtual_time,
        state_machine_name: built.name.clone(),
        progress: Some(ProgressDisplay::new()),
        // An Express execution lasts at most five minutes, a Standard one a year.
        max_duration: if built.express {
            sfn_local::clock::EXPRESS_MAX_DURATION
        } else {
            sfn_local::clock::STANDARD_MAX_DURATION
        },
        launcher: Some(generated_catalog()?),
        substitutions,
        ..Options::default()
    };
    run_and_report(
        &built.machine,
        input,
        tasks,
        options,
        flags.history.as_ref(),
        flags.timeline,
    )
}
