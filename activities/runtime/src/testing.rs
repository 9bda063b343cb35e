//! Test activities for the runtime's own tests (no pipeline is visible from here).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::ActivityDef;

use crate::{Activity, ActivityError, Context, Registry};

/// Multiplies a quantity by a unit price: pure, typed, rejects unknown fields.
pub(crate) struct LineTotal;

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineTotalInput {
    sku: String,
    quantity: u32,
    unit_price_cents: u64,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub(crate) struct LineTotalOutput {
    sku: String,
    quantity: u32,
    line_total_cents: u64,
}

impl ActivityDef for LineTotal {
    const NAME: &'static str = "LineTotal";
    type Input = LineTotalInput;
    type Output = LineTotalOutput;
}

impl Activity for LineTotal {
    async fn run(
        &self,
        input: LineTotalInput,
        _ctx: &Context,
    ) -> Result<LineTotalOutput, ActivityError> {
        Ok(LineTotalOutput {
            line_total_cents: u64::from(input.quantity) * input.unit_price_cents,
            sku: input.sku,
            quantity: input.quantity,
        })
    }
}

/// Returns its input.
pub(crate) struct Echo;

impl ActivityDef for Echo {
    const NAME: &'static str = "Echo";
    type Input = serde_json::Value;
    type Output = serde_json::Value;
}

impl Activity for Echo {
    async fn run(
        &self,
        input: serde_json::Value,
        _ctx: &Context,
    ) -> Result<serde_json::Value, ActivityError> {
        Ok(input)
    }
}

/// A registry of the test activities.
pub(crate) fn registry() -> Registry {
    Registry::new().with(LineTotal).with(Echo)
}
