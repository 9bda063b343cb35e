//! The reference implementation's language-neutral test suite (`shared/jsonata-test-suite`,
//! next to the repository as in CI): every case is run with its time and depth limits; the
//! test fails if a case outside `tests/excluded.txt` fails or if the pass rate drops below
//! the floor. Set `JSONATA_SUITE_VERBOSE=1` to list every failing case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use stepwise_jsonata::{Expression, Options};

/// The pass rate (percent of all cases) this evaluator has reached; it must not drop.
const FLOOR_PERCENT: f64 = 99.0;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/jsonata-test-suite")
}

struct Case {
    id: String,
    group: String,
    body: Result<serde_json::Value, String>,
    dir: PathBuf,
}

fn load_cases(root: &Path) -> Vec<Case> {
    let groups = root.join("groups");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&groups)
        .unwrap_or_else(|e| {
            panic!(
                "the JSONata test suite must be at {}: {e}",
                groups.display()
            )
        })
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut cases = Vec::new();
    for dir in dirs {
        let group = dir
            .file_name()
            .expect("named group")
            .to_string_lossy()
            .to_string();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("readable group")
            .map(|e| e.expect("readable entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            let stem = f
                .file_stem()
                .expect("named file")
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&f).expect("readable case");
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Array(items)) => {
                    for (i, body) in items.into_iter().enumerate() {
                        cases.push(Case {
                            id: format!("{group}/{stem}#{i}"),
                            group: group.clone(),
                            body: Ok(body),
                            dir: dir.clone(),
                        });
                    }
                }
                Ok(body) => cases.push(Case {
                    id: format!("{group}/{stem}"),
                    group: group.clone(),
                    body: Ok(body),
                    dir: dir.clone(),
                }),
                Err(e) => cases.push(Case {
                    id: format!("{group}/{stem}"),
                    group: group.clone(),
                    body: Err(format!("case file is not JSON serde_json can read: {e}")),
                    dir: dir.clone(),
                }),
            }
        }
    }
    cases
}

fn json_equal(a: &serde_json::Value, b: &serde_json::Value, unordered: bool) -> bool {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            // The suite's expected numbers were written from JavaScript's output; allow the
            // last-digit noise of IEEE arithmetic (e.g. 90.57 vs 90.57000000000001).
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-13 * x.abs().max(y.abs())
        }
        (Array(x), Array(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if unordered {
                let mut used = vec![false; y.len()];
                x.iter().all(|p| {
                    let hit = y
                        .iter()
                        .enumerate()
                        .find(|(i, q)| !used[*i] && json_equal(p, q, false));
                    hit.map(|(i, _)| used[i] = true).is_some()
                })
            } else {
                x.iter().zip(y).all(|(p, q)| json_equal(p, q, false))
            }
        }
        (Object(x), Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w, false)))
        }
        _ => a == b,
    }
}

/// Runs one case: `Ok(())` when it passes, else what went wrong.
fn run_case(root: &Path, case: &Case) -> Result<(), String> {
    let body = case.body.as_ref().map_err(|e| e.clone())?;
    let expr = match (
        body.get("expr").and_then(|e| e.as_str()),
        body.get("expr-file").and_then(|e| e.as_str()),
    ) {
        (Some(e), _) => e.to_string(),
        (None, Some(file)) => std::fs::read_to_string(case.dir.join(file))
            .map_err(|e| format!("expr-file {file}: {e}"))?,
        _ => return Err("case has no expression".into()),
    };
    let input: Option<serde_json::Value> = match body.get("dataset") {
        Some(serde_json::Value::String(name)) => {
            let text = std::fs::read_to_string(root.join("datasets").join(format!("{name}.json")))
                .map_err(|e| format!("dataset {name}: {e}"))?;
            Some(serde_json::from_str(&text).map_err(|e| format!("dataset {name}: {e}"))?)
        }
        _ => body.get("data").cloned(),
    };
    let bindings = body
        .get("bindings")
        .and_then(|b| b.as_object())
        .cloned()
        .unwrap_or_default();
    let mut options = Options::default();
    if let Some(ms) = body.get("timelimit").and_then(|t| t.as_u64()) {
        options.time_limit = Duration::from_millis(ms);
    }
    if let Some(d) = body.get("depth").and_then(|t| t.as_u64()) {
        options.max_depth = d as usize;
    }
    // The reference suite has no result-size bound; large results are part of it.
    options.max_result_bytes = 256 * 1024 * 1024;
    let expected_code = body
        .get("code")
        .or_else(|| body.get("error").and_then(|e| e.get("code")))
        .and_then(|c| c.as_str());
    let outcome =
        Expression::parse(&expr).and_then(|e| e.evaluate(input.as_ref(), &bindings, &options));
    match (outcome, expected_code) {
        (Err(e), Some(code)) if e.code == code => Ok(()),
        (Err(e), _) => Err(format!("error {} ({})", e.code, e.message)),
        (Ok(r), Some(code)) => Err(format!(
            "expected error {code}, got {}",
            r.map(|r| r.to_string()).unwrap_or("undefined".into())
        )),
        (Ok(r), None) => {
            if body
                .get("undefinedResult")
                .is_some_and(|u| u.as_bool() == Some(true))
            {
                return match r {
                    None => Ok(()),
                    Some(r) => Err(format!("expected undefined, got {r}")),
                };
            }
            let Some(expected) = body.get("result") else {
                return Err("case has no expected result".into());
            };
            let unordered = body
                .get("unordered")
                .and_then(|u| u.as_bool())
                .unwrap_or(false);
            match r {
                Some(r) if json_equal(&r, expected, unordered) => Ok(()),
                Some(r) => Err(format!("expected {expected}, got {r}")),
                None => Err(format!("expected {expected}, got undefined")),
            }
        }
    }
}

fn excluded() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/excluded.txt"))
            .expect("tests/excluded.txt is readable");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "excluded case {id} needs a reason"
            );
            (id.to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn reference_suite() {
    // Deeply recursive cases need more stack than a test thread has.
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024 * 1024)
        .spawn(run_suite)
        .expect("suite thread starts");
    handle.join().expect("suite thread completes");
}

fn run_suite() {
    let root = suite_dir();
    let cases = load_cases(&root);
    assert!(
        cases.len() > 1500,
        "the suite has its ~1,690 cases, found {}",
        cases.len()
    );
    let excluded = excluded();
    let verbose = std::env::var("JSONATA_SUITE_VERBOSE").is_ok();
    let mut per_group: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut passing_excluded = BTreeSet::new();
    let mut passed = 0;
    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    for case in &cases {
        let entry = per_group.entry(case.group.clone()).or_default();
        entry.1 += 1;
        match run_case(&root, case) {
            Ok(()) => {
                entry.0 += 1;
                passed += 1;
                if excluded.contains_key(&case.id) {
                    passing_excluded.insert(case.id.clone());
                }
            }
            Err(why) => {
                if verbose {
                    println!("FAIL {}: {why}", case.id);
                }
                if !excluded.contains_key(&case.id) {
                    unexpected.push(format!("{}: {why}", case.id));
                }
            }
        }
    }
    for (g, (p, t)) in &per_group {
        println!("{g:40} {p:4}/{t:4}");
    }
    let rate = 100.0 * passed as f64 / cases.len() as f64;
    println!(
        "JSONata reference suite: {passed}/{} passed ({rate:.1} %), {} excluded",
        cases.len(),
        excluded.len()
    );
    for id in &passing_excluded {
        println!("note: excluded case {id} now passes; remove it from tests/excluded.txt");
    }
    let unknown: Vec<&String> = excluded
        .keys()
        .filter(|id| !ids.contains(id.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "tests/excluded.txt names cases the suite does not have: {unknown:?}"
    );
    assert!(
        unexpected.is_empty(),
        "{} cases outside tests/excluded.txt fail:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        rate >= FLOOR_PERCENT,
        "pass rate {rate:.1} % is under the floor {FLOOR_PERCENT} %"
    );
}
