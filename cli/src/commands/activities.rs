//! `stepwise activities [--schema NAME]`

use std::process::ExitCode;

use serde_json::json;

use super::CliError;
use crate::output;

/// Lists every activity (`Name  Error, Error, ...`), or prints one activity's schemas.
pub fn run(schema: Option<&str>) -> Result<ExitCode, CliError> {
    let registry = stepwise_lambda::all();
    match schema {
        None => {
            let infos = registry.infos();
            let width = infos.iter().map(|i| i.name.len()).max().unwrap_or(0);
            for info in infos {
                let errors: Vec<_> = info.errors.iter().map(|e| e.as_str()).collect();
                output::outln(&format!("{:width$}  {}", info.name, errors.join(", ")))?;
            }
        }
        Some(name) => {
            let info = registry.info(name).ok_or_else(|| {
                CliError::Message(format!(
                    "no activity named \"{name}\" (known: {})",
                    registry.names().join(", ")
                ))
            })?;
            let doc = json!({"name": info.name, "input": info.input_schema, "output": info.output_schema});
            output::out(&codegen::emit::pretty(&doc))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
