//! The `carousel.product.sold` event as EventBridge delivers it (the envelope and its
//! `detail`), typed, with its JSON Schema, and [`ProductSoldEvent::validate`]: every
//! rule a well-formed event must meet, each failure naming the field.
//!
//! Unknown fields are rejected in the envelope and the detail. The envelope's `version`,
//! `account`, `region` and `resources` are accepted (EventBridge always sends them) and
//! ignored.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use stepwise_embeddings::EMBEDDING_DIM;

/// The event's `source`.
pub const SOURCE: &str = "carousel.products";
/// The event's `detail-type`.
pub const DETAIL_TYPE: &str = "carousel.product.sold";
/// The longest id (tenant, product, sale, event) accepted, in characters.
pub const MAX_ID_CHARS: usize = 128;

/// An EventBridge event carrying a sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductSoldEvent {
    /// EventBridge's envelope version (`"0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The event id (unique per event; a retried PutEvents gets a new one).
    #[schemars(length(min = 1, max = 128))]
    pub id: String,
    /// `carousel.products`.
    pub source: String,
    /// `carousel.product.sold`.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// The account that published it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When it was published (RFC 3339).
    pub time: String,
    /// The region it was published in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ARNs the event concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<String>>,
    /// The sale.
    pub detail: SaleDetail,
}

/// The sale an event carries (`detail`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SaleDetail {
    /// The tenant (shop).
    #[schemars(length(min = 1, max = 128))]
    pub tenant_id: String,
    /// The product sold.
    #[schemars(length(min = 1, max = 128))]
    pub product_id: String,
    /// The sale's id; when absent, one is derived from the event id ([`derived_sale_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<String>,
    /// Product category.
    pub category: String,
    /// Brand.
    pub brand: String,
    /// Condition (`new`, `used`, ...).
    pub condition: String,
    /// Product description.
    pub description: String,
    /// The listed price, in currency units (non-negative).
    #[schemars(range(min = 0))]
    pub listed_price: f64,
    /// The price it sold for, in currency units (non-negative).
    #[schemars(range(min = 0))]
    pub sale_price: f64,
    /// The day it sold, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub sold_date: String,
    /// The day it was listed, `YYYY-MM-DD` (or give `daysToSell`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date"))]
    pub listed_date: Option<String>,
    /// Days from listing to sale (or give `listedDate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub days_to_sell: Option<i64>,
    /// The product image's S3 key.
    pub image_s3_key: String,
    /// The embedding's id.
    pub embedding_id: String,
    /// The image embedding: exactly 1024 floats, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1024, max = 1024))]
    pub embedding: Option<Vec<f32>>,
    /// The vendor.
    pub vendor_id: String,
}

/// A rule the event breaks: the field (as a JSON path from the event) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field \"{field}\": {reason}")]
pub struct InvalidEvent {
    /// The field, e.g. `detail.tenantId`.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidEvent {
    InvalidEvent {
        field,
        reason: reason.into(),
    }
}

/// Whether `id` may be a key segment (S3 key, DynamoDB key part): 1 to
/// [`MAX_ID_CHARS`] of `A-Z a-z 0-9 . _ -`, not starting with `.` (no `/`, `#`, `=`).
fn check_id(field: &'static str, id: &str) -> Result<(), InvalidEvent> {
    if id.is_empty() {
        return Err(invalid(field, "is empty"));
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Err(invalid(
            field,
            format!("is longer than {MAX_ID_CHARS} characters"),
        ));
    }
    if id.starts_with('.')
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(invalid(
            field,
            format!("\"{id}\" may only hold A-Z, a-z, 0-9, '.', '_' and '-' (not first '.')"),
        ));
    }
    Ok(())
}

fn check_price(field: &'static str, value: f64) -> Result<(), InvalidEvent> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid(
            field,
            format!("{value} is negative or not a number"),
        ));
    }
    if value > 1e12 {
        return Err(invalid(field, format!("{value} is implausibly large")));
    }
    Ok(())
}

fn parse_date(field: &'static str, value: &str) -> Result<NaiveDate, InvalidEvent> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| invalid(field, format!("\"{value}\" is not a YYYY-MM-DD date")))
}

/// The sale id of an event without one: `E-` and the first 32 hex digits of the SHA-256
/// of the event id — stable for every delivery of the same event.
pub fn derived_sale_id(event_id: &str) -> String {
    let digest = Sha256::digest(event_id.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("E-{hex}")
}

/// What a valid event gives: the checked values Prepare builds on.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSale {
    /// The sale id (given or derived).
    pub sale_id: String,
    /// The sale day.
    pub sold_date: NaiveDate,
    /// The listing day, when given.
    pub listed_date: Option<NaiveDate>,
    /// Days from listing to sale.
    pub days_to_sell: i64,
}

impl ProductSoldEvent {
    /// Checks every rule; the first broken one names its field. Writes nothing.
    ///
    /// # Errors
    /// [`InvalidEvent`] naming the field: a wrong `source` or `detail-type`, an id that
    /// cannot be a key segment, a negative price, a bad date, a listing after the sale,
    /// neither `listedDate` nor `daysToSell` (or the two disagreeing), an embedding that
    /// is not 1024 finite floats.
    pub fn validate(&self) -> Result<ValidSale, InvalidEvent> {
        if self.source != SOURCE {
            return Err(invalid(
                "source",
                format!("\"{}\" is not \"{SOURCE}\"", self.source),
            ));
        }
        if self.detail_type != DETAIL_TYPE {
            return Err(invalid(
                "detail-type",
                format!("\"{}\" is not \"{DETAIL_TYPE}\"", self.detail_type),
            ));
        }
        check_id("id", &self.id)?;
        let d = &self.detail;
        check_id("detail.tenantId", &d.tenant_id)?;
        check_id("detail.productId", &d.product_id)?;
        let sale_id = match &d.sale_id {
            Some(id) => {
                check_id("detail.saleId", id)?;
                id.clone()
            }
            None => derived_sale_id(&self.id),
        };
        check_price("detail.listedPrice", d.listed_price)?;
        check_price("detail.salePrice", d.sale_price)?;
        let sold_date = parse_date("detail.soldDate", &d.sold_date)?;
        let listed_date = match &d.listed_date {
            Some(s) => Some(parse_date("detail.listedDate", s)?),
            None => None,
        };
        let days_to_sell = match (listed_date, d.days_to_sell) {
            (None, None) => {
                return Err(invalid(
                    "detail.listedDate",
                    "missing: give listedDate or daysToSell",
                ));
            }
            (_, Some(n)) if n < 0 => {
                return Err(invalid("detail.daysToSell", format!("{n} is negative")));
            }
            (Some(listed), given) => {
                let days = (sold_date - listed).num_days();
                if days < 0 {
                    return Err(invalid(
                        "detail.listedDate",
                        format!("{listed} is after soldDate {sold_date}"),
                    ));
                }
                if let Some(n) = given
                    && n != days
                {
                    return Err(invalid(
                        "detail.daysToSell",
                        format!(
                            "{n} disagrees with listedDate {listed} (sold {sold_date}: {days} days)"
                        ),
                    ));
                }
                days
            }
            (None, Some(n)) => n,
        };
        if days_to_sell > i64::from(i32::MAX) {
            return Err(invalid("detail.daysToSell", "is too large"));
        }
        if let Some(e) = &d.embedding {
            if e.len() != EMBEDDING_DIM {
                return Err(invalid(
                    "detail.embedding",
                    format!("has {} components, expected {EMBEDDING_DIM}", e.len()),
                ));
            }
            if let Some(i) = e.iter().position(|x| !x.is_finite()) {
                return Err(invalid(
                    "detail.embedding",
                    format!("component {i} is not a finite number"),
                ));
            }
        }
        Ok(ValidSale {
            sale_id,
            sold_date,
            listed_date,
            days_to_sell,
        })
    }

    /// An example event (the workflow's example input).
    pub fn example() -> Self {
        ProductSoldEvent {
            version: Some("0".into()),
            id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718".into(),
            source: SOURCE.into(),
            detail_type: DETAIL_TYPE.into(),
            account: Some("123456789012".into()),
            time: "2026-11-30T14:03:00Z".into(),
            region: Some("us-east-1".into()),
            resources: Some(Vec::new()),
            detail: SaleDetail {
                tenant_id: "acme".into(),
                product_id: "P-1042".into(),
                sale_id: Some("S-2026-11-30-0001".into()),
                category: "jackets".into(),
                brand: "Northwind".into(),
                condition: "used".into(),
                description: "Waxed cotton jacket, size M".into(),
                listed_price: 120.0,
                sale_price: 89.99,
                sold_date: "2026-11-30".into(),
                listed_date: Some("2026-11-02".into()),
                days_to_sell: None,
                image_s3_key: "products/P-1042/front.jpg".into(),
                embedding_id: "emb-P-1042-front".into(),
                embedding: None,
                vendor_id: "V-77".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_valid() {
        let v = ProductSoldEvent::example().validate().unwrap();
        assert_eq!(v.sale_id, "S-2026-11-30-0001");
        assert_eq!(v.days_to_sell, 28);
    }

    #[test]
    fn each_rule_names_its_field() {
        type Breaks = fn(&mut ProductSoldEvent);
        let cases: Vec<(Breaks, &str)> = vec![
            (|e| e.detail.tenant_id.clear(), "detail.tenantId"),
            (|e| e.detail.tenant_id = "a/b".into(), "detail.tenantId"),
            (|e| e.detail.sale_price = -1.0, "detail.salePrice"),
            (|e| e.detail.listed_price = f64::NAN, "detail.listedPrice"),
            (
                |e| e.detail.embedding = Some(vec![0.5; 3]),
                "detail.embedding",
            ),
            (
                |e| e.detail.sold_date = "2026-13-01".into(),
                "detail.soldDate",
            ),
            (
                |e| e.detail.listed_date = Some("2026-12-05".into()),
                "detail.listedDate",
            ),
            (
                |e| {
                    e.detail.listed_date = None;
                    e.detail.days_to_sell = None;
                },
                "detail.listedDate",
            ),
            (|e| e.detail.days_to_sell = Some(3), "detail.daysToSell"),
            (|e| e.source = "other".into(), "source"),
            (|e| e.detail_type = "x".into(), "detail-type"),
        ];
        for (breaks, field) in cases {
            let mut e = ProductSoldEvent::example();
            breaks(&mut e);
            let err = e.validate().unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn a_missing_sale_id_is_derived_stably_from_the_event_id() {
        let mut e = ProductSoldEvent::example();
        e.detail.sale_id = None;
        let a = e.validate().unwrap().sale_id;
        assert_eq!(a, e.validate().unwrap().sale_id);
        assert!(a.starts_with("E-") && a.len() == 34, "{a}");
        e.id = "another".into();
        assert_ne!(e.validate().unwrap().sale_id, a);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let mut v = serde_json::to_value(ProductSoldEvent::example()).unwrap();
        v["detail"]["colour"] = "red".into();
        let err = serde_json::from_value::<ProductSoldEvent>(v).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
