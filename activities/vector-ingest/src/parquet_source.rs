//! Reading a lake partition (the Parquet file `stepwise-lake` writes) as batches of
//! vectors ready for `PutVectors`, streaming: the reader decodes one row group's column
//! chunks at a time and yields `batch_size` rows at a time, so memory holds one row
//! group and the batches in flight, never the whole file.
//!
//! CPU-bound and blocking (file reads, zstd, Arrow decoding): run it on a blocking
//! thread. The columns are found by name and checked against the lake's schema
//! (`stepwise_lake::partition_schema`) before any row is read; a file that is not
//! Parquet, lacks a column, has a column of another type or an embedding of another
//! width than the index's is a [`SourceError`], as is a row group that fails to decode.

use std::fs::File;
use std::time::{Duration, Instant};

use arrow::array::{
    Array, AsArray, Date32Array, FixedSizeListArray, Float32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Float32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use aws_sdk_s3vectors::types::{PutInputVector, VectorData};
use chrono::{DateTime, NaiveDate, SecondsFormat};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::limits::MAX_KEY_CHARS;
use crate::metadata::SaleMetadata;

/// Why a partition cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Not a readable Parquet file (bad magic, footer, or a page that does not decode).
    #[error("not a readable Parquet file: {0}")]
    Unreadable(String),
    /// A column the lake's schema has is missing or of another type.
    #[error("column \"{column}\": {problem}")]
    Schema {
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// One row cannot be written (its number in the file, from 0, and why).
    #[error("row {row} (sale {sale_id}): {problem}")]
    Row {
        /// The row's index in the file.
        row: u64,
        /// Its sale id.
        sale_id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The caller stopped the reader (the invocation's deadline is near).
    #[error("stopped before the end of the file")]
    Stopped,
}

/// One `PutVectors` request's worth of rows.
#[derive(Debug)]
pub struct VectorBatch {
    /// The index of the first row in the file.
    pub first_row: u64,
    /// The vectors, keyed by sale id.
    pub vectors: Vec<PutInputVector>,
    /// How long decoding and building this batch took.
    pub decode: Duration,
}

/// The rows of a lake partition, `batch_size` at a time.
pub struct PartitionReader {
    reader: ParquetRecordBatchReader,
    dimension: usize,
    next_row: u64,
    /// Rows in the file.
    pub total_rows: u64,
}

impl PartitionReader {
    /// Opens `file`, checks its schema (the embedding `dimension` wide) and positions it
    /// at row `skip_rows`.
    ///
    /// # Errors
    /// [`SourceError::Unreadable`] or [`SourceError::Schema`].
    pub fn open(
        file: File,
        dimension: usize,
        batch_size: usize,
        skip_rows: u64,
    ) -> Result<Self, SourceError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| SourceError::Unreadable(e.to_string()))?;
        let total_rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
        check_schema(builder.schema(), dimension)?;
        let skip = skip_rows.min(total_rows) as usize;
        let reader = builder
            .with_batch_size(batch_size)
            .with_offset(skip)
            .build()
            .map_err(|e| SourceError::Unreadable(e.to_string()))?;
        Ok(PartitionReader {
            reader,
            dimension,
            next_row: skip as u64,
            total_rows,
        })
    }

    /// The next batch, `None` at the end of the file.
    ///
    /// # Errors
    /// [`SourceError::Unreadable`] when a page does not decode, [`SourceError::Row`] for
    /// a row that cannot be written.
    pub fn next_batch(&mut self) -> Option<Result<VectorBatch, SourceError>> {
        let started = Instant::now();
        let batch = match self.reader.next()? {
            Ok(batch) => batch,
            Err(e) => return Some(Err(SourceError::Unreadable(e.to_string()))),
        };
        let first_row = self.next_row;
        self.next_row += batch.num_rows() as u64;
        Some(
            to_vectors(&batch, self.dimension, first_row).map(|vectors| VectorBatch {
                first_row,
                vectors,
                decode: started.elapsed(),
            }),
        )
    }
}

/// The columns the reader needs, and their types.
fn check_schema(schema: &arrow::datatypes::Schema, dimension: usize) -> Result<(), SourceError> {
    let expect = |column: &'static str, ok: &dyn Fn(&DataType) -> bool, what: &str| match schema
        .field_with_name(column)
    {
        Ok(field) if ok(field.data_type()) => Ok(()),
        Ok(field) => Err(SourceError::Schema {
            column,
            problem: format!("is {}, expected {what}", field.data_type()),
        }),
        Err(_) => Err(SourceError::Schema {
            column,
            problem: "is missing".into(),
        }),
    };
    for column in [
        "sale_id",
        "tenant_id",
        "product_id",
        "currency",
        "image_url",
    ] {
        expect(column, &|t| *t == DataType::Utf8, "Utf8")?;
    }
    for column in ["quantity", "unit_price_cents"] {
        expect(column, &|t| *t == DataType::Int64, "Int64")?;
    }
    expect(
        "sold_at",
        &|t| matches!(t, DataType::Timestamp(TimeUnit::Microsecond, _)),
        "Timestamp(Microsecond)",
    )?;
    expect("export_date", &|t| *t == DataType::Date32, "Date32")?;
    match schema.field_with_name("embedding").map(|f| f.data_type()) {
        Ok(DataType::FixedSizeList(item, width)) if *item.data_type() == DataType::Float32 => {
            if *width as usize == dimension {
                Ok(())
            } else {
                Err(SourceError::Schema {
                    column: "embedding",
                    problem: format!(
                        "has {width} components per vector, but the index's dimension is {dimension}"
                    ),
                })
            }
        }
        Ok(other) => Err(SourceError::Schema {
            column: "embedding",
            problem: format!("is {other}, expected FixedSizeList<Float32, {dimension}>"),
        }),
        Err(_) => Err(SourceError::Schema {
            column: "embedding",
            problem: "is missing".into(),
        }),
    }
}

/// A column of `batch` by name (present: the schema was checked).
fn column<'a>(batch: &'a RecordBatch, name: &'static str) -> Result<&'a dyn Array, SourceError> {
    batch
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or(SourceError::Schema {
            column: name,
            problem: "is missing".into(),
        })
}

/// The rows of `batch` as `PutVectors` entries.
fn to_vectors(
    batch: &RecordBatch,
    dimension: usize,
    first_row: u64,
) -> Result<Vec<PutInputVector>, SourceError> {
    let strings = |name: &'static str| -> Result<&StringArray, SourceError> {
        column(batch, name)?
            .as_string_opt::<i32>()
            .ok_or(SourceError::Schema {
                column: name,
                problem: "is not Utf8".into(),
            })
    };
    let ints = |name: &'static str| -> Result<&Int64Array, SourceError> {
        column(batch, name)?
            .as_primitive_opt::<Int64Type>()
            .ok_or(SourceError::Schema {
                column: name,
                problem: "is not Int64".into(),
            })
    };
    let sale_ids = strings("sale_id")?;
    let tenants = strings("tenant_id")?;
    let products = strings("product_id")?;
    let currencies = strings("currency")?;
    let images = strings("image_url")?;
    let quantities = ints("quantity")?;
    let prices = ints("unit_price_cents")?;
    let sold_at: &TimestampMicrosecondArray = column(batch, "sold_at")?
        .as_primitive_opt::<TimestampMicrosecondType>()
        .ok_or(SourceError::Schema {
            column: "sold_at",
            problem: "is not Timestamp(Microsecond)".into(),
        })?;
    let export_dates: &Date32Array = column(batch, "export_date")?
        .as_primitive_opt::<Date32Type>()
        .ok_or(SourceError::Schema {
            column: "export_date",
            problem: "is not Date32".into(),
        })?;
    let embeddings: &FixedSizeListArray = column(batch, "embedding")?
        .as_fixed_size_list_opt()
        .ok_or(SourceError::Schema {
            column: "embedding",
            problem: "is not a fixed-size list".into(),
        })?;
    let values: &Float32Array = embeddings
        .values()
        .as_primitive_opt::<Float32Type>()
        .ok_or(SourceError::Schema {
            column: "embedding",
            problem: "is not a list of Float32".into(),
        })?;
    let values = values.values();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();

    let mut out = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let row = first_row + i as u64;
        let sale_id = sale_ids.value(i);
        let fail = |problem: String| SourceError::Row {
            row,
            sale_id: sale_id.to_string(),
            problem,
        };
        let nulls = [
            sale_ids.is_null(i),
            tenants.is_null(i),
            products.is_null(i),
            currencies.is_null(i),
            images.is_null(i),
            quantities.is_null(i),
            prices.is_null(i),
            sold_at.is_null(i),
            export_dates.is_null(i),
            embeddings.is_null(i),
        ];
        if nulls.iter().any(|n| *n) {
            return Err(fail("a column is null".into()));
        }
        if sale_id.is_empty() || sale_id.chars().count() > MAX_KEY_CHARS {
            return Err(fail(format!(
                "the sale id is not a valid vector key (1 to {MAX_KEY_CHARS} characters)"
            )));
        }
        let vector = &values[i * dimension..(i + 1) * dimension];
        if let Some(bad) = vector.iter().position(|v| !v.is_finite()) {
            return Err(fail(format!("embedding component {bad} is not finite")));
        }
        let sold = DateTime::from_timestamp_micros(sold_at.value(i))
            .ok_or_else(|| fail("sold_at is out of range".into()))?
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        let export_date = epoch
            .checked_add_signed(chrono::Duration::days(i64::from(export_dates.value(i))))
            .ok_or_else(|| fail("export_date is out of range".into()))?
            .format("%Y-%m-%d")
            .to_string();
        let metadata = SaleMetadata {
            tenant_id: tenants.value(i),
            product_id: products.value(i),
            sold_at: sold,
            quantity: quantities.value(i),
            price_cents: prices.value(i),
            currency: currencies.value(i),
            image_url: images.value(i),
            export_date,
        }
        .document()
        .map_err(|e| fail(e.to_string()))?;
        let vector = PutInputVector::builder()
            .key(sale_id)
            .data(VectorData::Float32(vector.to_vec()))
            .metadata(metadata)
            .build()
            .map_err(|e| fail(format!("building the request entry: {e}")))?;
        out.push(vector);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use stepwise_embeddings::EMBEDDING_DIM;
    use stepwise_lake::{Sale, encode_partition};

    use super::*;
    use crate::metadata::to_json;

    pub(crate) fn rows(n: usize) -> Vec<(Sale, Vec<f32>)> {
        (0..n)
            .map(|i| {
                let sale = Sale {
                    sale_id: format!("s{i:05}"),
                    tenant_id: format!("t{}", i % 2),
                    product_id: format!("p{}", i % 3),
                    sold_at: "2026-11-23T10:00:00Z".into(),
                    quantity: 1 + i as i64,
                    unit_price_cents: 100 * i as i64,
                    currency: "EUR".into(),
                    image_url: format!("s3://img/{i}.png"),
                };
                let vector = (0..EMBEDDING_DIM)
                    .map(|j| (i * 7 + j) as f32 / 1000.0)
                    .collect();
                (sale, vector)
            })
            .collect()
    }

    fn file_of(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn partition(n: usize) -> File {
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        file_of(&encode_partition(&rows(n), date).unwrap())
    }

    #[test]
    fn reads_every_row_in_batches_with_metadata() {
        let mut reader = PartitionReader::open(partition(1200), EMBEDDING_DIM, 500, 0).unwrap();
        assert_eq!(reader.total_rows, 1200);
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        while let Some(batch) = reader.next_batch() {
            let batch = batch.unwrap();
            sizes.push(batch.vectors.len());
            seen.extend(batch.vectors);
        }
        assert_eq!(sizes, vec![500, 500, 200]);
        let expected = rows(1200);
        let v = &seen[7];
        assert_eq!(v.key(), "s00007");
        assert_eq!(v.data().unwrap().as_float32().unwrap(), &expected[7].1);
        let meta = to_json(v.metadata());
        assert_eq!(meta["tenant_id"], "t1");
        assert_eq!(meta["price_cents"], 700);
        assert_eq!(meta["sold_date"], "2026-11-23");
        assert_eq!(meta["export_date"], "2026-11-23");
    }

    #[test]
    fn skipping_resumes_at_the_row() {
        let mut reader = PartitionReader::open(partition(1200), EMBEDDING_DIM, 500, 1000).unwrap();
        let batch = reader.next_batch().unwrap().unwrap();
        assert_eq!(batch.first_row, 1000);
        assert_eq!(batch.vectors.len(), 200);
        assert_eq!(batch.vectors[0].key(), "s01000");
        assert!(reader.next_batch().is_none());
    }

    #[test]
    fn a_dimension_mismatch_names_both_widths() {
        let Err(err) = PartitionReader::open(partition(3), 512, 500, 0) else {
            panic!("opened");
        };
        assert_eq!(
            err.to_string(),
            "column \"embedding\": has 1024 components per vector, but the index's dimension is 512"
        );
    }

    #[test]
    fn garbage_is_unreadable() {
        let Err(err) = PartitionReader::open(file_of(b"not parquet at all"), EMBEDDING_DIM, 500, 0)
        else {
            panic!("opened");
        };
        assert!(matches!(err, SourceError::Unreadable(_)), "{err}");
    }
}
