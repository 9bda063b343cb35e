//! The builder emits JSONata states: a whole workflow or one state in JSONata mode,
//! `Arguments`/`Output`/`Assign`/`Items`, JSONata Choice conditions and Catch outputs;
//! an expression that does not parse fails the build naming the state, field and position.

use codegen::builder::*;
use codegen::errors::STATES_ALL;
use codegen::workflow::Workflow;
use pretty_assertions::assert_eq;
use serde_json::json;

fn definition() -> Chain {
    Chain::start(
        task_resource("Fetch", "arn:aws:states:::aws-sdk:sts:getCallerIdentity")
            .arguments(json!({}))
            .assign(json!({"account": Jsonata::expr("$states.result.Account")}))
            .output(json!({"order": Jsonata::expr("$states.input.order")}))
            .catch(
                Catch::on([STATES_ALL])
                    .output(json!({"error": Jsonata::expr("$states.errorOutput.Error")})),
                Chain::start(fail("Failed").jsonata().cause("could not fetch")),
            ),
    )
    .then(
        choice("Big?")
            .when(
                Condition::jsonata(Jsonata::expr("$count($states.input.order.lines) > 2")),
                Chain::start(
                    map("Each")
                        .items(Jsonata::expr("$states.input.order.lines"))
                        .item_selector(json!({"sku": Jsonata::expr("$states.context.Map.Item.Value.sku")}))
                        .processor(Chain::start(pass("Line").output(Jsonata::expr("$states.input.sku"))))
                        .output(json!({"skus": Jsonata::expr("$states.result"), "account": Jsonata::expr("$account")})),
                ),
            )
            .otherwise(Chain::empty()),
    )
    .then(succeed("Done"))
}

#[test]
fn a_jsonata_workflow_emits_jsonata_fields() {
    let built = Workflow::new("jsonata-orders", definition())
        .jsonata()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = built.machine.to_value();
    assert_eq!(doc["QueryLanguage"], json!("JSONata"));
    let fetch = &doc["States"]["Fetch"];
    assert_eq!(fetch["Arguments"], json!({}));
    assert_eq!(
        fetch["Assign"],
        json!({"account": "{% $states.result.Account %}"})
    );
    assert_eq!(
        fetch["Output"],
        json!({"order": "{% $states.input.order %}"})
    );
    assert_eq!(
        fetch["Catch"][0]["Output"],
        json!({"error": "{% $states.errorOutput.Error %}"})
    );
    assert_eq!(
        doc["States"]["Big?"]["Choices"][0]["Condition"],
        json!("{% $count($states.input.order.lines) > 2 %}")
    );
    assert_eq!(
        doc["States"]["Each"]["Items"],
        json!("{% $states.input.order.lines %}")
    );
    assert_eq!(doc["States"]["Failed"]["QueryLanguage"], json!("JSONata"));
}

#[test]
fn one_state_can_run_in_jsonata_mode_in_a_jsonpath_workflow() {
    let machine = compile(
        Chain::start(pass("Old").parameters(json!({"v.$": "$.a"}))).then(
            pass("New")
                .jsonata()
                .output(json!({"v": Jsonata::expr("$states.input.v + 1")})),
        ),
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    let doc = machine.to_value();
    assert_eq!(doc.get("QueryLanguage"), None);
    assert_eq!(doc["States"]["New"]["QueryLanguage"], json!("JSONata"));
}

#[test]
fn an_expression_that_does_not_parse_fails_the_build_with_state_field_and_position() {
    let broken =
        Chain::start(pass("Shape").output(json!({"total": Jsonata::expr("$sum($states.input.x")})));
    let err = Workflow::new("broken", broken)
        .jsonata()
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("State \"Shape\": Output.total: JSONata syntax error at position"),
        "{text}"
    );
}

#[test]
fn jsonpath_fields_in_a_jsonata_workflow_fail_the_build() {
    let mixed = Chain::start(pass("P").parameters(json!({"a": 1})));
    let err = Workflow::new("mixed", mixed).jsonata().build().unwrap_err();
    assert!(
        err.to_string()
            .contains("State \"P\": Parameters: only allowed in JSONPath mode"),
        "{err}"
    );
}
