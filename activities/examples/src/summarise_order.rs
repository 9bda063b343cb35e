//! `SummariseOrder`: adds up the priced lines of an order.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::ActivityDef;

use crate::PricedLine;
use stepwise_runtime::{Activity, ActivityError, Context};

/// The priced lines of one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummariseOrderInput {
    /// The order's id.
    pub order_id: String,
    /// Every priced line.
    pub lines: Vec<PricedLine>,
}

/// The order's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderSummary {
    /// The order's id.
    pub order_id: String,
    /// Number of lines.
    pub line_count: u32,
    /// Number of units.
    pub unit_count: u64,
    /// Sum of the line totals, in cents.
    pub total_cents: u64,
}

/// Adds up the priced lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct SummariseOrder;

impl ActivityDef for SummariseOrder {
    const NAME: &'static str = "SummariseOrder";
    type Input = SummariseOrderInput;
    type Output = OrderSummary;
}

impl Activity for SummariseOrder {
    async fn run(
        &self,
        input: SummariseOrderInput,
        _ctx: &Context,
    ) -> Result<OrderSummary, ActivityError> {
        let line_count = u32::try_from(input.lines.len())
            .map_err(|_| ActivityError::invalid_input("lines: too many lines"))?;
        let unit_count = input.lines.iter().map(|l| u64::from(l.quantity)).sum();
        let total_cents = input
            .lines
            .iter()
            .try_fold(0u64, |acc, l| acc.checked_add(l.line_total_cents))
            .ok_or_else(|| ActivityError::invalid_input("lines: total overflows"))?;
        Ok(OrderSummary {
            order_id: input.order_id,
            line_count,
            unit_count,
            total_cents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn adds_up_lines_and_units() {
        let input = SummariseOrderInput {
            order_id: "o-1".into(),
            lines: vec![
                PricedLine {
                    sku: "A".into(),
                    quantity: 2,
                    line_total_cents: 500,
                },
                PricedLine {
                    sku: "B".into(),
                    quantity: 1,
                    line_total_cents: 1000,
                },
            ],
        };
        let out = SummariseOrder
            .run(input, &Context::default())
            .await
            .unwrap();
        assert_eq!(
            out,
            OrderSummary {
                order_id: "o-1".into(),
                line_count: 2,
                unit_count: 3,
                total_cents: 1500
            }
        );
    }
}
