//! `stepwise generate [--check] [--out DIR]`

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use codegen::emit::{GeneratedFile, all_files};

use super::{CliError, read};
use crate::output;

/// Suffixes of the files `generate` owns in the output directory.
const OWNED_SUFFIXES: &[&str] = &[
    ".asl.json",
    ".mmd",
    ".input.schema.json",
    ".input.example.json",
    ".mock-config.json",
    ".openapi.json",
];
const MANIFEST: &str = "manifest.json";
/// The lake's tables for the deployment (`lake-tables/src/deployment.rs`).
const LAKE_TABLES: &str = stepwise_lake_tables::deployment::FILE_NAME;

/// Builds every workflow and writes (or, with `check`, compares) the generated files.
pub fn run(check: bool, out: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let mut built = Vec::new();
    let mut failed = false;
    for workflow in statemachines::all() {
        match workflow.build() {
            Ok(b) => built.push(b),
            Err(e) => {
                output::errln(&e.to_string())?;
                failed = true;
            }
        }
    }
    if failed {
        output::errln("error: some workflows do not build; nothing was written")?;
        return Ok(ExitCode::from(1));
    }
    let dir = match out {
        Some(dir) => dir,
        None => default_dir()?,
    };
    let files = match all_files(&built) {
        Ok(mut files) => {
            // The jobs API's contract (issue 17), built from its Rust types.
            files.push(GeneratedFile {
                name: stepwise_jobs_api::openapi::FILE_NAME.to_string(),
                content: stepwise_jobs_api::openapi::generated_text(),
            });
            // The lake's table bucket, namespace and Iceberg tables (issue 20), from the
            // lake's own schemas.
            let lake = stepwise_lake_tables::deployment::generated_text()
                .map_err(|e| CliError::Message(format!("the lake tables' declaration: {e}")))?;
            files.push(GeneratedFile {
                name: LAKE_TABLES.to_string(),
                content: lake,
            });
            files.sort_by(|a, b| a.name.cmp(&b.name));
            files
        }
        Err(conflicts) => {
            for c in conflicts {
                output::errln(&format!("error: {c}"))?;
            }
            output::errln("error: some workflows do not build; nothing was written")?;
            return Ok(ExitCode::from(1));
        }
    };
    let drift = compare(&dir, &files)?;
    if check {
        if drift.is_empty() {
            output::outln(&format!(
                "{}: {} files up to date",
                dir.display(),
                files.len()
            ))?;
            return Ok(ExitCode::SUCCESS);
        }
        for d in &drift {
            output::errln(&d.to_string())?;
        }
        output::errln("error: generated files are out of date; run `stepwise generate`")?;
        return Ok(ExitCode::from(1));
    }
    write(&dir, &files, &drift)?;
    output::outln(&format!(
        "{}: {} files, {} changed",
        dir.display(),
        files.len(),
        drift.len()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// How the directory differs from what should be there.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Drift {
    Missing(PathBuf),
    Stale(PathBuf),
    Extra(PathBuf),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing: {}", p.display()),
            Drift::Stale(p) => write!(f, "stale: {}", p.display()),
            Drift::Extra(p) => write!(f, "extra: {} (no workflow produces it)", p.display()),
        }
    }
}

fn compare(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<Drift>, CliError> {
    let mut drift = Vec::new();
    for file in files {
        let path = dir.join(&file.name);
        if !path.exists() {
            drift.push(Drift::Missing(path));
        } else if read(&path)? != file.content {
            drift.push(Drift::Stale(path));
        }
    }
    let expected: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    if dir.is_dir() {
        let entries = std::fs::read_dir(dir).map_err(|source| CliError::Io {
            path: dir.into(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| CliError::Io {
                path: dir.into(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let owned = name == MANIFEST
                || name == LAKE_TABLES
                || OWNED_SUFFIXES.iter().any(|s| name.ends_with(s));
            if owned && !expected.contains(name.as_str()) {
                drift.push(Drift::Extra(entry.path()));
            }
        }
    }
    drift.sort();
    Ok(drift)
}

fn write(dir: &Path, files: &[GeneratedFile], drift: &[Drift]) -> Result<(), CliError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CliError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for file in files {
        let path = dir.join(&file.name);
        if drift
            .iter()
            .any(|d| matches!(d, Drift::Missing(p) | Drift::Stale(p) if *p == path))
        {
            std::fs::write(&path, &file.content).map_err(io(&path))?;
        }
    }
    for d in drift {
        if let Drift::Extra(path) = d {
            std::fs::remove_file(path).map_err(io(path))?;
        }
    }
    Ok(())
}

/// `statemachines/generated` of the workspace that contains the current directory.
fn default_dir() -> Result<PathBuf, CliError> {
    let cwd = std::env::current_dir().map_err(|source| CliError::Io {
        path: ".".into(),
        source,
    })?;
    cwd.ancestors()
        .find(|d| d.join("statemachines").join("Cargo.toml").is_file())
        .map(|root| root.join("statemachines").join("generated"))
        .ok_or_else(|| {
            CliError::Message(format!(
                "{} is not inside the Stepwise workspace (no statemachines/Cargo.toml above it); pass --out DIR",
                cwd.display()
            ))
        })
}
