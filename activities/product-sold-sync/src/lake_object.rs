//! `WriteLakeObject`: one sale's lake row as its own Parquet object,
//! `<lake>/sales_history/tenant_id=T/year=YYYY/month=MM/<saleId>.parquet`.
//!
//! The key and the bytes depend only on the row, so a redelivery (or a retry after a lost
//! response) rewrites the identical object; the daily compaction later merges a day's
//! objects into one file. This module must not list or delete lake objects.

use aws_sdk_s3::primitives::ByteStream;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::ActivityDef;
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_lake::{PARQUET_CONTENT_TYPE, SoldSale, encode_sale_object, sale_object_key};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context};

/// What `WriteLakeObject` receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteLakeObjectInput {
    /// The lake's bucket.
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The lake's prefix in it (`pricing-intelligence`).
    pub lake_prefix: String,
    /// The row (Prepare's `row`).
    pub row: SoldSale,
}

/// The object written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LakeObject {
    /// The bucket.
    pub bucket: String,
    /// Its key.
    pub key: String,
    /// Its size.
    pub bytes: u64,
}

/// The `WriteLakeObject` activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteLakeObject;

impl ActivityDef for WriteLakeObject {
    const NAME: &'static str = "WriteLakeObject";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 256,
        timeout_seconds: 30,
        permissions: &[Permission {
            actions: &["s3:PutObject"],
            resource: Resource::Objects { area: Area::Lake },
            reason: "writes one sale's Parquet object under sales_history/",
        }],
    };
    type Input = WriteLakeObjectInput;
    type Output = LakeObject;
}

/// The object's key and bytes for a row.
///
/// # Errors
/// `InvalidInput` when the row's date or embedding is malformed.
pub fn encode_object(input: &WriteLakeObjectInput) -> Result<(String, Vec<u8>), ActivityError> {
    let row = &input.row;
    let day = NaiveDate::parse_from_str(&row.sold_date, "%Y-%m-%d").map_err(|_| {
        ActivityError::invalid_input(format!(
            "field \"row.sold_date\": \"{}\" is not a YYYY-MM-DD date",
            row.sold_date
        ))
    })?;
    let key = sale_object_key(&input.lake_prefix, &row.tenant_id, day, &row.sale_id);
    let bytes = encode_sale_object(row)
        .map_err(|e| ActivityError::invalid_input(format!("field \"row\": {e}")))?;
    Ok((key, bytes))
}

impl Activity for WriteLakeObject {
    async fn run(
        &self,
        input: WriteLakeObjectInput,
        ctx: &Context,
    ) -> Result<LakeObject, ActivityError> {
        let (key, bytes) = encode_object(&input)?;
        let size = bytes.len() as u64;
        let s3 = ctx.aws().s3().await;
        s3.put_object()
            .bucket(&input.bucket)
            .key(&key)
            .content_type(PARQUET_CONTENT_TYPE)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .activity_err("S3", "PutObject")
            .map_err(|e| {
                ActivityError::new(
                    e.name,
                    format!("writing s3://{}/{key}: {}", input.bucket, e.cause),
                )
            })?;
        Ok(LakeObject {
            bucket: input.bucket,
            key,
            bytes: size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ProductSoldEvent;
    use crate::item::lake_row;

    #[test]
    fn the_key_and_bytes_depend_only_on_the_row() {
        let event = ProductSoldEvent::example();
        let row = lake_row(&event, &event.validate().unwrap());
        let input = WriteLakeObjectInput {
            bucket: "lake".into(),
            lake_prefix: "pricing-intelligence".into(),
            row,
        };
        let (key, a) = encode_object(&input).unwrap();
        assert_eq!(
            key,
            "pricing-intelligence/sales_history/tenant_id=acme/year=2026/month=11/S-2026-11-30-0001.parquet"
        );
        assert_eq!(a, encode_object(&input).unwrap().1);
    }
}
