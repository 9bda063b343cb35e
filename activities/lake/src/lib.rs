//! `stepwise-lake`: the analytics lake the pipelines write — the sale record
//! ([`Sale`]), the Hive-style partition keys ([`partition_key`]) and the Parquet encoder
//! ([`encode_partition`]) of daily-sales-export's `smartgo_sales`; and product-sold-sync's
//! `sales_history` row ([`SoldSale`], [`encode_sold`], [`decode_sold`]), whose columns
//! shared with `smartgo_sales` take their types from it, so the schema is spelled once, here.
//!
//! This crate does no I/O (the activities put the bytes in S3) and knows no pipeline.
//! The width of the `embedding` column is [`stepwise_embeddings::EMBEDDING_DIM`].

mod encode;
mod keys;
mod sold;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use encode::{
    DATA_PAGE_BYTES, DICTIONARY_COLUMNS, EMBEDDING_ELEMENT, ENCODE_CHUNK_ROWS, EncodeError,
    NO_STATISTICS_COLUMNS, PARQUET_CONTENT_TYPE, ROW_GROUP_ROWS, ZSTD_LEVEL, encode_partition,
    encode_partition_until, partition_batch, partition_schema, writer_properties,
};
pub use keys::{join_prefix, partition_key};
pub use sold::{
    COMPACTED_PREFIX, SALES_HISTORY_DATASET, SoldError, SoldSale, compacted_object_key,
    decode_sold, encode_sale_object, encode_sold, sale_object_key, sale_object_properties,
    sales_history_partition, sold_batch, sold_schema,
};

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
