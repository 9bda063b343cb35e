//! `stepwise graph WORKFLOW|FILE`

use std::path::Path;
use std::process::ExitCode;

use super::{CliError, read};

/// Prints the Mermaid flowchart of a named workflow, or of an ASL file.
pub fn run(target: &str) -> Result<ExitCode, CliError> {
    let machine = if let Some(workflow) = statemachines::find(target) {
        workflow
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?
            .machine
    } else if Path::new(target).is_file() {
        let text = read(Path::new(target))?;
        codegen::asl::from_json(&text).map_err(|e| CliError::Message(format!("{target}:\n{e}")))?
    } else {
        return Err(CliError::Message(format!(
            "\"{target}\" is neither a workflow ({}) nor a file",
            statemachines::names().join(", ")
        )));
    };
    print!("{}", codegen::emit::mermaid(&machine));
    Ok(ExitCode::SUCCESS)
}
