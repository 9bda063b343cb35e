//! The typed data-flow check as `stepwise generate` reports it: a renamed activity input
//! field or a mistyped path fails the build with the workflow, state and path named.

use codegen::builder::*;
use codegen::workflow::Workflow;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use statemachines::example_orders::example_input;
use stepwise_contract::ActivityDef;
use stepwise_examples::{LineItem, PriceLine, ValidateOrder};

/// `ValidateOrder` after someone renamed `customer_id` to `customer` in its input.
struct ValidateOrderRenamed;

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RenamedOrder {
    order_id: String,
    customer: String,
    items: Vec<LineItem>,
}

impl ActivityDef for ValidateOrderRenamed {
    const NAME: &'static str = "ValidateOrder";
    type Input = RenamedOrder;
    type Output = <ValidateOrder as ActivityDef>::Output;
}

fn build_error(workflow: Workflow) -> Vec<String> {
    workflow
        .build()
        .unwrap_err()
        .to_string()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn renaming_an_activity_input_field_fails_the_build() {
    let workflow = Workflow::new(
        "example-orders",
        Chain::start(
            task::<ValidateOrderRenamed>()
                .input_path("$.order")
                .result_path("$.validated"),
        )
        .then(succeed("Done")),
    )
    .input(&example_input());
    assert_eq!(
        build_error(workflow),
        [
            "workflow \"example-orders\": State \"ValidateOrder\": input of activity \"ValidateOrder\": missing required field \"customer\"",
            "workflow \"example-orders\": State \"ValidateOrder\": input of activity \"ValidateOrder\": unexpected field \"customer_id\" (ValidateOrder rejects unknown fields)",
        ]
    );
}

#[test]
fn a_mistyped_path_fails_the_build() {
    let workflow = Workflow::new(
        "example-orders",
        Chain::start(
            task::<ValidateOrder>()
                .input_path("$.order")
                .result_path("$.validated"),
        )
        .then(
            map("Price lines")
                .items_path("$.validated.items")
                .item_selector(json!({
                    "sku.$": "$$.Map.Item.Value.skew",
                    "quantity.$": "$$.Map.Item.Value.quantity",
                    "unit_price_cents.$": "$$.Map.Item.Value.unit_price_cents"
                }))
                .processor(task::<PriceLine>()),
        ),
    )
    .input(&example_input());
    let lines = build_error(workflow);
    assert_eq!(
        lines[0],
        "workflow \"example-orders\": State \"Price lines\": ItemSelector.sku.$ \"$$.Map.Item.Value.skew\": no field \"skew\" in $$.Map.Item.Value (it has: sku, quantity, unit_price_cents)"
    );
}

#[test]
fn a_wrong_type_fails_the_build() {
    let workflow = Workflow::new(
        "example-orders",
        Chain::start(task::<PriceLine>().parameters(json!({
            "sku.$": "$.order.order_id",
            "quantity.$": "$.order.customer_id",
            "unit_price_cents": 100
        }))),
    )
    .input(&example_input());
    assert_eq!(
        build_error(workflow),
        [
            "workflow \"example-orders\": State \"PriceLine\": input of activity \"PriceLine\": field \"quantity\" is a string, expected an integer"
        ]
    );
}

#[test]
fn reading_a_field_the_previous_task_does_not_produce_fails_the_build() {
    let workflow = Workflow::new(
        "example-orders",
        Chain::start(
            task::<ValidateOrder>()
                .input_path("$.order")
                .result_path("$.validated"),
        )
        .then(pass("Total").parameters(json!({"total.$": "$.validated.total_cents"}))),
    )
    .input(&example_input());
    assert_eq!(
        build_error(workflow),
        [
            "workflow \"example-orders\": State \"Total\": Parameters.total.$ \"$.validated.total_cents\": no field \"total_cents\" in $.validated (it has: order_id, items, gross_cents)"
        ]
    );
}
