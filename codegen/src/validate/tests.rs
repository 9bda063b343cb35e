//! Unit tests of the validator; the file corpus lives in `codegen/tests/asl/`.

use serde_json::{Value, json};

use super::*;

fn lines(doc: Value) -> Vec<String> {
    validate_json(&doc.to_string())
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn one_state(state: Value) -> Vec<String> {
    lines(json!({"StartAt": "S", "States": {"S": state}}))
}

#[test]
fn a_small_valid_machine_has_no_problems() {
    let problems = lines(json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "${Work}", "Parameters": {"id.$": "$.id", "n.$": "States.MathAdd($.n, 1)"},
                  "Retry": [{"ErrorEquals": ["Throttled"], "BackoffRate": 1.5}, {"ErrorEquals": ["States.ALL"]}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "F"}], "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "D"}], "Default": "F"},
            "D": {"Type": "Succeed"},
            "F": {"Type": "Fail", "Error": "Boom"}
        }
    }));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn transitions_are_checked_per_scope() {
    let problems = lines(json!({
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Next": "Done", "Branches": [
                {"StartAt": "In", "States": {"In": {"Type": "Pass", "Next": "Done"}}}
            ]},
            "Done": {"Type": "Succeed"},
            "Orphan": {"Type": "Succeed"}
        }
    }));
    assert!(
        problems.contains(&"State \"In\": Next \"Done\" is not a state".to_string()),
        "{problems:#?}"
    );
    assert!(
        problems.contains(&"State \"P\": Branches[0]: no terminal state".to_string()),
        "{problems:#?}"
    );
    assert!(
        problems.contains(&"State \"Orphan\": is unreachable".to_string()),
        "{problems:#?}"
    );
}

#[test]
fn states_all_must_be_alone_and_last() {
    let problems = one_state(json!({
        "Type": "Task", "Resource": "r", "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL", "X"]}, {"ErrorEquals": ["Y"]}]
    }));
    assert_eq!(
        problems,
        [
            "State \"S\": Retry[0].ErrorEquals: States.ALL must appear alone",
            "State \"S\": Retry[0]: the retrier with States.ALL must be the last"
        ]
    );
}

#[test]
fn retry_ranges_are_enforced() {
    let problems = one_state(json!({
        "Type": "Task", "Resource": "r", "End": true,
        "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1, "BackoffRate": 0.5, "IntervalSeconds": 0,
                   "MaxDelaySeconds": 0, "JitterStrategy": "HALF"}]
    }));
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(
        problems
            .iter()
            .any(|p| p.ends_with("Retry[0].BackoffRate: must be >= 1.0"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.ends_with("Retry[0].MaxAttempts: must be >= 0"))
    );
}

#[test]
fn payload_template_values_must_be_paths_or_intrinsics() {
    let problems = one_state(json!({
        "Type": "Pass", "End": true,
        "Parameters": {"a": {"b.$": "hello"}, "list": [{"c.$": "$..["}], "d.$": "States.Nope(1)"}
    }));
    assert!(
        problems[0].starts_with("State \"S\": Parameters.a.b.$: not a path or intrinsic function"),
        "{problems:#?}"
    );
    assert!(
        problems[1].starts_with("State \"S\": Parameters.list[0].c.$: invalid path"),
        "{problems:#?}"
    );
    assert!(
        problems[2].starts_with("State \"S\": Parameters.d.$: invalid intrinsic function"),
        "{problems:#?}"
    );
}

#[test]
fn result_path_must_be_a_reference_path() {
    let problems = one_state(json!({"Type": "Pass", "End": true, "ResultPath": "$.a[*]"}));
    assert!(
        problems[0].starts_with("State \"S\": ResultPath: invalid reference path"),
        "{problems:#?}"
    );
}

#[test]
fn wait_needs_exactly_one_duration() {
    let two = one_state(json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}));
    let none = one_state(json!({"Type": "Wait", "End": true}));
    let message =
        "State \"S\": needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath";
    assert_eq!(two, [message]);
    assert_eq!(none, [message]);
}

#[test]
fn long_names_and_duplicates_are_rejected() {
    let long = "N".repeat(81);
    let problems = lines(json!({"StartAt": long, "States": {long.clone(): {"Type": "Succeed"}}}));
    assert_eq!(
        problems,
        [format!(
            "State \"{long}\": name is longer than 80 characters"
        )]
    );
    let problems = lines(json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
            {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}
        ]}}
    }));
    assert_eq!(problems, ["State \"X\": duplicate state name"]);
}

#[test]
fn jsonata_fields_are_rejected_in_jsonpath_mode_and_vice_versa() {
    let problems =
        one_state(json!({"Type": "Task", "Resource": "r", "Arguments": {}, "End": true}));
    assert_eq!(
        problems,
        ["State \"S\": Arguments: only allowed in JSONata mode"]
    );
    let problems = lines(
        json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
            "S": {"Type": "Task", "Resource": "r", "Parameters": {}, "TimeoutSeconds": "{% $t %}", "End": true}
        }}),
    );
    assert_eq!(
        problems,
        ["State \"S\": Parameters: only allowed in JSONPath mode"]
    );
}

#[test]
fn choice_rules_are_checked_recursively() {
    let problems = one_state(json!({"Type": "Choice", "Choices": [
        {"And": [{"Variable": "$.a", "NumericEquals": "1"}, {"Variable": "$.t", "TimestampEquals": "yesterday", "Next": "S"}], "Next": "S"},
        {"Variable": "$.a", "StringEquals": "x", "IsNull": false, "Next": "S"}
    ]}));
    assert!(
        problems
            .contains(&"State \"S\": Choices[0].And[0].NumericEquals: expected a number".into()),
        "{problems:#?}"
    );
    assert!(
        problems.contains(
            &"State \"S\": Choices[0].And[1]: Next is only allowed on top-level rules".into()
        ),
        "{problems:#?}"
    );
    assert!(
        problems.contains(
            &"State \"S\": Choices[0].And[1].TimestampEquals: not an RFC 3339 timestamp".into()
        ),
        "{problems:#?}"
    );
    assert!(
        problems.contains(&"State \"S\": Choices[1]: needs exactly one comparison operator".into()),
        "{problems:#?}"
    );
}

#[test]
fn rfc3339_timestamps() {
    for ok in [
        "2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00.123Z",
        "2016-03-14T01:59:00+02:00",
        "2024-02-29T00:00:00Z",
        "2000-02-29T00:00:00-23:59",
    ] {
        assert!(is_rfc3339(ok), "{ok}");
    }
    for bad in [
        "2016-03-14",
        "2016-03-14 01:59:00Z",
        "2016-13-14T01:59:00Z",
        "2016-03-14T01:59:00",
        "2016-03-14T01:59:00.Z",
        "2026-02-30T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-01-01T00:00:00+25:00",
        "2026-01-01T00:00:00+02:60",
    ] {
        assert!(!is_rfc3339(bad), "{bad}");
    }
}

#[test]
fn jsonata_syntax_errors_name_the_state_field_and_position() {
    let problems = lines(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "${Work}",
                "Arguments": {"ok": "{% $states.input.a %}", "bad": ["x", "{% $states.input.( %}"]},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C", "Output": "{% $states.errorOutput. %}"}],
                "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% 1 = = 1 %}", "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed", "Output": "plain text {% not an expression"}
        }}),
    );
    assert_eq!(problems.len(), 3, "{problems:#?}");
    for expected in [
        "State \"T\": Arguments.bad[1]: JSONata syntax error at position 15 of '$states.input.(': Unexpected end of expression (S0207)",
        "State \"T\": Catch[0].Output: JSONata syntax error at position 20 of '$states.errorOutput.': Unexpected end of expression (S0207)",
        "State \"C\": Choices[0].Condition: JSONata syntax error at position 5 of '1 = = 1': The symbol = cannot be used as a unary operator (S0211)",
    ] {
        assert!(
            problems.contains(&expected.to_string()),
            "{expected}: {problems:#?}"
        );
    }
}

#[test]
fn jsonata_expressions_in_jsonpath_states_are_not_parsed() {
    let problems = one_state(json!({"Type": "Pass", "Result": {"s": "{% ( %}"}, "End": true}));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn each_language_rejects_the_other_ones_fields() {
    let problems = lines(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "T", "Output": {}}], "Default": "T"},
        "T": {"Type": "Task", "Resource": "${Work}", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "J", "Output": {}}], "Next": "J"},
        "J": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "${Work}", "TimeoutSecondsPath": "$.t",
            "InputPath": "$.x", "Parameters": {}, "ResultSelector": {}, "ResultPath": "$.r", "OutputPath": "$.o", "Next": "W"},
        "W": {"Type": "Wait", "QueryLanguage": "JSONata", "SecondsPath": "$.s", "Next": "P"},
        "P": {"Type": "Pass", "QueryLanguage": "JSONata", "Result": {}, "End": true}
    }}));
    for expected in [
        "State \"C\": Choices[0].Output: only allowed in JSONata mode",
        "State \"T\": Catch[0].Output: only allowed in JSONata mode",
        "State \"J\": TimeoutSecondsPath: only allowed in JSONPath mode",
        "State \"J\": InputPath: only allowed in JSONPath mode",
        "State \"J\": Parameters: only allowed in JSONPath mode",
        "State \"J\": ResultSelector: only allowed in JSONPath mode",
        "State \"J\": ResultPath: only allowed in JSONPath mode",
        "State \"J\": OutputPath: only allowed in JSONPath mode",
        "State \"W\": SecondsPath: only allowed in JSONPath mode",
        "State \"P\": Result: only allowed in JSONPath mode",
    ] {
        assert!(
            problems.contains(&expected.to_string()),
            "{expected}: {problems:#?}"
        );
    }
}
