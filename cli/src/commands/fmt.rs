//! `stepwise fmt FILE`

use std::path::Path;
use std::process::ExitCode;

use super::{CliError, read};

/// Prints the canonical form (parse → model → emit) of a valid ASL document.
pub fn run(file: &Path) -> Result<ExitCode, CliError> {
    let text = read(file)?;
    let machine = codegen::asl::from_json(&text).map_err(|e| invalid(file, &e.problems))?;
    let problems = codegen::validate::validate(&machine);
    if !problems.is_empty() {
        return Err(invalid(file, &problems));
    }
    print!("{}", machine.to_pretty_json());
    Ok(ExitCode::SUCCESS)
}

fn invalid(file: &Path, problems: &[codegen::asl::Problem]) -> CliError {
    let lines: Vec<_> = problems
        .iter()
        .map(|p| format!("{}: {p}", file.display()))
        .collect();
    CliError::Message(format!("not a valid ASL document:\n{}", lines.join("\n")))
}
