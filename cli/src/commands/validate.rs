//! `stepwise validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CliError, read};

/// Validates each file; prints `FILE: valid` or one `FILE: problem` line per problem.
pub fn run(files: &[PathBuf]) -> Result<ExitCode, CliError> {
    let mut invalid = false;
    for file in files {
        let text = match read(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                invalid = true;
                continue;
            }
        };
        let problems = codegen::validate::validate_json(&text);
        if problems.is_empty() {
            println!("{}: valid", file.display());
        }
        for p in &problems {
            println!("{}: {p}", file.display());
        }
        invalid |= !problems.is_empty();
    }
    Ok(if invalid {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
