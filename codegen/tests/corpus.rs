//! The validator against two corpora: the hand-written one in `tests/asl/` (valid
//! documents must pass; each invalid one must produce the line in its `.expect` file) and
//! the real-world one in `../shared/asl-corpus/` (everything the reference validator
//! accepts, and everything it wrongly rejects, must pass; the rest must fail).

use std::path::{Path, PathBuf};

use codegen::validate::validate_json;

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

fn problems(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    validate_json(&text)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn hand_written_valid_documents_pass() {
    let dir = manifest_dir().join("tests/asl/valid");
    let all = files(&dir, "json");
    assert!(all.len() >= 30, "only {} valid documents", all.len());
    let failures: Vec<_> = all
        .iter()
        .filter_map(|f| {
            let p = problems(f);
            (!p.is_empty()).then(|| format!("{}:\n  {}", f.display(), p.join("\n  ")))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hand_written_valid_documents_round_trip() {
    for f in files(&manifest_dir().join("tests/asl/valid"), "json") {
        let text = std::fs::read_to_string(&f).unwrap();
        let original: serde_json::Value = serde_json::from_str(&text).unwrap();
        let machine = codegen::asl::from_value(original.clone()).unwrap();
        assert_eq!(machine.to_value(), original, "{}", f.display());
        let again = codegen::asl::from_json(&machine.to_pretty_json()).unwrap();
        assert_eq!(again, machine, "{}", f.display());
    }
}

#[test]
fn hand_written_invalid_documents_fail_with_the_expected_message() {
    let dir = manifest_dir().join("tests/asl/invalid");
    let all = files(&dir, "json");
    assert!(all.len() >= 35, "only {} invalid documents", all.len());
    let mut failures = Vec::new();
    for f in &all {
        let expect_file = f.with_extension("expect");
        let expected = std::fs::read_to_string(&expect_file)
            .unwrap_or_else(|e| panic!("{}: {e}", expect_file.display()));
        let expected = expected.trim();
        let got = problems(f);
        if !got.iter().any(|line| line.contains(expected)) {
            failures.push(format!(
                "{}\n  expected: {expected}\n  got:      {}",
                f.display(),
                got.join("\n            ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn real_world_corpus_verdicts() {
    let dir = manifest_dir().join("../../shared/asl-corpus");
    let valid = std::fs::read_to_string(dir.join("VALID.txt")).unwrap();
    let known =
        std::fs::read_to_string(manifest_dir().join("../scripts/asl-validator-known.tsv")).unwrap();
    let should_pass = |name: &str| {
        valid.lines().any(|l| l.trim() == name)
            || known
                .lines()
                .skip(1)
                .any(|l| l.split('\t').next() == Some(name))
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    for f in files(&dir, "json") {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let got = problems(&f);
        match (should_pass(&name), got.is_empty()) {
            (true, false) => failures.push(format!("{name} should pass:\n  {}", got.join("\n  "))),
            (false, true) => failures.push(format!("{name} should fail")),
            (true, true) => passed += 1,
            (false, false) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(passed >= 166, "only {passed} passed");
}
