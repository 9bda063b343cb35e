//! `stepwise graph WORKFLOW|FILE`

use std::path::Path;
use std::process::ExitCode;

use super::{CliError, load_definition};
use crate::output;

/// Prints the Mermaid flowchart of a named workflow, or of an ASL file.
pub fn run(target: &str) -> Result<ExitCode, CliError> {
    let machine = if let Some(workflow) = statemachines::find(target) {
        workflow
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?
            .machine
    } else if Path::new(target).is_file() {
        load_definition(Path::new(target))?
    } else {
        return Err(CliError::Message(format!(
            "\"{target}\" is neither a workflow ({}) nor a file",
            statemachines::names().join(", ")
        )));
    };
    output::out(&codegen::emit::mermaid(&machine))?;
    Ok(ExitCode::SUCCESS)
}
