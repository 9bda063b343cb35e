//! What the daily-sales-export activities share: the sale record, the export request and
//! window, the S3 key layout, and the embedding vector format.
//!
//! Everything that more than one activity (or the workflow) must agree on lives here, so
//! a key or a field is spelled once. No I/O happens in this module.

mod keys;
mod vector;
mod window;

pub use keys::{manifest_key, partition_key, run_prefix, vector_key};
pub use vector::{EMBEDDING_DIM, VectorError, decode_vector, encode_vector};
pub use window::{ExportRequest, ExportWindow, export_window};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One sale, as read from the SmartGo database and written to the manifest (one JSON
/// object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sale {
    /// The sale's id (unique across tenants).
    pub sale_id: String,
    /// The tenant (shop) that made the sale.
    pub tenant_id: String,
    /// The product sold.
    pub product_id: String,
    /// When it was sold, RFC 3339 in UTC (`2026-11-23T14:03:00Z`).
    pub sold_at: String,
    /// Units sold.
    pub quantity: i64,
    /// Price of one unit, in cents of `currency`.
    pub unit_price_cents: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The product image: `s3://bucket/key` or `https://...`.
    pub image_url: String,
}
