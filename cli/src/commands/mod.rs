//! One module per subcommand. Each `run` returns the exit code, or an error that `main`
//! prints to stderr with exit code 1.

pub mod activities;
pub mod dlq;
pub mod exec;
pub mod execution;
pub mod fmt;
pub mod generate;
pub mod graph;
pub mod lake;
pub mod progress;
pub mod provision;
pub mod run;
pub mod serve;
pub mod similar;
pub mod token;
pub mod validate;
pub mod worker;

use std::path::{Path, PathBuf};

use codegen::asl::{MAX_DEFINITION_BYTES, Problem, StateMachine};

use crate::output::OutputError;

/// What can go wrong in a command, beyond "the definition is invalid" (which commands
/// report themselves).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Message(String),
    /// A command line that makes no sense (exit 2, like clap's own usage errors).
    #[error("{0}")]
    Usage(String),
    /// Writing the result or a message failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A definition that Step Functions would reject: every problem, each line naming
    /// the file.
    #[error("{}: not a valid ASL document:\n{}", .path.display(), lines(.path, .problems))]
    Invalid {
        /// The definition's file.
        path: PathBuf,
        /// What is wrong with it.
        problems: Vec<Problem>,
    },
}

fn lines(path: &Path, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {p}", path.display()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a file, naming it on failure.
pub fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a definition's text, refusing a file over Step Functions' 1 MB limit before
/// reading it.
pub fn read_definition(path: &Path) -> Result<String, CliError> {
    let io = |source| CliError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_DEFINITION_BYTES as u64 {
        return Err(CliError::Invalid {
            path: path.to_path_buf(),
            problems: vec![codegen::asl::too_large(
                usize::try_from(len).unwrap_or(usize::MAX),
            )],
        });
    }
    read(path)
}

/// Reads, parses and validates a definition with the one validator every command uses
/// (the one `stepwise validate` and sfn-local apply).
pub fn load_definition(path: &Path) -> Result<StateMachine, CliError> {
    let text = read_definition(path)?;
    let invalid = |problems| CliError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let machine = codegen::asl::from_json(&text).map_err(|e| invalid(e.problems))?;
    let problems = codegen::validate::validate(&machine);
    if problems.is_empty() {
        Ok(machine)
    } else {
        Err(invalid(problems))
    }
}
