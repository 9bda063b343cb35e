//! `demo`: the local demo of daily-sales-export — the README's first command runs it.
//!
//! It starts moto server (S3, DynamoDB, SSM) and the local Bedrock endpoint on free
//! loopback ports, seeds the pipeline's world (the SSM SecureString config, a SQLite
//! SmartGo database with sales over several days, generated product photos in S3 with
//! one corrupt image, the progress table), runs the generated daily-sales-export state
//! machine under sfn-local with the real activities and a progress display, prints a
//! summary, and copies the run's artifacts to `target/demo/`. Everything it started
//! stops when it ends.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use activities::aws::Aws;
use activities::query_sales::{SQLITE_INSERT_SALE, SQLITE_SCHEMA};
use activities::{Services, sales::Sale};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_ssm::types::ParameterType;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use local_bedrock::{LocalBedrock, product_photo};
use serde_json::{Value, json};
use sfn_local::progress::ProgressDisplay;
use sfn_local::{Options, RegistryTasks, Status, execute};
use stepwise_tests::{MotoServer, workspace_root};

const BUCKET: &str = "stepwise-demo-lake";
const TABLE: &str = "stepwise-demo-export-progress";
const PARAMETER: &str = "/stepwise/demo/daily-sales-export/config";
const TENANTS: [(&str, usize); 2] = [("acme", 120), ("globex", 80)];
const PRODUCTS: usize = 6;
const VIEWS: usize = 3;
const BROKEN_IMAGE: &str = "products/P-BROKEN/front.jpg";

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(demo()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::from(1)
        }
    }
}

async fn demo() -> Result<ExitCode, Error> {
    let started = Instant::now();
    let out_dir = workspace_root().join("target/demo");
    std::fs::create_dir_all(&out_dir)?;

    eprintln!("==> starting moto server and the local Bedrock endpoint (loopback, free ports)");
    let moto = MotoServer::start()?;
    let bedrock = LocalBedrock::start().await?;
    eprintln!(
        "    moto {}  bedrock {}",
        moto.endpoint(),
        bedrock.endpoint()
    );
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );

    let scheduled = Utc::now()
        .date_naive()
        .and_hms_opt(3, 0, 0)
        .ok_or("no 03:00 today")?
        .and_utc();
    let export_date = scheduled.date_naive() - Duration::days(1);
    eprintln!("==> seeding: export date {export_date} (the day before the 03:00 UTC schedule)");
    let db = out_dir.join("smartgo.db");
    let sales = seed_database(&db, export_date).await?;
    eprintln!(
        "    SQLite SmartGo database {} with {} sales over 4 days",
        db.display(),
        sales
    );
    seed_aws(&services, &db).await?;

    let workflow = statemachines::daily_sales_export::workflow().build()?;
    let input = json!({
        "config_parameter": PARAMETER,
        "progress_table": TABLE,
        "scheduled_time": scheduled.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    eprintln!("==> running daily-sales-export under sfn-local with the real activities");
    let tasks = Arc::new(RegistryTasks::new(activities::all(), services.clone()));
    let options = Options {
        virtual_time: true,
        state_machine_name: workflow.name.clone(),
        execution_name: Some(format!("demo-{export_date}")),
        progress: Some(ProgressDisplay::new()),
        services: Some(services.clone()),
        ..Options::default()
    };
    let outcome = execute(&workflow.machine, input, tasks, options).await?;
    let history = sfn_local::history::to_json(&outcome.events);
    std::fs::write(
        out_dir.join("history.json"),
        serde_json::to_string_pretty(&history)?,
    )?;

    println!();
    println!("daily-sales-export for {export_date}: {:?}", outcome.status);
    let entered = outcome.states_entered();
    println!(
        "states run: {} ({})",
        entered.len(),
        dedup(&entered).join(" → ")
    );
    let Some(output) = outcome
        .output
        .clone()
        .filter(|_| outcome.status == Status::Succeeded)
    else {
        let f = outcome
            .failure
            .unwrap_or_else(|| sfn_local::Failure::new("Unknown", ""));
        println!("failed: {}: {}", f.error, f.cause);
        return Ok(ExitCode::from(1));
    };
    let written = &output["written"];
    println!(
        "items: {} sales, {} embedded, {} failed",
        output["sales"]["count"], written["embedded"], written["failed_count"]
    );
    for f in written["failed"].as_array().into_iter().flatten() {
        println!(
            "  failed {} ({}): {}: {}",
            text(&f["sale_id"]),
            text(&f["tenant_id"]),
            text(&f["error"]),
            text(&f["cause"])
        );
    }
    println!("parquet files:");
    let s3 = services.aws.s3().await;
    for file in written["files"].as_array().into_iter().flatten() {
        let key = file["key"].as_str().unwrap_or_default();
        println!(
            "  s3://{BUCKET}/{key}  rows {}  bytes {}",
            file["rows"], file["bytes"]
        );
        let object = s3.get_object().bucket(BUCKET).key(key).send().await?;
        let bytes = object.body.collect().await?.into_bytes();
        let local = out_dir.join(key);
        if let Some(parent) = local.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&local, &bytes)?;
    }
    let records = progress_records(&services, export_date).await?;
    println!("progress records (DynamoDB {TABLE}):");
    for r in &records {
        println!(
            "  {} {}: {} (rows {}, embedded {}, failed {})",
            text(&r["tenant_id"]),
            text(&r["export_date"]),
            text(&r["status"]),
            r["rows"],
            r["embedded"],
            r["failed"]
        );
    }
    std::fs::write(
        out_dir.join("progress.json"),
        serde_json::to_string_pretty(&records)?,
    )?;
    println!(
        "artifacts in {}: the Parquet files under their S3 keys, history.json, progress.json",
        display_relative(&out_dir)
    );
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// A JSON value for a summary line: strings without their quotes.
fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn dedup(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

fn display_relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// The image of sale `n`: one of the product views, or (for exactly one sale of the
/// export date) the corrupt one.
fn image_of(n: usize, broken: bool) -> (String, String) {
    if broken {
        return ("P-BROKEN".into(), format!("s3://{BUCKET}/{BROKEN_IMAGE}"));
    }
    let product = n % PRODUCTS;
    let view = (n / PRODUCTS) % VIEWS;
    (
        format!("P-{product}"),
        format!("s3://{BUCKET}/products/P-{product}/view-{view}.jpg"),
    )
}

/// A fresh SQLite SmartGo database: 200 sales on the export date across two tenants, and
/// sales on the days around it that must not be exported.
async fn seed_database(path: &Path, export_date: NaiveDate) -> Result<usize, Error> {
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
                let (product, image) = image_of(i + day.ordinal() as usize, broken);
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
async fn seed_aws(services: &Services, db: &Path) -> Result<(), Error> {
    let s3 = services.aws.s3().await;
    s3.create_bucket().bucket(BUCKET).send().await?;
    for product in 0..PRODUCTS {
        for view in 0..VIEWS {
            s3.put_object()
                .bucket(BUCKET)
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
        .bucket(BUCKET)
        .key(BROKEN_IMAGE)
        .content_type("image/jpeg")
        .body(corrupt.into())
        .send()
        .await?;
    eprintln!(
        "    s3://{BUCKET}: {} product photos ({PRODUCTS} products × {VIEWS} views) and 1 corrupt image",
        PRODUCTS * VIEWS
    );

    let dynamodb = services.aws.dynamodb().await;
    dynamodb
        .create_table()
        .table_name(TABLE)
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
    eprintln!("    DynamoDB table {TABLE}");

    let config = json!({
        "database_url": format!("sqlite://{}", db.display()),
        "bucket": BUCKET,
        "staging_prefix": "staging/",
        "lake_prefix": "lake/",
        "progress_table": TABLE,
        "tenants": TENANTS.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        "embed_concurrency": 8
    });
    services
        .aws
        .ssm()
        .await
        .put_parameter()
        .name(PARAMETER)
        .r#type(ParameterType::SecureString)
        .value(config.to_string())
        .overwrite(true)
        .send()
        .await?;
    eprintln!("    SSM SecureString {PARAMETER}");
    Ok(())
}

/// The progress record of each tenant for the export date.
async fn progress_records(
    services: &Services,
    export_date: NaiveDate,
) -> Result<Vec<Value>, Error> {
    let dynamodb = services.aws.dynamodb().await;
    let mut out = Vec::new();
    for (tenant, _) in TENANTS {
        let item = dynamodb
            .get_item()
            .table_name(TABLE)
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

fn to_json(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
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
