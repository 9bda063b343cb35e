//! Issue 11: deep data costs a transition what it touches, and neither hangs nor
//! overflows the stack.

mod common;

use std::time::{Duration, Instant};

use common::memory::{Counting, measure};

use serde_json::{Value, json};
use sfn_local::Status;

#[global_allocator]
static ALLOC: Counting = Counting;

/// A Choice loop whose Pass wraps the state one level deeper per pass.
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

/// Runs `f` on a thread with a large stack: a value nested thousands deep is cloned,
/// serialised and dropped recursively (by serde_json), as on `stepwise exec`'s runtime.
fn on_big_stack<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(f)
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_data_ends_without_overflow_or_blowup() {
    // 1,000 passes nest the state 1,000 deep. Each payload is serialised once per
    // transition (for the history, its length is the size check); what remains is
    // linear in the payload a state copies (Parameters `$` copies it all).
    let started = Instant::now();
    let outcome =
        on_big_stack(async move { common::run(deepening_loop(1_000), json!({})).await.unwrap() });
    let elapsed = started.elapsed();
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert_eq!(outcome.output, Some(json!({"n": 1000})));
    // A generous bound for a debug build on a shared 2-core machine (8 s measured).
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
}

#[test]
fn a_deepening_pass_moves_its_input_instead_of_copying_it() {
    // `"x.$": "$"` on a Pass whose result replaces its input: the input is moved into
    // the new level, so a pass allocates what it adds (the new level, the JSON text the
    // history records), not a copy of every level before. Copying made the allocations
    // grow with the square of the passes (about 3 per level per pass: 1.5 million for
    // 1,000 passes); moving keeps them linear.
    let allocations = |passes: u64| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let (outcome, usage) =
                    measure(|| runtime.block_on(common::run(deepening_loop(passes), json!({}))));
                let outcome = outcome.unwrap();
                assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
                assert_eq!(outcome.output, Some(json!({"n": passes})));
                usage.allocations
            })
            .unwrap()
            .join()
            .unwrap()
    };
    let (small, large) = (allocations(500), allocations(1_000));
    // Twice the passes: about twice the allocations (linear), not four times.
    assert!(
        large < small * 5 / 2,
        "500 passes: {small} allocations, 1,000 passes: {large}"
    );
    assert!(large < 1_000 * 200, "{large} allocations for 1,000 passes");
}
