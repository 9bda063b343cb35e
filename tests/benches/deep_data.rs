//! Deep data (issue 11): a Choice loop whose Pass wraps the state one level deeper per
//! pass (`"Parameters": {"x.$": "$", "counter": ...}`), for 1,000, 2,000 and 4,000
//! passes, each timed as a whole `stepwise exec` process (spawn to exit, release build)
//! with its peak resident memory; median of 3.
//!
//! With `DEEP_DATA_BASELINE=/path/to/an/older/stepwise`, the same definitions run on that
//! binary too, in the same run, so the figures compare like with like. Target: 4,000
//! passes in well under a second.
//!
//! Run with `cargo bench -p stepwise-tests --bench deep_data` (it builds the release
//! `stepwise` binary first).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use stepwise_tests::workspace_root;

mod common;

use common::{median, ms, run_sfn_local, stepwise_binary};

const RUNS: usize = 3;
const PASSES: [u64; 3] = [1_000, 2_000, 4_000];

/// The loop: `passes` Wraps, each nesting the whole state one level deeper.
fn deepening_loop(passes: u64) -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"n": 0}, "ResultPath": "$.counter", "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [
            {"Variable": "$.counter.n", "NumericGreaterThanEquals": passes, "Next": "Done"}
        ], "Default": "Wrap"},
        "Wrap": {"Type": "Pass", "Parameters": {"x.$": "$", "counter": {"n.$": "States.MathAdd($.counter.n, 1)"}}, "Next": "Loop"},
        "Done": {"Type": "Pass", "Parameters": {"n.$": "$.counter.n"}, "End": true}
    }})
}

/// The median time and the largest peak RSS (KiB) of `RUNS` runs of `bin`.
fn measure(bin: &Path, dir: &Path, passes: u64) -> (Duration, u64) {
    let definition = deepening_loop(passes);
    let runs: Vec<(Duration, u64)> = (0..RUNS)
        .map(|_| run_sfn_local(bin, dir, &format!("deep-{passes}"), &definition, &json!({})))
        .collect();
    let peak = runs.iter().map(|r| r.1).max().unwrap_or(0);
    (median(runs.into_iter().map(|r| r.0).collect()), peak)
}

fn main() {
    let root = workspace_root();
    let bin = stepwise_binary(&root);
    let baseline = std::env::var_os("DEEP_DATA_BASELINE").map(PathBuf::from);
    let dir = tempfile::tempdir().expect("temp dir");
    println!("deep data: a Pass wrapping the state one level deeper per pass (median of {RUNS})");
    println!("| passes | stepwise | per pass | peak RSS | baseline | baseline peak RSS |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for passes in PASSES {
        let (time, peak) = measure(&bin, dir.path(), passes);
        let (base_time, base_peak) = match &baseline {
            Some(b) => {
                let (t, p) = measure(b, dir.path(), passes);
                (
                    format!("{:.0} ms", ms(t)),
                    format!("{:.1} MB", p as f64 / 1024.0),
                )
            }
            None => ("—".to_string(), "—".to_string()),
        };
        println!(
            "| {passes} | {:.0} ms | {:.1} µs | {:.1} MB | {base_time} | {base_peak} |",
            ms(time),
            ms(time) * 1000.0 / passes as f64,
            peak as f64 / 1024.0,
        );
    }
}
