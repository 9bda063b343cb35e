//! The crates' dependency directions, checked on the workspace's own manifests
//! (`cargo metadata`): the runtime knows no pipeline, pipelines know each other only
//! through the shared crates, shared crates know no pipeline, and only the Lambda
//! artifact lists every pipeline.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// The rooms of `activities/`, by kind.
const RUNTIME: &str = "stepwise-runtime";
const SHARED: &[&str] = &[
    "stepwise-embeddings",
    "stepwise-lake",
    "stepwise-lake-tables",
];
const PIPELINES: &[&str] = &[
    "stepwise-daily-sales-export",
    "stepwise-examples",
    "stepwise-vector-ingest",
];
const ARTIFACT: &str = "stepwise-lambda";

/// Each workspace crate's normal (non-dev) dependencies on other workspace crates.
fn workspace_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(stepwise_tests::workspace_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let members: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().expect("a name").to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str())
                .filter(|name| members.contains(*name))
                .map(str::to_string)
                .collect();
            (p["name"].as_str().expect("a name").to_string(), deps)
        })
        .collect()
}

#[test]
fn the_crates_depend_on_each_other_in_one_direction() {
    let deps = workspace_dependencies();
    let of = |name: &str| {
        deps.get(name)
            .unwrap_or_else(|| panic!("{name} is not a workspace crate"))
    };

    let runtime: Vec<_> = of(RUNTIME).iter().cloned().collect();
    assert_eq!(
        runtime,
        ["stepwise-contract"],
        "the runtime knows no pipeline"
    );

    for shared in SHARED {
        for dep in of(shared) {
            assert!(
                !PIPELINES.contains(&dep.as_str()) && dep != ARTIFACT,
                "shared crate {shared} depends on {dep}"
            );
        }
    }
    for pipeline in PIPELINES {
        for dep in of(pipeline) {
            assert!(
                dep == "stepwise-contract" || dep == RUNTIME || SHARED.contains(&dep.as_str()),
                "pipeline {pipeline} depends on {dep}: pipelines share through the shared crates only"
            );
        }
    }
    for pipeline in PIPELINES {
        assert!(
            of(ARTIFACT).contains(*pipeline),
            "the Lambda artifact does not register {pipeline}"
        );
    }
    // Only the artifact and the tools above it may see every pipeline; the executor sees
    // activities through the runtime's registry alone.
    let executor = of("sfn-local");
    for dep in executor {
        assert!(
            !PIPELINES.contains(&dep.as_str()) && !SHARED.contains(&dep.as_str()),
            "sfn-local depends on {dep}"
        );
    }
}
