//! A lake Parquet file as an Iceberg [`DataFile`] entry, from its footer alone: path,
//! format, record count, size, partition values (`tenant_id`, month of the date) and
//! column metrics (sizes, value and null counts, lower/upper bounds of the non-string
//! columns). The partition is read from the file's statistics, not taken from the
//! caller: a file that holds more than one tenant or month is refused, so a file is
//! never filed under a partition it does not belong to.
//!
//! The footer is read with the workspace's `parquet` (60), from two ranged GETs (the
//! 8-byte tail, then the metadata): no Arrow type of iceberg's own `parquet` (58) is
//! involved, and the data is never downloaded.

use std::collections::HashMap;

use aws_sdk_s3::Client;
use bytes::Bytes;
use chrono::{Datelike, NaiveDate};
use iceberg::spec::{
    DataContentType, DataFile, DataFileBuilder, DataFileFormat, Datum, Literal, PrimitiveType,
    Schema, Struct, Type,
};
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;

use crate::error::{LakeTablesError, aws_error};
use crate::schema::Dataset;
use crate::storage::parse_s3_uri;

/// How much of a file's end the first GET asks for: lake footers are a few KiB, so one
/// GET usually gets the whole footer.
const FOOTER_GUESS: u64 = 64 * 1024;

/// Days from 0001-01-01 (CE) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

fn bad_file(path: &str, reason: impl Into<String>) -> LakeTablesError {
    LakeTablesError::DataFile {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// Reads the Parquet footer of `s3://bucket/key`: its size and metadata.
///
/// # Errors
/// [`LakeTablesError::InvalidInput`] for a URI that is not `s3://bucket/key`,
/// [`LakeTablesError::Aws`] for a failed call, [`LakeTablesError::DataFile`] for an
/// object that is not Parquet.
pub async fn read_footer(
    s3: &Client,
    uri: &str,
) -> Result<(u64, ParquetMetaData), LakeTablesError> {
    let (bucket, key) = parse_s3_uri(uri).ok_or_else(|| LakeTablesError::InvalidInput {
        field: "files",
        reason: format!("{uri} is not an s3://bucket/key URI"),
    })?;
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| aws_error("s3", "HeadObject", &e))?;
    let size = head
        .content_length()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| bad_file(uri, "S3 gave no object size"))?;
    if size < 12 {
        return Err(bad_file(
            uri,
            format!("{size} bytes is too small for Parquet"),
        ));
    }
    let tail = suffix(s3, bucket, key, size, FOOTER_GUESS.min(size)).await?;
    let footer: [u8; 8] = tail[tail.len() - 8..]
        .try_into()
        .map_err(|_| bad_file(uri, "short read of the footer"))?;
    let footer = FooterTail::try_new(&footer).map_err(|e| bad_file(uri, e.to_string()))?;
    let needed = footer.metadata_length() as u64 + 8;
    if needed > size {
        return Err(bad_file(
            uri,
            "the footer claims more bytes than the file has",
        ));
    }
    let tail = if needed > tail.len() as u64 {
        suffix(s3, bucket, key, size, needed).await?
    } else {
        tail
    };
    let start = tail.len() - needed as usize;
    let metadata = ParquetMetaDataReader::decode_metadata(&tail[start..tail.len() - 8])
        .map_err(|e| bad_file(uri, e.to_string()))?;
    Ok((size, metadata))
}

async fn suffix(
    s3: &Client,
    bucket: &str,
    key: &str,
    size: u64,
    len: u64,
) -> Result<Bytes, LakeTablesError> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(format!("bytes={}-{}", size - len, size - 1))
        .send()
        .await
        .map_err(|e| aws_error("s3", "GetObject", &e))?;
    let body = object
        .body
        .collect()
        .await
        .map_err(|e| LakeTablesError::Aws {
            service: "s3",
            operation: "GetObject",
            message: format!("reading the body of s3://{bucket}/{key}: {e}"),
            class: crate::ErrorClass::Transient,
        })?;
    Ok(body.into_bytes())
}

/// Months since 1970-01 (the Iceberg `month` transform of a date).
pub fn month_of(date: NaiveDate) -> i32 {
    (date.year() - 1970) * 12 + date.month0() as i32
}

/// A date from Iceberg's days since 1970-01-01.
pub fn date_of(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_DAYS_FROM_CE)
}

/// Days since 1970-01-01 of a date.
pub fn days_of(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

/// The [`DataFile`] entry of a lake file of `dataset` (see the module docs).
///
/// # Errors
/// [`LakeTablesError::DataFile`]: no rows, a column of the table missing from the file,
/// or more than one tenant or month in the file.
pub fn data_file(
    uri: &str,
    size: u64,
    metadata: &ParquetMetaData,
    dataset: Dataset,
    schema: &Schema,
    spec_id: i32,
) -> Result<DataFile, LakeTablesError> {
    let rows = u64::try_from(metadata.file_metadata().num_rows()).unwrap_or_default();
    if rows == 0 || metadata.num_row_groups() == 0 {
        return Err(bad_file(uri, "holds no rows"));
    }
    let columns = metadata.file_metadata().schema_descr();
    let mut column_sizes = HashMap::new();
    let mut value_counts = HashMap::new();
    let mut null_counts = HashMap::new();
    let mut lower = HashMap::new();
    let mut upper = HashMap::new();
    let mut tenant: Option<String> = None;
    for field in schema.as_struct().fields() {
        // Top-level columns are leaves named `[name]`; the embedding list's leaf is
        // `[embedding, list, element]` (sizes only).
        let leaves: Vec<usize> = (0..columns.num_columns())
            .filter(|&i| columns.column(i).path().parts().first() == Some(&field.name))
            .collect();
        if leaves.is_empty() {
            return Err(bad_file(uri, format!("has no column {}", field.name)));
        }
        let mut size_sum = 0u64;
        let mut values = 0u64;
        for rg in metadata.row_groups() {
            for &leaf in &leaves {
                let chunk = rg.column(leaf);
                size_sum += u64::try_from(chunk.compressed_size()).unwrap_or_default();
                values += u64::try_from(chunk.num_values()).unwrap_or_default();
            }
        }
        column_sizes.insert(field.id, size_sum);
        let Type::Primitive(primitive) = field.field_type.as_ref() else {
            continue;
        };
        let leaf = leaves[0];
        value_counts.insert(field.id, values);
        let stats: Vec<Option<&Statistics>> = metadata
            .row_groups()
            .iter()
            .map(|rg| rg.column(leaf).statistics())
            .collect();
        if let Some(nulls) = stats
            .iter()
            .map(|s| s.and_then(Statistics::null_count_opt))
            .sum::<Option<u64>>()
        {
            null_counts.insert(field.id, nulls);
        }
        if field.name == dataset.tenant_column() {
            tenant = Some(single_string(uri, &field.name, &stats)?);
            continue;
        }
        if let Some((lo, hi)) = bounds(primitive, &stats) {
            lower.insert(field.id, lo);
            upper.insert(field.id, hi);
        }
    }
    let tenant = tenant.ok_or_else(|| bad_file(uri, "has no tenant_id column"))?;
    let date_field = schema
        .field_by_name(dataset.date_column())
        .ok_or_else(|| bad_file(uri, format!("no column {}", dataset.date_column())))?;
    let (first, last) = match (lower.get(&date_field.id), upper.get(&date_field.id)) {
        (Some(lo), Some(hi)) => (day(lo), day(hi)),
        _ => (None, None),
    };
    let (Some(first), Some(last)) = (first, last) else {
        return Err(bad_file(
            uri,
            format!("has no statistics for {}", dataset.date_column()),
        ));
    };
    if month_of(first) != month_of(last) {
        return Err(bad_file(
            uri,
            format!(
                "spans months ({} from {first} to {last}): a data file belongs to one month partition",
                dataset.date_column()
            ),
        ));
    }
    DataFileBuilder::default()
        .content(DataContentType::Data)
        .file_path(uri.to_string())
        .file_format(DataFileFormat::Parquet)
        .partition(Struct::from_iter([
            Some(Literal::string(tenant)),
            Some(Literal::int(month_of(first))),
        ]))
        .partition_spec_id(spec_id)
        .record_count(rows)
        .file_size_in_bytes(size)
        .column_sizes(column_sizes)
        .value_counts(value_counts)
        .null_value_counts(null_counts)
        .lower_bounds(lower)
        .upper_bounds(upper)
        .split_offsets(Some(
            metadata
                .row_groups()
                .iter()
                .filter_map(|rg| rg.file_offset())
                .collect(),
        ))
        .build()
        .map_err(|e| bad_file(uri, e.to_string()))
}

/// The date of a `date` bound.
pub(crate) fn day(datum: &Datum) -> Option<NaiveDate> {
    match datum.literal() {
        iceberg::spec::PrimitiveLiteral::Int(days) => date_of(*days),
        _ => None,
    }
}

/// The one value a string column holds in every row group, or an error.
fn single_string(
    uri: &str,
    column: &str,
    stats: &[Option<&Statistics>],
) -> Result<String, LakeTablesError> {
    let mut value: Option<String> = None;
    for s in stats {
        let Some(Statistics::ByteArray(s)) = s else {
            return Err(bad_file(uri, format!("has no statistics for {column}")));
        };
        let (Some(min), Some(max)) = (s.min_opt(), s.max_opt()) else {
            return Err(bad_file(uri, format!("has no statistics for {column}")));
        };
        let (min, max) = (
            min.as_utf8().map_err(|e| bad_file(uri, e.to_string()))?,
            max.as_utf8().map_err(|e| bad_file(uri, e.to_string()))?,
        );
        if min != max || value.as_deref().is_some_and(|v| v != min) {
            return Err(bad_file(
                uri,
                format!(
                    "holds more than one {column}: a data file belongs to one tenant partition"
                ),
            ));
        }
        value = Some(min.to_string());
    }
    value.ok_or_else(|| bad_file(uri, format!("has no statistics for {column}")))
}

/// The file's lower and upper bound of a column, when every row group has both (strings
/// get none: Iceberg truncates string bounds, which this crate does not do).
fn bounds(primitive: &PrimitiveType, stats: &[Option<&Statistics>]) -> Option<(Datum, Datum)> {
    fn fold<T: Copy + PartialOrd>(values: impl Iterator<Item = Option<(T, T)>>) -> Option<(T, T)> {
        let mut acc: Option<(T, T)> = None;
        for v in values {
            let (lo, hi) = v?;
            acc = Some(match acc {
                None => (lo, hi),
                Some((a, b)) => (if lo < a { lo } else { a }, if hi > b { hi } else { b }),
            });
        }
        acc
    }
    match primitive {
        PrimitiveType::Int | PrimitiveType::Date => {
            let (lo, hi) = fold(stats.iter().map(|s| match s {
                Some(Statistics::Int32(v)) => Some((*v.min_opt()?, *v.max_opt()?)),
                _ => None,
            }))?;
            Some(if *primitive == PrimitiveType::Date {
                (Datum::date(lo), Datum::date(hi))
            } else {
                (Datum::int(lo), Datum::int(hi))
            })
        }
        PrimitiveType::Long | PrimitiveType::Timestamptz => {
            let (lo, hi) = fold(stats.iter().map(|s| match s {
                Some(Statistics::Int64(v)) => Some((*v.min_opt()?, *v.max_opt()?)),
                _ => None,
            }))?;
            Some(if *primitive == PrimitiveType::Timestamptz {
                (Datum::timestamptz_micros(lo), Datum::timestamptz_micros(hi))
            } else {
                (Datum::long(lo), Datum::long(hi))
            })
        }
        PrimitiveType::Double => {
            let (lo, hi) = fold(stats.iter().map(|s| match s {
                Some(Statistics::Double(v)) => Some((*v.min_opt()?, *v.max_opt()?)),
                _ => None,
            }))?;
            (!lo.is_nan() && !hi.is_nan()).then(|| (Datum::double(lo), Datum::double(hi)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepwise_lake::{Sale, encode_partition};

    fn footer(rows: &[(Sale, Vec<f32>)], day: NaiveDate) -> (u64, ParquetMetaData) {
        let bytes = Bytes::from(encode_partition(rows, day).expect("encode"));
        let metadata = ParquetMetaDataReader::new()
            .parse_and_finish(&bytes)
            .expect("footer");
        (bytes.len() as u64, metadata)
    }

    fn sale(id: &str, tenant: &str, sold_at: &str) -> (Sale, Vec<f32>) {
        (
            Sale {
                sale_id: id.into(),
                tenant_id: tenant.into(),
                product_id: "p".into(),
                sold_at: sold_at.into(),
                quantity: 2,
                unit_price_cents: 150,
                currency: "EUR".into(),
                image_url: "s3://i/p.jpg".into(),
            },
            vec![0.25; 1024],
        )
    }

    #[test]
    fn a_lake_file_is_filed_under_its_tenant_and_month_with_its_date_bounds() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let rows = [
            sale("s1", "t1", "2026-11-23T08:00:00Z"),
            sale("s2", "t1", "2026-11-23T09:30:00Z"),
        ];
        let (size, metadata) = footer(&rows, day);
        let schema = Dataset::SmartgoSales.schema().expect("schema");
        let file = data_file(
            "s3://w/data/a.parquet",
            size,
            &metadata,
            Dataset::SmartgoSales,
            &schema,
            0,
        )
        .expect("data file");
        assert_eq!(file.record_count(), 2);
        assert_eq!(file.file_size_in_bytes(), size);
        assert_eq!(
            *file.partition(),
            Struct::from_iter([Some(Literal::string("t1")), Some(Literal::int(682))])
        );
        let date_id = schema.field_by_name("export_date").expect("date").id;
        assert_eq!(
            file.lower_bounds().get(&date_id),
            Some(&Datum::date(days_of(day)))
        );
        assert_eq!(
            file.upper_bounds().get(&date_id),
            Some(&Datum::date(days_of(day)))
        );
        let quantity = schema.field_by_name("quantity").expect("quantity").id;
        assert_eq!(file.lower_bounds().get(&quantity), Some(&Datum::long(2)));
        assert_eq!(file.null_value_counts().get(&quantity), Some(&0));
        let embedding = schema.field_by_name("embedding").expect("embedding").id;
        assert!(file.column_sizes()[&embedding] > 0);
        let sale_id = schema.field_by_name("sale_id").expect("sale_id").id;
        assert!(
            !file.lower_bounds().contains_key(&sale_id),
            "no string bounds"
        );
    }

    #[test]
    fn a_file_of_two_tenants_has_no_partition() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let rows = [
            sale("s1", "t1", "2026-11-23T08:00:00Z"),
            sale("s2", "t2", "2026-11-23T09:30:00Z"),
        ];
        let (size, metadata) = footer(&rows, day);
        let schema = Dataset::SmartgoSales.schema().expect("schema");
        let err = data_file(
            "s3://w/data/b.parquet",
            size,
            &metadata,
            Dataset::SmartgoSales,
            &schema,
            0,
        )
        .expect_err("two tenants");
        assert!(err.to_string().contains("more than one tenant_id"), "{err}");
        // sales_history's schema does not fit a smartgo_sales file.
        let (size, metadata) = footer(&rows[..1], day);
        let history = Dataset::SalesHistory.schema().expect("schema");
        let err = data_file(
            "s3://w/data/b.parquet",
            size,
            &metadata,
            Dataset::SalesHistory,
            &history,
            0,
        )
        .expect_err("wrong table");
        assert!(err.to_string().contains("has no column event_id"), "{err}");
    }

    #[test]
    fn months_count_from_1970() {
        assert_eq!(month_of(NaiveDate::from_ymd_opt(1970, 1, 31).unwrap()), 0);
        assert_eq!(month_of(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()), 682);
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(date_of(days_of(d)), Some(d));
        assert_eq!(days_of(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }
}
