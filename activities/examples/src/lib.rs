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
