//! Test scaffolding for the vector-ingest pipeline: lake partitions of synthetic sales
//! whose embeddings cluster by product (so nearest neighbours are sales of the same
//! product), uploaded to a bucket, and the progress table the pipeline writes.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use chrono::NaiveDate;
use stepwise_embeddings::EMBEDDING_DIM;
use stepwise_lake::{Sale, encode_partition, partition_key};
use stepwise_runtime::Services;

/// A boxed error for scaffolding.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Products the synthetic sales are spread over.
pub const PRODUCTS: usize = 5;

/// The embedding of sale number `n` of `product`: the product's direction plus a small
/// per-sale offset (never all zero).
pub fn embedding(product: usize, n: usize) -> Vec<f32> {
    (0..EMBEDDING_DIM)
        .map(|j| {
            let base = (((product + 1) * (j + 1)) as f32 * 0.37).sin();
            let noise = ((n * 31 + j * 7) as f32 * 1.3).sin() * 0.05;
            base + noise
        })
        .collect()
}

/// `rows` sales of `tenant` on `date`, numbered from `first` (sale ids
/// `<tenant>-<date>-<n>`), products in turn.
pub fn sales(tenant: &str, date: NaiveDate, first: usize, rows: usize) -> Vec<(Sale, Vec<f32>)> {
    (first..first + rows)
        .map(|n| {
            let product = n % PRODUCTS;
            let sale = Sale {
                sale_id: format!("{tenant}-{date}-{n:05}"),
                tenant_id: tenant.to_string(),
                product_id: format!("P-{product}"),
                sold_at: format!("{date}T{:02}:{:02}:00Z", (n / 60) % 24, n % 60),
                quantity: 1 + (n % 3) as i64,
                unit_price_cents: 500 + 100 * product as i64,
                currency: "EUR".into(),
                image_url: format!("s3://images/products/P-{product}/view-0.jpg"),
            };
            (sale, embedding(product, n))
        })
        .collect()
}

/// Encodes `rows` and puts them at the lake key of `tenant` and `date` under `lake`;
/// returns the key.
pub async fn put_partition(
    services: &Services,
    bucket: &str,
    lake: &str,
    tenant: &str,
    date: NaiveDate,
    rows: &[(Sale, Vec<f32>)],
) -> Result<String, Error> {
    let key = partition_key(lake, tenant, date);
    let bytes = encode_partition(rows, date)?;
    services
        .aws
        .s3()
        .await
        .put_object()
        .bucket(bucket)
        .key(&key)
        .body(bytes.into())
        .send()
        .await?;
    Ok(key)
}

/// Creates the progress table (`pk`, `sk` strings, on demand).
pub async fn create_progress_table(services: &Services, table: &str) -> Result<(), Error> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    services
        .aws
        .dynamodb()
        .await
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk")?)
        .attribute_definitions(attribute("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .send()
        .await?;
    Ok(())
}
