//! `ValidateOrder`: checks an order and totals it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::{ActivityDef, ErrorName};

use stepwise_runtime::{Activity, ActivityError, Context};

/// The order breaks a business rule (too many units); not retried, not bad input.
pub const ORDER_REJECTED: ErrorName = ErrorName::new("OrderRejected");

/// The most units of one SKU an order may carry.
const MAX_QUANTITY: u32 = 1_000;

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// The product.
    pub sku: String,
    /// Units ordered (at least 1).
    pub quantity: u32,
    /// Price of one unit, in cents.
    pub unit_price_cents: u64,
}

/// An order as it arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The order's id.
    pub order_id: String,
    /// The customer's id.
    pub customer_id: String,
    /// The lines (at least one).
    pub items: Vec<LineItem>,
}

/// A checked order with its gross total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidatedOrder {
    /// The order's id.
    pub order_id: String,
    /// The lines, unchanged.
    pub items: Vec<LineItem>,
    /// Sum of quantity × unit price, in cents.
    pub gross_cents: u64,
}

/// Validates an order: at least one line, positive quantities, no line over the limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidateOrder;

impl ActivityDef for ValidateOrder {
    const NAME: &'static str = "ValidateOrder";
    const ERRORS: &'static [ErrorName] = &[ORDER_REJECTED];
    type Input = Order;
    type Output = ValidatedOrder;
}

impl Activity for ValidateOrder {
    async fn run(&self, order: Order, _ctx: &Context) -> Result<ValidatedOrder, ActivityError> {
        if order.order_id.trim().is_empty() {
            return Err(ActivityError::invalid_input("order_id: must not be empty"));
        }
        if order.items.is_empty() {
            return Err(ActivityError::invalid_input(
                "items: an order needs at least one line",
            ));
        }
        let mut gross: u64 = 0;
        for (i, item) in order.items.iter().enumerate() {
            if item.quantity == 0 {
                return Err(ActivityError::invalid_input(format!(
                    "items[{i}].quantity: must be at least 1"
                )));
            }
            if item.quantity > MAX_QUANTITY {
                return Err(ActivityError::new(
                    ORDER_REJECTED,
                    format!(
                        "items[{i}]: {} units of {} exceed the limit of {MAX_QUANTITY}",
                        item.quantity, item.sku
                    ),
                ));
            }
            let line = item.unit_price_cents.checked_mul(u64::from(item.quantity));
            gross = line.and_then(|l| gross.checked_add(l)).ok_or_else(|| {
                ActivityError::invalid_input(format!("items[{i}]: total overflows"))
            })?;
        }
        Ok(ValidatedOrder {
            order_id: order.order_id,
            items: order.items,
            gross_cents: gross,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(quantity: u32) -> Order {
        Order {
            order_id: "o-1".into(),
            customer_id: "c-1".into(),
            items: vec![
                LineItem {
                    sku: "A".into(),
                    quantity,
                    unit_price_cents: 250,
                },
                LineItem {
                    sku: "B".into(),
                    quantity: 1,
                    unit_price_cents: 1000,
                },
            ],
        }
    }

    #[tokio::test]
    async fn totals_a_valid_order() {
        let out = ValidateOrder
            .run(order(2), &Context::default())
            .await
            .unwrap();
        assert_eq!(out.gross_cents, 1500);
        assert_eq!(out.items.len(), 2);
    }

    #[tokio::test]
    async fn zero_quantity_is_invalid_input_naming_the_line() {
        let err = ValidateOrder
            .run(order(0), &Context::default())
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert_eq!(err.cause, "items[0].quantity: must be at least 1");
    }

    #[tokio::test]
    async fn too_many_units_is_rejected_by_business_rule() {
        let err = ValidateOrder
            .run(order(1001), &Context::default())
            .await
            .unwrap_err();
        assert_eq!(err.name, ORDER_REJECTED);
    }
}
