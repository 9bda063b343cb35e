//! JSONata against JSONPath in sfn-local, in the same run (issue 19 §4):
//!
//! 1. the 1,000-item Map of `sfn_vs_moto` (an item selector, two Pass states building a
//!    label, a count of the results) written in JSONPath and in JSONata, each executed
//!    in-process with `sfn_local::execute` (virtual time), median of 7 runs, with the
//!    per-transition cost and the JSONata/JSONPath ratio (target: within 3×);
//! 2. the evaluator's throughput on the reference implementation's test suite
//!    (`../shared/jsonata-test-suite`): every case parsed and evaluated once, cases per
//!    second (the cases that run to a time or depth limit on purpose are left out).
//!
//! Run with `cargo bench -p stepwise-tests --bench jsonata_map`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sfn_local::{Failure, Options, Status, TaskFuture, TaskRequest, TaskRunner, execute};
use stepwise_jsonata::Expression;
use stepwise_tests::workspace_root;

mod common;

use common::{median, ms};

const RUNS: usize = 7;
const ITEMS: usize = 1_000;
/// The Map state, then two Pass states per item.
const TRANSITIONS: usize = 1 + ITEMS * 2;

/// The JSONPath Map of `sfn_vs_moto`.
fn jsonpath_definition() -> Value {
    json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemSelector": {"n.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "StartAt": "Label",
                "States": {
                    "Label": {"Type": "Pass", "Parameters": {"label.$": "States.Format('item-{}', $.n)", "n.$": "$.n"}, "Next": "Keep"},
                    "Keep": {"Type": "Pass", "OutputPath": "$.label", "End": true}
                }
            },
            "ResultSelector": {"count.$": "States.ArrayLength($)"},
            "End": true
        }}
    })
}

/// The same machine in JSONata: the same fields, each an expression.
fn jsonata_definition() -> Value {
    json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "Items": "{% $states.input.items %}",
            "ItemSelector": {"n": "{% $states.context.Map.Item.Value %}"},
            "ItemProcessor": {
                "StartAt": "Label",
                "States": {
                    "Label": {"Type": "Pass", "Output": {"label": "{% 'item-' & $states.input.n %}", "n": "{% $states.input.n %}"}, "Next": "Keep"},
                    "Keep": {"Type": "Pass", "Output": "{% $states.input.label %}", "End": true}
                }
            },
            "Output": {"count": "{% $count($states.result) %}"},
            "End": true
        }}
    })
}

/// The machines have no Task: a runner that refuses every task.
struct NoTasks;

impl TaskRunner for NoTasks {
    fn check(&self, _state: &str, resource: &str) -> Result<(), String> {
        Err(format!("the benchmark runs no task ({resource})"))
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        let failure = Failure::runtime(format!("no task runner for {}", request.resource));
        Box::pin(async move { Err(failure) })
    }
}

/// One in-process execution of `definition`; its wall time.
async fn run_once(definition: &Value, input: &Value) -> Duration {
    let machine = codegen::asl::from_value(definition.clone()).expect("a valid definition");
    let options = Options {
        virtual_time: true,
        ..Options::default()
    };
    let started = Instant::now();
    let outcome = execute(&machine, input.clone(), Arc::new(NoTasks), options)
        .await
        .expect("the execution starts");
    let took = started.elapsed();
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.output, Some(json!({"count": ITEMS})));
    took
}

/// One case of the reference suite, ready to evaluate.
struct Case {
    expr: String,
    input: Option<Value>,
    bindings: serde_json::Map<String, Value>,
}

/// Every case of the suite but those that test the time and depth limits.
fn suite_cases(root: &Path) -> (Vec<Case>, usize) {
    let mut cases = Vec::new();
    let mut limit_cases = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("groups"))
        .expect("the JSONata test suite next to the repository")
        .map(|e| e.expect("a readable entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("a readable group")
            .map(|e| e.expect("a readable entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a readable case");
            let Ok(body) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let bodies = match body {
                Value::Array(items) => items,
                one => vec![one],
            };
            for body in bodies {
                if body.get("timelimit").is_some() || body.get("depth").is_some() {
                    limit_cases += 1;
                    continue;
                }
                let expr = match (
                    body.get("expr").and_then(Value::as_str),
                    body.get("expr-file").and_then(Value::as_str),
                ) {
                    (Some(e), _) => e.to_string(),
                    (None, Some(f)) => {
                        std::fs::read_to_string(dir.join(f)).expect("a readable expr-file")
                    }
                    _ => continue,
                };
                let input = match body.get("dataset") {
                    Some(Value::String(name)) => {
                        let path = root.join("datasets").join(format!("{name}.json"));
                        let text = std::fs::read_to_string(path).expect("a readable dataset");
                        Some(serde_json::from_str(&text).expect("a JSON dataset"))
                    }
                    _ => body.get("data").cloned(),
                };
                let bindings = body
                    .get("bindings")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                cases.push(Case {
                    expr,
                    input,
                    bindings,
                });
            }
        }
    }
    (cases, limit_cases)
}

/// Parses and evaluates every case once; the wall time.
fn run_suite(cases: &[Case]) -> Duration {
    let options = stepwise_jsonata::Options {
        max_result_bytes: 256 * 1024 * 1024,
        ..stepwise_jsonata::Options::default()
    };
    let started = Instant::now();
    for case in cases {
        let outcome = Expression::parse(&case.expr)
            .and_then(|e| e.evaluate(case.input.as_ref(), &case.bindings, &options));
        std::hint::black_box(outcome.ok());
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    println!(
        "sfn-local: the 1,000-item Map in JSONPath and in JSONata, in-process (median of {RUNS} runs, {TRANSITIONS} transitions)"
    );
    println!(
        "{:<10} {:>10} {:>18}",
        "language", "time (ms)", "per transition"
    );
    let input = json!({"items": (0..ITEMS).collect::<Vec<_>>()});
    let mut per_transition = Vec::new();
    for (language, definition) in [
        ("JSONPath", jsonpath_definition()),
        ("JSONata", jsonata_definition()),
    ] {
        // One warm-up run (JSONata parses each expression once per process).
        run_once(&definition, &input).await;
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            times.push(run_once(&definition, &input).await);
        }
        let time = median(times);
        let each = time.as_secs_f64() * 1e6 / TRANSITIONS as f64;
        per_transition.push(each);
        println!("{language:<10} {:>10.1} {:>15.1} µs", ms(time), each);
    }
    println!(
        "JSONata / JSONPath per transition: {:.2}x (target: within 3x)",
        per_transition[1] / per_transition[0]
    );

    let root = workspace_root().join("../shared/jsonata-test-suite");
    let (cases, limit_cases) = suite_cases(&root);
    run_suite(&cases);
    let times: Vec<Duration> = (0..RUNS).map(|_| run_suite(&cases)).collect();
    let time = median(times);
    println!(
        "evaluator on the reference suite: {} cases parsed and evaluated in {:.1} ms (median of {RUNS}): {:.0} cases/s ({limit_cases} cases that run into a time or depth limit on purpose left out)",
        cases.len(),
        ms(time),
        cases.len() as f64 / time.as_secs_f64()
    );
}
