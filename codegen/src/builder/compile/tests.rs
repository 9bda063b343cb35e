//! Builder tests: what each construct compiles to.

use std::time::Duration;

use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use stepwise_contract::{ActivityDef, ErrorName, errors};

use crate::builder::*;
use crate::errors::STATES_ALL;

#[derive(Serialize, Deserialize, JsonSchema)]
struct Empty {}

struct Work;
const WORK_FAILED: ErrorName = ErrorName::new("WorkFailed");
impl ActivityDef for Work {
    const NAME: &'static str = "Work";
    const ERRORS: &'static [ErrorName] = &[WORK_FAILED];
    type Input = Empty;
    type Output = Empty;
}

/// The rule every activity Task starts with.
static LAMBDA_RETRY: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| {
    json!({
        "ErrorEquals": [
            "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException", "Lambda.ClientExecutionTimeoutException"
        ],
        "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2.0, "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL"
    })
});

#[test]
fn a_sequence_links_next_and_ends() {
    let machine = compile(
        Chain::start(pass("A"))
            .then(task::<Work>())
            .then(succeed("Done")),
    )
    .unwrap();
    assert_eq!(
        machine.to_value(),
        json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "Work"},
                "Work": {"Type": "Task", "Resource": "${Work}", "Next": "Done", "Retry": [LAMBDA_RETRY.clone()]},
                "Done": {"Type": "Succeed"}
            }
        })
    );
}

#[test]
fn choice_arms_rejoin_after_the_choice_unless_they_end() {
    let machine = compile(
        Chain::start(
            choice("Route")
                .when(Condition::is_present("$.x"), pass("HasX"))
                .when(
                    Condition::string_equals("$.y", "stop"),
                    fail("Stopped").error(WORK_FAILED),
                )
                .otherwise(Chain::empty()),
        )
        .then(succeed("After")),
    )
    .unwrap();
    let v = machine.to_value();
    assert_eq!(v["States"]["Route"]["Choices"][0]["Next"], "HasX");
    assert_eq!(v["States"]["Route"]["Choices"][1]["Next"], "Stopped");
    assert_eq!(v["States"]["Route"]["Default"], "After");
    assert_eq!(v["States"]["HasX"]["Next"], "After");
}

#[test]
fn retry_and_catch_are_typed_and_handlers_can_jump() {
    let machine = compile(
        Chain::start(
            task::<Work>()
                .retry(
                    Retry::on([errors::THROTTLED, errors::TRANSIENT])
                        .interval(Duration::from_secs(1))
                        .backoff_rate(2.0)
                        .max_attempts(6)
                        .max_delay(Duration::from_secs(60))
                        .full_jitter(),
                )
                .catch(Catch::all().result_path("$.error"), Chain::goto("Failed")),
        )
        .then(succeed("Ok"))
        .then_chain(Chain::start(
            fail("Failed")
                .error_path("$.error.Error")
                .cause_path("$.error.Cause"),
        )),
    );
    // A Succeed followed by another state in the same chain is a builder problem.
    let problems: Vec<_> = machine
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        ["State \"Ok\": nothing can follow a Succeed state, but \"Failed\" does"]
    );

    let handler = Chain::start(fail("Failed").error_path("$.error.Error"));
    let machine = compile(
        Chain::start(
            task::<Work>()
                .retry(
                    Retry::on([errors::THROTTLED])
                        .interval(Duration::from_secs(2))
                        .full_jitter(),
                )
                .catch(Catch::all().result_path("$.error"), handler),
        )
        .then(succeed("Ok")),
    )
    .unwrap();
    let v = machine.to_value();
    assert_eq!(
        v["States"]["Work"]["Retry"],
        json!([
            LAMBDA_RETRY.clone(),
            {"ErrorEquals": ["Throttled"], "IntervalSeconds": 2, "JitterStrategy": "FULL"}
        ])
    );
    assert_eq!(
        v["States"]["Work"]["Catch"],
        json!([{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}])
    );
}

#[test]
fn activity_tasks_retry_the_lambda_service_first_and_may_name_its_errors() {
    let machine = compile(Chain::start(
        task::<Work>().retry(Retry::on([crate::errors::LAMBDA_TOO_MANY_REQUESTS]).max_attempts(10)),
    ))
    .unwrap();
    let v = machine.to_value();
    assert_eq!(v["States"]["Work"]["Retry"][0], *LAMBDA_RETRY);
    assert_eq!(
        v["States"]["Work"]["Retry"][1]["ErrorEquals"],
        json!(["Lambda.TooManyRequestsException"])
    );
    let plain = compile(Chain::start(task_resource(
        "Raw",
        "arn:aws:states:::lambda:invoke",
    )))
    .unwrap();
    assert!(plain.to_value()["States"]["Raw"].get("Retry").is_none());
}

#[test]
fn errors_the_activity_never_raises_are_reported() {
    let problems = compile(Chain::start(
        task::<Work>().retry(Retry::on([ErrorName::new("Throtled"), STATES_ALL])),
    ))
    .unwrap_err();
    assert_eq!(
        problems[0].to_string(),
        "State \"Work\": Retry[1]: Work never raises \"Throtled\" (it raises InvalidInput, Throttled, Transient, NotFound, Permanent, WorkFailed)"
    );
}

#[test]
fn fractional_durations_are_reported() {
    let problems = compile(Chain::start(
        wait("Nap").seconds(Duration::from_millis(1500)),
    ))
    .unwrap_err();
    assert_eq!(
        problems[0].to_string(),
        "State \"Nap\": Seconds: 1.5s is not a whole number of seconds"
    );
}

#[test]
fn parallel_and_map_get_scopes_of_their_own() {
    let machine = compile(Chain::start(
        parallel("Both")
            .branch(Chain::start(pass("Left")))
            .branch(
                map("Each")
                    .items_path("$.items")
                    .max_concurrency(4)
                    .tolerated_failure_percentage(10.0)
                    .item_selector(
                        json!({"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}),
                    )
                    .processor(task::<Work>()),
            )
            .result_path("$.both"),
    ))
    .unwrap();
    let v = machine.to_value();
    assert_eq!(
        v["States"]["Both"]["Branches"][0],
        json!({"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}})
    );
    let each = &v["States"]["Both"]["Branches"][1]["States"]["Each"];
    assert_eq!(each["ItemProcessor"]["States"]["Work"]["End"], true);
    assert_eq!(each["MaxConcurrency"], 4);
    assert_eq!(each["ToleratedFailurePercentage"], 10.0);
    assert_eq!(v["States"]["Both"]["End"], true);
}

#[test]
fn dangling_gotos_and_empty_arms_are_reported() {
    let problems = compile(Chain::start(
        choice("C")
            .when(Condition::is_null("$.x"), Chain::goto("Nowhere"))
            .otherwise(Chain::empty()),
    ))
    .unwrap_err();
    let lines: Vec<_> = problems.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(
            &"Top level: the otherwise arm of Choice \"C\" is empty and nothing follows it"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"State \"C\": Next \"Nowhere\" is not a state".to_string()),
        "{lines:#?}"
    );
}
