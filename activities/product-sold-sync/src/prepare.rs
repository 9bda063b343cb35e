//! `Prepare`: validates the event and computes everything the workflow writes — the
//! claim's key, clock, lock expiry and TTL (epoch seconds, which ASL cannot compute), the
//! sales-history item and the lake row. It writes nothing, so it runs before the claim
//! and again on every claim retry (with the state's fresh entry time).
//!
//! # Errors
//! `InvalidInput` naming the field (see [`crate::event`]) or `now` — never retried; the
//! workflow sends the event to the DLQ with the reason.

use chrono::DateTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_contract::ActivityDef;
use stepwise_lake::SoldSale;
use stepwise_runtime::{Activity, ActivityError, Context};

use crate::event::{DETAIL_TYPE, ProductSoldEvent};
use crate::item::{lake_row, sales_history_item};

/// How long a claim's lock holds before another delivery may take the event over, in
/// seconds. Longer than a delivery's normal run (seconds), shorter than what a waiting
/// delivery's claim retries span (see the workflow), so a crashed delivery's event is
/// taken over within one Express execution.
pub const LOCK_SECONDS: i64 = 120;
/// How long a claim is remembered (its `ttl`), in seconds: 24 hours.
pub const CLAIM_TTL_SECONDS: i64 = 24 * 3600;
/// The idempotency item's sort key.
pub const CLAIM_SK: &str = "VERSION";

/// What `Prepare` receives: the event as delivered, and the time the state was entered
/// (`$$.State.EnteredTime`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareInput {
    /// The EventBridge event.
    pub event: ProductSoldEvent,
    /// Now, RFC 3339 (the state's entry time).
    pub now: String,
}

/// The claim's values, DynamoDB numbers as strings (as the integration's `N` takes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimValues {
    /// `IDEMPOTENCY#{tenantId}#carousel.product.sold#{saleId}`.
    pub pk: String,
    /// `VERSION`.
    pub sk: String,
    /// Now, epoch seconds.
    pub now: String,
    /// When this delivery's lock expires, epoch seconds.
    pub lock_expires_at: String,
    /// When the claim is forgotten (`ttl`), epoch seconds.
    pub expires_at: String,
}

/// What `Prepare` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prepared {
    /// The sale id (given, or derived from the event id).
    pub sale_id: String,
    /// The claim.
    pub claim: ClaimValues,
    /// The sales-history item, as DynamoDB attribute values.
    pub item: Value,
    /// The lake row.
    pub row: SoldSale,
}

/// The `Prepare` activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prepare;

impl ActivityDef for Prepare {
    const NAME: &'static str = "Prepare";
    type Input = PrepareInput;
    type Output = Prepared;
}

/// The claim key of a sale.
pub fn claim_pk(tenant_id: &str, sale_id: &str) -> String {
    format!("IDEMPOTENCY#{tenant_id}#{DETAIL_TYPE}#{sale_id}")
}

/// Prepares a sale (the activity's work, without a context).
///
/// # Errors
/// `InvalidInput` naming the field.
pub fn prepare(input: &PrepareInput) -> Result<Prepared, ActivityError> {
    let valid = input
        .event
        .validate()
        .map_err(|e| ActivityError::invalid_input(format!("event {}: {e}", input.event.id)))?;
    let now = DateTime::parse_from_rfc3339(&input.now)
        .map_err(|e| {
            ActivityError::invalid_input(format!(
                "field \"now\": \"{}\" is not an RFC 3339 time: {e}",
                input.now
            ))
        })?
        .timestamp();
    Ok(Prepared {
        sale_id: valid.sale_id.clone(),
        claim: ClaimValues {
            pk: claim_pk(&input.event.detail.tenant_id, &valid.sale_id),
            sk: CLAIM_SK.into(),
            now: now.to_string(),
            lock_expires_at: (now + LOCK_SECONDS).to_string(),
            expires_at: (now + CLAIM_TTL_SECONDS).to_string(),
        },
        item: sales_history_item(&input.event, &valid),
        row: lake_row(&input.event, &valid),
    })
}

impl Activity for Prepare {
    async fn run(&self, input: PrepareInput, _ctx: &Context) -> Result<Prepared, ActivityError> {
        prepare(&input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stepwise_contract::errors::INVALID_INPUT;

    #[tokio::test]
    async fn prepares_through_the_registry() {
        let input =
            json!({"event": ProductSoldEvent::example(), "now": "2026-11-30T14:03:05.120Z"});
        let out = crate::registry()
            .invoke("Prepare", input.clone(), &Context::default())
            .await
            .unwrap();
        assert_eq!(
            out["claim"]["pk"],
            "IDEMPOTENCY#acme#carousel.product.sold#S-2026-11-30-0001"
        );
        assert_eq!(out["claim"]["now"], "1796047385");
        assert_eq!(out["claim"]["lock_expires_at"], "1796047505");
        assert_eq!(out["claim"]["expires_at"], "1796133785");
        assert_eq!(out["row"]["unit_price_cents"], 8999);
        // The same event at another time: only the claim's clock differs.
        let later = json!({"event": ProductSoldEvent::example(), "now": "2026-11-30T15:00:00Z"});
        let again = crate::registry()
            .invoke("Prepare", later, &Context::default())
            .await
            .unwrap();
        assert_eq!(again["item"], out["item"]);
        assert_eq!(again["row"], out["row"]);
    }

    #[tokio::test]
    async fn bad_events_are_invalid_input_naming_the_field() {
        let mut missing_tenant = serde_json::to_value(ProductSoldEvent::example()).unwrap();
        missing_tenant["detail"]
            .as_object_mut()
            .unwrap()
            .remove("tenantId");
        let mut negative = serde_json::to_value(ProductSoldEvent::example()).unwrap();
        negative["detail"]["salePrice"] = json!(-3.5);
        let mut short = serde_json::to_value(ProductSoldEvent::example()).unwrap();
        short["detail"]["embedding"] = json!([0.1, 0.2]);
        let mut unknown = serde_json::to_value(ProductSoldEvent::example()).unwrap();
        unknown["detail"]["colour"] = json!("red");
        for (event, field) in [
            (missing_tenant, "tenantId"),
            (negative, "salePrice"),
            (short, "embedding"),
            (unknown, "colour"),
        ] {
            let err = crate::registry()
                .invoke(
                    "Prepare",
                    json!({"event": event, "now": "2026-11-30T14:03:05Z"}),
                    &Context::default(),
                )
                .await
                .unwrap_err();
            assert_eq!(err.name, INVALID_INPUT, "{err}");
            assert!(err.cause.contains(field), "{field}: {}", err.cause);
        }
    }
}
