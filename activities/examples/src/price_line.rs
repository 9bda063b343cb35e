//! `PriceLine`: prices one order line, applying a discount.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::{ActivityDef, ErrorName};

use stepwise_runtime::{Activity, ActivityError, Context};

/// A discount above 90 % needs a human; not retried.
pub struct DiscountTooHigh;

impl DiscountTooHigh {
    /// The error name.
    pub const NAME: ErrorName = ErrorName::new("DiscountTooHigh");
}

/// One line to price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceLineInput {
    /// The product.
    pub sku: String,
    /// Units.
    pub quantity: u32,
    /// Price of one unit, in cents.
    pub unit_price_cents: u64,
    /// Discount in percent (0–90).
    #[serde(default)]
    pub discount_percent: u8,
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PricedLine {
    /// The product.
    pub sku: String,
    /// Units.
    pub quantity: u32,
    /// quantity × unit price − discount, rounded half up, in cents.
    pub line_total_cents: u64,
}

/// Prices one line.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceLine;

impl ActivityDef for PriceLine {
    const NAME: &'static str = "PriceLine";
    const ERRORS: &'static [ErrorName] = &[DiscountTooHigh::NAME];
    type Input = PriceLineInput;
    type Output = PricedLine;
}

impl Activity for PriceLine {
    async fn run(&self, line: PriceLineInput, _ctx: &Context) -> Result<PricedLine, ActivityError> {
        if line.discount_percent > 90 {
            return Err(ActivityError::new(
                DiscountTooHigh::NAME,
                format!(
                    "{}: a {} % discount needs approval",
                    line.sku, line.discount_percent
                ),
            ));
        }
        let gross = u128::from(line.unit_price_cents) * u128::from(line.quantity);
        let net = (gross * u128::from(100 - line.discount_percent) + 50) / 100;
        let line_total_cents = u64::try_from(net).map_err(|_| {
            ActivityError::invalid_input(format!("{}: line total overflows", line.sku))
        })?;
        Ok(PricedLine {
            sku: line.sku,
            quantity: line.quantity,
            line_total_cents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(discount_percent: u8) -> PriceLineInput {
        PriceLineInput {
            sku: "A".into(),
            quantity: 3,
            unit_price_cents: 333,
            discount_percent,
        }
    }

    #[tokio::test]
    async fn applies_the_discount_rounding_half_up() {
        let out = PriceLine.run(line(10), &Context::default()).await.unwrap();
        assert_eq!(out.line_total_cents, 899); // 999 × 0.9 = 899.1
    }

    #[tokio::test]
    async fn large_discounts_fail_with_their_own_name() {
        let err = PriceLine
            .run(line(95), &Context::default())
            .await
            .unwrap_err();
        assert_eq!(err.name, DiscountTooHigh::NAME);
    }
}
