//! Every generated mock config runs as generated: its `HappyPath` succeeds with no AWS
//! service (a distributed Map's S3 ItemReader included).

use std::path::Path;

use assert_cmd::Command;

#[test]
fn every_generated_happy_path_runs_without_aws() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../statemachines/generated");
    let mut ran = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".mock-config.json"))
        else {
            continue;
        };
        Command::cargo_bin("stepwise")
            .unwrap()
            .args(["exec", "--virtual-time", "--definition"])
            .arg(dir.join(format!("{name}.asl.json")))
            .arg("--input")
            .arg(format!(
                "@{}",
                dir.join(format!("{name}.input.example.json")).display()
            ))
            .arg("--mock-config")
            .arg(&path)
            .args(["--test-case", "HappyPath"])
            // Nothing listens here: a call to AWS would fail rather than reach anything.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .success();
        ran += 1;
    }
    assert!(ran >= 2, "found {ran} mock configs");
}
