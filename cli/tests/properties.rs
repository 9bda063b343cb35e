//! The command line on arbitrary files (issue 11): `validate`, `fmt`, `graph` and `exec`
//! exit 0, 1 or 2, never panic, and say something on every failure. A few cases per
//! run (each spawns processes); the library's own property tests go much further
//! (`sfn-local/tests/properties.rs`). `PROPTEST_CASES=N` runs more. Memory is bounded
//! too: no command on these small files may peak above [`PEAK_RSS_LIMIT`].

use assert_cmd::Command;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// The most resident memory any command may reach on these inputs (each under 1 KB). A
/// run needs about 110 MiB (mostly the executor's worker stacks); the failures this
/// guards against reached gigabytes.
const PEAK_RSS_LIMIT: u64 = 512 * 1024 * 1024;

/// The peak resident memory, in bytes, of the largest child process waited for so far.
fn children_peak_rss() -> u64 {
    // SAFETY: getrusage writes into the zeroed struct we pass and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    // Linux reports ru_maxrss in KiB.
    usage.ru_maxrss as u64 * 1024
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    Config {
        cases,
        rng_seed: RngSeed::Fixed(11),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Definition-like texts: documents with plausible fields and hostile values, and noise.
fn document() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("1".to_string()),
        Just("-1".to_string()),
        Just("1e300".to_string()),
        Just("18446744073709551615".to_string()),
        Just("\"$..*\"".to_string()),
        Just("\"2026-02-30T00:00:00Z\"".to_string()),
        Just("null".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        "\"[a-zA-Z$.]{0,6}\"",
    ];
    let field = prop::sample::select(vec![
        "Type",
        "Next",
        "End",
        "Seconds",
        "SecondsPath",
        "Timestamp",
        "Result",
        "Parameters",
        "InputPath",
        "Retry",
        "Catch",
        "Choices",
        "Default",
        "Branches",
        "ItemProcessor",
    ]);
    let state_type = prop::sample::select(vec![
        "Pass", "Wait", "Choice", "Task", "Fail", "Succeed", "Map", "Parallel", "Nope",
    ]);
    let state =
        (state_type, prop::collection::vec((field, value), 0..4)).prop_map(|(t, fields)| {
            let extra: Vec<String> = fields
                .iter()
                .map(|(f, v)| format!(",\"{f}\":{v}"))
                .collect();
            format!("{{\"Type\":\"{t}\",\"End\":true{}}}", extra.concat())
        });
    prop_oneof![
        4 => state.prop_map(|s| format!("{{\"StartAt\":\"A\",\"States\":{{\"A\":{s}}}}}")),
        1 => "[ -~]{0,40}",
        1 => Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn commands_exit_0_1_or_2_with_a_message(text in document()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("d.asl.json");
        std::fs::write(&file, &text).unwrap();
        for args in [vec!["validate"], vec!["fmt"], vec!["graph"], vec!["exec", "--virtual-time", "--definition"]] {
            let out = Command::cargo_bin("stepwise")
                .unwrap()
                .args(&args)
                .arg(&file)
                .timeout(std::time::Duration::from_secs(30))
                .output()
                .unwrap();
            let code = out.status.code();
            let stderr = String::from_utf8_lossy(&out.stderr);
            prop_assert!(matches!(code, Some(0..=2)), "{args:?} on {text}: {code:?} {stderr}");
            prop_assert!(!stderr.contains("panicked"), "{args:?} on {text}: {stderr}");
            if code != Some(0) {
                prop_assert!(!stderr.is_empty() || !out.stdout.is_empty(), "{args:?} on {text}: silent failure");
            }
            let peak = children_peak_rss();
            prop_assert!(peak > 0, "the memory measurement sees nothing");
            prop_assert!(peak <= PEAK_RSS_LIMIT, "{args:?} on {text}: peak RSS {} MiB", peak >> 20);
        }
    }
}
