//! `stepwise validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CliError, read_definition};
use crate::output;

/// Validates each file; prints `FILE: valid` or one `FILE: problem` line per problem.
pub fn run(files: &[PathBuf]) -> Result<ExitCode, CliError> {
    let mut invalid = false;
    for file in files {
        let problems = match read_definition(file) {
            Ok(text) => codegen::validate::validate_json(&text),
            Err(CliError::Invalid { problems, .. }) => problems,
            Err(e) => {
                output::errln(&format!("error: {e}"))?;
                invalid = true;
                continue;
            }
        };
        if problems.is_empty() {
            output::outln(&format!("{}: valid", file.display()))?;
        }
        for p in &problems {
            output::outln(&format!("{}: {p}", file.display()))?;
        }
        invalid |= !problems.is_empty();
    }
    Ok(if invalid {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
