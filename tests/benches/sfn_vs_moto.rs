//! sfn-local against moto server's interpreter, in the same run:
//!
//! 1. a 1,000-item Map of two Pass states with an intrinsic function,
//! 2. a 100-state Pass chain,
//!
//! each timed as a whole `stepwise exec` process (spawn to exit) against moto's execution
//! time (StartExecution until DescribeExecution leaves RUNNING, with the server already up),
//! reported with the per-transition cost; and
//!
//! 3. a 10,000-item distributed Map with MaxConcurrency 40 under `stepwise exec`, with the
//!    process's peak resident memory (ru_maxrss from wait4(2)).
//!
//! Run with `cargo bench -p stepwise-tests --bench sfn_vs_moto` (it builds the release
//! `stepwise` binary first). Targets: sfn-local ≥ 100× faster than moto on the Map case;
//! peak memory under 200 MB on the 10,000-item Map.

use std::time::{Duration, Instant};

use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{Value, json};
use stepwise_tests::{MotoServer, workspace_root};

mod common;

use common::{median, ms, run_sfn_local, stepwise_binary};

const RUNS: usize = 5;

fn map_definition(items: usize, concurrency: u32, distributed: bool) -> (Value, Value) {
    let mut processor = json!({
        "StartAt": "Label",
        "States": {
            "Label": {"Type": "Pass", "Parameters": {"label.$": "States.Format('item-{}', $.n)", "n.$": "$.n"}, "Next": "Keep"},
            "Keep": {"Type": "Pass", "OutputPath": "$.label", "End": true}
        }
    });
    if distributed {
        processor["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"});
    }
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency,
            "ItemSelector": {"n.$": "$$.Map.Item.Value"},
            "ItemProcessor": processor,
            "ResultSelector": {"count.$": "States.ArrayLength($)"},
            "End": true
        }}
    });
    (definition, json!({"items": (0..items).collect::<Vec<_>>()}))
}

fn chain_definition(states: usize) -> (Value, Value) {
    let mut map = serde_json::Map::new();
    for i in 0..states {
        let mut state =
            json!({"Type": "Pass", "Parameters": {"step": i, "carried.$": "$.carried"}});
        if i + 1 < states {
            state["Next"] = json!(format!("S{}", i + 1));
        } else {
            state["End"] = json!(true);
        }
        map.insert(format!("S{i}"), state);
    }
    (
        json!({"StartAt": "S0", "States": map}),
        json!({"carried": "x"}),
    )
}

async fn run_moto(
    client: &aws_sdk_sfn::Client,
    name: &str,
    definition: &Value,
    input: &Value,
) -> Duration {
    let machine = client
        .create_state_machine()
        .name(format!("{name}-{}", stepwise_tests::unique_id()))
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/bench")
        .send()
        .await
        .expect("create_state_machine");
    let started = Instant::now();
    let execution = client
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(input.to_string())
        .send()
        .await
        .expect("start_execution");
    loop {
        let d = client
            .describe_execution()
            .execution_arn(execution.execution_arn())
            .send()
            .await
            .expect("describe");
        match d.status() {
            ExecutionStatus::Running => tokio::time::sleep(Duration::from_millis(5)).await,
            ExecutionStatus::Succeeded => return started.elapsed(),
            other => panic!(
                "moto's execution of {name} ended {other:?}: {:?}",
                d.error()
            ),
        }
    }
}

#[tokio::main]
async fn main() {
    let root = workspace_root();
    let bin = stepwise_binary(&root);
    let dir = tempfile::tempdir().expect("temp dir");
    let moto = MotoServer::start().expect("moto server");
    moto.enable_asl_execution().expect("moto runs ASL");
    let client = aws_sdk_sfn::Client::new(&moto.sdk_config());

    println!("sfn-local vs moto server 5.2.5 (median of {RUNS} runs)");
    println!(
        "{:<34} {:>14} {:>12} {:>9} {:>16}",
        "case", "sfn-local (ms)", "moto (ms)", "ratio", "sfn-local/trans."
    );
    for (name, (definition, input), transitions) in [
        (
            "map-1000-two-pass-intrinsic",
            map_definition(1000, 0, false),
            1 + 1000 * 2,
        ),
        ("pass-chain-100", chain_definition(100), 100),
    ] {
        let local: Vec<_> = (0..RUNS)
            .map(|_| run_sfn_local(&bin, dir.path(), name, &definition, &input).0)
            .collect();
        let mut remote = Vec::new();
        for _ in 0..RUNS {
            remote.push(run_moto(&client, name, &definition, &input).await);
        }
        let (l, r) = (median(local), median(remote));
        println!(
            "{name:<34} {:>14.1} {:>12.1} {:>8.0}x {:>13.1} µs",
            ms(l),
            ms(r),
            r.as_secs_f64() / l.as_secs_f64(),
            l.as_secs_f64() * 1e6 / transitions as f64
        );
    }
    let (definition, input) = map_definition(10_000, 40, true);
    let (time, peak) = run_sfn_local(
        &bin,
        dir.path(),
        "map-10000-distributed",
        &definition,
        &input,
    );
    println!(
        "map-10000 (distributed, MaxConcurrency 40): {:.0} ms, peak RSS {:.1} MB (target < 200 MB)",
        ms(time),
        peak as f64 / 1024.0
    );
}
