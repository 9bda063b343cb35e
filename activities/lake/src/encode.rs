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
//! # How it is written, and why
//!
//! [`encode_partition`] writes the file column by column with parquet's
//! [`SerializedFileWriter`], straight from the rows: strings go into one buffer per
//! column and row group (values are slices of it), the embeddings of
//! [`ENCODE_CHUNK_ROWS`] rows at a time are gathered into one reused `f32` buffer, and
//! the list's repetition and definition levels are constant patterns built once per
//! file. The Parquet schema and the stored Arrow schema come from [`partition_schema`]
//! through parquet's own Arrow converter, so the file is what parquet's `ArrowWriter`
//! would write for [`partition_batch`] of the same rows — readers get the same table
//! back (a test checks it).
//!
//! The first version built Arrow batches and used `ArrowWriter`; profiling it on 10,000
//! rows showed a third of the time in page faults (large, short-lived buffers — the
//! batches, per-batch level arrays, a row group's pages held in memory and then copied
//! into the file — returned to the kernel by the system allocator and faulted in
//! again), and a seventh in computing level arrays that are the same for every row.
//! Writing columns directly avoids all of them and takes about two thirds of the time
//! (`tests/benches/parquet_vs_pyarrow.rs` has the numbers). Row groups hold
//! [`ROW_GROUP_ROWS`] rows (about 16 MiB of compressed embeddings) and data pages
//! [`DATA_PAGE_BYTES`].
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
use parquet::arrow::{ArrowSchemaConverter, add_encoded_arrow_schema_to_metadata};
use parquet::basic::{Compression, ZstdLevel};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::types::ColumnPath;

use stepwise_embeddings::EMBEDDING_DIM;

use crate::Sale;

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

/// How many rows' embeddings go to the Parquet writer at a time (1 MiB of `f32`, in a
/// buffer reused for the whole file).
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
    /// The Parquet schema has no column, or a column of another type, where the encoder
    /// writes one (a bug: [`partition_schema`] and the encoder disagree).
    #[error("the Parquet schema does not match the encoder at column {0}")]
    Schema(&'static str),
}

/// The embedding list's element field: `element: float` (nullable in the schema, as
/// Parquet's LIST convention and pyarrow spell it; no value is ever null).
fn embedding_element() -> FieldRef {
    Arc::new(Field::new(EMBEDDING_ELEMENT, DataType::Float32, true))
}

/// The Arrow schema of a lake partition (see the `encode` module docs).
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

/// The same rows as [`encode_partition`] writes, as one Arrow batch of
/// [`partition_schema`]: the table a reader of the file gets back (the benchmark hands it
/// to pyarrow; tests compare the file with it).
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
        sold_at.push(sold_at_micros(sale)?);
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

/// Encodes sales and their embeddings as one Parquet file (see the `encode` module
/// docs), returning its bytes. Rows keep their order. CPU-bound: call it from a
/// blocking thread.
///
/// # Errors
/// [`EncodeError::SoldAt`] or [`EncodeError::EmbeddingLength`] naming the first bad row
/// (checked before anything is encoded), or the Parquet writer's failure.
pub fn encode_partition(
    rows: &[(Sale, Vec<f32>)],
    export_date: NaiveDate,
) -> Result<Vec<u8>, EncodeError> {
    let mut sold_at = Vec::with_capacity(rows.len());
    for (sale, embedding) in rows {
        sold_at.push(sold_at_micros(sale)?);
        if embedding.len() != EMBEDDING_DIM {
            return Err(EncodeError::EmbeddingLength {
                sale_id: sale.sale_id.clone(),
                found: embedding.len(),
            });
        }
    }
    let schema = partition_schema();
    let parquet_schema = ArrowSchemaConverter::new().convert(&schema)?;
    let mut properties = writer_properties();
    add_encoded_arrow_schema_to_metadata(&schema, &mut properties);
    // The file is a little larger than the raw embeddings' compressed size; starting at
    // their raw size avoids most of the output's regrowth.
    let output = Vec::with_capacity(rows.len() * EMBEDDING_DIM * 4 + 4096);
    let mut writer = SerializedFileWriter::new(
        output,
        parquet_schema.root_schema_ptr(),
        Arc::new(properties),
    )?;
    let mut embeddings = EmbeddingWriter::default();
    let date = date32(export_date);
    for (group, times) in rows
        .chunks(ROW_GROUP_ROWS)
        .zip(sold_at.chunks(ROW_GROUP_ROWS))
    {
        let mut row_group = writer.next_row_group()?;
        write_strings(&mut row_group, "sale_id", group, |s| &s.sale_id)?;
        write_strings(&mut row_group, "tenant_id", group, |s| &s.tenant_id)?;
        write_strings(&mut row_group, "product_id", group, |s| &s.product_id)?;
        write_int64(&mut row_group, "sold_at", times)?;
        let quantities: Vec<i64> = group.iter().map(|(s, _)| s.quantity).collect();
        write_int64(&mut row_group, "quantity", &quantities)?;
        let prices: Vec<i64> = group.iter().map(|(s, _)| s.unit_price_cents).collect();
        write_int64(&mut row_group, "unit_price_cents", &prices)?;
        write_strings(&mut row_group, "currency", group, |s| &s.currency)?;
        write_strings(&mut row_group, "image_url", group, |s| &s.image_url)?;
        write_date32(&mut row_group, "export_date", date, group.len())?;
        embeddings.write(&mut row_group, group)?;
        row_group.close()?;
    }
    Ok(writer.into_inner()?)
}

/// `sale.sold_at` as microseconds since the epoch.
fn sold_at_micros(sale: &Sale) -> Result<i64, EncodeError> {
    DateTime::parse_from_rfc3339(&sale.sold_at)
        .map(|at| at.timestamp_micros())
        .map_err(|_| EncodeError::SoldAt {
            sale_id: sale.sale_id.clone(),
            value: sale.sold_at.clone(),
        })
}

type RowGroup<'a> = SerializedRowGroupWriter<'a, Vec<u8>>;

/// Writes the next column (`name`, for errors) with `write`, then closes it.
fn write_column(
    row_group: &mut RowGroup<'_>,
    name: &'static str,
    write: impl FnOnce(&mut ColumnWriter<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let mut column = row_group.next_column()?.ok_or(EncodeError::Schema(name))?;
    write(column.untyped())?;
    column.close()?;
    Ok(())
}

/// A required string column: the row group's values in one buffer, each value a slice.
fn write_strings(
    row_group: &mut RowGroup<'_>,
    name: &'static str,
    rows: &[(Sale, Vec<f32>)],
    field: fn(&Sale) -> &String,
) -> Result<(), EncodeError> {
    let mut buffer = Vec::with_capacity(rows.iter().map(|(s, _)| field(s).len()).sum());
    for (sale, _) in rows {
        buffer.extend_from_slice(field(sale).as_bytes());
    }
    let buffer = ByteArray::from(buffer);
    let mut start = 0;
    let values: Vec<ByteArray> = rows
        .iter()
        .map(|(sale, _)| {
            let len = field(sale).len();
            let value = buffer.slice(start, len);
            start += len;
            value
        })
        .collect();
    write_column(row_group, name, |column| match column {
        ColumnWriter::ByteArrayColumnWriter(writer) => {
            writer.write_batch(&values, None, None)?;
            Ok(())
        }
        _ => Err(EncodeError::Schema(name)),
    })
}

/// A required `INT64` column.
fn write_int64(
    row_group: &mut RowGroup<'_>,
    name: &'static str,
    values: &[i64],
) -> Result<(), EncodeError> {
    write_column(row_group, name, |column| match column {
        ColumnWriter::Int64ColumnWriter(writer) => {
            writer.write_batch(values, None, None)?;
            Ok(())
        }
        _ => Err(EncodeError::Schema(name)),
    })
}

/// A required `DATE` (`INT32`) column of one value.
fn write_date32(
    row_group: &mut RowGroup<'_>,
    name: &'static str,
    date: i32,
    rows: usize,
) -> Result<(), EncodeError> {
    let values = vec![date; rows];
    write_column(row_group, name, |column| match column {
        ColumnWriter::Int32ColumnWriter(writer) => {
            writer.write_batch(&values, None, None)?;
            Ok(())
        }
        _ => Err(EncodeError::Schema(name)),
    })
}

/// Writes the embedding column: [`ENCODE_CHUNK_ROWS`] rows at a time, gathered into one
/// buffer, with level patterns built once.
#[derive(Debug, Default)]
struct EmbeddingWriter {
    values: Vec<f32>,
    definition: Vec<i16>,
    repetition: Vec<i16>,
}

impl EmbeddingWriter {
    /// The levels of [`ENCODE_CHUNK_ROWS`] non-null lists of non-null floats: every value
    /// at the leaf's maximum definition level; repetition 0 at each list's start and the
    /// maximum inside it.
    fn levels(&mut self, max_definition: i16, max_repetition: i16) {
        let len = ENCODE_CHUNK_ROWS * EMBEDDING_DIM;
        if self.definition.len() == len && self.definition.first() == Some(&max_definition) {
            return;
        }
        self.definition = vec![max_definition; len];
        self.repetition = vec![max_repetition; len];
        for start in self.repetition.iter_mut().step_by(EMBEDDING_DIM) {
            *start = 0;
        }
    }

    fn write(
        &mut self,
        row_group: &mut RowGroup<'_>,
        rows: &[(Sale, Vec<f32>)],
    ) -> Result<(), EncodeError> {
        const NAME: &str = "embedding";
        write_column(row_group, NAME, |column| {
            let ColumnWriter::FloatColumnWriter(writer) = column else {
                return Err(EncodeError::Schema(NAME));
            };
            let descriptor = writer.get_descriptor();
            let (max_definition, max_repetition) =
                (descriptor.max_def_level(), descriptor.max_rep_level());
            self.levels(max_definition, max_repetition);
            self.values.reserve(ENCODE_CHUNK_ROWS * EMBEDDING_DIM);
            for chunk in rows.chunks(ENCODE_CHUNK_ROWS) {
                self.values.clear();
                for (_, embedding) in chunk {
                    self.values.extend_from_slice(embedding);
                }
                let len = self.values.len();
                writer.write_batch(
                    &self.values,
                    Some(&self.definition[..len]),
                    Some(&self.repetition[..len]),
                )?;
            }
            Ok(())
        })
    }
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

    /// Reads a file back with parquet's own Arrow reader.
    fn read_back(bytes: &[u8], name: &str) -> (RecordBatch, usize) {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let path = std::env::temp_dir().join(format!(
            "stepwise-encode-{}-{name}.parquet",
            std::process::id()
        ));
        std::fs::write(&path, bytes).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("a Parquet file");
        let row_groups = builder.metadata().num_row_groups();
        let batches: Vec<RecordBatch> = builder
            .with_batch_size(1 << 20)
            .build()
            .expect("a reader")
            .collect::<Result<_, _>>()
            .expect("batches");
        let _ = std::fs::remove_file(&path);
        let batch = arrow::compute::concat_batches(&partition_schema(), &batches).expect("concat");
        (batch, row_groups)
    }

    #[test]
    fn a_reader_gets_back_exactly_the_rows_as_an_arrow_table() {
        let rows: Vec<_> = (0..ROW_GROUP_ROWS + 300)
            .map(|i| {
                let mut sale = sale(&format!("S-{i}"), "2026-03-09T10:00:00+01:00");
                sale.tenant_id = "tenant-ü".into();
                sale.product_id = format!("P-{}", i % 7);
                sale.quantity = i as i64 - 5;
                sale.unit_price_cents = 100 * i as i64;
                sale.currency = if i % 2 == 0 { "EUR" } else { "USD" }.into();
                sale.image_url = format!("https://img.example/{}.jpg", "x".repeat(i % 40));
                let embedding = (0..EMBEDDING_DIM)
                    .map(|j| (i * EMBEDDING_DIM + j) as f32 / 7.0)
                    .collect();
                (sale, embedding)
            })
            .collect();
        let expected = partition_batch(&rows, date()).expect("a batch");

        let (read, row_groups) =
            read_back(&encode_partition(&rows, date()).expect("a file"), "rows");

        assert_eq!(row_groups, 2);
        assert_eq!(read.schema().fields(), expected.schema().fields());
        assert_eq!(read.num_rows(), rows.len());
        for (i, field) in expected.schema().fields().iter().enumerate() {
            assert_eq!(
                read.column(i),
                expected.column(i),
                "column {}",
                field.name()
            );
        }
        let (empty, row_groups) =
            read_back(&encode_partition(&[], date()).expect("a file"), "empty");
        assert_eq!((empty.num_rows(), row_groups), (0, 0));
    }
}
