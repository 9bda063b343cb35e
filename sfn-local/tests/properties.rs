//! Property tests (issue 11): on any definition, path, intrinsic call, input or mock
//! config — valid or not — the library never panics, every failure carries a message,
//! and an execution of a bounded definition on a bounded input ends within a bounded
//! time (its history and payloads are capped, its clock by the execution's lifetime) and
//! a bounded peak of memory (a counting allocator measures each execution's thread).
//!
//! The seed is fixed so `cargo test` is repeatable; `PROPTEST_CASES=N` runs more cases
//! (see sfn-local/README.md for the nightly run).

mod common;

use std::time::Duration;

use common::memory::{Counting, measure};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Value, json};
use sfn_local::{MockConfig, Status};

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most memory one execution of a generated definition may hold at once. The inputs
/// are a few hundred bytes and the definitions a few dozen states; what could grow is
/// capped by sfn-local (256 KiB per payload and per Parameters/intrinsic result, 25,000
/// history events, history payload text cut past its budget), so a run stays in the low
/// megabytes. 64 MiB leaves room for that and fails on any blow-up of the kind issue 11
/// found (gigabytes for one recursive descent).
const MEMORY_BOUND: usize = 64 << 20;

/// The cases per property: `PROPTEST_CASES`, or `default` (sized so the whole file runs
/// in well under a minute in a debug build on two cores).
fn config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5745_5049_5345),
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

/// A number for a definition's field: mostly one Step Functions accepts, sometimes not.
fn field_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => (1i64..4).prop_map(Value::from),
        1 => Just(json!(99_999_999)),
        1 => number(),
    ]
}

/// A reference path (`$`, fields and indexes), or sometimes any path.
fn reference_path() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(prop_oneof!["\\.[a-z]{1,2}", "\\[[0-2]\\]"], 0..3)
            .prop_map(|segs| format!("${}", segs.concat())),
        1 => Just("$.in.a".to_string()),
        1 => path_text(),
    ]
}

/// Numbers as a definition or input may carry them: small, huge, negative, fractional.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..5).prop_map(Value::from),
        (-3i64..100_000_000).prop_map(Value::from),
        Just(json!(99_999_999)),
        Just(json!(10_000_000_000_000u64)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1e300)),
        Just(json!(-0.5)),
        Just(json!(2.5)),
    ]
}

fn short_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,6}",
        Just(String::new()),
        Just("2026-02-30T00:00:00Z".to_string()),
        Just("2026-01-01T00:00:00+25:00".to_string()),
        Just("9999-12-31T23:59:59Z".to_string()),
        Just("2024-02-29T12:00:00Z".to_string()),
        Just("x".repeat(300)),
    ]
}

/// Any JSON value, bounded in depth and width.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        short_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSONPath text: well-formed paths over the generated inputs, and garbage.
fn path_text() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        "\\.[a-z]{1,3}",
        Just(".*".to_string()),
        Just("..*".to_string()),
        "\\.\\.[a-z]{1,2}",
        "\\[[0-9]{1,2}\\]",
        Just("[-1]".to_string()),
        Just("[*]".to_string()),
        Just("[0:2]".to_string()),
        Just("[::-1]".to_string()),
        Just("[?(@.a > 1)]".to_string()),
        Just("[?(@.a == 'x' && @.b)]".to_string()),
        Just("['a','b']".to_string()),
        Just("[0,1]".to_string()),
    ];
    prop_oneof![
        4 => (prop_oneof![Just("$"), Just("$$"), Just("$v")], prop::collection::vec(segment, 0..5))
            .prop_map(|(root, segs)| format!("{root}{}", segs.concat())),
        1 => "[$@.\\[\\]a-z0-9*?()'=<>!&|:, -]{0,16}",
    ]
}

/// Intrinsic calls: every function, with arguments of every kind, nested, and garbage.
fn intrinsic_text() -> impl Strategy<Value = String> {
    let function = prop::sample::select(vec![
        "States.Format",
        "States.StringToJson",
        "States.JsonToString",
        "States.Array",
        "States.ArrayPartition",
        "States.ArrayContains",
        "States.ArrayRange",
        "States.ArrayGetItem",
        "States.ArrayLength",
        "States.ArrayUnique",
        "States.Base64Encode",
        "States.Base64Decode",
        "States.Hash",
        "States.JsonMerge",
        "States.MathRandom",
        "States.MathAdd",
        "States.StringSplit",
        "States.UUID",
        "States.Nope",
    ]);
    let arg = prop_oneof![
        path_text(),
        Just("'a,b'".to_string()),
        Just("'{}'".to_string()),
        Just("'[1,2]'".to_string()),
        Just("'x {} y'".to_string()),
        Just("'SHA-256'".to_string()),
        (-5i64..2_000_000).prop_map(|n| n.to_string()),
        Just("1e300".to_string()),
        Just("99999999999999999999".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
    ];
    let call = (function.clone(), prop::collection::vec(arg.clone(), 0..4))
        .prop_map(|(f, args)| format!("{f}({})", args.join(", ")));
    prop_oneof![
        3 => call.clone(),
        1 => (function, call, prop::collection::vec(arg, 0..2)).prop_map(|(f, inner, rest)| {
            let mut args = vec![inner];
            args.extend(rest);
            format!("{f}({})", args.join(", "))
        }),
        1 => "States\\.[A-Za-z]{0,8}\\([$'a-z0-9, ()]{0,12}",
    ]
}

/// A payload template: constants, `.$` paths and intrinsic calls.
fn template() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        "[a-z]{1,3}",
        prop_oneof![
            path_text().prop_map(|p| (true, Value::String(p))),
            intrinsic_text().prop_map(|c| (true, Value::String(c))),
            json_value().prop_map(|v| (false, v)),
        ],
        0..4,
    )
    .prop_map(|fields| {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, (dynamic, v))| (if dynamic { format!("{k}.$") } else { k }, v))
                .collect::<Map<_, _>>(),
        )
    })
}

/// State `i` of a scope of `n` states named `{prefix}{index}`: mostly a chain to the
/// next one (the last ends), sometimes a jump anywhere (loops), rarely a dangling name.
fn state(prefix: String, i: usize, n: usize, depth: u32) -> BoxedStrategy<Value> {
    let name = move |k: usize| format!("{prefix}{k}");
    let following = if i + 1 < n {
        json!({"Next": name(i + 1)})
    } else {
        json!({"End": true})
    };
    let jump = name.clone();
    let next = prop_oneof![
        16 => Just(following),
        3 => (0..n).prop_map(move |k| json!({"Next": jump(k)})),
        1 => Just(json!({"End": true})),
        1 => Just(json!({"Next": "Nowhere"})),
    ];
    let choice_name = name.clone();
    let optional = |s: BoxedStrategy<Value>| prop::option::weighted(0.4, s);
    let io = (
        optional(reference_path().prop_map(Value::String).boxed()),
        optional(reference_path().prop_map(Value::String).boxed()),
        optional(template().boxed()),
    );
    let retry = prop::collection::vec(
        (field_number(), field_number(), prop_oneof![4 => Just(json!(1.0)), 4 => Just(json!(2.0)), 1 => Just(json!(0.5))], prop::option::of(field_number()), any::<bool>())
            .prop_map(|(interval, attempts, rate, max_delay, full)| {
                let mut r = json!({"ErrorEquals": ["States.ALL"], "IntervalSeconds": interval, "MaxAttempts": attempts, "BackoffRate": rate});
                if let Some(d) = max_delay {
                    r["MaxDelaySeconds"] = d;
                }
                if full {
                    r["JitterStrategy"] = json!("FULL");
                }
                r
            }),
        0..2,
    );
    let kind = prop_oneof![
        5 => (io.clone(), optional(json_value().boxed())).prop_map(|((input, output, params), result)| {
            let mut s = json!({"Type": "Pass"});
            if let Some(v) = input { s["InputPath"] = v; }
            if let Some(v) = output { s["OutputPath"] = v; }
            if let Some(v) = params { s["Parameters"] = v; }
            if let Some(v) = result { s["Result"] = v; }
            s
        }),
        2 => prop_oneof![
            field_number().prop_map(|n| json!({"Type": "Wait", "Seconds": n})),
            reference_path().prop_map(|p| json!({"Type": "Wait", "SecondsPath": p})),
            short_string().prop_map(|t| json!({"Type": "Wait", "Timestamp": t})),
            reference_path().prop_map(|p| json!({"Type": "Wait", "TimestampPath": p})),
        ],
        3 => (io.clone(), retry, optional(field_number().boxed())).prop_map(|((input, _, params), retry, timeout)| {
            let mut s = json!({"Type": "Task", "Resource": "${Echo}", "Retry": retry});
            if let Some(v) = input { s["InputPath"] = v; }
            if let Some(v) = params { s["Parameters"] = v; }
            if let Some(v) = timeout { s["TimeoutSeconds"] = v; }
            s
        }),
        1 => (reference_path(), number(), 0..n).prop_map(move |(p, v, target)| json!({
            "Type": "Choice",
            "Choices": [{"Variable": p, "NumericGreaterThan": v, "Next": choice_name(target)}],
            "Default": choice_name((i + 1) % n)
        })),
        1 => (optional(short_string().prop_map(Value::String).boxed()), optional(intrinsic_text().prop_map(Value::String).boxed()))
            .prop_map(|(error, cause_path)| {
                let mut s = json!({"Type": "Fail"});
                if let Some(e) = error { s["Error"] = e; }
                if let Some(c) = cause_path { s["CausePath"] = c; }
                s
            }),
        1 => Just(json!({"Type": "Succeed"})),
    ];
    let plain = (kind, next.clone()).prop_map(|(mut s, next)| {
        let terminal = matches!(s["Type"].as_str(), Some("Choice" | "Fail" | "Succeed"));
        if !terminal && let (Some(obj), Some(next)) = (s.as_object_mut(), next.as_object()) {
            obj.extend(next.clone());
        }
        s
    });
    if depth == 0 {
        return plain.boxed();
    }
    let branch = machine_body(depth - 1);
    let container = (
        branch.clone(),
        branch,
        optional(reference_path().prop_map(Value::String).boxed()),
        optional(field_number().boxed()),
        any::<bool>(),
        next,
    )
        .prop_map(|(a, b, items_path, concurrency, map, next)| {
            let mut s = if map {
                let mut m = json!({"Type": "Map", "ItemProcessor": a});
                if let Some(p) = items_path {
                    m["ItemsPath"] = p;
                }
                if let Some(c) = concurrency {
                    m["MaxConcurrency"] = c;
                }
                m
            } else {
                json!({"Type": "Parallel", "Branches": [a, b]})
            };
            if let (Some(obj), Some(next)) = (s.as_object_mut(), next.as_object()) {
                obj.extend(next.clone());
            }
            s
        });
    prop_oneof![4 => plain, 1 => container].boxed()
}

/// `{"StartAt", "States"}` with up to five states, named uniquely across the machine.
fn machine_body(depth: u32) -> BoxedStrategy<Value> {
    ("[A-Z][a-z]{5}", 1usize..5)
        .prop_flat_map(move |(prefix, n)| {
            let states: Vec<_> = (0..n).map(|i| state(prefix.clone(), i, n, depth)).collect();
            (Just(prefix), states)
        })
        .prop_map(|(prefix, states)| {
            let states: Map<String, Value> = states
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("{prefix}{i}"), s))
                .collect();
            json!({"StartAt": format!("{prefix}0"), "States": states})
        })
        .boxed()
}

fn definition() -> impl Strategy<Value = Value> {
    (machine_body(1), prop::option::weighted(0.2, field_number())).prop_map(|(mut m, timeout)| {
        if let Some(t) = timeout {
            m["TimeoutSeconds"] = t;
        }
        m
    })
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

/// The outcome of running a document: it did not parse, or the execution's result.
type Ran = Result<Result<sfn_local::Outcome, sfn_local::StartError>, codegen::asl::ParseError>;

/// Runs `doc` on `input` with a wall-clock bound (`None` past it: the executor must end
/// by itself).
fn run_bounded(doc: Value, input: Value) -> Option<Ran> {
    let machine = match codegen::asl::from_value(doc) {
        Ok(m) => m,
        Err(e) => return Some(Err(e)),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (ran, usage) = measure(|| {
        runtime.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(20),
                common::run_machine(&machine, input),
            )
            .await
            .ok()
            .map(Ok)
        })
    });
    assert!(
        usage.peak_bytes <= MEMORY_BOUND,
        "the execution held {} bytes at its peak (bound {MEMORY_BOUND})",
        usage.peak_bytes
    );
    ran
}

#[test]
fn the_memory_bound_measures_what_an_execution_holds() {
    // The instrument sees memory: a bound that measured nothing would pass anything.
    let (held, usage) = measure(|| vec![1u8; 8 << 20]);
    assert!(usage.peak_bytes >= 8 << 20, "{usage:?}");
    drop(held);
    // An execution that builds a 200 KB payload is seen holding at least that.
    let doc = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"r.$": "States.ArrayRange(1, 1000, 1)", "s.$": "$.s"}, "End": true}}});
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let machine = codegen::asl::from_value(doc).expect("parses");
    let (outcome, usage) = measure(|| {
        runtime.block_on(common::run_machine(
            &machine,
            json!({"s": "x".repeat(200_000)}),
        ))
    });
    assert_eq!(outcome.expect("starts").status, Status::Succeeded);
    assert!(usage.peak_bytes >= 200_000, "{usage:?}");
    assert!(usage.peak_bytes <= MEMORY_BOUND, "{usage:?}");
}

fn check_outcome(outcome: &sfn_local::Outcome) {
    match outcome.status {
        Status::Succeeded => assert!(outcome.output.is_some()),
        Status::Failed | Status::TimedOut => {
            let failure = outcome.failure.as_ref().expect("a failure is reported");
            // Only a Fail state may leave out its Error (Step Functions allows it).
            assert!(
                !failure.error.is_empty()
                    || outcome.events.iter().any(|e| e.kind == "FailStateEntered"),
                "a failure has a name: {failure:?}"
            );
        }
    }
    assert!(outcome.events.len() <= sfn_local::history::MAX_EVENTS + 1);
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_definition_parses_validates_and_runs_without_panic(doc in definition(), input in json_value()) {
        let text = doc.to_string();
        let problems = codegen::validate::validate_json(&text);
        for p in &problems {
            prop_assert!(!p.message.is_empty());
        }
        if let Ok(machine) = codegen::asl::from_json(&text) {
            // The canonical form parses back to the same model.
            let again = codegen::asl::from_json(&machine.to_pretty_json()).expect("fmt's output parses");
            prop_assert_eq!(&again, &machine);
            let _ = codegen::emit::mermaid(&machine);
        }
        let input = json!({"in": input});
        match run_bounded(doc, input) {
            None => prop_assert!(false, "the execution did not end within 20 s"),
            Some(Err(parse)) => prop_assert!(!parse.problems.is_empty()),
            Some(Ok(Err(e))) => {
                // Every task is served and the input is small: only validation refuses.
                prop_assert!(!problems.is_empty(), "refused a valid definition: {}", e);
                prop_assert!(!e.to_string().is_empty());
            }
            Some(Ok(Ok(outcome))) => {
                prop_assert!(problems.is_empty(), "validate and execute agree: {problems:?}");
                check_outcome(&outcome);
            }
        }
    }

    #[test]
    fn any_path_selects_within_bounds(text in path_text(), data in json_value(), limit in 0usize..400) {
        if let Ok(path) = codegen::path::parse(&text) {
            let vars: Map<String, Value> = [("v".to_string(), data.clone())].into_iter().collect();
            let context = json!({"Execution": {"Id": "x"}, "State": {"Name": "S"}});
            let all = path.select_with(&data, &context, &vars);
            match path.select_within(&data, &context, &vars, limit) {
                Ok(v) => {
                    prop_assert!(sfn_local::serialized_len(&v) <= limit);
                    prop_assert_eq!(Ok(v), all);
                }
                Err(codegen::path::SelectError::TooLarge { .. }) => {
                    let all = all.expect("a selection too large to build exists");
                    prop_assert!(sfn_local::serialized_len(&all) > limit);
                }
                Err(e) => prop_assert_eq!(Err(e), all),
            }
            let mut target = data.clone();
            let _ = path.assign(&mut target, json!(1));
        }
    }

    #[test]
    fn any_intrinsic_call_evaluates_or_fails_by_name(call in intrinsic_text(), input in json_value()) {
        let _ = codegen::intrinsic::parse(&call);
        let doc = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"r.$": call}, "End": true}}});
        if let Some(Ok(Ok(outcome))) = run_bounded(doc, json!({"a": input.clone(), "b": [input], "v": 1})) {
            check_outcome(&outcome);
            if let Some(f) = &outcome.failure {
                prop_assert!(f.error.starts_with("States."), "{f:?}");
                prop_assert!(!f.cause.is_empty(), "{f:?}");
            }
        }
    }

    #[test]
    fn any_mock_config_is_read_or_refused_with_a_message(
        doc in prop_oneof![
            json_value(),
            (json_value(), json_value(), "[A-Za-z]{1,4}").prop_map(|(case, response, name)| json!({
                "StateMachines": {"m": {"TestCases": {name.clone(): {"S": "R"}}}, "n": {"TestCases": {name: case}}},
                "MockedResponses": {"R": response}
            })),
        ],
        case in "[A-Za-z]{1,4}",
    ) {
        match MockConfig::parse(&doc.to_string()) {
            Err(e) => {
                let message = e.to_string();
                prop_assert!(!message.is_empty());
                for rust in ["i64", "u64", "u32", "struct ", "RawConfig", "RawMachine", "RawResponse", "BTreeMap"] {
                    prop_assert!(!message.contains(rust), "{}", message);
                }
            }
            Ok(config) => {
                for machine in [None, Some("m"), Some("n"), Some("zz")] {
                    if let Err(e) = config.test_case(machine, &case) {
                        prop_assert!(!e.to_string().is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn validation_and_execution_agree_on_timestamps(
        year in 1900u32..2400, month in 0u32..14, day in 0u32..33,
        hour in 0u32..25, minute in 0u32..61, second in 0u32..60,
        offset in prop_oneof![Just("Z".to_string()), (0u32..26, 0u32..61, any::<bool>()).prop_map(|(h, m, plus)| format!("{}{h:02}:{m:02}", if plus { '+' } else { '-' }))],
    ) {
        let ts = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{offset}");
        let valid = codegen::validate::is_rfc3339(&ts);
        let parses = chrono::DateTime::parse_from_rfc3339(&ts).is_ok();
        prop_assert_eq!(valid, parses, "{}", ts);
    }
}
