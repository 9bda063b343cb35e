//! The `sales_history` dataset: one row per Carousel sale (product-sold-sync), its S3 key
//! layout, and its Parquet encoding and decoding (one row per object as written, many
//! after the daily compaction).
//!
//! The columns it shares with daily-sales-export's `smartgo_sales` (`sale_id`,
//! `tenant_id`, `product_id`, `unit_price_cents`, `embedding`) are taken from
//! [`partition_schema`](crate::partition_schema) by name, so the two datasets spell them
//! the same way; `embedding` is nullable here (a Carousel event may carry none).
//!
//! | column | Arrow type |
//! | --- | --- |
//! | `sale_id`, `tenant_id`, `product_id` | `Utf8` (shared) |
//! | `event_id` | `Utf8` |
//! | `sold_date` | `Date32` |
//! | `listed_date` | `Date32`, nullable |
//! | `unit_price_cents` | `Int64` (shared: the sale price) |
//! | `listed_price_cents` | `Int64` |
//! | `discount_percent` | `Float64` |
//! | `days_to_sell` | `Int32` |
//! | `quarter`, `season`, `category`, `brand`, `condition`, `description`, `image_s3_key`, `embedding_id`, `vendor_id` | `Utf8` |
//! | `embedding` | `FixedSizeList<Float32, 1024>`, nullable (shared type) |
//!
//! Encoding is deterministic: the same rows give the same bytes, so a redelivered sale
//! rewrites its object identically. This module does no I/O.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, FixedSizeListArray, Float32Array, Float64Array,
    Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Field, Float32Type, Float64Type, Int32Type, Int64Type, Schema, SchemaRef,
};
use chrono::{Datelike, NaiveDate};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_embeddings::EMBEDDING_DIM;

use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::encode::{
    DICTIONARY_COLUMNS, EMBEDDING_ELEMENT, EncodeError, ZSTD_LEVEL, partition_schema,
    writer_properties,
};
use crate::keys::join_prefix;

/// The dataset's directory under the lake prefix.
pub const SALES_HISTORY_DATASET: &str = "sales_history";
/// The file-name prefix of a compacted object (per-sale objects are `<sale_id>.parquet`).
pub const COMPACTED_PREFIX: &str = "compacted-";
/// Days from 0001-01-01 to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// One Carousel sale as the lake stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SoldSale {
    /// The sale's id (the event's `saleId`, or one derived from the event id).
    pub sale_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The product sold.
    pub product_id: String,
    /// The EventBridge event id that carried it.
    pub event_id: String,
    /// The day it sold, `YYYY-MM-DD`.
    pub sold_date: String,
    /// The day it was listed, when the event says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_date: Option<String>,
    /// The sale price, in cents.
    pub unit_price_cents: i64,
    /// The listed price, in cents.
    pub listed_price_cents: i64,
    /// `(listed - sold) / listed × 100`, rounded to two decimals (0 when listed is 0).
    pub discount_percent: f64,
    /// Days from listing to sale.
    pub days_to_sell: i32,
    /// `YYYY-Qn` of the sale.
    pub quarter: String,
    /// The meteorological season of the sale (northern hemisphere).
    pub season: String,
    /// Product category.
    pub category: String,
    /// Brand.
    pub brand: String,
    /// Condition (`new`, `used`, ...).
    pub condition: String,
    /// Product description.
    pub description: String,
    /// The product image's S3 key.
    pub image_s3_key: String,
    /// The embedding's id.
    pub embedding_id: String,
    /// The vendor.
    pub vendor_id: String,
    /// The image embedding (1024 floats), when the event carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
}

/// Why a `sales_history` object could not be encoded or read.
#[derive(Debug, thiserror::Error)]
pub enum SoldError {
    /// A date column holds something that is not `YYYY-MM-DD`.
    #[error("sale {sale_id}: {field} \"{value}\" is not a YYYY-MM-DD date")]
    Date {
        /// The sale.
        sale_id: String,
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// Encoding failed (also: an embedding of the wrong length).
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The object is not a `sales_history` Parquet file of this schema.
    #[error("not a sales_history file: {0}")]
    Schema(String),
}

impl From<arrow::error::ArrowError> for SoldError {
    fn from(e: arrow::error::ArrowError) -> Self {
        SoldError::Encode(EncodeError::Arrow(e))
    }
}

impl From<parquet::errors::ParquetError> for SoldError {
    fn from(e: parquet::errors::ParquetError) -> Self {
        SoldError::Encode(EncodeError::Parquet(e))
    }
}

/// The directory of one tenant and month:
/// `<lake>/sales_history/tenant_id=T/year=YYYY/month=MM/`.
pub fn sales_history_partition(
    lake_prefix: &str,
    tenant_id: &str,
    year: i32,
    month: u32,
) -> String {
    join_prefix(
        lake_prefix,
        &format!("{SALES_HISTORY_DATASET}/tenant_id={tenant_id}/year={year:04}/month={month:02}/"),
    )
}

/// The per-sale object: `<partition>/<sale_id>.parquet` (deterministic, so a redelivery
/// rewrites the same key).
pub fn sale_object_key(
    lake_prefix: &str,
    tenant_id: &str,
    sold_date: NaiveDate,
    sale_id: &str,
) -> String {
    format!(
        "{}{sale_id}.parquet",
        sales_history_partition(lake_prefix, tenant_id, sold_date.year(), sold_date.month())
    )
}

/// The compacted object of `day` in a partition: `<partition>/compacted-<day>.parquet`.
pub fn compacted_object_key(partition: &str, day: NaiveDate) -> String {
    format!("{partition}{COMPACTED_PREFIX}{day}.parquet")
}

/// The Arrow schema of a `sales_history` file (see the module docs).
pub fn sold_schema() -> SchemaRef {
    let shared = partition_schema();
    let take = |name: &str| -> Field {
        shared
            .field_with_name(name)
            .cloned()
            .unwrap_or_else(|_| Field::new(name, DataType::Utf8, false))
    };
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        take("sale_id"),
        take("tenant_id"),
        take("product_id"),
        text("event_id"),
        Field::new("sold_date", DataType::Date32, false),
        Field::new("listed_date", DataType::Date32, true),
        take("unit_price_cents"),
        Field::new("listed_price_cents", DataType::Int64, false),
        Field::new("discount_percent", DataType::Float64, false),
        Field::new("days_to_sell", DataType::Int32, false),
        text("quarter"),
        text("season"),
        text("category"),
        text("brand"),
        text("condition"),
        text("description"),
        text("image_s3_key"),
        text("embedding_id"),
        text("vendor_id"),
        take("embedding").with_nullable(true),
    ]))
}

fn date32(sale: &SoldSale, field: &'static str, value: &str) -> Result<i32, SoldError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|d| d.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
        .map_err(|_| SoldError::Date {
            sale_id: sale.sale_id.clone(),
            field,
            value: value.to_string(),
        })
}

fn from_date32(days: i32) -> String {
    NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_DAYS_FROM_CE)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// The rows as one Arrow batch of [`sold_schema`], in their order.
///
/// # Errors
/// A bad date or an embedding of the wrong length, naming the sale.
pub fn sold_batch(rows: &[SoldSale]) -> Result<RecordBatch, SoldError> {
    let mut sold = Vec::with_capacity(rows.len());
    let mut listed = Vec::with_capacity(rows.len());
    let mut values = Vec::new();
    let mut valid = Vec::with_capacity(rows.len());
    for sale in rows {
        sold.push(date32(sale, "sold_date", &sale.sold_date)?);
        listed.push(match &sale.listed_date {
            Some(d) => Some(date32(sale, "listed_date", d)?),
            None => None,
        });
        match &sale.embedding {
            Some(e) if e.len() != EMBEDDING_DIM => {
                return Err(EncodeError::EmbeddingLength {
                    sale_id: sale.sale_id.clone(),
                    found: e.len(),
                }
                .into());
            }
            Some(e) => {
                values.extend_from_slice(e);
                valid.push(true);
            }
            None => {
                values.extend(std::iter::repeat_n(0.0f32, EMBEDDING_DIM));
                valid.push(false);
            }
        }
    }
    let text = |f: fn(&SoldSale) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let element = match sold_schema().field_with_name("embedding")?.data_type() {
        DataType::FixedSizeList(element, _) => element.clone(),
        other => return Err(SoldError::Schema(format!("embedding is {other}"))),
    };
    let embeddings = FixedSizeListArray::try_new(
        element,
        EMBEDDING_DIM as i32,
        Arc::new(Float32Array::from(values)),
        Some(valid.into()),
    )?;
    let columns: Vec<ArrayRef> = vec![
        text(|s| &s.sale_id),
        text(|s| &s.tenant_id),
        text(|s| &s.product_id),
        text(|s| &s.event_id),
        Arc::new(Date32Array::from(sold)),
        Arc::new(Date32Array::from(listed)),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|s| s.unit_price_cents),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|s| s.listed_price_cents),
        )),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|s| s.discount_percent),
        )),
        Arc::new(Int32Array::from_iter_values(
            rows.iter().map(|s| s.days_to_sell),
        )),
        text(|s| &s.quarter),
        text(|s| &s.season),
        text(|s| &s.category),
        text(|s| &s.brand),
        text(|s| &s.condition),
        text(|s| &s.description),
        text(|s| &s.image_s3_key),
        text(|s| &s.embedding_id),
        text(|s| &s.vendor_id),
        Arc::new(embeddings),
    ];
    Ok(RecordBatch::try_new(sold_schema(), columns)?)
}

/// Encodes rows as one Parquet file with the lake's writer settings (zstd, dictionary
/// tenant and product ids, no statistics on the embedding). Deterministic.
///
/// # Errors
/// As [`sold_batch`], or the Parquet writer's failure.
pub fn encode_sold(rows: &[SoldSale]) -> Result<Vec<u8>, SoldError> {
    let batch = sold_batch(rows)?;
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, sold_schema(), Some(writer_properties()))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}

/// The writer settings of a per-sale object (one row, see [`encode_sale_object`]): the
/// lake's settings with the scalar columns uncompressed and without dictionaries; only
/// the embedding's leaf column is zstd-compressed (as in [`writer_properties`]).
///
/// Why: parquet's writer gives every column chunk a zstd compression and decompression
/// context of its own, and for one row that setup is the writer's largest cost
/// (22 column chunks, about a tenth of the benchmark process's CPU), while zstd makes a
/// one-value page *larger* (its frame header outweighs what it saves on a few bytes);
/// a one-row dictionary is a second page holding the same value.
pub fn sale_object_properties() -> WriterProperties {
    let level = ZstdLevel::try_new(ZSTD_LEVEL).unwrap_or_default();
    let embedding = ColumnPath::new(vec![
        "embedding".to_string(),
        "list".to_string(),
        EMBEDDING_ELEMENT.to_string(),
    ]);
    let mut builder = writer_properties()
        .into_builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false);
    for column in DICTIONARY_COLUMNS {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(*column), false);
    }
    builder
        .set_column_compression(embedding, Compression::ZSTD(level))
        .build()
}

/// Encodes one sale as its own Parquet object with [`sale_object_properties`]: the same
/// schema and rows as [`encode_sold`] writes (readers, [`decode_sold`] and the
/// compaction get the same row back), cheaper to write for one row. Deterministic.
///
/// # Errors
/// As [`encode_sold`].
pub fn encode_sale_object(row: &SoldSale) -> Result<Vec<u8>, SoldError> {
    let batch = sold_batch(std::slice::from_ref(row))?;
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, sold_schema(), Some(sale_object_properties()))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, SoldError> {
    batch
        .column_by_name(name)
        .ok_or_else(|| SoldError::Schema(format!("no column {name}")))
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray, SoldError> {
    column(batch, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| SoldError::Schema(format!("column {name} is not Utf8")))
}

/// Reads every row of a `sales_history` Parquet file (bytes or any other chunk reader).
///
/// # Errors
/// [`SoldError::Schema`] when a column is missing or of another type; the reader's error.
pub fn decode_sold<R: ChunkReader + 'static>(file: R) -> Result<Vec<SoldSale>, SoldError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch?;
        let prim =
            |name: &str| -> Result<ArrayRef, SoldError> { Ok(column(&batch, name)?.clone()) };
        let sold = prim("sold_date")?;
        let sold = sold
            .as_primitive_opt::<Date32Type>()
            .ok_or_else(|| SoldError::Schema("sold_date is not Date32".into()))?;
        let listed = prim("listed_date")?;
        let listed = listed
            .as_primitive_opt::<Date32Type>()
            .ok_or_else(|| SoldError::Schema("listed_date is not Date32".into()))?;
        let unit = prim("unit_price_cents")?;
        let unit = unit
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| SoldError::Schema("unit_price_cents is not Int64".into()))?;
        let listed_price = prim("listed_price_cents")?;
        let listed_price = listed_price
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| SoldError::Schema("listed_price_cents is not Int64".into()))?;
        let discount = prim("discount_percent")?;
        let discount = discount
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| SoldError::Schema("discount_percent is not Float64".into()))?;
        let days = prim("days_to_sell")?;
        let days = days
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| SoldError::Schema("days_to_sell is not Int32".into()))?;
        let embedding = column(&batch, "embedding")?
            .as_fixed_size_list_opt()
            .ok_or_else(|| SoldError::Schema("embedding is not a fixed-size list".into()))?;
        let floats = embedding
            .values()
            .as_primitive_opt::<Float32Type>()
            .ok_or_else(|| SoldError::Schema("embedding elements are not Float32".into()))?;
        let names = [
            "sale_id",
            "tenant_id",
            "product_id",
            "event_id",
            "quarter",
            "season",
            "category",
            "brand",
            "condition",
            "description",
            "image_s3_key",
            "embedding_id",
            "vendor_id",
        ];
        let mut text = Vec::with_capacity(names.len());
        for name in names {
            text.push(strings(&batch, name)?);
        }
        for i in 0..batch.num_rows() {
            let t = |k: usize| text[k].value(i).to_string();
            rows.push(SoldSale {
                sale_id: t(0),
                tenant_id: t(1),
                product_id: t(2),
                event_id: t(3),
                sold_date: from_date32(sold.value(i)),
                listed_date: listed.is_valid(i).then(|| from_date32(listed.value(i))),
                unit_price_cents: unit.value(i),
                listed_price_cents: listed_price.value(i),
                discount_percent: discount.value(i),
                days_to_sell: days.value(i),
                quarter: t(4),
                season: t(5),
                category: t(6),
                brand: t(7),
                condition: t(8),
                description: t(9),
                image_s3_key: t(10),
                embedding_id: t(11),
                vendor_id: t(12),
                embedding: embedding.is_valid(i).then(|| {
                    let start = i * EMBEDDING_DIM;
                    floats.values()[start..start + EMBEDDING_DIM].to_vec()
                }),
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale(id: &str, embedding: Option<Vec<f32>>) -> SoldSale {
        SoldSale {
            sale_id: id.into(),
            tenant_id: "acme".into(),
            product_id: "P-1".into(),
            event_id: "e-1".into(),
            sold_date: "2026-11-30".into(),
            listed_date: Some("2026-11-02".into()),
            unit_price_cents: 8_999,
            listed_price_cents: 12_000,
            discount_percent: 25.01,
            days_to_sell: 28,
            quarter: "2026-Q4".into(),
            season: "autumn".into(),
            category: "jackets".into(),
            brand: "Acme".into(),
            condition: "used".into(),
            description: "a jacket".into(),
            image_s3_key: "products/P-1/front.jpg".into(),
            embedding_id: "emb-1".into(),
            vendor_id: "V-1".into(),
            embedding,
        }
    }

    #[test]
    fn rows_round_trip_and_encode_identically() {
        let rows = vec![
            sale(
                "S-1",
                Some((0..EMBEDDING_DIM).map(|i| i as f32 / 7.0).collect()),
            ),
            SoldSale {
                listed_date: None,
                ..sale("S-2", None)
            },
        ];
        let bytes = encode_sold(&rows).unwrap();
        assert_eq!(bytes, encode_sold(&rows).unwrap(), "deterministic bytes");
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        let back = decode_sold(file).unwrap();
        assert_eq!(back, rows);
    }

    #[test]
    fn a_sale_object_reads_back_as_its_row_and_only_the_embedding_is_compressed() {
        let with = sale(
            "S-1",
            Some((0..EMBEDDING_DIM).map(|i| i as f32 / 7.0).collect()),
        );
        let without = SoldSale {
            listed_date: None,
            ..sale("S-2", None)
        };
        for row in [with, without] {
            let bytes = encode_sale_object(&row).unwrap();
            assert_eq!(
                bytes,
                encode_sale_object(&row).unwrap(),
                "deterministic bytes"
            );
            assert!(
                bytes.len() < encode_sold(std::slice::from_ref(&row)).unwrap().len(),
                "a one-row object is smaller without per-column zstd and dictionaries"
            );
            let file = || {
                let mut file = tempfile::tempfile().unwrap();
                std::io::Write::write_all(&mut file, &bytes).unwrap();
                file
            };
            assert_eq!(decode_sold(file()).unwrap(), vec![row.clone()]);
            let reader = parquet::file::reader::SerializedFileReader::new(file()).unwrap();
            let meta = parquet::file::reader::FileReader::metadata(&reader);
            let group = meta.row_group(0);
            for chunk in group.columns() {
                let path = chunk.column_path().string();
                let expected = if path.starts_with("embedding.") {
                    Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).unwrap())
                } else {
                    Compression::UNCOMPRESSED
                };
                // The file stores the codec, not its level.
                assert_eq!(
                    std::mem::discriminant(&chunk.compression()),
                    std::mem::discriminant(&expected),
                    "{path}"
                );
                assert!(chunk.dictionary_page_offset().is_none(), "{path}");
            }
        }
    }

    #[test]
    fn shared_columns_have_the_smartgo_types() {
        let sold = sold_schema();
        let smartgo = partition_schema();
        for name in ["sale_id", "tenant_id", "product_id", "unit_price_cents"] {
            assert_eq!(
                sold.field_with_name(name).unwrap(),
                smartgo.field_with_name(name).unwrap()
            );
        }
        assert_eq!(
            sold.field_with_name("embedding").unwrap().data_type(),
            smartgo.field_with_name("embedding").unwrap().data_type()
        );
    }

    #[test]
    fn a_wrong_embedding_or_date_names_the_sale() {
        let err = encode_sold(&[sale("S-9", Some(vec![1.0; 3]))]).unwrap_err();
        assert!(err.to_string().contains("S-9"), "{err}");
        let bad = SoldSale {
            sold_date: "30/11/2026".into(),
            ..sale("S-8", None)
        };
        let err = encode_sold(&[bad]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sale S-8: sold_date \"30/11/2026\" is not a YYYY-MM-DD date"
        );
    }

    #[test]
    fn keys_follow_the_hive_layout() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            sale_object_key("pricing-intelligence", "acme", d, "S-1"),
            "pricing-intelligence/sales_history/tenant_id=acme/year=2026/month=03/S-1.parquet"
        );
        let p = sales_history_partition("pricing-intelligence/", "acme", 2026, 3);
        assert_eq!(
            compacted_object_key(&p, d),
            "pricing-intelligence/sales_history/tenant_id=acme/year=2026/month=03/compacted-2026-03-09.parquet"
        );
    }
}
