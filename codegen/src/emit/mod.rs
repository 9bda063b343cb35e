//! Emitters: everything `stepwise generate` writes for a built workflow.
//!
//! For each workflow `NAME`: `NAME.asl.json` (the definition, canonical form),
//! `NAME.mmd` (a Mermaid flowchart), `NAME.input.schema.json` and
//! `NAME.input.example.json` (for starting executions from the console), and
//! `NAME.mock-config.json` (a stepfunctions-local mock config with a happy path). One
//! `manifest.json` lists every workflow (with its triggers and the placeholders it uses),
//! every activity and every declared resource (`resources`: tables, queues, vector
//! indexes, merged across workflows) for the CDK app. All output is deterministic: the
//! same descriptions give byte-identical files.

mod example;
mod mermaid;
mod mock;

pub use example::example_from_schema;
pub use mermaid::mermaid;
pub use mock::mock_config;

use serde_json::{Value, json};

use crate::resources::{Conflict, merge};
use crate::workflow::Built;

/// A file to write: its name inside the output directory, and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name (no directories).
    pub name: String,
    /// Full content, ending with a newline.
    pub content: String,
}

/// Pretty JSON with a trailing newline.
pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values always serialise");
    text.push('\n');
    text
}

/// The files of one workflow.
pub fn workflow_files(built: &Built) -> Vec<GeneratedFile> {
    let name = &built.name;
    vec![
        GeneratedFile {
            name: format!("{name}.asl.json"),
            content: built.machine.to_pretty_json(),
        },
        GeneratedFile {
            name: format!("{name}.mmd"),
            content: mermaid(&built.machine),
        },
        GeneratedFile {
            name: format!("{name}.input.schema.json"),
            content: pretty(&built.input_schema),
        },
        GeneratedFile {
            name: format!("{name}.input.example.json"),
            content: pretty(&built.example_input),
        },
        GeneratedFile {
            name: format!("{name}.mock-config.json"),
            content: pretty(&mock_config(built)),
        },
    ]
}

/// Every file `stepwise generate` writes for these workflows, manifest included, sorted
/// by name; an error when two workflows declare one resource differently.
pub fn all_files(workflows: &[Built]) -> Result<Vec<GeneratedFile>, Vec<Conflict>> {
    let mut files: Vec<_> = workflows.iter().flat_map(workflow_files).collect();
    files.push(GeneratedFile {
        name: "manifest.json".into(),
        content: pretty(&manifest(workflows)?),
    });
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// The manifest: which workflows exist, which deployment placeholders each uses, what
/// their state machines' roles need and what starts them (`triggers`), every activity
/// with its error names, memory, timeout and IAM permissions, and the declared
/// `resources` — what deployment tooling needs without parsing Rust. Two workflows
/// declaring one resource differently is an error naming both.
pub fn manifest(workflows: &[Built]) -> Result<Value, Vec<Conflict>> {
    let resources = merge(workflows.iter().map(|b| (b.name.as_str(), &b.resources)))?;
    let mut activities = std::collections::BTreeMap::new();
    for built in workflows {
        for (name, info) in &built.activities {
            activities.insert(name.clone(), info.clone());
        }
    }
    Ok(json!({
        "workflows": workflows.iter().map(|b| json!({
            "name": b.name,
            "definition": format!("{}.asl.json", b.name),
            "type": if b.express { "EXPRESS" } else { "STANDARD" },
            "activities": b.activities.keys().collect::<Vec<_>>(),
            "exampleInput": format!("{}.input.example.json", b.name),
            "inputSchema": format!("{}.input.schema.json", b.name),
            "permissions": b.permissions,
            "triggers": b.triggers,
            "placeholders": b.placeholders,
        })).collect::<Vec<_>>(),
        "activities": activities.values().map(|a| json!({
            "name": a.name,
            "errors": a.errors.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            "memoryMb": a.deployment.memory_mb,
            "timeoutSeconds": a.deployment.timeout_seconds,
            "permissions": a.deployment.permissions,
        })).collect::<Vec<_>>(),
        "resources": resources,
    }))
}
