//! `stepwise fmt FILE`

use std::path::Path;
use std::process::ExitCode;

use super::{CliError, load_definition};
use crate::output;

/// Prints the canonical form (parse → model → emit) of a valid ASL document.
pub fn run(file: &Path) -> Result<ExitCode, CliError> {
    let machine = load_definition(file)?;
    output::out(&machine.to_pretty_json())?;
    Ok(ExitCode::SUCCESS)
}
