//! `stepwise provision [--workflow NAME]... [--prefix P] [--set NAME=VALUE]... [--out FILE]`:
//! creates the tables, queues and S3 Vectors indexes the workflows declare on the
//! endpoints of the standard AWS environment (moto server through `AWS_ENDPOINT_URL`
//! locally) and prints the definition substitutions that reach them as JSON — the file
//! `stepwise run --substitutions` reads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use codegen::resources::merge;
use serde_json::Value;

use super::CliError;
use crate::output;

/// The flags of `stepwise provision`.
#[derive(Debug, clap::Args)]
pub struct ProvisionFlags {
    /// Provision what this workflow declares (repeatable; default: every workflow).
    #[arg(long = "workflow", value_name = "NAME")]
    pub workflows: Vec<String>,
    /// What table, queue and vector bucket names start with.
    #[arg(long, value_name = "P", default_value = stepwise_provision::DEFAULT_PREFIX)]
    pub prefix: String,
    /// A further substitution to include, e.g. ConfigParameterName=/stepwise/dev/config
    /// (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Write the substitutions to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Builds the chosen workflows, provisions what they declare and prints the map.
pub fn run(flags: ProvisionFlags) -> Result<ExitCode, CliError> {
    let mut extra = BTreeMap::new();
    for pair in &flags.set {
        match pair.split_once('=') {
            Some((name, value))
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                extra.insert(name.to_string(), value.to_string());
            }
            _ => {
                return Err(CliError::Usage(format!(
                    "--set {pair}: expected NAME=VALUE, NAME letters, digits and '_'"
                )));
            }
        }
    }
    stepwise_provision::check_prefix(&flags.prefix)
        .map_err(|e| CliError::Usage(format!("--prefix: {e}")))?;
    let mut built = Vec::new();
    for workflow in statemachines::all() {
        if flags.workflows.is_empty() || flags.workflows.iter().any(|w| w == workflow.name()) {
            built.push(
                workflow
                    .build()
                    .map_err(|e| CliError::Message(e.to_string()))?,
            );
        }
    }
    for name in &flags.workflows {
        if !built.iter().any(|b| &b.name == name) {
            return Err(CliError::Message(format!(
                "no workflow named \"{name}\" (workflows: {})",
                statemachines::names().join(", ")
            )));
        }
    }
    let resources =
        merge(built.iter().map(|b| (b.name.as_str(), &b.resources))).map_err(|conflicts| {
            CliError::Message(
                conflicts
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    let mut map = runtime
        .block_on(async {
            let aws = stepwise_runtime::aws::Aws::from_env();
            stepwise_provision::provision(aws.config().await, &resources, &flags.prefix).await
        })
        .map_err(|e| CliError::Message(e.to_string()))?;
    map.extend(extra);
    output::errln(&format!(
        "provisioned {} tables, {} queues, {} vector indexes with prefix \"{}\"",
        resources.tables.len(),
        resources.queues.len(),
        resources.vector_indexes.len(),
        flags.prefix
    ))?;
    let object: serde_json::Map<String, Value> = map
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let text = codegen::emit::pretty(&Value::Object(object));
    match &flags.out {
        Some(path) => std::fs::write(path, text).map_err(|source| CliError::Io {
            path: path.clone(),
            source,
        })?,
        None => output::out(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
