//! The Parquet encoding of one lake partition: the Arrow schema, the writer settings, and
//! [`encode_partition`], the CPU-bound step WritePartition runs on a blocking thread (and
//! the benchmark calls directly).
//!
//! # The file
//!
//! | column | Arrow type | notes |
//! | --- | --- | --- |
//! | `sale_id` | `Utf8` | unique: plain encoding |
//! | `tenant_id` | `Utf8` | dictionary encoded |
//! | `product_id` | `Utf8` | dictionary encoded |
//! | `sold_at` | `Timestamp(Microsecond, "UTC")` | |
//! | `quantity` | `Int64` | |
//! | `unit_price_cents` | `Int64` | |
//! | `currency` | `Utf8` | dictionary encoded |
//! | `image_url` | `Utf8` | |
//! | `export_date` | `Date32` | |
//! | `embedding` | `FixedSizeList<Float32, 1024>` | no statistics, no dictionary |
//!
//! Every column is non-null. Pages are zstd-compressed at level [`ZSTD_LEVEL`] (parquet-rs'
//! own default, stated explicitly so the benchmark can give pyarrow the same). Statistics
//! are kept per column chunk for the scalar columns (what query engines prune on) and
//! skipped for the embedding, whose min/max across 1024 random components prunes nothing
//! and costs a comparison per float. The Arrow schema is stored in the file, so readers
//! get the fixed-size list back rather than a plain list.
//!
//! # Sizes, and why
//!
//! Row groups hold [`ROW_GROUP_ROWS`] rows (about 16 MiB of compressed embeddings) and
//! data pages [`DATA_PAGE_BYTES`]; rows are handed to the writer [`ENCODE_CHUNK_ROWS`] at
//! a time. The Arrow writer keeps a whole row group's encoded pages in memory before it
//! appends them to the file, and computes the list's repetition and definition levels
//! per batch (two `i16` per float), so these sizes bound the memory an encode holds
//! besides the file itself. They are also what made it fast: profiling the first
//! version (row groups of 32,768 rows, 1 MiB pages, 4,096-row batches) showed a third of
//! the time in page faults — the system allocator returning each large, short-lived
//! buffer to the kernel and faulting fresh pages in for the next. With smaller buffers
//! freed sooner, memory is reused instead (`tests/benches/parquet_vs_pyarrow.rs` has the
//! numbers).
//!
//! This module does no I/O.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, FixedSizeListArray, Float32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use chrono::{DateTime, Datelike, NaiveDate};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

use crate::sales::{EMBEDDING_DIM, Sale};

/// The zstd level of every page (parquet-rs' default, set explicitly).
pub const ZSTD_LEVEL: i32 = 1;
/// The most rows in one row group: about 16 MiB of embeddings.
pub const ROW_GROUP_ROWS: usize = 4096;
/// The target size of one data page, in bytes (256 KiB).
pub const DATA_PAGE_BYTES: usize = 256 * 1024;
/// The columns written with dictionary encoding: low-cardinality strings.
pub const DICTIONARY_COLUMNS: &[&str] = &["tenant_id", "product_id", "currency"];
/// The columns without statistics: the embedding (its leaf column).
pub const NO_STATISTICS_COLUMNS: &[&str] = &["embedding"];
/// The name of the embedding list's element field (Parquet's LIST convention).
pub const EMBEDDING_ELEMENT: &str = "element";
/// The `Content-Type` of a Parquet object.
pub const PARQUET_CONTENT_TYPE: &str = "application/vnd.apache.parquet";

/// How many rows go to the Parquet writer at a time: one batch holds 1 MiB of
/// embeddings, and its level buffers stay small enough to be reused.
pub const ENCODE_CHUNK_ROWS: usize = 256;
/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Why a partition could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A sale's `sold_at` is not an RFC 3339 timestamp.
    #[error("sale {sale_id}: sold_at \"{value}\" is not an RFC 3339 timestamp")]
    SoldAt {
        /// The sale.
        sale_id: String,
        /// The value found.
        value: String,
    },
    /// An embedding of the wrong length.
    #[error("sale {sale_id}: the embedding has {found} components, expected {EMBEDDING_DIM}")]
    EmbeddingLength {
        /// The sale.
        sale_id: String,
        /// How many components it has.
        found: usize,
    },
    /// Arrow refused the arrays (a bug: the schema and the arrays disagree).
    #[error("building the Arrow batch: {0}")]
    Arrow(#[from] ArrowError),
    /// The Parquet writer failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] ParquetError),
}

/// The embedding list's element field: `element: float` (nullable in the schema, as
/// Parquet's LIST convention and pyarrow spell it; no value is ever null).
fn embedding_element() -> FieldRef {
    Arc::new(Field::new(EMBEDDING_ELEMENT, DataType::Float32, true))
}

/// The Arrow schema of a lake partition (see the [module docs](self)).
pub fn partition_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        text("sale_id"),
        text("tenant_id"),
        text("product_id"),
        Field::new(
            "sold_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("quantity", DataType::Int64, false),
        Field::new("unit_price_cents", DataType::Int64, false),
        text("currency"),
        text("image_url"),
        Field::new("export_date", DataType::Date32, false),
        Field::new(
            "embedding",
            DataType::FixedSizeList(embedding_element(), EMBEDDING_DIM as i32),
            false,
        ),
    ]))
}

/// The Parquet writer settings of a lake partition.
pub fn writer_properties() -> WriterProperties {
    let level = ZstdLevel::try_new(ZSTD_LEVEL).unwrap_or_default();
    let mut builder = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_size_limit(DATA_PAGE_BYTES)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::Chunk);
    for column in DICTIONARY_COLUMNS {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(*column), true);
    }
    for column in NO_STATISTICS_COLUMNS {
        builder = builder.set_column_statistics_enabled(
            ColumnPath::new(vec![
                (*column).to_string(),
                "list".to_string(),
                EMBEDDING_ELEMENT.to_string(),
            ]),
            EnabledStatistics::None,
        );
    }
    builder.build()
}

/// `export_date` as Arrow's `Date32`: days since 1970-01-01.
fn date32(export_date: NaiveDate) -> i32 {
    export_date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

/// One Arrow batch of sales and their embeddings, all stamped with `export_date`.
///
/// The embeddings are copied into one contiguous `Float32` buffer (no per-row
/// allocation); the strings go straight into Arrow's value buffers.
///
/// # Errors
/// [`EncodeError::SoldAt`] or [`EncodeError::EmbeddingLength`] naming the first bad row.
pub fn partition_batch(
    rows: &[(Sale, Vec<f32>)],
    export_date: NaiveDate,
) -> Result<RecordBatch, EncodeError> {
    let mut sold_at = Vec::with_capacity(rows.len());
    let mut values = Vec::with_capacity(rows.len() * EMBEDDING_DIM);
    for (sale, embedding) in rows {
        let at = DateTime::parse_from_rfc3339(&sale.sold_at).map_err(|_| EncodeError::SoldAt {
            sale_id: sale.sale_id.clone(),
            value: sale.sold_at.clone(),
        })?;
        sold_at.push(at.timestamp_micros());
        if embedding.len() != EMBEDDING_DIM {
            return Err(EncodeError::EmbeddingLength {
                sale_id: sale.sale_id.clone(),
                found: embedding.len(),
            });
        }
        values.extend_from_slice(embedding);
    }
    let text = |f: fn(&Sale) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|(s, _)| f(s)),
        ))
    };
    let int = |f: fn(&Sale) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(s, _)| f(s))))
    };
    let embeddings = FixedSizeListArray::try_new(
        embedding_element(),
        EMBEDDING_DIM as i32,
        Arc::new(Float32Array::from(values)),
        None,
    )?;
    let columns: Vec<ArrayRef> = vec![
        text(|s| &s.sale_id),
        text(|s| &s.tenant_id),
        text(|s| &s.product_id),
        Arc::new(TimestampMicrosecondArray::from(sold_at).with_timezone("UTC")),
        int(|s| s.quantity),
        int(|s| s.unit_price_cents),
        text(|s| &s.currency),
        text(|s| &s.image_url),
        Arc::new(Date32Array::from(vec![date32(export_date); rows.len()])),
        Arc::new(embeddings),
    ];
    Ok(RecordBatch::try_new(partition_schema(), columns)?)
}

/// Encodes sales and their embeddings as one Parquet file (see the [module
/// docs](self)), returning its bytes. Rows keep their order. CPU-bound: call it from a
/// blocking thread.
///
/// # Errors
/// A bad row (see [`partition_batch`]), or the Parquet writer's failure.
pub fn encode_partition(
    rows: &[(Sale, Vec<f32>)],
    export_date: NaiveDate,
) -> Result<Vec<u8>, EncodeError> {
    let mut writer =
        ArrowWriter::try_new(Vec::new(), partition_schema(), Some(writer_properties()))?;
    for chunk in rows.chunks(ENCODE_CHUNK_ROWS) {
        writer.write(&partition_batch(chunk, export_date)?)?;
    }
    Ok(writer.into_inner()?)
}

/// Encodes a batch already built with [`partition_batch`] (the benchmark's
/// like-for-like comparison with pyarrow writing the same table).
///
/// # Errors
/// The Parquet writer's failure (a batch of another schema included).
pub fn encode_batch(batch: &RecordBatch) -> Result<Vec<u8>, EncodeError> {
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(writer_properties()))?;
    let mut offset = 0;
    while offset < batch.num_rows() {
        let len = ENCODE_CHUNK_ROWS.min(batch.num_rows() - offset);
        writer.write(&batch.slice(offset, len))?;
        offset += len;
    }
    Ok(writer.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale(id: &str, sold_at: &str) -> Sale {
        Sale {
            sale_id: id.into(),
            tenant_id: "acme".into(),
            product_id: "P-1".into(),
            sold_at: sold_at.into(),
            quantity: 2,
            unit_price_cents: 1999,
            currency: "EUR".into(),
            image_url: "s3://images/p1.jpg".into(),
        }
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 9).expect("a date")
    }

    #[test]
    fn date32_counts_days_since_1970() {
        assert_eq!(
            date32(NaiveDate::from_ymd_opt(1970, 1, 1).expect("date")),
            0
        );
        assert_eq!(
            date32(NaiveDate::from_ymd_opt(1970, 1, 2).expect("date")),
            1
        );
        assert_eq!(date32(date()), 20_521);
    }

    #[test]
    fn the_batch_has_the_schema_and_one_contiguous_embedding_buffer() {
        let rows = vec![
            (
                sale("S-1", "2026-03-09T10:00:00Z"),
                vec![0.5; EMBEDDING_DIM],
            ),
            (
                sale("S-2", "2026-03-09T12:00:00+02:00"),
                vec![0.25; EMBEDDING_DIM],
            ),
        ];
        let batch = partition_batch(&rows, date()).expect("a batch");
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), partition_schema());
        let sold_at = batch
            .column(3)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .expect("timestamps");
        // 12:00+02:00 is 10:00Z: the same instant as the first sale.
        assert_eq!(sold_at.value(0), sold_at.value(1));
        let embeddings = batch
            .column(9)
            .as_any()
            .downcast_ref::<FixedSizeListArray>()
            .expect("a fixed-size list");
        assert_eq!(embeddings.values().len(), 2 * EMBEDDING_DIM);
    }

    #[test]
    fn bad_rows_are_typed_errors() {
        let rows = vec![(sale("S-1", "yesterday"), vec![0.0; EMBEDDING_DIM])];
        assert!(matches!(
            encode_partition(&rows, date()),
            Err(EncodeError::SoldAt { sale_id, .. }) if sale_id == "S-1"
        ));
        let rows = vec![(sale("S-2", "2026-03-09T10:00:00Z"), vec![0.0; 3])];
        assert!(matches!(
            encode_partition(&rows, date()),
            Err(EncodeError::EmbeddingLength { found: 3, .. })
        ));
    }

    #[test]
    fn encodes_a_parquet_file() {
        let rows: Vec<_> = (0..5000)
            .map(|i| {
                (
                    sale(&format!("S-{i}"), "2026-03-09T10:00:00Z"),
                    vec![i as f32; EMBEDDING_DIM],
                )
            })
            .collect();
        let bytes = encode_partition(&rows, date()).expect("a file");
        assert_eq!(&bytes[..4], b"PAR1");
        assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
        // An empty partition is still a valid file.
        let empty = encode_partition(&[], date()).expect("an empty file");
        assert_eq!(&empty[..4], b"PAR1");
    }
}
