//! `stepwise-lake`: the analytics lake the pipelines write — the sale record
//! ([`Sale`]), the Hive-style partition keys ([`partition_key`]) and the Parquet encoder
//! ([`encode_partition`]). daily-sales-export writes it today; product-sold-sync writes
//! the same record next, so the schema is spelled once, here.
//!
//! This crate does no I/O (the activities put the bytes in S3) and knows no pipeline.
//! The width of the `embedding` column is [`stepwise_embeddings::EMBEDDING_DIM`].

mod encode;
mod keys;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use encode::{
    DATA_PAGE_BYTES, DICTIONARY_COLUMNS, EMBEDDING_ELEMENT, ENCODE_CHUNK_ROWS, EncodeError,
    NO_STATISTICS_COLUMNS, PARQUET_CONTENT_TYPE, ROW_GROUP_ROWS, ZSTD_LEVEL, encode_partition,
    partition_batch, partition_schema, writer_properties,
};
pub use keys::{join_prefix, partition_key};

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
