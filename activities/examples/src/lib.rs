//! `stepwise-examples`: the order activities of the example workflow (`example-orders`): validate an order,
//! price each line, summarise. Pure computation — they exist so the generator, the
//! validator and the executor are exercised end to end before the real pipelines land.

mod price_line;
mod summarise_order;
mod validate_order;

pub use price_line::{DiscountTooHigh, PriceLine, PriceLineInput, PricedLine};
pub use summarise_order::{OrderSummary, SummariseOrder, SummariseOrderInput};
pub use validate_order::{LineItem, ORDER_REJECTED, Order, ValidateOrder, ValidatedOrder};

use stepwise_runtime::Registry;

/// The example workflow's activities.
pub fn register(registry: Registry) -> Registry {
    registry
        .with(ValidateOrder)
        .with(PriceLine)
        .with(SummariseOrder)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stepwise_runtime::{Context, Registry};

    fn registry() -> Registry {
        super::register(Registry::new())
    }

    #[tokio::test]
    async fn price_line_runs_through_the_registrys_serde_boundary() {
        let out = registry()
            .invoke(
                "PriceLine",
                json!({"sku": "A", "quantity": 3, "unit_price_cents": 250}),
                &Context::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            out,
            json!({"sku": "A", "quantity": 3, "line_total_cents": 750})
        );
    }

    #[tokio::test]
    async fn a_quantity_given_as_a_string_is_invalid_input_naming_the_field() {
        let err = registry()
            .invoke(
                "PriceLine",
                json!({"sku": "A", "quantity": "3", "unit_price_cents": 250}),
                &Context::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(
            err.cause
                .starts_with("input field \"quantity\": invalid type: string \"3\""),
            "{}",
            err.cause
        );
    }
}
