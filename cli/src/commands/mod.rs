//! One module per subcommand. Each `run` returns the exit code, or an error that `main`
//! prints to stderr with exit code 1.

pub mod activities;
pub mod exec;
pub mod execution;
pub mod fmt;
pub mod generate;
pub mod graph;
pub mod run;
pub mod validate;

use std::path::{Path, PathBuf};

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
}

/// Reads a file, naming it on failure.
pub fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })
}
