//! Each sale's vector metadata: which keys are filterable (usable in a `QueryVectors`
//! filter) and which are not, and the check against S3 Vectors' per-vector metadata
//! limits ([`crate::limits`]).
//!
//! | key | type | filterable |
//! | --- | --- | --- |
//! | `tenant_id` | string | yes |
//! | `product_id` | string | yes |
//! | `sold_date` | string `YYYY-MM-DD` (UTC) | yes |
//! | `price_cents` | number (unit price, cents of `currency`) | yes |
//! | `sold_at` | string, RFC 3339 UTC | no |
//! | `quantity` | number | no |
//! | `currency` | string | no |
//! | `image_url` | string | no |
//! | `export_date` | string `YYYY-MM-DD` | no |
//!
//! Non-filterable keys are fixed when the index is created ([`NON_FILTERABLE_KEYS`],
//! within the 10 an index may have); EnsureIndex creates the index with them and refuses
//! an existing index declaring others.

use std::collections::HashMap;

use aws_smithy_types::{Document, Number};

use crate::limits::{MAX_FILTERABLE_METADATA_BYTES, MAX_METADATA_BYTES, MAX_METADATA_KEYS};

/// The filterable metadata keys, in the order they are written.
pub const FILTERABLE_KEYS: &[&str] = &["tenant_id", "product_id", "sold_date", "price_cents"];

/// The non-filterable metadata keys, declared at index creation.
pub const NON_FILTERABLE_KEYS: &[&str] = &[
    "sold_at",
    "quantity",
    "currency",
    "image_url",
    "export_date",
];

/// One sale's metadata, as read from a lake partition.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleMetadata<'a> {
    /// The tenant.
    pub tenant_id: &'a str,
    /// The product.
    pub product_id: &'a str,
    /// When it was sold, RFC 3339 UTC.
    pub sold_at: String,
    /// Units sold.
    pub quantity: i64,
    /// Unit price in cents.
    pub price_cents: i64,
    /// ISO 4217 currency.
    pub currency: &'a str,
    /// The product image.
    pub image_url: &'a str,
    /// The export's date, `YYYY-MM-DD`.
    pub export_date: String,
}

/// Why a row's metadata cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// Filterable metadata over 2 KB.
    #[error(
        "its filterable metadata takes {0} bytes, more than S3 Vectors' {MAX_FILTERABLE_METADATA_BYTES}"
    )]
    FilterableTooLarge(usize),
    /// All metadata over 40 KB.
    #[error("its metadata takes {0} bytes, more than S3 Vectors' {MAX_METADATA_BYTES}")]
    TooLarge(usize),
}

impl SaleMetadata<'_> {
    /// The metadata document, checked against the per-vector limits. Sizes are counted
    /// as the UTF-8 bytes of each key and value (numbers as their decimal text), an upper
    /// bound of what the service counts.
    ///
    /// # Errors
    /// [`MetadataError`] when a limit would be exceeded.
    pub fn document(&self) -> Result<Document, MetadataError> {
        let sold_date = self.sold_at.get(..10).unwrap_or(&self.sold_at).to_string();
        let filterable = [
            ("tenant_id", text(self.tenant_id)),
            ("product_id", text(self.product_id)),
            ("sold_date", Document::String(sold_date)),
            ("price_cents", int(self.price_cents)),
        ];
        let rest = [
            ("sold_at", Document::String(self.sold_at.clone())),
            ("quantity", int(self.quantity)),
            ("currency", text(self.currency)),
            ("image_url", text(self.image_url)),
            ("export_date", Document::String(self.export_date.clone())),
        ];
        let filterable_bytes: usize = filterable.iter().map(|(k, v)| k.len() + size(v)).sum();
        if filterable_bytes > MAX_FILTERABLE_METADATA_BYTES {
            return Err(MetadataError::FilterableTooLarge(filterable_bytes));
        }
        let total = filterable_bytes + rest.iter().map(|(k, v)| k.len() + size(v)).sum::<usize>();
        if total > MAX_METADATA_BYTES {
            return Err(MetadataError::TooLarge(total));
        }
        debug_assert!(FILTERABLE_KEYS.len() + NON_FILTERABLE_KEYS.len() <= MAX_METADATA_KEYS);
        let map: HashMap<String, Document> = filterable
            .into_iter()
            .chain(rest)
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Ok(Document::Object(map))
    }
}

fn text(value: &str) -> Document {
    Document::String(value.to_string())
}

fn int(value: i64) -> Document {
    if value >= 0 {
        Document::Number(Number::PosInt(value as u64))
    } else {
        Document::Number(Number::NegInt(value))
    }
}

/// The bytes a value counts for.
fn size(value: &Document) -> usize {
    match value {
        Document::String(s) => s.len(),
        Document::Number(n) => match n {
            Number::PosInt(v) => v.to_string().len(),
            Number::NegInt(v) => v.to_string().len(),
            Number::Float(v) => v.to_string().len(),
        },
        Document::Bool(_) => 5,
        Document::Null => 4,
        Document::Array(items) => items.iter().map(size).sum(),
        Document::Object(map) => map.iter().map(|(k, v)| k.len() + size(v)).sum(),
    }
}

/// A metadata document as JSON (for outputs and the CLI).
pub fn to_json(document: &Document) -> serde_json::Value {
    use serde_json::Value;
    match document {
        Document::String(s) => Value::String(s.clone()),
        Document::Number(Number::PosInt(v)) => Value::from(*v),
        Document::Number(Number::NegInt(v)) => Value::from(*v),
        Document::Number(Number::Float(v)) => {
            serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number)
        }
        Document::Bool(b) => Value::Bool(*b),
        Document::Null => Value::Null,
        Document::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Document::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), to_json(&map[k])))
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sale(image_url: &str) -> SaleMetadata<'_> {
        SaleMetadata {
            tenant_id: "t1",
            product_id: "p9",
            sold_at: "2026-11-23T14:03:00Z".into(),
            quantity: 2,
            price_cents: 1999,
            currency: "EUR",
            image_url,
            export_date: "2026-11-23".into(),
        }
    }

    #[test]
    fn metadata_splits_into_the_documented_keys() {
        let doc = sale("s3://b/i.png").document().unwrap();
        assert_eq!(
            to_json(&doc),
            json!({"currency": "EUR", "export_date": "2026-11-23", "image_url": "s3://b/i.png",
                   "price_cents": 1999, "product_id": "p9", "quantity": 2,
                   "sold_at": "2026-11-23T14:03:00Z", "sold_date": "2026-11-23", "tenant_id": "t1"})
        );
        assert!(NON_FILTERABLE_KEYS.len() <= crate::limits::MAX_NON_FILTERABLE_KEYS);
    }

    #[test]
    fn oversized_metadata_is_refused() {
        let long = "x".repeat(MAX_METADATA_BYTES);
        assert!(matches!(
            sale(&long).document(),
            Err(MetadataError::TooLarge(_))
        ));
        let mut big = sale("u");
        let product = "p".repeat(MAX_FILTERABLE_METADATA_BYTES);
        big.product_id = &product;
        assert!(matches!(
            big.document(),
            Err(MetadataError::FilterableTooLarge(_))
        ));
    }
}
