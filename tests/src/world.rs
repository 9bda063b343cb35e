//! The world of the daily-sales-export demo and end-to-end tests: a SQLite SmartGo
//! database with sales over several days, product photos in S3 (one corrupt), the
//! progress table and the SSM SecureString config — seeded into whatever services the
//! caller points at (moto server locally).

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_ssm::types::ParameterType;
use chrono::{Datelike, Duration, NaiveDate};
use local_bedrock::product_photo;
use serde_json::{Value, json};
use stepwise_daily_sales_export::query_sales::{SQLITE_INSERT_SALE, SQLITE_SCHEMA};
use stepwise_lake::Sale;
use stepwise_runtime::Services;

/// Boxed errors: seeding is test and demo scaffolding.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Where the world lives.
#[derive(Debug, Clone)]
pub struct World {
    /// The lake and staging bucket (also holds the product photos).
    pub bucket: String,
    /// The progress table.
    pub table: String,
    /// The SSM parameter holding the config.
    pub parameter: String,
    /// The lake's tables (`lake_tables` in the config: table bucket, namespace), when
    /// the lake is the `smartgo_sales` Iceberg table rather than Hive-style objects.
    pub lake_tables: Option<(String, String)>,
}

/// The tenants and their sales on the export date.
pub const TENANTS: [(&str, usize); 2] = [("acme", 120), ("globex", 80)];
/// Products photographed.
pub const PRODUCTS: usize = 6;
/// Views per product.
pub const VIEWS: usize = 3;
/// The key of the corrupt image.
pub const BROKEN_IMAGE: &str = "products/P-BROKEN/front.jpg";
/// The one sale of the export date whose image is corrupt.
pub fn broken_sale(export_date: NaiveDate) -> String {
    format!("S-{export_date}-acme-0017")
}

impl World {
    /// A world with these names.
    pub fn new(
        bucket: impl Into<String>,
        table: impl Into<String>,
        parameter: impl Into<String>,
    ) -> Self {
        World {
            bucket: bucket.into(),
            table: table.into(),
            parameter: parameter.into(),
            lake_tables: None,
        }
    }

    /// The same world writing its lake to the Iceberg tables in table bucket `bucket`,
    /// namespace `namespace` (created by the first WritePartition).
    pub fn with_lake_tables(
        mut self,
        bucket: impl Into<String>,
        namespace: impl Into<String>,
    ) -> Self {
        self.lake_tables = Some((bucket.into(), namespace.into()));
        self
    }

    /// The execution input of a scheduled run.
    pub fn scheduled_input(&self, scheduled_time: &str) -> Value {
        json!({"config_parameter": self.parameter, "progress_table": self.table, "scheduled_time": scheduled_time})
    }

    /// The pipeline config document (what the SecureString holds).
    pub fn config(&self, db: &Path) -> Value {
        let mut config = json!({
            "database_url": format!("sqlite://{}", db.display()),
            "bucket": self.bucket,
            "staging_prefix": "staging/",
            "lake_prefix": "lake/",
            "progress_table": self.table,
            "tenants": TENANTS.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            "embed_concurrency": 8
        });
        if let Some((bucket, namespace)) = &self.lake_tables {
            config["lake_tables"] = json!({"table_bucket": bucket, "namespace": namespace});
        }
        config
    }
    /// The image of sale `n`: one of the product views, or (for exactly one sale of the
    /// export date) the corrupt one.
    fn image_of(&self, n: usize, broken: bool) -> (String, String) {
        if broken {
            return (
                "P-BROKEN".into(),
                format!("s3://{}/{BROKEN_IMAGE}", self.bucket),
            );
        }
        let product = n % PRODUCTS;
        let view = (n / PRODUCTS) % VIEWS;
        (
            format!("P-{product}"),
            format!("s3://{}/products/P-{product}/view-{view}.jpg", self.bucket),
        )
    }

    /// A fresh SQLite SmartGo database: 200 sales on the export date across two tenants, and
    /// sales on the days around it that must not be exported.
    /// Seeds a fresh SQLite SmartGo database; returns the number of sales.
    pub async fn seed_database(&self, path: &Path, export_date: NaiveDate) -> Result<usize, Error> {
        let _ = std::fs::remove_file(path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await?;
        for statement in SQLITE_SCHEMA.split(';').filter(|s| !s.trim().is_empty()) {
            sqlx::query(statement).execute(&pool).await?;
        }
        let mut count = 0;
        let days = [
            (export_date - Duration::days(2), 30),
            (export_date - Duration::days(1), 30),
            (export_date, 0),
            (export_date + Duration::days(1), 20),
        ];
        for (day, extra) in days {
            let per_tenant: Vec<(&str, usize)> = if extra == 0 {
                TENANTS.to_vec()
            } else {
                vec![("acme", extra / 2), ("globex", extra - extra / 2)]
            };
            for (tenant, n) in per_tenant {
                for i in 0..n {
                    let seconds = (i * 86_399 / n.max(1)) as i64;
                    let sold_at = day.and_hms_opt(0, 0, 0).ok_or("midnight")?.and_utc()
                        + Duration::seconds(seconds);
                    let broken = day == export_date && tenant == "acme" && i == 17;
                    let (product, image) = self.image_of(i + day.ordinal() as usize, broken);
                    let sale = Sale {
                        sale_id: format!("S-{day}-{tenant}-{i:04}"),
                        tenant_id: tenant.into(),
                        product_id: product,
                        sold_at: sold_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        quantity: 1 + (i % 3) as i64,
                        unit_price_cents: 990 + 100 * (i % 7) as i64,
                        currency: if tenant == "acme" {
                            "EUR".into()
                        } else {
                            "USD".into()
                        },
                        image_url: image,
                    };
                    sqlx::query(SQLITE_INSERT_SALE)
                        .bind(&sale.sale_id)
                        .bind(&sale.tenant_id)
                        .bind(&sale.product_id)
                        .bind(&sale.sold_at)
                        .bind(sale.quantity)
                        .bind(sale.unit_price_cents)
                        .bind(&sale.currency)
                        .bind(&sale.image_url)
                        .execute(&pool)
                        .await?;
                    count += 1;
                }
            }
        }
        pool.close().await;
        Ok(count)
    }

    /// The bucket with the product photos (and one corrupt image), the progress table, and
    /// the SSM SecureString config.
    /// Seeds S3, DynamoDB and SSM.
    pub async fn seed_aws(&self, services: &Services, db: &Path) -> Result<(), Error> {
        let s3 = services.aws.s3().await;
        s3.create_bucket().bucket(&self.bucket).send().await?;
        for product in 0..PRODUCTS {
            for view in 0..VIEWS {
                s3.put_object()
                    .bucket(&self.bucket)
                    .key(format!("products/P-{product}/view-{view}.jpg"))
                    .content_type("image/jpeg")
                    .body(product_photo(product, view).into())
                    .send()
                    .await?;
            }
        }
        let corrupt: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        s3.put_object()
            .bucket(&self.bucket)
            .key(BROKEN_IMAGE)
            .content_type("image/jpeg")
            .body(corrupt.into())
            .send()
            .await?;
        eprintln!(
            "    s3://{}: {} product photos ({PRODUCTS} products × {VIEWS} views) and 1 corrupt image",
            self.bucket,
            PRODUCTS * VIEWS
        );

        let dynamodb = services.aws.dynamodb().await;
        dynamodb
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("tenant_id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("export_date")
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("tenant_id")
                    .key_type(KeyType::Hash)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("export_date")
                    .key_type(KeyType::Range)
                    .build()?,
            )
            .send()
            .await?;
        eprintln!("    DynamoDB table {}", self.table);

        let config = self.config(db);
        services
            .aws
            .ssm()
            .await
            .put_parameter()
            .name(&self.parameter)
            .r#type(ParameterType::SecureString)
            .value(config.to_string())
            .overwrite(true)
            .send()
            .await?;
        eprintln!("    SSM SecureString {}", self.parameter);
        Ok(())
    }

    /// The progress record of each tenant for the export date.
    pub async fn progress_records(
        &self,
        services: &Services,
        export_date: NaiveDate,
    ) -> Result<Vec<Value>, Error> {
        let dynamodb = services.aws.dynamodb().await;
        let mut out = Vec::new();
        for (tenant, _) in TENANTS {
            let item = dynamodb
                .get_item()
                .table_name(&self.table)
                .key("tenant_id", AttributeValue::S(tenant.into()))
                .key("export_date", AttributeValue::S(export_date.to_string()))
                .send()
                .await?;
            if let Some(item) = item.item() {
                out.push(to_json(item));
            }
        }
        Ok(out)
    }
}

/// A DynamoDB item as JSON (numbers as numbers).
pub fn to_json(item: &HashMap<String, AttributeValue>) -> Value {
    let mut map = serde_json::Map::new();
    let mut keys: Vec<_> = item.keys().collect();
    keys.sort();
    for k in keys {
        map.insert(k.clone(), attribute(&item[k]));
    }
    Value::Object(map)
}

fn attribute(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!(s),
        AttributeValue::N(n) => n
            .parse::<f64>()
            .map(|f| {
                if f.fract() == 0.0 {
                    json!(f as i64)
                } else {
                    json!(f)
                }
            })
            .unwrap_or(json!(n)),
        AttributeValue::Bool(b) => json!(b),
        AttributeValue::L(l) => Value::Array(l.iter().map(attribute).collect()),
        AttributeValue::M(m) => to_json(m),
        AttributeValue::Ss(s) => json!(s),
        AttributeValue::Null(_) => Value::Null,
        other => json!(format!("{other:?}")),
    }
}
