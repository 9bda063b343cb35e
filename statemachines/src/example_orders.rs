//! `example-orders`: the example workflow that exercises every construct the generator
//! supports — Task, Retry, Catch, Choice, Wait, Map, Parallel, Pass, Succeed and Fail —
//! over the order activities.
//!
//! ```text
//! ValidateOrder ──catch──▶ Rejected (Fail)
//!   │
//! Large order? ──gross > 1000.00──▶ Hold for review (Wait) ─┐
//!   │ otherwise ◀──────────────────────────────────────────┘
//! Price lines (Map, ≤4 at once: PriceLine, retried when throttled)
//!   │
//! Finalise (Parallel: SummariseOrder ‖ Audit record) ──▶ Done
//! ```

use std::time::Duration;

use codegen::builder::*;
use codegen::workflow::Workflow;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use stepwise_contract::errors::{INVALID_INPUT, THROTTLED, TRANSIENT};
use stepwise_examples::{
    LineItem, ORDER_REJECTED, Order, PriceLine, SummariseOrder, ValidateOrder,
};

/// Orders above this gross amount (cents) wait for review.
pub const REVIEW_THRESHOLD_CENTS: u64 = 100_000;

/// The execution input.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// The order to process.
    pub order: Order,
    /// Discount applied to every line, in percent (0–90).
    pub discount_percent: u8,
}

/// An example input operators can start the workflow with.
pub fn example_input() -> OrderRequest {
    OrderRequest {
        order: Order {
            order_id: "order-1001".into(),
            customer_id: "customer-42".into(),
            items: vec![
                LineItem {
                    sku: "MUG-BLUE".into(),
                    quantity: 2,
                    unit_price_cents: 1_250,
                },
                LineItem {
                    sku: "TEE-L".into(),
                    quantity: 1,
                    unit_price_cents: 2_400,
                },
            ],
        },
        discount_percent: 10,
    }
}

/// The workflow description.
pub fn workflow() -> Workflow {
    let validate = task::<ValidateOrder>()
        .input_path("$.order")
        .result_path("$.validated")
        .retry(
            Retry::on([TRANSIENT])
                .interval(Duration::from_secs(1))
                .max_attempts(3),
        )
        .catch(
            Catch::on([INVALID_INPUT, ORDER_REJECTED]).result_path("$.error"),
            fail("Rejected")
                .error_path("$.error.Error")
                .cause_path("$.error.Cause"),
        );

    let review = choice("Large order?")
        .when(
            Condition::numeric_gt("$.validated.gross_cents", REVIEW_THRESHOLD_CENTS),
            wait("Hold for review").seconds(Duration::from_secs(5)),
        )
        .otherwise(Chain::empty());

    let price_lines = map("Price lines")
        .items_path("$.validated.items")
        .item_selector(json!({
            "sku.$": "$$.Map.Item.Value.sku",
            "quantity.$": "$$.Map.Item.Value.quantity",
            "unit_price_cents.$": "$$.Map.Item.Value.unit_price_cents",
            "discount_percent.$": "$.discount_percent"
        }))
        .max_concurrency(4)
        .processor(
            task::<PriceLine>().retry(
                Retry::on([THROTTLED, TRANSIENT])
                    .interval(Duration::from_secs(1))
                    .backoff_rate(2.0)
                    .max_attempts(5)
                    .max_delay(Duration::from_secs(30))
                    .full_jitter(),
            ),
        )
        .result_path("$.priced");

    let finalise = parallel("Finalise")
        .branch(task::<SummariseOrder>().parameters(json!({
            "order_id.$": "$.validated.order_id",
            "lines.$": "$.priced"
        })))
        .branch(pass("Audit record").parameters(json!({
            "order_id.$": "$.order.order_id",
            "customer_id.$": "$.order.customer_id",
            "checked_at.$": "$$.State.EnteredTime",
            "execution.$": "$$.Execution.Id"
        })))
        .result_selector(json!({"summary.$": "$[0]", "audit.$": "$[1]"}))
        .result_path("$.result")
        .output_path("$.result");

    Workflow::new(
        "example-orders",
        Chain::start(validate)
            .then(review)
            .then(price_lines)
            .then(finalise)
            .then(succeed("Done")),
    )
    .comment("Example: validate an order, hold large ones for review, price every line, summarise.")
    .timeout(Duration::from_secs(15 * 60))
    .input(&example_input())
}
